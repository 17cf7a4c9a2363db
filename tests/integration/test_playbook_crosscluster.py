"""The main playbook on the lab: user, server and all trust, in local and in ssh mode.

The order is the one an administrator lives through: check mode on a fresh lab (changes
nothing, says where it would change), the trust checks fail, the real run (at -vvvv, scanned
for secrets), the checks pass, a second run changes nothing.
"""

import os
import re

import pytest
from lab.labkit import checks, handtrust
from labplay import VERIFY, changed_hosts, conf_state, run

pytest_plugins = ["lab.fixtures"]


def trust_checks(lab, kind):
    """Return code of every check the trust kind promises, both directions."""
    codes = {}
    if kind in ("user", "all"):
        for host in lab.hosts:
            remote = "b" if host.startswith("a") else "a"
            codes["login %s->%s" % (host, remote)] = checks.user_login(lab, host, remote).returncode
        codes["jvm a3->b"] = checks.jvm_handshake(lab, "a3", "b").returncode
    if kind in ("server", "all"):
        codes["server b1->a"] = checks.server_call(lab, "b1", "a").returncode
        codes["server a1->b"] = checks.server_call(lab, "a1", "b").returncode
    return codes


CHECK_TASKS = ("datafabric.crosscluster.verify : Log in to the peer cluster",
               "datafabric.crosscluster.verify : Check server trust with a call")


def ticket_lines(lab):
    lines = []
    for host in ("a1", "b1"):
        with open(lab.node_path(host, "conf/maprserverticket")) as handle:
            lines += handle.read().split("\n")
    return [line for line in lines if line.strip()]


@pytest.mark.parametrize("mode", ["local", "ssh"])
@pytest.mark.parametrize("kind", ["user", "server", "all"])
def test_crosscluster_playbook(make_lab, kind, mode):
    lab = make_lab(mode=mode)
    if kind == "server":
        # Server trust alone: the peers already reach each other, only the tickets are missing.
        handtrust.place_user_trust(lab, lab.cluster("a"), lab.cluster("b"))
        handtrust.place_user_trust(lab, lab.cluster("b"), lab.cluster("a"))
    before = conf_state(lab)

    dry = run(lab, kind, check=True).expect_ok()
    assert conf_state(lab) == before, "check mode changed a file"
    expected_hosts = sorted(lab.hosts) if kind != "server" else ["a1", "b1"]
    assert changed_hosts(dry) == expected_hosts
    assert all(code != 0 for code in trust_checks(lab, kind).values()), trust_checks(lab, kind)
    refused = run(lab, kind, VERIFY)
    failed = set(r["task"] for r in refused.results if r["status"] == "failed")
    failing_check = ("Check server trust with a call to each peer as the server"
                     if kind == "server" else "Log in to the peer cluster as a user would (a revoked peer must refuse)")
    expected_failure = "datafabric.crosscluster.verify : " + failing_check
    assert refused.rc != 0 and failed == {expected_failure}, failed

    first = run(lab, kind, verbosity=4).expect_ok()
    assert changed_hosts(first) == expected_hosts, "check mode did not predict the real run"
    assert all(code == 0 for code in trust_checks(lab, kind).values()), trust_checks(lab, kind)
    trusted = conf_state(lab)
    verified = run(lab, kind, VERIFY).expect_ok()
    assert changed_hosts(verified) == [] and conf_state(lab) == trusted
    summary = summary_of(first)
    if kind in ("user", "all"):
        assert "user trust   cluster_a -> cluster_b: 3 nodes of cluster_a can reach and verify cluster_b; " \
               "changed on 3" in summary
    if kind in ("server", "all"):
        assert "server trust cluster_b -> cluster_a: 1 CLDB nodes of cluster_b accept cluster_a's servers; " \
               "changed on 1" in summary
    # Check mode said what would change and why, and the real run what it found: the same reasons.
    reasons = [line for line in summary if line.startswith("    ")]
    assert [line for line in summary_of(dry) if line.startswith("    ")] == reasons
    assert summary_of(dry)[-1].startswith("check mode: nothing was changed") and not summary[-1].startswith("check")
    expected = []
    if kind in ("user", "all"):
        expected += ["    line missing on 3 of 3 nodes (a1, a2 and a3): mapr-clusters.conf lacks cluster_b's line",
                     "    certificate missing on 3 of 3 nodes (a1, a2 and a3): "]
    if kind in ("server", "all"):
        expected += ["    ticket missing on 1 of 1 CLDB nodes (b1): maprserverticket has no ticket for"]
    assert [e for e in expected if not any(line.startswith(e) for line in reasons)] == [], reasons
    if kind == "server":
        assert all(line.startswith("    ticket ") for line in reasons), reasons

    # No ticket blob and no password anywhere in the -vvvv output or the run's files.
    for line in ticket_lines(lab):
        blob = line.split()[1]
        assert blob not in first.output and first.files_containing(blob) == []
    assert re.findall(r"lab\.example [A-Za-z0-9+/]{40,}", first.output) == []
    for cluster in lab.clusters:
        for secret in (cluster.store_password, cluster.owner_password, cluster.check_password):
            assert first.files_containing(secret) == []

    if mode == "ssh":
        # Each ssh-mode node has its own /tmp, so this sees only what these runs left there: the
        # in-memory ticket's private directory and verify's ticket file must both be gone.
        for host in lab.hosts:
            tmp = os.path.join(lab.node_root(host), "tmp")
            leftovers = [n for n in os.listdir(tmp) if n.startswith((".crosscluster", "maprticket_"))]
            assert leftovers == [], (host, leftovers)

    after_first = conf_state(lab)
    second = run(lab, kind).expect_ok()
    assert changed_hosts(second) == []
    assert [line for line in summary_of(second) if line.startswith("    ")] == []
    assert summary_of(second)[-1] == "plan: nothing to add, replace or remove on any node"
    assert repeated_banners(second.output) == [], "a task printed its banner once per host"
    assert "(item=a2 (cluster_a))" in second.output, "the grouping loops do not name each node's cluster"
    assert conf_state(lab) == after_first
    # A re-run that changed nothing checks nothing; all_trust_verify_all checks every pair again.
    assert trust_checks_run(first) and trust_checks_run(second) == []
    if kind == "all":
        again = run(lab, kind, extra_args=["-e", "all_trust_verify_all=true"]).expect_ok()
        assert trust_checks_run(again) == trust_checks_run(first) and changed_hosts(again) == []


