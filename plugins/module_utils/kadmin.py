# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Manage one principal in an MIT KDC through kadmin.local or kadmin, without exposing its password.

Facts this relies on (MIT krb5 1.20, checked against real KDCs; see tests/kdc):
- kadmin and kadmin.local in script mode (the query as positional arguments, not ``-q``) exit 1
  when the command fails; ``-q`` exits 0 whatever happens. ``ktadd`` of a missing principal still
  exits 0, so existence is always checked with ``getprinc`` first.
- ``addprinc`` and ``cpw`` without ``-pw`` read the password twice from stdin. Lines longer than
  1022 bytes are cut silently, so longer passwords are refused here.
- ``ktutil`` reads commands from stdin; ``addent -password`` reads the password as the next line,
  and ``list -k -e`` prints the derived keys. Nothing is written unless ``wkt`` is asked for. If
  ``addent`` fails, the password line is taken for a command and echoed on stderr, so enctypes and
  principals are validated first and ktutil's output is never shown whole.
- ``ktadd -norandkey`` exports the stored keys without re-keying (plain ``ktadd`` re-keys and bumps
  the kvno: never on a krbtgt). The keytab it writes is an anonymous memfd here (kadmin writes to
  ``/proc/self/fd/N``; an existing keytab must already hold the 0x0502 header), so the keys never
  reach a file system. Where memfd is unavailable, a 0700 temporary directory removed at once.
- ``cpw -keepold`` adds the new keys at the next kvno and keeps every other key. ``modprinc -kvno``
  gives every key that kvno, the old ones too (they end up duplicated at the new kvno, the newest
  first, which is the one the KDC uses). ``purgekeys -keepkvno N`` removes keys older than N.
- ``getprinc -terse``: one tab-separated line; index 7 attributes (bit mask), 8 kvno, 15 key count,
  then four fields per key: version, kvno, enctype number, salt type.

Standard library only, Python 3.8: this runs on KDC hosts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import os
import re
import shutil
import struct
import tempfile

from ansible_collections.datafabric.crosscluster.plugins.module_utils.errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils.inputs import (
    MAX_NAME,
    MAX_SECRET,
    check_line,
    excerpt,
    scrub,
)

# Canonical MIT names and numbers; the aliases kadmin also accepts map onto them. Single DES is gone
# from MIT krb5 (1.18), so it is not offered.
ENCTYPES = {
    "aes256-cts-hmac-sha1-96": 18,
    "aes128-cts-hmac-sha1-96": 17,
    "aes256-cts-hmac-sha384-192": 20,
    "aes128-cts-hmac-sha256-128": 19,
    "camellia256-cts-cmac": 26,
    "camellia128-cts-cmac": 25,
    "arcfour-hmac": 23,
    "des3-cbc-sha1": 16,
}
ENCTYPE_ALIASES = {
    "aes256-cts": "aes256-cts-hmac-sha1-96",
    "aes256-sha1": "aes256-cts-hmac-sha1-96",
    "aes128-cts": "aes128-cts-hmac-sha1-96",
    "aes128-sha1": "aes128-cts-hmac-sha1-96",
    "aes256-sha2": "aes256-cts-hmac-sha384-192",
    "aes128-sha2": "aes128-cts-hmac-sha256-128",
    "camellia256-cts": "camellia256-cts-cmac",
    "camellia128-cts": "camellia128-cts-cmac",
    "rc4-hmac": "arcfour-hmac",
    "arcfour-hmac-md5": "arcfour-hmac",
    "des3-hmac-sha1": "des3-cbc-sha1",
    "des3-cbc-sha1-kd": "des3-cbc-sha1",
}
ENCTYPE_NAMES = dict((number, name) for name, number in ENCTYPES.items())

