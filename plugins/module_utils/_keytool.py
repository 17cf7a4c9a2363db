# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""BCFKS truststores of FIPS nodes, read and written by the node's own keytool.

Standard library only: this runs on managed nodes. No Python library reads BCFKS (Bouncy Castle's
FIPS keystore), so the JDK's keytool does, with the Bouncy Castle provider jar MapR ships under
``<mapr_home>/lib`` (``bc-fips-<version>.jar``).

What keytool is given, and what not:

- The store password goes into a file of mode 0600 in a private directory (0700) made for the run
  and removed afterwards in every path, and keytool reads it with ``-storepass:file``. It is never
  on a command line (which every user of the node can read in ``ps``), in a message or a result.
- keytool works on a copy of the store in that private directory, never on the store itself: the
  store's directory belongs to ``mapr``, who could swap a working copy's name there for a link that
  root's keytool would then write through. The changed bytes then go into place with the
  collection's compare-and-swap write (``_safe_write``): under the directory lock, refused when the
  store changed since it was read, atomic, mode and owner kept. A keytool that fails half-way
  leaves the store byte-identical.
- The JVM runs in English (``-Duser.language=en``), so that the few of keytool's words read here
  ("Alias name", "Entry type") and its error messages do not depend on the node's locale, and
  without perf data, which would leave ``/tmp/hsperfdata_<user>`` behind.

Certificates are identified by the SHA-256 of their DER, computed here from keytool's PEM output,
never read from keytool's fingerprint text. The alias rule and the plan of an import or removal
are ``_truststore``'s (the same functions as for JKS, PKCS12 and PEM stores): aliases lower-case,
a certificate already present under any alias is not added again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import glob
import hashlib
import os
import re
import shutil
import tempfile
import threading

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_SECRET,
    check_line,
    excerpt,
    scrub,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import (
    Attributes,
    apply_attributes,
    locked,
    read_snapshot,
    write_files,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import (
    PEM_ANY_BLOCK_RE,
    Entry,
    Request,
    TrustStore,
    apply_requests,
    refuse_block,
    remove_entries,
)

# The validated provider of a real FIPS node, and where MapR ships its jar.
FIPS_PROVIDER_CLASS = "org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider"
PROVIDER_JAR_GLOB = "bc-fips-*.jar"
STORE_TYPE = "BCFKS"
# A short-lived JVM starts faster without the optimising compiler and with the serial collector.
JVM_OPTIONS = ("-J-XX:-UsePerfData", "-J-Duser.language=en", "-J-Duser.country=US",
               "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC")
# Each keytool call starts a JVM, about a second; a call still running after this many seconds is
# stuck (a JVM waiting for entropy, a provider jar that blocks, a store on a hung mount) and is killed,
# so the task fails with the store's name instead of holding the run until Ansible's own timeout.
KEYTOOL_TIMEOUT = 120
PASSWORD_FIX = "use the store's password (ssl.client.truststore.password in store-passwords.txt)"

_ALIAS_RE = re.compile(r"^Alias name: (.*)$", re.M)
_ENTRY_TYPE_RE = re.compile(r"^Entry type: (\S+)", re.M)
_COUNT_RE = re.compile(r"^Your keystore contains (\d+) entr", re.M)
_KINDS = {"trustedCertEntry": Entry.TRUSTED, "PrivateKeyEntry": Entry.PRIVATE_KEY}


# --- certificates, standard library only ----------------------------------------------------

# RFC 4514's short names, as cryptography's rfc4514_string() writes them, so that a BCFKS store's
# entries read like the other stores' in diffs and messages.
_NAME_OIDS = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET",
    "2.5.4.10": "O", "2.5.4.11": "OU", "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
}
_STRING_CODECS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1A: "ascii",
                  0x1E: "utf-16-be", 0x1C: "utf-32-be"}


