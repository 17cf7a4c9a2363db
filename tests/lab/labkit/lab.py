"""The lab: N simulated secure 7.x clusters of M nodes each, an inventory for them, and teardown.

Everything the lab creates is recorded in <dir>/state.json as it goes, and everything it creates is
named after the lab (a prefix from its directory, the directory in every process's command line),
so `down` works from the record, and after a crash also by sweeping for those names.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import ipaddress
import os
import secrets
import shutil
import socket
import string
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

import zoneinfo

from . import credstore, inventory, netns, pki, procs, tickets
from . import fips as fips_mode
from .files import read_json, write_file, write_json
from .users import hash_password

LABKIT_DIR = os.path.dirname(os.path.abspath(__file__))
LAB_SRC = os.path.dirname(LABKIT_DIR)
REPO = os.path.dirname(os.path.dirname(LAB_SRC))
DEFAULT_DIR = os.path.join(REPO, ".cache", "lab")
NODE_TOOLS = os.path.join(LABKIT_DIR, "node")

MARKER = ".labkit"
STATE = "state.json"
DAY = 86400

BIN_WRAPPER = """#!{python} -I
# {tool} emulator of the datafabric.crosscluster test lab (tests/lab/labkit/node/{tool}.py).
# The node's mapr_home is the parent of this bin/ directory, wherever that is.
import os
import sys

sys.dont_write_bytecode = True
_home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(_home, "lib", "labnode"))
import mapr_node
import {tool}

sys.exit({tool}.main(mapr_node.Node(_home), sys.argv[1:]))
"""


@dataclass
class Host:
    name: str
    cluster: str
    address: str
    fqdn: str
    cldb: bool
    # A FIPS node (its cluster is FIPS, or it alone is: a mixed cluster).
    fips: bool = False


@dataclass
class Cluster:
    letter: str
    name: str
    dir: str
    hosts: list = field(default_factory=list)
    cldb_hosts: list = field(default_factory=list)
    store_password: str = ""
    owner_password: str = ""
    xcs_password: str = ""
    # The check user's: the user the checks log in to the cluster as from its peers' nodes.
    check_password: str = ""
    # Every node FIPS: BCFKS stores made by keytool, the provider jar under lib/ (labkit/fips.py).
    fips: bool = False

    @property
    def group(self) -> str:
        return "cluster_%s" % self.letter

    @property
    def cldb_group(self) -> str:
        return "cluster_%s_cldb" % self.letter

    @property
    def ca_pem(self) -> str:
        """The cluster's CA certificate, as an administrator would copy it to another cluster."""
        return os.path.join(self.dir, "ca.pem")


def _password(length: int = 20) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _char in range(length))


