"""Finding and ending the lab's own processes, by recorded pid or by a marker in their command line."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time


def cmdline(pid: int) -> str:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """True for a running process; a zombie has finished and only awaits its parent."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:][:1] != b"Z"


def _ancestors() -> set:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid, "rb") as fh:
                stat = fh.read()
            pid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def find(predicate) -> list:
    """Pids whose command line satisfies predicate, never this process or its parents (a
    `lab.py down --dir X` has the lab's path in its own command line)."""
    skip = _ancestors()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in skip and predicate(cmdline(int(entry))):
            found.append(int(entry))
    return found


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def terminate(pids, timeout: float = 3.0) -> None:
    """SIGTERM, then SIGKILL whatever is still there after timeout; returns when all are gone."""
    pids = [p for p in pids if alive(p)]
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while pids and time.monotonic() < deadline:
            for pid in pids:
                _reap(pid)
            pids = [p for p in pids if alive(p)]
            if pids:
                time.sleep(0.02)
        if not pids:
            return


def spawn(argv: list, env: dict, log_path: str) -> subprocess.Popen:
    """Start a lab service in its own session, so it outlives `lab.py up` and ^C in a shell."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=log, start_new_session=True)


def wait_ready(proc: subprocess.Popen, log_path: str, timeout: float = 15.0) -> str:
    """The service's READY line; on failure the error names its log and quotes its tail."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([proc.stdout], [], [], remaining)[0]:
            break
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        line += chunk
    proc.stdout.close()
    text = line.decode(errors="replace").strip()
    if not text.startswith("READY"):
        try:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                tail = "".join(fh.readlines()[-10:])
        except OSError:
            tail = ""
        raise RuntimeError("%s did not start (see %s):\n%s" % (proc.args[0], log_path, tail))
    return text
