# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Text files of one keyed line per cluster whose first keyed line is the node's own.

``mapr-clusters.conf`` and the ticket files share these rules: lines are kept exactly as read
(comments, blanks, line endings) unless edited, a key appears once, and the first keyed line
belongs to the node itself and is protected. The codecs add only their line format.
Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError

# What separates fields for the C and Java programs that read these files (isspace(), Java's \s):
# ASCII blanks only. str.split() also splits on U+001C-U+001F, U+0085, U+00A0 and U+2028, so a
# line could hold different fields for us than for MapR (found by fuzzing against Java's rule).
BLANKS = " \t\n\v\f\r"
_BLANKS_RE = re.compile("[%s]+" % BLANKS)


def split_lines(text):
    """Split into ``[content, ending]`` pairs; ``ending`` is '\\n', '\\r\\n' or '' (last line).

    str.splitlines() is avoided on purpose: it also breaks on form feeds and Unicode separators,
    which would not round-trip.
    """
    pairs = []
    parts = text.split("\n")
    for part in parts[:-1]:
        if part.endswith("\r"):
            pairs.append([part[:-1], "\r\n"])
        else:
            pairs.append([part, "\n"])
    if parts[-1]:
        pairs.append([parts[-1], ""])
    return pairs


def fields(text):
    """The fields of a line, split on ASCII blanks only (see BLANKS)."""
    return [field for field in _BLANKS_RE.split(text) if field]


def is_blank(text):
    return not text.strip(BLANKS)


def check_no_stray_cr(content, path, number):
    """Refuse a carriage return inside a line (not the one of a CRLF ending).

    Java's readLine() ends a line at a lone CR, C's fgets() does not: a comment holding one could
    be a cluster or ticket line to one reader and part of a comment to the other.
    """
    if "\r" in content:
        raise CrossclusterError(
            "holds a carriage return (U+000D) inside the line, which some readers take for a line end",
            path=path, line=number,
            fix="end every line with LF or CRLF only (e.g. sed -i 's/\\r\\([^$]\\)/\\n\\1/g'), or remove the "
                "stray carriage return")


def newline_of(pairs):
    """The line ending the file already uses, so added lines match it."""
    for _content, ending in pairs:
        if ending:
            return ending
    return "\n"


def join_lines(pairs, terminate_all):
    """Text of ``pairs``; with ``terminate_all`` a missing final newline is added."""
    if not terminate_all:
        return "".join(content + ending for content, ending in pairs)
    newline = newline_of(pairs)
    return "".join(content + (ending or newline) for content, ending in pairs)


def render_lines(pairs, original):
    """The original text when nothing differs, else every line newline-terminated.

    A missing final newline is the administrator's choice only while we leave the file alone;
    once we add a line it would merge with the next one appended by anyone.
    """
    as_is = join_lines(pairs, False)
    if as_is == original:
        return original
    return join_lines(pairs, True)


class KeyedLineFile:
    """Lines with ``content``, ``ending`` and ``key`` (None for comments and blanks)."""

    def __init__(self, text, lines, path=None):
        self._text = text
        self._lines = lines
        self.path = path

    def keys(self):
        return [line.key for line in self._lines if line.key is not None]

    @property
    def local_key(self):
        keys = self.keys()
        return keys[0] if keys else None

    def _index(self, key):
        for index, line in enumerate(self._lines):
            if line.key is not None and line.key == key:
                return index
        return None

    def line_of(self, key):
        index = self._index(key)
        return None if index is None else index + 1

    def _protect_first(self, key, allow_first, problem, fix):
        """Refuse to touch the node's own (first) line unless the caller says it is intended."""
        if allow_first or key != self.local_key:
            return
        raise CrossclusterError(problem, path=self.path, line=self.line_of(key), fix=fix)

    def render(self):
        return render_lines([(line.content, line.ending) for line in self._lines], self._text)
