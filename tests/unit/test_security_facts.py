"""security_facts' gathering, on a node tree built here (no Ansible)."""

import base64
import copy
import datetime
import grp
import hashlib
import os
import pwd
import types

import jks
import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.datafabric.crosscluster.plugins.action.security_facts import ActionModule, open_stores
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _security_facts as security_facts
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._properties import parse_properties
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import gather
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import read_truststore_password

JKS = b"\xfe\xed\xfe\xed" + b"\x00" * 16
BCFKS = bytes([0x30, 0x06, 0x30, 0x02, 0x05, 0x00, 0x05, 0x00])


@pytest.fixture
def node(tmp_path):
    home = tmp_path / "opt" / "mapr"
    (home / "conf").mkdir(parents=True)
    (home / "roles").mkdir()
    (home / "conf" / "mapr-clusters.conf").write_text(
        "# own cluster first\n"
        "a.example secure=true kerberosEnable=true cldbPrincipal=mapr/a.example@A.TEST cldbHttpsPort=8443"
        "   na1:7222 na2:7222\n"
        "b.example secure=true nb1:7222\n")
    (home / "conf" / "daemon.conf").write_text("mapr.daemon.user=mapr\nmapr.daemon.group=maprg\n# x\n")
    (home / "conf" / "ssl_truststore").write_bytes(JKS)
    (home / "conf" / "ssl_truststore.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (home / "MapRBuildVersion").write_text("7.8.0.0.20240101000000.GA\n")
    flag = tmp_path / "fips_enabled"
    flag.write_text("0\n")
    return home, flag


def test_facts_from_the_first_line_and_daemon_conf(node):
    home, flag = node
    facts = gather(str(home), str(flag))
    assert facts["cluster_name"] == "a.example" and facts["secure"] is True
    assert facts["kerberos_enable"] is True and facts["cldb_principal"] == "mapr/a.example@A.TEST"
    assert facts["cldb_https_port"] == 8443
    assert facts["cldb_hosts"] == ["na1:7222", "na2:7222"]
    # The line peers copy keeps the Kerberos fields whole (single-spaced).
    assert facts["conf_line"] == ("a.example secure=true kerberosEnable=true cldbPrincipal=mapr/a.example@A.TEST "
                                  "cldbHttpsPort=8443 na1:7222 na2:7222")
    assert facts["clusters"] == ["a.example", "b.example"]
    assert facts["owner"] == "mapr" and facts["group"] == "maprg"
    assert facts["is_cldb"] is False and facts["fips"] is False and facts["maprlogin"] is None
    assert facts["version"] == "7.8.0.0.20240101000000.GA"
    assert facts["stores"]["ssl_truststore"] == {"exists": True, "format": "jks"}
    assert facts["stores"]["ssl_truststore.pem"]["format"] == "pem"
    assert facts["stores"]["ssl_truststore.p12"] == {"exists": False, "format": None}


def test_a_file_linked_out_of_conf_is_refused_and_none_of_it_reported(node, tmp_path):
    # The owner of conf/ links a file only root may read under a name root reads: its first line
    # must not come back as the cluster's conf line, nor in a message.
    home, flag = node
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$not-for-your-eyes:19000:0:99999:7:::\n")
    conf = home / "conf" / "mapr-clusters.conf"
    conf.rename(home / "conf" / "mapr-clusters.conf.real")
    conf.symlink_to(secret)
    with pytest.raises(CrossclusterError) as err:
        gather(str(home), str(flag))
    assert "mapr-clusters.conf" in str(err.value) and "not-for-your-eyes" not in str(err.value)
    # The same for the store password's sources and the keystore: nothing of the target is read.
    (home / "conf" / "store-passwords.txt").symlink_to(secret)
    with pytest.raises(CrossclusterError) as err:
        read_truststore_password(str(home / "conf"))
    assert "not-for-your-eyes" not in str(err.value)
    # A link to a file beside it, as a node may have, is read as before.
    conf.unlink()
    conf.symlink_to("mapr-clusters.conf.real")
    assert gather(str(home), str(flag))["cluster_name"] == "a.example"


def test_cldb_role_and_maprlogin_are_seen(node):
    home, flag = node
    (home / "roles" / "cldb").write_text("")
    (home / "bin").mkdir()
    (home / "bin" / "maprlogin").write_text("#!/bin/sh\n")
    os.chmod(home / "bin" / "maprlogin", 0o755)
    facts = gather(str(home), str(flag))
    assert facts["is_cldb"] is True and facts["maprlogin"].endswith("bin/maprlogin")


def test_fips_from_kernel_flag_and_from_bcfks_stores(node):
    home, flag = node
    flag.write_text("1\n")
    (home / "conf" / "ssl_truststore.bcfks").write_bytes(BCFKS)
    facts = gather(str(home), str(flag))
    assert facts["fips"] is True
    assert len(facts["fips_reasons"]) == 2 and "kernel" in facts["fips_reasons"][0]
    assert facts["stores"]["ssl_truststore.bcfks"]["format"] == "bcfks"


def test_missing_conf_names_the_file_and_fix(tmp_path):
    with pytest.raises(CrossclusterError) as err:
        gather(str(tmp_path), str(tmp_path / "none"))
    assert err.value.path.endswith("mapr-clusters.conf") and "configure.sh" in err.value.fix


def test_bad_https_port_is_named(node):
    home, flag = node
    conf = home / "conf" / "mapr-clusters.conf"
    conf.write_text(conf.read_text().replace("8443", "https"))
    with pytest.raises(CrossclusterError, match="cldbHttpsPort=https"):
        gather(str(home), str(flag))


def test_properties_reject_a_line_without_equals():
    assert parse_properties("a=1\n! c\nb = two=2\n") == {"a": "1", "b": "two=2"}
    with pytest.raises(CrossclusterError) as err:
        parse_properties("a=1\noops\n", path="daemon.conf")
    assert err.value.line == 2


# --- what the node reads for preflight: keystore certificates, server ticket, users, store bytes ---------

def _pem_pair(common_name):
    """(key PEM, certificate PEM) of a self-signed CA certificate (a cluster may hand only a CA to a peer)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), cert


@pytest.fixture(scope="module")
def pems():
    return [_pem_pair("node%d.a.example" % n) for n in range(3)]


def test_keystore_certificates_are_the_certificate_blocks_in_order_without_the_key(tmp_path, pems):
    (key, leaf, _c), (_k, ca, _c2), (other_key, _x, _c3) = pems
    ec_key = other_key.replace("BEGIN PRIVATE KEY", "BEGIN EC PRIVATE KEY").replace("END PRIVATE", "END EC PRIVATE")
    (tmp_path / "ssl_keystore.pem").write_text(
        "Bag Attributes\n    friendlyName: node1\n" + key + leaf + "subject=CN=ca\n" + ca.replace("\n", "\r\n")
        + ec_key + "# end\n")
    found = security_facts.keystore_certificates(str(tmp_path))
    assert found["path"] == str(tmp_path / "ssl_keystore.pem") and found["error"] is None
    assert [c.replace("\r", "").strip() for c in found["certificates"]] == [leaf.strip(), ca.strip()]
    assert "PRIVATE KEY" not in repr(found)
    for line in key.splitlines()[1:-1] + ec_key.splitlines()[1:-1]:
        assert line not in repr(found)


def test_keystore_certificates_never_span_into_a_key_block(tmp_path, pems):
    (key, leaf, _c), (_k, ca, _c2) = pems[:2]
    # A certificate block cut short, then the key: the key must not be swallowed into "a certificate".
    cut = "\n".join(leaf.splitlines()[:3]) + "\n"
    (tmp_path / "ssl_keystore.pem").write_text(cut + key + ca)
    found = security_facts.keystore_certificates(str(tmp_path))
    assert [c.strip() for c in found["certificates"]] == [ca.strip()]
    assert "PRIVATE KEY" not in repr(found)
    for line in key.splitlines()[1:-1]:
        assert line not in repr(found)


def test_keystore_certificates_errors(tmp_path, pems):
    assert security_facts.keystore_certificates(str(tmp_path)) == {
        "path": str(tmp_path / "ssl_keystore.pem"), "certificates": [], "error": "does not exist"}
    (tmp_path / "ssl_keystore.pem").write_text(pems[0][0])
    found = security_facts.keystore_certificates(str(tmp_path))
    assert found["error"] == "holds no certificate" and found["certificates"] == []
    assert "PRIVATE KEY" not in repr(found)
    other = tmp_path / "other"
    (other / "ssl_keystore.pem").mkdir(parents=True)
    assert security_facts.keystore_certificates(str(other))["error"].startswith("cannot be read (")


def _blob(size=48):
    return base64.b64encode(os.urandom(size)).decode("ascii")


def _write_ticket(conf, text, mode=0o600):
    path = conf / "maprserverticket"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    os.chmod(path, mode)
    return path


def test_server_ticket_reports_mode_owner_and_the_first_lines_cluster(tmp_path):
    _write_ticket(tmp_path, "a.example %s\nb.example %s\n" % (_blob(), _blob()))
    found = security_facts.server_ticket(str(tmp_path))
    assert found == {"path": str(tmp_path / "maprserverticket"), "exists": True, "mode": "0600",
                     "owner": pwd.getpwuid(os.getuid()).pw_name, "group": grp.getgrgid(os.getgid()).gr_name,
                     "cluster": "a.example", "error": None}
    os.chmod(tmp_path / "maprserverticket", 0o644)
    assert security_facts.server_ticket(str(tmp_path))["mode"] == "0644"
    os.chmod(tmp_path / "maprserverticket", 0o4600)
    assert security_facts.server_ticket(str(tmp_path))["mode"] == "4600"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_server_ticket_owner_by_name_or_number(tmp_path):
    path = _write_ticket(tmp_path, "a.example %s\n" % _blob())
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, -1)
    assert security_facts.server_ticket(str(tmp_path))["owner"] == "nobody"
    unnamed = next(n for n in range(54321, 60000) if not _has_uid(n))
    os.chown(path, unnamed, unnamed)
    found = security_facts.server_ticket(str(tmp_path))
    assert found["owner"] == str(unnamed) and found["group"] == str(unnamed)


def _has_uid(number):
    try:
        pwd.getpwuid(number)
    except KeyError:
        return False
    return True


def test_server_ticket_missing_or_empty(tmp_path):
    found = security_facts.server_ticket(str(tmp_path))
    assert found["exists"] is False and found["error"] is None and found["mode"] is None
    _write_ticket(tmp_path, "\n")
    found = security_facts.server_ticket(str(tmp_path))
    assert found["exists"] is True and found["error"] == "holds no ticket" and found["cluster"] is None


# ids: the blobs are random, and pytest-xdist workers must collect the same test names.
@pytest.mark.parametrize("text", [
    "SECRETONEFIELDXYZ\n",
    "a.example %s extra-secret-field\n" % _blob(),
    "a.example not!base64!secret-part\n",
    "%s a.example\n" % _blob(),
    "a.example %s\na.example %s\n" % (_blob(), _blob()),
    b"a.example \xff\xfesecret-bytes\n",
], ids=["one-field", "three-fields", "not-base64", "blob-first", "two-own-lines", "not-utf8"])
def test_an_unparseable_server_ticket_never_shows_its_text(tmp_path, text):
    _write_ticket(tmp_path, text)
    found = security_facts.server_ticket(str(tmp_path))
    assert found["exists"] is True and found["cluster"] is None and found["error"]
    raw = text if isinstance(text, str) else text.decode("latin-1")
    for token in raw.split():
        for piece in [token[i:i + 6] for i in range(0, max(len(token) - 5, 1))]:
            if len(piece) >= 6:
                assert piece not in found["error"], (piece, found["error"])
    assert "a.example" not in repr(found)


def test_known_users():
    name = "no-such-user-%s" % base64.b32encode(os.urandom(5)).decode("ascii").lower()
    assert security_facts.known_users(["root", name]) == {"root": True, name: False}
    assert security_facts.known_users([]) == {}


def test_store_bytes_are_each_truststore_and_the_conf_in_base64(tmp_path):
    assert security_facts.store_bytes(str(tmp_path)) == {
        "ssl_truststore": None, "ssl_truststore.p12": None, "ssl_truststore.pem": None, "mapr-clusters.conf": None}
    data = {"ssl_truststore": JKS, "ssl_truststore.p12": b"\x30\x03\x02\x01\x03", "ssl_truststore.pem": b"",
            "mapr-clusters.conf": b"a.example secure=true a1:7222\n"}
    for name, raw in data.items():
        (tmp_path / name).write_bytes(raw)
    (tmp_path / "ssl_keystore").write_bytes(b"keystore, never sent")
    found = security_facts.store_bytes(str(tmp_path))
    assert sorted(found) == sorted(data)
    for name, raw in data.items():
        assert base64.b64decode(found[name]) == raw


def test_gather_reports_the_ticket_users_and_keystore(node, pems):
    home, flag = node
    (home / "conf" / "ssl_keystore.pem").write_text(pems[0][0] + pems[0][1])
    _write_ticket(home / "conf", "a.example %s\n" % _blob())
    facts = gather(str(home), str(flag), users=["root", "no-such-user-zz9"])
    assert facts["users"] == {"root": True, "no-such-user-zz9": False}
    assert facts["server_ticket"]["cluster"] == "a.example" and facts["server_ticket"]["mode"] == "0600"
    assert [c.strip() for c in facts["keystore"]["certificates"]] == [pems[0][1].strip()]
    assert "PRIVATE KEY" not in repr(facts)
    assert gather(str(home), str(flag))["users"] == {}
    # peer_trust's compare-and-swap stands on this: the digest of exactly the bytes parsed.
    conf = (home / "conf" / "mapr-clusters.conf").read_bytes()
    assert facts["conf_sha256"] == hashlib.sha256(conf).hexdigest()


# --- the controller opens the stores (plugins/action/security_facts.py) -----------------------------------

PASSWORD = "Tr ust$tore-1"
CONF = "/opt/mapr/conf"


def _stores(pems, password=PASSWORD, p12_password=None):
    certs = [c for _k, _p, c in pems[:2]]
    der = [c.public_bytes(serialization.Encoding.DER) for c in certs]
    jks_data = jks.KeyStore.new("jks", [jks.TrustedCertEntry.new("ca%d" % n, d) for n, d in enumerate(der)]).saves(
        password)
    p12_data = pkcs12.serialize_java_truststore(
        [pkcs12.PKCS12Certificate(c, ("ca%d" % n).encode()) for n, c in enumerate(certs)],
        serialization.BestAvailableEncryption((p12_password or password).encode()))
    pem_data = "".join(p for _k, p, _c in pems[:2]).encode("ascii")
    return {"ssl_truststore": jks_data, "ssl_truststore.p12": p12_data, "ssl_truststore.pem": pem_data}


def _encoded(stores):
    return dict((name, None if data is None else base64.b64encode(data).decode("ascii"))
                for name, data in stores.items())


def test_open_stores_with_the_right_password(pems):
    data = _stores(pems)
    stores, trusted = open_stores(CONF, _encoded(data), PASSWORD)
    digests = [hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest() for _k, _p, c in pems[:2]]
    assert [(stores[n]["exists"], stores[n]["store_type"], stores[n]["error"]) for n in sorted(stores)] == [
        (True, "jks", None), (True, "pkcs12", None), (True, "pem", None)]
    for name in stores:
        assert sorted(e["sha256"] for e in stores[name]["entries"]) == sorted(digests)
        assert all(e["type"] == "trusted" for e in stores[name]["entries"])
    assert sorted(e["alias"] for e in stores["ssl_truststore"]["entries"]) == ["ca0", "ca1"]
    # Of the file itself: truststore_import writes from the bytes gathered under this digest.
    assert [stores[n]["sha256"] for n in sorted(stores)] == [hashlib.sha256(data[n]).hexdigest() for n in sorted(data)]
    assert sorted((alias, cert.sha256) for alias, cert in trusted) == sorted(zip(["ca0", "ca1"], digests))


def test_a_wrong_password_is_an_error_naming_the_store_and_the_others_still_open(pems):
    stores, trusted = open_stores(CONF, _encoded(_stores(pems, p12_password="other")), PASSWORD)
    assert stores["ssl_truststore.p12"]["error"].startswith(CONF + "/ssl_truststore.p12: the store password is wrong")
    assert stores["ssl_truststore.p12"]["entries"] == [] and stores["ssl_truststore.p12"]["exists"] is True
    assert stores["ssl_truststore"]["error"] is None and len(stores["ssl_truststore"]["entries"]) == 2
    assert len(trusted) == 2
    stores, trusted = open_stores(CONF, _encoded(_stores(pems)), "Wr0ng-Pass!")
    assert stores["ssl_truststore"]["error"].startswith(CONF + "/ssl_truststore: the store password is wrong")
    assert stores["ssl_truststore.p12"]["error"].startswith(CONF + "/ssl_truststore.p12: the store password")
    assert stores["ssl_truststore.pem"]["error"] is None and len(stores["ssl_truststore.pem"]["entries"]) == 2
    assert trusted == []
    assert not [s for s in stores.values() if "Wr0ng-Pass!" in (s["error"] or "")]


@pytest.mark.parametrize("name", ["ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem"])
def test_a_truncated_store_is_an_error_naming_it(pems, name):
    data = _stores(pems)
    data[name] = data[name][:len(data[name]) * 2 // 3]
    stores, trusted = open_stores(CONF, _encoded(data), PASSWORD)
    assert stores[name]["error"].startswith("%s/%s" % (CONF, name)) and "Fix:" in stores[name]["error"]
    assert "truncated" in stores[name]["error"]
    assert stores[name]["entries"] == []
    assert [n for n in stores if stores[n]["error"]] == [name]
    assert len(trusted) == (0 if name == "ssl_truststore" else 2)


def test_a_missing_store_does_not_exist_and_is_no_error(pems):
    data = _stores(pems)
    data["ssl_truststore.p12"] = None
    data["ssl_truststore"] = None
    stores, trusted = open_stores(CONF, _encoded(data), PASSWORD)
    assert stores["ssl_truststore.p12"] == {"exists": False, "sha256": None, "store_type": None, "entries": [],
                                            "error": None}
    assert stores["ssl_truststore"]["exists"] is False and trusted == []
    assert len(stores["ssl_truststore.pem"]["entries"]) == 2


def test_a_pem_store_opens_without_a_password(pems):
    data = _stores(pems)
    stores, _trusted = open_stores(CONF, _encoded({"ssl_truststore.pem": data["ssl_truststore.pem"]}), None)
    assert stores["ssl_truststore.pem"]["error"] is None and len(stores["ssl_truststore.pem"]["entries"]) == 2
    stores, _trusted = open_stores(CONF, _encoded({"ssl_truststore": data["ssl_truststore"]}), None)
    assert "needs its password" in stores["ssl_truststore"]["error"]


class _Action:
    """The action plugin with its module call replaced: what the node would send, and what was asked."""

    def __init__(self, args, node_result):
        self.calls = []
        self.plugin = object.__new__(ActionModule)
        self.plugin._task = types.SimpleNamespace(args=args, no_log=False)
        self.plugin._play_context = PlayContext()
        # Ansible's own local connection, pipelining as the README requires.
        self.plugin._connection = connection_loader.get("local", self.plugin._play_context, None)
        self.plugin._connection.set_options(direct=dict(pipelining=True))
        self.plugin._templar = None  # not read: no test sets the opt-out variable
        self.plugin._remove_tmp_path = lambda path: None

        def execute(module_name, module_args, task_vars):
            self.calls.append((module_name, module_args))
            return copy.deepcopy(node_result)

        self.plugin._execute_module = execute

    def gather(self):
        return self.plugin._gather({})


def _node_result(pems, stores=None):
    facts = {"cluster_name": "a.example", "mapr_home": "/opt/mapr",
             "keystore": {"path": CONF + "/ssl_keystore.pem", "certificates": [pems[0][1]], "error": None}}
    result = {"changed": False, "ansible_facts": {"mapr_security": facts}}
    if stores is not None:
        result["store_data"] = _encoded(stores)
    return result


def test_the_action_opens_the_stores_here_and_never_hands_on_bytes_keys_or_the_password(pems):
    action = _Action({"truststore_password": PASSWORD, "users": ["xcsuser"]}, _node_result(pems, _stores(pems)))
    result = action.gather()
    [(module, module_args)] = action.calls
    assert module == "datafabric.crosscluster.security_facts_node"
    assert module_args == {"mapr_home": "/opt/mapr", "users": ["xcsuser"], "read_stores": True,
                           "check_password": False}
    facts = result["ansible_facts"]["mapr_security"]
    assert "store_data" not in result and "keystore" not in facts
    assert PASSWORD not in repr(result) and "PRIVATE KEY" not in repr(result)
    assert sorted(facts["truststores"]) == ["ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem"]
    assert facts["own_ca"]["error"] is None
    assert [c["pem"] for c in facts["own_ca"]["certificates"]] == [pems[0][1]]  # self-signed: itself
    assert result["changed"] is False


def test_the_action_tells_the_gate_whether_secrets_would_be_refused_here(pems):
    action = _Action({"truststore_password": PASSWORD}, _node_result(pems, _stores(pems)))
    assert action.gather()["ansible_facts"]["mapr_security"]["secret_tasks_refused"] is None
    action.plugin._connection.set_options(direct=dict(pipelining=False))
    assert action.gather()["ansible_facts"]["mapr_security"]["secret_tasks_refused"] == "pipelining is off"
    # Whatever a node says: the key is the controller's.
    node = _node_result(pems)
    node["ansible_facts"]["mapr_security"]["secret_tasks_refused"] = None
    node["ansible_facts"]["mapr_truststore_password"] = "set by the node"
    result = _Action({}, node)
    result.plugin._connection.set_options(direct=dict(pipelining=False))
    gathered = result.gather()
    assert gathered["ansible_facts"]["mapr_security"]["secret_tasks_refused"] == "pipelining is off"
    assert "mapr_truststore_password" not in gathered["ansible_facts"]


def test_the_action_without_a_password_reads_no_store(pems):
    action = _Action({}, _node_result(pems))
    facts = action.gather()["ansible_facts"]["mapr_security"]
    assert action.calls[0][1]["read_stores"] is False
    assert facts["truststores"] == {}
    assert facts["own_ca"] == {"certificates": [], "error": "not worked out: no truststore password was given"}


def _checked_on_node(pems, ok, stores=None):
    node = _node_result(pems, _stores(pems) if stores is None else stores)
    node["ansible_facts"]["mapr_security"].update(truststore_password_source=CONF + "/store-passwords.txt",
                                                  truststore_password_ok=ok)
    return node


def test_the_action_reads_the_stores_without_the_nodes_password_which_stays_there(pems):
    action = _Action({"read_truststore_password": True}, _checked_on_node(pems, True))
    result = action.gather()
    [(_module, module_args)] = action.calls
    # Nothing secret goes either way: the node only checks its own password.
    # A FIPS node's truststore would be listed there too, with that password, which also stays there.
    assert module_args == {"mapr_home": "/opt/mapr", "users": [], "read_stores": True, "check_password": True,
                           "list_bcfks": True, "fips_provider_path": None,
                           "fips_provider_class": "org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider"}
    facts = result["ansible_facts"]["mapr_security"]
    stores = facts["truststores"]
    assert stores["ssl_truststore"]["error"] is None and len(stores["ssl_truststore"]["entries"]) == 2
    assert stores["ssl_truststore.pem"]["error"] is None and len(stores["ssl_truststore.pem"]["entries"]) == 2
    # PKCS12 cannot be read without its password: known to exist, its entries unknown, no error.
    assert stores["ssl_truststore.p12"] == dict(exists=True, sha256=stores["ssl_truststore.p12"]["sha256"],
                                                store_type="pkcs12", entries=None, error=None)
    assert facts["own_ca"]["error"] is None and facts["truststore_password_ok"] is True
    assert facts["truststore_password_source"] == CONF + "/store-passwords.txt"
    assert PASSWORD not in repr(result)


def test_a_password_the_node_finds_wrong_stops_ssl_truststore(pems):
    facts = _Action({"read_truststore_password": True}, _checked_on_node(pems, False)).gather()[
        "ansible_facts"]["mapr_security"]
    error = facts["truststores"]["ssl_truststore"]["error"]
    assert error == (CONF + "/ssl_truststore: fails its JKS integrity check with the truststore password of "
                     + CONF + "/store-passwords.txt: the password is wrong or the store is "
                     "damaged. Fix: correct the password in that file or restore the store from a backup; or set "
                     "mapr_truststore_password (vault it)")
    assert facts["truststores"]["ssl_truststore"]["entries"] == []
    assert facts["own_ca"] == {"certificates": [], "error": "not worked out: ssl_truststore could not be opened"}


def test_the_action_whose_node_has_no_password_reads_no_store(pems):
    node = _node_result(pems, _stores(pems))
    node["ansible_facts"]["mapr_security"]["truststore_password_error"] = "no truststore password was found"
    facts = _Action({"read_truststore_password": True}, node).gather()["ansible_facts"]["mapr_security"]
    assert facts["truststores"] == {} and facts["truststore_password_error"] == "no truststore password was found"
    # A password given wins over the node's: the node is not asked for it.
    action = _Action({"truststore_password": PASSWORD, "read_truststore_password": True}, _node_result(pems))
    action.gather()
    assert action.calls[0][1]["check_password"] is False


def test_the_action_with_a_truststore_that_does_not_open(pems):
    facts = _Action({"truststore_password": "Wr0ng-Pass!"}, _node_result(pems, _stores(pems))).gather()[
        "ansible_facts"]["mapr_security"]
    assert facts["truststores"]["ssl_truststore"]["error"].startswith(CONF + "/ssl_truststore: the store password")
    assert facts["own_ca"] == {"certificates": [], "error": "not worked out: ssl_truststore could not be opened"}


def test_the_action_reports_an_own_ca_error_and_export_aliases(pems):
    node = _node_result(pems, _stores(pems))
    node["ansible_facts"]["mapr_security"]["keystore"].update(certificates=[], error="does not exist")
    facts = _Action({"truststore_password": PASSWORD}, node).gather()["ansible_facts"]["mapr_security"]
    assert facts["own_ca"]["certificates"] == []
    assert facts["own_ca"]["error"].startswith(CONF + "/ssl_keystore.pem: does not exist")
    facts = _Action({"truststore_password": PASSWORD, "export_aliases": ["CA1"]}, node).gather()[
        "ansible_facts"]["mapr_security"]
    assert facts["own_ca"]["error"] is None
    assert [(c["alias"], c["pem"]) for c in facts["own_ca"]["certificates"]] == [("ca1", pems[1][1])]


def test_the_action_passes_a_node_failure_on_without_store_bytes(pems):
    node = {"failed": True, "msg": "/opt/mapr/conf/mapr-clusters.conf: does not exist",
            "store_data": _encoded(_stores(pems))}
    result = _Action({"truststore_password": PASSWORD}, node).gather()
    assert result == {"failed": True, "msg": "/opt/mapr/conf/mapr-clusters.conf: does not exist"}


def test_a_node_sets_no_variable_but_its_own_namespace_and_what_else_it_sent_is_named(pems):
    # An altered interpreter or module on the node adds facts of its own: with fact injection on,
    # mapr_cluster_name would shadow the inventory's, which every export is checked against.
    node = _node_result(pems, _stores(pems))
    node["ansible_facts"].update(mapr_cluster_name="evil.example", ansible_python_interpreter="/tmp/x")
    node["ansible_facts"]["mapr_security"]["foreign_facts"] = []  # the node's word on it counts for nothing
    result = _Action({"truststore_password": PASSWORD}, node).gather()
    assert list(result["ansible_facts"]) == ["mapr_security"]
    assert result["ansible_facts"]["mapr_security"]["foreign_facts"] == ["ansible_python_interpreter",
                                                                         "mapr_cluster_name"]


def test_a_failed_node_sets_no_variable_either(pems):
    node = {"failed": True, "msg": "boom", "ansible_facts": {"mapr_cluster_name": "evil.example"}}
    result = _Action({"truststore_password": PASSWORD}, node).gather()
    assert result == {"failed": True, "msg": "boom", "dropped_variables": ["ansible_facts.mapr_cluster_name"]}
