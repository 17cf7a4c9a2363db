# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What the text-file modules share: file options, one locked edit, check/diff, errors.

Keeping this in one place means every module reports ``changed``, ``diff`` and ``backup_file``
the same way and turns every CrossclusterError into one clear ``fail_json``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import Attributes, TextEdit

FILE_ARGS = dict(
    backup=dict(type="bool", default=False),
    mode=dict(type="raw"),
    owner=dict(type="str"),
    group=dict(type="str"),
)

# Files of one line per cluster whose first line is the node's own (see line_file.KeyedLineFile).
KEYED_FILE_ARGS = dict(
    FILE_ARGS,
    state=dict(type="str", choices=["present", "absent"], default="present"),
    create=dict(type="bool", default=False),
    allow_first=dict(type="bool", default=False),
    # A revoke and a build in one locked edit: a node of a mesh changes each file once per run.
    remove=dict(type="list", elements="str", default=[]),
)


def removals(module, keyed_file):
    """Drop the clusters named in ``remove`` from ``keyed_file`` (a parsed KeyedLineFile)."""
    for name in module.params["remove"]:
        keyed_file.remove(name, allow_first=module.params["allow_first"])


def run_text_edit(module, path, edit, default_mode, create, redact=None):
    """Run ``edit(text) -> (new_text, facts)`` on ``path`` and exit the module.

    ``redact`` maps file text to what a diff may show (ticket files hide their blobs).
    """
    params = module.params
    facts = {}

    def apply(text):
        new_text, found = edit(text)
        facts.update(found)
        return new_text

    try:
        attributes = Attributes(params["mode"], params["owner"], params["group"], default_mode=default_mode)
        result = TextEdit(path, attributes, create=create, backup=params["backup"],
                          check_mode=module.check_mode).run(apply)
    except CrossclusterError as err:
        module.fail_json(msg=str(err), path=path)
    out = dict(changed=result.changed, path=path, **facts)
    if result.backup_file:
        out["backup_file"] = result.backup_file
    if module._diff:
        view = redact or (lambda text: text)
        out["diff"] = dict(before_header=path, after_header=path,
                           before=view(result.before), after=view(result.after))
    module.exit_json(**out)
