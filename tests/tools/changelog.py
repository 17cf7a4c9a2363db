"""CHANGELOG.rst: the release notes antsibull-changelog makes of changelogs/ for galaxy.yml's version.

The release runs in a temporary copy of the collection, so the fragments stay in the tree until the
release itself (``antsibull-changelog release`` there consumes them). ``--check`` fails when the
committed CHANGELOG.rst is not what the fragments give now; ``make changelog`` rewrites it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(ROOT, "CHANGELOG.rst")
# What antsibull-changelog reads: the fragments and config, the version, and the plugins it lists as new.
COPIED = ("changelogs", "galaxy.yml", "meta", "plugins", "roles", "playbooks")


def render():
    bin_dir = os.path.dirname(sys.executable)
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        version = yaml.safe_load(handle)["version"]
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "ansible_collections", "datafabric", "crosscluster")
        for name in COPIED:
            source = os.path.join(ROOT, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(copy, name))
            else:
                os.makedirs(copy, exist_ok=True)
                shutil.copy(source, os.path.join(copy, name))
        # It asks ansible-doc for the plugins, so ansible-doc must be the one next to this Python.
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
        subprocess.run([os.path.join(bin_dir, "antsibull-changelog"), "release", "--version", version],
                       cwd=copy, env=env, check=True, stdin=subprocess.DEVNULL, capture_output=True)
        with open(os.path.join(copy, "CHANGELOG.rst"), encoding="utf-8") as handle:
            return handle.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when CHANGELOG.rst is out of date")
    args = parser.parse_args()
    text = render()
    if args.check:
        try:
            with open(TARGET, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current != text:
            sys.exit("CHANGELOG.rst is not what changelogs/fragments give now. Fix: run make changelog")
        return
    with open(TARGET, "w", encoding="utf-8") as handle:
        handle.write(text)
    print("changelog: wrote CHANGELOG.rst")


if __name__ == "__main__":
    main()
