"""_keytool against the real keytool and BCFKS stores made with Debian's Bouncy Castle provider.

libbcprov-java stands in for the bc-fips jar of a FIPS node (same BCFKS format, another provider class;
tests/lab/README.md says what differs). Every keytool call starts a JVM, so each test makes few.
"""

import base64
import datetime
import hashlib
import json
import os
import shutil
import stat
import subprocess
import threading
import time

import pytest
from ansible.module_utils import basic
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.datafabric.crosscluster.plugins.action import security_facts as security_facts_action
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _keytool as kt
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _security_facts as security_facts
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import Attributes
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import TrustStore
from ansible_collections.datafabric.crosscluster.plugins.modules import file_snapshot

KEYTOOL = shutil.which("keytool")
STANDIN_JAR = "/usr/share/java/bcprov.jar"
STANDIN_CLASS = "org.bouncycastle.jce.provider.BouncyCastleProvider"
PASSWORD = "Fips pa$$ word-1"
PASSWORD_VAR = "XC_TEST_BCFKS_PASS"

needs_keytool = pytest.mark.skipif(
    KEYTOOL is None or not os.path.isfile(STANDIN_JAR),
    reason="keytool or %s is missing: install a JDK and libbcprov-java (tests/tools/system-deps.sh)" % STANDIN_JAR)


def _cert(common_name, name=None):
    key = ec.generate_private_key(ec.SECP256R1())
    name = name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _sha(cert):
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _independent_list(store):
    """What keytool itself lists (alias -> SHA-256 of the PEM it prints), read apart from _keytool."""
    out = subprocess.run(
        [KEYTOOL, "-J-Duser.language=en", "-J-XX:-UsePerfData", "-list", "-rfc", "-keystore", store, "-storetype",
         "BCFKS", "-providerpath", STANDIN_JAR, "-providerclass", STANDIN_CLASS, "-storepass:env", PASSWORD_VAR],
        env=dict(os.environ, **{PASSWORD_VAR: PASSWORD}), capture_output=True, text=True, check=True).stdout
    found = {}
    for section in out.split("Alias name: ")[1:]:
        alias = section.splitlines()[0]
        pem = section[section.index("-----BEGIN"):section.index("-----END CERTIFICATE-----") + 25]
        found[alias] = _sha(x509.load_pem_x509_certificate(pem.encode("ascii")))
    return found


CA_A = _cert("a.lab.example CA")
CA_B = _cert("b.lab.example CA")
CA_C = _cert("c.lab.example CA")


@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    """A BCFKS truststore made by keytool alone: alias "A-CA" (mixed case, as an administrator may
    have typed it) holding CA_A."""
    if KEYTOOL is None or not os.path.isfile(STANDIN_JAR):
        pytest.skip("keytool or %s is missing: install a JDK and libbcprov-java (tests/tools/system-deps.sh)"
                    % STANDIN_JAR)
    work = tmp_path_factory.mktemp("bcfks")
    pem = work / "a.pem"
    pem.write_text(_pem(CA_A))
    store = work / "ssl_truststore.bcfks"
    subprocess.run([KEYTOOL, "-J-XX:-UsePerfData", "-importcert", "-noprompt", "-alias", "A-CA", "-file", str(pem),
                    "-keystore", str(store), "-storetype", "BCFKS", "-providerpath", STANDIN_JAR, "-providerclass",
                    STANDIN_CLASS, "-storepass:env", PASSWORD_VAR],
                   env=dict(os.environ, **{PASSWORD_VAR: PASSWORD}), capture_output=True, check=True)
    return _read(str(store))


@pytest.fixture
def node(tmp_path, base_store):
    """A node's conf/ with a copy of the base store (0644), lib/ with the provider, and an empty
    directory for the private workspaces, which must be empty again after every run."""
    conf = tmp_path / "conf"
    conf.mkdir()
    store = conf / "ssl_truststore.bcfks"
    store.write_bytes(base_store)
    os.chmod(store, 0o644)
    (tmp_path / "lib").mkdir()
    shutil.copyfile(STANDIN_JAR, tmp_path / "lib" / "bc-fips-1.0.2.jar")
    (tmp_path / "work").mkdir()
    return tmp_path


