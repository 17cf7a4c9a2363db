"""The mistakes administrators make, tried on the lab: each stops the run before any node changes.

Every scenario breaks one thing (a file on one node, a variable, the trust list), runs the main
playbook, and checks that it fails in one task with a message naming the host or group, the file
or variable and the fix, and that every file under every node's conf/ is byte-identical to what
it was before the run. The lab is restored between scenarios.
"""

import os
import shutil

import pytest
import yaml
from ansible_run import run_playbook
from labplay import PLAYBOOK, conf_state
from reliability import record

pytest_plugins = ["lab.fixtures"]

BCFKS = bytes([0x30, 0x06, 0x30, 0x02, 0x05, 0x00, 0x05, 0x00])
PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]


class World:
    """A 2x2 local lab, its pristine files and inventory, and a way back to both."""

    def __init__(self, lab):
        self.lab = lab
        with open(lab.inventory_path) as handle:
            self.inventory = yaml.safe_load(handle)
        self.saved = os.path.join(lab.dir, "pristine")
        for host in lab.hosts:
            shutil.copytree(lab.node_path(host), os.path.join(self.saved, host), symlinks=True)

    def restore(self):
        for host in self.lab.hosts:
            shutil.rmtree(self.lab.node_path(host))
            shutil.copytree(os.path.join(self.saved, host), self.lab.node_path(host), symlinks=True)

    def path(self, host, relative):
        return self.lab.node_path(host, relative)

    def group_vars(self, group):
        return self.inventory["all"]["children"]["mapr_clusters"]["children"][group]

    def edit(self, host, relative, old, new):
        path = self.path(host, relative)
        with open(path) as handle:
            text = handle.read()
        assert old in text, (path, old)
        with open(path, "w") as handle:
            handle.write(text.replace(old, new))

    def write(self, host, relative, data):
        with open(self.path(host, relative), "wb") as handle:
            handle.write(data)

    def truncate(self, host, relative, keep):
        path = self.path(host, relative)
        with open(path, "rb") as handle:
            data = handle.read()
        self.write(host, relative, data[:keep] if keep >= 0 else data[:len(data) + keep])

    def cluster_name(self, letter):
        return self.lab.cluster(letter).name


def _cldb(world, letter):
    return world.lab.cluster(letter).cldb_hosts[0]


def _other(world, letter):
    cluster = world.lab.cluster(letter)
    return [h for h in cluster.hosts if h not in cluster.cldb_hosts][0]


class Trusts:
    """A breaker that leaves the lab alone and runs with this crosscluster_trusts instead."""

    def __init__(self, value):
        self.value = value

    def __call__(self, world):
        return None


def _trusts(value):
    return Trusts(value)


def _drop_var(group, name):
    def breaker(world):
        del world.group_vars(group)["vars"][name]
    return breaker


def _no_password_anywhere(world):
    del world.group_vars("cluster_b")["vars"]["mapr_truststore_password"]
    os.unlink(world.path("b2", "conf/store-passwords.txt"))


def _set_var(group, name, value):
    def breaker(world):
        world.group_vars(group)["vars"][name] = value
    return breaker


def _host_var(group, host, name, value):
    def breaker(world):
        world.group_vars(group)["hosts"][host][name] = value
    return breaker


def _node_in_two_clusters(world):
    # a2 listed under cluster_b as well: before, it alone failed a later task and the rest went on.
    world.group_vars("cluster_b")["hosts"]["a2"] = dict(world.group_vars("cluster_a")["hosts"]["a2"] or {})


def _remove_cldb_group(world):
    world.group_vars("cluster_b")["children"] = {}


def _empty_group(world):
    world.group_vars("cluster_b")["hosts"] = {}
    world.group_vars("cluster_b")["children"] = {}


def _remove(relative, host_of):
    return lambda world: os.unlink(world.path(host_of(world), relative))


