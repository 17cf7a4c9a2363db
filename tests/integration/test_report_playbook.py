"""The drift report playbook on a 4-cluster mesh (local mode), the way a cron job lives through it.

One story on one lab, because every step starts from the state the one before left: the main
playbook builds the mesh and the report is clean; one store of one node loses a peer's CA and the
report names that node alone (while changing no byte under any node's root, and leaking nothing at
-vvvv); the main playbook repairs that node alone and the report is clean again; cluster b renews
its CA and the report finds b's old CA stale and its new one missing on every other cluster's
nodes; the main playbook fixes exactly those and the report is clean once more.

A second, smaller story pairs two clusters with two real MIT KDCs and has the report compare their
cross-realm principals, through the role's own delegation to each cluster's KDC host.

The main playbook runs without its verify role: verify is tested elsewhere, and the report, not a
login, is what is under test here.
"""

import json
import os
import secrets
from pathlib import Path

from ansible_run import ROOT, start_playbook
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lab.labkit import renew
from labplay import PLAYBOOK, changed_hosts
from leakscan import scan
from procwatch import ProcessWatch
from stores import PASSWORD_ENV, keytool, keytool_list

pytest_plugins = ["lab.fixtures", "kdc.fixtures"]

REPORT = str(ROOT / "playbooks" / "report.yml")
GROUPS = ["cluster_a", "cluster_b", "cluster_c", "cluster_d"]
MESH = [{"mesh": GROUPS, "type": "all"}]
PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
STORES = ["ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem"]
FAIL_TASK = ("datafabric.crosscluster.report : Fail when the trust has drifted or a node could not be read "
             "(for cron and CI)")


def play(lab, playbook, out_dir, trusts=None, **kwargs):
    extra = {"crosscluster_trusts": MESH if trusts is None else trusts, "report_dir": str(out_dir),
             "all_trust_verify": False}
    return start_playbook(playbook, inventory=lab.inventory_path, connection=None, extra_vars=extra,
                          **kwargs).wait(300)


def report(lab, out_dir, trusts=None, **kwargs):
    """Run the report playbook; (its Result, the JSON report, the Markdown report)."""
    for name in ("drift-report.json", "drift-report.md"):
        (out_dir / name).unlink(missing_ok=True)  # a report left from the run before must not pass for this one
    result = play(lab, REPORT, out_dir, trusts, **kwargs)
    assert (out_dir / "drift-report.json").exists(), result.describe()
    data = json.loads((out_dir / "drift-report.json").read_text(encoding="utf-8"))
    assert str(out_dir / "drift-report.md") in result.stdout  # it says where
    assert not changed_hosts(result), "the report changed something: %s" % changed_hosts(result)
    return result, data, (out_dir / "drift-report.md").read_text(encoding="utf-8")


def expect_clean(lab, out_dir):
    result, data, markdown = report(lab, out_dir)
    assert result.rc == 0, result.describe()
    assert (data["status"], data["drifted_nodes"], data["unknown_nodes"]) == ("clean", [], []), data["findings"]
    for row in GROUPS:
        for column in GROUPS:
            if row != column:
                assert data["matrix"]["cells"][row][column] == {
                    "user": "ok", "server": "ok", "kerberos": "not configured"}, (row, column)
    assert "**Status: clean.**" in markdown
    assert "| **cluster_a** | - | ok / ok / not configured | ok / ok / not configured | ok / ok / not configured |" \
        in markdown
    return data


def expect_drift(result, data, markdown, nodes):
    assert result.rc != 0 and result.results[-1]["task"] == FAIL_TASK, result.describe()
    assert data["status"] == "drift" and data["unknown_nodes"] == []
    assert data["drifted_nodes"] == nodes
    assert sorted(set(f["host"] for f in data["findings"])) == nodes, data["findings"]
    message = result.results[-1]["result"]["msg"]
    assert "drift on %s (" % ", ".join(nodes) in message and "unknown on no node" in message
    assert "Drift on: %s." % ", ".join(nodes) in markdown


def node_files(lab):
    """Every file and directory under every node's root: mode and bytes (or link target)."""
    found = {}
    for host in lab.hosts:
        for path in sorted(Path(lab.node_root(host)).rglob("*")):
            info = path.lstat()
            content = (os.readlink(path) if path.is_symlink() else path.read_bytes() if path.is_file() else None)
            found[str(path)] = (info.st_mode, content)
    return found


