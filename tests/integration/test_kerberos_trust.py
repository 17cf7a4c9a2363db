"""kerberos_trust against two real MIT KDCs on loopback.

Four "nodes" (local connection, each with its own krb5.conf that knows only its own realm) in two
clusters, and one KDC host per cluster. The checks are the ones an administrator makes: kinit as a
user of one realm, then kvno of a service of the other.
"""

import json
import os
import subprocess

import pytest
from ansible_run import run_playbook
from leakscan import scan
from procwatch import ProcessWatch

pytest_plugins = ["kdc.fixtures"]

ROLE_PLAY = [{
    "name": "Kerberos cross-realm trust",
    "hosts": "mapr_clusters",
    "gather_facts": False,
    "roles": [{"role": "datafabric.crosscluster.kerberos_trust"}],
}]
TRUSTS = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
KNOWN = "krbtgt/B.TEST@A.TEST"


def node_conf(realm):
    return ("[libdefaults]\n    default_realm = %s\n    dns_lookup_kdc = false\n    dns_lookup_realm = false\n"
            "    rdns = false\n    udp_preference_limit = 1\n\n[realms]\n    %s = {\n        kdc = 127.0.0.1:%d\n"
            "    }\n" % (realm.name, realm.name, realm.port))


@pytest.fixture(scope="module")
def world(two_realms, tmp_path_factory):
    base = tmp_path_factory.mktemp("kerberos-nodes")
    groups = {}
    for letter, realm in (("a", two_realms.a), ("b", two_realms.b)):
        hosts = {}
        for n in (1, 2):
            conf = base / ("k%s%d.krb5.conf" % (letter, n))
            conf.write_text(node_conf(realm))
            hosts["k%s%d" % (letter, n)] = {"kerberos_trust_krb5_conf": str(conf)}
        groups["cluster_" + letter] = {
            "vars": {
                "kerberos_realm": realm.name,
                "kerberos_kdcs": ["127.0.0.1:%d" % realm.port],
                "kerberos_admin_server": "127.0.0.1:%d" % realm.kadmind_port,
                "kerberos_domains": [".%s.test" % letter],
                "kerberos_test_principal": realm.user,
                "kerberos_test_password": "{{ lookup('env', 'KRB_TEST_PW_%s') }}" % letter.upper(),
                "kerberos_test_service": realm.service,
            },
            "hosts": hosts,
        }
    kdc_groups = {"cluster_%s_kdc" % letter: {"hosts": {"kdc_" + letter: {
        "kerberos_kdc_profile": realm.kdc_conf, "kerberos_krb5_config": two_realms.krb5_config}}}
        for letter, realm in (("a", two_realms.a), ("b", two_realms.b))}
    inventory = {"all": {"vars": {"ansible_connection": "local", "crosscluster_trusts": TRUSTS},
                         "children": dict(kdc_groups, mapr_clusters={"children": groups})}}
    path = base / "inventory.json"
    path.write_text(json.dumps(inventory))
    return dict(inventory=str(path), kdcs=two_realms, confs={h: hv["kerberos_trust_krb5_conf"]
                                                             for g in groups.values() for h, hv in g["hosts"].items()})


def run(world, extra_vars=None, secret_vars=None, **kwargs):
    env = {"KRB_TEST_PW_A": world["kdcs"].a.user_password, "KRB_TEST_PW_B": world["kdcs"].b.user_password}
    return run_playbook(ROLE_PLAY, inventory=world["inventory"], connection=None, extra_vars=extra_vars,
                        secret_env=env, secret_vars=secret_vars, **kwargs)


def cross_realm(world, node, client, service):
    """As a user on ``node`` (its own krb5.conf): kinit as ``client``'s user, kvno ``service``'s service."""
    kdcs = world["kdcs"]
    ccache = kdcs.new_ccache(node)
    env = kdcs.env(KRB5_CONFIG=world["confs"][node], KRB5CCNAME=ccache)
    try:
        got = subprocess.run(["kinit", client.user], input=client.user_password + "\n", env=env,
                             capture_output=True, text=True, check=False)
        if got.returncode != 0:
            return got
        return subprocess.run(["kvno", service.service], env=env, capture_output=True, text=True, check=False)
    finally:
        if os.path.exists(ccache[len("FILE:"):]):
            os.unlink(ccache[len("FILE:"):])


def changed(result):
    return sorted((r["host"], r["task"]) for r in result.results if r["result"].get("changed"))