def _run(argv, before_communicate_callback=None):
    """What AnsibleModule.run_command gives the module: (rc, stdout, stderr), as text, the started
    process handed to before_communicate_callback first, as run_command does."""
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        if before_communicate_callback:
            before_communicate_callback(process)
        out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def _keytool(node, password=PASSWORD, executable=None, timeout=kt.KEYTOOL_TIMEOUT):
    provider = kt.find_provider(str(node), class_name=STANDIN_CLASS)
    return kt.Keytool(executable or KEYTOOL, provider, password, str(node / "conf" / "ssl_truststore.bcfks"), _run,
                      timeout)


def _change(node, certificates=(), remove=(), password=PASSWORD, executable=None, timeout=kt.KEYTOOL_TIMEOUT,
            **kwargs):
    imports, removals = kt.requests(certificates, remove)
    return kt.Change(_keytool(node, password, executable, timeout), imports, removals, tmp_root=str(node / "work"),
                     **kwargs).run()


def _store(node):
    return str(node / "conf" / "ssl_truststore.bcfks")


# --- no JVM ------------------------------------------------------------------------------------

def test_the_provider_is_the_one_bc_fips_jar_under_lib(tmp_path):
    lib = tmp_path / "lib"
    with pytest.raises(CrossclusterError) as err:
        kt.find_provider(str(tmp_path))
    assert err.value.path == str(lib) and "holds no bc-fips-*.jar" in err.value.problem
    assert "provider_path" in err.value.fix
    lib.mkdir()
    (lib / "bc-fips-1.0.2.jar").write_bytes(b"jar")
    found = kt.find_provider(str(tmp_path))
    assert (found.jar, found.class_name) == (str(lib / "bc-fips-1.0.2.jar"), kt.FIPS_PROVIDER_CLASS)
    (lib / "bc-fips-2.0.0.jar").write_bytes(b"jar")
    with pytest.raises(CrossclusterError) as err:
        kt.find_provider(str(tmp_path))
    assert err.value.path == str(lib)
    assert "several provider jars (bc-fips-1.0.2.jar, bc-fips-2.0.0.jar)" in err.value.problem
    # Given explicitly, path and class win over the glob; a path that is not there is refused by name.
    explicit = kt.find_provider(str(tmp_path), str(lib / "bc-fips-2.0.0.jar"), "x.Y")
    assert (explicit.jar, explicit.class_name) == (str(lib / "bc-fips-2.0.0.jar"), "x.Y")
    with pytest.raises(CrossclusterError, match="provider jar does not exist") as err:
        kt.find_provider(str(tmp_path), str(tmp_path / "nope.jar"))
    assert err.value.path == str(tmp_path / "nope.jar")


def test_the_command_carries_the_password_file_never_the_password(tmp_path):
    provider = kt.Provider("/opt/mapr/lib/bc-fips-1.0.2.jar", kt.FIPS_PROVIDER_CLASS)
    tool = kt.Keytool("/usr/bin/keytool", provider, PASSWORD, "/opt/mapr/conf/ssl_truststore.bcfks", _run)
    argv = tool.command("/tmp/x/store.bcfks", "/tmp/x/storepass", "-list", "-rfc")
    assert argv[-2:] == ["-storepass:file", "/tmp/x/storepass"]
    assert ["-storetype", "BCFKS", "-providerpath", provider.jar, "-providerclass", kt.FIPS_PROVIDER_CLASS] == \
        argv[argv.index("-storetype"):argv.index("-storetype") + 6]
    assert not [arg for arg in argv if "pa$$" in arg or arg == "-storepass"]
    # A line break would make keytool read only the password's first line: refused, and not shown.
    with pytest.raises(CrossclusterError) as err:
        kt.Keytool("/usr/bin/keytool", provider, "first\nsecond", "/opt/mapr/conf/ssl_truststore.bcfks", _run)
    assert "control character" in str(err.value) and "first" not in str(err.value) and "second" not in str(err.value)


