"""truststore_import and peer_trust write from the bytes security_facts gathered earlier in the run.

The gather already read every truststore of the node; reading them again before the write would be
one more round trip per node. Handed what the gather read (option based_on: security_facts'
files_read, which the user_trust role's plan carries), the import starts from the gathered bytes and
sends only its write,
whose compare-and-swap on the node still refuses a file that changed since: then it reads anew. The
module executions are counted from Ansible's own -vvv log (one EXEC per module with pipelining),
and the stores are read back with the JVM's keytool.
"""

import re

from ansible_run import run_playbook
from stores import Ca, keytool_list

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.store_cache import DIRECTORY

pytest_plugins = ["lab.fixtures"]

IMPORT = "datafabric.crosscluster.truststore_import"
CA_B = Ca("gathered-b CA")
CA_C = Ca("gathered-c CA")
CA_D = Ca("gathered-d CA")
TASK = re.compile(r"^TASK \[(.+?)\] \*+$", re.M)
EXEC = re.compile(r"^<[^>]+> EXEC .*python", re.M)


def executions(output):
    """{task name: module executions on the node}, from the -vvv log of a run over one host."""
    found = {}
    parts = TASK.split(output)
    for name, body in zip(parts[1::2], parts[2::2]):
        found[name] = found.get(name, 0) + len(EXEC.findall(body))
    return found


FILES_READ = "{{ ansible_facts.mapr_security.files_read }}"


def importing(name, path, ca, based_on=FILES_READ):
    task = {"path": path, "password": "{{ mapr_truststore_password }}",
            "certificates": [{"alias": ca.common_name.replace(" ", "-"), "pem": ca.pem}]}
    if based_on:
        task["based_on"] = based_on
    return {"name": name, IMPORT: task}


def test_the_import_writes_from_the_gathered_bytes_and_reads_anew_when_they_are_stale(make_lab, tmp_path):
    lab = make_lab(clusters=2, nodes=1)
    host = lab.cluster("a").hosts[0]
    store = "%s/conf/ssl_truststore" % lab.mapr_home(host)
    password = lab.cluster("a").store_password
    before = keytool_list(store, password)
    play = [{"hosts": host, "gather_facts": False, "tasks": [
        {"name": "gather", "datafabric.crosscluster.security_facts": {
            "mapr_home": lab.mapr_home(host), "truststore_password": "{{ mapr_truststore_password }}"}},
        importing("import b", store, CA_B),
        # Its gathered bytes are stale now: "import b" changed the file after the gather.
        importing("import c", store, CA_C),
        importing("import c again", store, CA_C),
        # Not told what it is based on: it reads the node first, whatever was gathered.
        importing("import d unbased", store, CA_D, based_on=None),
    ]}]
    result = run_playbook(play, inventory=lab.inventory_path, connection=None, verbosity=3, tmp_dir=tmp_path,
                          env={"ANSIBLE_PIPELINING": "1"}).expect_ok()
    assert [result.task(n)["changed"] for n in ("import b", "import c", "import c again", "import d unbased")] == \
        [True, True, False, True]
    # Gathered: the write only. Stale: the refused write, a read, the write. Stale again, with C
    # already there: the refused write and a read that finds nothing to write.
    assert executions(result.output) == {"gather": 1, "import b": 1, "import c": 3, "import c again": 2,
                                         "import d unbased": 2}, \
        result.output[-3000:]
    # The controller's copies went with Ansible's local temporary directory when the run ended.
    assert list(tmp_path.glob("**/local-tmp/*")) == [] and list(tmp_path.glob("**/" + DIRECTORY)) == []
    after = keytool_list(store, password)
    assert {alias: entry for alias, entry in after.items() if alias not in before} == {
        "gathered-b-ca": ("trustedCertEntry", CA_B.sha256), "gathered-c-ca": ("trustedCertEntry", CA_C.sha256),
        "gathered-d-ca": ("trustedCertEntry", CA_D.sha256)}
    assert keytool_list(store + ".p12", password, "PKCS12") == after


def trusting(name, home, ca, line):
    return {"name": name, "datafabric.crosscluster.peer_trust": {
        "mapr_home": home, "password": "{{ mapr_truststore_password }}",
        "certificates": [{"alias": ca.common_name.replace(" ", "-"), "pem": ca.pem}], "lines": [line],
        "based_on": FILES_READ}}


def test_peer_trust_writes_stores_and_conf_in_one_call_from_the_gathered_bytes(make_lab, tmp_path):
    lab = make_lab(clusters=2, nodes=1)
    host = lab.cluster("a").hosts[0]
    home = lab.mapr_home(host)
    password = lab.cluster("a").store_password
    line_b, line_c = "peer-b.example secure=true b1:7222", "peer-c.example secure=true c1:7222"
    play = [{"hosts": host, "gather_facts": False, "tasks": [
        {"name": "gather", "datafabric.crosscluster.security_facts": {
            "mapr_home": home, "truststore_password": "{{ mapr_truststore_password }}"}},
        trusting("trust b", home, CA_B, line_b),
        # Stale now: "trust b" changed the stores and the conf after the gather.
        trusting("trust c", home, CA_C, line_c),
    ]}]
    result = run_playbook(play, inventory=lab.inventory_path, connection=None, verbosity=3, tmp_dir=tmp_path,
                          env={"ANSIBLE_PIPELINING": "1"}).expect_ok()
    assert [result.task(n)["changed"] for n in ("trust b", "trust c")] == [True, True]
    assert executions(result.output) == {"gather": 1, "trust b": 1, "trust c": 3}, result.output[-3000:]
    with open("%s/conf/mapr-clusters.conf" % home) as handle:
        assert handle.read().splitlines()[-2:] == [line_b, line_c]
    trusted = keytool_list("%s/conf/ssl_truststore" % home, password)
    assert trusted["gathered-b-ca"] == ("trustedCertEntry", CA_B.sha256)
    assert trusted["gathered-c-ca"] == ("trustedCertEntry", CA_C.sha256)