def test_trust_is_built_verified_idempotent_repaired_and_removed(world):
    kdcs = world["kdcs"]
    a, b = kdcs.a, kdcs.b
    assert cross_realm(world, "ka1", a, b).returncode != 0
    assert cross_realm(world, "kb2", b, a).returncode != 0

    first = run(world).expect_ok()
    assert changed(first), "the first run changed nothing"
    for realm in (a.name, b.name):
        for principal in ("krbtgt/B.TEST@A.TEST", "krbtgt/A.TEST@B.TEST"):
            terse = kdcs.getprinc(realm, principal)
            assert terse is not None, (realm, principal)
    assert kdcs.kvno_of(a.name, KNOWN) == kdcs.kvno_of(b.name, KNOWN)
    for node in ("ka1", "ka2"):
        assert cross_realm(world, node, a, b).returncode == 0
        assert "B.TEST" in open(world["confs"][node]).read()
    for node in ("kb1", "kb2"):
        assert cross_realm(world, node, b, a).returncode == 0

    second = run(world).expect_ok()
    assert changed(second) == []

    # One side re-keyed by hand with another password: detected (digests differ) and repaired.
    kdcs.cpw(b.name, KNOWN, "another-password-%d" % os.getpid())
    assert cross_realm(world, "ka1", a, b).returncode != 0
    repaired = run(world).expect_ok()
    assert any("Set the cross-realm principals" in task for _host, task in changed(repaired))
    assert cross_realm(world, "ka1", a, b).returncode == 0
    assert kdcs.kvno_of(a.name, KNOWN) == kdcs.kvno_of(b.name, KNOWN)

    # A kvno changed on one side only: repaired too.
    kdcs.kadmin_local(a.name, "modprinc -kvno 9 %s" % KNOWN)
    assert cross_realm(world, "ka1", a, b).returncode != 0
    run(world).expect_ok()
    assert cross_realm(world, "ka1", a, b).returncode == 0
    assert changed(run(world).expect_ok()) == []

    # Revoking the pair in crosscluster_trusts takes the principals and the peer realm away; twice
    # is no change.
    revoke = {"crosscluster_trusts": [dict(TRUSTS[0], state="absent")]}
    revoked = run(world, extra_vars=revoke).expect_ok()
    assert {host for host, _task in changed(revoked)} == {"ka1", "ka2", "kb1", "kb2"}
    for realm in (a.name, b.name):
        assert kdcs.getprinc(realm, KNOWN) is None and kdcs.getprinc(realm, "krbtgt/A.TEST@B.TEST") is None
    assert "B.TEST" not in open(world["confs"]["ka2"]).read() and "A.TEST = {" not in open(world["confs"]["kb1"]).read()
    assert cross_realm(world, "ka1", a, b).returncode != 0 and cross_realm(world, "kb1", b, a).returncode != 0
    assert changed(run(world, extra_vars=revoke).expect_ok()) == []

    # Built again, then removed with the role-wide kerberos_trust_state.
    run(world).expect_ok()
    assert cross_realm(world, "ka1", a, b).returncode == 0
    removed = run(world, extra_vars={"kerberos_trust_state": "absent"}).expect_ok()
    assert changed(removed)
    for realm in (a.name, b.name):
        assert kdcs.getprinc(realm, KNOWN) is None
    assert "B.TEST = {" not in open(world["confs"]["ka1"]).read()
    assert cross_realm(world, "ka1", a, b).returncode != 0


def test_a_vaulted_password_never_reaches_ps_or_the_log(world, tmp_path):
    secret = "Vaulted-Xrealm-%d-pw" % os.getpid()
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result = run(world, secret_vars={"kerberos_trust_passwords": {KNOWN: secret}}, verbosity=4,
                     env={"ANSIBLE_LOG_PATH": log_path}).expect_ok()
    leaks = scan("kerberos_trust with a vaulted password, two MIT KDCs, -vvvv",
                 {"vaulted cross-realm password": secret, "A.TEST user password": world["kdcs"].a.user_password,
                  "B.TEST user password": world["kdcs"].b.user_password}, result, watch, [result.run_dir], log_path)
    assert leaks == []
    assert watch.ps_samples, "the process watch never sampled"
    # It caught the tools the password is piped to, so its silence below means something.
    assert watch.seen("ktutil") or watch.seen("kadmin.local"), sorted(watch.cmdlines)[:40]
    assert not [sample for sample in watch.ps_samples if secret in sample]
    assert watch.seen(secret) == []
    assert secret not in result.output and result.files_containing(secret) == []
    for password in (world["kdcs"].a.user_password, world["kdcs"].b.user_password):
        assert password not in result.output
    # The vaulted password really was used: keys derived from it match what both KDCs hold.
    check = run_playbook([{"hosts": "kdc_a,kdc_b", "gather_facts": False, "tasks": [{
        "datafabric.crosscluster.krb5_principal": {
            "principal": KNOWN, "password": "{{ lookup('env', 'XPW') }}",
            "realm": "{{ 'A.TEST' if inventory_hostname == 'kdc_a' else 'B.TEST' }}",
            "kdc_profile": "{{ kerberos_kdc_profile }}", "krb5_config": "{{ kerberos_krb5_config }}",
            "enctypes": ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]}}]}],
        inventory=world["inventory"], connection=None, check=True, secret_env={"XPW": secret}).expect_ok()
    assert all(r["result"]["keys_match"] for r in check.results), check.results


def test_auth_to_local_rules_for_the_peer_realm(world):
    run(world, extra_vars={"kerberos_trust_auth_to_local": True}).expect_ok()
    conf = open(world["confs"]["ka2"]).read()
    own = conf[conf.index("A.TEST = {"):]
    assert "auth_to_local = RULE:[1:$1@$0](.*@B\\.TEST)s/@.*//" in own[:own.index("}")]
    again = run(world, extra_vars={"kerberos_trust_auth_to_local": True}).expect_ok()
    assert changed(again) == []
    run(world, extra_vars={"kerberos_trust_auth_to_local": True, "kerberos_trust_state": "absent"}).expect_ok()
    after = open(world["confs"]["ka2"]).read()
    assert "auth_to_local" not in after and "A.TEST = {" in after and "B.TEST = {" not in after
