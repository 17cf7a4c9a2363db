"""peer_trust on a lab FIPS node (local mode): one node call writes the BCFKS store (the node's
keytool on a private copy), its PEM sibling and mapr-clusters.conf together, and a write that fails
after keytool changed its copy leaves every file of the node byte-identical.

Debian's bcprov stands in for the bc-fips jar (tests/lab/README.md), so the task names its class.
"""

import os
import shutil

import pytest
from ansible_run import run_playbook
from lab.labkit import Lab, checks, fips, handtrust
from procwatch import ProcessWatch
from test_lab_local import login

pytest_plugins = ["lab.fixtures"]

STANDIN_CLASS = "org.bouncycastle.jce.provider.BouncyCastleProvider"
FILES = ("ssl_truststore.bcfks", "ssl_truststore.pem", "mapr-clusters.conf")
# What the stand-in for a concurrent writer (MapR's own tools take no lock) appends while keytool runs.
OTHER_WRITER = b"# changed by another writer\n"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Cluster a is FIPS, b is not; one node each."""
    if not os.path.isfile(fips.STANDIN_JAR):
        pytest.skip("%s is missing: libbcprov-java is not installed (make system-deps, as root)" % fips.STANDIN_JAR)
    lab = Lab(str(tmp_path_factory.mktemp("lab-peer-fips")), clusters=2, nodes=1, mode="local", fips=["a"])
    with lab.up():
        yield lab


def _files(lab):
    data = {}
    for name in FILES:
        with open(lab.node_path("a1", "conf/" + name), "rb") as handle:
            data[name] = handle.read()
    return data


def _run(lab, task, tmp_path, check=False, ok=True):
    args = dict({"password": "{{ store_password }}", "provider_class": STANDIN_CLASS, "mapr_home": "{{ mapr_home }}",
                 "fips": True}, **task)
    play = [{"hosts": "a1", "gather_facts": False, "tasks": [
        {"name": "peers", "datafabric.crosscluster.peer_trust": args}]}]
    result = run_playbook(play, inventory=lab.inventory_path, connection=None, tmp_dir=tmp_path, check=check,
                          diff=True, secret_vars={"store_password": lab.cluster("a").store_password})
    if ok:
        result.expect_ok()
    assert lab.cluster("a").store_password not in result.stdout + result.stderr
    return result.results[-1]


def _task(lab):
    b = lab.cluster("b")
    with open(b.ca_pem, encoding="ascii") as handle:
        pem = handle.read()
    return {"certificates": [{"alias": "B.Lab.Example-CA", "pem": pem}],
            "lines": [handtrust.first_conf_line(lab, b)]}


def _no_leftovers(lab):
    conf = lab.node_path("a1", "conf")
    # Staged files are hidden names next to their targets; keytool's private directories go in /tmp.
    assert sorted(name for name in os.listdir(conf) if name.startswith(".")) == [], os.listdir(conf)
    assert [name for name in os.listdir("/tmp") if name.startswith("crosscluster-keytool-")] == []


def test_a_write_that_fails_after_keytool_leaves_every_file_byte_identical(lab, tmp_path):
    """keytool imports into its private copy, then mapr-clusters.conf changes before the files are
    replaced (a wrapper around keytool appends to it after each import, as a concurrent writer would):
    each attempt ends in a conflict, the task fails, and the store and its PEM sibling are the bytes
    they were, the conf holds only the other writer's lines."""
    keytool = shutil.which("keytool")
    assert keytool, "keytool is on the PATH of every lab host (make system-deps)"
    conf = lab.node_path("a1", "conf/mapr-clusters.conf")
    wrapper = str(tmp_path / "keytool")
    with open(wrapper, "w", encoding="ascii") as handle:
        handle.write('#!/bin/sh\n"%s" "$@"\nrc=$?\ncase " $* " in *" -importcert "*) printf "%s" >> "%s";; esac\n'
                     'exit $rc\n' % (keytool, OTHER_WRITER.decode("ascii").replace("\n", "\\n"), conf))
    os.chmod(wrapper, 0o755)
    before = _files(lab)

    failed = _run(lab, dict(_task(lab), keytool=wrapper), tmp_path, ok=False)
    assert failed["status"] == "failed", failed
    assert "kept changing while this task ran" in failed["result"]["msg"], failed["result"]["msg"]
    after = _files(lab)
    assert after["ssl_truststore.bcfks"] == before["ssl_truststore.bcfks"]
    assert after["ssl_truststore.pem"] == before["ssl_truststore.pem"]
    appended = after["mapr-clusters.conf"][len(before["mapr-clusters.conf"]):]
    assert after["mapr-clusters.conf"].startswith(before["mapr-clusters.conf"]) and appended
    assert appended == OTHER_WRITER * (len(appended) // len(OTHER_WRITER)), appended
    assert checks.jvm_aliases(lab, "a1") == {"a.lab.example-ca": "trustedCertEntry"}
    _no_leftovers(lab)
    with open(conf, "wb") as handle:
        handle.write(before["mapr-clusters.conf"])


def test_one_write_trusts_the_peer_in_every_file_of_a_fips_node(lab, tmp_path):
    """Check mode writes nothing and says what would change; the write changes the three files in one
    node call, after which a login to the peer works; a re-run changes nothing; a revoke undoes it."""
    b = lab.cluster("b")
    task = _task(lab)
    before = _files(lab)
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 1

    planned = _run(lab, task, tmp_path, check=True)["result"]
    assert planned["changed"] and _files(lab) == before
    assert planned["truststore"]["store_type"] == "bcfks"
    assert [i["alias"] for i in planned["truststore"]["imported"]] == ["b.lab.example-ca"]
    headers = [d["before_header"].rsplit("/", 1)[-1] for d in planned["diff"]]
    assert headers == list(FILES), headers
    assert "b.lab.example-ca trusted sha256:" in planned["diff"][0]["after"]
    assert "b.lab.example-ca" not in planned["diff"][0]["before"]

    with ProcessWatch() as watch:
        done = _run(lab, dict(task, backup=True), tmp_path)["result"]
    assert done["changed"] and done["conf"]["changed"]
    assert [(s["path"].rsplit("/", 1)[-1], s["changed"]) for s in done["truststore"]["stores"]] == [
        ("ssl_truststore.bcfks", True), ("ssl_truststore.pem", True)]
    assert all(s["backup_file"] for s in done["truststore"]["stores"]) and done["conf"]["backup_file"]
    for item in list(done["truststore"]["stores"]) + [done["conf"]]:
        with open(item["backup_file"], "rb") as handle:
            assert handle.read() == before[os.path.basename(item["path"])]
        os.unlink(item["backup_file"])
    assert [line for line in watch.cmdlines if lab.cluster("a").store_password in line] == []
    assert any("-importcert" in line and "-storepass:file" in line for line in watch.cmdlines), watch.cmdlines
    assert checks.jvm_aliases(lab, "a1") == {"a.lab.example-ca": "trustedCertEntry",
                                             "b.lab.example-ca": "trustedCertEntry"}
    with open(lab.node_path("a1", "conf/ssl_truststore.pem"), encoding="ascii") as handle:
        assert handle.read().count("BEGIN CERTIFICATE") == 2
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 0
    _no_leftovers(lab)

    built = _files(lab)
    with ProcessWatch() as watch:
        again = _run(lab, task, tmp_path)["result"]
    assert not again["changed"] and _files(lab) == built
    # Nothing to change: keytool lists the store once, and imports nothing.
    keytools = [line for line in watch.cmdlines if "-storetype BCFKS" in line]
    assert len(keytools) == 1 and "-list" in keytools[0], keytools

    revoked = _run(lab, {"certificates_remove": [{"alias": "b.lab.example-ca"}], "remove": [b.name]},
                   tmp_path)["result"]
    assert revoked["changed"] and [r["alias"] for r in revoked["truststore"]["removed"]] == ["b.lab.example-ca"]
    assert _files(lab)["mapr-clusters.conf"] == before["mapr-clusters.conf"]
    assert checks.jvm_aliases(lab, "a1") == {"a.lab.example-ca": "trustedCertEntry"}
    with open(lab.node_path("a1", "conf/ssl_truststore.pem"), encoding="ascii") as handle:
        assert handle.read().count("BEGIN CERTIFICATE") == 1
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 1
    _no_leftovers(lab)
