"""What the collection offers playbooks, and what is internal: every filter is either public or used by a
role (a filter nothing calls is dead code that keeps its messages on the troubleshooting page), and the
internal parts say so where ``ansible-doc`` shows them."""

import ast
import inspect
import re
from pathlib import Path

import jinja2
import pytest
import yaml
from jinja2 import nodes

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


def _filter_function(name):
    """The function behind the filter ``name``, unwrapped from ``undefined_fails``."""
    found = dict(trust.FilterModule().filters(), **report.FilterModule().filters())[name]
    return getattr(found, "__wrapped__", found)


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


def _signature_problems(name):
    """How the filter's doc disagrees with its function: options, positional order, required, defaults."""
    doc = _filter_doc(name)["DOCUMENTATION"]
    options = dict((key, value) for key, value in (doc.get("options") or {}).items() if key != "_input")
    params = list(inspect.signature(_filter_function(name)).parameters.values())[1:]
    names = [param.name for param in params]
    positional = [item.strip() for item in str(doc.get("positional") or "").split(",") if item.strip()]
    problems = []
    if sorted(options) != sorted(names):
        problems.append("options %s, but the function takes %s" % (sorted(options), names))
    if positional != names[:len(positional)]:
        problems.append("positional %s is not the start of %s" % (positional, names))
    for param in params:
        option = options.get(param.name) or {}
        if param.default is inspect.Parameter.empty and not option.get("required"):
            problems.append("%s has no default in the function but is not required" % param.name)
        elif param.default is None and option.get("default") not in (None, {}, [], ""):
            # None means "not given" in the function, at most an empty value: a documented default such as a
            # variable name would be a value it never uses.
            problems.append("%s: documented default %r, but the function's is None" % (param.name, option["default"]))
        elif param.default not in (inspect.Parameter.empty, None):
            # A tuple default (login_vars=()) is documented as the list YAML writes.
            expected = list(param.default) if isinstance(param.default, tuple) else param.default
            if option.get("default") != expected:
                problems.append("%s: documented default %r, the function's %r"
                                % (param.name, option.get("default"), param.default))
    return problems


@pytest.mark.parametrize("name", _filters())
def test_a_filter_doc_matches_its_function(name):
    """ansible-doc shows the doc, not the function: a changed signature must change the doc too."""
    assert _signature_problems(name) == []


def _example_calls(text):
    """Each call of a filter of this collection in the Jinja of ``text`` (an EXAMPLES block), as
    ``(name, number of positional arguments after the input, keyword names)``."""
    found = []

    def strings(value):
        if isinstance(value, dict):
            return [s for item in value.values() for s in strings(item)]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        return [value] if isinstance(value, str) and "{{" in value else []

    for template in strings(yaml.safe_load(text)):
        for call in jinja2.Environment().parse(template).find_all(nodes.Filter):
            if call.name.startswith("datafabric.crosscluster."):
                found.append((call.name.split(".")[-1], len(call.args), [item.key for item in call.kwargs]))
    return found


@pytest.mark.parametrize("name", _filters())
def test_a_filter_doc_examples_call_filters_as_their_functions_allow(name):
    calls = _example_calls(_filter_doc(name)["EXAMPLES"])
    assert any(called == name for called, _count, _keywords in calls), "its EXAMPLES never call %s" % name
    for called, count, keywords in calls:
        assert _call_problems(called, count, keywords) is None


def _call_problems(name, count, keywords):
    """Why a call of ``name`` with ``count`` positional arguments and ``keywords`` fails, or None."""
    try:
        # The input, then the arguments: bind() refuses an unknown keyword, too many, or a missing one.
        bound = inspect.signature(_filter_function(name)).bind(None, *range(count), **dict.fromkeys(keywords))
    except TypeError as err:
        return "%s: %s" % (name, err)
    # Some required options default to None in the function, which then fails saying what it needs.
    required = [key for key, value in (_filter_doc(name)["DOCUMENTATION"].get("options") or {}).items()
                if key != "_input" and value.get("required")]
    missing = [key for key in required if key not in bound.arguments]
    return "%s: no %s" % (name, ", ".join(missing)) if missing else None


def test_the_example_check_refuses_calls_of_the_old_signatures():
    """verify_targets given hostvars, and drift_report given variable names and no maps, as before issue 21."""
    text = yaml.safe_dump([{"ansible.builtin.set_fact": {
        "a": "{{ who | datafabric.crosscluster.verify_targets(hostvars, only_changed=true, hostvars=hostvars) }}",
        "b": "{{ crosscluster_trusts | datafabric.crosscluster.drift_report(hostvars, groups, ansible_play_hosts,"
             " 30, '7d') }}"}}])
    calls = _example_calls(text)
    assert calls == [("verify_targets", 1, ["only_changed", "hostvars"]), ("drift_report", 5, [])]
    assert "unexpected keyword argument 'hostvars'" in _call_problems(*calls[0])
    assert _call_problems(*calls[1]) == "drift_report: no gathered, held, kdc, user"


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
