# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""The one error type every codec and helper raises.

Modules turn it into ``fail_json(msg=str(err))``; keeping path, line and fix as fields
lets tests assert on each part without parsing the message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class CrossclusterError(Exception):
    """A problem the user can fix: says where (file, line), what is wrong, and the fix."""

    def __init__(self, problem, path=None, line=None, fix=None):
        self.problem = problem
        self.path = path
        self.line = line
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self):
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += ", line %d" % self.line
            where += ": "
        text = where + self.problem
        if self.fix:
            text += ". Fix: " + self.fix
        return text
