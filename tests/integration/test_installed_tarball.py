"""The collection as a user gets it: built by ansible-galaxy, installed from the tarball into a fresh
path, and its main playbook run from there against the ssh-mode lab (this checkout is not on the
collections path). The trust is checked with the lab's own tools, which share no code with the
collection. And as an execution environment gets it: ansible-builder makes the build context of
each definition in docs/examples (ansible-core 2.16 for Automation Platform 2.5 and 2.6, and the
newest), with the tarball supplied through a requirements.yml as a user does; then the context's own
galaxy and introspection steps, run here as the build runs them, install the collection and find its
Python and system packages (no container engine needed)."""

import os
import re
import shlex
import subprocess
import sys
import tarfile

import pytest
import yaml
from ansible_run import BIN, ROOT, run_playbook
from bindep.depends import Depends
from lab.labkit import checks
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

pytest_plugins = ["lab.fixtures"]

EXAMPLES = ROOT / "docs" / "examples"
TRUSTS = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]}


def galaxy(*args, home, cwd=None):
    # Nothing of this checkout's own set-up: its collections path already holds the collection.
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    return subprocess.run([os.path.join(BIN, "ansible-galaxy")] + list(args), capture_output=True, text=True,
                          env=dict(env, ANSIBLE_HOME=str(home)), stdin=subprocess.DEVNULL, check=True, cwd=cwd)


def build_tarball(output, home):
    galaxy("collection", "build", "--output-path", str(output), str(ROOT), home=home)
    [tarball] = output.glob("datafabric-crosscluster-*.tar.gz")
    return tarball


def test_the_built_tarball_installs_and_its_playbook_builds_the_trust(make_lab, tmp_path):
    tarball = build_tarball(tmp_path / "dist", tmp_path / "home")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "LICENSE" in names and "CHANGELOG.rst" in names and "meta/execution-environment.yml" in names
    # Only tests/sanity/ (the ignore files Automation Hub's sanity run reads) may come along.
    outside = [n for n in names if n.startswith("tests/") and n != "tests/sanity" and not n.startswith("tests/sanity/")]
    assert not outside, names
    install = tmp_path / "install"
    galaxy("collection", "install", "--offline", "-p", str(install), str(tarball), home=tmp_path / "home")
    installed = install / "ansible_collections" / "datafabric" / "crosscluster"
    assert (installed / "MANIFEST.json").is_file()
    assert not [p for p in (installed / "tests").glob("*") if p.name != "sanity"]

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


# Each execution environment definition, with ansible-core releases its pin must take and refuse.
EE_LINES = {
    "execution-environment-2.16.yml": (["2.16.0", "2.16.19"], ["2.15.13", "2.17.0", "2.21.0"]),
    "execution-environment.yml": (["2.21.0", "2.21.5"], ["2.16.19", "2.19.0", "2.20.0"]),
}
# What bindep sees in the examples' base image, CentOS Stream 9 (the profiles it detects there).
CENTOS9 = ["platform:centos", "platform:centos-9", "platform:dnf", "platform:redhat", "platform:rpm"]


def build_args(containerfile):
    return dict(re.findall(r'^ARG (\w+)="(.*)"$', containerfile, re.MULTILINE))


def packages(bindep_text, profile):
    # What ansible-builder's scripts ask bindep for: the default profile for the final image
    # (install-from-bindep), the compile profile for the builder stage (assemble).
    return sorted(rule[0] for rule in Depends(bindep_text).active_rules([profile] + CENTOS9))


