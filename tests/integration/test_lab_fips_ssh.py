"""FIPS-to-FIPS, type all, over ssh, end to end: two clusters whose nodes are all FIPS nodes (BCFKS
stores, the provider jar under /opt/mapr/lib), each node a host of its own with its own sshd, /opt/mapr
and /tmp, reached by Ansible over ssh as in production.

One lab, one test (the steps build on each other, so they are not split across pytest-xdist workers),
in the order an administrator goes: a preflight stop, check mode, the build, logins and server calls
across, a re-run, the drift report (clean, then on a tampered store, then repaired), the revoke, the
report again. Every check uses the lab's own tools
(keytool with the node's provider, the JVM's handshake, maprlogin, maprcli), never the collection's
code; every run is searched for every secret (leakscan).

Debian's bcprov stands in for the validated bc-fips jar (tests/lab/README.md says what differs).
"""

import json
import os
import subprocess
import time
from types import SimpleNamespace

import pytest
from ansible_run import ROOT, start_playbook
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lab.labkit import checks, fips, handtrust
from lab.labkit.node.mapr_node import STORE_PASSWORD_ENV, keytool_bcfks_argv, provider_jar
from labplay import PLAYBOOK, changed_hosts, conf_state
from leakscan import scan
from procwatch import ProcessWatch

pytest_plugins = ["lab.fixtures"]

REPORT = str(ROOT / "playbooks" / "report.yml")
ALL = {"clusters": ["cluster_a", "cluster_b"], "type": "all"}
REVOKE = dict(ALL, state="absent")


def _skip_without_provider():
    if not os.path.isfile(fips.STANDIN_JAR):
        pytest.skip("%s is missing: libbcprov-java is not installed (make system-deps, as root)" % fips.STANDIN_JAR)


class Runs:
    """Every playbook run of the test, each at -vvvv with one ANSIBLE_LOG_PATH and its command lines
    watched, so the leak scan at the end covers the whole."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.report_dir = tmp_path / "report"
        self.report_dir.mkdir()
        self.log_path = str(tmp_path / "ansible.log")
        self.done = []  # (what, Result, ProcessWatch)
        self.seconds = []  # (what, wall-clock seconds), printed at the end

    def run(self, what, playbook, trusts, **kwargs):
        extra = {"crosscluster_trusts": trusts, "report_dir": str(self.report_dir)}
        started = time.monotonic()
        with ProcessWatch() as watch:
            result = start_playbook(playbook, inventory=self.lab.inventory_path, connection=None, extra_vars=extra,
                                    verbosity=4, env={"ANSIBLE_LOG_PATH": self.log_path}, **kwargs).wait(600)
        self.done.append((what, result, watch))
        self.seconds.append((what, time.monotonic() - started))
        return result

    def report(self, what, trusts):
        path = self.report_dir / "drift-report.json"
        if path.exists():
            path.unlink()  # a report left from the run before must not pass for this one
        result = self.run(what, REPORT, trusts)
        assert path.exists(), result.describe()
        assert changed_hosts(result) == [], "the report changed something"
        return result, json.loads(path.read_text(encoding="utf-8"))


def _ca_alias(cluster):
    """The collection's alias for a peer's CA: the peer's name and the start of its SHA-256."""
    with open(cluster.ca_pem, "rb") as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    return "%s-%s" % (cluster.name, cert.fingerprint(hashes.SHA256()).hex()[:12])


def _bcfks_aliases(lab, host):
    """What keytool, with the node's provider jar, lists in the node's BCFKS truststore."""
    return checks.jvm_aliases(lab, host)


def _pem_count(lab, host, cluster):
    with open(lab.node_path(host, "conf/ssl_truststore.pem"), "rb") as handle:
        certs = x509.load_pem_x509_certificates(handle.read())
    with open(cluster.ca_pem, "rb") as handle:
        wanted = x509.load_pem_x509_certificate(handle.read())
    return sum(1 for cert in certs if cert == wanted)


