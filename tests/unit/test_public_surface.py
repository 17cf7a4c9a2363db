"""What the collection offers playbooks, and what is internal: every filter is either public or used by a
role (a filter nothing calls is dead code that keeps its messages on the troubleshooting page), and the
internal parts say so where ``ansible-doc`` shows them."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.datafabric.crosscluster.plugins.filter import report, trust

ROOT = Path(__file__).resolve().parents[2]
# The filters for playbooks of your own; every other one is the roles' plumbing.
PUBLIC_FILTERS = ("trust_summary", "drift_report", "drift_markdown")
# Node halves of action plugins: they run only through their actions.
NODE_HALVES = ("file_snapshot", "security_facts_node")
# Controller-only actions that only the roles call.
ROLE_ACTIONS = ("deprecated_vars",)
INTERNAL_MODULES = NODE_HALVES + ROLE_ACTIONS
INTERNAL_WORDS = ("Not for playbooks", "may change without deprecation")


def _filters():
    return sorted(list(trust.FilterModule().filters()) + list(report.FilterModule().filters()))


def _filter_doc(name):
    return yaml.safe_load((ROOT / "plugins" / "filter" / ("%s.yml" % name)).read_text(encoding="utf-8"))


def _module_doc(name):
    tree = ast.parse((ROOT / "plugins" / "modules" / ("%s.py" % name)).read_text(encoding="utf-8"))
    text = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets))
    return yaml.safe_load(text)


def _callers(name):
    """The role and playbook files that call ``name`` by its FQCN."""
    pattern = re.compile(r"datafabric\.crosscluster\.%s\b" % re.escape(name))
    files = sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("playbooks/*.yml"))
    return [str(path.relative_to(ROOT)) for path in files if pattern.search(path.read_text(encoding="utf-8"))]


def _description(doc):
    found = doc.get("description") or []
    return " ".join(found if isinstance(found, list) else [found])


def test_every_filter_has_its_doc_and_every_doc_its_filter():
    docs = sorted(path.stem for path in (ROOT / "plugins" / "filter").glob("*.yml"))
    assert docs == _filters()


@pytest.mark.parametrize("name", [n for n in _filters() if n not in PUBLIC_FILTERS])
def test_an_internal_filter_is_called_by_a_role_and_says_it_is_internal(name):
    assert _callers(name), "no role or playbook calls the filter %s: remove it, or make it public" % name
    doc = _filter_doc(name)["DOCUMENTATION"]
    assert doc["short_description"].startswith("Internal: ")
    notes = " ".join(doc.get("notes") or [])
    assert all(words in notes for words in INTERNAL_WORDS), notes


@pytest.mark.parametrize("name", PUBLIC_FILTERS)
def test_a_public_filter_does_not_call_itself_internal(name):
    doc = _filter_doc(name)["DOCUMENTATION"]
    assert not doc["short_description"].startswith("Internal")
    assert name in (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_module_table():
    """The modules of the README's first table under ``## Modules``: the public ones."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## Modules", 1)[1]
    table = text.split("\n\n", 2)[1]
    return re.findall(r"^\| `datafabric\.crosscluster\.(\w+)` \|", table, re.M)


def test_the_readme_lists_every_public_module_and_no_internal_one_in_its_table():
    modules = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py"))
    assert sorted(_readme_module_table()) == sorted(set(modules) - set(INTERNAL_MODULES))


def _in_readme_internal_table(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return "| `datafabric.crosscluster.%s` |" % name in readme.split("internal module", 1)[1]


@pytest.mark.parametrize("name", NODE_HALVES)
def test_an_internal_module_says_so_and_no_role_calls_it(name):
    doc = _module_doc(name)
    assert doc["short_description"].startswith("Internal: the node half of ")
    assert all(words in _description(doc) for words in INTERNAL_WORDS)
    assert _callers(name) == []
    assert _in_readme_internal_table(name)


@pytest.mark.parametrize("name", ROLE_ACTIONS)
def test_an_internal_role_action_says_so_and_a_role_calls_it(name):
    doc = _module_doc(name)
    assert doc["short_description"].startswith("Internal: ")
    assert all(words in _description(doc) for words in INTERNAL_WORDS)
    assert _callers(name), "no role calls the action %s: remove it, or make it public" % name
    assert all(caller.startswith("roles/") for caller in _callers(name)), _callers(name)
    assert _in_readme_internal_table(name)


def test_no_public_module_calls_itself_internal():
    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        if path.stem not in INTERNAL_MODULES:
            assert not _module_doc(path.stem)["short_description"].startswith("Internal"), path.stem