@pytest.mark.parametrize("definition", sorted(EE_LINES))
def test_the_execution_environment_context_installs_the_collection_and_its_needs(definition, tmp_path):
    # A user's directory: the definition, the tarball they built beside it, and their requirements.yml.
    user = tmp_path / "ee"
    user.mkdir()
    (user / definition).write_bytes((EXAMPLES / definition).read_bytes())
    tarball = build_tarball(user, tmp_path / "home")
    requirements = {"collections": [{"name": "collections/" + tarball.name, "type": "file"}]}
    (user / "requirements.yml").write_text(yaml.safe_dump(requirements), encoding="utf-8")

    context = tmp_path / "context"
    subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", str(user / definition),
                    "--context", str(context)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    build = context / "_build"
    containerfile = (context / "Dockerfile").read_text(encoding="utf-8")
    args = build_args(containerfile)
    # The intended ansible-core line, installed by pip on Python 3.12.
    assert (args["PYPKG"], args["PYCMD"]) == ("python3.12", "/usr/bin/python3.12"), args
    assert "RUN $PYCMD -m pip install --no-cache-dir $ANSIBLE_INSTALL_REFS" in containerfile
    [core] = [Requirement(ref) for ref in args["ANSIBLE_INSTALL_REFS"].split() if ref.startswith("ansible-core")]
    takes, refuses = EE_LINES[definition]
    assert [v for v in takes if v not in core.specifier] == [], core
    assert [v for v in refuses if v in core.specifier] == [], core
    # Every release the pin takes is one the collection supports (meta/runtime.yml's requires_ansible).
    with open(ROOT / "meta" / "runtime.yml", encoding="utf-8") as handle:
        supported = SpecifierSet(yaml.safe_load(handle)["requires_ansible"])
    assert [v for v in takes if v not in supported] == [], supported

    # The galaxy stage, as the Containerfile runs it (from /build, the context's _build): it installs
    # the collection from the tarball the definition copied in.
    assert "WORKDIR /build" in containerfile and (build / "collections" / tarball.name).is_file()
    collections = tmp_path / "collections"
    galaxy("collection", "install", "--offline", "-r", "requirements.yml", "-p", str(collections),
           home=tmp_path / "home", cwd=build)
    installed = collections / "ansible_collections" / "datafabric" / "crosscluster"
    with open(ROOT / "galaxy.yml", encoding="utf-8") as handle:
        version = yaml.safe_load(handle)["version"]
    with open(installed / "MANIFEST.json", encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["collection_info"]["version"] == version

    # The builder stage's introspection, its own command line with the container's paths mapped to
    # tmp dirs (it runs in /build too), over the installed collection.
    [step] = [line for line in containerfile.splitlines() if "introspect.py introspect" in line]
    src = tmp_path / "src"
    command = [sys.executable if word == "$PYCMD" else
               word.replace("/output/scripts/", str(build / "scripts") + "/").replace("/tmp/src/", str(src) + "/")
               for word in shlex.split(step[len("RUN "):])]
    src.mkdir()
    subprocess.run(command + [str(collections)], cwd=build, check=True, capture_output=True,
                   stdin=subprocess.DEVNULL)
    # Introspection writes no file for a kind of requirement no collection has.
    pip = src / "requirements.txt"
    python = [line.split("#")[0].strip() for line in (pip.read_text() if pip.exists() else "").splitlines()]
    assert sorted(Requirement(line).name for line in python if line) == ["cryptography", "pyjks"], python
    system = (src / "bindep.txt").read_text()
    # ssh in the final image; gcc and the interpreter's headers only where pip compiles twofish.
    assert packages(system, "default") == ["openssh-clients"], system
    assert packages(system, "compile") == ["gcc", "openssh-clients", "python3.12-devel"], system


def test_the_execution_environments_differ_only_in_the_ansible_core_line():
    definitions = {}
    for name in EE_LINES:
        with open(EXAMPLES / name, encoding="utf-8") as handle:
            definitions[name] = yaml.safe_load(handle)
        del definitions[name]["dependencies"]["ansible_core"]
    assert definitions["execution-environment.yml"] == definitions["execution-environment-2.16.yml"]
    # The requirements.yml they read as shipped: the collection from Galaxy or a private hub.
    with open(EXAMPLES / "requirements.yml", encoding="utf-8") as handle:
        assert yaml.safe_load(handle) == {"collections": [{"name": "datafabric.crosscluster"}]}