@contextlib.contextmanager
def _allocation_lock(timeout: float = 120.0):
    """Serialize address allocation between labs on this machine (pytest-xdist, two shells).

    An abstract unix socket: released by the kernel if the holder dies, and leaves no file.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.bind("\0datafabric-labkit-allocation")
            break
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                sock.close()
                raise
            time.sleep(0.05)
    try:
        yield
    finally:
        sock.close()


def _bindable(address: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


class Lab:
    OWNER = "mapr"
    OWNER_GROUP = "mapr"
    OWNER_UID = 5000
    OWNER_GIDS = [5000, 0]
    XCS_USER = "xcsuser"
    XCS_UID = 5001
    # The cluster's check user: an ordinary user with a password of its own, never the owner.
    CHECK_USER = "checkuser"
    CHECK_UID = 5002
    DOMAIN = "lab.example"
    BUILD_VERSION = "7.8.0.0.20240101000000.GA"
    NODE_PYTHON = "/usr/bin/python3"
    CLDB_PORT = 7222
    CLDB_HTTPS_PORT = 7443
    SERVER_TICKET_LIFETIME = 3650 * DAY

    def __init__(self, directory: str | None = None, clusters: int = 2, nodes: int = 3,
                 mode: str = "local", cldbs: int = 1, zones: dict | None = None, fips=None,
                 credential_stores: bool = False, store_passwords: bool = True):
        if mode not in ("local", "ssh"):
            raise ValueError("mode must be local or ssh, not %r" % (mode,))
        if zones and mode != "ssh":
            # Local-mode nodes are processes of this machine started by Ansible's one local
            # connection: nothing gives each of them an environment of its own.
            raise ValueError("zones needs ssh mode")
        if not 1 <= clusters <= 26:
            raise ValueError("clusters must be 1..26 (one letter each)")
        if not 1 <= cldbs <= nodes:
            raise ValueError("cldbs must be 1..nodes")
        if mode == "ssh" and clusters * nodes > 240:
            raise ValueError("ssh mode fits at most 240 nodes in its /24")
        self.dir = os.path.realpath(directory or DEFAULT_DIR)
        # 7.x's conf/maprtrustcreds.jceks on every node (.bcfks on a FIPS node); without store-passwords.txt
        # on any node, as the vendor advises after set-up (the lab's own tools then read
        # clusters/<name>/conf/store-passwords.txt).
        self.credential_stores = credential_stores
        self.store_passwords = store_passwords
        self.mode = mode
        self.n_clusters = clusters
        self.n_nodes = nodes
        self.n_cldbs = cldbs
        self.zones = dict(zones or {})
        # FIPS clusters by letter ("b": all its nodes) and FIPS nodes by name ("a2": a mixed cluster).
        self.fips = sorted(set(fips or ()))
        letters = string.ascii_lowercase[:clusters]
        names = ["%s%d" % (letter, number + 1) for letter in letters for number in range(nodes)]
        for key in self.fips:
            if key not in letters and key not in names:
                raise ValueError("fips: %r is neither the letter of one of the %d clusters (%s) nor one of "
                                 "their hosts (%s..%s)" % (key, clusters, ", ".join(letters), names[0], names[-1]))
        for key, zone in self.zones.items():
            try:
                zoneinfo.ZoneInfo(zone)
            except (ValueError, zoneinfo.ZoneInfoNotFoundError):
                raise ValueError("zones[%r]: %r is not a time zone of the tz database" % (key, zone)) from None
        digest = hashlib.sha1(self.dir.encode()).hexdigest()
        # Short enough for interface names (15 chars with "-<host>"), distinct per lab dir.
        self.prefix = "dfl" + digest[:5]
        self._seed = int(digest[5:9], 16)
        cp = os.path.join(self.dir, "cp")
        # ssh puts a unix socket (and a 17-char temp suffix) under the control path dir: 108 max.
        self.control_path_dir = cp if len(cp) <= 48 else "/tmp/%s-cp" % self.prefix
        self.clusters: list[Cluster] = []
        self.hosts: dict[str, Host] = {}
        self.octet: int | None = None
        self.resources = {"netns": [], "links": [], "procs": []}
        self.timings: dict[str, float] = {}
        self._children: dict[int, subprocess.Popen] = {}
        self.phase = "new"

    # ------------------------------------------------------------------ paths

    @property
    def state_path(self) -> str:
        return os.path.join(self.dir, STATE)

    @property
    def inventory_path(self) -> str:
        return os.path.join(self.dir, "inventory.yml")

    @property
    def ssh_key(self) -> str:
        return os.path.join(self.dir, "ssh", "id_ed25519")

    def node_root(self, host: str) -> str:
        """The node's root directory as seen from here (the controller)."""
        self._host(host)
        return os.path.join(self.dir, "nodes", host)

    def node_path(self, host: str, relative: str = "") -> str:
        """A path under the node's mapr_home, as seen from here: node_path(h, "conf/...")."""
        return os.path.join(self.node_root(host), "opt", "mapr", relative)

    def mapr_home(self, host: str) -> str:
        """mapr_home as the node itself sees it (the inventory's mapr_home)."""
        return self.node_path(host).rstrip("/") if self.mode == "local" else "/opt/mapr"

    def node_view(self, host: str, path: str) -> str:
        """The path the node sees for a controller-side path under its root (e.g. its /tmp)."""
        if self.mode == "local":
            return path
        return "/" + os.path.relpath(path, self.node_root(host))

    def cldb_endpoint(self, cluster: str) -> tuple:
        """(address, port) of the cluster's first CLDB's HTTPS service."""
        return self.hosts[self.cluster(cluster).cldb_hosts[0]].address, self.CLDB_HTTPS_PORT

    def _host(self, host: str) -> Host:
        try:
            return self.hosts[host]
        except KeyError:
            raise KeyError("no host %r in this lab (hosts: %s)"
                           % (host, ", ".join(self.hosts))) from None

    def cluster(self, key: str) -> Cluster:
        """A cluster by letter ('a'), group ('cluster_a') or name ('a.lab.example')."""
        for cluster in self.clusters:
            if key in (cluster.letter, cluster.group, cluster.name):
                return cluster
        raise KeyError("no cluster %r in this lab" % (key,))

    def _node_etc_paths(self) -> dict:
        return {name: os.path.join(self.dir, "etc_" + name) for name in ("hosts", "passwd", "group")}

    def _node_etc(self) -> dict:
        """/etc/hosts, passwd and group for ssh-mode nodes: the lab's names, and the cluster owner and
        cross-cluster user and check user as OS users, as every node of a real cluster has them."""
        paths = self._node_etc_paths()
        write_file(paths["hosts"], "127.0.0.1 localhost\n::1 localhost ip6-localhost\n" + "".join(
            "%s %s %s\n" % (h.address, h.fqdn, h.name) for h in self.hosts.values()))
        users = ((self.OWNER, self.OWNER_UID), (self.XCS_USER, self.XCS_UID), (self.CHECK_USER, self.CHECK_UID))
        with open("/etc/passwd") as handle:
            passwd = handle.read()
        with open("/etc/group") as handle:
            group = handle.read()
        write_file(paths["passwd"], passwd + "".join(
            "%s:x:%d:%d::/home/%s:/bin/sh\n" % (name, uid, uid, name) for name, uid in users))
        write_file(paths["group"], group + "".join("%s:x:%d:\n" % (name, uid) for name, uid in users))
        return paths

    def cluster_of(self, host: str) -> Cluster:
        return self.cluster(self._host(host).cluster)

    def zone(self, host: str) -> str | None:
        """The node's time zone (zones[host], else zones[its cluster's letter]), None for the machine's."""
        return self.zones.get(host, self.zones.get(self.cluster_of(host).letter))

    # ------------------------------------------------------------------ state

    def _state(self, phase: str) -> dict:
        return {
            "version": 1, "phase": phase, "mode": self.mode, "dir": self.dir,
            "prefix": self.prefix, "clusters_count": self.n_clusters, "nodes": self.n_nodes,
            "cldbs": self.n_cldbs, "zones": self.zones, "fips": self.fips, "octet": self.octet,
            "credential_stores": self.credential_stores, "store_passwords": self.store_passwords,
            "control_path_dir": self.control_path_dir,
            "clusters": [asdict(c) for c in self.clusters],
            "hosts": [asdict(h) for h in self.hosts.values()],
            "resources": self.resources, "timings": self.timings,
        }

    def _save(self, phase: str = "building") -> None:
        self.phase = phase
        write_json(self.state_path, self._state(phase))

    def _record(self, kind: str, item) -> None:
        """Note a resource *before* creating it: deleting what was never made is harmless."""
        self.resources[kind].append(item)
        self._save()

    @classmethod
    def load(cls, directory: str | None = None) -> "Lab":
        """The lab recorded in directory (for `down`/`status` from another process)."""
        path = os.path.realpath(directory or DEFAULT_DIR)
        state = read_json(os.path.join(path, STATE))
        lab = cls(path, state["clusters_count"], state["nodes"], state["mode"], state["cldbs"],
                  state.get("zones"), state.get("fips"), state.get("credential_stores", False),
                  state.get("store_passwords", True))
        lab.octet = state["octet"]
        lab.control_path_dir = state["control_path_dir"]
        lab.clusters = [Cluster(**c) for c in state["clusters"]]
        lab.hosts = {h["name"]: Host(**h) for h in state["hosts"]}
        lab.resources = state["resources"]
        lab.timings = state.get("timings", {})
        lab.phase = state["phase"]
        return lab

    # ------------------------------------------------------------------ up

    def up(self) -> "Lab":
        started = time.monotonic()
        if os.path.exists(os.path.join(self.dir, MARKER)):
            self.down()  # a lab already there is replaced, never half-reused
        elif os.path.isdir(self.dir) and os.listdir(self.dir):
            raise RuntimeError("%s exists and is not a lab directory: refusing to use it" % self.dir)
        if self.mode == "ssh":
            reason = netns.unavailable()
            if reason:
                raise RuntimeError(reason)
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        os.chmod(self.dir, 0o700)
        write_file(os.path.join(self.dir, MARKER), "datafabric.crosscluster test lab\n")
        self._plan()
        self._save()
        try:
            with _allocation_lock():
                self._allocate()
                self._save()
                if self.mode == "ssh":
                    self._make_network()
                self._build_files()
                if self.mode == "ssh":
                    self._start_nodes()
                self._start_cldbs()
            write_file(self.inventory_path, inventory.dump(inventory.build(self)), 0o600)
            self.timings["up"] = round(time.monotonic() - started, 3)
            self._save("up")
        except BaseException:
            self.down()
            raise
        return self

    def _plan(self) -> None:
        self.clusters, self.hosts = [], {}
        for ci in range(self.n_clusters):
            letter = string.ascii_lowercase[ci]
            name = "%s.%s" % (letter, self.DOMAIN)
            cluster = Cluster(letter, name, os.path.join(self.dir, "clusters", name),
                              store_password=_password(), owner_password=_password(),
                              xcs_password=_password(), check_password=_password(),
                              fips=letter in self.fips)
            for ni in range(self.n_nodes):
                host = "%s%d" % (letter, ni + 1)
                cluster.hosts.append(host)
                if ni < self.n_cldbs:
                    cluster.cldb_hosts.append(host)
                self.hosts[host] = Host(host, name, "", "%s.%s" % (host, name), ni < self.n_cldbs,
                                        fips=cluster.fips or host in self.fips)
            self.clusters.append(cluster)

    def _allocate(self) -> None:
        """Pick this lab's addresses: a free 127.<o>.x.y block (local), a free 10.213.<o>.0/24 (ssh)."""
        used = netns.used_networks() if self.mode == "ssh" else []
        for step in range(240):
            octet = 10 + (self._seed + step) % 240
            if self.mode == "local":
                addresses = {h: "127.%d.%d.%d" % (octet, ci + 1, ni + 1)
                             for ci, c in enumerate(self.clusters)
                             for ni, h in enumerate(c.hosts)}
                free = all(_bindable(addresses[h], self.CLDB_HTTPS_PORT)
                           for h, host in self.hosts.items() if host.cldb)
            else:
                net = ipaddress.ip_network("10.213.%d.0/24" % octet)
                free = not any(net.overlaps(n) for n in used)
                addresses = {h: "10.213.%d.%d" % (octet, 10 + i) for i, h in enumerate(self.hosts)}
            if free:
                self.octet = octet
                for name, address in addresses.items():
                    self.hosts[name].address = address
                return
        raise RuntimeError("no free address block for the lab")

    def _make_network(self) -> None:
        bridge = self.prefix + "br"
        self._record("links", bridge)
        netns.create_bridge(bridge, "02:00:0a:d5:%02x:01" % self.octet,
                            "10.213.%d.1/24" % self.octet)
        for name, host in self.hosts.items():
            ns = "%s-%s" % (self.prefix, name)
            self._record("netns", ns)
            self._record("links", ns)
            netns.create_host(ns, ns, bridge, host.address + "/24")

    def _cldb_address(self, host: Host) -> str:
        # Local nodes share the machine's /etc/hosts, which the lab does not touch: use addresses.
        return host.address if self.mode == "local" else host.fqdn

    def _build_files(self) -> None:
        tools = {}
        for name in ("mapr_node.py", "maprlogin.py", "maprcli.py"):
            with open(os.path.join(NODE_TOOLS, name), encoding="utf-8") as fh:
                tools[name] = fh.read()
        # The FIPS node client reads its truststore password from maprtrustcreds.bcfks with it when the
        # node has no store-passwords.txt.
        with open(credstore.WRITER, encoding="utf-8") as fh:
            tools[os.path.basename(credstore.WRITER)] = fh.read()
        for cluster in self.clusters:
            key = self._build_cluster(cluster)
            for name in cluster.hosts:
                self._build_node(self.hosts[name], cluster, key, tools)

    def _build_cluster(self, cluster: Cluster) -> bytes:
        """Write the cluster's conf/ once under clusters/<name>; nodes get copies."""
        hosts = [self.hosts[h] for h in cluster.hosts]
        conf = os.path.join(cluster.dir, "conf")
        os.makedirs(conf)
        material = pki.make_cluster_pki(
            cluster.name, [n for h in hosts for n in (h.name, h.fqdn)], [h.address for h in hosts])
        pw = cluster.store_password
        pki.write_keystores(conf, cluster.name, material, pw)
        pki.write_truststores(conf, {"%s-ca" % cluster.name: material.ca_cert}, pw)
        if not cluster.fips:
            # 7.x's trust store for users other than the owner, same CA and password; the lab does
            # not model a FIPS node's BCFKS one, so FIPS nodes have none (see README).
            pki.write_truststores(conf, {"%s-ca" % cluster.name: material.ca_cert}, pw, pki.USER_TRUSTSTORE)
        write_file(cluster.ca_pem, material.ca_pem)
        write_file(os.path.join(conf, "store-passwords.txt"),
                   "".join("%s=%s\n" % (k, pw) for k in (
                       "ssl.server.keystore.password", "ssl.server.truststore.password",
                       "ssl.client.truststore.password")), 0o600)
        if self.credential_stores:
            credstore.write_credential_store(os.path.join(conf, credstore.JCEKS_NAME),
                                             dict((alias, pw) for alias in credstore.TRUST_ALIASES))
        if cluster.fips:
            # Once for all its nodes; a FIPS node of a mixed cluster converts its own copy.
            fips_mode.convert_conf(conf, pw)
            if self.credential_stores:
                fips_mode.convert_credential_store(conf, pw)
        write_file(os.path.join(conf, "mapr-clusters.conf"), "%s secure=true %s\n" % (
            cluster.name, " ".join("%s:%d" % (self._cldb_address(self.hosts[h]), self.CLDB_PORT)
                                   for h in cluster.cldb_hosts)))
        write_file(os.path.join(conf, "daemon.conf"),
                   "mapr.daemon.user=%s\nmapr.daemon.group=%s\nmapr.daemon.runuser.warden=1\n"
                   % (self.OWNER, self.OWNER_GROUP))
        key = tickets.new_cluster_key()
        server = tickets.make_claims(cluster.name, self.OWNER, self.OWNER_UID, self.OWNER_GIDS,
                                     "server", self.SERVER_TICKET_LIFETIME,
                                     self.SERVER_TICKET_LIFETIME, True)
        write_file(os.path.join(conf, "maprserverticket"),
                   "%s %s\n" % (cluster.name, tickets.seal(key, server)), 0o600)
        users = {
            self.OWNER: dict(hash_password(cluster.owner_password),
                             uid=self.OWNER_UID, gids=self.OWNER_GIDS),
            self.XCS_USER: dict(hash_password(cluster.xcs_password),
                                uid=self.XCS_UID, gids=[self.XCS_UID]),
            self.CHECK_USER: dict(hash_password(cluster.check_password),
                                  uid=self.CHECK_UID, gids=[self.CHECK_UID]),
        }
        write_json(os.path.join(cluster.dir, "users.json"), users)
        return key

    def _build_node(self, host: Host, cluster: Cluster, key: bytes, tools: dict) -> None:
        root = self.node_root(host.name)
        home = self.node_path(host.name)
        shutil.copytree(os.path.join(cluster.dir, "conf"), os.path.join(home, "conf"))
        if not self.store_passwords:
            os.unlink(os.path.join(home, "conf", "store-passwords.txt"))
        if host.fips and not cluster.fips:
            fips_mode.convert_conf(os.path.join(home, "conf"), cluster.store_password)
            if self.credential_stores:
                fips_mode.convert_credential_store(os.path.join(home, "conf"), cluster.store_password)
            for name in pki.USER_TRUSTSTORES:
                os.unlink(os.path.join(home, "conf", name))
        if self.mode == "ssh":
            # As on a real node: the server ticket belongs to the cluster owner (its own passwd
            # names uid OWNER_UID), which preflight checks.
            os.chown(os.path.join(home, "conf", "maprserverticket"), self.OWNER_UID, self.OWNER_UID)
        if host.cldb:
            write_file(os.path.join(home, "conf", "cldb.key"),
                       base64.b64encode(key).decode() + "\n", 0o600)
        write_file(os.path.join(home, "MapRBuildVersion"), self.BUILD_VERSION + "\n")
        write_file(os.path.join(home, "hostname"), host.fqdn + "\n")
        os.makedirs(os.path.join(home, "roles"))
        write_file(os.path.join(home, "roles", "fileserver"), "")
        if host.cldb:
            write_file(os.path.join(home, "roles", "cldb"), "")
        os.makedirs(os.path.join(home, "logs"))
        os.makedirs(os.path.join(home, "bin"))
        for tool in ("maprlogin", "maprcli"):
            write_file(os.path.join(home, "bin", tool),
                       BIN_WRAPPER.format(python=self.NODE_PYTHON, tool=tool), 0o755)
        os.makedirs(os.path.join(home, "lib", "labnode"))
        for name, text in tools.items():
            write_file(os.path.join(home, "lib", "labnode", name), text)
        if host.fips:
            fips_mode.install_provider(home)
        # The node's /tmp (default ticket files land there); sticky and world-writable like /tmp.
        os.makedirs(os.path.join(root, "tmp"))
        os.chmod(os.path.join(root, "tmp"), 0o1777)

    def _start_nodes(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        ssh_dir = os.path.join(self.dir, "ssh")
        os.makedirs(ssh_dir, mode=0o700)
        keys = {}
        for name in ("id_ed25519", "ssh_host_ed25519_key"):
            key = ed25519.Ed25519PrivateKey.generate()
            write_file(os.path.join(ssh_dir, name), key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption()), 0o600)
            keys[name] = key.public_key().public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        write_file(self.ssh_key + ".pub", keys["id_ed25519"] + b" lab\n")
        authorized = os.path.join(ssh_dir, "authorized_keys")
        write_file(authorized, keys["id_ed25519"] + b" lab\n")
        self._node_etc()
        for name, host in self.hosts.items():
            root = self.node_root(name)
            write_file(os.path.join(root, "sshd_config"), netns.sshd_config(
                host.address, root, os.path.join(ssh_dir, "ssh_host_ed25519_key"), authorized))
            self._boot_node(name)
        for name in self.hosts:
            self._wait_node(name)

    def _boot_node(self, name: str) -> None:
        """The node's private mounts and its sshd, in its (existing) network namespace."""
        keep = netns.keep_paths([self.dir, LAB_SRC, sys.prefix, sys.base_prefix,
                                 os.path.dirname(os.path.realpath(sys.executable))])
        netns.start_host("%s-%s" % (self.prefix, name), self.hosts[name].fqdn, self.node_root(name),
                         self._node_etc_paths(), keep, self.zone(name) or "")

    def _wait_node(self, name: str) -> None:
        pid = netns.wait_sshd(self.node_root(name), self.hosts[name].address)
        self._record("procs", {"pid": pid, "host": name, "role": "sshd"})

    def _sshd_pid(self, host: str) -> int:
        with open(os.path.join(self.node_root(host), "sshd.pid"), encoding="ascii") as fh:
            return int(fh.read().strip())

    def _nsenter(self, host: str) -> list:
        return ["nsenter", "-t", str(self._sshd_pid(host)), "-m", "-u", "-n", "--wd=/"]

    def _start_cldbs(self, names=None) -> None:
        logs = os.path.join(self.dir, "logs")
        os.makedirs(logs, exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "PYTHONPATH": LAB_SRC, "PYTHONDONTWRITEBYTECODE": "1"}
        hosts = [self.hosts[n] for n in (names if names is not None else self.hosts)]
        started = [self._spawn_cldb(host, logs, self.node_tz(host.name, env)) for host in hosts if host.cldb]
        for proc, log in started:
            procs.wait_ready(proc, log)

    def _spawn_cldb(self, host: Host, logs: str, env: dict) -> tuple:
        argv = [sys.executable, "-m", "labkit.cldb", "--mapr-home", self.mapr_home(host.name),
                "--bind", host.address, "--port", str(self.CLDB_HTTPS_PORT),
                "--users", os.path.join(self.cluster(host.cluster).dir, "users.json"),
                "--nodes", str(self.n_nodes), "--lab", self.dir + "/"]
        if self.mode == "ssh":
            argv = self._nsenter(host.name) + argv
        log = os.path.join(logs, "cldb-%s.log" % host.name)
        proc = procs.spawn(argv, env, log)
        self._children[proc.pid] = proc
        self._record("procs", {"pid": proc.pid, "host": host.name, "role": "cldb"})
        return proc, log

    # ------------------------------------------------------------------ use

    def node_env(self, host: str, env: dict | None = None) -> dict:
        """A clean environment for a command on the node: its bin first, nothing from here."""
        home = self.mapr_home(host)
        base = {"PATH": "%s/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                % home, "LANG": "C.UTF-8"}
        if self.mode == "local":
            base["HOME"] = os.environ.get("HOME", "/root")
            for key in ("USER", "LOGNAME"):
                if key in os.environ:
                    base[key] = os.environ[key]
        else:
            base.update(HOME="/root", USER="root", LOGNAME="root")
        base.update(env or {})
        return self.node_tz(host, base)

    def node_tz(self, host: str, env: dict) -> dict:
        """env with the node's TZ, as its sshd gives every session (a node without a zone of its own
        keeps whatever env has)."""
        zone = self.zone(host)
        return dict(env, TZ=zone) if zone and "TZ" not in env else env

    def run_on(self, host: str, argv: list, env: dict | None = None, input: str | None = None,
               timeout: float = 60, check: bool = False) -> subprocess.CompletedProcess:
        """Run argv "on" the node: local mode in its root with its bin/ first on PATH, ssh mode
        inside its namespaces (nsenter into its sshd). Secrets go in env or input, never argv."""
        if self.mode == "local":
            cmd, cwd = list(argv), self.node_root(host)
        else:
            cmd, cwd = self._nsenter(host) + list(argv), "/"
        return subprocess.run(cmd, cwd=cwd, env=self.node_env(host, env), input=input,
                              capture_output=True, text=True, timeout=timeout, check=check)

    def ssh_argv(self, host: str) -> list:
        """`ssh` to the node as Ansible would (ssh mode), ready for a remote command."""
        if self.mode != "ssh":
            raise RuntimeError("ssh_argv needs an ssh-mode lab")
        return ["ssh", "-i", self.ssh_key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no",
                "-o", "LogLevel=ERROR", "root@%s" % self._host(host).address]

    def stop_host(self, host: str) -> None:
        """Take an ssh-mode node down as a crash would: every process in its network namespace
        ends (its sshd, Ansible's sessions and modules, its CLDB). Its files and namespace stay, so
        start_host brings it back as it was."""
        if self.mode != "ssh":
            raise RuntimeError("stop_host needs an ssh-mode lab")
        self._host(host)
        procs.terminate(netns.netns_pids("%s-%s" % (self.prefix, host)))
        self.resources["procs"] = [p for p in self.resources["procs"] if p["host"] != host]
        self._save("up")

    def start_host(self, host: str) -> None:
        """Bring a node stopped by stop_host back: fresh private mounts, its sshd, and its CLDB."""
        if self.mode != "ssh":
            raise RuntimeError("start_host needs an ssh-mode lab")
        self._host(host)
        try:
            self._boot_node(host)
            self._wait_node(host)
            self._start_cldbs([host])
        finally:
            # _record marks the lab as building; the rest of it has been up all along.
            self._save("up")

    def status(self) -> dict:
        """What is recorded and what of it is alive."""
        if not os.path.exists(self.state_path):
            return {"dir": self.dir, "phase": "down"}
        state = read_json(self.state_path)
        alive = {p["pid"]: procs.alive(p["pid"]) and self._is_ours(procs.cmdline(p["pid"]))
                 for p in state["resources"]["procs"]}
        problems = ["%s on %s (pid %d) is not running" % (p["role"], p["host"], p["pid"])
                    for p in state["resources"]["procs"] if not alive[p["pid"]]]
        if self.mode == "ssh":
            present = set(netns.list_netns(self.prefix)) if os.geteuid() == 0 else set()
            problems += ["namespace %s is missing" % ns for ns in state["resources"]["netns"]
                         if ns not in present]
        return {"dir": self.dir, "phase": state["phase"], "mode": state["mode"],
                "inventory": self.inventory_path, "clusters": state["clusters"],
                "hosts": state["hosts"], "processes": state["resources"]["procs"],
                "problems": problems, "healthy": state["phase"] == "up" and not problems}

    # ------------------------------------------------------------------ down

    def _is_ours(self, command: str) -> bool:
        # Every lab process names a path inside the lab dir (or its ssh control dir) in its
        # command line: the CLDB its --lab, sshd its -f, an ssh master its ControlPath.
        return any(mark in command for mark in (self.dir + "/", self.control_path_dir + "/"))

    def down(self) -> None:
        """Remove everything the lab made; safe to repeat, and after a crash (sweeps by name)."""
        started = time.monotonic()
        recorded = {"netns": [], "links": [], "procs": []}
        if os.path.exists(self.state_path):
            try:
                recorded = read_json(self.state_path)["resources"]
            except (OSError, ValueError, KeyError):
                pass
        pids = [p["pid"] for p in recorded["procs"] + self.resources["procs"]]
        procs.terminate([p for p in pids if self._is_ours(procs.cmdline(p))])
        if os.geteuid() == 0 and shutil.which("ip"):
            for ns in dict.fromkeys(recorded["netns"] + netns.list_netns(self.prefix + "-")):
                netns.stop_netns(ns)
            for link in dict.fromkeys(recorded["links"] + netns.list_links(self.prefix)):
                netns.delete_link(link)
        procs.terminate(procs.find(self._is_ours))
        for child in self._children.values():
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._children.clear()
        self.resources = {"netns": [], "links": [], "procs": []}
        if self.control_path_dir.startswith("/tmp/"):
            shutil.rmtree(self.control_path_dir, ignore_errors=True)
        if os.path.exists(os.path.join(self.dir, MARKER)) or os.path.exists(self.state_path):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.phase = "down"
        self.timings["down"] = round(time.monotonic() - started, 3)

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.down()
