"""Per-cluster PKI: a CA, a server key and certificate, and the stores a secure 7.x node keeps.

Everything is written with cryptography and pyjks: keytool costs about half a second per call,
which would dominate `up`, and the JVM is used only to read the result back in tests.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass

import jks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .files import write_file

# 7.x writes the key stores readable by the owner only and the trust stores world-readable.
KEYSTORE_MODE = 0o600
TRUSTSTORE_MODE = 0o644
# 7.x's trust store for users other than the cluster owner, and its siblings (non-FIPS nodes).
USER_TRUSTSTORE = "ssl_usertruststore"
USER_TRUSTSTORES = (USER_TRUSTSTORE, USER_TRUSTSTORE + ".p12", USER_TRUSTSTORE + ".pem")


@dataclass
class ClusterPki:
    ca_key: rsa.RSAPrivateKey
    ca_cert: x509.Certificate
    server_key: rsa.RSAPrivateKey
    server_cert: x509.Certificate

    @property
    def ca_pem(self) -> bytes:
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "datafabric lab"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _make_ca(cluster: str, start, now):
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_subject = _name(f"{cluster} lab CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject).issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert


def make_cluster_pki(cluster: str, dns_names: list[str], addresses: list[str],
                     days: int = 825, issuer: ClusterPki | None = None) -> ClusterPki:
    """A CA and a server certificate for the cluster; with ``issuer``, that cluster's CA signs it
    (two clusters under one corporate CA)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    # Backdate a little so a clock step between the lab and a client cannot make it "not yet valid".
    start = now - datetime.timedelta(hours=1)
    if issuer is not None:
        ca_key, ca_cert = issuer.ca_key, issuer.ca_cert
    else:
        ca_key, ca_cert = _make_ca(cluster, start, now)
    ca_subject = ca_cert.subject
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cluster)).issuer_name(ca_subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=True,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ClusterPki(ca_key, ca_cert, server_key, server_cert)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def write_keystores(conf_dir: str, alias: str, pki: ClusterPki, password: str) -> None:
    """ssl_keystore (JKS), .p12 and .pem: the server key with its chain, all under one password."""
    alias = alias.lower()
    pw = password.encode()
    chain = [pki.server_cert, pki.ca_cert]
    pkcs8 = pki.server_key.private_bytes(serialization.Encoding.DER,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
    entry = jks.PrivateKeyEntry.new(alias, [_der(c) for c in chain], pkcs8)
    write_file(os.path.join(conf_dir, "ssl_keystore"),
               jks.KeyStore.new("jks", [entry]).saves(password), KEYSTORE_MODE)
    write_file(os.path.join(conf_dir, "ssl_keystore.p12"),
               pkcs12.serialize_key_and_certificates(
                   alias.encode(), pki.server_key, pki.server_cert, [pki.ca_cert],
                   serialization.BestAvailableEncryption(pw)),
               KEYSTORE_MODE)
    key_pem = pki.server_key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(pw))
    write_file(os.path.join(conf_dir, "ssl_keystore.pem"),
               key_pem + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
               KEYSTORE_MODE)


def write_truststores(conf_dir: str, certs: dict[str, x509.Certificate], password: str,
                      name: str = "ssl_truststore") -> None:
    """Rewrite the three trust store siblings (``name``, ``.p12``, ``.pem``) from one alias -> certificate
    map, so they agree. ``name="ssl_usertruststore"`` writes 7.x's user trust store family the same way."""
    certs = {alias.lower(): cert for alias, cert in certs.items()}
    entries = [jks.TrustedCertEntry.new(alias, _der(cert)) for alias, cert in certs.items()]
    write_file(os.path.join(conf_dir, name),
               jks.KeyStore.new("jks", entries).saves(password), TRUSTSTORE_MODE)
    write_file(os.path.join(conf_dir, name + ".p12"),
               pkcs12.serialize_java_truststore(
                   [pkcs12.PKCS12Certificate(cert, alias.encode()) for alias, cert in certs.items()],
                   serialization.BestAvailableEncryption(password.encode())),
               TRUSTSTORE_MODE)
    write_file(os.path.join(conf_dir, name + ".pem"),
               b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs.values()),
               TRUSTSTORE_MODE)


def read_truststore(conf_dir: str, password: str, name: str = "ssl_truststore") -> dict[str, x509.Certificate]:
    """The JKS trust store ``name`` as alias -> certificate (the JKS is the store of record on 7.x)."""
    store = jks.KeyStore.load(os.path.join(conf_dir, name), password)
    return {alias: x509.load_der_x509_certificate(entry.cert)
            for alias, entry in store.certs.items()}


def add_trusted_cert(conf_dir: str, alias: str, cert: x509.Certificate, password: str) -> None:
    """Import one certificate into all three trust stores, the way an administrator would by hand."""
    certs = read_truststore(conf_dir, password)
    certs[alias.lower()] = cert
    write_truststores(conf_dir, certs, password)