def test_certificates_read_with_the_standard_library_match_cryptography():
    name = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stelle Köln, \"Süd\"+1")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "ops"),
                                        x509.NameAttribute(NameOID.USER_ID, "u1")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ca@example.com")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, " #lead and trail ")]),
    ])
    for cert in (_cert("x", name), CA_A):
        [parsed] = kt.pem_certificates(_pem(cert), "test")
        assert parsed.sha256 == _sha(cert)
        assert parsed.subject.rfc4514_string() == cert.subject.rfc4514_string()
        assert parsed.issuer.rfc4514_string() == cert.issuer.rfc4514_string()
        assert parsed.pem == _pem(cert)


def test_a_private_key_or_two_certificates_for_one_alias_are_refused():
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(CrossclusterError, match="holds a PRIVATE KEY block") as err:
        kt.requests([{"alias": "x", "pem": _pem(CA_A) + key}])
    assert "MII" not in str(err.value)
    with pytest.raises(CrossclusterError, match="holds 2 certificates; each alias takes exactly one"):
        kt.requests([{"alias": "x", "pem": _pem(CA_A) + _pem(CA_B)}])
    with pytest.raises(CrossclusterError, match="names neither an alias nor a sha256"):
        kt.requests([], [{"alias": None, "sha256": None}])


# --- the real keytool ----------------------------------------------------------------------------

@needs_keytool
def test_import_is_idempotent_by_fingerprint_and_keeps_mode_and_alias_rule(node):
    store = _store(node)
    done = _change(node, [{"alias": "B.Lab-CA", "pem": _pem(CA_B)}, {"alias": "again", "pem": _pem(CA_A)}],
                   backup=True)
    assert done.changed
    assert [(i["alias"], i["sha256"], i["subject"]) for i in done.outcome["imported"]] == [
        ("b.lab-ca", _sha(CA_B), "CN=b.lab.example CA")]
    assert [(i["alias"], i["reason"]) for i in done.outcome["skipped"]] == [("a-ca", "already present as alias 'a-ca'")]
    # keytool itself reads the new store: the new alias lower-case, the administrator's alias as it was.
    assert _independent_list(store) == {"A-CA": _sha(CA_A), "b.lab-ca": _sha(CA_B)}
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o644
    assert done.backup_file and os.path.exists(done.backup_file)
    assert "b.lab-ca trusted sha256:%s CN=b.lab.example CA" % _sha(CA_B) in done.diff()["after"]
    assert os.listdir(node / "work") == []

    before = _read(store)
    again = _change(node, [{"alias": "b.lab-ca", "pem": _pem(CA_B)}])
    assert not again.changed and _read(store) == before
    assert [e["alias"] for e in again.result()["entries"]] == ["a-ca", "b.lab-ca"]


@needs_keytool
def test_check_mode_plans_without_writing(node):
    store = _store(node)
    before = _read(store)
    done = _change(node, [{"alias": "c", "pem": _pem(CA_C)}], remove=[{"alias": "a-ca"}], check_mode=True)
    assert done.changed and _read(store) == before
    assert [e["alias"] for e in done.result()["entries"]] == ["c"]
    assert [r["alias"] for r in done.outcome["removed"]] == ["a-ca"]
    assert os.listdir(node / "work") == []


@needs_keytool
def test_removal_by_fingerprint_and_by_alias_with_a_stale_fingerprint(node):
    store = _store(node)
    before = _read(store)
    # The alias holds CA_A, not CA_B: the plan is stale, nothing changes.
    with pytest.raises(CrossclusterError, match="alias 'a-ca' holds the certificate sha256 %s" % _sha(CA_A)):
        _change(node, remove=[{"alias": "A-CA", "sha256": _sha(CA_B)}])
    assert _read(store) == before
    fingerprint = ":".join("%02X" % b for b in bytes.fromhex(_sha(CA_A)))
    done = _change(node, remove=[{"sha256": fingerprint}])
    assert done.changed and [r["alias"] for r in done.outcome["removed"]] == ["a-ca"]
    assert _independent_list(store) == {}


