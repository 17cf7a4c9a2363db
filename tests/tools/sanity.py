"""Run ``ansible-test sanity`` on this checkout with the ansible-test of the Python that runs this script.

    <venv>/bin/python tests/tools/sanity.py [--python 3.12] [ansible-test sanity options...]

ansible-test wants the collection at ``ansible_collections/<namespace>/<name>/`` inside a git work tree,
and it tests only the files git knows. So the files of this checkout that git tracks or would track
(``git ls-files --cached --others --exclude-standard``: uncommitted edits included, .venv and .cache
not) are copied to ``.cache/sanity/<ansible-core version>/ansible_collections/datafabric/crosscluster``,
committed there in a throwaway repository, and tested from there.

``--venv`` makes ansible-test build its own virtual environments, and it bootstraps pip in each with
a script that it downloads from bootstrap.pypa.io unless a copy is cached at
``~/.ansible/test/cache/get_pip_<pip version>.py``. Machines that reach PyPI through a mirror or proxy
but not that host cannot download it, so when that file is missing this writes a stand-in
(``get_pip_standin.py`` beside this script): it installs the standard library's own pip wheel with
``ensurepip`` and then runs pip with ansible-test's arguments, from the machine's package index. A
file already there (the real script, or a stand-in) is never overwritten.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STANDIN = Path(__file__).with_name("get_pip_standin.py")
CACHE = Path.home() / ".ansible" / "test" / "cache"


def ansible_test_pip_version() -> str:
    """The pip version ansible-test puts in the venvs it makes (it names the bootstrap script)."""
    import ansible_test

    source = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    found = re.search(r"\bpip='([0-9.]+)'", source.read_text(encoding="utf-8"))
    if not found:
        sys.exit(f"sanity: cannot tell which pip {source} bootstraps (no pip='<version>' in it); "
                 f"ansible-test changed: update {Path(__file__).name}")
    return found.group(1)


def install_standin(pip_version: str) -> None:
    target = CACHE / f"get_pip_{pip_version.replace('.', '_')}.py"
    if target.exists():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STANDIN, target)
    print(f"sanity: wrote the offline pip bootstrap stand-in {target}", flush=True)


def copy_checkout(core_version: str) -> Path:
    tree = ROOT / ".cache" / "sanity" / core_version
    dest = tree / "ansible_collections" / "datafabric" / "crosscluster"
    if tree.exists():
        shutil.rmtree(tree)
    dest.mkdir(parents=True)
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        name = os.fsdecode(raw)
        source = ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet in the index
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name, follow_symlinks=False)
    git = ["git", "-C", str(dest), "-c", "user.name=sanity", "-c", "user.email=sanity@localhost"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "--no-verify", "-m", "sanity copy"], check=True)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=f"{sys.version_info[0]}.{sys.version_info[1]}",
                        help="the Python version the tests run under (default: this one)")
    args, rest = parser.parse_known_args()

    from ansible.release import __version__ as core_version

    install_standin(ansible_test_pip_version())
    dest = copy_checkout(core_version)
    ansible_test = Path(sys.executable).parent / "ansible-test"
    argv = [str(ansible_test), "sanity", "--venv", "--python", args.python, "--color", "no", *rest]
    print(f"sanity: ansible-core {core_version}, Python {args.python}: {' '.join(argv[1:])}", flush=True)
    env = dict(os.environ)
    # The collection under test is the copy; a path to this checkout would put a second one first.
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    return subprocess.run(argv, cwd=dest, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
