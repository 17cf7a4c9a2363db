"""The main playbook's user trust on the lab, in local and in ssh mode.

The order is the one an administrator lives through: check mode on a fresh lab (changes
nothing, says what it would change), the trust checks fail, the real run, the checks pass, a
second run changes nothing.
"""

import hashlib
import os

import pytest
from ansible_run import ROOT, run_playbook
from lab.labkit import checks

pytest_plugins = ["lab.fixtures"]

PLAYBOOK = str(ROOT / "playbooks" / "crosscluster.yml")
TRUSTS = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]}


@pytest.fixture(params=["local", "ssh"])
def lab(request):
    return request.getfixturevalue("lab_" + request.param)


def conf_state(lab):
    """SHA-256 of every file under every node's conf/, to prove a run changed nothing."""
    state = {}
    for host in lab.hosts:
        conf = lab.node_path(host, "conf")
        for name in sorted(os.listdir(conf)):
            with open(os.path.join(conf, name), "rb") as handle:
                state["%s:%s" % (host, name)] = hashlib.sha256(handle.read()).hexdigest()
    return state


def changed_tasks(result):
    return [(r["host"], r["task"]) for r in result.results if r["result"].get("changed")]


def run(lab, check=False):
    return run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None, extra_vars=TRUSTS,
                        check=check).expect_ok()


def test_user_trust_end_to_end(lab):
    a, b = lab.cluster("a"), lab.cluster("b")
    before = conf_state(lab)

    dry = run(lab, check=True)
    assert conf_state(lab) == before, "check mode changed a file"
    would = changed_tasks(dry)
    # Every node would get the peer's line and certificate: 2 tasks x 6 nodes.
    assert len(would) == 12 and {host for host, _task in would} == set(lab.hosts)
    assert checks.user_login(lab, "a2", "b").returncode != 0
    assert checks.user_login(lab, "b3", "a").returncode != 0

    first = run(lab)
    assert sorted(changed_tasks(first)) == sorted(would), "check mode did not predict the real run"
    for host in a.hosts:
        login = checks.user_login(lab, host, "b")
        assert login.returncode == 0, login.stderr
    for host in b.hosts:
        login = checks.user_login(lab, host, "a")
        assert login.returncode == 0, login.stderr
    aliases = checks.jvm_aliases(lab, "a3")
    assert any(alias.startswith(b.name + "-") for alias in aliases) and aliases[a.name + "-ca"]
    assert checks.jvm_handshake(lab, "a3", "b").returncode == 0
    summary = [r for r in first.results if r["task"] == "Summary"][0]["result"]["msg"]
    assert any("cluster_a -> cluster_b: 3 nodes" in line and line.endswith("changed on 3") for line in summary)

    after_first = conf_state(lab)
    second = run(lab)
    assert changed_tasks(second) == []
    assert conf_state(lab) == after_first
