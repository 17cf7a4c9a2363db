"""The test lab itself, local mode: node files, stores the JVM reads, trust by hand, teardown.

The check_* functions are the mode-independent scenarios; test_lab_ssh.py runs them too.
"""

import base64
import json
import os
import re
import stat
import subprocess
import sys
import time

import yaml
from cryptography import x509
from lab.labkit import Lab, handtrust, jvm, pki, procs

pytest_plugins = ["lab.fixtures"]

LAB_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab", "lab.py")
BIN = os.path.dirname(sys.executable)
DATE = r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}"
PRINT_LINE = re.compile(
    r"^(?P<cluster>\S+): user = (?P<user>\S+), created = '%s', expires = '%s', RenewalTill = '%s', "
    r"uid = (?P<uid>\d+), gids = (?P<gids>[\d, ]+), CanImpersonate = (?P<imp>true|false)$"
    % (DATE, DATE, DATE), re.M)


# ----------------------------------------------------------------------------- helpers


def login(lab, host, cluster, user, password, ticketfile=None):
    """maprlogin password on host; the password goes on stdin only."""
    argv = ["maprlogin", "password", "-cluster", cluster.name, "-user", user]
    if ticketfile:
        argv += ["-out", ticketfile]
    return lab.run_on(host, argv, input=password + "\n")


def server_call(lab, host, target, ticketfile=None):
    """maprcli dashboard info against target, as a server of host's cluster (its maprserverticket)."""
    env = {"MAPR_TICKETFILE_LOCATION": ticketfile or lab.mapr_home(host) + "/conf/maprserverticket"}
    return lab.run_on(host, ["maprcli", "dashboard", "info", "-cluster", target.name, "-json"], env=env)


def lab_processes(lab):
    return procs.find(lambda cmd: lab.dir + "/" in cmd)


def ansible_env(tmp_path):
    return dict(os.environ, ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_DEPRECATION_WARNINGS="0")


# ----------------------------------------------------------------------------- shared scenarios


def check_user_trust(lab):
    """A user login from A to B fails until B's line and CA are placed on A, then works; the JVM
    agrees using A's JKS trust store."""
    a, b = lab.cluster("a"), lab.cluster("b")
    node = a.hosts[-1]  # not the CLDB: user trust is needed on every node
    address, port = lab.cldb_endpoint("b")
    jks = lab.node_path(node, "conf/ssl_truststore")

    no_line = login(lab, node, b, "mapr", b.owner_password)
    assert no_line.returncode != 0
    assert "not configured" in no_line.stderr and "mapr-clusters.conf" in no_line.stderr

    handtrust.add_conf_line(lab, node, handtrust.first_conf_line(lab, b))
    untrusted = login(lab, node, b, "mapr", b.owner_password)
    assert untrusted.returncode != 0
    assert "certificate verify failed" in untrusted.stderr, untrusted.stderr
    java = jvm.tls_probe(address, port, jks, a.store_password)
    assert java.returncode == 2, java.stdout + java.stderr
    assert "PKIX" in java.stderr or "certification path" in java.stderr, java.stderr

    handtrust.place_user_trust(lab, a, b)
    trusted = login(lab, node, b, "mapr", b.owner_password)
    assert trusted.returncode == 0, trusted.stderr
    assert "for cluster '%s' are written to" % b.name in trusted.stdout
    printed = lab.run_on(node, ["maprlogin", "print"])
    assert [m.group("cluster") for m in PRINT_LINE.finditer(printed.stdout)] == [b.name]
    java = jvm.tls_probe(address, port, jks, a.store_password)
    assert java.returncode == 0, java.stdout + java.stderr
    assert json.loads(java.stdout.splitlines()[-1])["cluster"] == b.name
    for store in ("ssl_truststore", "ssl_truststore.p12"):
        entries = jvm.keytool_list(lab.node_path(node, "conf/" + store), a.store_password)
        assert entries == {"%s-ca" % a.name: "trustedCertEntry", "%s-ca" % b.name: "trustedCertEntry"}
    with open(lab.node_path(node, "conf/ssl_truststore.pem"), encoding="ascii") as fh:
        assert fh.read().count("BEGIN CERTIFICATE") == 2