def _tlv(data, pos):
    """(tag, start of content, end of content) of the DER element at ``pos``."""
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        if pos + first > len(data):
            raise ValueError("bad DER length")
        return tag, pos, pos + first
    count = first & 0x7F
    length = int.from_bytes(data[pos:pos + count], "big")
    if not count or pos + count + length > len(data):
        raise ValueError("bad DER length")
    return tag, pos + count, pos + count + length


def _children(data, start, end):
    items = []
    while start < end:
        item = _tlv(data, start)
        items.append(item)
        start = item[2]
    return items


def _oid_text(raw):
    first = raw[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(part) for part in parts)


def _escape(value):
    # cryptography's _escape_dn_value, so that both render a name alike.
    if not value:
        return ""
    for char in ("\\", '"', "+", ",", ";", "<", ">"):
        value = value.replace(char, "\\" + char)
    value = value.replace("\0", "\\00")
    if value[0] in ("#", " "):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def _name_text(data, start, end):
    """An X.501 Name as RFC 4514 text (last RDN first)."""
    rdns = []
    for _tag, set_start, set_end in _children(data, start, end):
        parts = []
        for _seq, attr_start, attr_end in _children(data, set_start, set_end):
            (_o, oid_start, oid_end), (value_tag, value_start, value_end) = _children(data, attr_start, attr_end)[:2]
            oid = _oid_text(data[oid_start:oid_end])
            raw = data[value_start:value_end]
            codec = _STRING_CODECS.get(value_tag)
            value = raw.decode(codec, "replace") if codec else "#" + data[value_start - 2:value_end].hex()
            parts.append("%s=%s" % (_NAME_OIDS.get(oid, oid), _escape(value) if codec else value))
        rdns.append("+".join(parts))
    return ",".join(reversed(rdns))


class _Name:
    def __init__(self, text):
        self.text = text

    def rfc4514_string(self):
        return self.text


class DerCertificate:
    """A certificate as keytool hands it over: DER bytes, their SHA-256, subject and issuer.

    It stands in for ``_truststore.Certificate`` (which needs cryptography, a controller library)
    in ``_truststore``'s plan and diff helpers, so its ``x509`` carries the two names they read.
    """

    def __init__(self, der, source=None):
        self.der = der
        self.sha256 = hashlib.sha256(der).hexdigest()
        try:
            _cert, start, end = _tlv(der, 0)
            _tbs, start, end = _tlv(der, start)
            fields = _children(der, start, end)
            if fields and fields[0][0] == 0xA0:  # the explicit [0] version
                fields = fields[1:]
            issuer, subject = fields[2], fields[4]
            self.x509 = self
            self.issuer = _Name(_name_text(der, issuer[1], issuer[2]))
            self.subject = _Name(_name_text(der, subject[1], subject[2]))
        except (IndexError, ValueError):
            raise CrossclusterError("holds a CERTIFICATE block that does not parse (not an X.509 certificate)",
                                    path=source, fix="check that the PEM was copied whole")

    @property
    def pem(self):
        body = base64.b64encode(self.der).decode("ascii")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines)

    def describe(self, alias=None, with_pem=False):
        info = {"alias": alias, "sha256": self.sha256, "subject": self.subject.text, "issuer": self.issuer.text}
        if with_pem:
            info["pem"] = self.pem
        return info


def pem_certificates(text, source):
    """Every certificate of the PEM ``text``; a private key or other block is refused by name."""
    certs = []
    for match in PEM_ANY_BLOCK_RE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match.group(1) != "CERTIFICATE":
            refuse_block(match.group(1), source, line)
        body = match.group(0).split("-----")[2]
        try:
            der = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise CrossclusterError("holds a CERTIFICATE block that is not valid base64", path=source, line=line,
                                    fix="check that the PEM was copied whole")
        certs.append(DerCertificate(der, source))
    return certs


