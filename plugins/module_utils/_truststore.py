# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Java truststores in the three formats MapR keeps side by side: JKS, PKCS12 and PEM.

This codec runs on the controller (pyjks and cryptography live there, never on nodes). It works
on bytes only; reading and writing the node's files is the action plugin's business.

Facts it relies on:
- Java aliases are case-insensitive, so aliases are kept lower-case.
- A PKCS12 *truststore* must carry Java's trusted-key-usage attribute on each certificate, which
  only ``pkcs12.serialize_java_truststore`` writes; keytool lists a plain certs-only PKCS12 as
  empty and still exits 0.
- Identity is the SHA-256 fingerprint: the same certificate under another alias is already there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import decode_text, excerpt

try:
    import jks
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only on a broken controller
    IMPORT_ERROR = exc

STORE_TYPES = ("jks", "pkcs12", "pem")
JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"
# A block owns its line end (LF or CRLF), so a block written back whole is still a whole line.
PEM_ANY_BLOCK_RE = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----[ \t]*(?:\r?\n)?", re.S)
FRIENDLY_NAME_RE = re.compile(r"^\s*friendlyName:\s*(.+?)\s*$", re.M)


def require_libraries():
    if IMPORT_ERROR is not None:
        raise CrossclusterError(
            "the controller lacks a Python library for truststores (%s)" % IMPORT_ERROR,
            fix="pip install pyjks 'cryptography>=45' into the Python that runs ansible")
    if not hasattr(pkcs12, "serialize_java_truststore"):
        raise CrossclusterError(
            "the controller's cryptography is too old to write Java PKCS12 truststores",
            fix="pip install 'cryptography>=45' into the Python that runs ansible")


FINGERPRINT_LABEL_RE = re.compile(r"^\s*sha-?256\s*[:=]?", re.I)


def normalize_fingerprint(value):
    """Accept keytool's ``AB:CD:...`` as well as plain hex; return lower-case hex.

    A leading ``SHA256:`` / ``sha256:`` label (keytool -list -v, our own diff lines) is dropped
    first: its letters a and digits 256 would otherwise be taken as hex digits.
    """
    return re.sub(r"[^0-9a-fA-F]", "", FINGERPRINT_LABEL_RE.sub("", value or "")).lower()


class Certificate:
    """One X.509 certificate and the facts reported about it."""

    def __init__(self, der):
        self.der = der
        self._x509 = x509.load_der_x509_certificate(der)

    @classmethod
    def from_x509(cls, cert):
        return cls(cert.public_bytes(serialization.Encoding.DER))

    @property
    def x509(self):
        return self._x509

    @property
    def sha256(self):
        return hashlib.sha256(self.der).hexdigest()

    @property
    def pem(self):
        return self._x509.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def describe(self, alias=None, with_pem=False):
        cert = self._x509
        info = {
            "alias": alias,
            "sha256": self.sha256,
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "not_before": _utc(cert, "not_valid_before").isoformat(),
            "not_after": _utc(cert, "not_valid_after").isoformat(),
        }
        if with_pem:
            info["pem"] = self.pem
        return info


def _utc(cert, name):
    # cryptography >= 42 has the *_utc properties; older ones return naive UTC datetimes.
    value = getattr(cert, name + "_utc", None)
    return value if value is not None else getattr(cert, name)


def refuse_block(kind, path, line):
    """A block no truststore may take; a private key one says so, and never shows its content."""
    problem = "holds a %s block, not a certificate" % excerpt(kind, quoted=False)
    if "PRIVATE KEY" in kind:
        problem += "; a private key never belongs in a truststore, which every client may read"
    raise CrossclusterError(problem, path=path, line=line,
                            fix="give only certificates (never a private key) to a truststore; a key "
                                "belongs in the keystore (ssl_keystore.pem), so remove the block")