@needs_keytool
def test_a_wrong_password_is_named_and_never_shown(node):
    store = _store(node)
    before = _read(store)
    wrong = "not the right one"
    with pytest.raises(CrossclusterError) as err:
        _change(node, [{"alias": "c", "pem": _pem(CA_C)}], password=wrong)
    assert err.value.path == store
    assert "the store password is wrong" in err.value.problem and "store-passwords.txt" in err.value.fix
    assert wrong not in str(err.value) and PASSWORD not in str(err.value)
    assert _read(store) == before and os.listdir(node / "work") == []


@needs_keytool
def test_a_corrupt_store_is_named(node):
    store = _store(node)
    with open(store, "r+b") as handle:
        handle.truncate(300)
    before = _read(store)
    with pytest.raises(CrossclusterError, match="truncated or corrupt") as err:
        _change(node)
    assert err.value.path == store and "restore the store from a backup" in err.value.fix
    assert _read(store) == before and os.listdir(node / "work") == []


@needs_keytool
def test_a_provider_class_the_jar_lacks_is_named(node):
    store = _store(node)
    tool = kt.Keytool(KEYTOOL, kt.find_provider(str(node)), PASSWORD, store, _run)  # the FIPS class, not in bcprov
    with pytest.raises(CrossclusterError) as err:
        kt.Change(tool, tmp_root=str(node / "work")).run()
    assert err.value.path == store
    assert "cannot load the provider class '%s' from %s" % (kt.FIPS_PROVIDER_CLASS, tool.provider.jar) in str(err.value)
    assert "provider_class" in err.value.fix and PASSWORD not in str(err.value)


def _wrapper(node, body):
    """A keytool that logs its argv and the password file's mode, then runs ``body`` (bash)."""
    path = node / "keytool-wrapper"
    path.write_text("#!/bin/bash\nlog=%s\nprintf '%%s\\n' \"$*\" >> \"$log\"\n"
                    "for a in \"$@\"; do if [ \"$prev\" = -storepass:file ]; then"
                    " stat -c 'mode %%a' \"$a\" >> \"$log\"; fi; prev=$a; done\n%s\n" % (node / "argv.log", body))
    os.chmod(path, 0o755)
    return str(path)


@needs_keytool
def test_keytool_failing_half_way_leaves_the_store_byte_identical(node):
    """The removal and the first import ran on the copy when the second import fails."""
    store = _store(node)
    before = _read(store)
    wrapper = _wrapper(node, 'case " $* " in *" -alias zz-fail "*) echo "keytool error: java.lang.Exception: '
                             'simulated" >&2; exit 1;; esac\nexec %s "$@"' % KEYTOOL)
    with pytest.raises(CrossclusterError, match="keytool -importcert failed: keytool error: java.lang.Exception: "
                                                "simulated") as err:
        _change(node, [{"alias": "b", "pem": _pem(CA_B)}, {"alias": "zz-fail", "pem": _pem(CA_C)}],
                remove=[{"alias": "a-ca"}], executable=wrapper)
    assert err.value.path == store
    assert _read(store) == before
    assert os.listdir(node / "work") == []
    assert sorted(os.listdir(node / "conf")) == ["ssl_truststore.bcfks"]
    log = (node / "argv.log").read_text()
    assert "-delete -alias A-CA" in log and "-importcert -noprompt -alias b " in log
    assert PASSWORD not in log and "pa$$" not in log
    modes = [line for line in log.splitlines() if line.startswith("mode ")]
    assert modes and set(modes) == {"mode 600"}


@needs_keytool
def test_a_keytool_that_hangs_is_stopped_and_named(node):
    """A keytool still running after the timeout (here one that sleeps for 40 s) is killed: the task fails
    within seconds naming the store and the fix, the store byte-identical, the private directory gone."""
    store = _store(node)
    before = _read(store)
    hung = _wrapper(node, "exec sleep 40")
    started = time.monotonic()
    with pytest.raises(CrossclusterError) as err:
        _change(node, [{"alias": "b", "pem": _pem(CA_B)}], executable=hung, timeout=2)
    assert 2 <= time.monotonic() - started < 30
    assert str(err.value).startswith(store + ": keytool -list did not finish within 2 seconds and was stopped; "
                                             "nothing was written. Fix: run the same keytool command on the node by "
                                             "hand")
    assert PASSWORD not in str(err.value)
    assert _read(store) == before and os.listdir(node / "work") == []
    assert "-list -rfc" in (node / "argv.log").read_text()