# kadmin's {+|-}flag names -> (bit in the attributes mask, whether "+" sets the bit). The allow_*
# flags are stored inverted (DISALLOW_* bits). Checked with modprinc and getprinc -terse.
FLAGS = {
    "allow_postdated": (0x1, False),
    "allow_forwardable": (0x2, False),
    "allow_tgs_req": (0x4, False),
    "allow_renewable": (0x8, False),
    "allow_proxiable": (0x10, False),
    "allow_dup_skey": (0x20, False),
    "allow_tix": (0x40, False),
    "requires_preauth": (0x80, True),
    "requires_hwauth": (0x100, True),
    "needchange": (0x200, True),
    "allow_svr": (0x1000, False),
    "password_changing_service": (0x2000, True),
    "ok_as_delegate": (0x100000, True),
    "ok_to_auth_as_delegate": (0x200000, True),
    "no_auth_data_required": (0x400000, True),
    "lockdown_keys": (0x800000, True),
}
# The names getprinc shows under "Attributes:", which this module reports.
ATTRIBUTE_NAMES = (
    (0x1, "DISALLOW_POSTDATED"), (0x2, "DISALLOW_FORWARDABLE"), (0x4, "DISALLOW_TGT_BASED"),
    (0x8, "DISALLOW_RENEWABLE"), (0x10, "DISALLOW_PROXIABLE"), (0x20, "DISALLOW_DUP_SKEY"),
    (0x40, "DISALLOW_ALL_TIX"), (0x80, "REQUIRES_PRE_AUTH"), (0x100, "REQUIRES_HW_AUTH"),
    (0x200, "REQUIRES_PWCHANGE"), (0x1000, "DISALLOW_SVR"), (0x2000, "PWCHANGE_SERVICE"),
    (0x4000, "SUPPORT_DESMD5"), (0x8000, "NEW_PRINC"), (0x100000, "OK_AS_DELEGATE"),
    (0x200000, "OK_TO_AUTH_AS_DELEGATE"), (0x400000, "NO_AUTH_DATA_REQUIRED"), (0x800000, "LOCKDOWN_KEYS"),
)
SALT_NORMAL = 0
# kadmin reads passwords into a 1024-byte buffer: 1022 bytes, the newline and the NUL.
MAX_PASSWORD_BYTES = 1022
KEYTAB_HEADER = b"\x05\x02"
# \Z, not $: "$" also matches before a final newline, which let "name@REALM\n" through.
_PRINCIPAL_RE = re.compile(r"[^\s\"'@]+(?:@[^\s\"'@]+)?\Z")
_KTUTIL_KEY_RE = re.compile(r"^\s*\d+\s+(\d+)\s+(\S+)\s+\(([^)\s]+)\)\s+\(0x([0-9a-fA-F]+)\)\s*$")


def check_principal(principal):
    """Refuse names that would split on ktutil's command line or kadmin's parsing."""
    check_line(principal, "principal", MAX_NAME)
    if not principal or not _PRINCIPAL_RE.match(principal):
        raise CrossclusterError("principal %s is not a name this module can manage" % excerpt(principal),
                                fix="write it as name[/instance][@REALM], without spaces or quotes")
    return principal


def is_krbtgt(principal):
    return principal.startswith("krbtgt/")


def check_password(password):
    """A password kadmin and ktutil will both read whole from one line of stdin."""
    if not password:
        raise CrossclusterError("password is empty", fix="give the principal's password")
    check_line(password, "password", MAX_SECRET, secret=True)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise CrossclusterError("password is longer than %d bytes; kadmin would cut it silently" % MAX_PASSWORD_BYTES,
                                fix="use a shorter password")
    return password


def normalize_enctype(name):
    """Canonical MIT name of an enctype (aliases accepted, ``:normal`` salt allowed)."""
    base, _sep, salt = str(name).strip().lower().partition(":")
    if salt and salt != "normal":
        raise CrossclusterError("enctype %s: only the normal salt is supported" % excerpt(name),
                                fix="write the enctype without a salt, or with :normal")
    base = ENCTYPE_ALIASES.get(base, base)
    if base not in ENCTYPES:
        raise CrossclusterError("unknown enctype %s" % excerpt(name),
                                fix="use one of %s" % ", ".join(sorted(ENCTYPES)))
    return base


def normalize_enctypes(names):
    result = []
    for name in names or ():
        canonical = normalize_enctype(name)
        if canonical not in result:
            result.append(canonical)
    return result


def enctype_name(number):
    return ENCTYPE_NAMES.get(number, "enctype-%d" % number)


