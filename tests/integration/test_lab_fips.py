"""The lab's FIPS mode (local mode): BCFKS stores made and read by the real keytool with the
provider jar under the node's lib/, security_facts' view of such a node, logins from and to it
whose TLS check reads the BCFKS store, and teardown.

Debian's bcprov stands in for the validated bc-fips jar (tests/lab/README.md says what differs).
"""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest
from ansible_run import ROOT, run_playbook, start_playbook
from lab.labkit import Lab, checks, fips, handtrust, jvm
from lab.labkit.lab import LAB_SRC
from labplay import PLAYBOOK, changed_hosts, conf_state
from labplay import run as labplay_run
from leakscan import scan
from procwatch import ProcessWatch
from test_lab_local import LAB_PY, lab_processes, login

pytest_plugins = ["lab.fixtures"]

REPORT = str(ROOT / "playbooks" / "report.yml")
FIPS_STORES = {"ssl_keystore.bcfks", "ssl_keystore.pem", "ssl_truststore.bcfks", "ssl_truststore.pem"}


def _skip_without_provider():
    if not os.path.isfile(fips.STANDIN_JAR):
        pytest.skip("%s is missing: libbcprov-java is not installed (make system-deps, as root)" % fips.STANDIN_JAR)


@pytest.fixture(scope="module")
def lab_fips(tmp_path_factory):
    """Cluster a is FIPS, cluster b is not; one node each (a1 is a's CLDB, b1 b's)."""
    _skip_without_provider()
    lab = Lab(str(tmp_path_factory.mktemp("lab-fips")), clusters=2, nodes=1, mode="local", fips=["a"])
    with lab.up():
        yield lab


def _sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _jar(lab, host):
    return lab.node_path(host, "lib/" + fips.NODE_JAR)


def test_a_fips_node_has_bcfks_stores_that_keytool_reads_only_with_the_provider(lab_fips):
    lab = lab_fips
    a, b = lab.cluster("a"), lab.cluster("b")
    assert a.fips and not b.fips
    conf = lab.node_path("a1", "conf")
    stores = {name for name in os.listdir(conf) if name.startswith(("ssl_keystore", "ssl_truststore"))}
    assert stores == FIPS_STORES  # no JKS and no PKCS12 store on a FIPS node
    assert stat.S_IMODE(os.stat(os.path.join(conf, "ssl_keystore.bcfks")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(conf, "ssl_truststore.bcfks")).st_mode) == 0o644
    # The provider is a regular file under the node's lib/, as MapR ships its jar, not a link out.
    jar = _jar(lab, "a1")
    assert stat.S_ISREG(os.lstat(jar).st_mode)
    assert _sha256(jar) == _sha256(fips.STANDIN_JAR)

    truststore = os.path.join(conf, "ssl_truststore.bcfks")
    keystore = os.path.join(conf, "ssl_keystore.bcfks")
    assert jvm.keytool_list(truststore, a.store_password, jar) == {"a.lab.example-ca": "trustedCertEntry"}
    assert checks.truststore(lab, "a1") == (truststore, jar)
    assert jvm.keytool_list(keystore, a.store_password, jar) == {"a.lab.example": "PrivateKeyEntry"}
    # Without the provider the JVM cannot open it (it is no JKS or PKCS12 under another name), and
    # with the provider not without the password.
    with pytest.raises(RuntimeError, match="keytool -list"):
        jvm.keytool_list(truststore, a.store_password)
    with pytest.raises(RuntimeError, match="keytool -list"):
        jvm.keytool_list(truststore, b.store_password, jar)

    # The non-FIPS cluster is as before.
    b_conf = lab.node_path("b1", "conf")
    assert not [name for name in os.listdir(b_conf) if name.endswith(".bcfks")]
    assert jvm.keytool_list(os.path.join(b_conf, "ssl_truststore"), b.store_password) == {
        "b.lab.example-ca": "trustedCertEntry"}
    assert not os.path.exists(_jar(lab, "b1"))


def test_security_facts_reports_the_fips_node(lab_fips, tmp_path):
    lab = lab_fips
    play = [{"hosts": "a1:b1", "gather_facts": False, "tasks": [
        {"name": "gather", "datafabric.crosscluster.security_facts": {"mapr_home": "{{ mapr_home }}"}}]}]
    result = run_playbook(play, inventory=lab.inventory_path, connection=None, tmp_dir=tmp_path).expect_ok()
    facts = {r["host"]: r["result"]["ansible_facts"]["mapr_security"] for r in result.results}
    assert facts["a1"]["fips"] is True
    assert facts["a1"]["fips_reasons"] == ["ssl_keystore.bcfks is a BCFKS store",
                                           "ssl_truststore.bcfks is a BCFKS store"]
    assert facts["a1"]["stores"]["ssl_truststore.bcfks"] == {"exists": True, "format": "bcfks"}
    assert facts["a1"]["stores"]["ssl_truststore"] == {"exists": False, "format": None}
    assert facts["b1"]["fips"] is False and facts["b1"]["fips_reasons"] == []


