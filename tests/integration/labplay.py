"""Running the collection's playbooks against a lab, and judging what they changed."""

import hashlib
import os

from ansible_run import DEFAULT_TIMEOUT, ROOT, start_playbook

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


def start(lab, kind, playbook=PLAYBOOK, clusters=("cluster_a", "cluster_b"), extra_vars=None, **kwargs):
    """Start ``playbook`` for one trust of ``kind`` between ``clusters`` (and ``extra_vars``); ``.wait()``
    gives its Result."""
    trusts = dict(extra_vars or {}, crosscluster_trusts=[{"clusters": list(clusters), "type": kind}])
    return start_playbook(playbook, inventory=lab.inventory_path, connection=None, extra_vars=trusts, **kwargs)


def run(lab, kind, playbook=PLAYBOOK, clusters=("cluster_a", "cluster_b"), timeout=DEFAULT_TIMEOUT, **kwargs):
    return start(lab, kind, playbook, clusters, **kwargs).wait(timeout)