@needs_keytool
def test_the_deadline_stops_a_hung_keytool_through_ansibles_own_run_command(node, monkeypatch):
    """The modules pass AnsibleModule.run_command, which has no timeout of its own: the deadline
    reaches the process through its before_communicate_callback."""
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": {}}).encode("utf-8"))
    module = basic.AnsibleModule(argument_spec={})
    provider = kt.find_provider(str(node), class_name=STANDIN_CLASS)
    tool = kt.Keytool(_wrapper(node, "exec sleep 40"), provider, PASSWORD, _store(node), module.run_command, 2)
    started = time.monotonic()
    with pytest.raises(CrossclusterError, match="keytool -list did not finish within 2 seconds and was stopped"):
        kt.read_store(tool, str(node / "work"))
    assert time.monotonic() - started < 30 and os.listdir(node / "work") == []


@needs_keytool
def test_a_keytool_that_ends_in_time_is_not_stopped(node):
    """Each call's deadline is cancelled when keytool ends: no timer thread outlives the change."""
    threads = threading.active_count()
    done = _change(node, [{"alias": "b", "pem": _pem(CA_B)}], timeout=60)
    assert done.changed and sorted(e["alias"] for e in done.result()["entries"]) == ["a-ca", "b"]
    assert threading.active_count() == threads


@needs_keytool
def test_a_store_changed_while_keytool_worked_is_not_overwritten(node):
    """Compare-and-swap: the node's store changes between the read and the write (another writer
    than this collection, which the directory lock does not stop)."""
    store = _store(node)
    wrapper = _wrapper(node, 'case " $* " in *" -importcert "*) printf x >> %s;; esac\nexec %s "$@"' % (
        store, KEYTOOL))
    with pytest.raises(kt.StoreChanged, match="changed since keytool read it") as err:
        _change(node, [{"alias": "b", "pem": _pem(CA_B)}], executable=wrapper)
    assert "nothing was written" in str(err.value)
    assert _read(store).endswith(b"x")
    assert os.listdir(node / "work") == []


@needs_keytool
def test_based_on_another_sha256_is_a_conflict(node):
    store = _store(node)
    before = _read(store)
    with pytest.raises(kt.StoreChanged, match="changed since the plan read it"):
        _change(node, [{"alias": "b", "pem": _pem(CA_B)}], based_on={store: "0" * 64})
    assert _read(store) == before
    done = _change(node, [{"alias": "b", "pem": _pem(CA_B)}],
                   based_on={store: hashlib.sha256(before).hexdigest()},
                   attributes=Attributes(mode="0640"))
    assert done.changed and stat.S_IMODE(os.stat(store).st_mode) == 0o640


# --- the gather's listing of a FIPS node's truststore (security_facts) ------------------------

def _gather_listing(node, password=None, provider_class=STANDIN_CLASS, calls=None):
    def run(argv, **kwargs):
        if calls is not None:
            calls.append(list(argv))
        return _run(argv, **kwargs)
    return security_facts.bcfks_truststore(str(node), run, password, provider_class=provider_class,
                                           tmp_root=str(node / "work"))


