"""What file_snapshot reads back or replaces: only the files the collection manages (no Ansible)."""

import os

import pytest
from expect import crosscluster_error

from ansible_collections.datafabric.crosscluster.plugins.module_utils._snapshot_policy import (
    check_path,
    read_managed,
)

KEY = "-----BEGIN PRIVATE KEY-----\nTUlJQktleUJvZHlOZXZlclNob3du\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize("name", ["ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem", "mapr-clusters.conf",
                                  "cacerts", "node-keystore.jks", "truststore", "partner.CRT", "corp.pfx"])
def test_the_collections_files_and_truststores_by_name_are_read(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\xfe\xed\xfe\xed store bytes")
    assert read_managed(str(path)).data == b"\xfe\xed\xfe\xed store bytes"
    missing = read_managed(str(tmp_path / "missing.jks"))
    assert not missing.exists


@pytest.mark.parametrize("path", ["/etc/shadow", "/etc/passwd", "/root/.ssh/id_rsa", "/proc/self/environ"])
def test_other_files_are_refused_by_name(path):
    err = crosscluster_error(read_managed, path)
    assert err.path == path and "is not a file this collection manages" in err.problem
    assert "ansible.builtin.slurp" in err.fix


def test_a_symlink_with_a_stores_name_is_judged_by_what_it_points_to(tmp_path):
    link = tmp_path / "ssl_truststore.pem"
    link.symlink_to("/etc/shadow")
    err = crosscluster_error(read_managed, str(link))
    assert err.path == str(link) and "resolves to '/etc/shadow', which is not a file this collection" in err.problem
    # Into /proc, /sys or /dev, even a store's name is refused (/dev/shm is the writable part of /dev).
    if os.path.isdir("/dev/shm"):
        planted = "/dev/shm/crosscluster-test-%d.jks" % os.getpid()
        with open(planted, "wb") as handle:
            handle.write(b"\xfe\xed\xfe\xed")
        try:
            (tmp_path / "planted.jks").symlink_to(planted)
            err = crosscluster_error(check_path, str(tmp_path / "planted.jks"))
            assert "under /dev, which holds no truststore" in err.problem
        finally:
            os.unlink(planted)
    # A symlink to another store is fine (MapR's conf may be a link).
    real = tmp_path / "real.jks"
    real.write_bytes(b"\xfe\xed\xfe\xed")
    (tmp_path / "ssl_truststore").symlink_to(real)
    assert read_managed(str(tmp_path / "ssl_truststore")).data == b"\xfe\xed\xfe\xed"


def test_a_fifo_or_a_directory_with_a_stores_name_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "ssl_truststore.pem"
    os.mkfifo(fifo)  # a read would block for ever
    assert "is not a regular file" in crosscluster_error(read_managed, str(fifo)).problem
    (tmp_path / "dir.jks").mkdir()
    assert "is not a regular file" in crosscluster_error(read_managed, str(tmp_path / "dir.jks")).problem


def test_a_pem_private_key_is_never_read_back(tmp_path):
    path = tmp_path / "ssl_keystore.pem"
    path.write_text("# node key\n" + KEY)
    err = crosscluster_error(read_managed, str(path))
    assert (err.path, err.line) == (str(path), 2) and "PRIVATE KEY block, not a certificate" in err.problem
    assert "TUlJQktleUJvZHlOZXZlclNob3du" not in str(err)