def default_attributes(principal):
    """Cross-realm krbtgt principals must not require preauth: the KDC then refuses the TGS."""
    return ["-requires_preauth"] if is_krbtgt(principal) else []


def parse_flag(text):
    """``'-requires_preauth'`` -> ``('requires_preauth', False)``."""
    item = str(text).strip()
    if len(item) < 2 or item[0] not in "+-" or item[1:] not in FLAGS:
        raise CrossclusterError("attribute %s is not a kadmin flag" % excerpt(text),
                                fix="write +flag or -flag, flag one of %s" % ", ".join(sorted(FLAGS)))
    return item[1:], item[0] == "+"


def normalize_attributes(items):
    """Validated flags, the last word winning for a repeated flag, in kadmin's ``{+|-}name`` form."""
    wanted = {}
    for item in items or ():
        name, on = parse_flag(item)
        wanted[name] = on
    return ["%s%s" % ("+" if on else "-", name) for name, on in wanted.items()]


def flag_is_on(mask, name):
    bit, plus_sets = FLAGS[name]
    return bool(mask & bit) == plus_sets


def flags_to_change(mask, wanted):
    """The flags of ``wanted`` (``{+|-}name`` list) that ``mask`` does not already satisfy."""
    changes = []
    for item in wanted:
        name, on = parse_flag(item)
        if flag_is_on(mask, name) != on:
            changes.append(item)
    return changes


def apply_flags(mask, flags):
    """The mask after kadmin applied ``flags``: what check mode reports."""
    for item in flags:
        name, on = parse_flag(item)
        bit, plus_sets = FLAGS[name]
        if on == plus_sets:
            mask |= bit
        else:
            mask &= ~bit
    return mask


def attribute_names(mask):
    """The names ``getprinc`` prints under "Attributes:" for ``mask``."""
    return [name for bit, name in ATTRIBUTE_NAMES if mask & bit]


def attribute_warnings(principal, attributes):
    if is_krbtgt(principal) and "+requires_preauth" in attributes:
        return ["%s with +requires_preauth: KDCs refuse cross-realm ticket requests for it; "
                "use -requires_preauth" % principal]
    return []


# -- parsers ----------------------------------------------------------------------------------


def parse_getprinc_terse(text):
    """The principal from ``getprinc -terse`` output, as a dict.

    Keys: principal, attributes (mask), kvno, mkvno, policy, keys (list of dicts with kvno, enctype
    number, enctype name and salt type).
    """
    lines = [line for line in text.splitlines() if line.startswith('"') and "\t" in line]
    if len(lines) != 1:
        raise CrossclusterError("getprinc -terse printed %d principal lines, expected one" % len(lines),
                                fix="check the kadmin version (MIT krb5 1.12 or later)")
    fields = lines[0].split("\t")
    try:
        count = int(fields[15])
        if len(fields) != 16 + 4 * count:
            raise ValueError("expected %d fields for %d keys, got %d" % (16 + 4 * count, count, len(fields)))
        keys = []
        for index in range(count):
            version, kvno, enctype, salt = (int(f) for f in fields[16 + 4 * index:20 + 4 * index])
            keys.append(dict(version=version, kvno=kvno, enctype=enctype, enctype_name=enctype_name(enctype),
                             salt=salt))
        return dict(principal=fields[0].strip('"'), attributes=int(fields[7]), kvno=int(fields[8]),
                    mkvno=int(fields[9]), policy=fields[10].strip('"'), keys=keys)
    except (IndexError, ValueError) as exc:
        raise CrossclusterError("cannot read getprinc -terse output (%s)" % exc,
                                fix="check the kadmin version (MIT krb5 1.12 or later)")


def current_enctypes(info):
    """Enctype names of the keys at the principal's current kvno, in stored order."""
    return [key["enctype_name"] for key in info["keys"] if key["kvno"] == info["kvno"]]