@needs_keytool
def test_the_gather_lists_the_bcfks_store_with_the_password_the_node_keeps(node):
    (node / "conf" / "store-passwords.txt").write_text("ssl.client.truststore.password=%s\n" % PASSWORD)
    calls = []
    listed = _gather_listing(node, calls=calls)
    assert listed["error"] is None and listed["exists"] is True
    assert listed["sha256"] == hashlib.sha256(_read(_store(node))).hexdigest()
    assert listed["provider"] == {"path": str(node / "lib" / "bc-fips-1.0.2.jar"), "class": STANDIN_CLASS}
    # One JVM; the password in a file, never on the command line; the private workspace removed.
    assert len(calls) == 1 and "-storepass:file" in calls[0]
    assert not [arg for arg in calls[0] if PASSWORD in arg]
    assert os.listdir(node / "work") == []
    assert [(e["alias"], e["type"]) for e in listed["entries"]] == [("a-ca", "trusted")]
    # The controller's view: the same entry shape as the other stores (validity included), and the
    # certificate the own CA walk may climb through.
    info, trusted = security_facts_action.bcfks_store(listed)
    held = TrustStore.load(_pem(CA_A).encode("ascii"), "pem", None, "ca.pem").describe()[0]
    assert info["entries"] == [dict(held, alias="a-ca", type="trusted")]
    assert info["store_type"] == "bcfks" and info["error"] is None
    assert [(alias, cert.sha256) for alias, cert in trusted] == [("a-ca", _sha(CA_A))]


@needs_keytool
def test_the_gather_names_a_bcfks_store_keytool_cannot_open(node):
    wrong = "not the right one"
    listed = _gather_listing(node, password=wrong)
    assert listed["exists"] is True and listed["entries"] == [] and listed["sha256"] is None
    assert listed["error"].startswith(_store(node) + ": keytool cannot open the BCFKS store: the store password is "
                                                     "wrong")
    assert wrong not in listed["error"] and PASSWORD not in listed["error"]
    info, trusted = security_facts_action.bcfks_store(listed)
    assert info["entries"] is None and info["error"] == listed["error"] and trusted == []
    # A provider class the jar lacks is named too, with the variable that fixes it.
    listed = _gather_listing(node, password=PASSWORD, provider_class=kt.FIPS_PROVIDER_CLASS)
    assert "cannot load the provider class" in listed["error"] and "provider_class" in listed["error"]
    assert os.listdir(node / "work") == []


def test_the_gather_starts_no_jvm_without_a_bcfks_store(tmp_path):
    calls = []
    listed = _gather_listing(tmp_path, password=PASSWORD, calls=calls)
    assert listed == dict(path=str(tmp_path / "conf" / "ssl_truststore.bcfks"), exists=False, sha256=None,
                          entries=[], error=None, provider=None)
    assert calls == []
    info, trusted = security_facts_action.bcfks_store(listed)
    assert info["exists"] is False and info["store_type"] is None and trusted == []


@needs_keytool
def test_the_gather_names_a_node_that_keeps_no_password(node):
    listed = _gather_listing(node)
    assert listed["exists"] is True and listed["entries"] == []
    assert "no truststore password was given and none was found on the node" in listed["error"]


# --- file_snapshot's one write of a FIPS node: the store, its siblings and the conf together ----

class _SnapshotModule:
    """What file_snapshot's replace() uses of its AnsibleModule."""

    def __init__(self, node, check_mode=False, executable=None, password=PASSWORD, **params):
        self.check_mode = check_mode
        self.tmpdir = str(node / "work")
        self.run_command = _run
        self.params = dict(state="replace", contents={}, expected={}, create=False, backup=False, mode=None,
                           owner=None, group=None, bcfks_password=password, truststore_password_from=None)
        self.params.update(params)
        self.params["bcfks"] = dict(dict(
            path=_store(node), certificates=[], remove=[], mapr_home=str(node), provider_path=None,
            provider_class=STANDIN_CLASS, keytool=executable or KEYTOOL), **self.params.get("bcfks") or {})


def _one_write(node, conf_after, certificates, **kwargs):
    """file_snapshot's replace of the store (keytool) and conf/mapr-clusters.conf (new bytes given)."""
    store, conf = _store(node), str(node / "conf" / "mapr-clusters.conf")
    expected = {store: hashlib.sha256(_read(store)).hexdigest(), conf: hashlib.sha256(_read(conf)).hexdigest()}
    module = _SnapshotModule(node, paths=[store, conf], expected=expected, bcfks=dict(certificates=certificates),
                             contents={conf: base64.b64encode(conf_after).decode("ascii")}, **kwargs)
    return file_snapshot.replace(module)


