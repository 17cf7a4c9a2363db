# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""``key=value`` files such as ``conf/daemon.conf`` and ``conf/store-passwords.txt``.

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._line_file import BLANKS

# Java's Properties, grep and the shell end a line at LF, CR or CRLF only. str.splitlines() also
# breaks at U+001C-U+001E, U+0085 and U+2028, so "user=mapr\u2028user=root" read as two lines here
# and one everywhere else (found by fuzzing against Java's rule).
_LINE_END_RE = re.compile("\r\n|\r|\n")


def parse_properties(text, path=None):
    """``{key: value}``; ``#``/``!`` comments and blank lines skipped, the last of a repeated key wins."""
    values = {}
    for number, raw in enumerate(_LINE_END_RE.split(text), 1):
        line = raw.strip(BLANKS)
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip(BLANKS):
            raise CrossclusterError("line is not key=value", path=path, line=number,
                                    fix="write each setting as key=value")
        values[key.strip(BLANKS)] = value.strip(BLANKS)
    return values
