"""Unit tests for the truststore codec: bytes in, bytes out, no JVM (see test_truststore_keytool.py)."""

import datetime
import random
import ssl
import types

import jks
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from expect import crosscluster_error

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _truststore as ts
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.store_edit import edit_stores
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import StoreFile

PASSWORD = "Tr ust$tore-1"
PATHS = {
    "jks": "/opt/mapr/conf/ssl_truststore",
    "pkcs12": "/opt/mapr/conf/ssl_truststore.p12",
    "pem": "/opt/mapr/conf/ssl_truststore.pem",
}
KEYED_PATH = "/opt/mapr/conf/ssl_keystore"


# --- material -------------------------------------------------------------------------------

def _certificate(key, common_name, ca=True, issuer_key=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key or key, hashes.SHA256()))


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """Three CA certificates and a server key with its certificate, also written as PEM files."""
    root = tmp_path_factory.mktemp("pki")
    material = types.SimpleNamespace(root=root)
    for name in ("alpha", "beta", "gamma"):
        cert = _certificate(ec.generate_private_key(ec.SECP256R1()), "CA %s" % name)
        pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        (root / ("%s.pem" % name)).write_text(pem)
        setattr(material, name, ts.load_certificates(pem, str(root / name))[0])
        setattr(material, name + "_pem", pem)
    material.server_key = ec.generate_private_key(ec.SECP256R1())
    material.server_x509 = _certificate(material.server_key, "server.cluster-a.example", ca=False)
    material.server = ts.Certificate.from_x509(material.server_x509)
    return material


def _build(store_type, *pairs):
    store = ts.TrustStore.empty(store_type, PATHS[store_type])
    for alias, cert in pairs:
        store.add(alias, cert)
    return store.dump(PASSWORD)


def _load(data, store_type="auto", path=None, password=PASSWORD):
    if path is None:
        try:
            path = PATHS[store_type if store_type != "auto" else ts.detect_store_type(data, "/x")]
        except CrossclusterError:
            path = "/tmp/store"
    return ts.TrustStore.load(data, store_type, password, path)


def _error(call, *args, **kwargs):
    err = crosscluster_error(call, *args, **kwargs)
    assert err.path, "every error must name the file"
    assert str(err).startswith(str(err.path))
    return err


def _aliases(store):
    return sorted(e.alias for e in store.trusted())


def _fingerprints(store):
    return {e.alias: e.certificate.sha256 for e in store.entries if e.certificate is not None}


def _keytool_style(sha256):
    return ":".join(sha256[i:i + 2] for i in range(0, 64, 2)).upper()


@pytest.fixture(scope="session")
def keyed_jks(pki):
    """A JKS with a PrivateKeyEntry (key password = store password) and one trusted certificate."""
    pkcs8 = pki.server_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
    key_entry = jks.PrivateKeyEntry.new("server", [pki.server.der], pkcs8, "pkcs8")
    trusted = jks.TrustedCertEntry.new("alpha", pki.alpha.der)
    return jks.KeyStore.new("jks", [key_entry, trusted]).saves(PASSWORD)


@pytest.fixture(scope="session")
def keyed_p12(pki):
    """A PKCS12 keystore: the server key and certificate, plus a CA certificate with an alias."""
    return pkcs12.serialize_key_and_certificates(
        b"server", pki.server_key, pki.server_x509, [pkcs12.PKCS12Certificate(pki.alpha.x509, b"alpha")],
        serialization.BestAvailableEncryption(PASSWORD.encode("utf-8")))


# --- detect_store_type ------------------------------------------------------------------------

@pytest.mark.parametrize("store_type", ["jks", "pkcs12", "pem"])
def test_detect_written_stores(pki, store_type):
    data = _build(store_type, ("alpha", pki.alpha))
    assert ts.detect_store_type(data, "/x") == store_type


def test_detect_pem_with_leading_text(pki):
    assert ts.detect_store_type(("# bundle\n" + pki.alpha_pem).encode(), "/x") == "pem"


def test_detect_empty():
    err = _error(ts.detect_store_type, b"", PATHS["jks"])
    assert err.path == PATHS["jks"]
    assert "is empty" in err.problem
    assert "backup" in err.fix


def test_detect_jceks_is_refused():
    data = ts.JCEKS_MAGIC + b"\x00\x00\x00\x02\x00\x00\x00\x00" + b"\x00" * 20
    err = _error(ts.detect_store_type, data, "/x/store.jceks")
    assert "JCEKS" in err.problem
    assert "-deststoretype JKS" in err.fix


def _der(tag, content):
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


