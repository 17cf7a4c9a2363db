"""Reading the truststore password where MapR keeps it on a node: store-passwords.txt, ssl-server.xml."""

import base64

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._hadoop_xml import parse_hadoop_xml
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import read_truststore_password

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
    assert read_truststore_password(str(tmp_path)) == (SECRET, str(tmp_path / "store-passwords.txt"))
    (tmp_path / "store-passwords.txt").write_text("ssl.server.truststore.password=first\n"
                                                  "ssl.client.truststore.password=second\n")
    assert read_truststore_password(str(tmp_path))[0] == "first"


def test_ssl_server_xml_when_store_passwords_txt_lacks_it(tmp_path):
    (tmp_path / "ssl-server.xml").write_text(XML)
    assert read_truststore_password(str(tmp_path)) == (SECRET, str(tmp_path / "ssl-server.xml"))
    (tmp_path / "store-passwords.txt").write_text("ssl.server.keystore.password=k\n")
    assert read_truststore_password(str(tmp_path)) == (SECRET, str(tmp_path / "ssl-server.xml"))


def test_neither_source_names_both_and_why_never_a_value(tmp_path):
    (tmp_path / "store-passwords.txt").write_text("ssl.server.keystore.password=%s\n" % SECRET)
    with pytest.raises(CrossclusterError) as err:
        read_truststore_password(str(tmp_path))
    message = str(err.value)
    assert "store-passwords.txt has no ssl.server.truststore.password or ssl.client.truststore.password" in message
    assert "ssl-server.xml does not exist" in message
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


def test_a_sealed_secret_opens_with_its_key_only_and_shows_nothing_of_it():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._sealed import new_key, seal, unseal

    key, other = new_key(), new_key()
    secret = SECRET * 5 + " ünïcode"
    sealed = seal(secret, key)
    assert unseal(sealed, key) == secret
    assert SECRET not in sealed and SECRET.encode() not in base64.b64decode(sealed)
    with pytest.raises(ValueError, match="does not match its key"):
        unseal(sealed, other)
    raw = bytearray(base64.b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(ValueError):
        unseal(base64.b64encode(bytes(raw)).decode(), key)
    # A fresh key each time: the same secret never seals the same way twice.
    assert seal(secret, new_key()) != seal(secret, new_key())


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
