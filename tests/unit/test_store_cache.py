"""The controller's copies of gathered truststores: a copy only ever stands for the bytes it was read as."""

import hashlib
import os
import stat

import pytest
from ansible import constants as C

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils import store_cache


@pytest.fixture(autouse=True)
def local_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    return tmp_path


def test_remember_then_recall_by_digest_private_to_the_controller_user(local_tmp):
    digest = store_cache.remember(b"store bytes")
    assert digest == hashlib.sha256(b"store bytes").hexdigest()
    assert store_cache.recall(digest) == b"store bytes"
    directory = local_tmp / store_cache.DIRECTORY
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(directory / digest).st_mode) == 0o600
    assert store_cache.remember(b"store bytes") == digest and os.listdir(directory) == [digest]


def test_unknown_or_altered_copies_are_not_recalled(local_tmp):
    assert store_cache.recall(hashlib.sha256(b"never kept").hexdigest()) is None
    assert store_cache.recall(None) is None
    digest = store_cache.remember(b"original")
    (local_tmp / store_cache.DIRECTORY / digest).write_bytes(b"altered")
    assert store_cache.recall(digest) is None


def test_a_copy_that_cannot_be_written_is_not_kept_and_fails_nothing(local_tmp):
    # The cache directory's place is taken by a file: no copy can be written there.
    (local_tmp / store_cache.DIRECTORY).write_bytes(b"not a directory")
    digest = store_cache.remember(b"store bytes")
    assert digest == hashlib.sha256(b"store bytes").hexdigest()
    assert store_cache.recall(digest) is None
    assert sorted(p.name for p in local_tmp.iterdir()) == [store_cache.DIRECTORY]
