"""deprecated_vars, the preflight role's warning about deprecated variable names, through Ansible.

`make newest` runs this file on the newest ansible-core too: 2.16 hands a result's ``deprecations`` to
``Display.deprecated`` as they are, 2.19 and later turn them into deprecation summaries of their own,
and both must print them as ``[DEPRECATION WARNING]``, and not at all with ``deprecation_warnings``
off. The hosts are ssh hosts on a closed port, so a task that sent anything to one would be
unreachable, and one host's deprecated variable is a template that leaves a file behind if anything
renders it; another is a truststore password, which no warning may show.
"""

import secrets
import socket

import pytest
from ansible.release import __version__ as ANSIBLE_CORE
from ansible_run import deprecation_warnings, run_playbook

RENAMED = {"preflight_mapr_home": "crosscluster_mapr_home",
           "verify_cldb_group_suffix": "crosscluster_cldb_group_suffix",
           "report_kdc_group_suffix": "crosscluster_kdc_group_suffix",
           "user_trust_truststore_password": "crosscluster_truststore_password"}
PASSWORD = "not-to-be-shown-" + secrets.token_urlsafe(16)
HOSTS = ["h%d" % number for number in range(1, 6)]
PLAY = [{"hosts": "all", "gather_facts": False, "tasks": [{
    "name": "Warn about deprecated variable names",
    "datafabric.crosscluster.deprecated_vars": {"renamed": RENAMED, "hosts": "{{ ansible_play_hosts }}"},
    "run_once": True,
}]}]


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _inventory(tmp_path, h2_vars):
    port = _closed_port()
    lines = ["%s ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=%d" % (host, port) for host in HOSTS]
    lines[1] += " " + h2_vars
    path = tmp_path / "hosts"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def inventory(tmp_path):
    """h2 sets a deprecated name to a template that, rendered, leaves the marker file behind, and a deprecated
    truststore password."""
    marker = tmp_path / "templated"
    canary = "preflight_mapr_home=\"{{ lookup('ansible.builtin.pipe', 'touch %s') }}\"" % marker
    canary += " user_trust_truststore_password=" + PASSWORD
    return _inventory(tmp_path, canary), marker


def _run(inventory, warnings, *extra_args):
    return run_playbook(PLAY, inventory=str(inventory), connection=None, extra_args=list(extra_args),
                        env={"ANSIBLE_DEPRECATION_WARNINGS": warnings})


def _names(result):
    [warned] = [r for r in result.results if r["task"] == "Warn about deprecated variable names"]
    assert (warned["host"], warned["status"]) == ("h1", "ok"), result.describe()
    return warned["result"]["names"]


def test_each_name_set_is_one_deprecation_warning_from_ansible_itself_and_no_host_is_contacted(inventory):
    path, marker = inventory
    result = _run(path, "True", "-e", "verify_cldb_group_suffix=_c").expect_ok()
    assert _names(result) == ["preflight_mapr_home", "user_trust_truststore_password", "verify_cldb_group_suffix"]
    first, password, second = deprecation_warnings(result.output)
    assert password.startswith("[DEPRECATION WARNING]: The variable user_trust_truststore_password (set for h2) is "
                               "deprecated: rename it crosscluster_truststore_password."), password
    assert PASSWORD not in result.output, "the warning names the password variable, never its value"
    assert first.startswith("[DEPRECATION WARNING]: The variable preflight_mapr_home (set for h2) is deprecated: "
                            "rename it crosscluster_mapr_home. Meanwhile it still works"), (ANSIBLE_CORE, first)
    assert second.startswith("[DEPRECATION WARNING]: The variable verify_cldb_group_suffix (set for h1, h2, h3 "
                             "and 2 more) is deprecated: rename it crosscluster_cldb_group_suffix."), second
    for warning in (first, second):
        assert "datafabric.crosscluster" in warning and "version 1.0.0" in warning, (ANSIBLE_CORE, warning)
    assert "_c " not in first + second and not marker.exists(), "names only: no value is read or templated"


def test_deprecation_warnings_off_prints_none(inventory):
    path, marker = inventory
    result = _run(path, "False").expect_ok()
    assert _names(result) == ["preflight_mapr_home", "user_trust_truststore_password"]
    assert "DEPRECATION" not in result.output and not marker.exists() and PASSWORD not in result.output


def test_no_deprecated_name_set_prints_none(tmp_path):
    path = _inventory(tmp_path, "crosscluster_mapr_home=/opt/mapr")
    result = _run(path, "True", "-e", "crosscluster_kdc_group_suffix=_k").expect_ok()
    assert _names(result) == []
    assert "DEPRECATION" not in result.output
