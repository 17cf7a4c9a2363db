"""Running the collection's playbooks against a lab, and judging what they changed."""

import hashlib
import os

from ansible_run import ROOT, run_playbook

PLAYBOOK = str(ROOT / "playbooks" / "crosscluster.yml")
VERIFY = str(ROOT / "playbooks" / "verify.yml")


def conf_state(lab):
    """SHA-256 of every file under every node's conf/, to prove a run changed nothing."""
    state = {}
    for host in lab.hosts:
        conf = lab.node_path(host, "conf")
        for name in sorted(os.listdir(conf)):
            with open(os.path.join(conf, name), "rb") as handle:
                state["%s:%s" % (host, name)] = hashlib.sha256(handle.read()).hexdigest()
    return state


def changed_hosts(result):
    return sorted(set(r["host"] for r in result.results if r["result"].get("changed")))


def run(lab, kind, playbook=PLAYBOOK, **kwargs):
    trusts = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": kind}]}
    return run_playbook(playbook, inventory=lab.inventory_path, connection=None, extra_vars=trusts, **kwargs)
