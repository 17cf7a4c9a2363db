"""The main playbook on the lab with two real MIT KDCs: the Kerberos checks follow what the run changed.

Each lab node has its own krb5.conf that knows only its own realm. The first run sets the
cross-realm principals in both KDCs and every node's krb5.conf, and the node that acts for each
cluster gets a ticket for the peer realm's service (kinit, then kvno). A re-run that changes
nothing makes no Kerberos check; ``all_trust_verify_all`` makes them again; a KDC re-keyed by hand
on one side is repaired and both sides check the pair again.
"""

import json
import secrets

from labplay import conf_state, run
from test_kerberos_trust import KNOWN, node_conf

pytest_plugins = ["lab.fixtures", "kdc.fixtures"]

KVNO = "Get a ticket for the peer's test service, across the realms"


def kerberos_checks(result):
    """{host: times it got a ticket for a peer realm's service} in this run."""
    found = {}
    for record in result.results:
        if record["task"].endswith(KVNO) and record["status"] == "ok":
            found[record["host"]] = found.get(record["host"], 0) + 1
    return found


def _inventory(lab, kdcs, tmp_path, kdc_profiles=None):
    """The lab's clusters with a realm each (A's and B's KDC), as an inventory file; ``kdc_profiles``
    replaces a cluster letter's kdc.conf."""
    realms = {"a": kdcs.a, "b": kdcs.b}
    children = {}
    for letter, realm in realms.items():
        hosts = {}
        for host in lab.cluster(letter).hosts:
            conf = tmp_path / ("%s.krb5.conf" % host)
            conf.write_text(node_conf(realm), encoding="utf-8")
            hosts[host] = {"kerberos_trust_krb5_conf": str(conf)}
        children["cluster_" + letter] = {"hosts": hosts, "vars": {
            "kerberos_realm": realm.name, "kerberos_kdcs": ["127.0.0.1:%d" % realm.port],
            "kerberos_admin_server": "127.0.0.1:%d" % realm.kadmind_port,
            "kerberos_domains": [".%s.test" % letter], "kerberos_test_principal": realm.user,
            "kerberos_test_password": "{{ lookup('env', 'KRB_TEST_PW_%s') }}" % letter.upper(),
            "kerberos_test_service": realm.service}}
        children["cluster_%s_kdc" % letter] = {"hosts": {"kdc_" + letter: {
            "ansible_connection": "local", "kerberos_kdc_profile": (kdc_profiles or {}).get(letter, realm.kdc_conf),
            "kerberos_krb5_config": kdcs.krb5_config}}}
    inventory = tmp_path / "kerberos.json"
    inventory.write_text(json.dumps({"all": {"children": children}}), encoding="utf-8")
    return inventory


def _secret_env(kdcs):
    return {"KRB_TEST_PW_A": kdcs.a.user_password, "KRB_TEST_PW_B": kdcs.b.user_password}


def test_the_playbook_checks_kerberos_trust_only_for_the_pairs_it_changed(make_lab, two_realms, tmp_path):
    lab = make_lab(clusters=2, nodes=2)
    kdcs = two_realms
    inventory = _inventory(lab, kdcs, tmp_path)
    secret_env = _secret_env(kdcs)
    speakers = {lab.cluster("a").hosts[0]: 1, lab.cluster("b").hosts[0]: 1}

    def play(**extra_vars):
        return run(lab, "all", extra_args=["-i", str(inventory)], secret_env=secret_env,
                   extra_vars=extra_vars).expect_ok()

    first = play()
    assert kerberos_checks(first) == speakers, first.describe()
    assert kdcs.kvno_of(kdcs.a.name, KNOWN) == kdcs.kvno_of(kdcs.b.name, KNOWN)

    again = play()
    assert [r for r in again.results if r["result"].get("changed")] == []
    assert kerberos_checks(again) == {}, "a re-run that changed nothing made Kerberos checks"
    assert kerberos_checks(play(all_trust_verify_all=True)) == speakers

    # Re-keyed by hand in B's KDC: the run sets it again, in B's KDC, and both clusters check the pair.
    kdcs.cpw(kdcs.b.name, KNOWN, secrets.token_urlsafe(24))
    repaired = play()
    assert kerberos_checks(repaired) == speakers, repaired.describe()
    assert kdcs.kvno_of(kdcs.a.name, KNOWN) == kdcs.kvno_of(kdcs.b.name, KNOWN)


READ_TASK = "datafabric.crosscluster.kerberos_trust : Stop the run, before any file changes, if the cluster's KDC " \
    "could not be read"


def test_a_kdc_that_cannot_be_read_stops_the_run_before_any_write(make_lab, two_realms, tmp_path):
    """B's KDC profile names a database that is not there (a wrong path in kdc.conf): kadmin.local
    fails on the read, which runs before the first write, so no node gets user trust either."""
    lab = make_lab(clusters=2, nodes=2)
    kdcs = two_realms
    broken = tmp_path / "b.kdc.conf"
    broken.write_text(kdcs.b.kdc_conf_text().replace("/principal\n", "/no-such-dir/principal\n"), encoding="utf-8")
    inventory = _inventory(lab, kdcs, tmp_path, kdc_profiles={"b": str(broken)})
    confs = sorted(tmp_path.glob("*.krb5.conf"))
    principals = dict((realm.name, kdcs.kadmin_local(realm.name, "listprincs").stdout) for realm in (kdcs.a, kdcs.b))
    before = (conf_state(lab), [c.read_bytes() for c in confs])
    result = run(lab, "all", extra_args=["-i", str(inventory)], secret_env=_secret_env(kdcs))
    assert result.rc != 0, result.describe()
    failed = [r for r in result.results if r["status"] in ("failed", "unreachable")]
    speaker = lab.cluster("b").hosts[0]
    assert [(r["host"], r["task"]) for r in failed] == [(speaker, READ_TASK)], result.describe()
    assert not [r for r in result.results if r["action"] in (
        "datafabric.crosscluster.peer_trust", "datafabric.crosscluster.crossclusterticket_merge",
        "datafabric.crosscluster.krb5_principal", "datafabric.crosscluster.krb5_conf")], result.describe()
    assert "PLAY [Build user trust" not in result.stdout
    assert (conf_state(lab), [c.read_bytes() for c in confs]) == before
    assert principals == dict((realm.name, kdcs.kadmin_local(realm.name, "listprincs").stdout)
                              for realm in (kdcs.a, kdcs.b))
    message = failed[0]["result"]["msg"]
    assert message.startswith("%s: could not read the cross-realm principals in its cluster's KDC (kdc_b), so no "
                              "file was changed on any node: kadmin.local getprinc failed" % speaker), message
    assert "Cannot open DB2 database" in message and "Fix: " in message, message
    assert kdcs.b.master_password not in result.output
