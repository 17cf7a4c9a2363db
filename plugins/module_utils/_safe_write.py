# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Safe file writing shared by every module: lock, snapshot, atomic replace, backup, mode/owner.

Standard library only: this runs on managed nodes.

The lock is an advisory ``flock`` on the parent directory. Locking the file itself would not
serialise writers, because an atomic rename swaps the inode the lock is held on; and a separate
lock file would be one more file left behind. Every writer in this collection takes the same
directory lock, so two runs on one node cannot lose each other's changes.

The directory usually belongs to someone else than the writer: ``mapr`` owns ``/opt/mapr/conf``
and runs every MapR daemon, while the collection writes as root. That user may rename, delete or
replace any entry of the directory at any moment, lock or not. So no step looks a name up twice
or follows a link: every step goes through the locked directory's descriptor (``dir_fd``) or the
written file's own descriptor.

- Files are opened with ``O_NOFOLLOW`` and must be regular files. A managed file that is a
  symbolic link is refused, unless it names a file of the same directory: that file is then the
  one read, compared and replaced, and the link stays.
- The staged copy is created ``O_EXCL | O_NOFOLLOW`` and gets its content, owner and mode through
  its descriptor: a staged name swapped for a link cannot make root chown or chmod another file.
- Links, renames and unlinks are relative to the directory's descriptor and never follow a link.
- Before and after each rename the name is checked to hold the staged inode, so a swap in the last
  instant is reported, never left unnoticed.
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
import random
import stat
import time

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import decode_text, excerpt

LOCK_TIMEOUT = 60.0

# O_NONBLOCK: a FIFO put in the directory in place of a file must not hang the run on open.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_STAGE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
# The staged copy's random part has the shape mkstemp gives it (8 of these), which
# remove_stale_staging matches; mkstemp itself cannot create relative to a directory descriptor.
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_RANDOM = random.SystemRandom()

# {directory: descriptor} of the directories this process holds locked, so that every step of a
# read-modify-write goes through the very descriptor the lock is held on.
_HELD = {}


class Snapshot:
    """What a file held when it was read, so a later write can tell whether it moved on.

    ``name`` is the directory entry that holds the content and will be replaced: the file's own
    name, or the name a symbolic link to a file of the same directory points to.
    """

    def __init__(self, path, data=None, st=None, name=None):
        self.path = path
        self.data = data
        self.st = st
        self.name = name if name is not None else os.path.basename(path)

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


def _directory_of(path):
    return os.path.dirname(os.path.abspath(path))


@contextlib.contextmanager
def locked(path, timeout=LOCK_TIMEOUT):
    """Hold the directory lock that guards ``path`` for a read-modify-write."""
    with _locked_directory(_directory_of(path), path, timeout):
        yield


@contextlib.contextmanager
def locked_all(paths, timeout=LOCK_TIMEOUT):
    """Hold the locks of every directory among ``paths``, always taken in sorted order."""
    by_directory = {}
    for path in paths:
        by_directory.setdefault(_directory_of(path), path)
    with contextlib.ExitStack() as stack:
        for directory in sorted(by_directory):
            stack.enter_context(_locked_directory(directory, by_directory[directory], timeout))
        yield


@contextlib.contextmanager
def _directory(path):
    """The descriptor of ``path``'s directory: the one this process holds locked, else one locked
    for the duration of the call (a caller that did not lock still gets a serialised write)."""
    directory = _directory_of(path)
    if directory in _HELD:
        yield _HELD[directory]
        return
    with _locked_directory(directory, path, LOCK_TIMEOUT) as fd:
        yield fd


