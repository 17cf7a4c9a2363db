"""The truststore password read on each node, when the inventory does not give it.

The lab writes conf/store-passwords.txt (0600) on every node, as MapR 7.x does, and with
credential_stores conf/maprtrustcreds.jceks too (.bcfks on a FIPS node; store_passwords=False: the
former removed, as the vendor advises). Without mapr_truststore_password the main playbook builds the trust, says which
file it read, and leaves the password nowhere (-vvvv output, ANSIBLE_LOG_PATH, command lines, temp
files). A node whose files lack it stops the run before any node changes, named with every source.
"""

import os

import pytest
import yaml
from lab.labkit import checks, fips
from lab.labkit.credstore import BCFKS_NAME, JCEKS_NAME, TRUST_ALIASES, write_credential_store
from labplay import changed_hosts, conf_state, run
from leakscan import scan
from procwatch import ProcessWatch

pytest_plugins = ["lab.fixtures"]

STORE_PASSWORDS = "/opt/mapr/conf/store-passwords.txt"


def without_password(lab):
    """The lab, its inventory rewritten with no truststore password for any cluster."""
    with open(lab.inventory_path) as handle:
        inventory = yaml.safe_load(handle)
    for group in inventory["all"]["children"]["mapr_clusters"]["children"].values():
        del group["vars"]["mapr_truststore_password"]
    with open(lab.inventory_path, "w") as handle:
        yaml.safe_dump(inventory, handle)
    return lab


