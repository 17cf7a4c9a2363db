"""The truststore password from a FIPS node's Hadoop credential store (maprtrustcreds.bcfks), read by the
node's JVM with the provider jar, against stores the JDK writes as Hadoop's credential provider does
(tests/lab/CredentialStore.java, Debian's bcprov standing in for bc-fips as in the lab).

The secret goes to the reader on stdin and comes back on stdout: each test that runs the JVM checks what
reached its command line and what it left behind. One JVM run writes each store, two at a time: each
start costs seconds on a shared machine.
"""

import concurrent.futures
import os
import shutil
import subprocess

import pytest
from lab.labkit.credstore import BCFKS_NAME, TRUST_ALIASES, write_credential_store
from lab.labkit.fips import STANDIN_JAR
from lab.labkit.node.mapr_node import PROVIDER_CLASS

from ansible_collections.datafabric.crosscluster.plugins.module_utils._bcfks_credential_store import (
    NOT_A_CREDENTIAL,
    READER_CLASS,
    SECRET_MARKER,
    NodeCredentialStore,
    _failure,
    find_java,
    read_credential,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import Provider
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import (
    check_truststore_password,
    read_truststore_password,
)

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or not os.path.isfile(STANDIN_JAR),
    reason="no JDK or no %s (libbcprov-java): the stores are written and read by the JVM" % STANDIN_JAR)

SECRET = "Tr=ust-\u00e9t\u00e9 \u20ac 1"  # '=', a space and non-ASCII: the UTF-8 bytes Hadoop stores
OWN_PASSWORD = "not-the-default"
SHOWN = "/opt/mapr/conf/" + BCFKS_NAME


class Runner:
    """AnsibleModule.run_command's contract (stdin text with a line end added), recording each call."""

    def __init__(self):
        self.calls = []

    def __call__(self, argv, data=None):
        self.calls.append((list(argv), data))
        result = subprocess.run(argv, input=(data + "\n").encode("utf-8"), capture_output=True, timeout=120,
                                check=False)
        return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """{name: bytes}: as manageSSLKeys.sh createcreds writes it on a FIPS node; protected with a password of
    its own; holding only the client alias; holding neither alias."""
    base = tmp_path_factory.mktemp("bcfks-credstores")
    specs = dict(
        default=(dict((alias, SECRET) for alias in TRUST_ALIASES), None),
        own_password=(dict((alias, SECRET) for alias in TRUST_ALIASES), OWN_PASSWORD),
        client_only=({TRUST_ALIASES[1]: SECRET}, None),
        keystore_only=({"ssl.server.keystore.password": SECRET}, None),
    )

    def write(name):
        write_credential_store(str(base / name), *specs[name], provider_jar=STANDIN_JAR)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two JVMs at a time: the machine is shared
        list(pool.map(write, specs))
    return dict((name, (base / name).read_bytes()) for name in specs)


@pytest.fixture
def read(tmp_path):
    """read_credential with the lab's provider, the JDK on the PATH and a private tmp root; it returns
    (secret or the CrossclusterError raised, the Runner)."""
    work = tmp_path / "work"
    work.mkdir()

    def call(data, **kwargs):
        runner = Runner()
        provider = kwargs.pop("provider", Provider(STANDIN_JAR, PROVIDER_CLASS))
        try:
            outcome = read_credential(data, SHOWN, find_java(shutil.which("keytool")), provider, runner,
                                      str(work), **kwargs)
        except CrossclusterError as err:
            outcome = err
        # The private directory (the reader's source, the store's copy) is gone whatever happened.
        assert os.listdir(str(work)) == []
        for argv, stdin in runner.calls:
            assert SECRET not in " ".join(argv) and OWN_PASSWORD not in " ".join(argv)
            assert stdin.split("\n")[1:] == list(kwargs.get("aliases", TRUST_ALIASES))
        return outcome, runner

    return call


def test_the_secret_of_a_store_as_7x_writes_it_on_a_fips_node(stores, read):
    secret, runner = read(stores["default"])
    assert secret == SECRET
    [(argv, stdin)] = runner.calls
    # The JVM as keytool's: no perf data (no /tmp/hsperfdata_<user>), English; the provider on the class path.
    assert "-XX:-UsePerfData" in argv and "-Duser.language=en" in argv
    assert argv[argv.index("-cp") + 1] == STANDIN_JAR and argv[-1] == PROVIDER_CLASS
    assert argv[-3].endswith("/%s.java" % READER_CLASS)
    assert stdin.split("\n")[0] == "none"  # Hadoop's default credential store password
    assert read(stores["client_only"])[0] == SECRET
    assert SECRET.encode("utf-8") not in stores["default"]


def test_a_store_with_a_password_of_its_own_is_named_never_opened(stores, read):
    err, _runner = read(stores["own_password"])
    assert str(err) == (
        "%s: does not open with Hadoop's default credential store password: it is protected with a password of "
        "its own (HADOOP_CREDSTORE_PASSWORD or a password file), which the collection does not have, or it is "
        "damaged; no other source has the truststore password. Fix: set mapr_truststore_password (vault it)"
        % SHOWN)
    assert read(stores["own_password"], password=OWN_PASSWORD)[0] == SECRET


def test_a_store_without_the_aliases_is_named_with_them(stores, read):
    err, _runner = read(stores["keystore_only"])
    assert str(err) == ("%s: holds no ssl.server.truststore.password or ssl.client.truststore.password. Fix: "
                        "recreate it with manageSSLKeys.sh createcreds, or set mapr_truststore_password (vault it)"
                        % SHOWN)