def _owner_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _open_directory(directory, path):
    """Open ``directory``, the descriptor the lock and every later step go through.

    Only its last component is at stake. Links higher up are followed: root placed them (MapR
    installs often link /opt/mapr to a data disk), and whoever could replace one could as well
    replace the directory itself. The last component may be replaced by whoever can write its
    parent: if it is a link, it is followed only when nobody but root (or this user) can write
    that parent, else the parent's owner could point it at any directory, /etc included, just
    before root opens it. Once open, the descriptor pins the directory whatever is renamed later.
    """
    parent_path, name = os.path.split(directory)
    try:
        if not name:  # the root directory, which has no parent to be replaced in
            return os.open(directory, _DIR_FLAGS)
        parent = os.open(parent_path, _DIR_FLAGS)
        try:
            try:
                return os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=parent)
            except OSError as err:
                if err.errno not in (errno.ELOOP, errno.ENOTDIR) or not stat.S_ISLNK(
                        os.lstat(name, dir_fd=parent).st_mode):
                    raise
            st = os.fstat(parent)
            if st.st_uid not in (0, os.geteuid()) or st.st_mode & 0o022:
                raise CrossclusterError(
                    "directory %s is a symbolic link in %s, which user %s (or others) can change, so it "
                    "could be pointed at any directory while root writes in it" % (
                        directory, parent_path, _owner_name(st.st_uid)), path=path,
                    fix="give the path of the real directory (readlink -f %s), or make %s owned by root and "
                        "writable by root only" % (directory, parent_path))
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        finally:
            os.close(parent)
    except OSError as err:
        if err.errno == errno.ENOENT:
            raise CrossclusterError(
                "directory %s does not exist" % directory, path=path,
                fix="create the directory first, or correct the path (is mapr_home right?)")
        raise CrossclusterError("cannot open directory %s: %s" % (directory, err.strerror), path=path)


@contextlib.contextmanager
def _locked_directory(directory, path, timeout):
    fd = _open_directory(directory, path)
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
        _HELD[directory] = fd
        try:
            yield fd
        finally:
            del _HELD[directory]
    finally:
        os.close(fd)


def _link_refused(path, target):
    return CrossclusterError(
        "is a symbolic link to %s, which is not a regular file in the same directory; it is not "
        "followed, so that no file elsewhere is read or changed" % excerpt(target), path=path,
        fix="replace the link with a copy of the file (cp --remove-destination %s %s), or with a link "
            "to a file beside it, then re-run" % (excerpt(target, quoted=False), path))


def _replaced(path, dir_fd):
    return CrossclusterError(
        "was replaced by another process while this run wrote it (it is now a different file, a link, "
        "or gone); nothing was written through it", path=path,
        fix="find what else changes files in %s (its owner, user %s, can) and stop it, then re-run" % (
            _directory_of(path), _owner_name(os.fstat(dir_fd).st_uid)))


def _managed_name(path, dir_fd):
    """The entry of the directory that holds ``path``'s content: its own name, or, for a symbolic
    link to a file of the same directory, that file's name. Any other link is refused."""
    name = os.path.basename(path)
    try:
        st = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return name
    if not stat.S_ISLNK(st.st_mode):
        return name
    try:
        target = os.readlink(name, dir_fd=dir_fd)
    except (FileNotFoundError, OSError) as err:
        if not isinstance(err, FileNotFoundError) and err.errno != errno.EINVAL:
            raise
        # No longer a link (swapped back since the lstat, or gone): the name itself, which every
        # later step opens with O_NOFOLLOW, so a link put back in the meantime is still refused.
        return name
    if "/" in target:
        # An absolute link (or ../conf/x) to this very directory is one too: compare the inodes.
        # Only the final name is used afterwards, relative to the locked descriptor, so a link
        # changed after this check can never lead outside the directory.
        try:
            there = os.stat(os.path.dirname(os.path.join(_directory_of(path), target)))
        except OSError:
            raise _link_refused(path, target)
        here = os.fstat(dir_fd)
        if (there.st_dev, there.st_ino) != (here.st_dev, here.st_ino):
            raise _link_refused(path, target)
    inside = os.path.basename(target)
    if inside in ("", ".", "..", name):
        raise _link_refused(path, target)
    return inside


