"""ssh mode: each node a network namespace with its own sshd and its own /opt/mapr and /tmp.

Each namespace gets a veth pair to the host and its own mount namespace for /opt/mapr and /tmp
(checked on this kind of machine). Needs root and iproute2.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import time

from . import procs

SSHD = "/usr/sbin/sshd"

# The node's private mounts. The node's /tmp hides the real one, so lab paths that live under /tmp
# (a pytest tmp dir, a checkout) are first parked under /run and bound back at the same path.
# A node's time zone is TZ in its sshd's environment, which sshd passes on to every session: glibc and
# the JVM both take TZ before /etc/localtime. Not a bind mount of /etc/localtime: it is usually a
# symlink into the shared /usr/share/zoneinfo, and a bind mount would cover the zone file it names
# (so even TZ=UTC would read the node's zone).
NODE_INIT = r"""
set -e
hostname "$1"; root="$2"; hosts="$3"; passwd="$4"; group="$5"; zone="$6"; shift 6
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -m 755 /run/sshd /run/labkit-keep
mount -t tmpfs -o mode=755 tmpfs /opt
mkdir /opt/mapr
mount --bind "$root/opt/mapr" /opt/mapr
mount --bind "$hosts" /etc/hosts
mount --bind "$passwd" /etc/passwd
mount --bind "$group" /etc/group
i=0; for p in "$@"; do mkdir /run/labkit-keep/$i; mount --bind "$p" /run/labkit-keep/$i; i=$((i+1)); done
mount --bind "$root/tmp" /tmp
i=0; for p in "$@"; do mkdir -p "$p"; mount --bind /run/labkit-keep/$i "$p"; i=$((i+1)); done
if [ -n "$zone" ]; then export TZ="$zone"; fi
exec %s -f "$root/sshd_config" -E "$root/sshd.log"
""" % SSHD


def unavailable() -> str | None:
    """Why ssh mode cannot run here, or None."""
    if os.geteuid() != 0:
        return "ssh mode needs root (network namespaces)"
    for tool in ("ip", "nsenter", "unshare"):
        if shutil.which(tool) is None:
            return "ssh mode needs %s (iproute2 / util-linux)" % tool
    if not os.access(SSHD, os.X_OK):
        return "ssh mode needs %s (openssh-server)" % SSHD
    return None


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(args), result.stderr.strip()))
    return result


def used_networks() -> list:
    """IPv4 networks already configured in this namespace, so a new lab does not collide."""
    nets = []
    for line in ip("-o", "-4", "addr", "show").stdout.splitlines():
        fields = line.split()
        if "inet" in fields:
            nets.append(ipaddress.ip_interface(fields[fields.index("inet") + 1]).network)
    return nets


def create_bridge(name: str, mac: str, address: str) -> None:
    # A fixed MAC: otherwise the bridge's MAC changes when a port leaves, and ssh ControlPersist
    # masters hang on the vanished host.
    ip("link", "add", name, "address", mac, "type", "bridge")
    ip("addr", "add", address, "dev", name)
    ip("link", "set", name, "up")


def create_host(ns: str, veth: str, bridge: str, address: str) -> None:
    ip("netns", "add", ns)
    ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
    ip("link", "set", veth, "master", bridge, "up")
    ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", ns, "addr", "add", address, "dev", "eth0")
    ip("-n", ns, "link", "set", "eth0", "up")


def sshd_config(address: str, root: str, host_key: str, authorized_keys: str) -> str:
    return "\n".join([
        "ListenAddress %s" % address,
        "HostKey %s" % host_key,
        "AuthorizedKeysFile %s" % authorized_keys,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        # The lab dir may sit under /tmp or be group-writable.
        "StrictModes no",
        "UsePAM no",
        "PidFile %s/sshd.pid" % root,
        "Subsystem sftp internal-sftp",
        "MaxStartups 200:30:400",
        "PrintMotd no",
        "AcceptEnv LANG LC_*",
        "",
    ])


def keep_paths(paths) -> list:
    """The paths under /tmp a node must still see once its own /tmp is mounted, outermost only."""
    under_tmp = sorted({os.path.realpath(p) for p in paths
                        if os.path.realpath(p).startswith("/tmp/")})
    kept = []
    for path in under_tmp:
        if not any(path.startswith(k + "/") for k in kept):
            kept.append(path)
    return kept


def start_host(ns: str, hostname: str, root: str, etc: dict, keep: list, zone: str = "") -> None:
    """Mount the node's private paths (its /etc hosts, passwd and group) and start its sshd, in
    time zone ``zone`` ("" for the machine's)."""
    result = subprocess.run(
        ["ip", "netns", "exec", ns, "unshare", "--uts", "sh", "-c", NODE_INIT, "node-init",
         hostname, root, etc["hosts"], etc["passwd"], etc["group"], zone, *keep],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise RuntimeError("starting node %s failed: %s" % (hostname, result.stderr.strip()))


def wait_sshd(root: str, address: str, timeout: float = 10.0) -> int:
    """The sshd's pid once it accepts connections."""
    deadline = time.monotonic() + timeout
    pidfile = os.path.join(root, "sshd.pid")
    while True:
        try:
            with open(pidfile, encoding="ascii") as fh:
                pid = int(fh.read().strip())
            with socket.create_connection((address, 22), timeout=1):
                return pid
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                raise RuntimeError("sshd on %s did not come up (see %s/sshd.log)"
                                   % (address, root)) from None
            time.sleep(0.01)


def netns_pids(ns: str) -> list:
    result = ip("netns", "pids", ns, check=False)
    return [int(p) for p in result.stdout.split()] if result.returncode == 0 else []


def list_netns(prefix: str) -> list:
    names = [line.split()[0] for line in ip("netns", "list").stdout.splitlines() if line.strip()]
    return [n for n in names if n.startswith(prefix)]


def list_links(prefix: str) -> list:
    links = []
    for line in ip("-o", "link", "show").stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(prefix):
            links.append(name)
    return links


def stop_netns(ns: str) -> None:
    """End every process in the namespace (session sshds too, or they linger) and delete it."""
    for _attempt in range(3):
        pids = netns_pids(ns)
        if not pids:
            break
        procs.terminate(pids)
    ip("netns", "del", ns, check=False)


def delete_link(name: str) -> None:
    ip("link", "del", name, check=False)