def one_certificate(text, source):
    certs = pem_certificates(text, source)
    if len(certs) != 1:
        raise CrossclusterError(
            "holds %d certificates; each alias takes exactly one" % len(certs), path=source,
            fix="give each certificate (PEM, -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----) "
                "its own item with its own alias")
    return certs[0]


# --- keytool and its provider ---------------------------------------------------------------

class Provider:
    """The jar keytool loads the BCFKS keystore type from, and its provider class."""

    def __init__(self, jar, class_name):
        self.jar = jar
        self.class_name = class_name

    def as_dict(self):
        return {"path": self.jar, "class": self.class_name}


def find_provider(mapr_home, path=None, class_name=None):
    """The provider: ``path`` when given, else the one ``bc-fips-*.jar`` under ``<mapr_home>/lib``."""
    class_name = class_name or FIPS_PROVIDER_CLASS
    if path:
        if not os.path.isfile(path):
            raise CrossclusterError(
                "the provider jar does not exist (or is not a file)", path=path,
                fix="set provider_path to the Bouncy Castle jar of the node, or leave it unset to use "
                    "the %s under <mapr_home>/lib" % PROVIDER_JAR_GLOB)
        return Provider(path, class_name)
    lib = os.path.join(mapr_home, "lib")
    found = sorted(glob.glob(os.path.join(glob.escape(lib), PROVIDER_JAR_GLOB)))
    if not found:
        raise CrossclusterError(
            "holds no %s, the Bouncy Castle FIPS provider keytool needs to open BCFKS stores" % PROVIDER_JAR_GLOB,
            path=lib, fix="check mapr_home (is this a FIPS-enabled node?), or set provider_path (and "
                          "provider_class) to the provider jar")
    if len(found) > 1:
        raise CrossclusterError(
            "holds several provider jars (%s) and it is not clear which one the node uses" % ", ".join(
                os.path.basename(name) for name in found), path=lib,
            fix="set provider_path to the one to use, or remove the stale one")
    return Provider(found[0], class_name)


def find_keytool(executable=None):
    """``executable``, else keytool on the PATH, else ``$JAVA_HOME/bin/keytool``."""
    if executable:
        if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
            raise CrossclusterError("is not an executable file", path=executable,
                                    fix="set keytool to the keytool of the node's JDK, or leave it unset")
        return executable
    found = shutil.which("keytool")
    if found:
        return found
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(os.path.join(java_home, "bin", "keytool"), os.X_OK):
        return os.path.join(java_home, "bin", "keytool")
    raise CrossclusterError(
        "keytool is neither on the PATH of this node nor under $JAVA_HOME/bin",
        fix="install the JDK the MapR services use, or set keytool to its path")


