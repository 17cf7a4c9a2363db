"""The built collection carries the plugins, roles and playbooks, and none of the lab.

tests/sanity/ is the one part of tests/ that goes in: Automation Hub runs ansible-test sanity on the
tarball, and its ignore files must be there."""

import os
import shutil
import subprocess
import sys
import tarfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANITY_IGNORE = "tests/sanity/ignore-2.16.txt"


def build(source, tmp_path):
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / "home"))
    out = tmp_path / "dist"
    subprocess.run([galaxy, "collection", "build", "--output-path", str(out), str(source)],
                   env=env, check=True, capture_output=True)
    [tarball] = out.glob("*.tar.gz")
    with tarfile.open(tarball) as archive:
        return archive.getnames()


def test_tarball_leaves_the_lab_and_tooling_out(tmp_path):
    # A copy of the checkout (its untracked files too), with a sanity ignore file whether or not the
    # checkout has one yet, so that the test shows it is kept.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(".git", ".venv", ".cache"))
    os.makedirs(source / "tests" / "sanity", exist_ok=True)
    if not os.path.exists(source / SANITY_IGNORE):
        (source / SANITY_IGNORE).write_text("")
    names = build(source, tmp_path)
    assert "plugins/modules/truststore_import.py" in names
    assert "plugins/action/truststore_import.py" in names
    assert "roles/user_trust/tasks/main.yml" in names
    assert "playbooks/crosscluster.yml" in names
    assert "meta/runtime.yml" in names
    assert "LICENSE" in names
    assert SANITY_IGNORE in names
    leaked = [n for n in names if n.startswith(("extensions/molecule", ".venv", ".cache", ".ci"))
              or (n.startswith("tests") and n != "tests" and not n.startswith("tests/sanity"))
              or n in ("Makefile", "requirements-dev.txt", "ruff.toml")]
    assert leaked == [], "add each to build_ignore in galaxy.yml (by name: tests/sanity/ must stay in)"


def test_every_entry_of_tests_but_sanity_is_in_build_ignore():
    # Named one by one, so that an entry added to tests/ is either listed or found here, by name.
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        ignored = set(yaml.safe_load(handle)["build_ignore"])
    tracked = subprocess.run(["git", "ls-files", "tests"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    entries = sorted(set("tests/" + path.split("/")[1] for path in tracked))
    missing = [entry for entry in entries if entry != "tests/sanity" and entry not in ignored]
    assert missing == [], "galaxy.yml's build_ignore does not name %s" % ", ".join(missing)
    assert not [pattern for pattern in ignored if pattern.startswith("tests") and "*" in pattern], \
        "a wildcard in a tests/ pattern also matches tests/sanity/ (fnmatch's * matches /)"
