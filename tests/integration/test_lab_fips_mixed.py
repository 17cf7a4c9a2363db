"""FIPS and non-FIPS nodes together, type all, end to end with the main playbook: a FIPS and a non-FIPS
cluster and a mesh of three clusters of which one is FIPS (ssh mode), and a cluster that mixes both with
a peer (local mode, to keep the time down: the FIPS steps are the same node-side code in both modes).

Each scenario on a lab of its own: check mode changes nothing and names every node, the run writes each
node in its own store formats (BCFKS + PEM through the node's keytool on a FIPS node, JKS + PKCS12 + PEM
on the others), every check is made with the lab's own tools (keytool with the provider, the JVM
handshake, maprlogin and maprcli, whose TLS reads the BCFKS store on a FIPS node), the leak scan finds
no secret, a re-run changes nothing, the drift report is clean and names the formats, and revoking
takes it all out again.

Debian's bcprov stands in for the validated bc-fips jar (tests/lab/README.md says what differs).
"""

import json
import os

import pytest
from ansible_run import ROOT, start_playbook
from lab.labkit import checks, fips
from labplay import PLAYBOOK, changed_hosts, conf_state
from leakscan import scan
from procwatch import ProcessWatch
from test_playbook_crosscluster import summary_of

pytest_plugins = ["lab.fixtures"]

REPORT = str(ROOT / "playbooks" / "report.yml")
PREFLIGHT_NOTES = "datafabric.crosscluster.preflight : Say where the truststore passwords not given were read"
FIPS_FORMAT, PLAIN_FORMAT = "FIPS (BCFKS + PEM)", "JKS + PKCS12 + PEM"


def _skip_without_provider():
    if not os.path.isfile(fips.STANDIN_JAR):
        pytest.skip("%s is missing: libbcprov-java is not installed (make system-deps, as root)" % fips.STANDIN_JAR)


def _play(lab, playbook, trusts, tmp_path, **kwargs):
    extra = {"crosscluster_trusts": trusts, "report_dir": str(tmp_path)}
    return start_playbook(playbook, inventory=lab.inventory_path, connection=None, extra_vars=extra,
                          **kwargs).wait(900)


def _peers(lab, host):
    """The clusters (letters) ``host``'s cluster trusts in these scenarios: every other one."""
    return [c.letter for c in lab.clusters if c is not lab.cluster_of(host)]


def _peer_aliases(lab, host):
    """The aliases of the peers' CAs in ``host``'s truststore of record, as its keytool reads it (with
    the provider jar on a FIPS node), under the collection's alias rule: ``<peer name>-<sha256 head>``."""
    listed = checks.jvm_aliases(lab, host)
    return sorted(alias for alias in listed for letter in _peers(lab, host)
                  if alias.startswith(lab.cluster(letter).name + "-") and alias != lab.cluster(letter).name + "-ca")


def _pem_count(lab, host):
    with open(lab.node_path(host, "conf/ssl_truststore.pem"), encoding="ascii") as handle:
        return handle.read().count("BEGIN CERTIFICATE")


def _stores(lab, host):
    """The truststore files ``host`` has, by the lab's own record of its mode."""
    conf = lab.node_path(host, "conf")
    return sorted(name for name in os.listdir(conf) if name.startswith("ssl_truststore"))


def _cldb_speakers(lab):
    return dict((c.letter, c.cldb_hosts[0]) for c in lab.clusters)


def _all_checks(lab, handshakes=True):
    """Return code of every check type all promises, every direction: a login from every node, the JVM
    handshake trusting only every node's own truststore (with ``handshakes``: a JVM each, so only where
    the trust must hold), and a server call from every CLDB speaker."""
    codes = {}
    for host in lab.hosts:
        for letter in _peers(lab, host):
            codes["login %s->%s" % (host, letter)] = checks.user_login(lab, host, letter).returncode
            if handshakes:
                codes["jvm %s->%s" % (host, letter)] = checks.jvm_handshake(lab, host, letter).returncode
    for host in _cldb_speakers(lab).values():
        for peer in _peers(lab, host):
            codes["server %s->%s" % (host, peer)] = checks.server_call(lab, host, peer).returncode
    return codes


