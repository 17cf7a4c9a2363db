# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Read and edit ``mapr-clusters.conf`` without disturbing what we do not own.

Every original line is kept verbatim so an administrator's comments, blank lines and spacing
survive, and a file we did not need to change renders back byte for byte. Only lines whose
meaning changes are rewritten (normalised to single spaces).

The first cluster line is this node's own cluster (the default for every client), so changing or
removing it is refused unless the caller says it is intended.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import (
    CrossclusterError,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import excerpt
from ansible_collections.datafabric.crosscluster.plugins.module_utils._line_file import (
    BLANKS,
    KeyedLineFile,
    check_no_stray_cr,
    fields,
    split_lines,
)

DEFAULT_CLDB_PORT = 7222

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# Brackets are the only unambiguous way to put an IPv6 address in front of ":port".
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9._-]+\Z")
_BRACKETED_RE = re.compile(r"\[[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?\]\Z")
_PORT_RE = re.compile(r"[0-9]+\Z")
_WHITESPACE_RE = re.compile(r"\s")

_NAME_FIX = (
    "a cluster name starts with a letter or digit and contains only letters, digits, "
    "'.', '_' and '-'"
)
_HOST_FIX = (
    "write each CLDB as host:port (port 1-65535, e.g. cldb1.example.com:%d); a CLDB with "
    "several addresses is ip1:port;ip2:port; an IPv6 address goes in brackets, [addr]:port"
    % DEFAULT_CLDB_PORT
)


def is_valid_cluster_name(name):
    """True when ``name`` can be a cluster name in mapr-clusters.conf and ticket files."""
    return isinstance(name, str) and _NAME_RE.match(name) is not None


def check_cluster_name(name, path=None, line=None):
    if not is_valid_cluster_name(name):
        raise CrossclusterError(
            "%s is not a valid cluster name" % excerpt(name), path=path, line=line, fix=_NAME_FIX
        )


def _split_address(part):
    """Return (address, port-or-None, had_colon) for one ``;``-separated part of a host token."""
    if part.startswith("["):
        end = part.find("]")
        if end != -1:
            rest = part[end + 1:]
            if rest.startswith(":"):
                return part[:end + 1], rest[1:], True
            if not rest:
                return part, None, False
    if ":" in part:
        address, _sep, port = part.rpartition(":")
        return address, port, True
    return part, None, False


def _check_host(token, cluster, path=None, line=None):
    for part in token.split(";"):
        address, port, had_colon = _split_address(part)
        where = "host %s of cluster %s" % (excerpt(token), excerpt(cluster))
        if not address:
            raise CrossclusterError(
                "%s has an empty address" % where, path=path, line=line, fix=_HOST_FIX
            )
        if address.startswith("#"):
            raise CrossclusterError(
                "%s looks like a comment; comments must be on their own line starting with '#'"
                % where,
                path=path,
                line=line,
                fix="move the comment to a line of its own",
            )
        if not (_HOSTNAME_RE.match(address) or _BRACKETED_RE.match(address)):
            raise CrossclusterError(
                "%s has an invalid address %s" % (where, excerpt(address)),
                path=path,
                line=line,
                fix=_HOST_FIX,
            )
        if had_colon and not port:
            raise CrossclusterError(
                "%s has ':' but no port" % where, path=path, line=line, fix=_HOST_FIX
            )
        if port is not None:
            if not _PORT_RE.match(port):
                raise CrossclusterError(
                    "%s has a non-numeric port %s" % (where, excerpt(port)),
                    path=path,
                    line=line,
                    fix=_HOST_FIX,
                )
            # Length first: int() of more than 4300 digits raises ValueError (CVE-2020-10735 limit).
            if len(port) > 5 or not 1 <= int(port) <= 65535:
                raise CrossclusterError(
                    "%s has port %s, outside 1-65535" % (where, excerpt(port, quoted=False)),
                    path=path,
                    line=line,
                    fix=_HOST_FIX,
                )


def _check_option(key, value, cluster, path=None, line=None):
    if not key:
        raise CrossclusterError(
            "option with value %s in cluster %s has an empty key" % (excerpt(value), excerpt(cluster)),
            path=path,
            line=line,
            fix="write options as key=value, e.g. kerberosEnable=true",
        )
    if "=" in key or _WHITESPACE_RE.search(key):
        raise CrossclusterError(
            "option key %s in cluster %s contains '=' or whitespace" % (excerpt(key), excerpt(cluster)),
            path=path,
            line=line,
            fix="use a key made of letters and digits, e.g. cldbHttpsPort",
        )
    if not value:
        raise CrossclusterError(
            "option %s in cluster %s has an empty value" % (excerpt(key), excerpt(cluster)),
            path=path,
            line=line,
            fix="give it a value (key=value) or remove it",
        )
    if _WHITESPACE_RE.search(value):
        raise CrossclusterError(
            "option %s in cluster %s has whitespace in its value" % (excerpt(key), excerpt(cluster)),
            path=path,
            line=line,
            fix="a value is one word; mapr-clusters.conf separates fields with spaces",
        )