def summary_of(result):
    """The lines the main playbook's summary printed in a run."""
    return [r for r in result.results if r["task"] == "Summary"][0]["result"]["msg"]


def repeated_banners(output):
    """Task banners printed twice in a row in one play, as a meta task with a condition does per host."""
    repeated, last = [], None
    for line in output.splitlines():
        if line.startswith("PLAY ["):
            last = None
        elif line.startswith("TASK ["):
            if line == last:
                repeated.append(line)
            last = line
    return repeated


def trust_checks_run(result):
    """(host, task, peer) of every login and server call the verify role made in a run."""
    return sorted((r["host"], r["task"], item.get("item")) for r in result.results
                  if r["task"].startswith(CHECK_TASKS) for item in r["result"].get("results") or []
                  if not item.get("skipped"))


def test_clusters_with_different_crosscluster_users_converge(make_lab, tmp_path):
    lab = make_lab(mode="local")
    handtrust.place_user_trust(lab, lab.cluster("a"), lab.cluster("b"))
    handtrust.place_user_trust(lab, lab.cluster("b"), lab.cluster("a"))
    # A second inventory source: cluster_b's tickets are for another user than cluster_a's.
    overrides = tmp_path / "b_user.yml"
    overrides.write_text("all:\n  children:\n    cluster_b:\n      vars:\n        mapr_crosscluster_user: mapr\n")
    first = run(lab, "server", extra_args=["-i", str(overrides)]).expect_ok()
    assert changed_hosts(first) == ["a1", "b1"]
    assert checks.server_call(lab, "b1", "a").returncode == 0
    assert checks.server_call(lab, "a1", "b").returncode == 0
    held = {}
    for host in ("a1", "b1"):
        ticketfile = lab.mapr_home(host) + "/conf/maprserverticket"
        held[host] = lab.run_on(host, ["maprlogin", "print", "-ticketfile", ticketfile]).stdout
    assert "b.lab.example: user = mapr" in held["a1"] and "a.lab.example: user = xcsuser" in held["b1"]
    second = run(lab, "server", extra_args=["-i", str(overrides)]).expect_ok()
    assert changed_hosts(second) == []