def read_snapshot(path, create=False):
    """Read ``path`` whole. A missing file is an error unless ``create`` allows it."""
    name = os.path.basename(path)
    try:
        with _directory(path) as dir_fd:
            name = _managed_name(path, dir_fd)
            try:
                fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
            except OSError as err:
                if err.errno != errno.ELOOP:
                    raise
                # A link now, though not when _managed_name looked: refused all the same.
                raise _link_refused(path, _read_link(name, dir_fd))
            with os.fdopen(fd, "rb") as handle:
                st = os.fstat(fd)
                if stat.S_ISDIR(st.st_mode):
                    raise IsADirectoryError(errno.EISDIR, "Is a directory")
                if not stat.S_ISREG(st.st_mode):
                    raise CrossclusterError(
                        "is not a regular file (a FIFO, socket or device)", path=path,
                        fix="replace it with the regular file it should be, then re-run")
                data = handle.read()
    except IsADirectoryError:
        raise CrossclusterError(
            "is a directory, not a file", path=path,
            fix="give the path of the file inside it")
    except FileNotFoundError:
        if create:
            return Snapshot(path, name=name)
        raise CrossclusterError(
            "does not exist", path=path,
            fix="correct the path, or set create: true to start a new file")
    except PermissionError:
        raise CrossclusterError(
            "cannot be read (permission denied)", path=path,
            fix="run with become: true, or as the file's owner")
    return Snapshot(path, data, st, name)


def read_bytes(path):
    """``path``'s bytes, read as root reads before a write, for what only reads (the facts): a link out
    of its directory is refused, only a regular file is read, and no lock is taken. None when the
    file or its directory does not exist.

    The directory's owner could otherwise link a file it may not read (``/etc/shadow``) under a
    name root reads, and have part of it reported back.
    """
    directory = _directory_of(path)
    if not os.path.isdir(directory):
        return None
    dir_fd = _open_directory(directory, path)
    try:
        name = _managed_name(path, dir_fd)
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        except OSError as err:
            if err.errno != errno.ELOOP:
                raise
            raise _link_refused(path, _read_link(name, dir_fd))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise CrossclusterError(
                    "is not a regular file (a FIFO, socket or device)", path=path,
                    fix="replace it with the regular file it should be, then re-run")
            return handle.read()
    finally:
        os.close(dir_fd)


def _read_link(name, dir_fd):
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return name


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
    """A staged copy: its name in the directory and its open descriptor, which is what gets the
    content, owner and mode, and what the name is checked against around the rename."""

    def __init__(self, dir_fd, name, tmp, fd):
        self.dir_fd = dir_fd
        self.name = name
        self.tmp = tmp
        self.fd = fd

    def holds(self, name):
        """Whether ``name`` is still this staged inode (and not a link or file put there since)."""
        try:
            there = os.lstat(name, dir_fd=self.dir_fd)
        except FileNotFoundError:
            return False
        mine = os.fstat(self.fd)
        return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)

    def close(self):
        if self.tmp is not None:
            _unlink_quietly(self.dir_fd, self.tmp)
            self.tmp = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _staging_prefix(path):
    return ".%s." % os.path.basename(path)


def _is_staging_name(name, path):
    # mkstemp's random part is 8 characters of [a-z0-9_]; anything else is not one of ours.
    prefix = _staging_prefix(path)
    middle = name[len(prefix):-len(".tmp")]
    return (name.startswith(prefix) and name.endswith(".tmp") and len(middle) == 8
            and all(c in _NAME_CHARS for c in middle))


def remove_stale_staging(path):
    """Remove the staged copies of ``path`` that a killed writer left; returns their names.

    Call it only while holding the directory lock: every writer of this collection stages under
    that lock, so a staged file seen then belongs to a writer that died before its rename.
    """
    with _directory(path) as dir_fd:
        return _remove_stale(dir_fd, os.path.basename(path))


def _remove_stale(dir_fd, name):
    removed = []
    for entry in sorted(os.listdir(dir_fd)):
        if _is_staging_name(entry, name):
            _unlink_quietly(dir_fd, entry)
            removed.append(entry)
    return removed


