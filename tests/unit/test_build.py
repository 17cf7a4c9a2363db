"""The built collection carries the plugins, roles and playbooks, and none of the lab."""

import os
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_tarball_leaves_the_lab_and_tooling_out(tmp_path):
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / "home"))
    subprocess.run([galaxy, "collection", "build", "--output-path", str(tmp_path), ROOT],
                   env=env, check=True, capture_output=True)
    [tarball] = [p for p in os.listdir(tmp_path) if p.endswith(".tar.gz")]
    with tarfile.open(tmp_path / tarball) as archive:
        names = archive.getnames()
    assert "plugins/modules/truststore_import.py" in names
    assert "plugins/action/truststore_import.py" in names
    assert "roles/user_trust/tasks/main.yml" in names
    assert "playbooks/crosscluster.yml" in names
    assert "meta/runtime.yml" in names
    assert "LICENSE" in names
    leaked = [n for n in names if n.startswith(("tests", "extensions/molecule", ".venv", ".cache", ".ci"))
              or n in ("Makefile", "requirements-dev.txt", "ruff.toml")]
    assert leaked == []