def test_a_damaged_store_and_a_wrong_provider_are_named(stores, read):
    err, _runner = read(stores["default"][:200])
    assert str(err).startswith("%s: is no readable BCFKS credential store (the provider '%s' cannot load it"
                               % (SHOWN, PROVIDER_CLASS)), str(err)
    err, _runner = read(stores["default"], provider=Provider(STANDIN_JAR, "org.example.NoSuchProvider"))
    assert str(err).startswith("%s: cannot be read: the JVM cannot load the provider class "
                               "'org.example.NoSuchProvider' from %s. Fix: set provider_class" % (SHOWN, STANDIN_JAR))
    err, _runner = read(stores["default"], provider=Provider(STANDIN_JAR, "java.lang.String"))
    assert "cannot load the provider class 'java.lang.String'" in str(err)


def test_the_node_reads_it_last_and_once_for_every_caller(stores, tmp_path):
    home = tmp_path / "mapr"
    (home / "conf").mkdir(parents=True)
    (home / "lib").mkdir()
    shutil.copyfile(STANDIN_JAR, str(home / "lib" / "bc-fips-1.0.2.jar"))
    (home / "conf" / BCFKS_NAME).write_bytes(stores["default"])
    conf = str(home / "conf")
    runner = Runner()
    credentials = NodeCredentialStore(str(home), runner, provider_class=PROVIDER_CLASS, tmp_root=str(tmp_path))
    assert read_truststore_password(conf, credentials.open) == (SECRET, None, os.path.join(conf, BCFKS_NAME))
    # The gather's password check (no JKS store on a FIPS node to check it against) and its listing: one JVM.
    assert check_truststore_password(conf, open_bcfks=credentials.open) == (None, os.path.join(conf, BCFKS_NAME))
    assert len(runner.calls) == 1
    # A text source still comes first: no JVM for it.
    (home / "conf" / "store-passwords.txt").write_text("ssl.client.truststore.password=from-the-text\n")
    assert read_truststore_password(conf, NodeCredentialStore(str(home), runner).open)[0] == "from-the-text"
    assert len(runner.calls) == 1
    # A refusal is remembered too, and raised to every caller.
    os.unlink(str(home / "conf" / "store-passwords.txt"))
    (home / "conf" / BCFKS_NAME).write_bytes(stores["own_password"])
    refusing = NodeCredentialStore(str(home), runner, provider_class=PROVIDER_CLASS, tmp_root=str(tmp_path))
    for _attempt in range(2):
        with pytest.raises(CrossclusterError, match="does not open with Hadoop's default credential store password"):
            read_truststore_password(conf, refusing.open)
    assert len(runner.calls) == 2


def test_java_is_found_beside_keytool_or_beside_where_its_link_leads(tmp_path):
    jdk = tmp_path / "jdk" / "bin"
    jdk.mkdir(parents=True)
    for name in ("keytool", "java"):
        (jdk / name).write_text("#!/bin/sh\n")
        (jdk / name).chmod(0o755)
    links = tmp_path / "bin"
    links.mkdir()
    (links / "keytool").symlink_to(jdk / "keytool")
    assert find_java(str(links / "keytool")) == str(jdk / "java")
    (jdk / "java").unlink()
    with pytest.raises(CrossclusterError) as err:
        find_java(str(links / "keytool"))
    assert str(err.value) == (
        "%s: the JDK of this keytool has no java beside it, which reads the FIPS node's credential store "
        "maprtrustcreds.bcfks. Fix: set keytool to the keytool of a full JDK (11 or later), or set "
        "mapr_truststore_password (vault it)" % (links / "keytool"))


def test_failures_the_exit_code_does_not_name_are_worded_without_the_secret():
    provider = Provider("/opt/mapr/lib/bc-fips-1.0.2.jar", PROVIDER_CLASS)
    old_jdk = _failure(1, "Error: Could not find or load main class CredentialRead.java", SHOWN, provider,
                       TRUST_ALIASES)
    assert str(old_jdk) == ("%s: cannot be read: the node's java is older than JDK 11 and cannot run the "
                            "collection's reader (a Java source file). Fix: set keytool to the keytool of a JDK 11 "
                            "or later, or set mapr_truststore_password (vault it)" % SHOWN)
    other = _failure(134, "# A fatal error has been detected\n#  SIGSEGV", SHOWN, provider, TRUST_ALIASES)
    assert str(other).startswith("%s: cannot be read: the JVM that reads it failed (exit 134): # A fatal error has "
                                 "been detected # SIGSEGV. Fix:" % SHOWN), str(other)
    entry = _failure(NOT_A_CREDENTIAL, "", SHOWN, provider, TRUST_ALIASES[1:])
    assert str(entry).startswith("%s: is no readable BCFKS credential store (its entry ssl.client.truststore."
                                 "password is no Hadoop credential" % SHOWN)


def test_a_reader_that_fails_after_printing_the_secret_never_shows_it(tmp_path):
    """Only what the JVM printed before the marker (its own messages) may reach a message."""
    provider = Provider("/opt/mapr/lib/bc-fips-1.0.2.jar", PROVIDER_CLASS)

    def crashing(_argv, data=None):
        del data
        return 134, "# A fatal error has been detected\n" + SECRET_MARKER + SECRET, "#  SIGSEGV"

    with pytest.raises(CrossclusterError) as err:
        read_credential(b"store", SHOWN, "/usr/bin/java", provider, crashing, tmp_root=str(tmp_path))
    assert SECRET not in str(err.value) and "A fatal error has been detected" in str(err.value)

    def printing(_argv, data=None):
        del data
        return 0, SECRET_MARKER + SECRET, ""

    assert read_credential(b"store", SHOWN, "/usr/bin/java", provider, printing, tmp_root=str(tmp_path)) == SECRET
    assert os.listdir(str(tmp_path)) == []