def test_security_facts_lists_the_bcfks_truststore_with_the_nodes_keytool(lab_fips, tmp_path):
    """With the node's own password (which stays there) and with the inventory's: the FIPS node's
    truststore listed by keytool with the provider the inventory names, its CA the own CA chain; the
    non-FIPS node gets no such entry. A wrong password is named, never shown."""
    lab = lab_fips
    a = lab.cluster("a")
    gather = {"mapr_home": "{{ mapr_home }}", "fips_provider_class": "{{ crosscluster_fips_provider_class }}"}
    play = [{"hosts": "a1:b1", "gather_facts": False, "tasks": [
        {"name": "own", "datafabric.crosscluster.security_facts": dict(gather, read_truststore_password=True),
         "register": "own"},
        {"name": "given", "datafabric.crosscluster.security_facts": dict(
            gather, truststore_password="{{ mapr_truststore_password }}")},
        {"name": "wrong", "datafabric.crosscluster.security_facts": dict(gather, truststore_password="wrong-one"),
         "when": "inventory_hostname == 'a1'"}]}]
    with ProcessWatch() as watch:
        result = run_playbook(play, inventory=lab.inventory_path, connection=None, tmp_dir=tmp_path).expect_ok()
    by_task = {}
    for r in result.results:
        if r["result"].get("ansible_facts"):
            by_task.setdefault(r["task"], {})[r["host"]] = r["result"]["ansible_facts"]["mapr_security"]
    store = lab.node_path("a1", "conf/ssl_truststore.bcfks")
    for task in ("own", "given"):
        fips_node, other = by_task[task]["a1"], by_task[task]["b1"]
        listed = fips_node["truststores"]["ssl_truststore.bcfks"]
        assert listed["error"] is None, listed["error"]
        assert [(e["alias"], e["type"]) for e in listed["entries"]] == [("a.lab.example-ca", "trusted")]
        assert listed["entries"][0]["not_after"] and listed["sha256"] == _sha256(store)
        assert listed["provider"] == {"path": _jar(lab, "a1"),
                                      "class": "org.bouncycastle.jce.provider.BouncyCastleProvider"}
        assert fips_node["files_read"][store] == _sha256(store)
        assert fips_node["own_ca"]["error"] is None
        assert [c["sha256"] for c in fips_node["own_ca"]["certificates"]] == [listed["entries"][0]["sha256"]]
        assert "ssl_truststore.bcfks" not in other["truststores"]
    wrong = by_task["wrong"]["a1"]["truststores"]["ssl_truststore.bcfks"]
    assert wrong["error"].startswith(store + ": keytool cannot open the BCFKS store: the store password is wrong")
    assert "wrong-one" not in wrong["error"] and wrong["entries"] is None
    # One keytool per FIPS node and task; no password of either cluster on any command line.
    # (The collection's keytool reads a password file; other keytools on the machine, such as a lab's
    # CLDB emulator's, do not count.)
    keytools = [line for line in watch.cmdlines if "-storetype BCFKS" in line and "-storepass:file" in line]
    assert len(keytools) == 3, keytools
    assert [line for line in watch.cmdlines if a.store_password in line or "wrong-one" in line] == []