def check_server_trust(lab):
    """A server of B calls A with B's maprserverticket: rejected until A's crosscluster ticket
    is merged into it, accepted after; a ticket A did not issue is rejected by A itself."""
    a, b = lab.cluster("a"), lab.cluster("b")
    handtrust.place_user_trust(lab, b, a)  # B's servers must reach and trust A first
    b_node, a_node = b.hosts[-1], a.hosts[-1]

    before = server_call(lab, b_node, a)
    assert before.returncode != 0
    assert "no ticket for cluster %s" % a.name in before.stderr
    assert json.loads(before.stdout)["status"] == "ERROR"

    # B's own server ticket relabelled as A's: A's CLDB sees it was not issued by A.
    forged_path = os.path.join(lab.node_root(b_node), "tmp", "forged")
    with open(lab.node_path(b_node, "conf/maprserverticket"), encoding="ascii") as fh:
        b_blob = fh.readline().split()[1]
    with open(forged_path, "w", encoding="ascii") as fh:
        fh.write("%s %s\n" % (a.name, b_blob))
    forged = server_call(lab, b_node, a, lab.node_view(b_node, forged_path))
    assert forged.returncode != 0
    assert "issued for cluster %s, not %s" % (b.name, a.name) in forged.stderr

    # Server trust A -> B: A's owner generates a crosscluster ticket on A ...
    assert login(lab, a_node, a, "mapr", a.owner_password).returncode == 0
    out = os.path.join(lab.node_root(a_node), "tmp", "xcs-ticket")
    generated = lab.run_on(a_node, ["maprlogin", "generateticket", "-type", "crosscluster",
                                    "-user", "xcsuser", "-out", lab.node_view(a_node, out)])
    assert generated.returncode == 0, generated.stderr
    with open(out, encoding="ascii") as fh:
        line = fh.read().strip()
    assert line.startswith(a.name + " ")
    printed = lab.run_on(a_node, ["maprlogin", "print", "-ticketfile", lab.node_view(a_node, out)])
    match = PRINT_LINE.search(printed.stdout)
    assert (match.group("user"), match.group("uid"), match.group("imp")) == ("xcsuser", "5001", "true")

    # ... a claim changed in that ticket breaks its seal ...
    tampered_blob = _tamper(line.split()[1])
    with open(forged_path, "w", encoding="ascii") as fh:
        fh.write("%s %s\n" % (a.name, tampered_blob))
    tampered = server_call(lab, b_node, a, lab.node_view(b_node, forged_path))
    assert tampered.returncode != 0 and "seal does not verify" in tampered.stderr

    # ... and merged into B's maprserverticket, it is accepted.
    handtrust.merge_ticket_line(lab, b.hosts, line)
    after = server_call(lab, b_node, a)
    assert after.returncode == 0, after.stderr
    reply = json.loads(after.stdout)
    assert reply["status"] == "OK" and reply["data"][0]["cluster"]["name"] == a.name
    with open(lab.node_path(b_node, "conf/maprserverticket"), encoding="ascii") as fh:
        names = [raw.split()[0] for raw in fh]
    assert names == [b.name, a.name]  # B's own ticket stays first


def _tamper(blob):
    raw = base64.b64decode(blob)
    changed = raw.replace(b'"user":"xcsuser"', b'"user":"mapr___"')
    assert changed != raw
    return base64.b64encode(changed).decode()


# ----------------------------------------------------------------------------- local mode


def test_node_files(lab_local):
    lab = lab_local
    for cluster in lab.clusters:
        for host in cluster.hosts:
            home = lab.node_path(host)
            conf = os.path.join(home, "conf")
            with open(os.path.join(conf, "mapr-clusters.conf")) as fh:
                first = fh.readline().split()
            cldbs = ["%s:7222" % lab.hosts[h].address for h in cluster.cldb_hosts]
            assert first == [cluster.name, "secure=true"] + cldbs
            with open(os.path.join(conf, "daemon.conf")) as fh:
                daemon = fh.read()
            assert "mapr.daemon.user=mapr\n" in daemon and "mapr.daemon.group=mapr\n" in daemon
            with open(os.path.join(conf, "store-passwords.txt")) as fh:
                assert fh.read().splitlines() == [
                    "ssl.server.keystore.password=" + cluster.store_password,
                    "ssl.server.truststore.password=" + cluster.store_password,
                    "ssl.client.truststore.password=" + cluster.store_password]
            modes = {name: stat.S_IMODE(os.stat(os.path.join(conf, name)).st_mode)
                     for name in os.listdir(conf)}
            for secret in ("store-passwords.txt", "maprserverticket", "ssl_keystore",
                           "ssl_keystore.p12", "ssl_keystore.pem"):
                assert modes[secret] == 0o600, secret
            for name in ("ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem") + pki.USER_TRUSTSTORES:
                assert modes[name] == 0o644, name
            # The user trust store as 7.x writes it: the cluster's own CA, under the trust stores' password.
            assert pki.read_truststore(conf, cluster.store_password, pki.USER_TRUSTSTORE) == \
                pki.read_truststore(conf, cluster.store_password)
            assert ("cldb.key" in modes) == (host in cluster.cldb_hosts)
            assert os.path.exists(os.path.join(home, "roles", "cldb")) == (host in cluster.cldb_hosts)
            with open(os.path.join(home, "MapRBuildVersion")) as fh:
                assert re.fullmatch(r"7\.\d+\.\d+\.\d+\.\d{14}\.GA\n", fh.read())
            for tool in ("maprlogin", "maprcli"):
                path = os.path.join(home, "bin", tool)
                assert os.access(path, os.X_OK)
                with open(path) as fh:
                    assert fh.readline().startswith("#!/usr/bin/python3")
    # The server certificate names every host of its cluster; its CA is in the trust store.
    a = lab.cluster("a")
    with open(lab.node_path("a1", "conf/ssl_keystore.pem"), "rb") as fh:
        chain = x509.load_pem_x509_certificates(fh.read().split(b"-----END ENCRYPTED PRIVATE KEY-----")[1])
    sans = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    for host in a.hosts:
        assert lab.hosts[host].fqdn in sans.get_values_for_type(x509.DNSName)
        assert lab.hosts[host].address in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    with open(a.ca_pem, "rb") as fh:
        assert x509.load_pem_x509_certificate(fh.read()) == chain[1]