def _parse_secure(value, cluster, path=None, line=None):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise CrossclusterError(
        "secure=%s in cluster %s must be true or false" % (excerpt(value), excerpt(cluster)),
        path=path,
        line=line,
        fix="write secure=true for a secure cluster, secure=false otherwise",
    )


def _check_hosts_present(hosts, cluster, path=None, line=None):
    if not hosts:
        raise CrossclusterError(
            "cluster %s has no CLDB host" % excerpt(cluster),
            path=path,
            line=line,
            fix="list at least one CLDB as host:port, e.g. <name> secure=true cldb1.example.com:%d"
            % DEFAULT_CLDB_PORT,
        )


@dataclass(frozen=True)
class ClusterEntry:
    """One cluster line. ``options`` keeps file order so a copied line stays recognisable."""

    name: str
    secure: Optional[bool]
    options: Tuple[Tuple[str, str], ...] = ()
    hosts: Tuple[str, ...] = ()

    def __post_init__(self):
        # Lists would make a "frozen" entry mutable through the back door.
        object.__setattr__(self, "options", tuple(tuple(pair) for pair in self.options))
        object.__setattr__(self, "hosts", tuple(self.hosts))

    def to_line(self):
        words = [self.name]
        if self.secure is not None:
            words.append("secure=%s" % ("true" if self.secure else "false"))
        words.extend("%s=%s" % pair for pair in self.options)
        words.extend(self.hosts)
        return " ".join(words)

    def as_dict(self):
        return {
            "name": self.name,
            "secure": self.secure,
            "options": dict(self.options),
            "hosts": list(self.hosts),
            "line": self.to_line(),
        }

    def same_as(self, other):
        # CLDB order matters to clients (they try hosts in order); option order does not.
        return (
            self.name == other.name
            and self.secure == other.secure
            and dict(self.options) == dict(other.options)
            and self.hosts == other.hosts
        )


def parse_line(text, path=None, line=None):
    """Parse one cluster line (not a comment or blank line) into a ClusterEntry."""
    tokens = fields(text)
    if not tokens:
        raise CrossclusterError(
            "empty cluster line",
            path=path,
            line=line,
            fix="write <name> secure=<true|false> host:port",
        )
    name = tokens[0]
    check_cluster_name(name, path, line)
    secure = None
    seen_secure = False
    options = []
    seen = set()
    hosts = []
    for token in tokens[1:]:
        if "=" in token:
            key, _sep, value = token.partition("=")
            if key == "secure":
                if seen_secure:
                    raise _duplicate_option(key, name, path, line)
                seen_secure = True
                secure = _parse_secure(value, name, path, line)
                continue
            _check_option(key, value, name, path, line)
            if key in seen:
                raise _duplicate_option(key, name, path, line)
            seen.add(key)
            options.append((key, value))
        else:
            _check_host(token, name, path, line)
            hosts.append(token)
    _check_hosts_present(hosts, name, path, line)
    return ClusterEntry(name, secure, tuple(options), tuple(hosts))


def _duplicate_option(key, cluster, path, line):
    return CrossclusterError(
        "option %s appears more than once in cluster %s" % (excerpt(key), excerpt(cluster)),
        path=path,
        line=line,
        fix="keep one of them on the line",
    )


def _default_port(host):
    parts = []
    for part in host.split(";"):
        _address, port, had_colon = _split_address(part)
        if part and port is None and not had_colon:
            part = "%s:%d" % (part, DEFAULT_CLDB_PORT)
        parts.append(part)
    return ";".join(parts)


def _option_text(key, value, cluster, path):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise CrossclusterError(
        "option %s of cluster %s must be a string, number or boolean, not %s"
        % (excerpt(key), excerpt(cluster), type(value).__name__),
        path=path,
        fix="give it a single-word value",
    )


