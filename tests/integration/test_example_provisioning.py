"""docs/examples/provisioning.yml, the roles included in a provisioning play of one's own, on the lab."""

import os

from ansible_run import ROOT, run_playbook
from lab.labkit import checks
from labplay import changed_hosts, conf_state

pytest_plugins = ["lab.fixtures"]

EXAMPLE = ROOT / "docs" / "examples" / "provisioning.yml"
TRUSTS = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]}


def test_the_provisioning_example_runs_its_own_tasks_and_builds_the_trust(make_lab, tmp_path):
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    first = run_playbook(EXAMPLE, inventory=lab.inventory_path, connection=None, extra_vars=TRUSTS,
                         tmp_dir=tmp_path).expect_ok()
    for host in lab.hosts:
        with open(os.path.join(lab.node_root(host), "tmp", "provisioned-by-example")) as handle:
            assert handle.read() == "provisioned for %s\n" % lab.cluster(host[0]).name
        assert checks.user_login(lab, host, "b" if host.startswith("a") else "a").returncode == 0, host
    for local, remote in (("a", "b"), ("b", "a")):
        assert checks.server_call(lab, lab.cluster(local).cldb_hosts[0], remote).returncode == 0, local
    assert sorted(changed_hosts(first)) == sorted(lab.hosts)
    state = conf_state(lab)
    again = run_playbook(EXAMPLE, inventory=lab.inventory_path, connection=None, extra_vars=TRUSTS,
                         tmp_dir=tmp_path).expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == state
