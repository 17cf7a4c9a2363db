"""Interop of the truststore codec with the real JVM: keytool reads what the codec writes, and back.

Every keytool call costs a JVM start, so one module fixture makes all stores and runs all the
keytool reads (independent chains in parallel), and the tests only assert on what it collected.
Store passwords reach keytool through the environment (-storepass:env), never the command line.
"""

import concurrent.futures
import datetime
import os
import re
import shutil
import subprocess
import types

import jks
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _truststore as ts
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError

KEYTOOL = shutil.which("keytool")
pytestmark = pytest.mark.skipif(KEYTOOL is None, reason="keytool is not installed")

PASSWORD = "Tr ust$tore-1"
PASSWORD_VAR = "XC_TEST_STOREPASS"
# A short-lived JVM starts faster without the optimising compiler; English messages for parsing.
JVM = ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Duser.language=en", "-J-Duser.country=US"]
PASS = ["-storepass:env", PASSWORD_VAR]


def _ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return ts.Certificate.from_x509(cert)


def _keytool(*args):
    env = dict(os.environ, **{PASSWORD_VAR: PASSWORD})
    command = [KEYTOOL, *JVM, *args]
    assert PASSWORD not in " ".join(command), "a store password must never be on a command line"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, "%s\n%s%s" % (" ".join(args), done.stdout, done.stderr)
    return done.stdout


def _parallel(chains):
    """Run {name: [args, args, ...]} chains side by side; each chain's calls run in order."""
    def run(calls):
        return [_keytool(*args) for args in calls]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(run, calls) for name, calls in chains.items()}
        return {name: future.result() for name, future in futures.items()}


def _listing(text):
    """Parse ``keytool -list -v``: (entry count, {alias: (entry type, [SHA-256 hex of each cert])})."""
    count = int(re.search(r"Your keystore contains (\d+) entr", text).group(1))
    entries = {}
    for section in text.split("Alias name: ")[1:]:
        alias = section.splitlines()[0].strip()
        kind = re.search(r"^Entry type: (\S+)", section, re.M).group(1)
        prints = [ts.normalize_fingerprint(f) for f in re.findall(r"SHA256: ([0-9A-F:]+)", section)]
        entries[alias] = (kind, prints)
    return count, entries


def _store(path, store_type):
    return ["-keystore", str(path), "-storetype", store_type, *PASS]