def parse_keytab(data):
    """Entries of a keytab (format 0x0502) as dicts: principal, kvno, enctype number, key bytes.

    Parsed here rather than through ``klist -kK`` so the keys go from kadmin's memfd straight into
    this process, never through another program's output.
    """
    if data[:2] != KEYTAB_HEADER:
        raise CrossclusterError("keytab does not start with the 0x0502 header", fix="check the kadmin version")
    entries = []
    offset = 2
    try:
        while offset + 4 <= len(data):
            (size,) = struct.unpack_from(">i", data, offset)
            offset += 4
            if size <= 0:
                offset += -size  # a hole left by a removed entry
                continue
            entries.append(_keytab_entry(data[offset:offset + size]))
            offset += size
    except struct.error as exc:
        raise CrossclusterError("keytab is truncated (%s)" % exc, fix="check the kadmin version")
    return entries


def _keytab_entry(record):
    pos = 0

    def counted():
        nonlocal pos
        (length,) = struct.unpack_from(">H", record, pos)
        value = record[pos + 2:pos + 2 + length]
        if len(value) != length:
            raise struct.error("short string")
        pos += 2 + length
        return value

    (components,) = struct.unpack_from(">H", record, pos)
    pos += 2
    realm = counted().decode("utf-8", "replace")
    names = [counted().decode("utf-8", "replace") for _ in range(components)]
    _name_type, _timestamp, vno8, enctype = struct.unpack_from(">IIBH", record, pos)
    pos += 11
    key = counted()
    kvno = vno8
    # The 32-bit kvno that follows, when present, is the real one (the 8-bit field wraps at 255).
    if len(record) - pos >= 4:
        (vno32,) = struct.unpack_from(">I", record, pos)
        if vno32:
            kvno = vno32
    return dict(principal="%s@%s" % ("/".join(names), realm), kvno=kvno, enctype=enctype,
                enctype_name=enctype_name(enctype), key=key)


def parse_ktutil_keys(text):
    """``ktutil`` ``list -k -e`` lines -> list of (kvno, principal, enctype name, key bytes)."""
    keys = []
    for line in text.splitlines():
        match = _KTUTIL_KEY_RE.match(line)
        if match:
            kvno, principal, enctype, key = match.groups()
            keys.append((int(kvno), principal, enctype, bytes.fromhex(key)))
    return keys


def ktutil_script(principal, kvno, enctypes, password):
    """ktutil's stdin: one ``addent -password`` per enctype, each followed by the password, then list."""
    lines = []
    for enctype in enctypes:
        lines += ["addent -password -p %s -k %d -e %s" % (principal, kvno, enctype), password]
    lines += ["list -k -e", "quit"]
    return "\n".join(lines) + "\n"


def compare_keys(stored, derived, enctypes):
    """Whether ``stored`` ({enctype: key} at the current kvno) holds exactly ``enctypes``, each
    equal to the key ``derived`` from the password."""
    if sorted(stored) != sorted(enctypes):
        return False
    return all(derived.get(enctype) is not None and stored[enctype] == derived[enctype] for enctype in enctypes)


# -- the tools --------------------------------------------------------------------------------