def ca_sha256(lab, letter):
    with open(lab.cluster(letter).ca_pem, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read()).fingerprint(hashes.SHA256()).hex()


def secrets_of(lab):
    found = {}
    for cluster in lab.clusters:
        found.update({"%s store password" % cluster.name: cluster.store_password,
                      "%s owner password" % cluster.name: cluster.owner_password,
                      "%s cross-cluster password" % cluster.name: cluster.xcs_password})
        for host in cluster.cldb_hosts:
            with open(lab.node_path(host, "conf/maprserverticket"), encoding="ascii") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        found["ticket %s:%d" % (host, number)] = line.split()[1]
    return found


def test_the_report_follows_the_mesh_through_tampering_and_a_renewed_ca(make_lab, tmp_path):
    lab = make_lab(clusters=4, nodes=2)
    out = tmp_path / "report"
    everyone = sorted(lab.hosts)

    built = play(lab, PLAYBOOK, out).expect_ok()
    assert changed_hosts(built) == everyone
    clean = expect_clean(lab, out)
    assert [c["name"] for c in clean["clusters"]] == [lab.cluster(g).name for g in GROUPS]
    old_b = ca_sha256(lab, "b")
    assert [c["sha256"] for c in clean["clusters"][1]["ca"]] == [old_b]

    # --- one store of one node loses a peer's CA
    a = lab.cluster("a")
    b = lab.cluster("b")
    p12 = lab.node_path("b2", "conf/ssl_truststore.p12")
    alias = "%s-%s" % (a.name, ca_sha256(lab, "a")[:12])
    assert alias in keytool_list(p12, b.store_password, "PKCS12")
    keytool("-delete", "-alias", alias, "-keystore", p12, "-storetype", "PKCS12", "-storepass:env", PASSWORD_ENV,
            password=b.store_password)
    before = node_files(lab)
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result, data, markdown = report(lab, out, verbosity=4, env={"ANSIBLE_LOG_PATH": log_path})
    assert node_files(lab) == before, "the report changed a file under a node's root"
    expect_drift(result, data, markdown, ["b2"])
    assert [f["message"] for f in data["findings"]] == [
        "ssl_truststore.p12 lacks cluster_a's CA CN=%s lab CA,O=datafabric lab (sha256 %s)"
        % (a.name, ca_sha256(lab, "a")[:12])]
    cells = data["matrix"]["cells"]
    assert cells["cluster_b"]["cluster_a"]["user"] == "drift"
    assert [cells[r][c]["user"] for r in GROUPS for c in GROUPS if r != c].count("drift") == 1
    assert data["nodes"]["b2"]["would_change"]["user"]["truststore_changes"] is True
    assert [h for h, n in data["nodes"].items() if n["status"] != "ok"] == ["b2"]
    assert "| drift | b2 | cluster_b | cluster_a | user | ssl_truststore.p12 lacks cluster_a's CA" in markdown
    directories = [result.run_dir, str(out)] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    assert scan("drift report playbook, 4x2 local lab, -vvvv", secrets_of(lab), result, watch, directories,
                log_path) == []

    repaired = play(lab, PLAYBOOK, out).expect_ok()
    assert changed_hosts(repaired) == ["b2"]
    expect_clean(lab, out)

    # --- cluster b renews its CA; its peers still trust the old one
    renew.renew_ca(lab, "b")
    new_b = ca_sha256(lab, "b")
    assert new_b != old_b
    peers = [h for h in everyone if not h.startswith("b")]
    result, data, markdown = report(lab, out)
    expect_drift(result, data, markdown, peers)
    assert [c["sha256"] for c in data["clusters"][1]["ca"]] == [new_b]
    for pair in data["pairs"]:
        for direction in pair["directions"]:
            if direction["to"] != "cluster_b":
                assert direction["user"]["cell"] == "ok" and direction["server"]["cell"] == "ok", direction
                continue
            assert direction["user"]["cell"] == "drift" and direction["server"]["cell"] == "ok"
            for host, node in direction["user"]["nodes"].items():
                assert node["conf"] == "ok"
                assert [(s["alias"], s["sha256"], s["stores"]) for s in node["stale"]] == [
                    ("%s-%s" % (b.name, old_b[:12]), old_b, STORES)], host
                assert [(c["sha256"], c["missing_from"]) for c in node["certificates"]] == [(new_b, STORES)], host
    for host in peers:
        change = data["nodes"][host]["would_change"]["user"]
        assert change["truststore_changes"] and [c["sha256"] for c in change["certificates_remove"]] == [old_b]
    assert "an old CA of cluster_b (sha256 %s)" % old_b[:12] in markdown
    assert "ssl_truststore, ssl_truststore.p12, ssl_truststore.pem lack cluster_b's CA" in markdown

    fixed = play(lab, PLAYBOOK, out).expect_ok()
    assert changed_hosts(fixed) == peers
    for host in peers:
        held = keytool_list(lab.node_path(host, "conf/ssl_truststore"), lab.cluster_of(host).store_password)
        assert "%s-%s" % (b.name, new_b[:12]) in held and "%s-%s" % (b.name, old_b[:12]) not in held
    expect_clean(lab, out)