def _stage(dir_fd, name, data, mode, uid, gid):
    """Write ``data`` to a new file beside ``name`` and give it its mode and owner, all through its
    descriptor. Created 0600, so a secret is never readable by others, not even briefly."""
    for _attempt in range(100):
        tmp = "%s%s.tmp" % (_staging_prefix(name), "".join(_RANDOM.choice(_NAME_CHARS) for _char in range(8)))
        try:
            fd = os.open(tmp, _STAGE_FLAGS, 0o600, dir_fd=dir_fd)
            break
        except FileExistsError:
            continue  # a name taken, by a killed writer or by anyone: O_EXCL never reuses it
    else:
        raise FileExistsError(errno.EEXIST, "no free name to stage a copy under", tmp)
    item = _Staged(dir_fd, name, tmp, fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        # Owner first: a chown clears set-id bits, so the mode must be set after it.
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    except BaseException:
        item.close()
        raise
    return item


def _unlink_quietly(dir_fd, name):
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def write_files(changes, backup=False):
    """Replace several files as one step: all are staged before any is renamed into place.

    ``changes`` is a list of ``(snapshot, data, attributes)``. Staging first means a full disk or
    a bad owner fails before any file changed, so sibling stores never end up half-updated. A writer
    killed between two renames leaves the files already renamed new and the others old, each
    whole; the next write completes the set. Each snapshot's ``name`` is replaced: for a link to a
    file of the same directory, that file, and the link stays.
    Returns ``{path: backup_path}`` for the files that were backed up. Callers hold the directory
    lock of every path (``locked`` / ``locked_all``); without it, each directory is locked here.
    """
    staged = []
    backups = {}
    with contextlib.ExitStack() as stack:
        dir_fds = {}
        for snapshot, _data, _attrs in changes:
            directory = _directory_of(snapshot.path)
            if directory not in dir_fds:
                dir_fds[directory] = stack.enter_context(_directory(snapshot.path))
        current = changes[0][0].path if changes else None
        try:
            for snapshot, _data, _attrs in changes:
                current = snapshot.path
                _remove_stale(dir_fds[_directory_of(current)], snapshot.name)
            for snapshot, data, attributes in changes:
                current = snapshot.path
                mode, uid, gid = attributes.target(snapshot)
                staged.append(_stage(dir_fds[_directory_of(current)], snapshot.name, data, mode, uid, gid))
            for (snapshot, _data, _attrs), item in zip(changes, staged):
                current = snapshot.path
                if backup and snapshot.exists:
                    # A hard link keeps the old inode, its mode and owner, at no copy cost. It links
                    # the entry itself, never what a link there would point to.
                    name = os.path.basename(backup_name(snapshot.name))
                    try:
                        os.link(snapshot.name, name, src_dir_fd=item.dir_fd, dst_dir_fd=item.dir_fd,
                                follow_symlinks=False)
                    except FileNotFoundError:
                        raise _replaced(current, item.dir_fd)
                    backups[snapshot.path] = os.path.join(_directory_of(current), name)
                if not item.holds(item.tmp):
                    raise _replaced(current, item.dir_fd)
                try:
                    os.rename(item.tmp, item.name, src_dir_fd=item.dir_fd, dst_dir_fd=item.dir_fd)
                except FileNotFoundError:  # the staged name removed since holds() looked
                    raise _replaced(current, item.dir_fd)
                item.tmp = None
                if not item.holds(item.name):
                    raise _replaced(current, item.dir_fd)
                os.fsync(item.dir_fd)
        except OSError as err:
            raise CrossclusterError("cannot be written: %s" % err.strerror, path=current,
                                    fix="check free space, permissions and that become is used")
        finally:
            for item in staged:
                item.close()
    return backups


def apply_attributes(snapshot, attributes):
    """Fix mode and ownership in place when only they differ.

    Through the file's descriptor, and only when it is still the inode that was read and has no
    other name: a hard link elsewhere would have its mode changed too, so that file is rewritten
    instead (a new inode with the same content).
    """
    mode, uid, gid = attributes.target(snapshot)
    with _directory(snapshot.path) as dir_fd:
        try:
            fd = os.open(snapshot.name, _READ_FLAGS, dir_fd=dir_fd)
        except OSError as err:
            if err.errno in (errno.ELOOP, errno.ENOENT):
                raise _replaced(snapshot.path, dir_fd)
            raise CrossclusterError("cannot be written: %s" % err.strerror, path=snapshot.path,
                                    fix="check free space, permissions and that become is used")
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (snapshot.st.st_dev, snapshot.st.st_ino):
                raise _replaced(snapshot.path, dir_fd)
            if st.st_nlink == 1:
                if uid != -1 or gid != -1:
                    os.fchown(fd, uid, gid)
                os.fchmod(fd, mode)
                return
        except OSError as err:
            raise CrossclusterError("cannot be written: %s" % err.strerror, path=snapshot.path,
                                    fix="check free space, permissions and that become is used")
        finally:
            os.close(fd)
        write_files([(snapshot, snapshot.data, attributes)])


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
