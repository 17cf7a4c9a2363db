"""A cluster's own CA chain (module_utils/_own_ca.py), on real certificates made here.

The core property: a cluster hands its peers what issued its own server certificate, checked by
signature, and never what its truststore merely trusts (a CA added by hand, a peer's CA), so
trust is never passed on.
"""

import datetime
import random

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._own_ca import issuer_chain, own_ca
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import Certificate

KEYSTORE = "/opt/mapr/conf/ssl_keystore.pem"
NOW = datetime.datetime.now(datetime.timezone.utc)


class Issued:
    """A key and its certificate (``Certificate``), signed by ``issuer`` or by itself."""

    def __init__(self, common_name, issuer=None, ca=True, key=None, days=(-1, 365), subject=None):
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        name = subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        builder = (x509.CertificateBuilder().subject_name(name)
                   .issuer_name(issuer.x509.subject if issuer else name)
                   .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(NOW + datetime.timedelta(days=days[0]))
                   .not_valid_after(NOW + datetime.timedelta(days=days[1]))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        self.x509 = builder.sign(issuer.key if issuer else self.key, hashes.SHA256())
        self.cert = Certificate.from_x509(self.x509)

    @property
    def pem(self):
        return self.x509.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def sha256(self):
        return self.cert.sha256


@pytest.fixture(scope="module")
def pki():
    root = Issued("Cluster A Root CA")
    inter = Issued("Cluster A Intermediate CA", issuer=root)
    leaf = Issued("*.a.example", issuer=inter, ca=False)
    peer_root = Issued("Cluster B Root CA")
    handmade = Issued("Corporate LDAP CA")
    return dict(root=root, inter=inter, leaf=leaf, peer=peer_root, handmade=handmade)


def _keystore(*issued, error=None):
    return {"path": KEYSTORE, "certificates": [i.pem for i in issued], "error": error}


def _trusted(*pairs):
    return [(alias, issued.cert) for alias, issued in pairs]


def _digests(found):
    return [c["sha256"] for c in found]


def test_the_chain_comes_from_the_keystore_pem_alone(pki):
    found = own_ca(_keystore(pki["leaf"], pki["inter"], pki["root"]), [])
    assert _digests(found) == [pki["inter"].sha256, pki["root"].sha256]
    assert [c["subject"] for c in found] == ["CN=Cluster A Intermediate CA", "CN=Cluster A Root CA"]
    assert found[0]["pem"] == pki["inter"].pem and found[0]["issuer"] == "CN=Cluster A Root CA"
    assert found[0]["not_after"].endswith("+00:00")


def test_the_chain_comes_from_the_truststore_when_the_keystore_holds_only_the_leaf(pki):
    trusted = _trusted(("root", pki["root"]), ("handmade", pki["handmade"]), ("inter", pki["inter"]))
    found = own_ca(_keystore(pki["leaf"]), trusted)
    assert _digests(found) == [pki["inter"].sha256, pki["root"].sha256]


def test_the_keystore_and_the_truststore_together(pki):
    found = own_ca(_keystore(pki["leaf"], pki["inter"]), _trusted(("root", pki["root"])))
    assert _digests(found) == [pki["inter"].sha256, pki["root"].sha256]


def test_a_chain_without_its_root_is_what_is_known(pki):
    assert _digests(own_ca(_keystore(pki["leaf"], pki["inter"]), [])) == [pki["inter"].sha256]


def test_a_self_signed_server_certificate_exports_itself_when_it_is_a_ca(pki):
    selfie = Issued("node1.a.example", ca=True)
    trusted = _trusted(("peer", pki["peer"]), ("handmade", pki["handmade"]), ("root", pki["root"]))
    found = own_ca(_keystore(selfie, pki["root"]), trusted)
    assert _digests(found) == [selfie.sha256]


def test_a_self_signed_server_certificate_that_is_no_ca_is_refused(pki):
    selfie = Issued("node1.a.example", ca=False)
    with pytest.raises(CrossclusterError) as err:
        own_ca(_keystore(selfie), [])
    assert "CN=node1.a.example (sha256 %s), which is no CA certificate" % selfie.sha256[:16] in str(err.value)
    assert "basicConstraints lacks CA:true" in str(err.value) and "Fix:" in str(err.value)


def test_an_issuer_that_is_no_ca_is_refused_never_left_out(pki):
    # Signed by a certificate that may not issue others: a hole in the chain, not a shorter chain.
    fake = Issued("Not A CA", ca=False)
    leaf = Issued("*.a.example", issuer=fake, ca=False)
    with pytest.raises(CrossclusterError) as err:
        own_ca(_keystore(leaf, fake), [])
    assert "CN=Not A CA" in str(err.value) and "no CA certificate" in str(err.value)


def test_an_export_alias_naming_a_certificate_that_is_no_ca_is_refused(pki):
    with pytest.raises(CrossclusterError) as err:
        own_ca(_keystore(pki["leaf"]), _trusted(("server", pki["leaf"])), ["server"])
    assert str(err.value).startswith("crosscluster_export_aliases holds CN=*.a.example")


def test_trust_is_never_passed_on(pki):
    """Everything in the truststore that did not issue the cluster's certificate stays home."""
    peer_inter = Issued("Cluster B Intermediate CA", issuer=pki["peer"])
    trusted = _trusted(("b.example-" + pki["peer"].sha256[:12], pki["peer"]), ("corp", pki["handmade"]),
                       ("b-inter", peer_inter), ("root", pki["root"]), ("inter", pki["inter"]))
    for keystore in (_keystore(pki["leaf"]), _keystore(pki["leaf"], pki["inter"], pki["root"])):
        found = _digests(own_ca(keystore, trusted))
        assert found == [pki["inter"].sha256, pki["root"].sha256]
        for other in (pki["peer"], pki["handmade"], peer_inter):
            assert other.sha256 not in found
    # The cluster's own issuer absent, a peer's CA is still not taken in its place.
    with pytest.raises(CrossclusterError):
        own_ca(_keystore(pki["leaf"]), _trusted(("peer", pki["peer"]), ("corp", pki["handmade"])))


def test_a_ca_with_the_issuers_name_but_another_key_is_not_taken(pki):
    forged_inter = Issued("forged", key=None, subject=pki["inter"].x509.subject)
    forged_root = Issued("forged", subject=pki["root"].x509.subject)
    assert forged_inter.x509.subject == pki["inter"].x509.subject
    with pytest.raises(CrossclusterError, match="neither in ssl_keystore.pem nor in ssl_truststore"):
        own_ca(_keystore(pki["leaf"]), _trusted(("inter", forged_inter)))
    # Listed first, the forgeries lose to the real issuers.
    trusted = _trusted(("f-inter", forged_inter), ("f-root", forged_root), ("inter", pki["inter"]),
                       ("root", pki["root"]))
    assert _digests(own_ca(_keystore(pki["leaf"]), trusted)) == [pki["inter"].sha256, pki["root"].sha256]
    # A forged root above the real intermediate ends the chain there.
    assert _digests(own_ca(_keystore(pki["leaf"], pki["inter"]), _trusted(("f-root", forged_root)))) == [
        pki["inter"].sha256]


def test_a_missing_issuer_names_both_files_and_the_override(pki):
    with pytest.raises(CrossclusterError) as err:
        own_ca(_keystore(pki["leaf"]), _trusted(("root", pki["root"])))
    text = str(err.value)
    assert "ssl_keystore.pem" in text and "ssl_truststore" in text and "crosscluster_export_aliases" in text
    assert "CN=*.a.example" in text and "issuer CN=Cluster A Intermediate CA" in text


@pytest.mark.parametrize("error", ["does not exist", "cannot be read (Permission denied)", "holds no certificate"])
def test_a_keystore_that_was_not_read_is_an_error_naming_it(pki, error):
    with pytest.raises(CrossclusterError) as err:
        own_ca({"path": KEYSTORE, "certificates": [], "error": error}, _trusted(("root", pki["root"])))
    assert str(err.value).startswith("%s: %s" % (KEYSTORE, error))
    assert err.value.path == KEYSTORE and "crosscluster_export_aliases" in err.value.fix


def test_a_corrupt_certificate_block_is_named(pki):
    broken = pki["inter"].pem.replace(pki["inter"].pem.splitlines()[3], "QUJD" * 16)
    with pytest.raises(CrossclusterError, match="certificate 2 does not parse") as err:
        own_ca({"path": KEYSTORE, "certificates": [pki["leaf"].pem, broken], "error": None}, [])
    assert err.value.path == KEYSTORE


def test_export_aliases_pick_those_truststore_entries_case_insensitively(pki):
    trusted = _trusted(("root", pki["root"]), ("corp", pki["handmade"]), ("peer", pki["peer"]))
    found = own_ca(_keystore(pki["leaf"]), trusted, ["CORP", "Root"])
    assert [(c["alias"], c["sha256"]) for c in found] == [("root", pki["root"].sha256),
                                                          ("corp", pki["handmade"].sha256)]
    assert found[0]["pem"] == pki["root"].pem
    # The override needs no readable keystore.
    assert len(own_ca({"path": KEYSTORE, "certificates": [], "error": "does not exist"}, trusted, ["corp"])) == 1


def test_an_unknown_export_alias_is_an_error(pki):
    with pytest.raises(CrossclusterError) as err:
        own_ca(_keystore(pki["leaf"]), _trusted(("root", pki["root"])), ["root", "Nope", "gone"])
    assert "crosscluster_export_aliases names gone, nope" in str(err.value)
    assert "keytool -list" in err.value.fix


def test_every_node_gives_the_same_chain(pki):
    """Truststores in another order, or with hand-added entries on one node, change nothing."""
    entries = [("peer", pki["peer"]), ("root", pki["root"]), ("corp", pki["handmade"]), ("inter", pki["inter"])]
    expected = own_ca(_keystore(pki["leaf"]), _trusted(*entries))
    shuffler = random.Random(7)
    for _round in range(6):
        node = list(entries) + [("extra%d" % n, Issued("Extra %d" % n)) for n in range(shuffler.randint(0, 2))]
        shuffler.shuffle(node)
        assert own_ca(_keystore(pki["leaf"]), _trusted(*node)) == expected


def test_a_renewed_root_gives_the_same_chain_on_every_node(pki):
    """The root renewed with its key (old and new in the truststores): both verify; one is chosen, always the same."""
    renewed = Issued("Cluster A Root CA", key=pki["root"].key, days=(-1, 3650))
    assert renewed.sha256 != pki["root"].sha256
    one = own_ca(_keystore(pki["leaf"], pki["inter"]), _trusted(("old", pki["root"]), ("new", renewed)))
    other = own_ca(_keystore(pki["leaf"], pki["inter"]), _trusted(("new", renewed), ("old", pki["root"])))
    assert one == other
    # The one valid longest: an older copy that expires first would make peers' checks fail first.
    assert _digests(one) == [pki["inter"].sha256, renewed.sha256]


def test_the_keystore_chain_wins_over_a_copy_only_one_node_trusts(pki):
    """The keystore is the cluster's, the same on every node; a truststore may differ from node to node."""
    renewed = Issued("Cluster A Root CA", key=pki["root"].key, days=(-1, 3650))
    keystore = _keystore(pki["leaf"], pki["inter"], pki["root"])
    plain = own_ca(keystore, _trusted(("inter", pki["inter"])))
    assert own_ca(keystore, _trusted(("new", renewed), ("inter", pki["inter"]))) == plain
    assert _digests(plain) == [pki["inter"].sha256, pki["root"].sha256]


def test_issuers_that_sign_each_other_end_the_walk(pki):
    key_x, key_y = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    name_x = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "X")])
    name_y = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Y")])

    def make(subject, issuer, key, signer):
        return Certificate.from_x509(
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=9)).sign(signer, hashes.SHA256()))

    x_by_y, y_by_x = make(name_x, name_y, key_x, key_y), make(name_y, name_x, key_y, key_x)
    leaf = make(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")]), name_x,
                ec.generate_private_key(ec.SECP256R1()), key_x)
    assert [c.sha256 for c in issuer_chain(leaf, [y_by_x, x_by_y])] == [x_by_y.sha256, y_by_x.sha256]