def load_certificates(text, source):
    """Every certificate in PEM ``text``; ``source`` names where it came from in errors."""
    require_libraries()
    if isinstance(text, bytes):
        text = decode_text(text, source)
    blocks = list(PEM_ANY_BLOCK_RE.finditer(text))
    if not blocks:
        raise CrossclusterError(
            "holds no PEM block (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
            path=source, fix="give the certificate in PEM form, or the path of a PEM file")
    certs = []
    for match in blocks:
        block, kind = match.group(0), match.group(1)
        line = text.count("\n", 0, match.start()) + 1
        if kind != "CERTIFICATE":
            refuse_block(kind, source, line)
        try:
            certs.append(Certificate.from_x509(x509.load_pem_x509_certificate(block.encode("ascii"))))
        except ValueError as err:
            raise CrossclusterError(
                "holds a CERTIFICATE block that does not parse (%s)" % err, path=source, line=line,
                fix="check that the PEM was copied whole")
    return certs


# --- format detection ----------------------------------------------------------------------

def _der_header(data, pos):
    """(tag, content_start, content_length) of the DER element at ``pos``, or None if cut short."""
    if pos + 2 > len(data):
        return None
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        return tag, pos, first
    count = first & 0x7F
    if count == 0 or count > 4 or pos + count > len(data):
        return None
    return tag, pos + count, int.from_bytes(data[pos:pos + count], "big")


def _der_complete(data):
    """Whether ``data`` is one whole DER SEQUENCE, neither truncated nor padded."""
    head = _der_header(data, 0)
    return head is not None and head[0] == 0x30 and head[1] + head[2] == len(data)


def store_format(data):
    """What ``data`` looks like: jks, pkcs12, pem, bcfks, jceks, empty, der-corrupt or unknown.

    Bytes only, standard library only, never raises: ``security_facts`` uses it on nodes.
    """
    if not data:
        return "empty"
    if data[:4] == JKS_MAGIC:
        return "jks"
    if data[:4] == JCEKS_MAGIC:
        return "jceks"
    if data[:1] == b"\x30":
        head = _der_header(data, 0)
        inner = _der_header(data, head[1]) if head else None
        if inner is not None and inner[0] == 0x02:
            return "pkcs12"  # PFX starts with its version INTEGER
        if inner is not None and inner[0] == 0x30:
            return "bcfks"  # BC's ObjectStore starts with a SEQUENCE
        return "der-corrupt"
    if b"-----BEGIN" in data[:65536]:
        return "pem"
    return "unknown"


_FORMAT_ERRORS = {
    "empty": ("is empty", "restore the store from a backup, or set store_type: pem if an empty PEM "
                          "store is meant"),
    "jceks": ("is a JCEKS store, which this collection does not write",
              "convert it with keytool -importkeystore -deststoretype JKS"),
    "bcfks": ("is a BCFKS store (FIPS mode), which only keytool with the Bouncy Castle provider opens",
              "use the module datafabric.crosscluster.truststore_bcfks, which runs keytool on the node; this "
              "one handles JKS, PKCS12 and PEM stores"),
    "der-corrupt": ("is truncated or corrupt (a DER store with no readable header)",
                    "restore the store from a backup"),
    "unknown": ("is not a JKS, PKCS12 or PEM store",
                "check the path and store_type; restore the store from a backup if it was damaged"),
}


def detect_store_type(data, path):
    kind = store_format(data)
    if kind in _FORMAT_ERRORS:
        problem, fix = _FORMAT_ERRORS[kind]
        raise CrossclusterError(problem, path=path, fix=fix)
    return kind


# --- the store ------------------------------------------------------------------------------

class Entry:
    """An entry as loaded: trusted certificates are editable, anything else is carried as-is."""

    TRUSTED = "trusted"
    PRIVATE_KEY = "private_key"
    OTHER = "other"

    def __init__(self, alias, kind, certificate=None, raw=None):
        self.alias = alias
        self.kind = kind
        self.certificate = certificate
        self.raw = raw  # the format's own object or text, written back unchanged


