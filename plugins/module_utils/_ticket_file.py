# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Read and edit ``maprserverticket``, ``mapruserticket`` and ``maprticket_<uid>``.

Each line is ``<cluster> <base64 blob>``. The blob is a credential: it never appears in an error
message, a repr or a diff; ``blob_digest`` is how a blob is shown. Even a cluster name is shown
through a guard, because a malformed line can put a blob where the name should be.

The first line of ``maprserverticket`` is the node's own server ticket, so changing or removing
it is refused unless the caller says it is intended.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re

from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import is_valid_cluster_name
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import (
    CrossclusterError,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._line_file import (
    KeyedLineFile,
    check_no_stray_cr,
    fields,
    is_blank,
    join_lines,
    split_lines,
)

# Checked before b64decode so every Python version rejects the same inputs (3.8's decoder is
# more lenient about padding than later ones).
_STRICT_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_B64_CHAR_RE = re.compile(r"[A-Za-z0-9+/=]*\Z")
_WHITESPACE_RE = re.compile(r"\s")
# ASCII: the blanks that separate fields for MapR (see line_file.BLANKS), not Unicode's.
_TICKET_LINE_RE = re.compile(r"(\s*)(\S+)(\s+)(\S+)(\s*)\Z", re.ASCII)

# Cluster names are short; anything longer is more likely a misplaced blob than a name.
_MAX_SHOWN_NAME = 64

_LINE_FIX = (
    "put one ticket per line as '<cluster> <base64 ticket>', exactly as maprlogin writes it; "
    "a ticket must not be wrapped over several lines"
)
_B64_FIX = (
    "use the ticket exactly as maprlogin generateticket wrote it: one line of standard base64 "
    "(A-Z a-z 0-9 + / with '=' padding), not wrapped, not URL-safe, not truncated"
)


def blob_digest(blob):
    """How a ticket blob is shown anywhere: enough to tell two apart, nothing to reuse."""
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def _shown(name):
    if isinstance(name, str) and len(name) <= _MAX_SHOWN_NAME:
        return repr(name)
    if isinstance(name, str):
        return "<a %d-character name, %s>" % (len(name), blob_digest(name))
    return "<a %s>" % type(name).__name__


def _blob_problem(blob):
    """Why ``blob`` is not strict base64, or None; the answer never quotes the blob."""
    if not isinstance(blob, str):
        return "is not text"
    if not blob:
        return "is empty"
    if _WHITESPACE_RE.search(blob):
        return "contains whitespace (a wrapped or multi-line ticket?)"
    if not _B64_CHAR_RE.match(blob):
        return "contains characters outside the standard base64 alphabet"
    if not _STRICT_B64_RE.match(blob) or len(blob) % 4:
        return "has a wrong length or misplaced '=' padding (a truncated ticket?)"
    try:
        base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return "does not decode"
    return None


def validate_blob(blob, path=None, line=None, cluster=None):
    """Raise CrossclusterError unless ``blob`` is non-empty strict base64."""
    problem = _blob_problem(blob)
    if problem is None:
        return
    subject = "ticket" if cluster is None else "ticket for cluster %s" % _shown(cluster)
    # ``from None``: the decoder's own exception must not ride along in a traceback.
    raise CrossclusterError(
        "%s is not valid base64: it %s" % (subject, problem), path=path, line=line, fix=_B64_FIX
    ) from None


def _check_name(name, path=None, line=None, what="cluster name"):
    if not is_valid_cluster_name(name):
        raise CrossclusterError(
            "%s %s is not a valid cluster name" % (what, _shown(name)),
            path=path,
            line=line,
            fix="a cluster name starts with a letter or digit and contains only letters, "
            "digits, '.', '_' and '-'",
        )


def parse_ticket(ticket, cluster=None):
    """Module input to ``(cluster, blob)``: the whole line ``<cluster> <blob>`` or the blob alone."""
    if cluster is not None:
        _check_name(cluster)
    words = fields(ticket) if isinstance(ticket, str) else []
    if not words:
        raise CrossclusterError(
            "ticket is empty",
            fix="pass the line '<cluster> <base64 ticket>' from the ticket file, "
            "or the base64 ticket alone together with cluster",
        )
    if len(ticket.strip().splitlines()) > 1:
        # Most often a blob wrapped at 64 or 76 columns, whose first piece would pass as a name.
        raise CrossclusterError(
            "ticket spans %d lines; a ticket is a single line" % len(ticket.strip().splitlines()),
            fix=_LINE_FIX,
        )
    if len(words) > 2:
        raise CrossclusterError(
            "ticket has %d whitespace-separated fields; expected '<cluster> <blob>' "
            "or the blob alone" % len(words),
            fix=_LINE_FIX,
        )
    if len(words) == 1:
        if cluster is None:
            raise CrossclusterError(
                "ticket holds only a blob, so the cluster it belongs to is unknown",
                fix="pass cluster: <name>, or the whole line '<cluster> <base64 ticket>'",
            )
        blob = words[0]
    else:
        line_cluster, blob = words
        if not is_valid_cluster_name(line_cluster):
            # Not echoed: a wrapped blob split in two would put half of it here.
            raise CrossclusterError(
                "the first field of ticket is not a valid cluster name",
                fix=_LINE_FIX,
            )
        if cluster is not None and cluster != line_cluster:
            raise CrossclusterError(
                "ticket is for cluster %s but cluster is %s"
                % (_shown(line_cluster), _shown(cluster)),
                fix="pass the ticket generated for %s, or set cluster to %s"
                % (_shown(cluster), _shown(line_cluster)),
            )
        cluster = line_cluster
    validate_blob(blob, cluster=cluster)
    return cluster, blob


class _TicketLine:
    """One line of a ticket file; ``cluster`` is None for a blank line."""

    __slots__ = ("content", "ending", "cluster", "blob", "blob_start", "blob_end")

    def __init__(self, content, ending, cluster=None, blob=None, blob_start=0, blob_end=0):
        self.content = content
        self.ending = ending
        self.cluster = cluster
        self.blob = blob
        self.blob_start = blob_start
        self.blob_end = blob_end

    @classmethod
    def ticket(cls, cluster, blob, ending=""):
        content = "%s %s" % (cluster, blob)
        return cls(content, ending, cluster, blob, len(cluster) + 1, len(content))

    def redacted(self):
        if self.cluster is None:
            return self.content
        return (
            self.content[:self.blob_start]
            + blob_digest(self.blob)
            + self.content[self.blob_end:]
        )

    @property
    def key(self):
        return self.cluster

    def __repr__(self):
        if self.cluster is None:
            return "_TicketLine(blank)"
        return "_TicketLine(%s, %s)" % (_shown(self.cluster), blob_digest(self.blob))


class TicketFile(KeyedLineFile):
    """A parsed ticket file that renders back exactly what it read unless edited."""

    @classmethod
    def parse(cls, text, path=None):
        lines = []
        first_seen = {}
        for number, (content, ending) in enumerate(split_lines(text), start=1):
            check_no_stray_cr(content, path, number)
            if is_blank(content):
                lines.append(_TicketLine(content, ending))
                continue
            match = _TICKET_LINE_RE.match(content)
            if match is None:
                raise CrossclusterError(
                    "line has %d whitespace-separated fields; a ticket line has exactly two"
                    % len(fields(content)),
                    path=path,
                    line=number,
                    fix=_LINE_FIX,
                )
            cluster, blob = match.group(2), match.group(4)
            if not is_valid_cluster_name(cluster):
                # Not echoed: with fields swapped this would be the blob.
                raise CrossclusterError(
                    "the first field is not a valid cluster name",
                    path=path,
                    line=number,
                    fix=_LINE_FIX,
                )
            validate_blob(blob, path, number, cluster)
            if cluster in first_seen:
                raise CrossclusterError(
                    "cluster %s appears on lines %d and %d"
                    % (_shown(cluster), first_seen[cluster], number),
                    path=path,
                    line=number,
                    fix="keep one ticket line per cluster and delete the stale one",
                )
            first_seen[cluster] = number
            lines.append(
                _TicketLine(content, ending, cluster, blob, match.start(4), match.end(4))
            )
        return cls(text, lines, path)

    def __repr__(self):
        return "TicketFile(path=%r, clusters=%r)" % (self.path, self.clusters())

    def clusters(self):
        return self.keys()

    @property
    def local_cluster(self):
        return self.local_key

    def get(self, cluster):
        index = self._index(cluster)
        return None if index is None else self._lines[index].blob

    def _protect_first(self, cluster, allow_first, action):
        super()._protect_first(
            cluster, allow_first,
            "refusing to %s the ticket of cluster %s: the first line is this node's own "
            "ticket" % (action, _shown(cluster)),
            fix="pass allow_first: true if replacing this node's own ticket is really intended")

    def set(self, cluster, blob, allow_first=False):
        """Make the file hold ``blob`` for ``cluster``; return True when the text changes."""
        _check_name(cluster)
        validate_blob(blob, cluster=cluster)
        index = self._index(cluster)
        if index is None:
            # An empty file has no own ticket yet, so its first line needs no permission.
            self._lines.append(_TicketLine.ticket(cluster, blob))
            return True
        current = self._lines[index]
        if current.blob == blob:
            return False
        self._protect_first(cluster, allow_first, "replace")
        self._lines[index] = _TicketLine.ticket(cluster, blob, current.ending)
        return True

    def remove(self, cluster, allow_first=False):
        """Drop the ticket line of ``cluster``; return True when the text changes."""
        index = self._index(cluster)
        if index is None:
            return False
        self._protect_first(cluster, allow_first, "remove")
        del self._lines[index]
        return True

    def redacted(self):
        """render() with every blob shown as its digest, for diff output."""
        # Same newline decision as render(), so before/after diffs line up.
        changed = self.render() != self._text
        return join_lines([(line.redacted(), line.ending) for line in self._lines], changed)
