"""The example inventory, and the page that maps configure-crosscluster.sh onto it.

The inventory must have the DESIGN's shape (a group per cluster with a ``_cldb`` child group, under
``mapr_clusters``), its secrets must be vaulted with the example password and appear nowhere in
clear text, and both playbooks must parse against it. The page must keep naming every option of
the script, and every variable it names must exist: in a role's argument spec, in the example
inventory, or in a playbook.
"""

import glob
import ipaddress
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, get_file_vault_secret

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "inventories", "example")
PASSWORD_FILE = os.path.join(EXAMPLE, "vault-password.example")
DOC = os.path.join(ROOT, "docs", "configure-crosscluster.md")
BIN = os.path.dirname(sys.executable)

CLUSTERS = ("cluster_a", "cluster_b")
CLUSTER_VARS = ("mapr_cluster_name", "mapr_cluster_owner", "mapr_cluster_group", "mapr_crosscluster_user",
                "mapr_check_user")
SECRETS = ("mapr_truststore_password", "mapr_check_password")
PLAYBOOKS = ("playbooks/crosscluster.yml", "playbooks/verify.yml",
             "datafabric.crosscluster.crosscluster", "datafabric.crosscluster.verify")

# Every option of configure-crosscluster.sh in HPE's reference pages (6.0 to 7.x), and the
# maprlogin options the ticket lifetime maps to. The page must name each one in its table.
SEED_OPTIONS = (
    "create user", "create server", "create all",
    "-localuser", "-remoteuser", "-localcrossclusteruser", "-remotecrossclusteruser",
    "-localhosts", "-remotehosts", "-localport", "-remoteport", "-remoteip",
    "-localtruststorepassword", "-remotetruststorepassword", "-recover",
)
LIFETIME_OPTIONS = ("-duration", "-renewal")
# The mapping the DESIGN and the issue ask for: the page must keep naming these.
MAPPED_VARIABLES = (
    "crosscluster_trusts", "ansible_port", "ansible_user", "mapr_cluster_owner", "crosscluster_become",
    "crosscluster_become_user", "mapr_crosscluster_user", "crosscluster_ticket_user",
    "mapr_truststore_password", "mapr_check_user", "mapr_check_password", "server_trust_ticket_duration",
    "server_trust_ticket_renewal",
)
# What counts as a variable name when the page or a playbook mentions one.
VARIABLE = re.compile(r"\b(?:mapr|ansible|crosscluster|user_trust|server_trust|verify|preflight|all_trust)"
                      r"_[a-z0-9_]+\b")
SECRET_KEY = re.compile(r"password|secret|passphrase|token|ticket", re.IGNORECASE)


def _env():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_HOME=os.path.join(ROOT, ".cache", "ansible-home"), ANSIBLE_NOCOLOR="1")
    # Only the example's own password may decrypt the example.
    for name in ("ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_IDENTITY_LIST", "ANSIBLE_CONFIG"):
        env.pop(name, None)
    return env


def _ansible(tool, *args):
    return subprocess.run([os.path.join(BIN, tool), "-i", EXAMPLE, "--vault-password-file", PASSWORD_FILE]
                          + list(args), cwd=ROOT, env=_env(), capture_output=True, text=True, check=False)


class _Vaulted(str):
    """A value carrying the ``!vault`` tag in a YAML file."""


class _VaultAwareLoader(yaml.SafeLoader):
    pass


_VaultAwareLoader.add_constructor("!vault", lambda loader, node: _Vaulted(loader.construct_scalar(node)))


def _example_files():
    for folder, _dirs, files in os.walk(EXAMPLE):
        for name in files:
            yield os.path.join(folder, name)


