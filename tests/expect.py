"""Assertions the unit tests of every codec share."""

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError


def crosscluster_error(call, *args, **kwargs):
    """The CrossclusterError ``call(*args, **kwargs)`` raises; every one must say how to fix it."""
    with pytest.raises(CrossclusterError) as info:
        call(*args, **kwargs)
    err = info.value
    assert err.fix, "every error must say how to fix it"
    return err