class TrustStore:
    def __init__(self, store_type, path, entries=None, trailer=""):
        self.store_type = store_type
        self.path = path
        self.entries = entries or []
        self.trailer = trailer  # PEM only: text after the last block, written back as found

    # loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, data, store_type, password, path, unchecked_jks=False):
        """The store in ``data``. With ``unchecked_jks`` a JKS store opens without its password, its
        integrity digest not checked (for a store the node checked with the password it keeps)."""
        require_libraries()
        if store_type == "auto":
            store_type = detect_store_type(data, path)
        elif not data and store_type != "pem":
            raise CrossclusterError("is empty", path=path, fix="restore the store from a backup")
        if store_type in ("jks", "pkcs12") and password is None and not (unchecked_jks and store_type == "jks"):
            raise CrossclusterError(
                "is a %s store and needs its password" % store_type.upper(), path=path,
                fix="set password (from vault), e.g. the ssl.client.truststore.password of "
                    "store-passwords.txt")
        loader = {"jks": cls._load_jks, "pkcs12": cls._load_pkcs12, "pem": cls._load_pem}[store_type]
        return loader(data, password, path)

    @classmethod
    def empty(cls, store_type, path):
        return cls(store_type, path)

    @classmethod
    def _load_jks(cls, data, password, path):
        if data[:4] != JKS_MAGIC:
            raise CrossclusterError("is not a JKS store", path=path, fix="set store_type to match the file")
        try:
            # Keys stay encrypted: we never need, and must not ask for, a key password.
            store = jks.KeyStore.loads(data, password, try_decrypt_keys=False)
        except jks.util.KeystoreSignatureException:
            raise CrossclusterError(
                "the store password is wrong (the JKS integrity check failed)", path=path,
                fix="use the store's password (ssl.client.truststore.password in store-passwords.txt)")
        except Exception as err:  # pyjks raises struct, index and its own format errors alike
            raise CrossclusterError(
                "is truncated or corrupt JKS (%s)" % (str(err) or type(err).__name__), path=path,
                fix="restore the store from a backup")
        if store.store_type != "jks":
            raise CrossclusterError("is a %s store, not JKS" % store.store_type, path=path,
                                    fix="convert it to JKS with keytool -importkeystore")
        entries = []
        for alias, item in store.entries.items():
            if isinstance(item, jks.TrustedCertEntry):
                entries.append(Entry(alias.lower(), Entry.TRUSTED, Certificate(item.cert), item))
            elif isinstance(item, jks.PrivateKeyEntry):
                cert = Certificate(item.cert_chain[0][1]) if item.cert_chain else None
                entries.append(Entry(alias.lower(), Entry.PRIVATE_KEY, cert, item))
            else:
                entries.append(Entry(alias.lower(), Entry.OTHER, None, item))
        return cls("jks", path, entries)

    @classmethod
    def _load_pkcs12(cls, data, password, path):
        try:
            bundle = pkcs12.load_pkcs12(data, password.encode("utf-8"))
        except ValueError:
            if _der_complete(data):
                raise CrossclusterError(
                    "the store password is wrong (the PKCS12 store cannot be decrypted)", path=path,
                    fix="use the store's password (ssl.client.truststore.password in "
                        "store-passwords.txt)")
            raise CrossclusterError("is truncated or corrupt PKCS12", path=path,
                                    fix="restore the store from a backup")
        entries = []
        if bundle.key is not None:
            alias = _alias_text(bundle.cert.friendly_name if bundle.cert else None)
            cert = Certificate.from_x509(bundle.cert.certificate) if bundle.cert else None
            entries.append(Entry(alias, Entry.PRIVATE_KEY, cert, bundle))
        for item in bundle.additional_certs:
            entries.append(Entry(_alias_text(item.friendly_name), Entry.TRUSTED,
                                 Certificate.from_x509(item.certificate), item))
        return cls("pkcs12", path, entries)

    @classmethod
    def _load_pem(cls, data, password, path):
        # UTF-8, not ASCII: comments and subject= lines may name people and places.
        text = decode_text(data, path, fix="a PEM store is text: set store_type to match the file, or "
                                           "restore it from a backup")
        entries = []
        pos = 0
        for match in PEM_ANY_BLOCK_RE.finditer(text):
            preamble = text[pos:match.start()]
            block = match.group(0)
            pos = match.end()
            kind = match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            if "PRIVATE KEY" in kind:
                # Kept, it would be copied into every rewrite; dropped, a key would vanish unseen.
                refuse_block(kind, path, line)
            if kind != "CERTIFICATE":
                entries.append(Entry(None, Entry.OTHER, None, preamble + block))
                continue
            try:
                cert = Certificate.from_x509(x509.load_pem_x509_certificate(block.encode("ascii")))
            except ValueError as err:
                raise CrossclusterError(
                    "the certificate block is corrupt (%s)" % err, path=path, line=line,
                    fix="restore the store from a backup, or remove the damaged block")
            names = FRIENDLY_NAME_RE.findall(preamble)
            alias = names[-1].lower() if names else None
            entries.append(Entry(alias, Entry.TRUSTED, cert, preamble + block))
        rest = text[pos:]
        if "-----BEGIN" in rest:
            line = text.count("\n", 0, pos + rest.index("-----BEGIN")) + 1
            raise CrossclusterError("a PEM block is not closed (truncated store?)", path=path, line=line,
                                    fix="restore the store from a backup")
        return cls("pem", path, entries, trailer=rest)

    # queries ----------------------------------------------------------------------------

    def trusted(self):
        return [e for e in self.entries if e.kind == Entry.TRUSTED]

    def by_alias(self, alias):
        alias = alias.lower()
        for entry in self.entries:
            if entry.alias == alias:
                return entry
        return None

    def by_fingerprint(self, sha256):
        for entry in self.entries:
            if entry.certificate is not None and entry.certificate.sha256 == sha256:
                return entry
        return None

    def describe(self, with_pem=False):
        result = []
        for entry in self.entries:
            if entry.certificate is None:
                continue
            info = entry.certificate.describe(entry.alias, with_pem=with_pem)
            info["type"] = entry.kind
            result.append(info)
        return result

    def summary_lines(self):
        """A line per entry for diff output: alias, type, fingerprint, subject; never key material."""
        lines = []
        for entry in self.entries:
            if entry.certificate is None:
                lines.append("%s %s" % (entry.alias or "-", entry.kind))
                continue
            lines.append("%s %s sha256:%s %s" % (
                entry.alias or "-", entry.kind, entry.certificate.sha256,
                entry.certificate.x509.subject.rfc4514_string()))
        return "\n".join(lines) + ("\n" if lines else "")

    # changes ----------------------------------------------------------------------------

    def add(self, alias, certificate):
        self.entries.append(Entry(alias.lower(), Entry.TRUSTED, certificate, None))

    def remove(self, entry):
        self.entries.remove(entry)

    # writing ------------------------------------------------------------------------------

    def dump(self, password):
        require_libraries()
        if self.store_type in ("jks", "pkcs12") and password is None:
            raise CrossclusterError("a %s store needs a password to be written" % self.store_type.upper(),
                                    path=self.path, fix="set password")
        return {"jks": self._dump_jks, "pkcs12": self._dump_pkcs12, "pem": self._dump_pem}[
            self.store_type](password)

    def _dump_jks(self, password):
        items = []
        for entry in self.entries:
            if entry.raw is not None:
                items.append(entry.raw)
            else:
                items.append(jks.TrustedCertEntry.new(entry.alias, entry.certificate.der))
        return jks.KeyStore.new("jks", items).saves(password)

    def _dump_pkcs12(self, password):
        if not self.entries:
            # Found by fuzzing: cryptography cannot write a PKCS12 file without a certificate and
            # raised a bare ValueError when the last one was removed.
            raise CrossclusterError(
                "would hold no certificate, and a PKCS12 store cannot be written empty", path=self.path,
                fix="keep at least one certificate in it, or delete the file if it is no longer wanted")
        if any(e.kind != Entry.TRUSTED for e in self.entries):
            raise CrossclusterError(
                "holds a private key entry; PKCS12 stores that mix keys and trusted certificates "
                "are not rewritten (no Python library writes both kinds in one file)",
                path=self.path, fix="import the certificate into this store with keytool, or keep "
                                    "trusted certificates in a separate truststore")
        certs = [pkcs12.PKCS12Certificate(e.certificate.x509, e.alias.encode("utf-8") if e.alias else None)
                 for e in self.entries]
        encryption = serialization.BestAvailableEncryption(password.encode("utf-8"))
        return pkcs12.serialize_java_truststore(certs, encryption)

    def _dump_pem(self, _password):
        parts = []
        for entry in self.entries:
            if entry.raw is not None:
                parts.append(entry.raw)
                continue
            # OpenSSL-style bag attributes: readers skip text before BEGIN, and the alias survives.
            cert = entry.certificate.x509
            parts.append("Bag Attributes\n    friendlyName: %s\nsubject=%s\nissuer=%s\n%s" % (
                entry.alias, cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(),
                entry.certificate.pem))
        text = ""
        for part in parts:
            # The last block of a file without a final newline must not run into the next block:
            # OpenSSL cannot read "-----END CERTIFICATE-----Bag Attributes".
            if text and not text.endswith("\n"):
                text += "\n"
            text += part
        # Whatever followed the last block (comments, blank lines, a CRLF) goes back as found, so an
        # untouched store renders byte-identical.
        text += self.trailer
        # UTF-8: a generated subject= line carries the subject as it is, e.g. CN=Stelle Köln.
        return text.encode("utf-8")


