"""Reading the truststore password where MapR keeps it on a node: store-passwords.txt, ssl-server.xml."""


import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._hadoop_xml import parse_hadoop_xml
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import (
    check_truststore_password,
    jks_password_opens,
    read_truststore_password,
)

SECRET = "S3cr3t-Tr=ust"
XML = """<?xml version="1.0"?>
<configuration>
  <property><name>ssl.server.keystore.password</name><value>other</value></property>
  <property>
    <name>ssl.server.truststore.password</name>
    <value>%s</value>
  </property>
</configuration>
""" % SECRET


def test_store_passwords_txt_first_server_key_then_client_key(tmp_path):
    (tmp_path / "store-passwords.txt").write_text("ssl.server.keystore.password=k\nssl.client.truststore.password=%s\n"
                                                  % SECRET)
    (tmp_path / "ssl-server.xml").write_text(XML.replace(SECRET, "from-xml"))
    assert read_truststore_password(str(tmp_path)) == (SECRET, None, str(tmp_path / "store-passwords.txt"))
    (tmp_path / "store-passwords.txt").write_text("ssl.server.truststore.password=first\n"
                                                  "ssl.client.truststore.password=second\n")
    assert read_truststore_password(str(tmp_path))[0] == "first"


def test_ssl_server_xml_when_store_passwords_txt_lacks_it(tmp_path):
    (tmp_path / "ssl-server.xml").write_text(XML)
    assert read_truststore_password(str(tmp_path)) == (SECRET, None, str(tmp_path / "ssl-server.xml"))
    (tmp_path / "store-passwords.txt").write_text("ssl.server.keystore.password=k\n")
    assert read_truststore_password(str(tmp_path)) == (SECRET, None, str(tmp_path / "ssl-server.xml"))


def test_neither_source_names_both_and_why_never_a_value(tmp_path):
    (tmp_path / "store-passwords.txt").write_text("ssl.server.keystore.password=%s\n" % SECRET)
    with pytest.raises(CrossclusterError) as err:
        read_truststore_password(str(tmp_path))
    message = str(err.value)
    assert "store-passwords.txt has no ssl.server.truststore.password or ssl.client.truststore.password" in message
    assert "ssl-server.xml does not exist" in message and "maprtrustcreds.jceks does not exist" in message
    assert "Fix: set mapr_truststore_password (vault it)" in message and SECRET not in message


def test_a_broken_ssl_server_xml_is_named_by_line_without_its_content(tmp_path):
    (tmp_path / "ssl-server.xml").write_text("<configuration>\n<property><name>x</name><value>%s</value>\n"
                                             "</configuration>\n" % SECRET)
    with pytest.raises(CrossclusterError) as err:
        read_truststore_password(str(tmp_path))
    assert "ssl-server.xml, line 3: is not well-formed XML" in str(err.value) and SECRET not in str(err.value)


def test_hadoop_xml_refuses_entities_and_other_roots():
    with pytest.raises(CrossclusterError, match="declares a DOCTYPE"):
        parse_hadoop_xml('<!DOCTYPE x [<!ENTITY a "b">]><configuration/>', path="f.xml")
    with pytest.raises(CrossclusterError, match="its root element is not <configuration>") as err:
        parse_hadoop_xml("<%s/>" % SECRET.replace("=", "-"), path="f.xml")
    assert SECRET.replace("=", "-") not in str(err.value)
    assert parse_hadoop_xml("<configuration><property><name>a</name><value>1</value></property>"
                            "<property><name>a</name><value>2</value></property>"
                            "<property><name></name><value>3</value></property></configuration>") == {"a": "2"}


def _jks(password, entries=2):
    import datetime

    import jks
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ders = []
    for n in range(entries):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA %d" % n)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(n + 1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                .sign(key, hashes.SHA256()))
        ders.append(cert.public_bytes(serialization.Encoding.DER))
    return jks.KeyStore.new("jks", [jks.TrustedCertEntry.new("ca%d" % n, d) for n, d in enumerate(ders)]).saves(
        password)


@pytest.mark.parametrize("password", [SECRET, "", "pässwörd-ünïcode-€", "x" * 200])
def test_the_jks_digest_computed_here_is_the_one_pyjks_checks(password):
    import jks

    data = _jks(password)
    assert jks_password_opens(data, password) is True
    jks.KeyStore.loads(data, password)  # pyjks agrees: its integrity check passes with this password
    assert jks_password_opens(data, password + "x") is False
    with pytest.raises(jks.util.KeystoreSignatureException):
        jks.KeyStore.loads(data, password + "x")


def test_a_damaged_or_other_store_is_not_opened():
    data = _jks(SECRET)
    assert jks_password_opens(data[:-1], SECRET) is False  # truncated
    assert jks_password_opens(data[:40] + bytes([data[40] ^ 1]) + data[41:], SECRET) is False  # a bit flipped
    assert jks_password_opens(data + b"\0", SECRET) is False  # trailing bytes
    assert jks_password_opens(None, SECRET) is None
    assert jks_password_opens(b"0\x82\x01\x00not a jks", SECRET) is None  # PKCS12 and others: not checkable
    assert jks_password_opens(data[:8], SECRET) is None  # too short to hold a digest


def test_check_truststore_password_returns_no_password(tmp_path):
    (tmp_path / "store-passwords.txt").write_text("ssl.client.truststore.password=%s\n" % SECRET)
    (tmp_path / "ssl_truststore").write_bytes(_jks(SECRET))
    result = check_truststore_password(str(tmp_path))
    assert result == (True, str(tmp_path / "store-passwords.txt")) and SECRET not in repr(result)
    (tmp_path / "ssl_truststore").write_bytes(_jks("another"))
    assert check_truststore_password(str(tmp_path))[0] is False
    (tmp_path / "ssl_truststore").unlink()
    assert check_truststore_password(str(tmp_path))[0] is None


@pytest.mark.parametrize("name", ["store-passwords.txt", "ssl-server.xml"])
def test_a_non_utf8_byte_of_a_password_file_is_named_by_line_and_column_never_shown(tmp_path, name):
    # A Latin-1 password: the bad byte is part of the secret, so neither it nor its value is shown.
    secret = "Gr\u00fcn-" + SECRET
    text = ("ssl.client.truststore.password=%s\n" % secret if name.endswith(".txt")
            else "\n" + XML.replace(SECRET, secret))
    (tmp_path / name).write_bytes(text.encode("latin-1"))
    with pytest.raises(CrossclusterError) as err:
        read_truststore_password(str(tmp_path))
    message = str(err.value)
    line, column = (1, 34) if name.endswith(".txt") else (7, 14)
    assert "%s, line %d: is not UTF-8 text: the byte at column %d cannot be decoded" % (
        tmp_path / name, line, column) in message
    for shown in ("0xFC", "0xfc", "\\xfc", "\u00fc", "Gr", SECRET):
        assert shown not in message, shown
