"""7.x's user trust stores (ssl_usertruststore, .p12, .pem) are left alone (docs/stores.md says why).

A lab node has them as 7.x writes them (the cluster's own CA, the trust stores' password). User trust
and its revoke, in check mode and for real, leave every one byte-identical on every node, while the
peer's CA does go into (and out of) ssl_truststore: the test could fail either way. On a1 an
administrator has put b's CA into the user trust store by hand, under the very alias the collection
gives it, so a revoke that reached into the user trust store would take it out.
"""

import hashlib
import os

from ansible_run import run_playbook
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lab.labkit import jvm, pki
from labplay import PLAYBOOK, changed_hosts, conf_state

pytest_plugins = ["lab.fixtures"]

PAIR = {"clusters": ["cluster_a", "cluster_b"], "type": "user"}


def play(lab, trusts, **kwargs):
    return run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None,
                        extra_vars={"crosscluster_trusts": trusts}, **kwargs)


def user_stores(lab):
    """SHA-256 of every user trust store file of every node."""
    state = {}
    for host in lab.hosts:
        for name in pki.USER_TRUSTSTORES:
            with open(lab.node_path(host, "conf/" + name), "rb") as handle:
                state["%s:%s" % (host, name)] = hashlib.sha256(handle.read()).hexdigest()
    return state


def ca(cluster):
    with open(cluster.ca_pem, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def collection_alias(cluster):
    """The alias the user_trust role imports a peer's CA under: <cluster name>-<12 hex of its SHA-256>."""
    return "%s-%s" % (cluster.name, ca(cluster).fingerprint(hashes.SHA256()).hex()[:12])


def aliases(lab, host, store):
    return set(jvm.keytool_list(lab.node_path(host, "conf/" + store), lab.cluster_of(host).store_password))


def test_user_trust_and_its_revoke_leave_the_user_truststores_byte_identical(make_lab):
    lab = make_lab(clusters=2, nodes=2)
    a, b = lab.cluster("a"), lab.cluster("b")
    peer_alias = collection_alias(b)
    pki.write_truststores(lab.node_path("a1", "conf"), {"%s-ca" % a.name: ca(a), peer_alias: ca(b)},
                          a.store_password, pki.USER_TRUSTSTORE)
    assert aliases(lab, "a1", pki.USER_TRUSTSTORE) == {"%s-ca" % a.name, peer_alias}
    before = user_stores(lab)
    assert len(before) == 3 * len(lab.hosts)

    untouched = conf_state(lab)
    dry = play(lab, [PAIR], check=True, diff=True).expect_ok()
    assert changed_hosts(dry) == sorted(lab.hosts) and conf_state(lab) == untouched
    assert pki.USER_TRUSTSTORE not in dry.output

    built = play(lab, [PAIR]).expect_ok()
    assert changed_hosts(built) == sorted(lab.hosts)
    assert peer_alias in aliases(lab, "a2", "ssl_truststore")
    assert user_stores(lab) == before
    assert pki.USER_TRUSTSTORE not in built.output

    revoked = play(lab, [dict(PAIR, state="absent")]).expect_ok()
    assert changed_hosts(revoked) == sorted(lab.hosts)
    assert peer_alias not in aliases(lab, "a2", "ssl_truststore")
    assert user_stores(lab) == before
    assert aliases(lab, "a1", pki.USER_TRUSTSTORE) == {"%s-ca" % a.name, peer_alias}
    # Nothing was left next to them either (a backup or temporary copy of a user trust store).
    for host in lab.hosts:
        names = os.listdir(lab.node_path(host, "conf"))
        assert sorted(n for n in names if n.startswith(pki.USER_TRUSTSTORE)) == sorted(pki.USER_TRUSTSTORES)