def test_the_main_playbook_reads_each_nodes_own_password_and_leaves_it_nowhere(make_lab, tmp_path):
    lab = without_password(make_lab(clusters=2, nodes=2, mode="ssh"))
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result = run(lab, "user", verbosity=4, env={"ANSIBLE_LOG_PATH": log_path}).expect_ok()
    notes = [r["result"]["msg"] for r in result.results
             if r["task"].endswith("Say where the truststore passwords not given were read")]
    assert notes == [["cluster_a: the truststore password was read on the node from %s (a1, a2)" % STORE_PASSWORDS,
                      "cluster_b: the truststore password was read on the node from %s (b1, b2)" % STORE_PASSWORDS]]
    writes = [r["result"] for r in result.results
              if r["action"].endswith("peer_trust") and "skip_reason" not in r["result"]]
    assert len(writes) == 4 and all(w["truststore_password_source"] == STORE_PASSWORDS for w in writes), writes
    for host in lab.hosts:
        assert checks.user_login(lab, host, "b" if host.startswith("a") else "a").returncode == 0, host
        assert checks.jvm_handshake(lab, host, "b" if host.startswith("a") else "a").returncode == 0, host
    secrets = dict(("%s store password" % c.name, c.store_password) for c in lab.clusters)
    directories = [result.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    assert scan("main playbook, password read on the nodes, -vvvv", secrets, result, watch, directories,
                log_path) == []
    state = conf_state(lab)
    again = run(lab, "user").expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == state


def test_a_node_without_the_password_stops_the_run_naming_both_files(make_lab, tmp_path):
    lab = without_password(make_lab(clusters=2, nodes=2, mode="ssh"))
    os.unlink(lab.node_path("a2", "conf/store-passwords.txt"))
    state = conf_state(lab)
    result = run(lab, "user")
    assert result.rc != 0 and conf_state(lab) == state
    gate = [r["result"]["msg"] for r in result.results if r["action"] == "ansible.builtin.fail"]
    assert len(gate) == 1, result.describe()
    [problem] = [line for line in gate[0] if line.startswith("a2")]
    assert problem.startswith("a2 (cluster_a): no truststore password was given and none was found on the node: "
                              "%s does not exist; /opt/mapr/conf/ssl-server.xml does not exist; "
                              "/opt/mapr/conf/maprtrustcreds.jceks does not exist; /opt/mapr/conf/maprtrustcreds.bcfks "
                              "does not exist. Fix: set mapr_truststore_password" % STORE_PASSWORDS), problem
    assert len(gate[0]) == 2, gate[0]  # the headline and this one problem: no follow-on errors


def test_a_node_whose_password_does_not_open_its_truststore_stops_the_run(make_lab):
    # Checked on the node against ssl_truststore's JKS digest: the password itself never travels.
    lab = without_password(make_lab(clusters=2, nodes=2, mode="local"))
    path = lab.node_path("b2", "conf/store-passwords.txt")
    with open(path) as handle:
        text = handle.read()
    with open(path, "w") as handle:
        handle.write(text.replace(lab.cluster("b").store_password, "not-the-password"))
    state = conf_state(lab)
    result = run(lab, "user", verbosity=4)
    assert result.rc != 0 and conf_state(lab) == state
    gate = [r["result"]["msg"] for r in result.results if r["action"] == "ansible.builtin.fail"]
    assert len(gate) == 1, result.describe()
    [problem] = gate[0][1:]
    conf = lab.mapr_home("b2") + "/conf"
    assert problem == ("b2 (cluster_b): %s/ssl_truststore: fails its JKS integrity check with the truststore password "
                       "of %s/store-passwords.txt: the password is wrong or the store is "
                       "damaged. Fix: correct the password in that file or restore the store from a backup; or set "
                       "mapr_truststore_password (vault it)" % (conf, conf)), problem
    for cluster in lab.clusters:
        assert cluster.store_password not in result.output
    assert "not-the-password" not in result.output


def test_the_password_from_maprtrustcreds_jceks_with_store_passwords_txt_removed_on_every_node(make_lab, tmp_path):
    # The node sends the credential store's bytes in the one no_log reply that would carry the password;
    # the controller opens it (Triple DES): local mode runs that same path, one node per cluster.
    lab = without_password(make_lab(clusters=2, nodes=1, mode="local", credential_stores=True,
                                    store_passwords=False))
    for host in lab.hosts:
        assert not os.path.exists(lab.node_path(host, "conf/store-passwords.txt")), host
    stores = dict((h, "%s/conf/%s" % (lab.mapr_home(h), JCEKS_NAME)) for h in lab.hosts)
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result = run(lab, "user", verbosity=4, env={"ANSIBLE_LOG_PATH": log_path}).expect_ok()
    notes = [r["result"]["msg"] for r in result.results
             if r["task"].endswith("Say where the truststore passwords not given were read")]
    assert notes == [["cluster_a: the truststore password was read on the node from %s (a1)" % stores["a1"],
                      "cluster_b: the truststore password was read on the node from %s (b1)" % stores["b1"]]], notes
    writes = [(r["host"], r["result"]) for r in result.results
              if r["action"].endswith("peer_trust") and "skip_reason" not in r["result"]]
    assert sorted(h for h, _w in writes) == ["a1", "b1"], writes
    assert all(w["truststore_password_source"] == stores[h] for h, w in writes), writes
    for host in lab.hosts:
        peer = "b" if host.startswith("a") else "a"
        assert checks.user_login(lab, host, peer).returncode == 0, host
        assert checks.jvm_handshake(lab, host, peer).returncode == 0, host
    secrets = dict(("%s store password" % c.name, c.store_password) for c in lab.clusters)
    directories = [result.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    assert scan("main playbook, password from maprtrustcreds.jceks, -vvvv", secrets, result, watch, directories,
                log_path) == []
    state = conf_state(lab)
    again = run(lab, "user").expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == state

    # A credential store protected with a password of its own (HADOOP_CREDSTORE_PASSWORD) stops the
    # run at the gate, named with the fix, before any node changes.
    other = "b-own-credstore-password"
    write_credential_store(lab.node_path("b1", "conf/" + JCEKS_NAME),
                           dict((alias, lab.cluster("b").store_password) for alias in TRUST_ALIASES), other)
    state = conf_state(lab)
    failed = run(lab, "user")
    assert failed.rc != 0 and conf_state(lab) == state
    gate = [r["result"]["msg"] for r in failed.results if r["action"] == "ansible.builtin.fail"]
    assert len(gate) == 1, failed.describe()
    assert gate[0][1:] == ["b1 (cluster_b): %s: does not open with Hadoop's default credential store password: it is "
                           "protected with a password of its own (HADOOP_CREDSTORE_PASSWORD or a password file), "
                           "which the collection does not have, or it is damaged; no other source has the truststore "
                           "password. Fix: set mapr_truststore_password (vault it)" % stores["b1"]], gate[0]
    assert other not in failed.output and lab.cluster("b").store_password not in failed.output

    # One that opens but holds a password that does not open ssl_truststore stops the run at the gate
    # too (the controller opens it in the gather, as a write would), before any node changes.
    wrong = "not-b-truststore-password"
    write_credential_store(lab.node_path("b1", "conf/" + JCEKS_NAME), dict((alias, wrong) for alias in TRUST_ALIASES))
    state = conf_state(lab)
    failed = run(lab, "user")
    assert failed.rc != 0 and conf_state(lab) == state
    gate = [r["result"]["msg"] for r in failed.results if r["action"] == "ansible.builtin.fail"]
    assert len(gate) == 1, failed.describe()
    assert gate[0][1:] == ["b1 (cluster_b): %s/conf/ssl_truststore: fails its JKS integrity check with the truststore "
                           "password of %s: the password is wrong or the store is damaged. "
                           "Fix: correct the password in that file or restore the store from a backup; or set "
                           "mapr_truststore_password (vault it)" % (lab.mapr_home("b1"), stores["b1"])], gate[0]
    assert wrong not in failed.output and lab.cluster("b").store_password not in failed.output


def test_the_password_from_maprtrustcreds_bcfks_on_fips_nodes_with_store_passwords_txt_removed(make_lab, tmp_path):
    # The password is needed on the FIPS node, where keytool lists and writes its BCFKS truststore: the
    # node's own JVM reads the credential store there, the secret on its stdin and stdout only.
    if not os.path.isfile(fips.STANDIN_JAR):
        pytest.skip("%s is missing: libbcprov-java is not installed (make system-deps, as root)" % fips.STANDIN_JAR)
    lab = without_password(make_lab(clusters=2, nodes=1, mode="local", fips=["a", "b"], credential_stores=True,
                                    store_passwords=False))
    stores = dict((h, "%s/conf/%s" % (lab.mapr_home(h), BCFKS_NAME)) for h in lab.hosts)
    for host in lab.hosts:
        assert not os.path.exists(lab.node_path(host, "conf/store-passwords.txt")), host
        assert not os.path.exists(lab.node_path(host, "conf/" + JCEKS_NAME)), host
        assert os.path.exists(lab.node_path(host, "conf/" + BCFKS_NAME)), host
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result = run(lab, "user", verbosity=4, env={"ANSIBLE_LOG_PATH": log_path}).expect_ok()
    # Its own lines among the gate's notes (which say that these clusters are FIPS ones too).
    notes = [[line for line in r["result"]["msg"] if "truststore password" in line] for r in result.results
             if r["task"].endswith("Say where the truststore passwords not given were read")]
    assert notes == [["cluster_a: the truststore password was read on the node from %s (a1)" % stores["a1"],
                      "cluster_b: the truststore password was read on the node from %s (b1)" % stores["b1"]]], notes
    # The gather listed each BCFKS truststore with it; peer_trust's one write changed each with it.
    gathered = [(r["host"], r["result"]["ansible_facts"]["mapr_security"]["truststores"]["ssl_truststore.bcfks"])
                for r in result.results if r["action"].endswith("security_facts") and "ansible_facts" in r["result"]]
    assert sorted(h for h, _store in gathered) == ["a1", "b1"], gathered
    assert all(store["error"] is None and store["entries"] for _h, store in gathered), gathered
    writes = [(r["host"], r["result"]) for r in result.results
              if r["action"].endswith("peer_trust") and "skip_reason" not in r["result"]]
    assert sorted((h, w["changed"], w["truststore"]["store_type"], w["truststore"]["stores"][0]["changed"])
                  for h, w in writes) == [("a1", True, "bcfks", True), ("b1", True, "bcfks", True)], writes
    for host in lab.hosts:
        peer = "b" if host.startswith("a") else "a"
        aliases = checks.jvm_aliases(lab, host)
        assert [alias for alias in aliases if alias.startswith(lab.cluster(peer).name + "-")] != [], aliases
        # The lab's FIPS client reads its password from the same credential store.
        assert checks.user_login(lab, host, peer).returncode == 0, host
    for host in lab.hosts:
        left = os.listdir(os.path.join(lab.node_root(host), "tmp"))
        assert [name for name in left if name.startswith(("crosscluster-keytool", "hsperfdata"))] == [], left
    secrets = dict(("%s store password" % c.name, c.store_password) for c in lab.clusters)
    directories = [result.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    assert scan("main playbook, password from maprtrustcreds.bcfks on FIPS nodes, -vvvv", secrets, result, watch,
                directories, log_path, record_it=False) == []
    state = conf_state(lab)
    again = run(lab, "user").expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == state

    # A credential store protected with a password of its own, or without the truststore's aliases, stops
    # the run at the gate by host, file and fix, before any node changes, the secrets in no message.
    b = lab.cluster("b")
    other = "b-own-credstore-password"
    for credentials, store_password, problem in (
            (dict((alias, b.store_password) for alias in TRUST_ALIASES), other,
             "does not open with Hadoop's default credential store password: it is protected with a password of "
             "its own (HADOOP_CREDSTORE_PASSWORD or a password file), which the collection does not have, or it is "
             "damaged; no other source has the truststore password. Fix: set mapr_truststore_password (vault it)"),
            ({"ssl.server.keystore.password": b.store_password}, None,
             "holds no ssl.server.truststore.password or ssl.client.truststore.password. Fix: recreate it with "
             "manageSSLKeys.sh createcreds, or set mapr_truststore_password (vault it)")):
        write_credential_store(lab.node_path("b1", "conf/" + BCFKS_NAME), credentials, store_password,
                               provider_jar=fips.STANDIN_JAR)
        state = conf_state(lab)
        failed = run(lab, "user")
        assert failed.rc != 0 and conf_state(lab) == state
        gate = [r["result"]["msg"] for r in failed.results if r["action"] == "ansible.builtin.fail"]
        assert len(gate) == 1, failed.describe()
        assert gate[0][1:] == ["b1 (cluster_b): %s: %s" % (stores["b1"], problem)], gate[0]
        assert other not in failed.output and b.store_password not in failed.output