@pytest.fixture(scope="module")
def kt(tmp_path_factory):
    d = tmp_path_factory.mktemp("keytool")
    m = types.SimpleNamespace(dir=d)
    for name in ("alpha", "beta", "gamma", "delta"):
        cert = _ca("CA %s" % name)
        setattr(m, name, cert)
        (d / ("%s.pem" % name)).write_text(cert.pem)
    p = {name: d / name for name in (
        "mixed.jks", "mixed.p12", "key.jks", "key.p12", "store.jceks",
        "mixed-out.jks", "mixed-out.p12", "key-out.jks", "fresh.jks", "fresh.p12")}
    m.paths = p

    def importcert(alias, name, store, store_type):
        return ["-importcert", "-noprompt", "-alias", alias, "-file", str(d / ("%s.pem" % name)),
                *_store(store, store_type)]

    genkey = ["-genkeypair", "-alias", "Server", "-keyalg", "EC", "-groupname", "secp256r1",
              "-dname", "CN=server.cluster-a.example", "-validity", "30"]
    made = _parallel({
        "mixed.jks": [importcert("MixedCase", "alpha", p["mixed.jks"], "jks"),
                      importcert("OtherAlias", "beta", p["mixed.jks"], "jks")],
        "mixed.p12": [importcert("MixedCase", "alpha", p["mixed.p12"], "pkcs12"),
                      importcert("OtherAlias", "beta", p["mixed.p12"], "pkcs12"),
                      ["-list", "-v", *_store(p["mixed.p12"], "pkcs12")]],
        "key.jks": [genkey + _store(p["key.jks"], "jks") + ["-keypass:env", PASSWORD_VAR],
                    importcert("Alpha-CA", "alpha", p["key.jks"], "jks")],
        "key.p12": [genkey + _store(p["key.p12"], "pkcs12"),
                    importcert("Alpha-CA", "alpha", p["key.p12"], "pkcs12")],
        "store.jceks": [importcert("alpha", "alpha", p["store.jceks"], "jceks")],
    })
    m.keytool_p12_listing = _listing(made["mixed.p12"][-1])
    m.original = {name: p[name].read_bytes() for name in ("mixed.jks", "mixed.p12", "key.jks", "key.p12")}

    # The codec reads what keytool wrote and adds gamma; it also writes stores from scratch.
    m.loaded, m.outcomes = {}, {}
    for name, out in (("mixed.jks", "mixed-out.jks"), ("mixed.p12", "mixed-out.p12"), ("key.jks", "key-out.jks")):
        store = ts.TrustStore.load(m.original[name], "auto", PASSWORD, str(p[name]))
        m.loaded[name] = store.describe()
        m.outcomes[name] = ts.apply_requests(store, [ts.Request("Cluster-B-Gamma", m.gamma)], "present")
        p[out].write_bytes(store.dump(PASSWORD))
    for store_type, name in (("jks", "fresh.jks"), ("pkcs12", "fresh.p12")):
        store = ts.TrustStore.empty(store_type, str(p[name]))
        ts.apply_requests(store, [ts.Request("Codec-Alpha", m.alpha), ts.Request("delta", m.delta)], "present")
        p[name].write_bytes(store.dump(PASSWORD))

    read = _parallel({
        "mixed-out.jks": [["-list", "-v", *_store(p["mixed-out.jks"], "jks")]],
        "mixed-out.p12": [["-list", "-v", *_store(p["mixed-out.p12"], "pkcs12")]],
        "key-out.jks": [["-list", "-v", *_store(p["key-out.jks"], "jks")],
                        ["-exportcert", "-rfc", "-alias", "server", *_store(p["key-out.jks"], "jks")],
                        ["-certreq", "-alias", "server", "-keypass:env", PASSWORD_VAR,
                         *_store(p["key-out.jks"], "jks")]],
        "fresh.jks": [["-list", "-v", *_store(p["fresh.jks"], "jks")]],
        "fresh.p12": [["-list", "-v", *_store(p["fresh.p12"], "pkcs12")]],
    })
    m.listings = {name: _listing(outputs[0]) for name, outputs in read.items()}
    m.exported = read["key-out.jks"][1]
    m.certreq = read["key-out.jks"][2]
    return m


# --- keytool-written stores: read --------------------------------------------------------------------

def test_jceks_from_keytool_is_refused(kt):
    data = kt.paths["store.jceks"].read_bytes()
    for call in (lambda: ts.detect_store_type(data, str(kt.paths["store.jceks"])),
                 lambda: ts.TrustStore.load(data, "auto", PASSWORD, str(kt.paths["store.jceks"]))):
        with pytest.raises(CrossclusterError) as info:
            call()
        assert "JCEKS" in info.value.problem
        assert info.value.path == str(kt.paths["store.jceks"])
        assert info.value.fix


def test_keytool_lower_cases_jks_aliases(kt):
    # keytool (JKS) lower-cases the alias itself; the codec reads what is there.
    raw = jks.KeyStore.loads(kt.original["mixed.jks"], PASSWORD)
    assert sorted(raw.entries) == ["mixedcase", "otheralias"]
    assert {d["alias"]: d["sha256"] for d in kt.loaded["mixed.jks"]} == {
        "mixedcase": kt.alpha.sha256, "otheralias": kt.beta.sha256}


def test_keytool_keeps_pkcs12_friendly_name_case_but_lists_lower_case(kt):
    # JDK 17 keeps the alias as typed in the PKCS12 friendlyName, while -list shows it lower-cased
    # (Java aliases are case-insensitive); the codec lower-cases on reading, like keytool shows.
    bundle = pkcs12.load_pkcs12(kt.original["mixed.p12"], PASSWORD.encode())
    assert sorted(c.friendly_name for c in bundle.additional_certs) == [b"MixedCase", b"OtherAlias"]
    count, entries = kt.keytool_p12_listing
    assert count == 2 and sorted(entries) == ["mixedcase", "otheralias"]
    assert {d["alias"]: (d["type"], d["sha256"]) for d in kt.loaded["mixed.p12"]} == {
        "mixedcase": ("trusted", kt.alpha.sha256), "otheralias": ("trusted", kt.beta.sha256)}


