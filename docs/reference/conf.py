# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Sphinx settings of the reference docs `make docs` builds from the plugins' and roles' own docs."""

from docutils import nodes

project = "datafabric.crosscluster"
copyright = "datafabric.crosscluster contributors"
title = html_short_title = "datafabric.crosscluster reference"

extensions = ["sphinx_antsibull_ext"]
pygments_style = "ansible"
highlight_language = "YAML+Jinja"
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
display_version = False
html_use_modindex = False
html_use_index = False
html_copy_source = False
default_role = "any"
nitpicky = True

# The generated pages link to labels of the Ansible docsite. The build runs offline, without
# fetching its inventory, so those labels are resolved here to its pages; any other missing
# reference stays a warning, and warnings fail the build.
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/latest/"
ANSIBLE_PAGES = {
    "action_plugins": "plugins/action.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
    "common_return_values": "reference_appendices/common_return_values.html",
}
BUILTIN_PREFIX = "ansible_collections.ansible.builtin."


def _ansible_page(target):
    if target in ANSIBLE_PAGES:
        return ANSIBLE_PAGES[target]
    if target.startswith(BUILTIN_PREFIX):
        return "collections/ansible/builtin/%s.html" % target[len(BUILTIN_PREFIX):]
    return None


def _resolve_ansible_label(app, env, node, contnode):
    if node.get("refdomain") != "std" or node.get("reftype") not in ("ref", "any"):
        return None
    page = _ansible_page(node.get("reftarget", ""))
    if page is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=ANSIBLE_DOCS + page)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("missing-reference", _resolve_ansible_label)