class Workspace:
    """A private directory (0700) for the password file and keytool's copies, removed on exit."""

    def __init__(self, tmp_root=None):
        self.tmp_root = tmp_root
        self.path = None
        self.password_file = None

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="crosscluster-keytool-", dir=self.tmp_root)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        self.path = None

    def file(self, name, data):
        """A new file of mode 0600 holding ``data``; its path."""
        path = os.path.join(self.path, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path

    def read(self, path):
        with open(path, "rb") as handle:
            return handle.read()


class _Deadline:
    """Kills the process it is started on when it still runs after ``seconds``.

    ``start`` is AnsibleModule.run_command's ``before_communicate_callback``, which hands it the
    process as soon as it is started; run_command itself has no timeout. keytool is one process (the
    launcher runs the JVM in it), so killing it closes its pipes and run_command returns.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._timer = None

    def start(self, process):
        def expire():
            if process.poll() is None:
                self.expired = True
                process.kill()
        self._timer = threading.Timer(self.seconds, expire)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()


class Keytool:
    """keytool on one BCFKS store with the provider; ``shown`` is the store's path on the node,
    which messages name instead of the private copy keytool works on.

    ``run_command(argv, before_communicate_callback=...) -> (rc, stdout, stderr)`` is injected: the
    module passes AnsibleModule.run_command, tests a subprocess runner. Each call is killed after
    ``timeout`` seconds (``_Deadline``).
    """

    def __init__(self, executable, provider, password, shown, run_command, timeout=KEYTOOL_TIMEOUT):
        check_line(password, "the store password of %s" % shown, MAX_SECRET, secret=True)
        self.run_command = run_command
        self.timeout = timeout
        self.executable = executable
        self.provider = provider
        self.password = password
        self.shown = shown

    def command(self, store, password_file, *args):
        """The argv of one keytool call: options, the store, the provider, the password's file."""
        return [self.executable] + list(JVM_OPTIONS) + list(args) + [
            "-keystore", store, "-storetype", STORE_TYPE, "-providerpath", self.provider.jar,
            "-providerclass", self.provider.class_name, "-storepass:file", password_file]

    def run(self, workspace, store, *args):
        if workspace.password_file is None:
            # keytool reads the file's first line: written without a line end, and check_line refused
            # any line break in the password, so the file holds exactly the password.
            workspace.password_file = workspace.file("storepass", self.password.encode("utf-8"))
        argv = self.command(store, workspace.password_file, *args)
        # -noprompt and the password file leave keytool nothing to ask; should it ask all the same, it
        # reads the end of the module's standard input and fails instead of waiting.
        deadline = _Deadline(self.timeout)
        try:
            rc, out, err = self.run_command(argv, before_communicate_callback=deadline.start)
        finally:
            deadline.cancel()
        if deadline.expired:
            raise CrossclusterError(
                "keytool %s did not finish within %d seconds and was stopped; nothing was written" % (
                    args[0], self.timeout), path=self.shown,
                fix="run the same keytool command on the node by hand (the password with -storepass:file) to "
                    "see where it hangs (a JVM waiting for entropy, a provider jar or a store on a hung mount), "
                    "then re-run")
        output = out + err
        if rc != 0:
            raise self.error(args[0], output, workspace)
        return output

    def error(self, what, output, workspace):
        """keytool's failure as a CrossclusterError on the node's store, never with the password."""
        text = scrub(output, [self.password]).replace(workspace.path + os.sep, "")
        jar, name = self.provider.jar, self.provider.class_name
        if "MAC calculation failed" in text or "password was incorrect" in text:
            return CrossclusterError(
                "keytool cannot open the BCFKS store: the store password is wrong (or the store was altered)",
                path=self.shown, fix=PASSWORD_FIX + "; restore the store from a backup if the password is right")
        if "not found" in text and ("Provider" in text or "ClassNotFound" in text):
            return CrossclusterError(
                "keytool cannot load the provider class %s from %s" % (excerpt(name), jar), path=self.shown,
                fix="set provider_class to the class of that jar (the Bouncy Castle FIPS jar's is %s), or "
                    "provider_path to the node's Bouncy Castle FIPS jar" % FIPS_PROVIDER_CLASS)
        if "BCFKS not found" in text:
            return CrossclusterError(
                "the provider %s in %s does not offer the BCFKS store type" % (excerpt(name), jar), path=self.shown,
                fix="set provider_path to the node's Bouncy Castle FIPS jar (%s under <mapr_home>/lib)"
                    % PROVIDER_JAR_GLOB)
        if any(word in text for word in ("corrupted", "out of bounds", "Invalid keystore format", "EOFException",
                                         "unknown object", "DER", "ASN1")):
            return CrossclusterError(
                "keytool cannot read it: it is not a BCFKS store, or it is truncated or corrupt", path=self.shown,
                fix="check the path; restore the store from a backup")
        lines = [line for line in text.splitlines() if line.startswith("keytool error")] or text.splitlines()[-1:]
        return CrossclusterError(
            "keytool %s failed: %s" % (what, excerpt(" ".join(lines), 300, quoted=False)), path=self.shown,
            fix="run the same keytool command on the node by hand (the password with -storepass:file) to see why")

    def entries(self, workspace, store):
        """The store's entries as ``_truststore.Entry`` items, each with its keytool alias in ``raw``."""
        output = self.run(workspace, store, "-list", "-rfc")
        entries = []
        sections = _ALIAS_RE.split(output)
        for alias, section in zip(sections[1::2], sections[2::2]):
            kind = _ENTRY_TYPE_RE.search(section)
            kind = _KINDS.get(kind.group(1), Entry.OTHER) if kind else Entry.OTHER
            certs = pem_certificates(section, self.shown) if kind != Entry.OTHER else []
            # A key entry's chain starts with its own certificate, which is the one it stands for.
            entries.append(Entry(alias.lower(), kind, certs[0] if certs else None, alias))
        count = _COUNT_RE.search(output)
        if count is None or int(count.group(1)) != len(entries):
            raise CrossclusterError(
                "keytool listed it in a form this module does not read (%d entries found)" % len(entries),
                path=self.shown, fix="check that keytool is the JDK's (keytool -help), then re-run")
        return entries


def read_store(keytool, tmp_root=None):
    """``(SHA-256 of the store's bytes, its entries)``: keytool lists a private copy, so that what is
    listed is exactly the bytes hashed (a write handed that SHA-256 as based_on starts from them).
    None for both when the store does not exist."""
    snapshot = read_snapshot(keytool.shown, create=True)
    if not snapshot.exists:
        return None, None
    with Workspace(tmp_root) as work:
        return snapshot.sha256, keytool.entries(work, work.file("store.bcfks", snapshot.data))


# --- a change of a store, compare-and-swap --------------------------------------------------

class StoreChanged(CrossclusterError):
    """The store is not the one the change was worked out from: nothing was written (a conflict)."""


def _changed_since(path, sha256, expected, when):
    return StoreChanged(
        "changed since %s (its SHA-256 is now %s, not %s); nothing was written" % (when, sha256, expected),
        path=path, fix="re-run: the change is worked out again from the store as it is now")


class Change:
    """One read-modify-write of a BCFKS store: ``removals`` (``Request`` items, alias and/or
    fingerprint) first, then ``imports`` (``Request`` items with alias and certificate)."""

    def __init__(self, keytool, imports=(), removals=(), on_alias_conflict="fail", based_on=None,
                 attributes=None, backup=False, check_mode=False, tmp_root=None):
        self.keytool = keytool
        self.imports = list(imports)
        self.removals = list(removals)
        self.on_alias_conflict = on_alias_conflict
        self.based_on = based_on or {}
        self.attributes = attributes or Attributes()
        self.backup = backup
        self.check_mode = check_mode
        self.tmp_root = tmp_root
        self.before = self.after = None
        self.outcome = {"imported": [], "removed": [], "skipped": []}
        self.changed = False
        self.backup_file = None

    def run(self):
        path = self.keytool.shown
        with locked(path):
            snapshot = read_snapshot(path, create=True)
            # based_on: {path: SHA-256} of the files the caller's plan was made from (security_facts' files_read).
            if path in self.based_on and self.based_on[path] != snapshot.sha256:
                raise _changed_since(path, snapshot.sha256, self.based_on[path], "the plan read it")
            data = self.new_bytes(snapshot)
            attributes_changed = data is None and self.attributes.differ(snapshot)
            self.changed = data is not None or attributes_changed
            if self.check_mode or not self.changed:
                return self
            if attributes_changed:
                apply_attributes(snapshot, self.attributes)
                return self
            current = read_snapshot(path)
            if current.sha256 != snapshot.sha256:
                raise _changed_since(path, current.sha256, snapshot.sha256, "keytool read it")
            backups = write_files([(current, data, self.attributes)], self.backup)
            self.backup_file = backups.get(path)
        return self

    def new_bytes(self, snapshot):
        """The store's new bytes for the change applied to ``snapshot`` (the store as read, under
        the caller's directory lock), or None when its entries stay as they are. keytool lists a
        private copy (one JVM), and only a change runs the deletes, imports and last listing; in
        check mode nothing beyond the listing runs and the bytes are the snapshot's own. Nothing is
        written here: the caller writes the bytes, with any sibling files, in one compare-and-swap."""
        if not snapshot.exists:
            raise CrossclusterError("does not exist", path=snapshot.path,
                                    fix="give the path of the node's BCFKS truststore (ssl_truststore.bcfks in "
                                        "<mapr_home>/conf on a FIPS node)")
        with Workspace(self.tmp_root) as work:
            copy = work.file("store.bcfks", snapshot.data)
            found = self.keytool.entries(work, copy)
            self.before = TrustStore("bcfks", snapshot.path, list(found))
            self.after = TrustStore("bcfks", snapshot.path, list(found))
            for outcome in (remove_entries(self.after, self.removals),
                            apply_requests(self.after, self.imports, "present", self.on_alias_conflict)
                            if self.imports else None):
                for key, items in (outcome or {}).items():
                    self.outcome[key].extend(items)
            gone = [entry for entry in found if entry not in self.after.entries]
            new = [entry for entry in self.after.entries if entry.raw is None]
            if not (gone or new):
                return None
            self.changed = True
            return snapshot.data if self.check_mode else self._rewrite(work, copy, gone, new)

    def _rewrite(self, work, copy, gone, new):
        """The store's new bytes: keytool's deletes and imports on the private copy, checked by a
        last listing against the plan (keytool reports some refusals as warnings and exits 0)."""
        for entry in gone:
            self.keytool.run(work, copy, "-delete", "-alias", entry.raw)
        for number, entry in enumerate(new):
            pem = work.file("import-%d.pem" % number, entry.certificate.pem.encode("ascii"))
            self.keytool.run(work, copy, "-importcert", "-noprompt", "-alias", entry.alias,
                             "-file", pem)
        written = sorted((e.alias, e.kind, e.certificate.sha256 if e.certificate else None)
                         for e in self.keytool.entries(work, copy))
        planned = sorted((e.alias, e.kind, e.certificate.sha256 if e.certificate else None)
                         for e in self.after.entries)
        if written != planned:
            raise CrossclusterError(
                "keytool's copy of the store does not hold what was planned; the store was left as it was",
                path=self.keytool.shown, fix="run keytool -list on the store by hand to see what it holds, then re-run")
        return work.read(copy)

    def result(self):
        return dict(
            changed=self.changed,
            imported=self.outcome["imported"],
            removed=self.outcome["removed"],
            already_present=self.outcome["skipped"],
            entries=_entries(self.after),
            backup_file=self.backup_file,
        )

    def diff(self):
        return dict(before=self.before.summary_lines(), after=self.after.summary_lines(),
                    before_header=self.keytool.shown, after_header=self.keytool.shown)


def _entries(store):
    result = []
    for entry in store.entries:
        info = entry.certificate.describe(entry.alias) if entry.certificate else {"alias": entry.alias}
        info["type"] = entry.kind
        result.append(info)
    return result


def requests(certificates=(), remove=()):
    """``Request`` items from the module's options: ``certificates`` ({alias, pem}) to import,
    ``remove`` ({alias, sha256}) to take out."""
    imports = [Request(alias=item.get("alias"), certificate=one_certificate(
        item.get("pem") or "", "certificate %s" % excerpt(item.get("alias") or "(no alias)")))
        for item in certificates]
    removals = []
    for item in remove:
        if not item.get("alias") and not item.get("sha256"):
            raise CrossclusterError("an item of remove names neither an alias nor a sha256",
                                    fix="give alias, sha256 or both for each entry to remove")
        removals.append(Request(alias=item.get("alias"), sha256=item.get("sha256")))
    return imports, removals
