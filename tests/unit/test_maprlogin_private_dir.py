"""maprlogin's private ticket directory: nothing of a killed run survives the next one.

The runs are real processes running the collection's own code: one is killed with SIGKILL while it
holds its directory (with a ticket file in it), another stays alive holding its own.
"""

import os
import signal
import subprocess
import sys
import tempfile

import pytest
from private_dir_holder import start_holder

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _maprlogin
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin import (
    private_ticketfile,
    remove_stale_private_dirs,
)


@pytest.fixture
def tmpdir_of_runs(tmp_path, monkeypatch):
    """A TMPDIR of this test's own: other tests' logins make directories of the same names in /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def holders(tmpdir_of_runs):
    started = []

    def start():
        proc, directory = start_holder(tmpdir_of_runs)
        started.append(proc)
        return proc, directory

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_the_next_run_removes_what_a_killed_run_left_and_never_a_live_runs(holders, tmpdir_of_runs):
    killed, killed_dir = holders()
    live, live_dir = holders()
    assert os.path.basename(killed_dir).startswith(".crosscluster-maprlogin-%d-" % killed.pid)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert os.path.isfile(os.path.join(killed_dir, "ticket")), "SIGKILL ran the finally?"

    with private_ticketfile() as path:
        mine = os.path.dirname(path)
        assert not os.path.exists(killed_dir)
        assert os.path.isfile(os.path.join(live_dir, "ticket"))
    assert sorted(os.listdir(tmpdir_of_runs)) == [os.path.basename(live_dir)]
    assert not os.path.exists(mine)

    live.stdin.close()  # the live run ends normally and removes its own
    assert live.wait(timeout=30) == 0
    assert os.listdir(tmpdir_of_runs) == []


def test_a_reused_pid_does_not_keep_a_dead_runs_directory_alive(tmpdir_of_runs):
    # This very process's pid, with a start time that is not its own: the pid's earlier owner.
    start = int(_maprlogin._process_start(os.getpid()))
    stale = tmpdir_of_runs / (".crosscluster-maprlogin-%d-%d-abc123" % (os.getpid(), start - 1))
    current = tmpdir_of_runs / (".crosscluster-maprlogin-%d-%d-def456" % (os.getpid(), start))
    for directory in (stale, current):
        directory.mkdir(mode=0o700)
        (directory / "ticket").write_text("a.example c2VjcmV0\n")
    assert remove_stale_private_dirs() == [str(stale)]
    assert not stale.exists() and (current / "ticket").exists()


def test_only_this_users_directories_of_that_name_are_removed(tmpdir_of_runs):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)  # a process that has ended
    others = tmpdir_of_runs / (".crosscluster-maprlogin-%d-5-aaa" % pid)
    link = tmpdir_of_runs / (".crosscluster-maprlogin-%d-5-bbb" % pid)
    unrelated = tmpdir_of_runs / ".crosscluster-maprlogin-older"  # no pid in the name: its owner is unknown
    target = tmpdir_of_runs / "kept"
    for directory in (others, unrelated, target):
        directory.mkdir()
    (target / "file").write_text("x")
    link.symlink_to(target)
    if os.geteuid() == 0:
        os.chown(others, 5000, 5000)
        expect_kept = {others.name, link.name, unrelated.name, target.name}
    else:  # cannot give a directory to another user: it is this user's, and removed
        expect_kept = {link.name, unrelated.name, target.name}
    remove_stale_private_dirs()
    assert set(os.listdir(tmpdir_of_runs)) == expect_kept
    assert (target / "file").exists()