def _alias_text(name):
    if name is None:
        return None
    return name.decode("utf-8", "replace").lower()


# --- the plan: what an import or removal does to one store ------------------------------------

class Request:
    """One certificate the user asked for: alias and/or certificate and/or fingerprint."""

    def __init__(self, alias=None, certificate=None, sha256=None):
        self.alias = alias.lower() if alias else None
        self.certificate = certificate
        self.sha256 = certificate.sha256 if certificate is not None else normalize_fingerprint(sha256) or None


def apply_requests(store, requests, state, on_alias_conflict="fail"):
    """Change ``store`` in place; return {'imported': [...], 'removed': [...], 'skipped': [...]}.

    The same requests are applied to each sibling store, so every format ends up with the same
    trusted set even when one sibling had drifted.
    """
    outcome = {"imported": [], "removed": [], "skipped": []}
    if state == "present":
        _check_batch(requests, store.path)
        for req in requests:
            _import_one(store, req, on_alias_conflict, outcome)
    else:
        for req in requests:
            _remove_one(store, req, outcome)
    return outcome


def _check_batch(requests, path):
    seen = {}
    for req in requests:
        if req.certificate is None or not req.alias:
            raise CrossclusterError("each certificate to import needs an alias and a PEM certificate",
                                    path=path, fix="give certificates as a list of {alias, pem}")
        other = seen.get(req.alias)
        if other is not None and other != req.sha256:
            raise CrossclusterError(
                "alias %s is given twice with different certificates" % excerpt(req.alias), path=path,
                fix="give each certificate its own alias")
        seen[req.alias] = req.sha256


