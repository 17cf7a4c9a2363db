"""truststore_bcfks on a lab FIPS node (local mode): it imports a peer's CA into the node's BCFKS
truststore with the node's keytool and the provider jar it finds under <mapr_home>/lib, after which
the lab's maprlogin (which trusts what keytool lists from that store) logs in to the peer; a re-run
changes nothing, check mode writes nothing, and a removal makes the login fail again.

Debian's bcprov stands in for the bc-fips jar (tests/lab/README.md), so the task names its class.
"""

import hashlib
import os

import pytest
from ansible_run import run_playbook
from lab.labkit import Lab, checks, fips, handtrust
from procwatch import ProcessWatch
from test_lab_local import login

pytest_plugins = ["lab.fixtures"]

STANDIN_CLASS = "org.bouncycastle.jce.provider.BouncyCastleProvider"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Cluster a is FIPS, b is not; one node each."""
    if not os.path.isfile(fips.STANDIN_JAR):
        pytest.skip("%s is missing: libbcprov-java is not installed (make system-deps, as root)" % fips.STANDIN_JAR)
    lab = Lab(str(tmp_path_factory.mktemp("lab-bcfks")), clusters=2, nodes=1, mode="local", fips=["a"])
    with lab.up():
        yield lab


def _sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _play(task):
    args = dict({"path": "{{ mapr_home }}/conf/ssl_truststore.bcfks", "password": "{{ store_password }}",
                 "provider_class": STANDIN_CLASS, "mapr_home": "{{ mapr_home }}"}, **task)
    return [{"hosts": "a1", "gather_facts": False, "tasks": [
        {"name": "bcfks", "datafabric.crosscluster.truststore_bcfks": args}]}]


def _run(lab, task, tmp_path, check=False):
    result = run_playbook(_play(task), inventory=lab.inventory_path, connection=None, tmp_dir=tmp_path,
                          check=check, diff=True, secret_vars={"store_password": lab.cluster("a").store_password})
    result.expect_ok()
    assert lab.cluster("a").store_password not in result.stdout + result.stderr
    return result.results[-1]["result"]


def test_the_module_makes_a_fips_node_trust_its_peer(lab, tmp_path):
    a, b = lab.cluster("a"), lab.cluster("b")
    store = lab.node_path("a1", "conf/ssl_truststore.bcfks")
    handtrust.add_conf_line(lab, "a1", handtrust.first_conf_line(lab, b))
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 1
    with open(b.ca_pem, encoding="ascii") as handle:
        pem = handle.read()
    importing = {"certificates": [{"alias": "B.Lab.Example-CA", "pem": pem}]}

    before = _sha256(store)
    planned = _run(lab, importing, tmp_path, check=True)
    assert planned["changed"] and _sha256(store) == before
    assert [e["alias"] for e in planned["entries"]] == ["a.lab.example-ca", "b.lab.example-ca"]
    assert "b.lab.example-ca trusted sha256:" in planned["diff"]["after"]

    with ProcessWatch() as watch:
        done = _run(lab, importing, tmp_path)
    assert done["changed"] and done["conflict"] is False
    assert [i["alias"] for i in done["imported"]] == ["b.lab.example-ca"]
    assert done["provider"] == {"path": os.path.join(lab.mapr_home("a1"), "lib", fips.NODE_JAR),
                                "class": STANDIN_CLASS}
    keytools = [line for line in watch.cmdlines if "-storetype BCFKS" in line]
    assert any("-importcert" in line and "-storepass:file" in line for line in keytools), keytools
    assert [line for line in watch.cmdlines if a.store_password in line] == []
    assert checks.jvm_aliases(lab, "a1") == {"a.lab.example-ca": "trustedCertEntry",
                                             "b.lab.example-ca": "trustedCertEntry"}
    trusted = login(lab, "a1", b, "mapr", b.owner_password)
    assert trusted.returncode == 0, trusted.stderr

    after = _sha256(store)
    again = _run(lab, importing, tmp_path)
    assert not again["changed"] and _sha256(store) == after
    assert [s["alias"] for s in again["already_present"]] == ["b.lab.example-ca"]

    removed = _run(lab, {"remove": [{"alias": "b.lab.example-ca"}]}, tmp_path)
    assert removed["changed"] and [r["alias"] for r in removed["removed"]] == ["b.lab.example-ca"]
    assert checks.jvm_aliases(lab, "a1") == {"a.lab.example-ca": "trustedCertEntry"}
    assert login(lab, "a1", b, "mapr", b.owner_password).returncode == 1
    # Nothing of keytool's private directories is left in Ansible's temporary directory or /tmp.
    leftovers = [name for name in os.listdir("/tmp") if name.startswith("crosscluster-keytool-")]
    assert leftovers == []
