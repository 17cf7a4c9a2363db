"""The truststore password from a Hadoop credential store (maprtrustcreds.jceks), against stores the JDK
writes as Hadoop's JavaKeyStoreProvider does (tests/lab/CredentialStore.java): the node's check that the
store opens with Hadoop's default password, and the controller's decoding with pyjks.

One JVM run writes all the stores, once per module: each start costs seconds.
"""

import concurrent.futures
import os
import shutil

import pytest
from lab.labkit.credstore import TRUST_ALIASES, write_credential_store

from ansible_collections.datafabric.crosscluster.plugins.module_utils._credential_store import (
    credential_store_password,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import (
    check_truststore_password,
    read_truststore_password,
)

pytestmark = pytest.mark.skipif(shutil.which("java") is None,
                                reason="no JDK: the credential stores are written by the JVM as Hadoop writes them")

SECRET = "Tr=ust-\u00e9t\u00e9 \u20ac 1"  # '=', a space and non-ASCII: the UTF-8 bytes Hadoop stores
OWN_PASSWORD = "not-the-default"


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """{name: bytes}: as manageSSLKeys.sh createcreds writes it; protected with a password of its own;
    holding only the client alias; holding neither alias."""
    base = tmp_path_factory.mktemp("credstores")
    specs = dict(
        default=(dict((alias, SECRET) for alias in TRUST_ALIASES), None),
        own_password=(dict((alias, SECRET) for alias in TRUST_ALIASES), OWN_PASSWORD),
        client_only=({TRUST_ALIASES[1]: SECRET}, None),
        keystore_only=({"ssl.server.keystore.password": SECRET}, None),
    )
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two JVMs at a time: the machine is shared
        list(pool.map(lambda name: write_credential_store(str(base / name), *specs[name]), specs))
    return dict((name, (base / name).read_bytes()) for name in specs)


def test_the_secret_of_a_store_as_7x_writes_it(stores):
    assert credential_store_password(stores["default"], "/c/maprtrustcreds.jceks") == SECRET
    assert credential_store_password(stores["client_only"], "/c/maprtrustcreds.jceks") == SECRET
    # The secret is sealed: its bytes are nowhere in the file.
    assert SECRET.encode("utf-8") not in stores["default"]


def test_a_store_with_a_password_of_its_own_is_named_never_opened(stores):
    with pytest.raises(CrossclusterError) as err:
        credential_store_password(stores["own_password"], "/c/maprtrustcreds.jceks")
    assert str(err.value).startswith("/c/maprtrustcreds.jceks: does not open with Hadoop's default credential "
                                     "store password")
    assert str(err.value).endswith("Fix: set mapr_truststore_password (vault it)")
    assert credential_store_password(stores["own_password"], "/c/x", password=OWN_PASSWORD) == SECRET


def test_a_store_without_the_aliases_or_no_store_at_all(stores):
    with pytest.raises(CrossclusterError, match=r"^/c/x: holds no ssl.server.truststore.password or "
                                                r"ssl.client.truststore.password. Fix: recreate it") as err:
        credential_store_password(stores["keystore_only"], "/c/x")
    assert SECRET not in str(err.value)
    with pytest.raises(CrossclusterError, match=r"^/c/x: is no readable JCEKS credential store"):
        credential_store_password(b"\xce\xce\xce\xce\x00\x00\x00\x02", "/c/x")
    with pytest.raises(CrossclusterError, match=r"^/c/x: is no readable JCEKS credential store"):
        credential_store_password(b"not a store at all, just text", "/c/x")


def _conf(tmp_path, store):
    (tmp_path / "maprtrustcreds.jceks").write_bytes(store)
    return str(tmp_path)


def test_the_node_reads_the_credential_store_only_when_no_text_source_has_it(tmp_path, stores):
    conf = _conf(tmp_path, stores["default"])
    password, store, path = read_truststore_password(conf)
    assert (password, store, path) == (None, stores["default"], os.path.join(conf, "maprtrustcreds.jceks"))
    # Checked on the node only as far as it can be: the password is sealed (3DES), the controller opens it.
    assert check_truststore_password(conf) == (None, os.path.join(conf, "maprtrustcreds.jceks"))
    (tmp_path / "store-passwords.txt").write_text("ssl.client.truststore.password=from-text\n")
    assert read_truststore_password(conf) == ("from-text", None, os.path.join(conf, "store-passwords.txt"))


def test_the_node_names_a_credential_store_it_cannot_open_and_the_fix(tmp_path, stores):
    conf = _conf(tmp_path, stores["own_password"])
    with pytest.raises(CrossclusterError) as err:
        read_truststore_password(conf)
    message = str(err.value)
    assert message.startswith("%s: does not open with Hadoop's default credential store password: it is protected "
                              "with a password of its own (HADOOP_CREDSTORE_PASSWORD or a password file)"
                              % os.path.join(conf, "maprtrustcreds.jceks")), message
    assert message.endswith("Fix: set mapr_truststore_password (vault it)") and SECRET not in message
    (tmp_path / "maprtrustcreds.jceks").write_bytes(b"\xfe\xed\xfe\xed" + stores["default"][4:])
    with pytest.raises(CrossclusterError, match="is no JCEKS credential store"):
        read_truststore_password(conf)


def test_a_bcfks_credential_store_without_the_nodes_jvm_is_named_with_every_source_tried(tmp_path):
    # Where no BCFKS truststore is at hand (no open_bcfks), as on the JKS path: named, never opened.
    (tmp_path / "maprtrustcreds.bcfks").write_bytes(b"0\x82\x01\x00 a BCFKS store")
    with pytest.raises(CrossclusterError) as err:
        read_truststore_password(str(tmp_path))
    message = str(err.value)
    assert message.startswith("%s: is a BCFKS credential store (FIPS node), which the collection opens only for "
                              "the node's BCFKS truststore (ssl_truststore.bcfks)"
                              % (tmp_path / "maprtrustcreds.bcfks")), message
    for name in ("store-passwords.txt", "ssl-server.xml", "maprtrustcreds.jceks"):
        assert "%s does not exist" % (tmp_path / name) in message, name
    assert message.endswith("Fix: set mapr_truststore_password (vault it)")