def build_entry(name, secure, hosts, options=None, path=None):
    """Build a ClusterEntry from module input; hosts without a port get the default CLDB port."""
    check_cluster_name(name, path)
    secure = _parse_secure(secure, name, path)
    built_options = []
    for key, value in (options or {}).items():
        key = str(key)
        if key == "secure":
            raise CrossclusterError(
                "options of cluster %s contain 'secure'" % excerpt(name),
                path=path,
                fix="use the secure option instead of options.secure",
            )
        text = _option_text(key, value, name, path)
        _check_option(key, text, name, path)
        built_options.append((key, text))
    if isinstance(hosts, str):
        # A lone string would otherwise be iterated character by character.
        hosts = [hosts]
    built_hosts = []
    for host in hosts or ():
        host = _default_port(str(host).strip())
        _check_host(host, name, path)
        built_hosts.append(host)
    _check_hosts_present(built_hosts, name, path)
    return ClusterEntry(name, secure, tuple(built_options), tuple(built_hosts))


class _Line:
    __slots__ = ("content", "ending", "entry")

    def __init__(self, content, ending, entry):
        self.content = content
        self.ending = ending
        self.entry = entry

    @property
    def key(self):
        return self.entry.name if self.entry is not None else None


class ClustersConf(KeyedLineFile):
    """A parsed mapr-clusters.conf that renders back exactly what it read unless edited."""

    @classmethod
    def parse(cls, text, path=None):
        lines = []
        first_seen = {}
        for number, (content, ending) in enumerate(split_lines(text), start=1):
            check_no_stray_cr(content, path, number)
            stripped = content.strip(BLANKS)
            entry = None
            if stripped and not stripped.startswith("#"):
                entry = parse_line(content, path, number)
                if entry.name in first_seen:
                    raise CrossclusterError(
                        "cluster %s appears on lines %d and %d"
                        % (excerpt(entry.name), first_seen[entry.name], number),
                        path=path,
                        line=number,
                        fix="keep one line per cluster and delete or comment out the other",
                    )
                first_seen[entry.name] = number
            lines.append(_Line(content, ending, entry))
        return cls(text, lines, path)

    def __repr__(self):
        return "ClustersConf(path=%r, clusters=%r)" % (self.path, self.names())

    def crlf_lines(self):
        """How many lines end with CRLF: such a file is kept as it is, and a line added ends the same way
        (see ``line_file.newline_of``), so its line ends never change without the administrator."""
        return sum(1 for line in self._lines if line.ending == "\r\n")

    def crlf_warning(self, host=None):
        """The warning a module gives for a file with CRLF line ends, naming the node and the file, or None."""
        count = self.crlf_lines()
        if not count:
            return None
        return ("%s%s ends %d of its %d lines with CRLF (Windows line ends); they are kept as they are, "
                "and any line added here ends with CRLF too. Tools that end a line at LF only (shell "
                "scripts, grep, awk) see a carriage return at the end of the last field: convert the file "
                "with dos2unix (or sed -i 's/\\r$//') to end every line with LF"
                % ("%s: " % host if host else "", self.path, count, len(self._lines)))

    def entries(self):
        return [line.entry for line in self._lines if line.entry is not None]

    def names(self):
        return self.keys()

    @property
    def local_cluster(self):
        return self.local_key

    def get(self, name):
        index = self._index(name)
        return None if index is None else self._lines[index].entry

    def _protect_first(self, name, allow_first, action):
        super()._protect_first(
            name, allow_first,
            "refusing to %s cluster %s: the first cluster line is this node's own cluster, "
            "the default for every client on it" % (action, excerpt(name)),
            fix="pass allow_first: true if changing this node's own cluster is really intended")

    def set(self, entry, allow_first=False):
        """Make the file hold ``entry``; return True when the text changes."""
        index = self._index(entry.name)
        if index is not None:
            current = self._lines[index]
            if current.entry.same_as(entry):
                return False
            self._protect_first(entry.name, allow_first, "change")
            current.content = entry.to_line()
            current.entry = entry
            return True
        last = None
        for position, line in enumerate(self._lines):
            if line.entry is not None:
                last = position
        # Remote clusters go right after the last cluster so a trailing comment block stays last;
        # with no cluster yet the new one becomes this node's own, which is nothing to protect.
        position = len(self._lines) if last is None else last + 1
        self._lines.insert(position, _Line(entry.to_line(), "", entry))
        return True

    def remove(self, name, allow_first=False):
        """Drop the line of cluster ``name``; return True when the text changes."""
        index = self._index(name)
        if index is None:
            return False
        self._protect_first(name, allow_first, "remove")
        del self._lines[index]
        return True

    def update(self, entries=(), remove=(), allow_first=False):
        """Make the file hold every one of ``entries`` and none of the clusters named in ``remove``:
        a build and a revoke in one edit, so a node of a mesh changes the file once per run."""
        for entry in entries:
            self.set(entry, allow_first=allow_first)
        for name in remove:
            self.remove(name, allow_first=allow_first)
