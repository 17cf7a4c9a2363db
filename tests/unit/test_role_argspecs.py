"""Role argument specs document the roles' variables; the values come from each role's defaults/main.yml.

ansible-core takes no value from a role argument spec's ``default``: it templates the whole spec for
the host and, when validation fails, prints it (``argument_spec_data``). A template anywhere in a spec
would print what it renders (a password, in the end), so there is none; and each documented default is
the one defaults/main.yml gives, so that the docs say what a run does.
(tests/integration/test_argspec_leaks.py runs every entry point's validation failure and scans its output.)

The settings every role shares are one variable each, ``crosscluster_<concept>``; the per-role names they
replace are deprecated aliases until 1.0.0, read only by the role's private ``__<old name>`` default and
named by preflight's deprecated.yml when set. Where an old name's default was another role's old name (the
report followed ``server_trust_min_validity``), the alias still reads that one next, so that an inventory
setting only the other role's name keeps its meaning until 1.0.0.
"""

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(path.split(os.sep)[-3] for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta",
                                                                         "argument_specs.yml")))
JINJA = ("{{", "{%", "{#")
DEPRECATED_TASKS = os.path.join(ROOT, "roles", "preflight", "tasks", "deprecated.yml")
# {deprecated name: the deprecated name of another role its default was, before the shared variable}.
FOLLOWED = {
    "preflight_export_aliases": "user_trust_export_aliases",
    "report_export_aliases": "user_trust_export_aliases",
    "report_ticket_min_validity": "server_trust_min_validity",
}


def renamed():
    """{deprecated name: the shared variable that replaces it}, as the warning task lists them."""
    with open(DEPRECATED_TASKS, encoding="utf-8") as handle:
        return yaml.safe_load(handle)[0]["datafabric.crosscluster.deprecated_vars"]["renamed"]


def owner(name):
    return [role for role in ROLES if name.startswith(role + "_")][0]


def _read(role, *parts):
    with open(os.path.join(ROOT, "roles", role, *parts), encoding="utf-8") as handle:
        return handle.read()


def specs(role):
    return yaml.safe_load(_read(role, "meta", "argument_specs.yml"))["argument_specs"]


def defaults(role):
    return yaml.safe_load(_read(role, "defaults", "main.yml")) or {}


def test_every_role_has_a_spec():
    assert ROLES == sorted(os.listdir(os.path.join(ROOT, "roles")))


@pytest.mark.parametrize("role", ROLES)
def test_no_spec_holds_a_template(role):
    text = _read(role, "meta", "argument_specs.yml")
    found = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)
             if any(mark in line for mark in JINJA)]
    assert found == [], "describe the default in the description; defaults/main.yml gives the value"


@pytest.mark.parametrize("role", ROLES)
def test_each_documented_default_is_the_one_defaults_main_gives(role):
    values = defaults(role)
    public = set(name for name in values if not name.startswith("__"))
    for entry, spec in specs(role).items():
        options = spec.get("options", {})
        # Every variable the role defaults is documented at every entry point (but its private ones).
        assert sorted(public - set(options)) == [], (role, entry)
        for name, option in options.items():
            if not name.startswith(role + "_") or name in renamed():
                continue  # another role's or the inventory's variable, which the spec mentions; or a deprecated one
            assert name in values or option.get("required"), (role, entry, name, "not in defaults/main.yml")
            if "default" in option:
                assert option["default"] == values[name], (role, entry, name)


def test_every_deprecated_name_is_documented_as_such_where_its_role_reads_it():
    for old, new in renamed().items():
        role = owner(old)
        assert new.startswith("crosscluster_") and new in defaults(role), (old, new)
        for entry, spec in specs(role).items():
            options = spec.get("options", {})
            description = options[old]["description"]
            expected = "Deprecated, removed in release 1.0.0: set O(%s) instead." % new
            assert description.startswith(expected), (role, entry)
            assert "default" not in options[old], (role, entry, old)
            assert new in options, (role, entry, new)


def test_each_role_reads_a_deprecated_name_first_then_the_shared_one():
    for old, new in renamed().items():
        role = owner(old)
        if old in FOLLOWED:
            assert renamed()[FOLLOWED[old]] == new, "it followed a name that the same shared variable replaces"
            new = "%s | default(%s)" % (FOLLOWED[old], new)
        assert defaults(role)["__" + old] == "{{ %s | default(%s) }}" % (old, new)
        assert old not in defaults(role), "a default would hide whether the user set the old name"


def test_every_spec_that_names_a_deprecated_name_says_it_is_deprecated():
    for role in ROLES:
        for entry, spec in specs(role).items():
            for name, option in spec.get("options", {}).items():
                if name in renamed():
                    expected = "Deprecated, removed in release 1.0.0: set O(%s) instead." % renamed()[name]
                    assert option["description"].startswith(expected), (role, entry, name)
                    assert renamed()[name] in spec["options"], (role, entry, name)


def test_no_role_or_playbook_reads_a_deprecated_name_but_through_its_alias():
    files = glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml")) + glob.glob(
        os.path.join(ROOT, "roles", "*", "defaults", "main.yml")) + glob.glob(os.path.join(ROOT, "playbooks", "*.yml"))
    found = []
    for path in files:
        if path == DEPRECATED_TASKS:
            continue
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                for old in renamed():
                    alias = path.endswith("main.yml") and any(line.startswith("__%s: " % reader) for reader in
                                                              [old] + [k for k, v in FOLLOWED.items() if v == old])
                    if re.search(r"(?<![\w])%s\b" % old, line) and not alias:
                        found.append("%s:%d %s" % (os.path.relpath(path, ROOT), number, old))
    assert found == []


def test_every_role_that_reads_the_same_shared_variable_defaults_and_documents_it_alike():
    seen = {}
    for role in ROLES:
        values = defaults(role)
        for spec in specs(role).values():
            for name, option in spec.get("options", {}).items():
                if name in set(renamed().values()):
                    assert name in values, (role, name, "documented but not defaulted")
                    seen.setdefault(name, set()).add((repr(values[name]), repr(option)))
    assert sorted(seen) == sorted(set(renamed().values()))
    assert {name: len(forms) for name, forms in seen.items()} == {name: 1 for name in seen}
