"""The two-realm KDC fixture does what tests rely on: real KDCs, loopback only, quick, reaped."""

import os
import shutil
import subprocess

import pytest
from kdc.kdckit import TwoRealms

pytest_plugins = ["kdc.fixtures"]


def listeners(pids):
    """(address, port) of every TCP/UDP socket the given processes listen on, from ``ss``."""
    if not shutil.which("ss"):
        pytest.skip("ss (iproute2) is not installed")
    out = subprocess.run(["ss", "-H", "-l", "-n", "-t", "-u", "-p"], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for line in out.splitlines():
        if any("pid=%d," % pid in line for pid in pids):
            local = line.split()[4]
            address, _sep, port = local.rpartition(":")
            found.append((address, int(port)))
    return found


def test_realms_come_up_fast_and_listen_on_loopback_only(two_realms):
    assert two_realms.running
    assert two_realms.setup_seconds < 10, two_realms.setup_seconds
    print("two realms created and started in %.2f s" % two_realms.setup_seconds)
    found = listeners(two_realms.pids)
    expected = set()
    for realm in two_realms.realms.values():
        expected |= {realm.port, realm.kadmind_port, realm.kpasswd_port}
    assert {port for _address, port in found} == expected
    assert {address for address, _port in found} == {"127.0.0.1"}


def test_users_services_and_no_trust_yet(two_realms):
    for realm in (two_realms.a, two_realms.b):
        ccache = two_realms.kinit(realm.user, realm.user_password)
        checked = two_realms.kvno(ccache, realm.service, keytab=realm.service_keytab)
        assert checked.returncode == 0 and "keytab entry valid" in checked.stdout, checked.stderr
    ccache = two_realms.kinit(two_realms.a.user, two_realms.a.user_password)
    cross = two_realms.kvno(ccache, two_realms.b.service)
    assert cross.returncode != 0 and "krbtgt/B.TEST@A.TEST not found" in cross.stderr
    assert two_realms.getprinc("A.TEST", "krbtgt/B.TEST@A.TEST") is None
    assert two_realms.kvno_of("A.TEST", two_realms.a.service) == 2


def test_no_password_lands_in_any_file(two_realms):
    # The stash holds the master key derived from the password, never the password itself.
    for realm in (two_realms.a, two_realms.b):
        for name in os.listdir(realm.dir):
            with open(os.path.join(realm.dir, name), "rb") as handle:
                data = handle.read()
            assert realm.master_password.encode() not in data and realm.user_password.encode() not in data, name


def test_stop_reaps_every_process(tmp_path):
    kdcs = TwoRealms(str(tmp_path), kadmind=False)
    with kdcs:
        assert kdcs.running and len(kdcs.procs) == 2
    assert all(proc.returncode is not None for proc in kdcs.procs)
    kdcs.stop()  # a second stop is harmless
    for pid in kdcs.pids:
        assert not os.path.exists("/proc/%d" % pid)