def test_server_ticket_and_print(lab_local):
    lab = lab_local
    printed = lab.run_on("b2", ["maprlogin", "print", "-ticketfile", lab.mapr_home("b2") + "/conf/maprserverticket"])
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0] == "Opening keyfile %s/conf/maprserverticket" % lab.mapr_home("b2")
    match = PRINT_LINE.match(lines[1])
    assert match.group("cluster", "user", "uid", "gids", "imp") == ("b.lab.example", "mapr", "5000", "5000, 0", "true")
    # Same cluster key on every node: any node's server ticket works against the CLDB.
    assert server_call(lab, "b3", lab.cluster("b")).returncode == 0


def test_keytool_reads_the_stores(lab_local):
    lab, a = lab_local, lab_local.cluster("a")
    for store in ("ssl_truststore", "ssl_truststore.p12"):
        assert jvm.keytool_list(lab.node_path("a2", "conf/" + store), a.store_password) == {
            "a.lab.example-ca": "trustedCertEntry"}
    for store in ("ssl_keystore", "ssl_keystore.p12"):
        assert jvm.keytool_list(lab.node_path("a2", "conf/" + store), a.store_password) == {
            "a.lab.example": "PrivateKeyEntry"}


def test_maprlogin_on_its_own_cluster(lab_local):
    lab, a = lab_local, lab_local.cluster("a")
    host = "a2"
    no_ticket = lab.run_on(host, ["maprlogin", "print"])
    assert no_ticket.returncode == 1 and "does not exist" in no_ticket.stderr

    wrong = lab.run_on(host, ["maprlogin", "password", "-user", "mapr"], input="not-it\n")
    assert wrong.returncode == 1 and "bad user name or password" in wrong.stderr
    assert "not-it" not in wrong.stdout + wrong.stderr

    ok = lab.run_on(host, ["maprlogin", "password", "-user", "mapr"], input=a.owner_password + "\n")
    assert ok.returncode == 0, ok.stderr
    assert a.owner_password not in ok.stdout + ok.stderr
    ticket = os.path.join(lab.node_root(host), "tmp", "maprticket_%d" % os.getuid())
    assert stat.S_IMODE(os.stat(ticket).st_mode) == 0o600
    assert "written to '%s'" % lab.node_view(host, ticket) in ok.stdout
    printed = lab.run_on(host, ["maprlogin", "print"])
    assert printed.stdout.splitlines()[0] == "Opening keyfile " + lab.node_view(host, ticket)
    assert PRINT_LINE.search(printed.stdout).group("cluster", "user") == (a.name, "mapr")

    assert lab.run_on(host, ["maprlogin", "authtest"]).returncode == 0
    renewed = lab.run_on(host, ["maprlogin", "renew", "-cluster", a.name])
    assert renewed.returncode == 0, renewed.stderr

    # generateticket: needs the owner; an unknown user has no uid on the cluster.
    out = lab.node_view(host, os.path.join(lab.node_root(host), "tmp", "svc"))
    unknown = lab.run_on(host, ["maprlogin", "generateticket", "-type", "service", "-user", "nobody-here",
                                "-out", out])
    assert unknown.returncode == 1 and "no such user" in unknown.stderr
    xcs_ticket = lab.node_view(host, os.path.join(lab.node_root(host), "tmp", "xcs"))
    assert login(lab, host, a, "xcsuser", a.xcs_password, xcs_ticket).returncode == 0
    not_owner = lab.run_on(host, ["maprlogin", "generateticket", "-type", "service", "-user", "xcsuser",
                                  "-out", out], env={"MAPR_TICKETFILE_LOCATION": xcs_ticket})
    assert not_owner.returncode == 1 and "only the cluster owner" in not_owner.stderr

    assert lab.run_on(host, ["maprlogin", "logout"]).returncode == 0
    assert not os.path.exists(ticket)
    assert lab.run_on(host, ["maprlogin", "authtest"]).returncode == 1
    # Without a login, the node's server ticket authenticates (root may read it, as the owner can).
    served = lab.run_on(host, ["maprlogin", "generateticket", "-type", "servicewithimpersonation",
                               "-user", "xcsuser", "-out", out, "-duration", "1:0:0"])
    assert served.returncode == 0, served.stderr


