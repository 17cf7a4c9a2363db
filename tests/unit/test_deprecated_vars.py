"""deprecated_vars' work: which deprecated names the hosts set, as the deprecation entries Ansible prints.

The action (plugins/action/deprecated_vars.py) hands it each host's variables before templating; here
they are plain dicts, and a value that would fail or leak if it were read shows that none is.
"""

import os

import yaml

from ansible_collections.datafabric.crosscluster.plugins.module_utils._deprecated_vars import deprecations, set_for

DEPRECATED_TASKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "roles", "preflight", "tasks", "deprecated.yml")

RENAMED = {
    "preflight_mapr_home": "crosscluster_mapr_home",
    "verify_mapr_home": "crosscluster_mapr_home",
    "report_kdc_group_suffix": "crosscluster_kdc_group_suffix",
    "report_truststore_password": "crosscluster_truststore_password",
}


class _Unreadable:
    """A value that fails the test when anything looks at it but its presence."""

    def __getattribute__(self, name):
        raise AssertionError("a value was read: %s" % name)


def _names_of(variables):
    return lambda host: variables.get(host, {})


def test_nothing_set_gives_no_entry():
    variables = {"a1": {"crosscluster_mapr_home": "/opt/mapr", "mapr_home": "/opt/mapr"}, "b1": {}}
    found = set_for(RENAMED, ["a1", "b1"], _names_of(variables))
    assert found == {}
    assert deprecations(RENAMED, found) == []


def test_each_name_set_is_one_entry_naming_its_replacement_the_release_and_the_collection():
    variables = {"a1": {"verify_mapr_home": _Unreadable()},
                 "b1": {"preflight_mapr_home": _Unreadable(), "verify_mapr_home": _Unreadable()}}
    found = set_for(RENAMED, ["a1", "b1"], _names_of(variables))
    assert found == {"preflight_mapr_home": ["b1"], "verify_mapr_home": ["a1", "b1"]}
    entries = deprecations(RENAMED, found)
    assert [sorted(entry) for entry in entries] == [["collection_name", "msg", "version"]] * 2
    assert [(e["version"], e["collection_name"]) for e in entries] == [("1.0.0", "datafabric.crosscluster")] * 2
    first, second = (entry["msg"] for entry in entries)
    assert first.startswith("The variable preflight_mapr_home (set for b1) is deprecated: rename it "
                            "crosscluster_mapr_home.")
    assert second.startswith("The variable verify_mapr_home (set for a1, b1) is deprecated")
    assert "wins over crosscluster_mapr_home for its role" in second


def test_only_the_hosts_asked_about_count_and_a_long_list_is_cut_short():
    hosts = ["n%d" % number for number in range(10)]
    variables = dict((host, {"report_kdc_group_suffix": "_kdc"}) for host in hosts + ["elsewhere"])
    found = set_for(RENAMED, hosts, _names_of(variables))
    assert found == {"report_kdc_group_suffix": hosts}
    [entry] = deprecations(RENAMED, found)
    assert "(set for n0, n1, n2 and 7 more)" in entry["msg"]
    assert "elsewhere" not in entry["msg"]


def test_a_name_not_in_the_map_is_not_reported():
    found = set_for(RENAMED, ["a1"], _names_of({"a1": {"user_trust_mapr_home": "/x", "preflight_mapr_homes": 1}}))
    assert found == {}


def test_a_password_name_set_is_named_and_its_value_never_looked_at():
    variables = {"a1": {"report_truststore_password": _Unreadable()}}
    found = set_for(RENAMED, ["a1"], _names_of(variables))
    assert found == {"report_truststore_password": ["a1"]}
    [entry] = deprecations(RENAMED, found)
    assert entry["msg"] == ("The variable report_truststore_password (set for a1) is deprecated: rename it "
                            "crosscluster_truststore_password. Meanwhile it still works, and wins over "
                            "crosscluster_truststore_password for its role")


def test_the_roles_list_every_password_name_they_deprecate():
    # The names preflight's warning task passes (tests/unit/test_role_argspecs.py checks them against the roles).
    with open(DEPRECATED_TASKS, encoding="utf-8") as handle:
        renamed = yaml.safe_load(handle)[0]["datafabric.crosscluster.deprecated_vars"]["renamed"]
    assert sorted(old for old, new in renamed.items() if new == "crosscluster_truststore_password") == [
        "preflight_truststore_password", "report_truststore_password", "user_trust_truststore_password"]