def test_a_login_from_the_fips_node_needs_the_peer_ca_in_its_bcfks_truststore(lab_fips):
    lab = lab_fips
    a, b = lab.cluster("a"), lab.cluster("b")
    mapr_home = lab.node_path("a1")
    truststore = lab.node_path("a1", "conf/ssl_truststore.bcfks")
    jar = _jar(lab, "a1")
    address, port = lab.cldb_endpoint("b")
    handtrust.add_conf_line(lab, "a1", handtrust.first_conf_line(lab, b))

    untrusted = login(lab, "a1", b, "mapr", b.owner_password)
    assert untrusted.returncode == 1
    assert "certificate verify failed" in untrusted.stderr and truststore in untrusted.stderr, untrusted.stderr
    java = checks.jvm_handshake(lab, "a1", "b")
    assert java.returncode == 2, java.stdout + java.stderr

    # The PEM sibling is not what a FIPS node's client trusts: b's CA there changes nothing.
    with open(b.ca_pem, encoding="ascii") as src, open(lab.node_path("a1", "conf/ssl_truststore.pem"), "a",
                                                       encoding="ascii") as dst:
        dst.write(src.read())
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 1

    # keytool with the node's provider, the password in the environment and not on its command line:
    # neither the import's nor that of the keytool the login starts to read the store.
    with ProcessWatch() as watch:
        fips.keytool_import(mapr_home, "b-ca", b.ca_pem, a.store_password)
        trusted = login(lab, "a1", b, "mapr", b.owner_password)
    keytools = [line for line in watch.cmdlines if "-storetype BCFKS" in line]
    assert any("-importcert" in line for line in keytools) and any("-list -rfc" in line for line in keytools)
    assert [line for line in watch.cmdlines if a.store_password in line] == []
    assert checks.jvm_aliases(lab, "a1") == {"a.lab.example-ca": "trustedCertEntry", "b-ca": "trustedCertEntry"}

    assert trusted.returncode == 0, trusted.stderr
    java = jvm.tls_probe(address, port, truststore, a.store_password, provider_jar=jar)
    assert java.returncode == 0, java.stdout + java.stderr
    assert "b.lab.example" in java.stdout


def test_a_login_to_the_fips_cluster_reaches_its_cldb(lab_fips):
    """The FIPS CLDB starts only with a BCFKS keystore keytool opens; a non-FIPS node logs in to it
    once the FIPS cluster's CA is in its (JKS, PKCS12, PEM) trust stores."""
    lab = lab_fips
    a = lab.cluster("a")
    handtrust.add_conf_line(lab, "b1", handtrust.first_conf_line(lab, a))
    assert login(lab, "b1", a, "mapr", a.owner_password).returncode == 1
    handtrust.import_ca(lab, "b1", a)
    trusted = login(lab, "b1", a, "mapr", a.owner_password)
    assert trusted.returncode == 0, trusted.stderr