def _hosts_of(inventory, group):
    entry = inventory.get(group, {})
    hosts = list(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts += _hosts_of(inventory, child)
    return hosts


@pytest.fixture(scope="module")
def inventory():
    result = _ansible("ansible-inventory", "--list")
    assert result.returncode == 0, result.stderr
    # A file Ansible could not read as inventory (the vault password file, say) warns here.
    assert "WARNING" not in result.stderr, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def hostvars(inventory):
    return inventory["_meta"]["hostvars"]


@pytest.fixture(scope="module")
def vault():
    secret = get_file_vault_secret(filename=PASSWORD_FILE, loader=DataLoader())
    secret.load()
    return VaultLib([("default", secret)])


@pytest.fixture(scope="module")
def secrets(hostvars, vault):
    """Every vaulted value of the example, decrypted: {(host, variable): text}."""
    found = {}
    for host, variables in hostvars.items():
        for name, value in variables.items():
            if isinstance(value, dict) and "__ansible_vault" in value:
                found[(host, name)] = vault.decrypt(value["__ansible_vault"]).decode("utf-8")
    return found


@pytest.fixture(scope="module")
def doc():
    with open(DOC, encoding="utf-8") as handle:
        return handle.read()


def test_a_group_per_cluster_with_its_cldb_group_under_mapr_clusters(inventory):
    with open(os.path.join(ROOT, "roles", "server_trust", "defaults", "main.yml")) as handle:
        suffix = yaml.safe_load(handle)["crosscluster_cldb_group_suffix"]
    assert "mapr_clusters" in inventory["all"]["children"]
    assert sorted(inventory["mapr_clusters"]["children"]) == sorted(CLUSTERS)
    members = {}
    for cluster in CLUSTERS:
        assert inventory[cluster]["children"] == [cluster + suffix]
        cldbs = inventory[cluster + suffix]["hosts"]
        assert cldbs, "%s has no CLDB node" % cluster
        members[cluster] = set(_hosts_of(inventory, cluster))
        assert set(cldbs) < members[cluster], "%s needs nodes besides its CLDBs" % cluster
    assert not members["cluster_a"] & members["cluster_b"], "a node belongs to two clusters"
    assert set(_hosts_of(inventory, "mapr_clusters")) == members["cluster_a"] | members["cluster_b"]


def test_hosts_are_example_names_and_addresses(hostvars):
    documentation = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    for host, variables in hostvars.items():
        assert host.endswith(".example.com"), host
        if "ansible_host" in variables:
            address = ipaddress.ip_address(variables["ansible_host"])
            assert any(address in net for net in documentation), (host, address)


def test_group_vars_per_cluster_and_for_all(inventory, hostvars):
    names = {}
    for cluster in CLUSTERS:
        for host in _hosts_of(inventory, cluster):
            variables = hostvars[host]
            for name in CLUSTER_VARS + SECRETS:
                assert name in variables, "%s: %s missing" % (host, name)
            names.setdefault(cluster, set()).add(variables["mapr_cluster_name"])
            assert variables["crosscluster_trusts"] == [{"clusters": list(CLUSTERS), "type": "all"}]
            assert variables["crosscluster_mapr_home"] == "/opt/mapr"
            assert variables["ansible_pipelining"] is True
            assert variables["ansible_user"]
            assert isinstance(variables.get("ansible_port", 22), int)
    assert all(len(found) == 1 for found in names.values()), names
    assert names["cluster_a"] != names["cluster_b"]


def test_every_secret_is_vaulted_and_decrypts_to_an_obviously_fake_string(inventory, hostvars, secrets):
    for cluster in CLUSTERS:
        for host in _hosts_of(inventory, cluster):
            for name in SECRETS:
                assert isinstance(hostvars[host][name], dict), "%s: %s is not vaulted" % (host, name)
                assert (host, name) in secrets
    for (host, name), text in secrets.items():
        assert isinstance(text, str) and text.strip() == text and text, (host, name)
        assert "EXAMPLE-ONLY" in text and "not-a-real" in text, (host, name)
    # Each cluster has its own secrets, the same on all its nodes.
    for name in SECRETS:
        per_cluster = [{secrets[(host, name)] for host in _hosts_of(inventory, c)} for c in CLUSTERS]
        assert all(len(values) == 1 for values in per_cluster), name
        assert per_cluster[0] != per_cluster[1], name


def test_every_password_in_the_example_files_is_vaulted():
    for path in glob.glob(os.path.join(EXAMPLE, "**", "*.yml"), recursive=True):
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_VaultAwareLoader)

        def walk(node, where):
            if isinstance(node, dict):
                for key, value in node.items():
                    if SECRET_KEY.search(str(key)) and isinstance(value, str) and "{{" not in value:
                        assert isinstance(value, _Vaulted), "%s: %s is in clear text" % (where, key)
                    walk(value, where)
            elif isinstance(node, list):
                for item in node:
                    walk(item, where)

        walk(data, os.path.relpath(path, ROOT))