def test_the_report_compares_the_cross_realm_principals_of_both_kdcs(make_lab, two_realms, tmp_path):
    lab = make_lab(clusters=2, nodes=1)
    kdcs = two_realms
    a, b = kdcs.a, kdcs.b
    principals = ["krbtgt/%s@%s" % (b.name, a.name), "krbtgt/%s@%s" % (a.name, b.name)]
    shared = secrets.token_urlsafe(24)
    for realm in (a.name, b.name):
        for principal in principals:
            kdcs.addprinc(realm, principal, shared)
    kerberos = {"all": {"children": {
        "cluster_a": {"vars": {"kerberos_realm": a.name}},
        "cluster_b": {"vars": {"kerberos_realm": b.name}},
        "cluster_a_kdc": {"hosts": {"kdc_a": {"ansible_connection": "local", "kerberos_kdc_profile": a.kdc_conf,
                                              "kerberos_krb5_config": kdcs.krb5_config}}},
        "cluster_b_kdc": {"hosts": {"kdc_b": {"ansible_connection": "local", "kerberos_kdc_profile": b.kdc_conf,
                                              "kerberos_krb5_config": kdcs.krb5_config}}},
    }}}
    inventory = tmp_path / "kerberos.json"
    inventory.write_text(json.dumps(kerberos), encoding="utf-8")
    out = tmp_path / "report"

    def kerberos_report():
        # User and server trust are not built here: the report says so, which is not under test.
        result, data, _markdown = report(lab, out, PAIR, extra_args=["-i", str(inventory)])
        assert data["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] in ("drift", "unknown")
        assert result.rc != 0, result.describe()
        assert [c["realm"] for c in data["clusters"]] == [a.name, b.name]
        text = json.dumps(data)
        assert "key_digests" not in text and shared not in text
        return data, [f["message"] for f in data["findings"] if f["kind"] == "kerberos"]

    data, found = kerberos_report()
    assert found == []
    cells = data["matrix"]["cells"]
    assert (cells["cluster_a"]["cluster_b"]["kerberos"], cells["cluster_b"]["cluster_a"]["kerberos"]) == ("ok", "ok")
    detail = data["pairs"][0]["directions"][0]["kerberos"]["detail"]
    assert detail == {"status": "ok", "principal": principals[0], "kvno": {a.name: 1, b.name: 1}}

    # One KDC re-keyed by hand: that direction drifts, the other does not.
    kdcs.cpw(b.name, principals[0], secrets.token_urlsafe(24))
    data, found = kerberos_report()
    assert found == ["%s differs between the two KDCs (kvno, enctypes or keys)" % principals[0]]
    cells = data["matrix"]["cells"]
    assert (cells["cluster_a"]["cluster_b"]["kerberos"], cells["cluster_b"]["cluster_a"]["kerberos"]) == (
        "drift", "ok")

    # A node whose facts cannot be gathered is named as unknown; the run goes on for the others.
    conf = lab.node_path("b1", "conf/mapr-clusters.conf")
    os.rename(conf, conf + ".away")
    try:
        data, found = kerberos_report()
    finally:
        os.rename(conf + ".away", conf)
    assert data["unknown_nodes"] == ["b1"] and data["nodes"]["b1"]["status"] == "unknown"
    assert "mapr-clusters.conf" in data["nodes"]["b1"]["error"], data["nodes"]["b1"]
    assert data["nodes"]["a1"]["error"] is None
    assert found == ["%s differs between the two KDCs (kvno, enctypes or keys)" % principals[0]]