def _import_one(store, req, on_alias_conflict, outcome):
    present = store.by_fingerprint(req.sha256)
    if present is not None:
        info = req.certificate.describe(present.alias)
        info["reason"] = "already present" + (
            "" if present.alias == req.alias else " as alias %s" % excerpt(present.alias))
        outcome["skipped"].append(info)
        return
    holder = store.by_alias(req.alias)
    if holder is not None:
        if holder.kind != Entry.TRUSTED:
            raise CrossclusterError(
                "alias %s is a %s entry and is never replaced" % (excerpt(req.alias), holder.kind),
                path=store.path, fix="choose another alias for the certificate")
        if on_alias_conflict != "replace":
            raise CrossclusterError(
                "alias %s already holds another certificate (sha256 %s, %s); the new one is %s" % (
                    excerpt(req.alias), holder.certificate.sha256, holder.certificate.x509.subject.rfc4514_string(),
                    req.sha256),
                path=store.path,
                fix="choose another alias, or set on_alias_conflict: replace to swap the certificate")
        outcome["removed"].append(holder.certificate.describe(holder.alias))
        store.remove(holder)
    store.add(req.alias, req.certificate)
    outcome["imported"].append(req.certificate.describe(req.alias))


def _check_fingerprint(store, req):
    if req.sha256 and len(req.sha256) != 64:
        # A SHA-1 or cut-off fingerprint would match nothing and report success: say so instead.
        raise CrossclusterError(
            "%s is not a SHA-256 fingerprint (64 hex digits)" % excerpt(req.sha256), path=store.path,
            fix="give the SHA-256 fingerprint, e.g. from keytool -list (SHA-256) or truststore_info")


