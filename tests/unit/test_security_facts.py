"""security_facts' gathering, on a node tree built here (no Ansible)."""

import os

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils.errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils.properties import parse_properties
from ansible_collections.datafabric.crosscluster.plugins.module_utils.security_facts import gather

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