@pytest.mark.parametrize("filler", [3, 300], ids=["short-length", "long-length"])
def test_detect_bcfks_like_der_is_refused(filler):
    # BCFKS: ObjectStore ::= SEQUENCE { storeData SEQUENCE {...}, integrityCheck ... }
    inner = _der(0x30, _der(0x06, b"\x2a\x86\x48") + _der(0x04, b"\x00" * filler))
    data = _der(0x30, inner + _der(0x30, b""))
    err = _error(ts.detect_store_type, data, "/x/ssl_truststore.bcfks")
    assert "BCFKS" in err.problem and "FIPS" in err.problem
    assert "only keytool with the Bouncy Castle provider opens" in err.problem
    assert "datafabric.crosscluster.truststore_bcfks" in err.fix
    with pytest.raises(CrossclusterError, match="BCFKS"):
        _load(data, path="/x/ssl_truststore.bcfks")


def test_detect_random_garbage():
    data = random.Random(7).randbytes(512)
    assert data[:1] not in (b"\x30", b"\xfe", b"\xce")
    err = _error(ts.detect_store_type, data, "/x/garbage")
    assert "is not a JKS, PKCS12 or PEM store" in err.problem


@pytest.mark.parametrize("data", [b"\x30", b"\x30\x82\x05", _der(0x30, _der(0x04, b"abc"))],
                         ids=["one-byte", "cut-length", "octet-string-inside"])
def test_detect_der_without_a_readable_header(data):
    err = _error(ts.detect_store_type, data, "/x/store")
    assert "truncated or corrupt" in err.problem


