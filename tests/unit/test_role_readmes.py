"""Each role's README (which Galaxy shows, and without which its importer refuses the collection) names
the variables and entry points the role really has, and its example is a playbook of FQCNs.

The argument specs are the reference (``ansible-doc -t role``); a README refers to them, so what it
names must be there: a variable with a role's prefix is an option of that role, any other variable is
one the role's spec or the user guide's inventory describes, and every entry point is listed."""

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(os.listdir(os.path.join(ROOT, "roles")))
# What a play or a task holds besides its one action; anything else must be an action by its FQCN.
PLAY_KEYS = {"name", "hosts", "gather_facts", "become", "tasks", "roles", "vars", "any_errors_fatal"}
TASK_KEYS = {"name", "vars", "when", "no_log", "become", "tags", "loop", "register"}
FQCN = ("ansible.builtin.", "datafabric.crosscluster.")


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def readme(role):
    return _read("roles", role, "README.md")


def spec_text(role):
    return _read("roles", role, "meta", "argument_specs.yml")


def specs(role):
    return yaml.safe_load(spec_text(role))["argument_specs"]


def options(role):
    return set(name for entry in specs(role).values() for name in entry.get("options", {}))


def examples(role):
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", readme(role), re.S)]


def test_every_role_has_a_readme():
    assert [role for role in ROLES if not os.path.isfile(os.path.join(ROOT, "roles", role, "README.md"))] == []


@pytest.mark.parametrize("role", ROLES)
def test_readme_refers_to_ansible_doc_and_names_every_entry_point(role):
    text = readme(role)
    assert text.startswith("# datafabric.crosscluster.%s\n" % role)
    assert "`ansible-doc -t role datafabric.crosscluster.%s`" % role in text
    paragraph = re.search(r"\nEntry points?: (.*?)\n\n", text, re.S).group(1)
    named = set(re.findall(r"`(\w+)`", paragraph))
    task_files = set(os.path.basename(path)[:-4]
                     for path in glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml")))
    assert sorted(set(specs(role)) - named) == [], "entry points the README does not name"
    # The paragraph also says which role or playbook starts the role where.
    assert sorted(named - task_files - set(ROLES)) == [], "names in the entry points paragraph that are no task file"


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_the_readme_names_is_documented(role):
    guide = _read("docs", "README.md")
    wrong = []
    for name in sorted(set(re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?::[^`]*)?`", readme(role)))):
        owner = [other for other in ROLES if name.startswith(other + "_")]
        if name in ROLES:
            continue
        if owner:
            # A role's own variable: an option of its argument spec, not a name that merely looks like one.
            if name not in options(owner[0]):
                wrong.append("%s (not an option of %s)" % (name, owner[0]))
        elif not re.search(r"\b%s\b" % name, spec_text(role) + guide):
            wrong.append("%s (neither the role's argument spec nor docs/README.md names it)" % name)
    assert wrong == []


def _actions(tasks):
    for task in tasks:
        actions = [key for key in task if key not in TASK_KEYS]
        assert len(actions) == 1, task
        yield actions[0], task[actions[0]]


@pytest.mark.parametrize("role", ROLES)
def test_the_example_is_a_playbook_of_fqcns_with_this_role(role):
    [playbook] = examples(role)
    used = []
    for play in playbook:
        assert set(play) <= PLAY_KEYS and play["hosts"] and play["name"], play
        for entry in play.get("roles", []):
            used.append(entry["role"])
        for action, args in _actions(play.get("tasks", [])):
            assert action.startswith(FQCN), action
            if action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                used.append(args["name"])
    assert "datafabric.crosscluster." + role in used
    assert [name for name in used if not name.startswith(FQCN[1])
            or name.split(".")[-1] not in ROLES] == [], "a role that the collection does not have"