def test_a_fips_cldb_does_not_start_without_its_key_in_the_bcfks_keystore(lab_fips, tmp_path):
    """A copy of a1's mapr_home whose ssl_keystore.bcfks opens but holds only the CA (no entry
    under the cluster's alias): the CLDB emulator refuses to start, and says why without the password."""
    lab = lab_fips
    a = lab.cluster("a")
    home = tmp_path / "opt" / "mapr"
    shutil.copytree(lab.node_path("a1"), home, symlinks=True)
    shutil.copyfile(home / "conf" / "ssl_truststore.bcfks", home / "conf" / "ssl_keystore.bcfks")
    result = subprocess.run(
        [sys.executable, "-m", "labkit.cldb", "--mapr-home", str(home), "--bind", "127.0.0.1", "--port", "1",
         "--users", os.path.join(a.dir, "users.json"), "--lab", str(tmp_path) + "/"],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": LAB_SRC, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cldb: cannot start: keytool cannot read %s" % (home / "conf" / "ssl_keystore.bcfks") in result.stderr
    assert "READY" not in result.stdout
    assert a.store_password not in result.stdout + result.stderr


def test_fips_to_fips_in_ssh_mode(make_lab):
    """Inside a node's namespaces: keytool and the jar under /opt/mapr/lib as the node sees them, and
    nothing of the JVM left in the node's /tmp."""
    _skip_without_provider()
    lab = make_lab(clusters=2, nodes=1, mode="ssh", fips=["a", "b"])
    a, b = lab.cluster("a"), lab.cluster("b")
    handtrust.add_conf_line(lab, "a1", handtrust.first_conf_line(lab, b))
    untrusted = login(lab, "a1", b, "mapr", b.owner_password)
    assert untrusted.returncode == 1
    assert "certificate verify failed" in untrusted.stderr and "/opt/mapr/conf/ssl_truststore.bcfks" in untrusted.stderr
    handtrust.import_ca(lab, "a1", b)
    trusted = login(lab, "a1", b, "mapr", b.owner_password)
    assert trusted.returncode == 0, trusted.stderr
    assert login(lab, "a1", a, "mapr", a.owner_password).returncode == 0
    node_tmp = os.listdir(os.path.join(lab.node_root("a1"), "tmp"))
    assert [name for name in node_tmp if name.startswith("hsperfdata")] == []


def test_fips_option_is_checked():
    with pytest.raises(ValueError, match=r"fips: 'c' is neither the letter of one of the 2 clusters \(a, b\) "
                                         r"nor one of their hosts \(a1\.\.b2\)"):
        Lab("/nonexistent-lab-dir", clusters=2, nodes=2, fips=["c"])
    with pytest.raises(ValueError, match="fips: 'a3' is neither"):
        Lab("/nonexistent-lab-dir", clusters=2, nodes=2, fips=["a3"])


def test_a_mixed_cluster(make_lab):
    """fips=["a2"]: a2 alone is a FIPS node; it logs in to its own cluster's non-FIPS CLDB (a1)
    through its BCFKS trust store, which holds the same CA as a1's JKS one."""
    _skip_without_provider()
    lab = make_lab(clusters=1, nodes=2, fips=["a2"])
    a = lab.cluster("a")
    assert not a.fips and [lab.hosts[h].fips for h in a.hosts] == [False, True]
    assert not os.path.exists(lab.node_path("a1", "conf/ssl_truststore.bcfks"))
    assert not os.path.exists(lab.node_path("a2", "conf/ssl_truststore"))
    jar = _jar(lab, "a2")
    assert jvm.keytool_list(lab.node_path("a2", "conf/ssl_truststore.bcfks"), a.store_password, jar) == \
        jvm.keytool_list(lab.node_path("a1", "conf/ssl_truststore"), a.store_password)
    trusted = login(lab, "a2", a, "mapr", a.owner_password)
    assert trusted.returncode == 0, trusted.stderr


def test_down_leaves_nothing_of_a_fips_lab(make_lab):
    _skip_without_provider()
    lab = make_lab(clusters=1, nodes=1, fips=["a"])
    assert len(lab_processes(lab)) == 1
    assert Lab.load(lab.dir).cluster("a").fips  # recorded, so another process's `down` knows the lab
    lab.down()
    assert not os.path.exists(lab.dir)
    assert lab_processes(lab) == []


def test_command_line(tmp_path):
    _skip_without_provider()
    directory = str(tmp_path / "cli-lab")

    def lab_py(*args):
        return subprocess.run([sys.executable, LAB_PY, *args, "--dir", directory],
                              capture_output=True, text=True, timeout=120, check=False)

    refused = lab_py("up", "--clusters", "1", "--nodes", "1", "--fips", "z")
    assert refused.returncode == 1 and "fips: 'z' is neither" in refused.stderr, refused.stderr
    up = lab_py("up", "--clusters", "1", "--nodes", "1", "--fips", "a")
    assert up.returncode == 0, up.stderr
    assert os.path.isfile(os.path.join(directory, "nodes", "a1", "opt", "mapr", "conf", "ssl_truststore.bcfks"))
    status = lab_py("status")
    assert status.returncode == 0 and "a.lab.example (group cluster_a), FIPS" in status.stdout, status.stdout
    assert lab_py("down").returncode == 0
    assert not os.path.exists(directory)


def _trusts_play(lab, playbook, trusts, tmp_path, **kwargs):
    extra = {"crosscluster_trusts": trusts, "report_dir": str(tmp_path)}
    return start_playbook(playbook, inventory=lab.inventory_path, connection=None, extra_vars=extra,
                          **kwargs).wait(600)


def test_user_trust_between_fips_clusters_end_to_end(make_lab, tmp_path):
    """FIPS-to-FIPS (local mode), type user: check mode changes nothing; the main playbook writes each
    node's BCFKS truststore (and its PEM sibling) with the node's keytool and its mapr-clusters.conf, so
    a login from a FIPS node to its peer (which trusts only the BCFKS store) works; a re-run changes
    nothing; the drift report is clean; revoking takes it out again; no password anywhere."""
    _skip_without_provider()
    lab = make_lab(clusters=2, nodes=1, fips=["a", "b"])
    a, b = lab.cluster("a"), lab.cluster("b")
    user = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    before = conf_state(lab)
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 1

    checked = _trusts_play(lab, PLAYBOOK, user, tmp_path, check=True, diff=True)
    assert checked.rc == 0, checked.describe()
    assert conf_state(lab) == before and changed_hosts(checked) == ["a1", "b1"]

    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        built = _trusts_play(lab, PLAYBOOK, user, tmp_path, verbosity=4, env={"ANSIBLE_LOG_PATH": log_path})
    assert built.rc == 0, built.describe()
    assert changed_hosts(built) == ["a1", "b1"]
    for host, own, peer in (("a1", a, b), ("b1", b, a)):
        listed = jvm.keytool_list(lab.node_path(host, "conf/ssl_truststore.bcfks"), own.store_password, _jar(lab, host))
        assert sorted(alias for alias in listed if alias.startswith(peer.name + "-")) != [], listed
        with open(lab.node_path(host, "conf/ssl_truststore.pem"), encoding="ascii") as handle:
            assert handle.read().count("BEGIN CERTIFICATE") == 2
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 0
    assert login(lab, "b1", a, "mapr", a.owner_password).returncode == 0
    secrets = dict(("%s store password" % c.name, c.store_password) for c in lab.clusters)
    directories = [built.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    assert scan("user trust between FIPS clusters, local, -vvvv", secrets, built, watch, directories, log_path,
                record_it=False) == []

    built_state = conf_state(lab)
    again = _trusts_play(lab, PLAYBOOK, user, tmp_path)
    assert again.rc == 0 and changed_hosts(again) == [] and conf_state(lab) == built_state, again.describe()

    reported = _trusts_play(lab, REPORT, user, tmp_path)
    assert reported.rc == 0, reported.describe()
    with open(str(tmp_path / "drift-report.json"), encoding="utf-8") as handle:
        data = json.load(handle)
    assert (data["status"], data["drifted_nodes"], data["unknown_nodes"]) == ("clean", [], []), data["findings"]

    revoked = _trusts_play(lab, PLAYBOOK, [dict(user[0], state="absent")], tmp_path)
    assert revoked.rc == 0, revoked.describe()
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 1
    for host, own, peer in (("a1", a, b), ("b1", b, a)):
        listed = jvm.keytool_list(lab.node_path(host, "conf/ssl_truststore.bcfks"), own.store_password, _jar(lab, host))
        assert [alias for alias in listed if alias.startswith(peer.name + "-")] == [], listed


def test_the_gate_on_a_fips_pair_stops_a_bcfks_store_keytool_cannot_open(make_lab):
    """A BCFKS truststore keytool cannot open stops a server trust run by host and file, the password in
    no message."""
    _skip_without_provider()
    lab = make_lab(clusters=2, nodes=1, fips=["a", "b"])
    before = conf_state(lab)
    wrong = "Wrong-" + lab.cluster("a").store_password[::-1]
    result = labplay_run(lab, "server", secret_vars={"crosscluster_truststore_password": wrong})
    assert result.rc != 0 and conf_state(lab) == before
    [failure] = [r["result"] for r in result.results if r["status"] == "failed"]
    store = lab.node_path("a1", "conf/ssl_truststore.bcfks")
    assert "a1 (cluster_a): %s: keytool cannot open the BCFKS store: the store password is wrong" % store in \
        "\n".join(failure["msg"]), failure["msg"]
    assert wrong not in result.stdout + result.stderr and result.files_containing(wrong) == []


def test_the_gather_lists_bcfks_truststores_in_ssh_mode_and_leaves_the_password_nowhere(make_lab, tmp_path):
    """Over ssh (pipelined), with the inventory's password and with each node's own, at -vvvv: the
    FIPS nodes' truststores listed by their keytool, and neither password in the output, the log,
    any command line, the run's files or the nodes' /tmp (where keytool's private directory was)."""
    _skip_without_provider()
    lab = make_lab(clusters=2, nodes=1, mode="ssh", fips=["a", "b"])
    gather = {"mapr_home": "{{ mapr_home }}", "fips_provider_class": "{{ crosscluster_fips_provider_class }}"}
    play = [{"hosts": "a1:b1", "gather_facts": False, "become": True, "tasks": [
        {"name": "given", "datafabric.crosscluster.security_facts": dict(
            gather, truststore_password="{{ mapr_truststore_password }}")},
        {"name": "own", "datafabric.crosscluster.security_facts": dict(gather, read_truststore_password=True)}]}]
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result = run_playbook(play, inventory=lab.inventory_path, connection=None, tmp_dir=tmp_path, verbosity=4,
                              env={"ANSIBLE_LOG_PATH": log_path}).expect_ok()
    listed = [(r["task"], r["host"], r["result"]["ansible_facts"]["mapr_security"]["truststores"][
        "ssl_truststore.bcfks"]) for r in result.results]
    assert sorted((task, host) for task, host, _store in listed) == [
        ("given", "a1"), ("given", "b1"), ("own", "a1"), ("own", "b1")]
    for _task, host, store in listed:
        assert store["error"] is None, store["error"]
        assert [(e["alias"], e["type"]) for e in store["entries"]] == [("%s-ca" % lab.cluster_of(host).name, "trusted")]
        assert store["provider"]["path"] == "/opt/mapr/lib/" + fips.NODE_JAR
    for host in lab.hosts:
        left = os.listdir(os.path.join(lab.node_root(host), "tmp"))
        assert [name for name in left if name.startswith(("crosscluster-keytool", "hsperfdata"))] == [], left
    secrets = dict(("%s store password" % c.name, c.store_password) for c in lab.clusters)
    directories = [result.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    assert scan("security_facts on FIPS nodes over ssh, -vvvv", secrets, result, watch, directories, log_path,
                record_it=False) == []
