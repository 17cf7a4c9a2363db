"""`molecule test` on the scenario extensions/molecule/default, the way a developer runs it.

The scenario builds a 2x3 lab in ssh mode (root only) in molecule's ephemeral directory, runs the
main playbook, runs it again (molecule's idempotence step: changed=0), verifies, and takes the
lab down. The test gives molecule a private ANSIBLE_HOME and ephemeral directory, so the lab it
builds is its own, and other tests' labs running at the same time are told apart from it.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from lab.labkit import Lab, ssh_mode_unavailable

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MOLECULE = BIN / "molecule"
LAB_SCRIPT = ROOT / "tests" / "lab" / "lab.py"
LAB_NETNS_PREFIX = "dfl"
TIMEOUT = 900
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _skip_reason():
    if os.geteuid() != 0:
        return "the molecule scenario uses the lab's ssh mode, which needs root"
    reason = ssh_mode_unavailable()
    if reason:
        return str(reason)
    if not MOLECULE.exists():
        return "molecule is not installed in %s (pip install -r requirements-dev.txt)" % BIN
    return None


SKIP_REASON = _skip_reason()
pytestmark = pytest.mark.skipif(SKIP_REASON is not None, reason=str(SKIP_REASON))


def lab_namespaces():
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return set(line.split()[0] for line in listing.splitlines() if line.startswith(LAB_NETNS_PREFIX))


def test_molecule_default_scenario():
    before = lab_namespaces()
    home = tempfile.mkdtemp(prefix="mol-")
    ephemeral = os.path.join(home, "ephemeral")
    lab_dir = os.path.join(ephemeral, "lab")  # where create.yml puts the lab
    env = dict(os.environ)
    for name in [n for n in env if n.startswith("MOLECULE_")]:
        del env[name]
    env.update({
        "PATH": "%s:%s" % (BIN, env.get("PATH", "")),
        "ANSIBLE_HOME": home,
        "MOLECULE_EPHEMERAL_DIRECTORY": ephemeral,
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
        "PY_COLORS": "0",
        "COLUMNS": "160",  # molecule wraps ansible's output at the terminal width
    })
    try:
        proc = subprocess.run([str(MOLECULE), "test", "--scenario-name", "default"], cwd=str(ROOT), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT, check=False)
        output = ANSI.sub("", proc.stdout)
        # Namespaces that appeared during the run and are named after this run's lab.
        prefix = Lab(lab_dir, mode="ssh").prefix + "-"
        leftover = set(ns for ns in lab_namespaces() - before if ns.startswith(prefix))
    finally:
        # Molecule destroys after a failure too; this is for a run that timed out or crashed.
        subprocess.run([sys.executable, str(LAB_SCRIPT), "down", "--dir", lab_dir], capture_output=True, timeout=120,
                       check=False)
        shutil.rmtree(home, ignore_errors=True)

    assert proc.returncode == 0, output[-6000:]
    assert re.search(r"\bidempotence: Executed: Successful", output), output[-6000:]
    assert "Idempotence test failed" not in output
    assert re.search(r"\bverify: Executed: Successful", output), output[-6000:]
    # The verify step ran the scenario's own checks, and they passed on both CLDB nodes.
    assert "PLAY [Check the trust again, by hand, from the nodes]" in output
    marker = "TASK [The peer's CLDB answered for the peer cluster]"
    assert marker in output, output[-6000:]
    answered = output.split(marker, 1)[1].split("PLAY RECAP")[0]
    assert "ok: [a1]" in answered and "ok: [b1]" in answered, answered
    assert leftover == set(), "molecule left lab namespaces behind: %s" % sorted(leftover)