def _cut_points(size, start):
    points = list(range(start, size, max(1, size // 40)))
    return points + [size - 1, size - 20]


@pytest.mark.parametrize("store_type", ["jks", "pkcs12"])
def test_truncated_store_says_truncated_or_corrupt(pki, store_type):
    data = _build(store_type, ("alpha", pki.alpha), ("beta", pki.beta))
    # A JKS shorter than its 4-byte magic is not recognisable as a JKS at all.
    for size in _cut_points(len(data), 4 if store_type == "jks" else 1):
        err = _error(_load, data[:size], path=PATHS[store_type])
        assert "truncated or corrupt" in err.problem, (size, str(err))
        assert err.path == PATHS[store_type]
        assert "backup" in err.fix
    # and the explicit store type says the same
    err = _error(_load, data[:len(data) // 2], store_type)
    assert "truncated or corrupt" in err.problem


# --- load / dump ----------------------------------------------------------------------------------

@pytest.mark.parametrize("store_type", ["jks", "pkcs12", "pem"])
def test_round_trip(pki, store_type):
    data = _build(store_type, ("Alpha-CA", pki.alpha), ("beta", pki.beta))
    store = _load(data)
    assert store.store_type == store_type
    assert _fingerprints(store) == {"alpha-ca": pki.alpha.sha256, "beta": pki.beta.sha256}
    assert all(e.kind == ts.Entry.TRUSTED for e in store.entries)
    again = _load(store.dump(PASSWORD), store_type)
    assert _fingerprints(again) == _fingerprints(store)


def test_jks_and_pkcs12_write_lower_case_aliases(pki):
    raw = jks.KeyStore.loads(_build("jks", ("MixedCase", pki.alpha)), PASSWORD)
    assert list(raw.entries) == ["mixedcase"]
    bundle = pkcs12.load_pkcs12(_build("pkcs12", ("MixedCase", pki.alpha)), PASSWORD.encode())
    assert bundle.key is None
    assert [c.friendly_name for c in bundle.additional_certs] == [b"mixedcase"]


def test_mixed_case_aliases_from_other_writers_are_lowered(pki):
    raw = jks.KeyStore.new("jks", [jks.TrustedCertEntry.new("x", pki.alpha.der)])
    raw.entries["x"].alias = "MixedCase"
    raw.entries = {"MixedCase": raw.entries["x"]}
    assert _aliases(_load(raw.saves(PASSWORD), "jks")) == ["mixedcase"]
    p12 = pkcs12.serialize_java_truststore([pkcs12.PKCS12Certificate(pki.alpha.x509, b"MixedCase")],
                                           serialization.BestAvailableEncryption(PASSWORD.encode()))
    assert _aliases(_load(p12)) == ["mixedcase"]
    pem = "Bag Attributes\n    friendlyName: MixedCase\n" + pki.alpha_pem
    store = _load(pem.encode())
    assert _aliases(store) == ["mixedcase"]
    assert store.by_alias("MIXEDCASE").certificate.sha256 == pki.alpha.sha256


def test_empty_pem_store_is_valid_when_named(pki):
    store = _load(b"", "pem")
    assert store.entries == []
    assert store.dump(None) == b""
    store.add("alpha", pki.alpha)
    assert _fingerprints(_load(store.dump(None))) == {"alpha": pki.alpha.sha256}


def _foreign_pem(pki):
    head = ("# MapR truststore; the CRL below is kept for another tool\n"
            "Bag Attributes\n    friendlyName: Alpha-CA\n    localKeyID: 54 69 6D 65\n"
            "subject=CN = CA alpha\nissuer=CN = CA alpha\n" + pki.alpha_pem +
            "\n# not a certificate\n"
            "-----BEGIN X509 CRL-----\nbm90IGEgcmVhbCBDUkw=\n-----END X509 CRL-----\n" + pki.beta_pem)
    return head, "# end of bundle\n\n"


def test_pem_untouched_is_byte_identical(pki):
    head, tail = _foreign_pem(pki)
    original = (head + tail).encode()
    store = _load(original)
    assert [(e.alias, e.kind) for e in store.entries] == [
        ("alpha-ca", ts.Entry.TRUSTED), (None, ts.Entry.OTHER), (None, ts.Entry.TRUSTED)]
    assert store.dump(None) == original
    # a no-op request leaves it byte-identical too
    outcome = ts.apply_requests(store, [ts.Request("alpha-ca", pki.alpha)], "present")
    assert outcome["imported"] == [] and store.dump(None) == original


@pytest.mark.parametrize("text", [
    "{alpha}{beta}",
    "{alpha}\n\n",
    "{alpha}   \n",
    "{alpha_crlf}",
    "{alpha_crlf}# comment\r\n{beta_crlf}\r\n",
    "{alpha_nonl}",
], ids=["plain", "blank-lines-after", "spaces-after", "crlf", "crlf-comment", "no-final-newline"])
def test_pem_layouts_round_trip_byte_identical(pki, text):
    crlf = {n + "_crlf": getattr(pki, n + "_pem").replace("\n", "\r\n") for n in ("alpha", "beta")}
    original = text.format(alpha=pki.alpha_pem, beta=pki.beta_pem, alpha_nonl=pki.alpha_pem.rstrip("\n"),
                           **crlf).encode()
    store = _load(original)
    assert {e.certificate.sha256 for e in store.trusted()} <= {pki.alpha.sha256, pki.beta.sha256}
    assert store.dump(None) == original


def test_pem_addition_keeps_foreign_text(pki):
    head, tail = _foreign_pem(pki)
    store = _load((head + tail).encode())
    ts.apply_requests(store, [ts.Request("gamma", pki.gamma)], "present")
    out = store.dump(None).decode()
    assert out.startswith(head)
    assert out.endswith(tail)
    added = out[len(head):-len(tail)]
    assert added.startswith("Bag Attributes\n    friendlyName: gamma\n")
    assert pki.gamma_pem in added
    again = _load(out.encode())
    assert _fingerprints(again) == {"alpha-ca": pki.alpha.sha256, None: pki.beta.sha256,
                                    "gamma": pki.gamma.sha256}


def test_pem_removal_takes_only_its_block(pki):
    head, tail = _foreign_pem(pki)
    store = _load((head + tail).encode())
    outcome = ts.apply_requests(store, [ts.Request(certificate=pki.beta)], "absent")
    assert [r["sha256"] for r in outcome["removed"]] == [pki.beta.sha256]
    assert store.dump(None) == (head.replace(pki.beta_pem, "") + tail).encode()


@pytest.mark.parametrize("layout", ["no-final-newline", "crlf"])
def test_pem_addition_after_odd_layout_stays_readable(pki, tmp_path, layout):
    text = pki.alpha_pem.rstrip("\n") if layout == "no-final-newline" else pki.alpha_pem.replace("\n", "\r\n")
    store = _load(text.encode())
    store.add("beta", pki.beta)
    out = store.dump(None)
    assert out.startswith(text.encode())
    assert _fingerprints(_load(out)) == {None: pki.alpha.sha256, "beta": pki.beta.sha256}
    path = tmp_path / "ca.pem"
    path.write_bytes(out)
    context = ssl.create_default_context(cafile=str(path))
    assert len(context.get_ca_certs()) == 2


def test_pem_non_ascii_subject_and_comment(pki):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ts.Certificate.from_x509(_certificate(key, "Zertifizierungsstelle Köln"))
    original = "# Stammzertifikat für Köln\n".encode() + pki.alpha_pem.encode()
    store = _load(original)
    assert store.dump(None) == original
    ts.apply_requests(store, [ts.Request("koeln", cert)], "present")
    out = store.dump(None)
    assert out.startswith(original)
    assert _fingerprints(_load(out)) == {None: pki.alpha.sha256, "koeln": cert.sha256}


def test_describe_and_summary(pki, keyed_jks):
    store = _load(keyed_jks, path=KEYED_PATH)
    described = {d["alias"]: d for d in store.describe()}
    assert described["server"]["type"] == ts.Entry.PRIVATE_KEY
    assert described["server"]["sha256"] == pki.server.sha256
    assert described["alpha"]["type"] == ts.Entry.TRUSTED
    assert described["alpha"]["subject"] == "CN=CA alpha"
    assert described["alpha"]["not_after"] > described["alpha"]["not_before"]
    assert "pem" not in described["alpha"]
    assert store.describe(with_pem=True)[1]["pem"] == pki.alpha_pem
    lines = store.summary_lines().splitlines()
    assert "server private_key sha256:%s CN=server.cluster-a.example" % pki.server.sha256 in lines
    assert "PRIVATE" not in store.summary_lines()


# --- apply_requests: present ------------------------------------------------------------------------

@pytest.fixture(params=["jks", "pkcs12", "pem"])
def store_type(request):
    return request.param


def test_import_new(pki, store_type):
    store = _load(_build(store_type, ("alpha", pki.alpha)))
    outcome = ts.apply_requests(store, [ts.Request("Beta", pki.beta)], "present")
    assert [(i["alias"], i["sha256"]) for i in outcome["imported"]] == [("beta", pki.beta.sha256)]
    assert outcome["removed"] == [] and outcome["skipped"] == []
    again = _load(store.dump(PASSWORD))
    assert _fingerprints(again) == {"alpha": pki.alpha.sha256, "beta": pki.beta.sha256}


def test_import_is_idempotent_by_fingerprint(pki, store_type):
    data = _build(store_type, ("alpha", pki.alpha))
    store = _load(data)
    requests = [ts.Request("alpha", pki.alpha), ts.Request("cluster-b-ca", pki.alpha)]
    outcome = ts.apply_requests(store, requests, "present")
    assert outcome["imported"] == [] and outcome["removed"] == []
    reasons = [(s["alias"], s["sha256"], s["reason"]) for s in outcome["skipped"]]
    assert reasons == [("alpha", pki.alpha.sha256, "already present"),
                       ("alpha", pki.alpha.sha256, "already present as alias 'alpha'")]
    assert _fingerprints(store) == {"alpha": pki.alpha.sha256}


def test_same_certificate_twice_in_one_batch_is_imported_once(pki, store_type):
    store = _load(_build(store_type, ("alpha", pki.alpha)))
    outcome = ts.apply_requests(store, [ts.Request("beta", pki.beta), ts.Request("beta", pki.beta)], "present")
    assert [i["alias"] for i in outcome["imported"]] == ["beta"]
    assert [s["reason"] for s in outcome["skipped"]] == ["already present"]
    assert len(store.trusted()) == 2


def test_alias_conflict_fails_by_default(pki, store_type):
    path = PATHS[store_type]
    store = _load(_build(store_type, ("cluster-b", pki.alpha)))
    err = _error(ts.apply_requests, store, [ts.Request("Cluster-B", pki.beta)], "present")
    assert err.path == path
    assert "'cluster-b'" in err.problem
    assert pki.alpha.sha256 in err.problem and pki.beta.sha256 in err.problem
    assert "on_alias_conflict: replace" in err.fix and "another alias" in err.fix
    assert _fingerprints(store) == {"cluster-b": pki.alpha.sha256}


def test_alias_conflict_replace(pki, store_type):
    store = _load(_build(store_type, ("cluster-b", pki.alpha), ("gamma", pki.gamma)))
    outcome = ts.apply_requests(store, [ts.Request("cluster-b", pki.beta)], "present", on_alias_conflict="replace")
    assert [(r["alias"], r["sha256"]) for r in outcome["removed"]] == [("cluster-b", pki.alpha.sha256)]
    assert [(i["alias"], i["sha256"]) for i in outcome["imported"]] == [("cluster-b", pki.beta.sha256)]
    again = _load(store.dump(PASSWORD))
    assert _fingerprints(again) == {"cluster-b": pki.beta.sha256, "gamma": pki.gamma.sha256}


def test_duplicate_alias_with_different_certificates_in_one_batch(pki, store_type):
    store = _load(_build(store_type, ("gamma", pki.gamma)))
    before = _fingerprints(store)
    err = _error(ts.apply_requests, store, [ts.Request("dup", pki.alpha), ts.Request("DUP", pki.beta)], "present")
    assert "'dup'" in err.problem and "twice" in err.problem
    assert err.path == PATHS[store_type]
    assert _fingerprints(store) == before, "a bad batch changes nothing"


def test_present_needs_alias_and_certificate(pki):
    store = _load(_build("pem", ("alpha", pki.alpha)))
    for request in (ts.Request(certificate=pki.beta), ts.Request("beta")):
        err = _error(ts.apply_requests, store, [request], "present")
        assert "needs an alias and a PEM certificate" in err.problem


# --- apply_requests: absent ---------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["alias", "pem", "keytool-fingerprint", "labelled-fingerprint", "hex"])
def test_absent(pki, store_type, how):
    store = _load(_build(store_type, ("alpha", pki.alpha), ("cluster-b", pki.beta)))
    request = {
        "alias": ts.Request("Cluster-B"),
        "pem": ts.Request(certificate=ts.load_certificates(pki.beta_pem, "/x")[0]),
        "keytool-fingerprint": ts.Request(sha256=_keytool_style(pki.beta.sha256)),
        # keytool -list -v prints "SHA256: AB:CD:..."; the diff output says "sha256:abcd..."
        "labelled-fingerprint": ts.Request(sha256="SHA256: " + _keytool_style(pki.beta.sha256)),
        "hex": ts.Request(sha256=pki.beta.sha256.upper()),
    }[how]
    outcome = ts.apply_requests(store, [request], "absent")
    assert [(r["alias"], r["sha256"]) for r in outcome["removed"]] == [("cluster-b", pki.beta.sha256)]
    assert _fingerprints(_load(store.dump(PASSWORD))) == {"alpha": pki.alpha.sha256}


def test_absent_of_missing_certificate_is_a_no_op(pki, store_type):
    data = _build(store_type, ("alpha", pki.alpha))
    store = _load(data)
    requests = [ts.Request("nope"), ts.Request(certificate=pki.beta), ts.Request(sha256=pki.gamma.sha256)]
    outcome = ts.apply_requests(store, requests, "absent")
    assert outcome == {"imported": [], "removed": [], "skipped": []}
    assert _fingerprints(store) == {"alpha": pki.alpha.sha256}
    if store_type == "pem":
        assert store.dump(None) == data


@pytest.mark.parametrize("fingerprint", ["AB:CD", "a" * 40, "SHA1: " + ":".join(["ab"] * 20)],
                         ids=["cut-off", "sha1-hex", "sha1-labelled"])
def test_absent_with_a_malformed_fingerprint_fails(pki, fingerprint):
    store = _load(_build("pem", ("alpha", pki.alpha)))
    err = _error(ts.apply_requests, store, [ts.Request(sha256=fingerprint)], "absent")
    assert "SHA-256" in err.problem
    assert _fingerprints(store) == {"alpha": pki.alpha.sha256}


def test_absent_needs_something_to_match(pki):
    store = _load(_build("pem", ("alpha", pki.alpha)))
    err = _error(ts.apply_requests, store, [ts.Request()], "absent")
    assert "needs an alias, a certificate or a sha256" in err.problem


# --- removal by alias (what a revoke does): an administrator's own alias stays -------------------------

def _siblings(stores):
    """StoreFiles of MapR's three siblings, as the action plugin reads them from a node."""
    return [StoreFile(PATHS[kind], "auto", PASSWORD, True, data, None, kind == "jks")
            for kind, data in stores]


def _by_hand(pem_text, cert):
    """What `cat b-ca.pem >> ssl_truststore.pem` leaves: the block with no friendlyName, so no alias."""
    return pem_text + cert.pem.encode("ascii")


def _edited(files, contents):
    return dict((f.path, _load(contents.get(f.path, f.data), path=f.path)) for f in files)


def _pairs(store):
    return sorted(((e.alias, e.certificate.sha256) for e in store.trusted()), key=str)


def test_a_removal_by_alias_keeps_a_hand_alias_with_the_same_certificate_in_all_three_stores(pki):
    # The collection's alias was there first; the administrator then imported the same CA as my-b-ca
    # with keytool (JKS, p12) and appended it to the PEM store.
    ours, mine = "b.ex-" + pki.beta.sha256[:12], "my-b-ca"
    entries = (("alpha", pki.alpha), (ours, pki.beta), (mine, pki.beta))
    files = _siblings([("jks", _build("jks", *entries)), ("pkcs12", _build("pkcs12", *entries)),
                       ("pem", _by_hand(_build("pem", ("alpha", pki.alpha), (ours, pki.beta)), pki.beta))])
    stores, contents = edit_stores(files, [], [ts.Request(alias=ours, sha256=pki.beta.sha256)], "absent")
    assert [[(r["alias"], r["sha256"]) for r in s["removed"]] for s in stores] == [[(ours, pki.beta.sha256)]] * 3
    after = _edited(files, contents)
    for kind in ("jks", "pkcs12"):
        assert _pairs(after[PATHS[kind]]) == [("alpha", pki.alpha.sha256), (mine, pki.beta.sha256)]
    assert _pairs(after[PATHS["pem"]]) == sorted([("alpha", pki.alpha.sha256), (None, pki.beta.sha256)], key=str)
    # The diff names the collection's alias only.
    assert all(mine in s["before"] and mine in s["after"] for s in stores[:2])
    assert all(ours in s["before"] and ours not in s["after"] for s in stores)


def test_a_sibling_keeps_its_only_copy_of_a_certificate_the_primary_still_trusts(pki):
    # my-b-ca went into the JKS only: the p12 and PEM siblings hold B's CA under the collection's alias
    # alone, so removing it there would stop them trusting what the JKS still trusts.
    ours = "b.ex-" + pki.beta.sha256[:12]
    files = _siblings([("jks", _build("jks", ("alpha", pki.alpha), (ours, pki.beta), ("my-b-ca", pki.beta))),
                       ("pkcs12", _build("pkcs12", ("alpha", pki.alpha), (ours, pki.beta))),
                       ("pem", _build("pem", ("alpha", pki.alpha), (ours, pki.beta)))])
    stores, contents = edit_stores(files, [], [ts.Request(alias=ours)], "absent")
    assert [s["changed"] for s in stores] == [True, False, False] and list(contents) == [PATHS["jks"]]
    for store in stores[1:]:
        assert [(k["alias"], k["reason"]) for k in store["skipped"]] == [
            (ours, "kept: the only entry here for a certificate the primary store still trusts")]
    assert _pairs(_edited(files, contents)[PATHS["jks"]]) == [("alpha", pki.alpha.sha256), ("my-b-ca", pki.beta.sha256)]


def test_a_removal_by_alias_goes_from_every_sibling_when_nothing_else_holds_it(pki):
    ours = "b.ex-" + pki.beta.sha256[:12]
    by_hand = _by_hand(_build("pem", ("alpha", pki.alpha)), pki.beta)
    files = _siblings([(kind, _build(kind, ("alpha", pki.alpha), (ours, pki.beta)))
                       for kind in ("jks", "pkcs12")] + [("pem", by_hand)])
    stores, contents = edit_stores(files, [], [ts.Request(alias=ours, sha256=pki.beta.sha256)], "absent")
    # The PEM block without an alias goes by fingerprint, as the primary no longer trusts it.
    assert all(s["changed"] for s in stores)
    assert all(_pairs(store) == [("alpha", pki.alpha.sha256)] for store in _edited(files, contents).values())


def test_an_alias_holding_another_certificate_than_named_is_refused_and_nothing_changes(pki, store_type):
    store = _load(_build(store_type, ("b.ex-x", pki.alpha), ("my-b-ca", pki.beta)))
    err = _error(ts.remove_entries, store, [ts.Request(alias="b.ex-x", sha256=pki.beta.sha256)])
    assert err.path == PATHS[store_type]
    held_and_asked = (pki.alpha.sha256, pki.beta.sha256)
    assert "'b.ex-x' holds the certificate sha256 %s, not sha256 %s" % held_and_asked in err.problem
    assert "left as it was" in err.problem and "truststore_info" in err.fix
    files = _siblings([(store_type, _build(store_type, ("b.ex-x", pki.alpha), ("my-b-ca", pki.beta)))])
    _error(edit_stores, files, [], [ts.Request(alias="b.ex-x", sha256=pki.beta.sha256)], "absent")


def test_a_removal_by_fingerprint_alone_removes_every_alias_holding_it(pki, store_type):
    store = _load(_build(store_type, ("alpha", pki.alpha), ("b.ex-x", pki.beta), ("my-b-ca", pki.beta)))
    outcome = ts.remove_entries(store, [ts.Request(sha256=pki.beta.sha256)])
    assert sorted(r["alias"] for r in outcome["removed"]) == ["b.ex-x", "my-b-ca"]
    assert _pairs(store) == [("alpha", pki.alpha.sha256)]


# --- private key entries are never touched --------------------------------------------------------------

@pytest.fixture(params=["jks", "pkcs12"])
def keyed(request, keyed_jks, keyed_p12):
    return {"jks": keyed_jks, "pkcs12": keyed_p12}[request.param]


def test_keyed_store_is_read(pki, keyed):
    store = _load(keyed, path=KEYED_PATH)
    assert [(e.alias, e.kind) for e in store.entries] == [("server", ts.Entry.PRIVATE_KEY), ("alpha", ts.Entry.TRUSTED)]
    assert store.by_alias("server").certificate.sha256 == pki.server.sha256


@pytest.mark.parametrize("mode", ["fail", "replace"])
def test_key_entry_is_never_replaced(pki, keyed, mode):
    store = _load(keyed, path=KEYED_PATH)
    err = _error(ts.apply_requests, store, [ts.Request("Server", pki.beta)], "present", on_alias_conflict=mode)
    assert err.path == KEYED_PATH
    assert "'server' is a private_key entry and is never replaced" in err.problem
    assert store.by_alias("server").kind == ts.Entry.PRIVATE_KEY


@pytest.mark.parametrize("how", ["alias", "certificate"])
def test_key_entry_is_never_removed(pki, keyed, how):
    store = _load(keyed, path=KEYED_PATH)
    request = ts.Request("SERVER") if how == "alias" else ts.Request(certificate=pki.server)
    err = _error(ts.apply_requests, store, [request], "absent")
    assert "'server' is a private_key entry" in err.problem
    assert "keytool" in err.fix
    assert len(store.entries) == 2


def test_key_certificate_counts_as_present(pki, keyed):
    store = _load(keyed, path=KEYED_PATH)
    outcome = ts.apply_requests(store, [ts.Request("server-copy", pki.server)], "present")
    assert outcome["imported"] == []
    assert outcome["skipped"][0]["reason"] == "already present as alias 'server'"


def test_jks_key_entry_survives_a_rewrite(pki, keyed_jks):
    store = _load(keyed_jks, path=KEYED_PATH)
    ts.apply_requests(store, [ts.Request("beta", pki.beta)], "present")
    raw = jks.KeyStore.loads(store.dump(PASSWORD), PASSWORD)
    assert sorted(raw.entries) == ["alpha", "beta", "server"]
    key_entry = raw.entries["server"]
    assert key_entry.cert_chain[0][1] == pki.server.der
    # the key still decrypts with its own password and is the same key
    expected = pki.server_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    loaded = serialization.load_der_private_key(key_entry.pkey_pkcs8, None)
    assert loaded.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()) == expected


def test_pkcs12_with_key_is_not_rewritten(pki, keyed_p12):
    store = _load(keyed_p12, path=KEYED_PATH)
    ts.apply_requests(store, [ts.Request("beta", pki.beta)], "present")
    err = _error(store.dump, PASSWORD)
    assert err.path == KEYED_PATH
    assert "holds a private key entry" in err.problem
    assert "keytool" in err.fix


# --- errors --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("store_type", ["jks", "pkcs12"])
def test_wrong_password(pki, store_type):
    data = _build(store_type, ("alpha", pki.alpha))
    for given in ("auto", store_type):
        err = _error(_load, data, given, PATHS[store_type], password="not-the-password")
        assert err.path == PATHS[store_type]
        assert "password is wrong" in err.problem
        assert "password" in err.fix
        assert "not-the-password" not in str(err)


@pytest.mark.parametrize("store_type", ["jks", "pkcs12"])
def test_missing_password(pki, store_type):
    data = _build(store_type, ("alpha", pki.alpha))
    err = _error(_load, data, password=None, path=PATHS[store_type])
    assert "needs its password" in err.problem
    store = _load(data)
    err = _error(store.dump, None)
    assert "needs a password" in err.problem


def test_named_type_does_not_match_the_file(pki):
    pem = _build("pem", ("alpha", pki.alpha))
    assert "is not a JKS store" in _error(_load, pem, "jks", PATHS["jks"]).problem
    assert "truncated or corrupt" in _error(_load, pem, "pkcs12", PATHS["pkcs12"]).problem
    jks_bytes = _build("jks", ("alpha", pki.alpha))
    err = _error(_load, jks_bytes, "pem", PATHS["pem"])
    assert "is not UTF-8 text" in err.problem and err.line == 1 and "store_type" in err.fix
    assert "is empty" in _error(_load, b"", "jks", PATHS["jks"]).problem


def test_load_certificates(pki):
    certs = ts.load_certificates("junk before\n" + pki.alpha_pem + pki.beta_pem, "/x/cas.pem")
    assert [c.sha256 for c in certs] == [pki.alpha.sha256, pki.beta.sha256]
    assert ts.load_certificates(pki.alpha_pem.encode(), "/x")[0].der == pki.alpha.der


@pytest.mark.parametrize("key_format", [serialization.PrivateFormat.PKCS8,
                                        serialization.PrivateFormat.TraditionalOpenSSL])
def test_load_certificates_refuses_a_private_key(pki, key_format):
    key_pem = pki.server_key.private_bytes(serialization.Encoding.PEM, key_format,
                                           serialization.NoEncryption()).decode()
    err = _error(ts.load_certificates, pki.alpha_pem + key_pem, "/x/server.pem")
    assert err.path == "/x/server.pem"
    assert "PRIVATE KEY block, not a certificate" in err.problem
    assert "never a private key" in err.fix
    assert key_pem.splitlines()[1] not in str(err), "key material must not be echoed"


def test_load_certificates_without_pem():
    err = _error(ts.load_certificates, "MIIB...", "/x/cert")
    assert "holds no PEM block" in err.problem


def _damaged(pem):
    lines = pem.splitlines(True)
    lines[3] = "!!!! this line is damaged !!!!\n"
    return "".join(lines)


def test_load_certificates_names_the_damaged_block(pki):
    text = pki.alpha_pem + "\n" + _damaged(pki.beta_pem)
    err = _error(ts.load_certificates, text, "/x/cas.pem")
    assert "does not parse" in err.problem
    assert err.line == pki.alpha_pem.count("\n") + 2
    assert "line %d" % err.line in str(err)


def test_pem_store_names_the_line_of_a_damaged_block(pki):
    text = "# comment\n" + pki.alpha_pem + "Bag Attributes\n    friendlyName: beta\n" + _damaged(pki.beta_pem)
    err = _error(_load, text.encode(), path=PATHS["pem"])
    assert err.path == PATHS["pem"]
    assert err.line == 1 + pki.alpha_pem.count("\n") + 2 + 1
    assert text.splitlines()[err.line - 1] == "-----BEGIN CERTIFICATE-----"
    assert "certificate block is corrupt" in err.problem
    assert "%s, line %d: " % (PATHS["pem"], err.line) in str(err)


def test_pem_store_with_an_unclosed_block(pki):
    text = pki.alpha_pem + "\n" + pki.beta_pem[:200]
    err = _error(_load, text.encode(), path=PATHS["pem"])
    assert "not closed" in err.problem
    assert err.line == pki.alpha_pem.count("\n") + 2


# --- Python's ssl reads what the codec writes ---------------------------------------------------------------

def test_python_ssl_reads_codec_pem(pki, tmp_path):
    # a comment and OpenSSL bag attributes, as openssl pkcs12 -nokeys writes them
    start = ("# hand-written comment\nBag Attributes\n    friendlyName: Alpha-CA\n    localKeyID: 01 02\n"
             "subject=CN = CA alpha\nissuer=CN = CA alpha\n" + pki.alpha_pem)
    store = _load(start.encode())
    ts.apply_requests(store, [ts.Request("beta", pki.beta), ts.Request("gamma", pki.gamma)], "present")
    path = tmp_path / "ssl_truststore.pem"
    path.write_bytes(store.dump(None))
    context = ssl.create_default_context(cafile=str(path))
    subjects = sorted(dict(part[0] for part in c["subject"])["commonName"] for c in context.get_ca_certs())
    assert subjects == ["CA alpha", "CA beta", "CA gamma"]
    fresh = tmp_path / "fresh.pem"
    fresh.write_bytes(_build("pem", ("alpha", pki.alpha), ("beta", pki.beta)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(fresh))
    assert len(context.get_ca_certs()) == 2


@pytest.mark.parametrize("key_format", [serialization.PrivateFormat.PKCS8,
                                        serialization.PrivateFormat.TraditionalOpenSSL])
def test_a_pem_truststore_holding_a_private_key_is_refused(pki, key_format):
    # A key in the truststore was carried into every rewrite; now it is named and nothing is written.
    key_pem = pki.server_key.private_bytes(serialization.Encoding.PEM, key_format,
                                           serialization.NoEncryption()).decode()
    data = (pki.alpha_pem + "# the server's key, pasted here by mistake\n" + key_pem + pki.beta_pem).encode()
    err = _error(_load, data, "pem")
    assert (err.path, err.line) == (PATHS["pem"], pki.alpha_pem.count("\n") + 2)
    assert "PRIVATE KEY block, not a certificate" in err.problem
    assert "never belongs in a truststore" in err.problem and "ssl_keystore.pem" in err.fix
    assert key_pem.splitlines()[1] not in str(err)


def test_load_certificates_names_the_line_of_a_non_utf8_file():
    err = _error(ts.load_certificates, b"# caf\xe9\n-----BEGIN CERTIFICATE-----\n", "/x/ca.pem")
    assert (err.path, err.line) == ("/x/ca.pem", 1) and "not UTF-8" in err.problem


def test_an_empty_pkcs12_store_is_refused_not_a_crash(pki):
    # Regression (found by fuzzing): removing the last certificate of a PKCS12 store made
    # cryptography raise a bare ValueError while writing it.
    store = ts.TrustStore.load(_build("pkcs12", ("alpha", pki.alpha)), "pkcs12", PASSWORD, PATHS["pkcs12"])
    ts.apply_requests(store, [ts.Request(alias="alpha")], "absent")
    err = _error(store.dump, PASSWORD)
    assert err.path == PATHS["pkcs12"] and "cannot be written empty" in err.problem
