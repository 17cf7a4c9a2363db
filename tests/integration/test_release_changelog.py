"""The fragments lint clean and CHANGELOG.rst is the release notes antsibull-changelog makes of them."""

import os
import subprocess
import sys

from ansible_run import ROOT

BIN = os.path.dirname(sys.executable)


def test_fragments_lint_clean():
    lint = subprocess.run([os.path.join(BIN, "antsibull-changelog"), "lint"], cwd=ROOT, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, check=False)
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout + lint.stderr


def test_changelog_rst_is_what_the_fragments_give():
    check = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "tools", "changelog.py"), "--check"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    with open(os.path.join(ROOT, "CHANGELOG.rst"), encoding="utf-8") as handle:
        text = handle.read()
    # Every section the fragments fill, and the new modules, are in it.
    for heading in ("Release Summary", "Major Changes", "Minor Changes", "Breaking Changes / Porting Guide",
                    "New Modules", "New Plugins"):
        assert "\n%s\n" % heading in text, heading
    assert "datafabric.crosscluster.peer_trust" in text
