"""ansible-doc shows every module of the collection, with every documented option.

The expected options come from each module's own DOCUMENTATION plus the doc fragments it
extends, read here with YAML; ansible-doc must render all of them (fragments merged) without a
warning, the way a user reads them.
"""

import importlib
import re

import pytest
import yaml
from ansible_run import COLLECTION, ROOT, run_ansible_doc

MODULE_DIR = ROOT / "plugins" / "modules"
MODULES = sorted(p.stem for p in MODULE_DIR.glob("*.py") if not p.name.startswith("_"))


def documentation(name):
    """The module's DOCUMENTATION as data, read from the source without importing it."""
    source = (MODULE_DIR / ("%s.py" % name)).read_text(encoding="utf-8")
    match = re.search(r'^DOCUMENTATION = r?"""(.*?)"""', source, re.S | re.M)
    assert match, "%s has no DOCUMENTATION" % name
    return yaml.safe_load(match.group(1))


def fragment_options(fragment):
    """Options a doc fragment of this collection adds (ansible.builtin ones add none)."""
    prefix = COLLECTION + "."
    if not fragment.startswith(prefix):
        return {}
    # "<name>" is the fragment's DOCUMENTATION, "<name>.<variant>" its upper-cased attribute.
    name, _dot, variant = fragment[len(prefix):].partition(".")
    module = importlib.import_module("ansible_collections.%s.plugins.doc_fragments.%s" % (COLLECTION, name))
    text = getattr(module.ModuleDocFragment, (variant or "documentation").upper())
    return yaml.safe_load(text).get("options") or {}


def expected_options(doc):
    options = dict(doc.get("options") or {})
    for fragment in doc.get("extends_documentation_fragment") or []:
        options.update(fragment_options(fragment))
    return options


def option_shown(text, name):
    """Whether ansible-doc's text lists option ``name``: '- name', '= name' (required) or 'name'."""
    return re.search(r"^\s*(?:[-=] )?%s(?:\s|$)" % re.escape(name), text, re.M) is not None


def test_every_module_is_found():
    assert MODULES, "no modules found in %s" % MODULE_DIR
    listed = run_ansible_doc("-t", "module", "-l", COLLECTION)
    assert listed.rc == 0, listed.describe()
    assert "WARNING" not in listed.stderr, listed.stderr
    rows = dict(re.match(r"(\S+)\s+(.*)$", line).groups() for line in listed.stdout.splitlines() if line.strip())
    assert sorted(rows) == ["%s.%s" % (COLLECTION, name) for name in MODULES]
    for name in MODULES:
        # Long descriptions are cut to the terminal width and end in '...'.
        shown = rows["%s.%s" % (COLLECTION, name)]
        full = documentation(name)["short_description"]
        assert shown == full or (shown.endswith("...") and full.startswith(shown[:-3]) and len(shown) > 10)


@pytest.mark.parametrize("name", MODULES)
def test_module_doc_shows_every_option(name):
    doc = documentation(name)
    assert doc["module"] == name
    options = expected_options(doc)
    assert options, "%s documents no options" % name
    shown = run_ansible_doc("-t", "module", "%s.%s" % (COLLECTION, name))
    assert shown.rc == 0, shown.describe()
    assert "WARNING" not in shown.stderr and "ERROR" not in shown.stderr, shown.stderr
    text = shown.stdout
    assert "%s.%s" % (COLLECTION, name) in text
    assert "OPTIONS" in text and "EXAMPLES" in text and "RETURN VALUES" in text
    missing = [option for option in options if not option_shown(text, option)]
    assert missing == [], "ansible-doc %s does not show %s" % (name, missing)
    for option, spec in options.items():
        # Suboptions are listed too, indented under their option.
        sub = [s for s in (spec.get("suboptions") or {}) if not option_shown(text, s)]
        assert sub == [], "ansible-doc %s does not show %s.%s" % (name, option, sub)
    # Each option's description is shown too (rewrapped and marked up, so compare bare words).
    shown_words = set(re.findall(r"[A-Za-z0-9_]+", text))
    for option, spec in options.items():
        description = spec["description"]
        first = description[0] if isinstance(description, list) else description
        words = re.findall(r"[A-Za-z0-9_]+", re.sub(r"\b[A-Z]\(", "", first))[:8]
        assert set(words) <= shown_words, (name, option, set(words) - shown_words)


def test_a_missing_module_only_warns():
    # Why the checks above look at stderr: for a name it cannot find, ansible-doc exits 0 with a warning.
    result = run_ansible_doc("-t", "module", "%s.no_such_module" % COLLECTION)
    assert result.stdout.strip() == "" and "was not found" in result.stderr, result.describe()
