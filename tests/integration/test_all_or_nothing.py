"""All or nothing on remote failures, on the ssh-mode lab (issue 19).

A remote step that changes no file (generating the crosscluster tickets on each cluster's CLDB)
runs before the first write, and a failure there ends the run for every node: every file on every
node is byte-identical afterwards, and the run names what failed. Before, user trust had been
written on every node by the time a peer's CLDB refused to generate the ticket.

- a misspelt cross-cluster user for one cluster: its CLDB refuses to make the ticket;
- a generator whose maprlogin makes a ticket naming another cluster (it would replace that
  cluster's ticket on the peers): refused by name.
"""

import os

import pytest
import yaml
from ansible_run import run_playbook
from lab.labkit import ssh_mode_unavailable
from labplay import PLAYBOOK, conf_state, start
from reliability import record

pytest_plugins = ["lab.fixtures"]

pytestmark = pytest.mark.skipif(ssh_mode_unavailable() is not None, reason=str(ssh_mode_unavailable()))

ALL = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
GENERATOR_TASK = "datafabric.crosscluster.server_trust : Stop the run, before any file changes, if the ticket " \
    "could not be generated or is for another cluster"
# The writes of the run; none may have run.
WRITERS = ("datafabric.crosscluster.peer_trust", "datafabric.crosscluster.crossclusterticket_merge",
           "datafabric.crosscluster.krb5_principal", "datafabric.crosscluster.krb5_conf")


def _stopped_before_any_write(result, before, after):
    assert result.rc != 0, result.describe()
    failed = [r for r in result.results if r["status"] in ("failed", "unreachable")]
    assert failed and set(r["task"] for r in failed) == {GENERATOR_TASK}, result.describe()
    assert not [r for r in result.results if r["action"] in WRITERS], result.describe()
    # Generating a ticket reports a change, though it writes no file; nothing else changed.
    assert not [r for r in result.results if r["result"].get("changed")
                and r["action"] != "datafabric.crosscluster.maprlogin"], result.describe()
    # ansible-playbook ran no play after the aborted one: neither the writes nor the summary.
    assert "PLAY [Build user trust" not in result.stdout and "PLAY [Summary]" not in result.stdout
    assert after == before
    return failed


def _misspelt_inventory(lab, tmp_path):
    with open(lab.inventory_path) as handle:
        inventory = yaml.safe_load(handle)
    cluster_b = inventory["all"]["children"]["mapr_clusters"]["children"]["cluster_b"]["vars"]
    cluster_b["mapr_crosscluster_user"] = "xcsusr"
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    os.chmod(path, 0o600)
    return str(path)


def _misspelt_user_named(lab, result):
    failed = [r for r in result.results if r["status"] in ("failed", "unreachable")]
    generator = lab.cluster("b").cldb_hosts[0]
    assert [r["host"] for r in failed] == [generator], result.describe()
    message = failed[0]["result"]["msg"]
    assert message.startswith("%s: could not generate its cluster's crosscluster ticket" % generator), message
    assert "xcsusr" in message and "no file was changed" in message, message
    return message


def test_a_misspelt_crosscluster_user_stops_the_run_with_every_file_unchanged(lab_ssh, tmp_path):
    lab = lab_ssh
    path = _misspelt_inventory(lab, tmp_path)
    before = conf_state(lab)
    # Preflight's look-up of the user on the nodes is off (preflight_check_users: false, as where the
    # nodes' directory cannot be listed), so B's CLDB is the first to see the misspelling.
    result = run_playbook(PLAYBOOK, inventory=path, connection=None,
                          extra_vars={"crosscluster_trusts": ALL, "preflight_check_users": False})
    _stopped_before_any_write(result, before, conf_state(lab))
    message = _misspelt_user_named(lab, result)
    record("bad_input", "misspelt cross-cluster user", where="role", message=message[:200], files_identical=True)


# A provisioning play of one's own (docs/examples/provisioning.yml without its own tasks): the roles
# share one play, so nothing but any_errors_fatal keeps A's nodes from writing after B's CLDB fails.
SINGLE_PLAY = """---
- name: Cross-cluster trust from a play of one's own
  hosts: mapr_clusters
  gather_facts: false
  tasks:
    - name: Set up every trust in crosscluster_trusts
      ansible.builtin.include_role:
        name: datafabric.crosscluster.all_trust
"""


def test_the_all_trust_role_in_one_play_stops_on_a_misspelt_user_with_every_file_unchanged(lab_ssh, tmp_path):
    lab = lab_ssh
    path = _misspelt_inventory(lab, tmp_path)
    playbook = tmp_path / "provision.yml"
    playbook.write_text(SINGLE_PLAY)
    before = conf_state(lab)
    result = run_playbook(str(playbook), inventory=path, connection=None,
                          extra_vars={"crosscluster_trusts": ALL, "preflight_check_users": False})
    _stopped_before_any_write(result, before, conf_state(lab))
    message = _misspelt_user_named(lab, result)
    record("bad_input", "misspelt cross-cluster user (all_trust role)", where="role", message=message[:200],
           files_identical=True)


def test_a_ticket_for_another_cluster_is_refused_with_every_file_unchanged(lab_ssh):
    lab = lab_ssh
    generator = lab.cluster("b").cldb_hosts[0]
    expected, claimed = lab.cluster("b").name, "c.lab.example"
    # b1's maprlogin makes its ticket as usual, then the ticket line names another cluster: what a
    # CLDB node whose maprlogin reaches another cluster, or a tampered tool, would hand over.
    tool = lab.node_path(generator, "bin/maprlogin")
    os.rename(tool, tool + ".real")
    with open(tool, "w") as handle:
        handle.write("""#!/bin/sh
out=; prev=
for arg in "$@"; do [ "$prev" = "-out" ] && out=$arg; prev=$arg; done
"$0.real" "$@" || exit $?
if [ "$1" = generateticket ] && [ -n "$out" ]; then
  sed -i 's/^[^ ]* /%s /' "$out"
fi
""" % claimed)
    os.chmod(tool, 0o755)
    try:
        before = conf_state(lab)
        result = start(lab, "all").wait()
        after = conf_state(lab)
    finally:
        os.replace(tool + ".real", tool)
    failed = _stopped_before_any_write(result, before, after)
    assert [r["host"] for r in failed] == [generator], result.describe()
    message = failed[0]["result"]["msg"]
    assert message.startswith("%s: maprlogin generateticket made a ticket for cluster %s, but the host's cluster "
                              "is %s (mapr_cluster_name)" % (generator, claimed, expected)), message
    assert "Fix: " in message
    # The ticket never shows: the generating task's result is censored, and no ticket line is in the output.
    generated = [r["result"] for r in result.results
                 if r["action"] == "datafabric.crosscluster.maprlogin" and r["host"] == generator]
    assert generated and "ticket" not in generated[-1], result.describe()
    assert claimed + " " not in result.output
    record("bad_input", "ticket for another cluster", where="role", message=message[:200], files_identical=True)
