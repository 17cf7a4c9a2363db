"""Certificates and Java truststores for the integration tests, and readers that are not ours.

Certificates are EC P-256, made with cryptography. Stores are written the way MapR 7.x keeps
them (JKS with pyjks, PKCS12 with ``serialize_java_truststore``, PEM) and read back with tools
the collection does not use: the JVM's ``keytool`` and Python's ``ssl``. ``keytool`` always gets
its password from the environment (``-storepass:env``), never from its command line.
"""

import datetime
import hashlib
import os
import re
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import jks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEYTOOL = os.environ.get("KEYTOOL", "keytool")
PASSWORD_ENV = "DATAFABRIC_TEST_STOREPASS"


class Ca:
    """A self-signed CA: key, certificate and the facts tests compare against."""

    def __init__(self, common_name, days=365):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.common_name = common_name

    @property
    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def der(self):
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def sha256(self):
        return hashlib.sha256(self.der).hexdigest()

    @property
    def keytool_sha256(self):
        """The fingerprint as keytool prints it: upper-case hex pairs joined by ':'."""
        return ":".join(self.sha256[i:i + 2] for i in range(0, 64, 2)).upper()

    @property
    def not_after(self):
        return self.cert.not_valid_after_utc

    @property
    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode("ascii")

    def issue_server(self, host="localhost"):
        """(key, certificate) of a TLS server certificate for ``host`` signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return key, cert


# ------------------------------------------------------------------ writing stores


def jks_bytes(password, cas):
    """A JKS truststore holding ``cas`` ({alias: Ca})."""
    entries = [jks.TrustedCertEntry.new(alias, ca.der) for alias, ca in cas.items()]
    return jks.KeyStore.new("jks", entries).saves(password)


def p12_bytes(password, cas):
    """A PKCS12 truststore keytool can read (trustedCertEntry items)."""
    certs = [pkcs12.PKCS12Certificate(ca.cert, alias.encode("utf-8")) for alias, ca in cas.items()]
    return pkcs12.serialize_java_truststore(
        certs, serialization.BestAvailableEncryption(password.encode("utf-8")))


def pem_bytes(cas):
    return "".join(ca.pem for ca in cas.values()).encode("ascii")


def write_file(path, data, mode=0o644):
    path = Path(path)
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def make_mapr_stores(conf_dir, password, cas):
    """``ssl_truststore`` (JKS), ``.p12`` and ``.pem`` in ``conf_dir``, each holding ``cas``.

    Returns the three paths in that order.
    """
    conf_dir = Path(conf_dir)
    conf_dir.mkdir(parents=True, exist_ok=True)
    base = conf_dir / "ssl_truststore"
    return [
        write_file(base, jks_bytes(password, cas)),
        write_file(str(base) + ".p12", p12_bytes(password, cas)),
        write_file(str(base) + ".pem", pem_bytes(cas)),
    ]


def snapshot(paths):
    """{path: bytes or None} to compare a set of files before and after a run."""
    result = {}
    for path in paths:
        try:
            result[str(path)] = Path(path).read_bytes()
        except FileNotFoundError:
            result[str(path)] = None
    return result


# ------------------------------------------------------------------ reading stores back

_ENTRY_RE = re.compile(r"^(?P<alias>[^\s,][^,]*), .*, (?P<type>\w+), ?$")
_FINGERPRINT_RE = re.compile(r"^Certificate fingerprint \(SHA-256\): (?P<fp>[0-9A-F:]+)\s*$")


def keytool(*args, password, check=True):
    """Run keytool with ``password`` in the environment; args use ``-storepass:env`` themselves."""
    env = dict(os.environ)
    env[PASSWORD_ENV] = password
    proc = subprocess.run([KEYTOOL, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("keytool %s failed (%d):\n%s%s" % (" ".join(args), proc.returncode,
                                                                proc.stdout, proc.stderr))
    return proc


def keytool_list(path, password, store_type=None):
    """{alias: (entry type, sha256 lower-case hex)} as the JVM reads the store.

    Fails unless keytool exits 0 and lists as many entries as it says the store contains.
    """
    args = ["-list", "-keystore", str(path), "-storepass:env", PASSWORD_ENV]
    if store_type:
        args += ["-storetype", store_type]
    proc = keytool(*args, password=password)
    count = re.search(r"Your keystore contains (\d+) entr", proc.stdout)
    assert count, proc.stdout + proc.stderr
    entries = {}
    alias = None
    for line in proc.stdout.splitlines():
        match = _ENTRY_RE.match(line)
        if match:
            alias = match.group("alias")
            entries[alias] = [match.group("type"), None]
            continue
        match = _FINGERPRINT_RE.match(line)
        if match and alias is not None:
            entries[alias][1] = match.group("fp").replace(":", "").lower()
            alias = None
    assert len(entries) == int(count.group(1)), proc.stdout
    return {alias: tuple(value) for alias, value in entries.items()}


def keytool_import_ca(path, password, alias, ca, store_type, tmp_dir):
    """Let keytool itself add ``ca`` under ``alias`` (creating the store if needed)."""
    pem_file = Path(tmp_dir) / ("%s.crt" % alias)
    pem_file.write_text(ca.pem, encoding="ascii")
    keytool("-importcert", "-noprompt", "-alias", alias, "-file", str(pem_file), "-keystore", str(path),
            "-storetype", store_type, "-storepass:env", PASSWORD_ENV, password=password)


def fingerprints(data, store_type, password=None):
    """Sorted SHA-256 (hex) of the certificates in a truststore's bytes: ``jks``, ``pkcs12`` or
    ``pem``. Raises on a truncated or corrupt store, so it also proves the bytes are a whole store."""
    if store_type == "jks":
        ders = [entry.cert for entry in jks.KeyStore.loads(data, password).certs.values()]
    elif store_type == "pkcs12":
        loaded = pkcs12.load_pkcs12(data, password.encode("utf-8"))
        ders = [item.certificate.public_bytes(serialization.Encoding.DER) for item in loaded.additional_certs]
    else:
        ders = [cert.public_bytes(serialization.Encoding.DER) for cert in x509.load_pem_x509_certificates(data)]
    return sorted(hashlib.sha256(der).hexdigest() for der in ders)


def pem_ca_subjects(path):
    """Subjects Python's ssl loads from a PEM truststore (fails if ssl cannot load the file)."""
    context = ssl.create_default_context(cafile=str(path))
    return sorted(dict(x[0] for x in item["subject"])["commonName"] for item in context.get_ca_certs())


def tls_handshake_ok(cafile, ca, host="localhost"):
    """Whether a TLS client trusting ``cafile`` accepts a server whose certificate ``ca`` signed.

    A real handshake over a socket pair, as a MapR client checks a remote CLDB.
    """
    key, cert = ca.issue_server(host)
    tmp = Path(cafile).parent
    cert_file = tmp / (".server-%s.crt" % ca.sha256[:8])
    key_file = tmp / (".server-%s.key" % ca.sha256[:8])
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(str(cert_file), str(key_file))
    os.unlink(cert_file)
    os.unlink(key_file)
    client_ctx = ssl.create_default_context(cafile=str(cafile))
    client_sock, server_sock = socket.socketpair()
    outcome = {}

    def serve():
        try:
            with server_ctx.wrap_socket(server_sock, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError) as err:
            outcome["server"] = err

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_ctx.wrap_socket(client_sock, server_hostname=host) as tls:
            tls.sendall(b"x")
        return True
    except ssl.SSLCertVerificationError:
        return False
    finally:
        client_sock.close()
        thread.join(10)