def _conf_names(lab, host):
    with open(lab.node_path(host, "conf/mapr-clusters.conf"), encoding="utf-8") as handle:
        return [line.split()[0] for line in handle if line.strip()]


def _ticket_clusters(lab, host):
    with open(lab.node_path(host, "conf/maprserverticket"), encoding="ascii") as handle:
        return [line.split()[0] for line in handle if line.strip()]


def _ticket_blobs(lab):
    blobs = {}
    for cluster in lab.clusters:
        for host in cluster.cldb_hosts:
            with open(lab.node_path(host, "conf/maprserverticket"), encoding="ascii") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        blobs["ticket %s:%d" % (host, number)] = line.split()[1]
    return blobs


def _peer(lab, host):
    own = lab.cluster_of(host)
    return [c for c in lab.clusters if c is not own][0]


def _text(msg):
    return msg if isinstance(msg, str) else "\n".join(msg)


def _node_tmp(lab, host):
    return os.path.join(lab.node_root(host), "tmp")


def _new_in_tmp(lab, before):
    """What the runs left in each node's /tmp beyond what was there before: every file, and every
    directory other than Ansible's remote_tmp (which the test runner points into the node's /tmp,
    which Ansible keeps, and which must be empty: keytool's private directories live under it)."""
    left = []
    for host in lab.hosts:
        tmp = _node_tmp(lab, host)
        for name in sorted(set(os.listdir(tmp)) - set(before[host])):
            for root, dirs, names in os.walk(os.path.join(tmp, name)):
                left += [os.path.join(root, n) for n in names]
                if not dirs and not names and os.path.basename(root) != "remote-tmp":
                    left.append(root + "/")
                if os.path.basename(root) == "remote-tmp":
                    left += [os.path.join(root, d) + "/" for d in dirs]
                    dirs[:] = []
    return left


def _password_files(lab):
    """Any file or directory named like keytool's password file or private directory, on any node."""
    found = []
    for host in lab.hosts:
        for root, dirs, names in os.walk(lab.node_root(host)):
            found += [os.path.join(root, n) for n in names + dirs if "storepass" in n or "crosscluster-keytool" in n]
    return found