def test_user_trust(lab_local):
    check_user_trust(lab_local)


def test_server_trust(lab_local):
    check_server_trust(lab_local)


def test_inventory(lab_local, tmp_path):
    lab = lab_local
    listed = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", lab.inventory_path, "--list"],
                            env=ansible_env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    inv = json.loads(listed.stdout)
    assert inv["mapr_clusters"]["children"] == ["cluster_a", "cluster_b"]
    assert inv["cluster_a"]["hosts"] == ["a1", "a2", "a3"] and inv["cluster_a"]["children"] == ["cluster_a_cldb"]
    assert inv["cluster_b_cldb"]["hosts"] == ["b1"]
    hostvars = inv["_meta"]["hostvars"]
    for cluster in lab.clusters:
        for host in cluster.hosts:
            v = hostvars[host]
            assert v["mapr_home"] == lab.mapr_home(host) and os.path.isdir(v["mapr_home"])
            assert v["ansible_connection"] == "local"
            assert (v["mapr_cluster_name"], v["mapr_truststore_password"], v["mapr_owner_password"]) == (
                cluster.name, cluster.store_password, cluster.owner_password)
            assert (v["mapr_cluster_owner"], v["mapr_cluster_group"], v["mapr_crosscluster_user"]) == (
                "mapr", "mapr", "xcsuser")
    with open(lab.inventory_path) as fh:
        assert yaml.safe_load(fh)["all"]["children"]["mapr_clusters"]["children"]["cluster_a"]
    assert stat.S_IMODE(os.stat(lab.inventory_path).st_mode) == 0o600


def test_several_cldbs_fail_over(make_lab):
    lab = make_lab(clusters=1, nodes=3, cldbs=2)
    a = lab.cluster("a")
    assert a.cldb_hosts == ["a1", "a2"]
    with open(lab.node_path("a3", "conf/mapr-clusters.conf")) as fh:
        assert fh.readline().split()[2:] == ["%s:7222" % lab.hosts[h].address for h in ("a1", "a2")]
    first = [p["pid"] for p in lab.resources["procs"] if p["host"] == "a1"]
    procs.terminate(first)  # the first CLDB goes down; the client tries the next, as the real one does
    assert login(lab, "a3", a, "mapr", a.owner_password).returncode == 0


def test_down_removes_everything_and_is_idempotent(make_lab):
    lab = make_lab(clusters=2, nodes=2)
    assert len(lab_processes(lab)) == 2
    lab.down()
    assert not os.path.exists(lab.dir)
    assert lab_processes(lab) == []
    lab.down()


def test_down_after_a_crash_sweeps_by_name(make_lab):
    lab = make_lab(clusters=2, nodes=1)
    os.unlink(lab.state_path)  # as if `up` died before recording anything
    Lab(lab.dir).down()
    assert lab_processes(lab) == [] and not os.path.exists(lab.dir)


def test_command_line(tmp_path):
    directory = str(tmp_path / "cli-lab")

    def lab_py(*args):
        return subprocess.run([sys.executable, LAB_PY, *args, "--dir", directory],
                              capture_output=True, text=True, timeout=120, check=False)

    started = time.monotonic()
    up = lab_py("up", "--clusters", "2", "--nodes", "3")
    took = time.monotonic() - started
    assert up.returncode == 0, up.stderr
    assert up.stdout.strip() == os.path.join(os.path.realpath(directory), "inventory.yml")
    assert took < 10, "up took %.1f s" % took
    status = lab_py("status")
    assert status.returncode == 0 and "a1" in status.stdout and "problem" not in status.stdout
    assert lab_py("down").returncode == 0
    assert not os.path.exists(directory)
    status = lab_py("status")
    assert status.returncode == 1 and "down" in status.stdout
    assert lab_py("down").returncode == 0