@pytest.fixture
def conf(node):
    path = node / "conf" / "mapr-clusters.conf"
    path.write_bytes(b"a.lab.example secure=true a1:7222\n")
    return path


@needs_keytool
def test_one_write_replaces_the_store_and_the_conf_together(node, conf):
    new_conf = conf.read_bytes() + b"b.lab.example secure=true b1:7222\n"
    before = _read(_store(node))
    checked = _one_write(node, new_conf, [{"alias": "b", "pem": _pem(CA_B)}], check_mode=True)
    assert checked["changed"] and checked["bcfks"]["changed"] and "b trusted sha256:" in checked["bcfks"]["after"]
    assert _read(_store(node)) == before and conf.read_bytes() != new_conf
    done = _one_write(node, new_conf, [{"alias": "b", "pem": _pem(CA_B)}], backup=True)
    assert done["changed"] and done["conflict"] is False
    assert [item["alias"] for item in done["bcfks"]["imported"]] == ["b"]
    assert _independent_list(_store(node)) == {"A-CA": _sha(CA_A), "b": _sha(CA_B)}
    assert conf.read_bytes() == new_conf
    assert sorted(done["backup_files"]) == sorted([_store(node), str(conf)])
    assert _read(done["backup_files"][_store(node)]) == before
    assert os.listdir(node / "work") == []
    # Nothing left to do: keytool lists, nothing is written.
    again = _one_write(node, new_conf, [{"alias": "b", "pem": _pem(CA_B)}])
    assert not again["changed"] and not again["bcfks"]["changed"] and again["backup_files"] == {}


@needs_keytool
def test_one_write_that_fails_in_keytool_leaves_the_store_and_the_conf_byte_identical(node, conf):
    before = (_read(_store(node)), conf.read_bytes())
    wrapper = _wrapper(node, 'case " $* " in *" -alias zz-fail "*) echo "keytool error: java.lang.Exception: '
                             'simulated" >&2; exit 1;; esac\nexec %s "$@"' % KEYTOOL)
    with pytest.raises(CrossclusterError, match="keytool -importcert failed"):
        _one_write(node, before[1] + b"b.lab.example secure=true b1:7222\n",
                   [{"alias": "b", "pem": _pem(CA_B)}, {"alias": "zz-fail", "pem": _pem(CA_C)}], executable=wrapper)
    assert (_read(_store(node)), conf.read_bytes()) == before
    assert os.listdir(node / "work") == [] and sorted(os.listdir(node / "conf")) == [
        "mapr-clusters.conf", "ssl_truststore.bcfks"]


@needs_keytool
def test_one_write_is_a_conflict_when_the_conf_changes_while_keytool_works(node, conf):
    """MapR's own tools take no lock: the conf changed after keytool's import is not overwritten,
    and the store keytool changed in its copy is not written either."""
    store_before = _read(_store(node))
    wrapper = _wrapper(node, 'case " $* " in *" -importcert "*) printf "# other\\n" >> %s;; esac\nexec %s "$@"' % (
        conf, KEYTOOL))
    conf_before = conf.read_bytes()
    result = _one_write(node, conf_before + b"b.lab.example secure=true b1:7222\n",
                        [{"alias": "b", "pem": _pem(CA_B)}], executable=wrapper)
    assert result["conflict"] and result["failed"] and "mapr-clusters.conf changed since it was read" in result["msg"]
    assert _read(_store(node)) == store_before and conf.read_bytes() == conf_before + b"# other\n"
    assert os.listdir(node / "work") == []


def test_one_write_refuses_a_bcfks_store_it_does_not_lock(tmp_path):
    (tmp_path / "work").mkdir()
    module = _SnapshotModule(tmp_path, paths=[str(tmp_path / "conf" / "mapr-clusters.conf")])
    with pytest.raises(CrossclusterError, match="bcfks names .*ssl_truststore.bcfks, which is not in paths"):
        file_snapshot.replace(module)
