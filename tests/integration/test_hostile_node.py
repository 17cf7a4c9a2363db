"""A hostile node, tried on the ssh lab: what a node sends is its word, checked before a peer gets it.

Each scenario alters what one node of cluster_a reports, honestly, through its own files (the
first line of its mapr-clusters.conf, its keystore's chain) or through its Python interpreter (a
wrapper that adds a fact to every module's result, with fact injection on), then runs the main
playbook, or the user_trust role on its own (no preflight). The run must stop in one task with a
message naming the host or cluster and what is wrong, and every file under every node's conf/ must
be byte-identical afterwards. The lab is restored between scenarios.
"""

import hashlib
import os
import shutil
import stat

import pytest
import yaml
from ansible_run import run_playbook
from labplay import PLAYBOOK, conf_state
from reliability import record
from test_bad_inputs import World

pytest_plugins = ["lab.fixtures"]

PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
ANOTHER = "c.example"

# user_trust on its own: the planner alone must refuse what preflight would have.
USER_TRUST_ALONE = """
- name: User trust without preflight
  hosts: cluster_a:cluster_b
  gather_facts: false
  roles:
    - role: datafabric.crosscluster.user_trust
"""

# Runs the real interpreter and adds a fact to whatever the module returned.
INJECTING_PYTHON = """#!/usr/bin/python3
import json
import subprocess
import sys

done = subprocess.run(["/usr/bin/python3"] + sys.argv[1:], stdin=sys.stdin, capture_output=True, text=True)
sys.stderr.write(done.stderr)
try:
    data = json.loads(done.stdout)
    data.setdefault("ansible_facts", {})["mapr_cluster_name"] = "evil.example"
    sys.stdout.write(json.dumps(data))
except ValueError:
    sys.stdout.write(done.stdout)
sys.exit(done.returncode)
"""


