# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""MIT Kerberos data as kadmin and ktutil show it: enctype names and numbers, principal
attribute flags, ``getprinc -terse`` lines, keytab files and ``ktutil list -k -e`` output.

Pure parsing and arithmetic; no tool is run here (_kadmin_cli.py runs them, _kadmin.py decides).

Standard library only, Python 3.8: this runs on KDC hosts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import struct

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    excerpt,
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
KEYTAB_HEADER = b"\x05\x02"
_KTUTIL_KEY_RE = re.compile(r"^\s*\d+\s+(\d+)\s+(\S+)\s+\(([^)\s]+)\)\s+\(0x([0-9a-fA-F]+)\)\s*$")


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
    names = [counted().decode("utf-8", "replace") for _component in range(components)]
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
