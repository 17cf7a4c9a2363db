"""The controller's copies of gathered truststores: a copy only ever stands for the bytes it was read as."""

import hashlib
import os
import stat

import pytest
from ansible import constants as C

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils import store_cache
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import BCFKS, NodeFiles


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


def test_a_bcfks_store_is_based_on_its_sha256_alone():
    """A FIPS node's BCFKS store only the node's keytool opens: peer_trust needs its SHA-256 (the
    write's compare-and-swap), never its bytes, so the gather (which keeps none of them) still spares
    the write its read; the conf's bytes must be kept, or the write reads the node."""
    store, conf = "/opt/mapr/conf/ssl_truststore.bcfks", "/opt/mapr/conf/mapr-clusters.conf"
    layout = [(store, BCFKS, None, True)]
    conf_digest = store_cache.remember(b"a.lab.example secure=true a1:7222\n")
    files = NodeFiles(None, {}).as_gathered(layout, (conf,), {store: "ab" * 32, conf: conf_digest})
    assert [(f.path, f.exists, f.data, f.sha256) for f in files] == [
        (store, True, None, "ab" * 32), (conf, True, b"a.lab.example secure=true a1:7222\n", conf_digest)]
    not_kept = hashlib.sha256(b"never kept").hexdigest()
    assert NodeFiles(None, {}).as_gathered(layout, (conf,), {store: "ab" * 32, conf: not_kept}) is None
    # A store of another type still needs its bytes.
    assert NodeFiles(None, {}).as_gathered([(store, "pem", None, True)], (conf,),
                                           {store: "ab" * 32, conf: conf_digest}) is None