class SshWorld(World):
    """test_bad_inputs' World on an ssh lab, whose nodes see their mapr_home through a bind mount:
    it is restored in place, since a directory put in its place would not be the one they see."""

    def restore(self):
        for host in self.lab.hosts:
            top = self.lab.node_path(host)
            for name in os.listdir(top):
                path = os.path.join(top, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            shutil.copytree(os.path.join(self.saved, host), top, symlinks=True, dirs_exist_ok=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from lab.fixtures import _skip_without_ssh_mode
    from lab.labkit import Lab
    _skip_without_ssh_mode()
    lab = Lab(str(tmp_path_factory.mktemp("lab-hostile")), clusters=2, nodes=2, mode="ssh")
    with lab.up():
        yield SshWorld(lab)


def _ca_pin(world):
    """cluster_a's CA fingerprint as openssl prints it (upper case, colons): case and colons are ignored."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    with open(world.lab.cluster("a").ca_pem, "rb") as handle:
        ca = x509.load_pem_x509_certificate(handle.read())
    digest = hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2))


def _first_line(host, old, new):
    def breaker(world):
        path = world.path(host, "conf/mapr-clusters.conf")
        with open(path) as handle:
            first, rest = handle.read().split("\n", 1)
        assert old in first, (first, old)
        with open(path, "w") as handle:
            handle.write(first.replace(old, new, 1) + "\n" + rest)
    return breaker


def _names_another_cluster(world):
    name = world.cluster_name("a")
    _first_line("a2", name + " ", ANOTHER + " ")(world)


def _foreign_chain(world, host="a1"):
    # The node's keystore is issued by a CA that is not the cluster's; the inventory pins the real one.
    from lab.labkit import pki
    a = world.lab.cluster("a")
    intruder = pki.make_cluster_pki("intruder.example", ["%s.%s" % (host, a.name)], [])
    pki.write_keystores(world.path(host, "conf"), a.name, intruder, a.store_password)
    world.group_vars("cluster_a")["vars"]["mapr_ca_sha256"] = [_ca_pin(world)]


def _one_node_cluster_with_a_foreign_chain(world):
    group = world.group_vars("cluster_a")
    for host in [h for h in group["hosts"] if h != "a1"]:
        del group["hosts"][host]
    _foreign_chain(world)


def _left_out_with_a_foreign_chain(world):
    _foreign_chain(world)
    world.lab.stop_host("a2")


def _injecting_interpreter(world):
    path = world.path("a2", "bin/python-injecting")
    with open(path, "w") as handle:
        handle.write(INJECTING_PYTHON)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # As an extra variable: the test runner sets every host's interpreter there, which wins over the inventory.
    return {"ansible_python_interpreter": "{{ '%s' if inventory_hostname == 'a2' else '/usr/bin/python3' }}"
            % world.lab.node_view("a2", path)}


# (name, playbook, breaker, extra vars, environment, expected substrings); a breaker alters the lab or
# world.inventory, and may return more extra vars.
SCENARIOS = [
    ("line naming another cluster", PLAYBOOK, _names_another_cluster, {}, {},
     ["a2 (cluster_a): the first line of mapr-clusters.conf names c.example, but mapr_cluster_name is"]),
    ("line naming another cluster, user_trust alone", USER_TRUST_ALONE, _names_another_cluster, {}, {},
     ["user trust refuses what a cluster would hand its peers",
      "a2 (cluster_a): the first line of mapr-clusters.conf names c.example, but mapr_cluster_name is"]),
    ("secure=false line", PLAYBOOK, _first_line("a2", "secure=true", "secure=false"), {}, {},
     ["a2 (cluster_a): the first line of mapr-clusters.conf lacks secure=true"]),
    ("secure=false line, user_trust alone", USER_TRUST_ALONE, _first_line("a2", "secure=true", "secure=false"),
     {}, {}, ["a2 (cluster_a): the first line of mapr-clusters.conf lacks secure=true"]),
    ("foreign CA chain, one-node cluster", PLAYBOOK, _one_node_cluster_with_a_foreign_chain, {}, {},
     ["a1 (cluster_a): its CA chain is not the one mapr_ca_sha256 pins"]),
    ("foreign CA chain, one-node cluster, user_trust alone", USER_TRUST_ALONE,
     _one_node_cluster_with_a_foreign_chain, {}, {},
     ["user trust refuses", "a1 (cluster_a): its CA chain is not the one mapr_ca_sha256 pins"]),
    ("foreign CA chain, the other nodes left out", PLAYBOOK, _left_out_with_a_foreign_chain,
     {"preflight_skip_unreachable": True}, {},
     ["a1 (cluster_a): its CA chain is not the one mapr_ca_sha256 pins"]),
    ("fact overriding mapr_cluster_name", PLAYBOOK, _injecting_interpreter, {}, {"ANSIBLE_INJECT_FACT_VARS": "True"},
     ["a2 (cluster_a): the node returned variables besides mapr_security (mapr_cluster_name)"]),
]


@pytest.mark.parametrize("name,playbook,breaker,extra_vars,env,expected", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_a_hostile_node_is_refused_by_name_and_no_file_changes(world, tmp_path, name, playbook, breaker,
                                                               extra_vars, env, expected):
    saved_inventory = yaml.safe_dump(world.inventory)
    try:
        before = conf_state(world.lab)
        extra_vars = dict(extra_vars, **(breaker(world) or {}))
        altered = conf_state(world.lab)
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(yaml.safe_dump(world.inventory))
        os.chmod(inventory, 0o600)
        result = run_playbook(playbook, inventory=str(inventory), connection=None, env=env,
                              extra_vars=dict(extra_vars, crosscluster_trusts=PAIR))
        after = conf_state(world.lab)
    finally:
        world.inventory = yaml.safe_load(saved_inventory)
        if name.endswith("left out"):
            world.lab.start_host("a2")
        world.restore()
    assert before != altered or "fact" in name  # the breaker changed what the node reports
    assert result.rc != 0, result.describe()
    failed = [r for r in result.results if r["status"] == "failed"]
    assert len(set(r["task"] for r in failed)) == 1, result.describe()
    message = "\n".join(str(r["result"].get("msg", "")) for r in failed)
    missing = [text for text in expected if text not in message]
    assert not missing, (missing, message)
    assert not [r for r in result.results if r["result"].get("changed")], result.describe()
    # Every file on every node (the peers' above all) is byte-identical to what it was before the run.
    assert after == altered
    if name.endswith("left out"):
        said = "\n".join(str(r["result"].get("msg", "")) for r in result.results)
        assert "cluster_a: its mapr-clusters.conf line rests on one node's word (a1)" in said
    record("hostile", name, message=message[:200], files_identical=after == altered)
