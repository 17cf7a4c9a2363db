"""7.x's user trust stores are no input to the gather: ssl_usertruststore and its siblings, even holding a
peer's CA under the collection's own alias, change nothing security_facts reports or sends to the
controller, so no plan, write or revoke can be made from them (docs/stores.md says why)."""

import base64
import datetime

import jks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.datafabric.crosscluster.plugins.module_utils._planner import held_stores
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import gather, store_bytes

USER_TRUSTSTORES = ("ssl_usertruststore", "ssl_usertruststore.p12", "ssl_usertruststore.pem")
PASSWORD = "user-store-password"


def ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


def node(tmp_path, certs):
    home = tmp_path / "opt" / "mapr"
    conf = home / "conf"
    conf.mkdir(parents=True)
    (conf / "mapr-clusters.conf").write_text("a.example secure=true na1:7222\n")
    (conf / "daemon.conf").write_text("mapr.daemon.user=mapr\nmapr.daemon.group=mapr\n")
    own = jks.KeyStore.new("jks", [jks.TrustedCertEntry.new("a.example-ca", certs[0].public_bytes(
        serialization.Encoding.DER))])
    (conf / "ssl_truststore").write_bytes(own.saves(PASSWORD))
    (home / "MapRBuildVersion").write_text("7.8.0.0.20240101000000.GA\n")
    flag = tmp_path / "fips_enabled"
    flag.write_text("0\n")
    return home, flag


def add_user_truststores(home, certs):
    """The user trust store family as 7.x writes it, with b's CA added under the collection's alias."""
    entries = [jks.TrustedCertEntry.new(alias, cert.public_bytes(serialization.Encoding.DER))
               for alias, cert in certs.items()]
    conf = home / "conf"
    (conf / USER_TRUSTSTORES[0]).write_bytes(jks.KeyStore.new("jks", entries).saves(PASSWORD))
    (conf / USER_TRUSTSTORES[1]).write_bytes(pkcs12.serialize_java_truststore(
        [pkcs12.PKCS12Certificate(cert, alias.encode()) for alias, cert in certs.items()],
        serialization.BestAvailableEncryption(PASSWORD.encode())))
    (conf / USER_TRUSTSTORES[2]).write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                                      for c in certs.values()))


def test_the_user_truststores_change_nothing_the_gather_reports_or_sends(tmp_path):
    own, peer = ca("a CA"), ca("b CA")
    home, flag = node(tmp_path, [own])
    without = gather(str(home), str(flag))
    sent_without = store_bytes(str(home / "conf"))

    alias = "b.example-" + peer.fingerprint(hashes.SHA256()).hex()[:12]
    add_user_truststores(home, {"a.example-ca": own, alias: peer})
    with_them = gather(str(home), str(flag))
    sent_with = store_bytes(str(home / "conf"))

    assert with_them == without
    assert sent_with == sent_without
    assert not [name for name in list(with_them["stores"]) + list(sent_with) if "usertruststore" in name]
    # What every write and revoke plans from names the ssl_truststore family only.
    facts = dict(with_them, truststores={name: {"exists": True, "entries": []} for name in USER_TRUSTSTORES})
    assert held_stores(facts) == {"ssl_truststore": set()}
    # The peer's CA really is in the user trust store the gather passed over.
    store = jks.KeyStore.load(str(home / "conf" / USER_TRUSTSTORES[0]), PASSWORD)
    assert alias in store.certs
    assert base64.b64decode(sent_with["ssl_truststore"]) == (home / "conf" / "ssl_truststore").read_bytes()
