"""Role argument specs document the roles' variables; the values come from each role's defaults/main.yml.

ansible-core takes no value from a role argument spec's ``default``: it templates the whole spec for
the host and, when validation fails, prints it (``argument_spec_data``). A template anywhere in a spec
would print what it renders (a password, in the end), so there is none; and each documented default is
the one defaults/main.yml gives, so that the docs say what a run does.
(tests/integration/test_argspec_leaks.py runs every entry point's validation failure and scans its output.)
"""

import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(path.split(os.sep)[-3] for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta",
                                                                         "argument_specs.yml")))
JINJA = ("{{", "{%", "{#")


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
    for entry, spec in specs(role).items():
        options = spec.get("options", {})
        # Every variable the role defaults is documented at every entry point.
        assert sorted(set(values) - set(options)) == [], (role, entry)
        for name, option in options.items():
            if not name.startswith(role + "_"):
                continue  # another role's or the inventory's variable, which the spec mentions
            assert name in values or option.get("required"), (role, entry, name, "not in defaults/main.yml")
            if "default" in option:
                assert option["default"] == values[name], (role, entry, name)
