# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Drive the ``maprlogin`` CLI: argv, environment, idempotence and secret hygiene.

The runner is injected (``AnsibleModule.run_command`` in the module, a fake-free real process in
tests), so this stays testable without Ansible. Standard library only: this runs on nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import re
import shutil
import stat
import tempfile

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_NAME,
    MAX_SECRET,
    excerpt,
    read_text,
    scrub,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin_output import (
    parse_print,
    seconds_left,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import parse_ticket

# What the maprlogin module checks with inputs.check_options before maprlogin runs: each of these
# goes on maprlogin's command line or, for the password, as one line on its stdin.
LIMITS = dict(cluster=MAX_NAME, user=MAX_NAME, password=MAX_SECRET, duration=MAX_NAME, renewal=MAX_NAME,
              min_validity=MAX_NAME)
SECRETS = ("password",)
COMMANDS = ("password", "kerberos", "generateticket", "print", "renew", "authtest", "logout")
TICKET_TYPES = ("crosscluster", "service", "servicewithimpersonation", "tenant")
# Commands that create a ticket, and so can be skipped when a valid one is already there.
CREATING = ("password", "kerberos", "generateticket")
_VALIDITY_RE = re.compile(r"^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s?)?\s*$")


def parse_validity(value):
    """Seconds from ``3600``, ``'90m'``, ``'12h'``, ``'7d'`` or ``'1d12h'``."""
    if isinstance(value, int):
        return value
    match = _VALIDITY_RE.match(str(value))
    if not match or not any(match.groups()):
        raise CrossclusterError("min_validity %s is not a duration" % excerpt(value),
                                fix="write seconds, or a duration such as 30m, 12h, 7d or 1d12h")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


class Maprlogin:
    def __init__(self, executable, run_command, ticketfile=None):
        if not os.access(executable, os.X_OK):
            raise CrossclusterError("is not an executable maprlogin", path=executable,
                                    fix="check mapr_home, or set executable to the maprlogin path")
        self.executable = executable
        self.run_command = run_command
        self.ticketfile = ticketfile

    def _env(self, ticketfile=None):
        """The environment of every maprlogin the collection runs.

        TZ=UTC: ``print`` writes dates with Java's ``Date.toString()`` in the JVM's zone, whose short
        name (AEST, CST, IST) does not say its offset for sure; in UTC the expiry reads exactly,
        whatever the node's zone (the parser refuses anything but UTC/GMT or a numeric offset).
        """
        env = {"TZ": "UTC"}
        location = ticketfile or self.ticketfile
        if location:
            env["MAPR_TICKETFILE_LOCATION"] = location
        return env

    def _run(self, argv, data=None, ticketfile=None, secrets=()):
        rc, out, err = self.run_command([self.executable] + argv, data=data,
                                        environ_update=self._env(ticketfile))
        return rc, scrub(out, secrets), scrub(err, secrets)

    def tickets(self, ticketfile=None):
        """Parsed ``maprlogin print`` of ``ticketfile`` (or the default); [] when there is none."""
        location = ticketfile or self.ticketfile
        if location and not os.path.exists(location):
            return []
        argv = ["print"] + (["-ticketfile", location] if location else [])
        rc, out, _err = self._run(argv, ticketfile=location)
        if rc != 0:
            return []  # no keyfile, or one maprlogin cannot read: there is no valid ticket to reuse
        return parse_print(out, source=" ".join([self.executable] + argv))["tickets"]

    def valid_ticket(self, cluster, user, min_seconds, ticketfile=None):
        """The ticket for ``cluster`` and ``user`` valid for ``min_seconds`` more, or None.

        ``maprlogin print`` does not show a ticket's type, so a reused ticket matches by cluster
        and user only.
        """
        for ticket in self.tickets(ticketfile):
            if cluster and ticket["cluster"] != cluster:
                continue
            if user and ticket["user"] != user:
                continue
            left = seconds_left(ticket)
            if left is not None and left >= min_seconds:
                return ticket
        return None

    def command(self, name, cluster=None, user=None, password=None, ticket_type=None, out=None,
                duration=None, renewal=None):
        """Run one maprlogin command; returns (rc, stdout, stderr) with the password scrubbed."""
        argv = [name]
        if ticket_type:
            argv += ["-type", ticket_type]
        for flag, value in (("-cluster", cluster), ("-user", user), ("-out", out),
                            ("-duration", duration), ("-renewal", renewal)):
            if value:
                argv += [flag, value]
        data = (password + "\n") if name == "password" else None
        return self._run(argv, data=data, secrets=(password,))


# A private directory is named after the process that made it: <prefix><pid>-<start>-<random>, where
# <start> is the process's start time (clock ticks since boot, /proc/<pid>/stat), so a pid reused by
# a later process does not pass for the dead owner.
_PRIVATE_PREFIX = ".crosscluster-maprlogin-"
_PRIVATE_RE = re.compile(r"^%s(?P<pid>[0-9]{1,10})-(?P<start>[0-9]{1,20}|unknown)-[A-Za-z0-9_]+$"
                         % re.escape(_PRIVATE_PREFIX))


def _process_start(pid):
    """Start time of process ``pid`` as /proc shows it, or None when there is no such process (or no /proc)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            line = handle.read()
    except OSError:
        return None
    # Field 2 (the command name, in parentheses) may hold spaces and ')': count from the last ')'.
    # The first field after it is field 3, so the start time (field 22) is the 20th.
    fields = line[line.rfind(b")") + 2:].split()
    return fields[19].decode("ascii") if len(fields) > 19 else None


def _owner_alive(pid, start):
    if start != "unknown":
        return _process_start(pid) == start
    try:  # no /proc when the directory was made: the pid alone says it
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, under another user
        return True
    return True


def remove_stale_private_dirs(parent=None):
    """Remove the private directories of processes that are gone; returns the paths removed.

    A module killed by SIGKILL (an Ansible timeout, the OOM killer, a lost node) never runs its
    ``finally``, and its directory may hold a ticket. The next private_ticketfile() removes it. Only
    directories of this user, named by the pattern above, whose process is gone: a live run's
    directory is left alone whoever owns it, a directory another user made is never touched, and
    the removal does not follow symlinks (``shutil.rmtree`` on Linux works through file descriptors).
    """
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        match = _PRIVATE_RE.match(name)
        if not match:
            continue
        path = os.path.join(parent, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue  # another run removed it first
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            continue
        if _owner_alive(int(match.group("pid")), match.group("start")):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def private_ticketfile():
    """A ticket file path in a fresh 0700 directory, which is removed with whatever maprlogin wrote.

    The ``finally`` removes it unless the process is killed; then the next call removes it
    (remove_stale_private_dirs). maprlogin is a separate program that takes a path, so the ticket
    cannot live in memory that dies with this process (a memfd or an unlinked file).
    """
    remove_stale_private_dirs()
    pid = os.getpid()
    directory = tempfile.mkdtemp(prefix="%s%d-%s-" % (_PRIVATE_PREFIX, pid, _process_start(pid) or "unknown"))
    try:
        yield os.path.join(directory, "ticket")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def generate_to_memory(login, cluster, user, ticket_type, duration, renewal):
    """generateticket into a private temporary directory, read the line, remove the directory.

    The ticket has to travel from one cluster to another through the controller; this keeps it
    off the node's disk except for the moment maprlogin writes it, in a 0700 directory.
    """
    with private_ticketfile() as path:
        rc, out, err = login.command("generateticket", cluster=cluster, user=user, ticket_type=ticket_type,
                                     out=path, duration=duration, renewal=renewal)
        if rc != 0:
            return rc, out, err, None
        lines = [line for line in read_text(path).splitlines() if line.strip()]
        if len(lines) != 1:
            raise CrossclusterError("maprlogin generateticket wrote %d lines, expected one" % len(lines),
                                    fix="check the maprlogin version")
        parse_ticket(lines[0])  # validates the line's shape without ever showing it
        return rc, out, err, lines[0]