class Kadmin:
    """kadmin.local (``remote=False``) or kadmin with an admin keytab, in script mode.

    ``run_command(argv, data=None, environ_update=None, pass_fds=None) -> (rc, out, err)`` is
    injected: the module passes AnsibleModule.run_command, tests a subprocess runner.
    """

    def __init__(self, run_command, executable, realm=None, remote=False, admin_principal=None,
                 admin_keytab=None, kdc_profile=None, krb5_config=None, ktutil="ktutil"):
        if remote and not (admin_principal and admin_keytab):
            raise CrossclusterError("kadmin=remote needs admin_principal and admin_keytab",
                                    fix="give both, or use kadmin=local on the KDC host")
        self.run_command = run_command
        self.executable = executable
        self.realm = realm
        self.remote = remote
        self.admin_principal = admin_principal
        self.admin_keytab = admin_keytab
        self.ktutil = ktutil
        self.environ = {
            # A user's ccache would make kadmin.local act as its principal, and ktutil needs none.
            "KRB5CCNAME": "MEMORY:datafabric-crosscluster",
        }
        if kdc_profile:
            self.environ["KRB5_KDC_PROFILE"] = kdc_profile
        if krb5_config:
            self.environ["KRB5_CONFIG"] = krb5_config

    @property
    def name(self):
        return "kadmin" if self.remote else "kadmin.local"

    def argv(self, *query):
        """kadmin's argv for ``query`` (script mode: positional arguments, so errors exit 1)."""
        argv = [self.executable]
        if self.remote:
            argv += ["-p", self.admin_principal, "-k", "-t", self.admin_keytab]
        if self.realm:
            argv += ["-r", self.realm]
        return argv + list(query)

    def run(self, query, password=None, pass_fds=None):
        """(rc, out, err) of one kadmin command; a password goes twice on stdin and is scrubbed."""
        data = None
        if password is not None:
            data = "%s\n%s\n" % (password, password)
        rc, out, err = self.run_command(self.argv(*query), data=data, environ_update=self.environ, pass_fds=pass_fds)
        return rc, scrub(out or "", (password,)), scrub(err or "", (password,))

    def check(self, query, password=None, pass_fds=None):
        rc, out, err = self.run(query, password=password, pass_fds=pass_fds)
        if rc != 0:
            raise CrossclusterError("%s %s failed (rc %d): %s" % (self.name, query[0], rc, (err or out).strip()),
                                    fix=_fix_for(err or out, self))
        return out

    def getprinc(self, principal):
        """Parsed ``getprinc -terse``, or None when the principal does not exist."""
        rc, out, err = self.run(["getprinc", "-terse", principal])
        if rc != 0:
            if "does not exist" in err:
                return None
            raise CrossclusterError("%s getprinc failed (rc %d): %s" % (self.name, rc, (err or out).strip()),
                                    fix=_fix_for(err or out, self))
        return parse_getprinc_terse(out)

    def stored_keys(self, principal, kvno):
        """{enctype name: key bytes} the KDC holds for ``principal`` at ``kvno``, exported with
        ``ktadd -norandkey`` into memory (see module docstring); nothing is re-keyed."""
        data = self._export(principal)
        keys = {}
        for entry in parse_keytab(data):
            # The first of two keys at one kvno (modprinc -kvno of a principal with old keys gives
            # that) is the newer one, and the one the KDC uses.
            if entry["kvno"] == kvno:
                keys.setdefault(entry["enctype_name"], entry["key"])
        return keys

    def _export(self, principal):
        fd = _memfd()
        if fd is not None:
            try:
                os.write(fd, KEYTAB_HEADER)
                self.check(["ktadd", "-norandkey", "-k", "WRFILE:/proc/self/fd/%d" % fd, principal], pass_fds=(fd,))
                return _read_all(fd)
            finally:
                os.close(fd)
        directory = tempfile.mkdtemp(prefix=".crosscluster-kt-")  # 0700, removed whatever happens
        try:
            path = os.path.join(directory, "keytab")
            self.check(["ktadd", "-norandkey", "-k", "WRFILE:%s" % path, principal])
            with open(path, "rb") as handle:
                return handle.read()
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def derive_keys(self, principal, password, enctypes, kvno):
        """{enctype name: key bytes} that ``password`` gives ``principal`` (normal salt), by ktutil
        in memory: the password on stdin, no keytab written."""
        check_principal(principal)
        for enctype in enctypes:
            normalize_enctype(enctype)  # an addent that fails would make ktutil echo the password
        rc, out, err = self.run_command([self.ktutil], data=ktutil_script(principal, kvno, enctypes, password),
                                        environ_update=self.environ)
        derived = dict((enctype, key) for _kvno, name, enctype, key in parse_ktutil_keys(out or "")
                       if name == principal)
        if rc != 0 or sorted(derived) != sorted(enctypes):
            # Only ktutil's own error lines: any other line may be the password read as a command.
            reasons = [line for line in scrub(err or "", (password,)).splitlines()
                       if line.startswith("addent:")]
            raise CrossclusterError("ktutil could not derive the %s keys of %s%s" % (
                ", ".join(enctypes), principal, (": " + "; ".join(reasons)) if reasons else ""),
                fix="check that ktutil (krb5-user) is installed and supports these enctypes")
        return derived

    def addprinc(self, principal, password, enctypes=None, kvno=None, flags=()):
        query = ["addprinc"]
        if enctypes:
            query += ["-e", ",".join("%s:normal" % e for e in enctypes)]
        if kvno is not None:
            query += ["-kvno", str(kvno)]
        query += list(flags) + [principal]
        self.check(query, password=password)

    def cpw(self, principal, password, enctypes=None, keepold=False):
        query = ["cpw"] + (["-keepold"] if keepold else [])
        if enctypes:
            query += ["-e", ",".join("%s:normal" % e for e in enctypes)]
        self.check(query + [principal], password=password)

    def modprinc(self, principal, kvno=None, flags=()):
        query = ["modprinc"]
        if kvno is not None:
            query += ["-kvno", str(kvno)]
        self.check(query + list(flags) + [principal])

    def purgekeys(self, principal, keepkvno):
        """Remove the keys older than kvno ``keepkvno``."""
        self.check(["purgekeys", "-keepkvno", str(keepkvno), principal])

    def delprinc(self, principal):
        self.check(["delprinc", "-force", principal])


