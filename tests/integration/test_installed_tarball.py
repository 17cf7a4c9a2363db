"""The collection as a user gets it: built by ansible-galaxy, installed from the tarball into a fresh
path, and its main playbook run from there against the ssh-mode lab (this checkout is not on the
collections path). The trust is checked with the lab's own tools, which share no code with the
collection. And as an execution environment gets it: ansible-builder makes the build context of
docs/examples/execution-environment.yml, and the context's own introspection step, run on the
installed copy, finds the controller's Python and system packages (no container engine needed)."""

import os
import subprocess
import sys
import tarfile

import yaml
from ansible_run import BIN, ROOT, run_playbook
from lab.labkit import checks

pytest_plugins = ["lab.fixtures"]

EE_EXAMPLE = os.path.join(str(ROOT), "docs", "examples", "execution-environment.yml")
TRUSTS = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]}


def galaxy(*args, home):
    # Nothing of this checkout's own set-up: its collections path already holds the collection.
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    return subprocess.run([os.path.join(BIN, "ansible-galaxy")] + list(args), capture_output=True, text=True,
                          env=dict(env, ANSIBLE_HOME=str(home)), stdin=subprocess.DEVNULL, check=True)


def test_the_built_tarball_installs_and_its_playbook_builds_the_trust(make_lab, tmp_path):
    galaxy("collection", "build", "--output-path", str(tmp_path / "dist"), str(ROOT), home=tmp_path / "home")
    [tarball] = (tmp_path / "dist").glob("datafabric-crosscluster-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "LICENSE" in names and "CHANGELOG.rst" in names and "meta/execution-environment.yml" in names
    assert not [n for n in names if n.startswith("tests")], names
    install = tmp_path / "install"
    galaxy("collection", "install", "--offline", "-p", str(install), str(tarball), home=tmp_path / "home")
    installed = install / "ansible_collections" / "datafabric" / "crosscluster"
    assert (installed / "MANIFEST.json").is_file() and not (installed / "tests").exists()

    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    problems = [h for h in lab.hosts if checks.user_login(lab, h, "b" if h.startswith("a") else "a").returncode == 0]
    assert problems == [], "the fresh lab already trusts: %s" % problems
    play = [{"import_playbook": "datafabric.crosscluster.crosscluster"}]
    result = run_playbook(play, inventory=lab.inventory_path, connection=None, extra_vars=TRUSTS,
                          env={"ANSIBLE_COLLECTIONS_PATH": str(install)}, tmp_dir=tmp_path, verbosity=2)
    result.expect_ok()
    # The roles ran from the installed copy, not from this checkout.
    assert str(installed) in result.output and str(ROOT) + "/roles" not in result.output, result.output[-2000:]
    for host in lab.hosts:
        remote = "b" if host.startswith("a") else "a"
        assert checks.user_login(lab, host, remote).returncode == 0, host
    for local, remote in (("a", "b"), ("b", "a")):
        assert checks.server_call(lab, lab.cluster(local).cldb_hosts[0], remote).returncode == 0, local


def test_the_execution_environment_context_finds_the_collections_needs(tmp_path):
    galaxy("collection", "build", "--output-path", str(tmp_path / "dist"), str(ROOT), home=tmp_path / "home")
    [tarball] = (tmp_path / "dist").glob("datafabric-crosscluster-*.tar.gz")
    install = tmp_path / "install"
    galaxy("collection", "install", "--offline", "-p", str(install), str(tarball), home=tmp_path / "home")

    context = tmp_path / "context"
    subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", EE_EXAMPLE, "--context", str(context)],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    with open(context / "_build" / "requirements.yml", encoding="utf-8") as handle:
        assert yaml.safe_load(handle) == {"collections": [{"name": "datafabric.crosscluster"}]}
    containerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    with open(EE_EXAMPLE, encoding="utf-8") as handle:
        core = yaml.safe_load(handle)["dependencies"]["ansible_core"]["package_pip"]
    assert core.startswith("ansible-core") and core in containerfile and "introspect" in containerfile

    # What the build's introspection stage runs, here on the installed tarball.
    pip, bindep = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    subprocess.run([sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect",
                    "--write-pip", str(pip), "--write-bindep", str(bindep), str(install)],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    python = [line.split("#")[0].strip() for line in pip.read_text().splitlines() if line.strip()]
    assert sorted(python) == ["cryptography>=45", "pyjks>=20.0.0"], python
    system = bindep.read_text()
    assert "openssh-client [platform:dpkg]" in system and "openssh-clients [platform:rpm]" in system
