# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What every module input and every file must pass before a codec sees it, and how input text
may appear in an error message.

Every value here ends up on one line of a file or of a tool's stdin, so a control character in it
would smuggle in a second line (another cluster, another ticket, another kadmin command) or be
swallowed silently as a blank. Values are refused, never cleaned: a cleaned value is not the one
the user meant. Sizes are bounded so that one bad value cannot produce a huge message or file, and
any input shown in a message is cut to a short excerpt.

Standard library only, Python 3.8: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError

# Names (cluster, realm, domain, host, user, principal): DNS stops at 253 characters and Kerberos
# names are not much longer; 1 KiB leaves room for odd but legal ones.
MAX_NAME = 1024
# One line of mapr-clusters.conf, one ticket line, one auth_to_local rule: 64 KiB is far above any
# real one (a ticket is about 200 characters) and small enough to keep files and messages sane.
MAX_LINE = 64 * 1024
# Passwords: kadmin reads at most 1022 bytes and cuts the rest silently (see _kadmin_cli.py).
MAX_SECRET = 1024
# The most of an input any message shows.
EXCERPT = 60

# C0 controls, DEL, C1 controls and the Unicode line and paragraph separators: everything some
# reader (str.splitlines, a terminal, a C tool) takes for a line break or does not show.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_NAMES = {
    0x00: "NUL", 0x09: "tab", 0x0A: "line feed", 0x0B: "vertical tab", 0x0C: "form feed",
    0x0D: "carriage return", 0x1B: "escape", 0x7F: "delete", 0x85: "next line",
    0x2028: "line separator", 0x2029: "paragraph separator",
}


def excerpt(value, limit=EXCERPT, quoted=True):
    """``value`` as a message may show it: quoted, escaped, at most ``limit`` characters of it.

    repr() escapes control characters, so a shown value can never break the message's own line;
    ``quoted=False`` drops repr's quotes, for a name inside a phrase such as ``[realms] B``.
    """
    if isinstance(value, str):
        shown = repr(value[:limit])
        if not quoted:
            shown = shown[1:-1]
    else:
        value = repr(value)  # already escaped: shown as it is, not repr'd twice
        shown = value[:limit]
    if len(value) <= limit:
        return shown
    return "%s\u2026 (%d characters)" % (shown, len(value))


def describe_char(char):
    """``'\\n'`` -> ``U+000A (line feed)``."""
    code = ord(char)
    name = _CONTROL_NAMES.get(code)
    return "U+%04X" % code + (" (%s)" % name if name else "")


def check_line(value, what, limit=MAX_NAME, secret=False):
    """Refuse a one-line text value that is too long or holds a control character; return it.

    ``what`` names the value for the user (``option line``, ``option realms, item 2, kdcs``).
    A ``secret`` is never shown, nor where its control character is: only that it has one.
    Anything that is not text is left to the caller's type checks.
    """
    if not isinstance(value, str):
        return value
    if len(value) > limit:
        size = "is longer" if secret else "is %d characters long, longer" % len(value)
        raise CrossclusterError("%s than the limit of %d characters" % (size, limit), path=what,
                                fix="give the value itself, not a file's content or a list joined into one text")
    found = _CONTROL_RE.search(value)
    if found is None:
        return value
    if secret:
        raise CrossclusterError(
            "contains a control character (a line break, tab or similar)", path=what,
            fix="it is read as one line: remove the control character (a trailing newline from a file "
                "lookup is the usual one; use | trim)")
    raise CrossclusterError(
        "contains the control character %s at character %d of %s" % (
            describe_char(found.group()), found.start() + 1, excerpt(value)), path=what,
        fix="a value that goes on one line cannot hold line breaks, tabs or other control characters; "
            "remove it (a trailing newline from a file lookup is the usual one; use | trim), and give "
            "several lines as a list")


def check_options(params, limits, secrets=()):
    """Check the module options named in ``limits`` with ``check_line``.

    ``limits`` maps an option to its limit, or, for a list of dicts (or a dict) with sub-options,
    to a dict of sub-option limits. Lists are checked item by item and a dict of values key by
    key; options named in ``secrets`` are never shown.
    """
    for name, limit in limits.items():
        _check_value(params.get(name), "option %s" % name, limit, name in secrets, secrets)


def refuse_bad_options(module, limits, secrets=()):
    """``check_options`` on an AnsibleModule's params; a bad option fails the task at once, before
    any file is read or any tool runs."""
    try:
        check_options(module.params, limits, secrets)
    except CrossclusterError as err:
        module.fail_json(msg=str(err))


def _check_value(value, what, limit, secret, secrets):
    if isinstance(limit, dict):
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items, 1):
            where = "%s, item %d" % (what, number) if isinstance(value, list) else what
            if isinstance(item, dict):
                for name, sub_limit in limit.items():
                    _check_value(item.get(name), "%s, %s" % (where, name), sub_limit, name in secrets, secrets)
        return
    if isinstance(value, (list, tuple)):
        for number, item in enumerate(value, 1):
            _check_value(item, "%s, item %d" % (what, number), limit, secret, secrets)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_line(key, "%s, a key" % what, limit, secret)
            _check_value(item, "%s, %s" % (what, excerpt(key)), limit, secret, secrets)
    else:
        check_line(value, what, limit, secret)


def scrub(text, secrets):
    """``text`` with every secret replaced, for messages that must never echo a password."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def decode_text(data, path, fix=None):
    """UTF-8 ``data`` as text; otherwise an error naming ``path`` and the line, never its content.

    Not even the bad byte's value: many files decoded here hold secrets (store-passwords.txt,
    ssl-server.xml, ticket files), and a byte of a password is a clue to it. The line and column
    are enough to find it. ``fix`` replaces the generic advice where the caller knows better (a
    store of another type).
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        raise CrossclusterError(
            "is not UTF-8 text: the byte at column %d cannot be decoded" % (err.start - line_start + 1),
            path=path, line=data.count(b"\n", 0, err.start) + 1,
            fix=fix or "check that the path names the right file; if it is, convert it to UTF-8 "
                       "(iconv -f LATIN1 -t UTF-8) or remove the stray byte")


def read_text(path):
    """The text of the file at ``path``, decoded by ``decode_text``; OSErrors pass through."""
    with open(path, "rb") as handle:
        return decode_text(handle.read(), path)