def _collide(world):
    # An administrator's certificate under exactly the alias b's CA would get on a1.
    from cryptography import x509
    from lab.labkit import pki
    b = world.lab.cluster("b")
    with open(b.ca_pem, "rb") as handle:
        ca = x509.load_pem_x509_certificate(handle.read())
    import hashlib

    from cryptography.hazmat.primitives import serialization
    digest = hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).hexdigest()
    other = pki.make_cluster_pki("intruder", ["intruder.example"], []).ca_cert
    pki.add_trusted_cert(world.path("a1", "conf"), "%s-%s" % (b.name, digest[:12]), other,
                         world.lab.cluster("a").store_password)


def _keystore_without_chain(world):
    # Only the key in ssl_keystore.pem: the cluster's own chain cannot be found.
    path = world.path("a1", "conf/ssl_keystore.pem")
    with open(path) as handle:
        text = handle.read()
    world.write("a1", "conf/ssl_keystore.pem", text[:text.index("-----BEGIN CERTIFICATE-----")].encode())


# Each scenario: (name, where, breaker, expected substrings). A breaker gets the World and changes
# files or world.inventory; a Trusts breaker changes the trust list instead.
SCENARIOS = [
    # crosscluster_trusts
    ("trusts not a list", "inventory", _trusts("cluster_a,cluster_b"), ["crosscluster_trusts"]),
    ("trust without type", "inventory", _trusts([{"clusters": ["cluster_a", "cluster_b"]}]), ["type"]),
    ("trust of unknown type", "inventory", _trusts([{"clusters": ["cluster_a", "cluster_b"], "type": "both"}]),
     ["type", "user, server, all"]),
    ("trust of one cluster with itself", "inventory",
     _trusts([{"clusters": ["cluster_a", "cluster_a"], "type": "all"}]), ["two different inventory groups"]),
    ("trust of three clusters", "inventory",
     _trusts([{"clusters": ["cluster_a", "cluster_b", "cluster_a"], "type": "all"}]), ["two different"]),
    ("trust naming an unknown group", "inventory",
     _trusts([{"clusters": ["cluster_a", "cluster_x"], "type": "all"}]), ["cluster_x", "Fix:"]),
    ("pair listed twice", "inventory",
     _trusts(PAIR + [{"clusters": ["cluster_b", "cluster_a"], "type": "user"}]), ["again", "Fix:"]),
    ("trust with a misspelt key", "inventory",
     _trusts([{"clusters": ["cluster_a", "cluster_b"], "type": "all", "tpye": "user"}]), ["tpye"]),
    # inventory
    # Without the variable each node's own is read; here b2 has none either.
    ("truststore password neither given nor on the node", "inventory", _no_password_anywhere,
     ["b2 (cluster_b): no truststore password was given and none was found on the node",
      "store-passwords.txt does not exist", "ssl-server.xml does not exist", "Fix: set mapr_truststore_password"]),
    ("cross-cluster user missing for a cluster", "inventory", _drop_var("cluster_a", "mapr_crosscluster_user"),
     ["cluster_a: variable mapr_crosscluster_user is not defined", "Fix:"]),
    # The checks log in to a cluster from its peers' nodes: never as its owner, never without a check user.
    ("check user is the cluster owner", "inventory", _set_var("cluster_b", "mapr_check_user", "mapr"),
     ["cluster_b: the check user mapr (mapr_check_user) is the cluster owner (mapr_cluster_owner)",
      "Fix: create a user for the checks", "group_vars/cluster_b"]),
    ("check user's password missing", "inventory", _drop_var("cluster_a", "mapr_check_password"),
     ["cluster_a: variable mapr_check_password is not defined", "Fix: create a user for the checks"]),
    ("node in two cluster groups", "inventory", _node_in_two_clusters,
     ["a2 is in two cluster groups named in crosscluster_trusts (cluster_a, cluster_b)", "Fix:"]),
    ("cluster without its _cldb group", "inventory", _remove_cldb_group,
     ["cluster_b has server trust, but its group cluster_b_cldb is missing or empty"]),
    ("cluster group without hosts", "inventory", _empty_group, ["cluster_b", "no inventory group with hosts"]),
    ("wrong truststore password on one node", "inventory",
     _host_var("cluster_b", "b2", "mapr_truststore_password", "not-the-password"),
     ["b2 (cluster_b)", "ssl_truststore", "password is wrong", "Fix:"]),
    ("mapr_home wrong on one node", "inventory", _host_var("cluster_a", "a2", "mapr_home", "/nonexistent/mapr"),
     ["a2 (cluster_a)", "/nonexistent/mapr/conf/mapr-clusters.conf", "does not exist", "Fix:"]),
    ("mapr_cluster_name not the cluster's", "inventory",
     _host_var("cluster_a", "a2", "mapr_cluster_name", "elsewhere.example"),
     ["a2 (cluster_a)", "mapr_cluster_name is elsewhere.example", "Fix:"]),
    # truststores
    ("truststore truncated", "role", lambda w: w.truncate("b2", "conf/ssl_truststore", 40),
     ["b2 (cluster_b)", "ssl_truststore", "truncated or corrupt", "Fix:"]),
    ("truststore empty", "role", lambda w: w.write("a2", "conf/ssl_truststore", b""),
     ["a2 (cluster_a)", "ssl_truststore", "is empty", "Fix:"]),
    ("PKCS12 sibling truncated", "role", lambda w: w.truncate("a1", "conf/ssl_truststore.p12", -20),
     ["a1 (cluster_a)", "ssl_truststore.p12", "Fix:"]),
    ("PEM sibling with garbage in a block", "role",
     lambda w: w.edit("b1", "conf/ssl_truststore.pem", "-----BEGIN CERTIFICATE-----\n",
                      "-----BEGIN CERTIFICATE-----\n!!garbage!!\n"),
     ["b1 (cluster_b)", "ssl_truststore.pem", "Fix:"]),
    ("PEM sibling cut short", "role", lambda w: w.truncate("b2", "conf/ssl_truststore.pem", -30),
     ["b2 (cluster_b)", "ssl_truststore.pem", "not closed", "Fix:"]),
    ("truststore missing", "role", _remove("conf/ssl_truststore", lambda w: "a2"),
     ["a2 (cluster_a)", "ssl_truststore does not exist", "Fix:"]),
    ("BCFKS store on one node", "role", lambda w: w.write("b2", "conf/ssl_truststore.bcfks", BCFKS),
     # Listed by keytool on b2, which finds no provider jar under its lib/ (a cluster that mixes FIPS
     # and non-FIPS nodes is not refused for that: each node is written in its own formats).
     ["b2 (cluster_b): ", "lib: holds no bc-fips-*.jar"]),
    ("alias the import would collide with", "role", _collide,
     ["a1 (cluster_a): ssl_truststore holds alias", "keytool -delete -alias"]),
    ("keystore PEM without a chain", "role", _keystore_without_chain,
     ["cluster_a: a1 cannot hand its CA to its peers", "ssl_keystore.pem", "crosscluster_export_aliases"]),
    ("keystore PEM missing", "role", _remove("conf/ssl_keystore.pem", lambda w: "a1"),
     ["cluster_a: a1 cannot hand its CA", "ssl_keystore.pem: does not exist"]),
    # mapr-clusters.conf
    ("mapr-clusters.conf missing", "role", _remove("conf/mapr-clusters.conf", lambda w: "b2"),
     ["b2 (cluster_b)", "mapr-clusters.conf", "does not exist", "Fix:"]),
    ("mapr-clusters.conf not UTF-8", "role",
     lambda w: w.write("a2", "conf/mapr-clusters.conf", open(w.path("a2", "conf/mapr-clusters.conf"), "rb").read()
                       .replace(b" secure=true", b"\xff secure=true", 1)),
     ["a2 (cluster_a)", "mapr-clusters.conf", "UTF-8", "Fix:"]),
    ("mapr-clusters.conf empty", "role", lambda w: w.write("b1", "conf/mapr-clusters.conf", b""),
     ["b1 (cluster_b)", "mapr-clusters.conf", "Fix:"]),
    ("mapr-clusters.conf first line without hosts", "role",
     lambda w: w.write("a1", "conf/mapr-clusters.conf", ("%s secure=true\n" % w.cluster_name("a")).encode()),
     ["a1 (cluster_a)", "mapr-clusters.conf", "line 1", "Fix:"]),
    ("node not secure", "role", lambda w: w.edit("a2", "conf/mapr-clusters.conf", "secure=true", "secure=false"),
     ["a2 (cluster_a): the first line of mapr-clusters.conf lacks secure=true"]),
    ("node of another cluster in the group", "role",
     lambda w: w.edit("b2", "conf/mapr-clusters.conf", w.cluster_name("b") + " ", "stray.example "),
     ["cluster_b: its hosts belong to different clusters", "b2 (cluster_b)", "names stray.example"]),
    ("two clusters with one name", "role",
     lambda w: [w.edit(h, "conf/mapr-clusters.conf", w.cluster_name("b") + " ", w.cluster_name("a") + " ")
                for h in w.lab.cluster("b").hosts],
     ["cluster_a and cluster_b are both named"]),
    ("cluster owners differ", "role",
     lambda w: [w.edit(h, "conf/daemon.conf", "mapr.daemon.user=mapr", "mapr.daemon.user=hdfs")
                for h in w.lab.cluster("b").hosts],
     ["cluster_a runs as mapr and cluster_b as hdfs"]),
    ("peer CLDB unreachable", "role",
     lambda w: w.edit(_cldb(w, "b"), "conf/mapr-clusters.conf",
                      w.lab.cldb_endpoint("b")[0] + ":", "127.0.0.251:"),
     ["cannot reach any CLDB of", "127.0.0.251", "Fix:"]),
    # CLDB nodes
    ("maprlogin missing on a CLDB node", "role", _remove("bin/maprlogin", lambda w: _cldb(w, "a")),
     ["(cluster_a)", "bin/maprlogin is missing", "Fix:"]),
    ("maprserverticket missing", "role", _remove("conf/maprserverticket", lambda w: _cldb(w, "b")),
     ["(cluster_b)", "maprserverticket does not exist", "Fix:"]),
    ("maprserverticket garbage", "role", lambda w: w.write(_cldb(w, "a"), "conf/maprserverticket", b"garbage\n"),
     ["(cluster_a)", "maprserverticket does not parse", "Fix:"]),
    ("maprserverticket world-readable", "role", lambda w: os.chmod(w.path(_cldb(w, "b"), "conf/maprserverticket"),
                                                                   0o644),
     ["(cluster_b)", "maprserverticket has mode 0644", "chmod 0600"]),
    ("maprserverticket of another cluster", "role",
     lambda w: w.edit(_cldb(w, "a"), "conf/maprserverticket", w.cluster_name("a") + " ", "other.example "),
     ["(cluster_a)", "first line of", "other.example", "Fix:"]),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from lab.labkit import Lab
    lab = Lab(str(tmp_path_factory.mktemp("lab-bad")), clusters=2, nodes=2, mode="local")
    with lab.up():
        yield World(lab)


@pytest.mark.parametrize("name,where,breaker,expected", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_bad_input_stops_the_run_before_any_change(world, tmp_path, name, where, breaker, expected):
    saved_inventory = yaml.safe_dump(world.inventory)
    try:
        breaker(world)
        trusts = breaker.value if isinstance(breaker, Trusts) else PAIR
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(yaml.safe_dump(world.inventory))
        os.chmod(inventory, 0o600)
        before = conf_state(world.lab)
        result = run_playbook(PLAYBOOK, inventory=str(inventory), connection=None,
                              extra_vars={"crosscluster_trusts": trusts})
        after = conf_state(world.lab)
    finally:
        world.inventory = yaml.safe_load(saved_inventory)
        world.restore()
    assert result.rc != 0, result.describe()
    failed = [r for r in result.results if r["status"] in ("failed", "unreachable")]
    # One cause, one failing task: no follow-on error from a later task.
    assert len(set(r["task"] for r in failed)) == 1, result.describe()
    message = "\n".join(str(r["result"].get("msg", "")) for r in failed)
    missing = [text for text in expected if text not in message]
    assert not missing, (missing, message)
    assert len(message) < 20000, "the message must stay short"
    assert not [r for r in result.results if r["result"].get("changed")], result.describe()
    assert after == before
    record("bad_input", name, where=where, message=message[:200], files_identical=after == before)