def test_no_secret_in_clear_text_outside_vault_blocks(secrets):
    vault_block = re.compile(r"!vault \|\n(?:[ \t]+\S.*\n?)+")
    values = set(secrets.values())
    assert values
    files = list(_example_files()) + [DOC, os.path.join(ROOT, "README.md")]
    for path in files:
        with open(path, encoding="utf-8") as handle:
            text = vault_block.sub("", handle.read())
        for value in values:
            assert value not in text, "a secret is in clear text in %s" % os.path.relpath(path, ROOT)


def test_the_vault_password_file_says_it_is_an_example_only():
    with open(PASSWORD_FILE, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert "EXAMPLE ONLY" in lines[0]
    assert any("never use it" in line.lower() and "real clusters" in line.lower() for line in lines[:3])
    # Every line a comment: `-i inventories/example` then reads the file as an empty inventory.
    assert all(line.startswith("#") for line in lines if line.strip())


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax_against_the_example(playbook):
    result = _ansible("ansible-playbook", "--syntax-check", playbook)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("playbook", PLAYBOOKS[:2])
def test_playbooks_run_on_every_node_of_the_example(playbook, hostvars):
    result = _ansible("ansible-playbook", "--list-hosts", playbook)
    assert result.returncode == 0, result.stdout + result.stderr
    # The first play holds every node; the later ones hold groups it builds at run time.
    counts = [int(m.group(1)) for m in re.finditer(r"hosts \((\d+)\):", result.stdout)]
    assert counts[0] == len(hostvars), result.stdout
    for host in hostvars:
        assert host in result.stdout


def test_doc_names_every_option_of_the_script_in_its_table(doc):
    table = "\n".join(line for line in doc.splitlines() if line.startswith("|"))
    for option in SEED_OPTIONS + LIFETIME_OPTIONS:
        assert "`%s" % option in table, "%s is missing from the mapping table" % option
    assert re.search(r"^## Why there is no -recover$", doc, re.MULTILINE)


def test_doc_names_only_variables_that_exist(doc, inventory, hostvars):
    known = set()
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        with open(path) as handle:
            for entry in (yaml.safe_load(handle) or {}).get("argument_specs", {}).values():
                known.update(entry.get("options", {}))
    for variables in hostvars.values():
        known.update(variables)
    for path in glob.glob(os.path.join(ROOT, "playbooks", "*.yml")):
        with open(path) as handle:
            known.update(VARIABLE.findall(handle.read()))
    groups = set(inventory) - {"_meta"}
    named = set(VARIABLE.findall(doc)) - groups
    assert sorted(named - known) == []
    assert sorted(set(MAPPED_VARIABLES) - named) == []


def test_doc_points_at_files_of_the_example(doc):
    for name in set(re.findall(r"`((?:group_vars/)?[a-z_]+\.yml)`", doc)):
        assert os.path.exists(os.path.join(EXAMPLE, name)), name


def test_readme_links_the_page_after_its_two_opening_commands():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    first_block = readme.split("```")[1]
    assert [line.split()[1] for line in first_block.strip().splitlines() if line.startswith("make ")] == [
        "demo", "test"]
    assert "(docs/configure-crosscluster.md)" in readme
    assert readme.index("```") < readme.index("docs/configure-crosscluster.md")