def test_all_trust_between_fips_clusters_over_ssh_end_to_end(make_lab, tmp_path):
    """Preflight, check mode, build, logins and calls across, re-run, reports, repair, revoke, leak scan."""
    _skip_without_provider()
    started = time.monotonic()
    lab = make_lab(clusters=2, nodes=2, mode="ssh", fips=["a", "b"])
    a, b = lab.cluster("a"), lab.cluster("b")
    assert a.fips and b.fips
    runs = Runs(lab, tmp_path)
    tmp_before = dict((host, os.listdir(_node_tmp(lab, host))) for host in lab.hosts)
    assert checks.user_login(lab, "a2", "b").returncode != 0

    # Preflight: a BCFKS store keytool cannot open (here: the inventory's password is wrong) stops the
    # run before any change, naming the host and the store on the node; the password is in no message.
    before = conf_state(lab)
    wrong = "Wrong-" + a.store_password[::-1]
    stopped = runs.run("preflight", PLAYBOOK, [ALL], secret_vars={"crosscluster_truststore_password": wrong})
    assert stopped.rc != 0 and conf_state(lab) == before and changed_hosts(stopped) == []
    messages = "\n".join(_text(r["result"]["msg"]) for r in stopped.results if r["status"] == "failed")
    for host in lab.hosts:
        assert "%s (%s): /opt/mapr/conf/ssl_truststore.bcfks: keytool cannot open the BCFKS store: the store " \
               "password is wrong" % (host, lab.cluster_of(host).group) in messages, messages

    # The administrator of a2 trusts b's CA already, by hand, under an alias of their own (BCFKS and PEM).
    handtrust.import_ca_by_keytool(lab, "a2", b, "corporate-b")
    before = conf_state(lab)

    # Check mode with diff: every node would change (a2 its line only), nothing does.
    checked = runs.run("check mode", PLAYBOOK, [ALL], check=True, diff=True)
    assert checked.rc == 0, checked.describe()
    assert conf_state(lab) == before and changed_hosts(checked) == sorted(lab.hosts)
    # One write per node (peer_trust): its BCFKS store, its PEM sibling and its lines.
    writes = dict((r["host"], r) for r in checked.results if r["action"].endswith("peer_trust"))
    for host in ("a1", "b1", "b2"):
        peer, result = _peer(lab, host), writes[host]["result"]
        assert result["truststore"]["store_type"] == "bcfks", host
        assert [item["alias"] for item in result["truststore"]["imported"]] == [_ca_alias(peer)], host
        store_diff = [d for d in result["diff"] if d["before_header"].endswith("/ssl_truststore.bcfks")]
        assert len(store_diff) == 1, result["diff"]
        assert _ca_alias(peer) in store_diff[0]["after"] and _ca_alias(peer) not in store_diff[0]["before"]
    # The alias rule: a certificate the store holds under any alias is not imported again, so a2's
    # store has nothing to do (the plan, made from the gathered BCFKS store, says so): its write
    # changes its line only, and no keytool runs for it.
    assert writes["a2"]["result"]["changed"] and "truststore" not in writes["a2"]["result"], writes["a2"]

    # The build.
    built = runs.run("build", PLAYBOOK, [ALL])
    assert built.rc == 0, built.describe()
    assert changed_hosts(built) == sorted(lab.hosts)
    for host in lab.hosts:
        own, peer = lab.cluster_of(host), _peer(lab, host)
        held = {"corporate-b"} if host == "a2" else {_ca_alias(peer)}
        assert _bcfks_aliases(lab, host) == dict.fromkeys({own.name + "-ca"} | held, "trustedCertEntry"), host
        assert _pem_count(lab, host, peer) == 1 and _pem_count(lab, host, own) == 1, host
        assert peer.name in _conf_names(lab, host)
    for cluster in lab.clusters:
        for host in cluster.cldb_hosts:
            assert sorted(_ticket_clusters(lab, host)) == sorted(c.name for c in lab.clusters)
    secrets = _ticket_blobs(lab)
    assert len(secrets) == 4  # each CLDB's own ticket and the peer's

    # Logins across from every node (maprlogin reads the node's BCFKS store through the JVM), the
    # JVM's own handshake trusting only the node's BCFKS store, and a server call across from each CLDB.
    for host in lab.hosts:
        peer = _peer(lab, host).letter
        login = checks.user_login(lab, host, peer)
        assert login.returncode == 0, (host, login.stderr)
        java = checks.jvm_handshake(lab, host, peer)
        assert java.returncode == 0, (host, java.stdout + java.stderr)
    for host, peer in (("a1", "b"), ("b1", "a")):
        call = checks.server_call(lab, host, peer)
        assert call.returncode == 0, (host, call.stderr)

    # A re-run changes nothing, not a byte (idempotent by fingerprint: the stores are listed again).
    built_state = conf_state(lab)
    again = runs.run("re-run", PLAYBOOK, [ALL])
    assert again.rc == 0, again.describe()
    assert changed_hosts(again) == [] and conf_state(lab) == built_state

    # The drift report reads the BCFKS stores: clean.
    reported, data = runs.report("drift report", [ALL])
    assert reported.rc == 0, reported.describe()
    assert (data["status"], data["drifted_nodes"], data["unknown_nodes"]) == ("clean", [], []), data["findings"]

    # The report does read the BCFKS stores: b2 loses a's CA (keytool -delete by hand, with the provider)
    # and the report names b2 and that store; a run puts it back on b2 alone.
    b2_store = lab.node_path("b2", "conf/ssl_truststore.bcfks")
    deleted = subprocess.run(keytool_bcfks_argv(provider_jar(lab.node_path("b2")), b2_store, "-delete", "-alias",
                                                _ca_alias(a)),
                             env=dict(os.environ, **{STORE_PASSWORD_ENV: b.store_password}), capture_output=True,
                             text=True, timeout=120, check=False)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    reported, data = runs.report("drift report on a tampered store", [ALL])
    assert reported.rc != 0 and (data["status"], data["drifted_nodes"]) == ("drift", ["b2"]), data["findings"]
    assert [f["message"].split(" CN=")[0] for f in data["findings"]] == [
        "ssl_truststore.bcfks lacks cluster_a's CA"], data["findings"]
    repaired = runs.run("repair", PLAYBOOK, [ALL])
    assert repaired.rc == 0, repaired.describe()
    assert changed_hosts(repaired) == ["b2"] and _ca_alias(a) in _bcfks_aliases(lab, "b2")

    # The revoke: the collection's CA alias (BCFKS and PEM), the line and the ticket go, so the login and
    # the call fail; what the administrator added by hand on a2 stays.
    revoked = runs.run("revoke", PLAYBOOK, [REVOKE])
    assert revoked.rc == 0, revoked.describe()
    assert changed_hosts(revoked) == sorted(lab.hosts)
    for host in lab.hosts:
        own, peer = lab.cluster_of(host), _peer(lab, host)
        held = {"corporate-b"} if host == "a2" else set()
        assert _bcfks_aliases(lab, host) == dict.fromkeys({own.name + "-ca"} | held, "trustedCertEntry"), host
        assert _pem_count(lab, host, peer) == len(held) and _pem_count(lab, host, own) == 1, host
        assert peer.name not in _conf_names(lab, host)
        assert checks.user_login(lab, host, peer.letter).returncode != 0
    for cluster in lab.clusters:
        for host in cluster.cldb_hosts:
            assert _ticket_clusters(lab, host) == [cluster.name]
    for host, peer in (("a1", "b"), ("b1", "a")):
        assert checks.server_call(lab, host, peer).returncode != 0

    reported, data = runs.report("drift report after the revoke", [REVOKE])
    assert reported.rc == 0, reported.describe()
    assert (data["status"], data["drifted_nodes"], data["unknown_nodes"]) == ("clean", [], []), data["findings"]

    # Nothing secret anywhere: each run's output and run directory, the -vvvv log of them all, every
    # command line sampled while any ran, and each node's /tmp; nothing left in a node's /tmp, and no
    # password file or keytool directory on any node.
    for cluster in lab.clusters:
        secrets.update({"%s store password" % cluster.name: cluster.store_password,
                        "%s owner password" % cluster.name: cluster.owner_password,
                        "%s cross-cluster password" % cluster.name: cluster.xcs_password,
                        "%s check user's password" % cluster.name: cluster.check_password})
    secrets["the preflight's wrong password"] = wrong
    # One scan of every run together: their -vvvv outputs, their run directories, the one log, the
    # command lines sampled while any of them ran; recorded once for docs/reliability.md.
    everything = SimpleNamespace(output="\n".join(result.output for _what, result, _watch in runs.done),
                                 argv=["-vvvv"])
    watched = SimpleNamespace(cmdlines=set().union(*(w.cmdlines for _what, _r, w in runs.done)),
                              ps_samples=[s for _what, _r, w in runs.done for s in w.ps_samples])
    # The collection's keytool ran while the watch looked (with its password file, not a password).
    assert [line for line in watched.cmdlines if "-storetype BCFKS" in line and "-storepass:file" in line]
    directories = [result.run_dir for _what, result, _watch in runs.done] + [_node_tmp(lab, h) for h in lab.hosts]
    assert scan("FIPS-to-FIPS type all over ssh, 2x2: %d runs (%s), -vvvv" % (
        len(runs.done), ", ".join(what for what, _r, _w in runs.done)), secrets, everything, watched, directories,
        runs.log_path) == []
    assert _new_in_tmp(lab, tmp_before) == []
    assert _password_files(lab) == []
    print("FIPS-to-FIPS over ssh: %.0f s; %s" % (time.monotonic() - started, ", ".join(
        "%s %.0f s" % (what, seconds) for what, seconds in runs.seconds)))
