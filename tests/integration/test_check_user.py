"""The checks log in to a peer as its check user, never as its owner (issue 19), on the ssh-mode lab.

The verify role's login runs on a node of one cluster and sends the password of a user of the
other: that user is the peer's dedicated check user (``mapr_check_user``, ``mapr_check_password``),
made on every node of the lab's clusters with a password of its own. The owner's password is not in
the inventory at all here, so no task can send it anywhere, and the check still proves user trust
(a real login over TLS, verified with the node's truststore). A wrong check password fails the
check, which shows it is that user who logs in.
"""

import os

import pytest
import yaml
from ansible_run import run_playbook
from lab.labkit import ssh_mode_unavailable
from labplay import PLAYBOOK, VERIFY, conf_state

pytest_plugins = ["lab.fixtures"]

pytestmark = pytest.mark.skipif(ssh_mode_unavailable() is not None, reason=str(ssh_mode_unavailable()))

USER = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
CHECK_USER_TASK = "datafabric.crosscluster.verify : Stop before any check if a peer cluster has no check user to " \
    "log in as"
LOGIN_TASK = "datafabric.crosscluster.verify : Log in to the peer cluster as a user would (a revoked peer must refuse)"


def _inventory(lab, path, **changes):
    """The lab's inventory without any owner password, and with ``changes`` per group."""
    with open(lab.inventory_path) as handle:
        inventory = yaml.safe_load(handle)
    for group, cluster_vars in inventory["all"]["children"]["mapr_clusters"]["children"].items():
        del cluster_vars["vars"]["mapr_owner_password"]
        cluster_vars["vars"].update(changes.get(group, {}))
    path.write_text(yaml.safe_dump(inventory))
    os.chmod(path, 0o600)
    return str(path)


def _logins(result):
    return sorted((r["host"], r["status"]) for r in result.results if r["task"] == LOGIN_TASK)


def test_the_checks_log_in_as_the_check_user_without_any_owner_password(lab_ssh, tmp_path):
    lab = lab_ssh
    inventory = _inventory(lab, tmp_path / "inventory.yml")
    built = run_playbook(PLAYBOOK, inventory=inventory, connection=None,
                         extra_vars={"crosscluster_trusts": USER}).expect_ok()
    # One login per direction, each from the node that checks for its cluster.
    assert _logins(built) == [("a1", "ok"), ("b1", "ok")], \
        built.describe()
    for cluster in lab.clusters:
        assert cluster.owner_password not in built.output
        assert cluster.check_password not in built.output

    # B's check user with a wrong password: A's check of B fails, B's check of A passes.
    wrong = _inventory(lab, tmp_path / "wrong.yml", cluster_b={"mapr_check_password": "not-the-password"})
    checked = run_playbook(VERIFY, inventory=wrong, connection=None, extra_vars={"crosscluster_trusts": USER})
    assert checked.rc != 0, checked.describe()
    assert _logins(checked) == [("a1", "failed"), ("b1", "ok")], \
        checked.describe()
    failed = [r["result"] for r in checked.results if r["task"] == LOGIN_TASK and r["host"] == "a1"][0]
    assert "checkuser" in str(failed), failed
    assert "not-the-password" not in checked.output


def test_verify_without_a_check_user_stops_first_naming_the_group_and_the_fix(lab_ssh, tmp_path):
    """verify.yml runs no preflight gate; a cluster with no check user is named before any check,
    not met as an undefined variable in the middle of the logins."""
    lab = lab_ssh
    inventory = _inventory(lab, tmp_path / "nocheck.yml")
    with open(inventory) as handle:
        data = yaml.safe_load(handle)
    del data["all"]["children"]["mapr_clusters"]["children"]["cluster_b"]["vars"]["mapr_check_user"]
    with open(inventory, "w") as handle:
        yaml.safe_dump(data, handle)
    before = conf_state(lab)
    checked = run_playbook(VERIFY, inventory=inventory, connection=None, extra_vars={"crosscluster_trusts": USER})
    assert checked.rc != 0, checked.describe()
    failed = [r for r in checked.results if r["status"] == "failed"]
    assert [r["task"] for r in failed] == [CHECK_USER_TASK], checked.describe()
    assert not _logins(checked), checked.describe()
    message = " ".join(failed[0]["result"]["msg"])
    assert "nothing was checked" in message, message
    assert "cluster_b: variable mapr_check_user is not defined (its user-trust peers" in message, message
    assert "set mapr_check_user and mapr_check_password in group_vars/cluster_b" in message, message
    assert "cluster_a" not in message.split("nothing was checked.")[1], message
    assert "is undefined" not in checked.output, checked.describe()
    assert conf_state(lab) == before
