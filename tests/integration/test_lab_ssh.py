"""The test lab itself, ssh mode: namespace hosts with their own sshd, /opt/mapr and /tmp.

Skips (with the reason) where ssh mode cannot run: not root, or no ip/nsenter/sshd.
"""

import os
import subprocess

import pytest
from lab.labkit import Lab, netns, procs, ssh_mode_unavailable
from test_lab_local import BIN, ansible_env, check_server_trust, check_user_trust, lab_processes

pytest_plugins = ["lab.fixtures"]

pytestmark = pytest.mark.skipif(ssh_mode_unavailable() is not None, reason=str(ssh_mode_unavailable()))


def ssh(lab, host, command):
    return subprocess.run(lab.ssh_argv(host) + [command], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)


def test_each_host_sees_only_its_own_opt_mapr_and_tmp(lab_ssh):
    lab = lab_ssh
    marker = "only-on-a1"
    with open(os.path.join(lab.node_root("a1"), "tmp", marker), "w") as fh:
        fh.write("x")
    for name, host in lab.hosts.items():
        seen = ssh(lab, name, "hostname; cat /opt/mapr/hostname; ls /opt; head -1 /opt/mapr/conf/mapr-clusters.conf;"
                              " ls /opt/mapr/roles; test -e /tmp/%s && echo marker; getent hosts b1" % marker)
        assert seen.returncode == 0, seen.stderr
        lines = seen.stdout.splitlines()
        assert lines[:3] == [host.fqdn, host.fqdn, "mapr"]
        assert lines[3].startswith(host.cluster + " secure=true ")
        assert ("cldb" in lines[4:]) == host.cldb
        assert ("marker" in lines) == (name == "a1")
        assert lines[-1].split() == [lab.hosts["b1"].address, lab.hosts["b1"].fqdn, "b1"]
    assert not os.path.exists("/tmp/" + marker)


def test_ansible_ping(lab_ssh, tmp_path):
    ping = subprocess.run([os.path.join(BIN, "ansible"), "-i", lab_ssh.inventory_path, "all",
                           "-m", "ansible.builtin.ping"],
                          env=ansible_env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("SUCCESS") == len(lab_ssh.hosts)


def test_user_trust(lab_ssh):
    check_user_trust(lab_ssh)


def test_server_trust(lab_ssh):
    check_server_trust(lab_ssh)


def assert_all_gone(lab):
    assert netns.list_netns(lab.prefix) == [] and netns.list_links(lab.prefix) == []
    assert lab_processes(lab) == [] and not os.path.exists(lab.dir)


def test_down_removes_namespaces_links_processes(make_lab, tmp_path):
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    assert len(netns.list_netns(lab.prefix)) == 4
    # An ssh ControlPersist master, as Ansible leaves behind, must go too.
    ping = subprocess.run([os.path.join(BIN, "ansible"), "-i", lab.inventory_path, "a1", "-m", "ansible.builtin.ping"],
                          env=ansible_env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert procs.find(lambda cmd: cmd.startswith("ssh: " + lab.control_path_dir))
    lab.down()
    assert_all_gone(lab)
    lab.down()


def test_down_after_a_crash_sweeps_by_name(make_lab):
    lab = make_lab(clusters=1, nodes=2, mode="ssh")
    os.unlink(lab.state_path)  # as if `up` died before recording anything
    Lab(lab.dir).down()
    assert_all_gone(lab)
