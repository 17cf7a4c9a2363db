# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What ansible-core 2.16 does differently from 2.19 and later, made the same for the collection."""

import functools

from jinja2 import Undefined


def undefined_fails(function):
    """``function`` as a filter that fails on an undefined argument as Ansible fails on any undefined value.

    ansible-core 2.19 and later never call a filter with an undefined argument: the template fails
    first, naming the variable ("'crosscluster_trusts' is undefined"). 2.16 calls the filter with
    Jinja's Undefined itself, which the filter's own checks would then report as a value of the wrong
    type ("crosscluster_trusts is a AnsibleUndefined, not a list"). On 2.19 this check never fires.
    """

    @functools.wraps(function)
    def call(*args, **kwargs):
        for value in args + tuple(kwargs.values()):
            if isinstance(value, Undefined):
                value._fail_with_undefined_error()
        return function(*args, **kwargs)

    return call
