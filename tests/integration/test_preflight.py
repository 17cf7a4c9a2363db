"""preflight on the lab: every broken prerequisite is named at once, and nothing changes."""

import re

from labplay import conf_state, run

pytest_plugins = ["lab.fixtures"]

BCFKS = bytes([0x30, 0x06, 0x30, 0x02, 0x05, 0x00, 0x05, 0x00])


def rewrite(path, old, new):
    with open(path) as handle:
        text = handle.read()
    assert old in text, (path, old)
    with open(path, "w") as handle:
        handle.write(text.replace(old, new))


def test_every_problem_is_reported_before_any_change(make_lab):
    lab = make_lab(mode="local")
    a, b = lab.cluster("a"), lab.cluster("b")
    # a1 is not secure; b2 holds a BCFKS store (so cluster_b is half FIPS); cluster_b runs as hdfs;
    # b's exporter (b1) names a CLDB nobody listens on.
    rewrite(lab.node_path("a1", "conf/mapr-clusters.conf"), "secure=true", "secure=false")
    with open(lab.node_path("b2", "conf/ssl_truststore.bcfks"), "wb") as handle:
        handle.write(BCFKS)
    for host in b.hosts:
        rewrite(lab.node_path(host, "conf/daemon.conf"), "mapr.daemon.user=mapr", "mapr.daemon.user=hdfs")
    cldb = lab.cldb_endpoint("b")[0]
    rewrite(lab.node_path("b1", "conf/mapr-clusters.conf"), cldb + ":", "127.0.0.251:")
    before = conf_state(lab)

    result = run(lab, "all")
    assert result.rc != 0 and conf_state(lab) == before
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    problems = "\n".join(failure["msg"])
    assert failure["msg"][0] == "Cross-cluster trust cannot be set up; nothing was changed."
    assert "a1 (cluster_a): the first line of mapr-clusters.conf lacks secure=true" in problems
    assert "b2 (cluster_b): ssl_truststore.bcfks is a BCFKS store (FIPS mode)" in problems
    assert "cluster_b: FIPS mode differs inside the cluster (on: b2)" in problems
    assert "cluster_a runs as mapr and cluster_b as hdfs" in problems
    assert "cannot reach any CLDB of %s (tried 127.0.0.251:7443)" % b.name in problems
    assert re.search(r"^a\d cannot reach", problems, re.M)
    # Nothing after preflight ran: no trust task has a result.
    assert not [r for r in result.results if "user_trust" in r["task"] or "server_trust" in r["task"]]
    assert a.name not in open(lab.node_path("b3", "conf/mapr-clusters.conf")).read()


def test_same_name_and_missing_user_in_ssh_mode(make_lab):
    lab = make_lab(mode="ssh")
    a, b = lab.cluster("a"), lab.cluster("b")
    for host in b.hosts:
        rewrite(lab.node_path(host, "conf/mapr-clusters.conf"), b.name + " ", a.name + " ")
    before = conf_state(lab)
    result = run(lab, "server", extra_args=["-e", "preflight_crosscluster_user=nosuchuser"])
    assert result.rc != 0 and conf_state(lab) == before
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    problems = "\n".join(failure["msg"])
    assert "cluster_a and cluster_b are both named %s" % a.name in problems
    assert "a1 (cluster_a): the cross-cluster user 'nosuchuser' does not exist" in problems
    assert "b1 (cluster_b): the cross-cluster user 'nosuchuser' does not exist" in problems