def _secrets(lab):
    secrets = {}
    for cluster in lab.clusters:
        secrets.update({"%s store password" % cluster.name: cluster.store_password,
                        "%s owner password" % cluster.name: cluster.owner_password,
                        "%s check password" % cluster.name: cluster.check_password})
    for host in _cldb_speakers(lab).values():
        with open(lab.node_path(host, "conf/maprserverticket"), encoding="ascii") as handle:
            for number, line in enumerate(line for line in handle.read().splitlines() if line.strip()):
                secrets["%s ticket line %d" % (host, number)] = line.split()[1]
    return secrets


def _mixed_end_to_end(lab, trusts, tmp_path, name, expected_formats, expected_notes):
    """The scenario every test here runs, on ``lab`` (every cluster trusts every other one, type all).

    ``expected_formats`` maps each cluster group to its summary line's formats part; ``expected_notes``
    are the preflight notes that must be there (naming the mix)."""
    hosts = sorted(lab.hosts)
    fips_hosts = sorted(h for h in hosts if lab.hosts[h].fips)
    assert fips_hosts and len(fips_hosts) < len(hosts), "not a mix of FIPS and non-FIPS nodes"
    before = conf_state(lab)
    # Every check fails after the revoke below; before the run, one login from a FIPS node is enough to
    # show the trust is not there yet.
    assert checks.user_login(lab, fips_hosts[0], _peers(lab, fips_hosts[0])[0]).returncode != 0

    checked = _play(lab, PLAYBOOK, trusts, tmp_path, check=True, diff=True)
    assert checked.rc == 0, checked.describe()
    assert conf_state(lab) == before, "check mode changed a file"
    assert changed_hosts(checked) == hosts
    notes = checked.task(PREFLIGHT_NOTES)["msg"]
    assert [note for note in expected_notes if note not in notes] == [], notes

    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        built = _play(lab, PLAYBOOK, trusts, tmp_path, verbosity=4, env={"ANSIBLE_LOG_PATH": log_path})
    assert built.rc == 0, built.describe()
    assert changed_hosts(built) == hosts, "check mode did not predict the real run"
    # Each node in its own formats: the keytool of a FIPS node (with the provider) reads the peers' CAs in
    # its BCFKS store, the JVM's own keytool reads them in a non-FIPS node's JKS store; the PEM siblings
    # hold the node's own CA and one per peer.
    for host in hosts:
        if lab.hosts[host].fips:
            assert _stores(lab, host) == ["ssl_truststore.bcfks", "ssl_truststore.pem"], host
        else:
            assert _stores(lab, host) == ["ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem"], host
        assert len(_peer_aliases(lab, host)) == len(_peers(lab, host)), (host, checks.jvm_aliases(lab, host))
        assert _pem_count(lab, host) == 1 + len(_peers(lab, host)), host
    passing = _all_checks(lab)
    assert all(code == 0 for code in passing.values()), passing
    summary = summary_of(built)
    for group, formats in expected_formats.items():
        assert "stores       %s: %s" % (group, formats) in summary, summary
    # keytool ran on the FIPS nodes, its password in a file: never on a command line, nor anywhere else.
    assert any("-storetype BCFKS" in line and "-importcert" in line for line in watch.cmdlines)
    directories = [built.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in hosts]
    assert scan(name + ", -vvvv", _secrets(lab), built, watch, directories, log_path) == []
    for host in hosts:
        left = os.listdir(os.path.join(lab.node_root(host), "tmp"))
        assert [n for n in left if n.startswith(("crosscluster-keytool", "hsperfdata", ".crosscluster"))] == [], left

    built_state = conf_state(lab)
    again = _play(lab, PLAYBOOK, trusts, tmp_path)
    assert again.rc == 0 and changed_hosts(again) == [], again.describe()
    assert conf_state(lab) == built_state
    assert summary_of(again)[-1] == "plan: nothing to add, replace or remove on any node"

    reported = _play(lab, REPORT, trusts, tmp_path)
    assert reported.rc == 0, reported.describe()
    with open(str(tmp_path / "drift-report.json"), encoding="utf-8") as handle:
        data = json.load(handle)
    assert (data["status"], data["drifted_nodes"], data["unknown_nodes"]) == ("clean", [], []), data["findings"]
    for cluster in data["clusters"]:
        formats = dict((f["format"], f["nodes"]) for f in cluster["store_formats"])
        assert formats.get(FIPS_FORMAT, []) == [h for h in cluster["nodes"] if lab.hosts[h].fips], cluster
        assert formats.get(PLAIN_FORMAT, []) == [h for h in cluster["nodes"] if not lab.hosts[h].fips], cluster

    revoked = _play(lab, PLAYBOOK, [dict(trust, state="absent") for trust in trusts], tmp_path)
    assert revoked.rc == 0, revoked.describe()
    for host in hosts:
        assert _peer_aliases(lab, host) == [], (host, checks.jvm_aliases(lab, host))
        assert _pem_count(lab, host) == 1, host
    refused = _all_checks(lab, handshakes=False)
    assert all(code != 0 for code in refused.values()), refused


