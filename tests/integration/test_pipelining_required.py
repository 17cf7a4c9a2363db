"""Secrets go to a node over pipelining only: without it the tasks that carry one refuse before
anything is sent, and the documented opt-out (crosscluster_allow_module_files) lets them run.

Ansible without pipelining writes each module, its arguments inside, into a file in the node's
temporary directory (AnsiballZ_<module>.py, PUT at -vvv); with pipelining the module goes on the
Python's standard input and no such file is put. Both are read from Ansible's own -vvv output.
"""

import hashlib

import pytest
from ansible_run import env_lookup, fqcn, play, run_playbook
from labplay import PLAYBOOK, conf_state
from test_module_ticket_merge import line, task, write_tickets

pytest_plugins = ["lab.fixtures"]

OFF = {"ANSIBLE_PIPELINING": "0"}
MERGE = "crossclusterticket_merge"


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def merge_play(tickets, **extra):
    merge = task("merge a ticket", tickets, ticket=env_lookup("T_LINE"))
    merge.update(extra)
    return play(merge)


def test_secret_task_refuses_without_pipelining_and_sends_nothing(tmp_path):
    tickets = write_tickets(tmp_path / "maprserverticket", ["a", "b"])
    before = sha256(tickets)
    result = run_playbook(merge_play(tickets), env=OFF, verbosity=3, secret_env={"T_LINE": line("c")},
                          tmp_dir=tmp_path)
    assert result.task("merge a ticket").get("failed") is True, result.describe()
    msg = result.task("merge a ticket")["msg"]
    for part in ("host localhost", fqcn(MERGE), "option ticket", "pipelining is off",
                 "Fix: set ansible_pipelining: true", "ANSIBLE_PIPELINING=true", "become_method su",
                 "crosscluster_allow_module_files: true"):
        assert part in msg, (part, msg)
    # Refused before the module was built for the node: no module file put, no tmp dir made.
    assert "AnsiballZ_%s" % MERGE not in result.output, result.output[-3000:]
    assert "mkdir" not in result.output
    assert sha256(tickets) == before
    assert line("c") not in result.output


def test_su_cannot_pipeline_and_is_named(tmp_path):
    tickets = write_tickets(tmp_path / "maprserverticket", ["a"])
    before = sha256(tickets)
    # Pipelining on, but su never pipelines: refused before su is even tried (no password asked).
    result = run_playbook(merge_play(tickets, become=True, become_method="su"), secret_env={"T_LINE": line("c")},
                          tmp_dir=tmp_path)
    assert result.task("merge a ticket").get("failed") is True, result.describe()
    msg = result.task("merge a ticket")["msg"]
    assert "its become method (su) cannot pipeline" in msg, msg
    assert sha256(tickets) == before


def test_opt_out_writes_the_module_file_and_runs(tmp_path):
    tickets = write_tickets(tmp_path / "maprserverticket", ["a"])
    result = run_playbook(merge_play(tickets), env=OFF, verbosity=3, secret_env={"T_LINE": line("c")},
                          extra_vars={"crosscluster_allow_module_files": True}, tmp_dir=tmp_path).expect_ok()
    assert result.task("merge a ticket")["changed"] is True
    assert tickets.read_text() == line("a") + "\n" + line("c") + "\n"
    # The cost the opt-out accepts, seen: the module (its arguments inside) was put in a file.
    assert "AnsiballZ_%s" % MERGE in result.output


def test_opt_out_must_be_a_boolean(tmp_path):
    tickets = write_tickets(tmp_path / "maprserverticket", ["a"])
    result = run_playbook(merge_play(tickets), env=OFF, secret_env={"T_LINE": line("c")},
                          extra_vars={"crosscluster_allow_module_files": "perhaps"}, tmp_dir=tmp_path)
    assert result.task("merge a ticket").get("failed") is True, result.describe()
    msg = result.task("merge a ticket")["msg"]
    assert "variable crosscluster_allow_module_files is 'perhaps', not true or false" in msg, msg


def test_tasks_without_secrets_still_run_without_pipelining(tmp_path):
    # A ticket merge that only removes carries no ticket: nothing to refuse.
    tickets = write_tickets(tmp_path / "maprserverticket", ["a", "b"])
    result = run_playbook(play(task("drop b", tickets, cluster=line("b").split()[0], state="absent")),
                          env=OFF, tmp_dir=tmp_path).expect_ok()
    assert result.task("drop b")["changed"] is True


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from lab.labkit import Lab
    lab = Lab(str(tmp_path_factory.mktemp("lab-pipe")), clusters=2, nodes=2, mode="local")
    with lab.up():
        yield lab


def test_main_playbook_stops_at_the_gate_without_pipelining(lab):
    before = conf_state(lab)
    result = run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None,
                          extra_vars={"ansible_pipelining": False,
                                      "crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"],
                                                               "type": "all"}]})
    assert result.rc != 0, result.describe()
    failed = [r for r in result.results if r["status"] == "failed"]
    assert len(set(r["task"] for r in failed)) == 1, result.describe()
    message = str(failed[0]["result"]["msg"])
    for host in lab.hosts:
        assert "%s (cluster_" % host in message, (host, message)
    assert "the tasks that carry secrets (passwords, tickets) would not run on it: pipelining is off" in message
    assert "crosscluster_allow_module_files: true" in message
    assert not [r for r in result.results if r["result"].get("changed")], result.describe()
    assert conf_state(lab) == before


def test_main_playbook_runs_without_pipelining_with_the_opt_out(lab):
    before = conf_state(lab)
    run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None,
                 extra_vars={"ansible_pipelining": False, "crosscluster_allow_module_files": True,
                             "all_trust_verify": False,
                             "crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]}
                 ).expect_ok()
    after = conf_state(lab)
    assert after != before
    # Server trust was built: each CLDB node's ticket file gained the peer's ticket.
    for letter in ("a", "b"):
        cldb = lab.cluster(letter).cldb_hosts[0]
        key = "%s:maprserverticket" % cldb
        assert after[key] != before[key], key
