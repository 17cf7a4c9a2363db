# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Safe file writing shared by every module: lock, snapshot, atomic replace, backup, mode/owner.

Standard library only: this runs on managed nodes.

The lock is an advisory ``flock`` on the parent directory. Locking the file itself would not
serialise writers, because an atomic rename swaps the inode the lock is held on; and a separate
lock file would be one more file left behind. Every writer in this collection takes the same
directory lock, so two runs on one node cannot lose each other's changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import grp
import hashlib
import os
import pwd
import stat
import tempfile
import time

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import decode_text, excerpt

LOCK_TIMEOUT = 60.0


class Snapshot:
    """What a file held when it was read, so a later write can tell whether it moved on."""

    def __init__(self, path, data=None, st=None):
        self.path = path
        self.data = data
        self.st = st

    @property
    def exists(self):
        return self.data is not None

    @property
    def sha256(self):
        return sha256_hex(self.data) if self.exists else None

    def text(self):
        if not self.exists:
            return ""
        return decode_text(self.data, self.path)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def locked(path, timeout=LOCK_TIMEOUT):
    """Hold the directory lock that guards ``path`` for a read-modify-write."""
    with _locked_directory(os.path.dirname(os.path.abspath(path)), path, timeout):
        yield


@contextlib.contextmanager
def locked_all(paths, timeout=LOCK_TIMEOUT):
    """Hold the locks of every directory among ``paths``, always taken in sorted order."""
    by_directory = {}
    for path in paths:
        by_directory.setdefault(os.path.dirname(os.path.abspath(path)), path)
    with contextlib.ExitStack() as stack:
        for directory in sorted(by_directory):
            stack.enter_context(_locked_directory(directory, by_directory[directory], timeout))
        yield