def test_a_fips_and_a_non_fips_cluster_in_ssh_mode(make_lab, tmp_path):
    """Cluster a non-FIPS, cluster b FIPS (each 2 nodes, its first the CLDB), over ssh: what the vendor's
    utility refuses, done by the same playbook."""
    _skip_without_provider()
    lab = make_lab(clusters=2, nodes=2, mode="ssh", fips=["b"])
    _mixed_end_to_end(
        lab, [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}], tmp_path, "a FIPS and a non-FIPS cluster, ssh",
        {"cluster_a": PLAIN_FORMAT + ": a1 and a2", "cluster_b": FIPS_FORMAT + ": b1 and b2"},
        ["cluster_b: a FIPS cluster (b1, b2)",
         "FIPS and non-FIPS nodes together (FIPS cluster_b; non-FIPS cluster_a): each node gets its peers' CAs "
         "in its own store formats, BCFKS + PEM on a FIPS node, JKS + PKCS12 + PEM on the others"])


def test_a_cluster_that_mixes_fips_and_non_fips_nodes_with_a_peer(make_lab, tmp_path):
    """a2 alone is a FIPS node (a1, its CLDB and speaker, is not): a's CA chain agrees across both modes,
    its peer gets it once, and each node of a gets the peer's CA in its own formats."""
    _skip_without_provider()
    lab = make_lab(clusters=2, nodes=2, fips=["a2"])
    _mixed_end_to_end(
        lab, [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}], tmp_path, "a mixed cluster and a peer, local",
        {"cluster_a": PLAIN_FORMAT + ": a1; " + FIPS_FORMAT + ": a2"},
        ["cluster_a: FIPS nodes a2, non-FIPS nodes a1",
         "FIPS and non-FIPS nodes together (mixed cluster_a; non-FIPS cluster_b): each node gets its peers' CAs "
         "in its own store formats, BCFKS + PEM on a FIPS node, JKS + PKCS12 + PEM on the others"])


def test_a_mesh_of_three_clusters_one_of_them_fips(make_lab, tmp_path):
    _skip_without_provider()
    lab = make_lab(clusters=3, nodes=1, mode="ssh", fips=["c"])
    _mixed_end_to_end(
        lab, [{"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "all"}], tmp_path,
        "a mesh of three clusters, one FIPS, ssh",
        {"cluster_a": PLAIN_FORMAT + ": a1", "cluster_c": FIPS_FORMAT + ": c1"},
        ["cluster_c: a FIPS cluster (c1)",
         "FIPS and non-FIPS nodes together (FIPS cluster_c; non-FIPS cluster_a, cluster_b): each node gets its "
         "peers' CAs in its own store formats, BCFKS + PEM on a FIPS node, JKS + PKCS12 + PEM on the others"])
