# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""``key=value`` files such as ``conf/daemon.conf`` and ``conf/store-passwords.txt``.

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils.errors import CrossclusterError


def parse_properties(text, path=None):
    """``{key: value}``; ``#``/``!`` comments and blank lines skipped, the last of a repeated key wins."""
    values = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise CrossclusterError("line is not key=value", path=path, line=number,
                                    fix="write each setting as key=value")
        values[key.strip()] = value.strip()
    return values