def _fix_for(message, kadmin):
    if "extract-keys" in message or "Operation requires" in message:
        return "grant %s the privileges it needs in kadm5.acl (ktadd -norandkey needs 'e')" % kadmin.admin_principal
    if "lockdown" in message.lower():
        return "the principal has lockdown_keys set, so its keys cannot be compared"
    if "Cannot contact" in message or "Cannot find KDC" in message or "admin_server" in message:
        return "check krb5_config (admin_server for the realm) and that kadmind runs"
    if kadmin.remote:
        return "check admin_principal, admin_keytab and the realm"
    return "run on the KDC host as root, and check realm and kdc_profile"


def _memfd():
    """An anonymous in-memory file kadmin can write through /proc/self/fd, or None."""
    if not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.memfd_create("crosscluster-keytab", os.MFD_CLOEXEC)
    except OSError:
        return None


def _read_all(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# -- the whole job ----------------------------------------------------------------------------


def describe(state):
    """Non-secret state as text, for diff mode."""
    if not state.get("exists"):
        return "absent\n"
    text = "principal: %s\nkvno: %s\nenctypes: %s\nattributes: %s\nkeys_match: %s\n" % (
        state["principal"], state["kvno"], ", ".join(state["enctypes"]), ", ".join(state["attributes"]),
        state["keys_match"])
    if state.get("old_kvnos"):
        text += "old_kvnos: %s\n" % ", ".join(str(kvno) for kvno in state["old_kvnos"])
    return text


def old_kvnos(info):
    """The kvnos of the older keys a principal still holds (left by cpw -keepold), oldest first."""
    return sorted(set(key["kvno"] for key in info["keys"] if key["kvno"] != info["kvno"]))


def _state(info, keys_match):
    return dict(exists=True, principal=info["principal"], kvno=info["kvno"], enctypes=current_enctypes(info),
                attributes=attribute_names(info["attributes"]), keys_match=keys_match, old_kvnos=old_kvnos(info))


def _keys_match(kadmin, info, password, enctypes):
    wanted = enctypes or current_enctypes(info)
    if not wanted:
        return False  # a principal without keys (-nokey) has nothing the password could match
    stored = kadmin.stored_keys(info["principal"], info["kvno"])
    derived = kadmin.derive_keys(info["principal"], password, wanted, info["kvno"])
    return compare_keys(stored, derived, wanted)


# How far ``keepold`` climbs to a kvno, one ``cpw -keepold`` (one more set of keys) per step. A gap
# wider than this comes from a kvno set by hand, and is better closed once without keepold.
MAX_KEEPOLD_STEPS = 16


def _keepold_steps(principal, current, kvno, matched):
    """How many ``cpw -keepold`` runs take ``principal`` from kvno ``current`` to ``kvno``.

    MIT's ``cpw -keepold`` adds the new keys at the next kvno and keeps the others; ``modprinc -kvno``
    would renumber the old keys as well (every key ends up at the new kvno and tickets of the old
    one find no key), so with keepold a kvno only ever climbs, by cpw. Steps past the first leave
    copies of the new keys at the kvnos in between, which no valid ticket uses.
    """
    if kvno is None:
        return 0 if matched else 1
    if kvno == current and matched:
        return 0
    if kvno <= current:
        raise CrossclusterError("with keepold, the new keys of %s need a kvno above its current kvno %d, not %d"
                                % (principal, current, kvno),
                                fix="give a kvno above %d, or none (the next one), or set keepold to false" % current)
    if kvno - current > MAX_KEEPOLD_STEPS:
        raise CrossclusterError("with keepold, kvno %d of %s is more than %d above its current kvno %d"
                                % (kvno, principal, MAX_KEEPOLD_STEPS, current),
                                fix="bring the KDCs to one kvno first without keepold (which drops the old keys)")
    return kvno - current


def ensure_present(kadmin, principal, password, kvno=None, enctypes=None, attributes=None, keepold=False,
                   check_mode=False):
    """Make ``principal`` exist with keys from ``password`` (and ``kvno``, ``enctypes``, ``attributes``).

    With ``keepold``, a change of keys keeps the old ones (``cpw -keepold``) so that tickets issued
    under the old kvno stay valid, and the kvno only climbs (see _keepold_steps). Without it, old keys
    go: cpw drops them, and before a kvno is renumbered they are purged, as ``modprinc -kvno`` would
    give them the new kvno too.

    Returns (changes, before, after): ``changes`` names what differs ("create", "keys",
    "kvno 3 -> 1", "attributes -requires_preauth"), empty when nothing does; before and after are
    non-secret states (in check mode, after is the prediction).
    """
    check_principal(principal)
    check_password(password)
    enctypes = normalize_enctypes(enctypes)
    flags = normalize_attributes(default_attributes(principal) if attributes is None else attributes)
    if kvno is not None and kvno < 1:
        raise CrossclusterError("kvno %d is not a key version number" % kvno, fix="use 1 or more")
    info = kadmin.getprinc(principal)
    if info is None:
        before = dict(exists=False)
        if check_mode:
            return ["create"], before, dict(exists=True, principal=principal, kvno=kvno or 1, enctypes=enctypes,
                                            attributes=attribute_names(apply_flags(0, flags)), keys_match=True,
                                            old_kvnos=[])
        kadmin.addprinc(principal, password, enctypes=enctypes, kvno=kvno, flags=flags)
        return ["create"], before, _verified(kadmin, principal, password, enctypes)

    matched = _keys_match(kadmin, info, password, enctypes)
    before = _state(info, matched)
    changes = [] if matched else ["keys"]
    if kvno is not None and kvno != info["kvno"]:
        changes.append("kvno %d -> %d" % (info["kvno"], kvno))
    wrong_flags = flags_to_change(info["attributes"], flags)
    if wrong_flags:
        changes.append("attributes %s" % " ".join(wrong_flags))
    if not changes:
        return changes, before, before
    current = info["kvno"]
    rekeys = _keepold_steps(principal, current, kvno, matched) if keepold else (0 if matched else 1)
    # Without keepold, cpw gives the next kvno, which modprinc then sets to the one asked for.
    renumber = not keepold and kvno is not None and kvno != current + rekeys
    if check_mode:
        if keepold:
            kept = sorted(set(before["old_kvnos"]) | set(range(current, current + rekeys)))
        else:
            kept = [] if rekeys or renumber else before["old_kvnos"]
        return changes, before, dict(before, kvno=kvno if renumber else current + rekeys, keys_match=True,
                                     enctypes=enctypes or before["enctypes"], old_kvnos=kept,
                                     attributes=attribute_names(apply_flags(info["attributes"], flags)))
    for _step in range(rekeys):
        kadmin.cpw(principal, password, enctypes=enctypes, keepold=keepold)
    if rekeys:
        info = kadmin.getprinc(principal)
        renumber = not keepold and kvno is not None and kvno != info["kvno"]
    if renumber and old_kvnos(info):
        kadmin.purgekeys(principal, info["kvno"])
    # Looked at again after cpw: a password change clears needchange, for one.
    wrong_flags = flags_to_change(info["attributes"], flags)
    if renumber or wrong_flags:
        kadmin.modprinc(principal, kvno=kvno if renumber else None, flags=wrong_flags)
    return changes, before, _verified(kadmin, principal, password, enctypes)


def _verified(kadmin, principal, password, enctypes):
    """The state the KDC now holds, read back. Keys the password cannot reproduce (another salt,
    for one) fail here once instead of showing up as a change on every run."""
    info = kadmin.getprinc(principal)
    if info is None:
        raise CrossclusterError("%s reported success but %s does not exist" % (kadmin.name, principal),
                                fix="check realm and kdc_profile")
    matched = _keys_match(kadmin, info, password, enctypes)
    if not matched:
        raise CrossclusterError("after setting the password, the keys of %s still differ from the ones the password "
                                "gives (salt types %s)" % (principal, sorted(set(k["salt"] for k in info["keys"]))),
                                fix="give enctypes explicitly, so that the keys get the normal salt")
    return _state(info, matched)


def ensure_absent(kadmin, principal, check_mode=False):
    """Delete ``principal`` if it exists. Returns (changed, before, after)."""
    check_principal(principal)
    info = kadmin.getprinc(principal)
    if info is None:
        return False, dict(exists=False), dict(exists=False)
    before = dict(exists=True, principal=info["principal"], kvno=info["kvno"], enctypes=current_enctypes(info),
                  attributes=attribute_names(info["attributes"]), keys_match=None)
    if not check_mode:
        kadmin.delprinc(principal)
    return True, before, dict(exists=False)


# Debian and RHEL put kadmin.local in sbin, which a become'd PATH may lack.
SBIN = ["/usr/sbin", "/usr/local/sbin", "/sbin"]



def runner(module):
    def run(argv, data=None, environ_update=None, pass_fds=None):
        # binary_data: the data already ends with the newlines kadmin and ktutil expect.
        return module.run_command(argv, data=data, binary_data=True, environ_update=environ_update,
                                  pass_fds=pass_fds)
    return run


def binary(module, name, package):
    path = module.get_bin_path(name, opt_dirs=SBIN)
    if not path:
        raise CrossclusterError("%s is not installed" % name, fix="install %s on the target" % package)
    return path


# Limits (inputs.check_options) of those options and of the ones both modules take: every value
# goes on kadmin's command line or ktutil's stdin, where a newline would start another command.
KADMIN_LIMITS = dict(realm=MAX_NAME, admin_principal=MAX_NAME, principal=MAX_NAME, principals=MAX_NAME,
                     password=MAX_SECRET, enctypes=MAX_NAME, attributes=MAX_NAME, digest_nonce=MAX_NAME)
KADMIN_SECRETS = ("password",)

# The options every module that talks to a KDC shares.
KADMIN_ARGS = dict(
    realm=dict(type="str"),
    kadmin=dict(type="str", default="local", choices=["local", "remote"]),
    admin_principal=dict(type="str"),
    admin_keytab=dict(type="path"),
    kdc_profile=dict(type="path"),
    krb5_config=dict(type="path"),
)


def kadmin_for(module, with_ktutil=False):
    """A Kadmin for the module's KADMIN_ARGS: kadmin.local on the KDC, or kadmin with a keytab."""
    p = module.params
    remote = p["kadmin"] == "remote"
    return Kadmin(
        runner(module),
        binary(module, "kadmin", "krb5-user") if remote else binary(module, "kadmin.local", "krb5-admin-server"),
        realm=p["realm"],
        remote=remote,
        admin_principal=p["admin_principal"],
        admin_keytab=p["admin_keytab"],
        kdc_profile=p["kdc_profile"],
        krb5_config=p["krb5_config"],
        ktutil=binary(module, "ktutil", "krb5-user") if with_ktutil else "ktutil",
    )


def principal_info(kadmin, principal, nonce=None):
    """What a KDC holds for ``principal``, read-only; with ``nonce``, HMAC-SHA256 digests of its keys.

    The digests let two KDCs be compared (do both hold the same keys?) without a key or a
    password leaving either host; a nonce chosen per run keeps them from being compared across runs.
    """
    check_principal(principal)
    info = kadmin.getprinc(principal)
    if info is None:
        return dict(exists=False, principal=principal)
    state = dict(exists=True, principal=info["principal"], kvno=info["kvno"], enctypes=current_enctypes(info),
                 attributes=attribute_names(info["attributes"]))
    if nonce:
        keys = kadmin.stored_keys(principal, info["kvno"])
        state["key_digests"] = dict(
            (enctype, hmac.new(nonce.encode("utf-8"), key, hashlib.sha256).hexdigest())
            for enctype, key in sorted(keys.items()))
    return state