@contextlib.contextmanager
def _locked_directory(directory, path, timeout):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError as err:
        if err.errno == errno.ENOENT:
            raise CrossclusterError(
                "directory %s does not exist" % directory, path=path,
                fix="create the directory first, or correct the path (is mapr_home right?)")
        raise CrossclusterError("cannot open directory %s: %s" % (directory, err.strerror), path=path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise CrossclusterError(
                        "another run has held the lock on %s for over %d seconds" % (directory, timeout),
                        path=path, fix="wait for the other run to finish, then re-run")
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def read_snapshot(path, create=False):
    """Read ``path`` whole. A missing file is an error unless ``create`` allows it."""
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory")
            data = handle.read()
    except IsADirectoryError:
        raise CrossclusterError(
            "is a directory, not a file", path=path,
            fix="give the path of the file inside it")
    except FileNotFoundError:
        if create:
            return Snapshot(path)
        raise CrossclusterError(
            "does not exist", path=path,
            fix="correct the path, or set create: true to start a new file")
    except PermissionError:
        raise CrossclusterError(
            "cannot be read (permission denied)", path=path,
            fix="run with become: true, or as the file's owner")
    return Snapshot(path, data, st)


def parse_mode(mode, name="mode"):
    """Accept what users write in YAML: 0600 (int), '0600', '600'. Symbolic modes are refused."""
    if mode is None:
        return None
    if isinstance(mode, int):
        value = mode
    else:
        try:
            value = int(str(mode), 8)
        except ValueError:
            raise CrossclusterError(
                "%s %s is not an octal mode" % (name, excerpt(mode)),
                fix="quote an octal mode, for example %s: '0600'" % name)
    if not 0 <= value <= 0o7777:
        raise CrossclusterError("%s %s is out of range" % (name, excerpt(mode)), fix="use a mode such as '0600'")
    return value


def resolve_owner(owner=None, group=None):
    """Turn user and group names (or numeric ids) into (uid, gid); None keeps what is there."""
    uid = gid = None
    if owner is not None:
        try:
            uid = int(owner) if str(owner).isdigit() else pwd.getpwnam(owner).pw_uid
        except (KeyError, ValueError):  # ValueError: a NUL in the name, which no user has
            raise CrossclusterError("user %s does not exist on this node" % excerpt(owner),
                                    fix="create the user first, or correct owner")
    if group is not None:
        try:
            gid = int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid
        except (KeyError, ValueError):
            raise CrossclusterError("group %s does not exist on this node" % excerpt(group),
                                    fix="create the group first, or correct group")
    return uid, gid


class Attributes:
    """The mode and ownership a written file must end up with."""

    def __init__(self, mode=None, owner=None, group=None, default_mode=0o644):
        self.mode = parse_mode(mode)
        self.uid, self.gid = resolve_owner(owner, group)
        self.default_mode = default_mode

    def target(self, snapshot):
        """(mode, uid, gid): what is asked for, else what the file had, else the defaults."""
        st = snapshot.st
        mode = self.mode
        if mode is None:
            mode = stat.S_IMODE(st.st_mode) if st is not None else self.default_mode
        uid = self.uid if self.uid is not None else (st.st_uid if st is not None else -1)
        gid = self.gid if self.gid is not None else (st.st_gid if st is not None else -1)
        return mode, uid, gid

    def differ(self, snapshot):
        """Whether an existing file's mode or ownership must change though its content does not."""
        if snapshot.st is None:
            return False
        mode, uid, gid = self.target(snapshot)
        st = snapshot.st
        return (mode != stat.S_IMODE(st.st_mode)
                or (uid != -1 and uid != st.st_uid)
                or (gid != -1 and gid != st.st_gid))


def backup_name(path):
    # Same shape as Ansible's own backups, so administrators find them where they expect.
    return "%s.%d.%s~" % (path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S"))


class _Staged:
    def __init__(self, path, tmp):
        self.path = path
        self.tmp = tmp


def _staging_prefix(path):
    return ".%s." % os.path.basename(path)


def _is_staging_name(name, path):
    # mkstemp's random part is 8 characters of [a-z0-9_]; anything else is not one of ours.
    prefix = _staging_prefix(path)
    middle = name[len(prefix):-len(".tmp")]
    return (name.startswith(prefix) and name.endswith(".tmp") and len(middle) == 8
            and all(c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in middle))


def remove_stale_staging(path):
    """Remove the staged copies of ``path`` that a killed writer left; returns their names.

    Call it only while holding the directory lock: every writer of this collection stages under
    that lock, so a staged file seen then belongs to a writer that died before its rename.
    """
    directory = os.path.dirname(os.path.abspath(path))
    removed = []
    for name in sorted(os.listdir(directory)):
        if _is_staging_name(name, path):
            _unlink_quietly(os.path.join(directory, name))
            removed.append(name)
    return removed


def _stage(path, data, mode, uid, gid):
    directory = os.path.dirname(os.path.abspath(path))
    # mkstemp creates the file 0600, so a secret is never readable by others, not even briefly.
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=_staging_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if uid != -1 or gid != -1:
            os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return _Staged(path, tmp)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(path):
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_files(changes, backup=False):
    """Replace several files as one step: all are staged before any is renamed into place.

    ``changes`` is a list of ``(snapshot, data, attributes)``. Staging first means a full disk or
    a bad owner fails before any file changed, so sibling stores never end up half-updated. A writer
    killed between two renames leaves the files already renamed new and the others old, each
    whole; the next write completes the set.
    Returns ``{path: backup_path}`` for the files that were backed up. Callers hold the directory
    lock of every path (``locked`` / ``locked_all``).
    """
    staged = []
    backups = {}
    try:
        for snapshot, _data, _attrs in changes:
            remove_stale_staging(snapshot.path)
        for snapshot, data, attributes in changes:
            mode, uid, gid = attributes.target(snapshot)
            staged.append(_stage(snapshot.path, data, mode, uid, gid))
        for (snapshot, _data, _attrs), item in zip(changes, staged):
            if backup and snapshot.exists:
                # A hard link keeps the old inode, its mode and owner, at no copy cost.
                name = backup_name(snapshot.path)
                os.link(snapshot.path, name)
                backups[snapshot.path] = name
            os.rename(item.tmp, item.path)
            item.tmp = None
            _fsync_dir(item.path)
    except OSError as err:
        raise CrossclusterError("cannot be written: %s" % err.strerror, path=err.filename or changes[0][0].path,
                                fix="check free space, permissions and that become is used")
    finally:
        for item in staged:
            if item.tmp is not None:
                _unlink_quietly(item.tmp)
    return backups


def apply_attributes(snapshot, attributes):
    """Fix mode and ownership in place when only they differ."""
    mode, uid, gid = attributes.target(snapshot)
    if uid != -1 or gid != -1:
        os.chown(snapshot.path, uid, gid)
    os.chmod(snapshot.path, mode)


class TextEdit:
    """One read-modify-write of a text file under the lock; the modules' common path.

    ``edit(text) -> new_text`` does the format work. Check mode runs everything but the write,
    so it reports exactly what a real run would change.
    """

    def __init__(self, path, attributes, create=False, backup=False, check_mode=False):
        self.path = path
        self.attributes = attributes
        self.create = create
        self.backup = backup
        self.check_mode = check_mode
        self.before = None
        self.after = None
        self.backup_file = None
        self.changed = False
        self.attributes_changed = False

    def run(self, edit):
        with locked(self.path):
            snapshot = read_snapshot(self.path, create=self.create)
            self.before = snapshot.text()
            self.after = edit(self.before)
            # A missing file that would stay empty (removing from nothing) is not created.
            content_changed = self.after != self.before or (not snapshot.exists and self.after != "")
            self.attributes_changed = not content_changed and self.attributes.differ(snapshot)
            self.changed = content_changed or self.attributes_changed
            if self.check_mode or not self.changed:
                return self
            if content_changed:
                backups = write_files([(snapshot, self.after.encode("utf-8"), self.attributes)], self.backup)
                self.backup_file = backups.get(self.path)
            else:
                apply_attributes(snapshot, self.attributes)
        return self