def _take_out(store, entry, outcome):
    if entry.kind != Entry.TRUSTED:
        raise CrossclusterError(
            "%s is a %s entry; this module removes trusted certificates only" % (excerpt(entry.alias), entry.kind),
            path=store.path, fix="remove key entries with keytool if that is really intended")
    outcome["removed"].append(entry.certificate.describe(entry.alias))
    store.remove(entry)


def remove_entries(store, requests, keep=()):
    """Remove what ``requests`` name from ``store``; return the outcome as ``apply_requests`` does.

    A request with an alias removes the entries under that alias only, never another alias holding
    the same certificate: an administrator's own alias for a peer's CA outlives the collection's.
    Its fingerprint, when given, must be the one the alias holds; another one is refused, as the
    alias then no longer holds what the caller read (the store changed since) and removing it would
    drop a certificate nobody asked about. A request with only a fingerprint removes every entry
    holding it.

    ``keep``: fingerprints that must stay trusted here, as a sibling's primary store still trusts
    them. An entry holding one goes only while another entry of this store still holds it, so a
    PEM sibling whose only copy of a certificate carries the removed alias keeps trusting it.
    """
    outcome = {"imported": [], "removed": [], "skipped": []}
    for req in requests:
        _check_fingerprint(store, req)
        if not req.alias:
            _remove_one(store, req, outcome)
            continue
        for entry in [e for e in store.entries if e.alias == req.alias]:
            held = entry.certificate.sha256 if entry.certificate is not None else None
            if req.sha256 and held is not None and held != req.sha256:
                raise CrossclusterError(
                    "alias %s holds the certificate sha256 %s, not sha256 %s as asked to remove; the store "
                    "is left as it was" % (excerpt(req.alias), held, req.sha256), path=store.path,
                    fix="re-run so the plan reads the store again, or give the fingerprint the alias "
                        "holds now (truststore_info) or the alias alone")
            if held in keep and not any(e is not entry and e.certificate is not None and
                                        e.certificate.sha256 == held for e in store.entries):
                info = entry.certificate.describe(entry.alias)
                info["reason"] = "kept: the only entry here for a certificate the primary store still trusts"
                outcome["skipped"].append(info)
                continue
            _take_out(store, entry, outcome)
    return outcome


def _remove_one(store, req, outcome):
    _check_fingerprint(store, req)
    if req.sha256:
        matches = [e for e in store.entries
                   if e.certificate is not None and e.certificate.sha256 == req.sha256]
    elif req.alias:
        matches = [e for e in store.entries if e.alias == req.alias]
    else:
        raise CrossclusterError("a certificate to remove needs an alias, a certificate or a sha256",
                                path=store.path, fix="give alias, pem or sha256 for each entry")
    for entry in matches:
        _take_out(store, entry, outcome)