def test_pkcs12_keystore_with_private_key_is_read_not_written(kt):
    path = str(kt.paths["key.p12"])
    store = ts.TrustStore.load(kt.original["key.p12"], "auto", PASSWORD, path)
    described = {d["alias"]: d for d in store.describe()}
    assert sorted(described) == ["alpha-ca", "server"]
    assert described["server"]["type"] == ts.Entry.PRIVATE_KEY
    assert described["server"]["subject"] == "CN=server.cluster-a.example"
    assert described["alpha-ca"]["type"] == ts.Entry.TRUSTED
    assert described["alpha-ca"]["sha256"] == kt.alpha.sha256
    outcome = ts.apply_requests(store, [ts.Request("gamma", kt.gamma)], "present")
    assert [i["alias"] for i in outcome["imported"]] == ["gamma"]
    with pytest.raises(CrossclusterError) as info:
        store.dump(PASSWORD)
    assert "holds a private key entry" in info.value.problem
    assert info.value.path == path and info.value.fix


# --- codec-written stores: keytool reads every entry ------------------------------------------------------

@pytest.mark.parametrize("name", ["mixed-out.jks", "mixed-out.p12"])
def test_keytool_reads_extended_truststore(kt, name):
    outcome = kt.outcomes[name.replace("-out", "")]
    assert [(i["alias"], i["sha256"]) for i in outcome["imported"]] == [("cluster-b-gamma", kt.gamma.sha256)]
    count, entries = kt.listings[name]
    assert count == 3
    assert entries == {
        "mixedcase": ("trustedCertEntry", [kt.alpha.sha256]),
        "otheralias": ("trustedCertEntry", [kt.beta.sha256]),
        "cluster-b-gamma": ("trustedCertEntry", [kt.gamma.sha256]),
    }


def test_extended_pkcs12_friendly_names_are_lower_case(kt):
    bundle = pkcs12.load_pkcs12(kt.paths["mixed-out.p12"].read_bytes(), PASSWORD.encode())
    assert bundle.key is None
    assert sorted(c.friendly_name for c in bundle.additional_certs) == [
        b"cluster-b-gamma", b"mixedcase", b"otheralias"]


@pytest.mark.parametrize("name", ["fresh.jks", "fresh.p12"])
def test_keytool_reads_fresh_codec_store(kt, name):
    count, entries = kt.listings[name]
    assert count == 2
    assert entries == {"codec-alpha": ("trustedCertEntry", [kt.alpha.sha256]),
                       "delta": ("trustedCertEntry", [kt.delta.sha256])}


def test_jks_private_key_entry_survives_extension(kt):
    before = {d["alias"]: d for d in kt.loaded["key.jks"]}
    assert before["server"]["type"] == ts.Entry.PRIVATE_KEY
    server_sha256 = before["server"]["sha256"]
    count, entries = kt.listings["key-out.jks"]
    assert count == 3
    assert entries == {
        "server": ("PrivateKeyEntry", [server_sha256]),
        "alpha-ca": ("trustedCertEntry", [kt.alpha.sha256]),
        "cluster-b-gamma": ("trustedCertEntry", [kt.gamma.sha256]),
    }
    exported = ts.load_certificates(kt.exported, "keytool -exportcert")
    assert [c.sha256 for c in exported] == [server_sha256]


def test_jks_private_key_still_signs(kt):
    # keytool -certreq needs the private key: it decrypted it and signed with it.
    csr = x509.load_pem_x509_csr(re.search(
        r"-----BEGIN NEW CERTIFICATE REQUEST-----.*?-----END NEW CERTIFICATE REQUEST-----", kt.certreq, re.S
    ).group(0).replace("NEW CERTIFICATE REQUEST", "CERTIFICATE REQUEST").encode())
    assert csr.is_signature_valid
    exported = ts.load_certificates(kt.exported, "keytool -exportcert")[0]
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    assert (csr.public_key().public_bytes(serialization.Encoding.DER, raw)
            == exported.x509.public_key().public_bytes(serialization.Encoding.DER, raw))
    assert csr.subject.rfc4514_string() == "CN=server.cluster-a.example"
