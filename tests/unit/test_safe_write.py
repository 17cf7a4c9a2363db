"""The safe-write helper: locks, snapshots, staged atomic replace, backups, mode and owner."""

import multiprocessing
import os
import stat
import tempfile

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _safe_write as safe_write
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import (
    Attributes,
    TextEdit,
    locked,
    locked_all,
    parse_mode,
    read_snapshot,
    write_files,
)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(directory):
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def test_missing_file_is_an_error_naming_the_fix(tmp_path):
    with pytest.raises(CrossclusterError) as err:
        read_snapshot(str(tmp_path / "nope"))
    assert err.value.path == str(tmp_path / "nope")
    assert "create: true" in err.value.fix


def test_missing_file_with_create_is_an_empty_snapshot(tmp_path):
    snap = read_snapshot(str(tmp_path / "nope"), create=True)
    assert not snap.exists and snap.sha256 is None and snap.text() == ""


def test_directory_is_refused(tmp_path):
    with pytest.raises(CrossclusterError, match="is a directory"):
        read_snapshot(str(tmp_path))


def test_non_utf8_text_is_refused(tmp_path):
    path = tmp_path / "bin"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(CrossclusterError, match="not UTF-8"):
        read_snapshot(str(path)).text()


@pytest.mark.parametrize("given, expected", [(0o600, 0o600), ("0640", 0o640), ("644", 0o644), (None, None)])
def test_parse_mode_accepts_octal_forms(given, expected):
    assert parse_mode(given) == expected


@pytest.mark.parametrize("bad", ["u+rw", "99999", "0o7777777"])
def test_parse_mode_refuses_others(bad):
    with pytest.raises(CrossclusterError):
        parse_mode(bad)


def test_unknown_owner_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(CrossclusterError, match="does not exist on this node"):
        Attributes(owner="no-such-user-xyz")


def test_replace_keeps_mode_and_writes_backup_with_old_inode(tmp_path):
    path = tmp_path / "f"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    snap = read_snapshot(str(path))
    backups = write_files([(snap, b"new\n", Attributes())], backup=True)
    assert path.read_text() == "new\n"
    assert mode_of(path) == 0o640
    backup = backups[str(path)]
    assert open(backup).read() == "old\n"
    assert mode_of(backup) == 0o640
    assert leftovers(tmp_path) == []


def test_new_file_gets_default_mode_and_explicit_mode_wins(tmp_path):
    fresh = read_snapshot(str(tmp_path / "secret"), create=True)
    write_files([(fresh, b"x", Attributes(default_mode=0o600))])
    assert mode_of(tmp_path / "secret") == 0o600
    again = read_snapshot(str(tmp_path / "secret"))
    write_files([(again, b"y", Attributes(mode="0644", default_mode=0o600))])
    assert mode_of(tmp_path / "secret") == 0o644


def test_failed_staging_leaves_every_file_untouched(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text("a0")
    second.write_text("b0")
    real_stage = safe_write._stage
    calls = []

    def failing_stage(dir_fd, name, *args):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_stage(dir_fd, name, *args)

    monkeypatch.setattr(safe_write, "_stage", failing_stage)
    changes = [(read_snapshot(str(first)), b"a1", Attributes()), (read_snapshot(str(second)), b"b1", Attributes())]
    with pytest.raises(CrossclusterError, match="No space left") as err:
        write_files(changes)
    assert err.value.path == str(second)
    assert first.read_text() == "a0" and second.read_text() == "b0"
    assert leftovers(tmp_path) == []


def left_staged(dir_fd, name):
    """Stage a copy of ``name`` and drop it as a killed writer would; returns its name."""
    item = safe_write._stage(dir_fd, name, b"x", 0o600, -1, -1)
    os.close(item.fd)
    return item.tmp


def test_a_writer_removes_what_a_killed_writer_of_the_same_file_staged(tmp_path):
    path = tmp_path / "mapr-clusters.conf"
    path.write_text("old\n")
    # The very names a writer killed between staging and rename leaves (see _stage), and mkstemp's.
    dir_fd = os.open(str(tmp_path), os.O_RDONLY)
    try:
        stale = [left_staged(dir_fd, "mapr-clusters.conf") for _attempt in range(2)]
    finally:
        os.close(dir_fd)
    stale.append(os.path.basename(
        tempfile.mkstemp(dir=str(tmp_path), prefix=".mapr-clusters.conf.", suffix=".tmp")[1]))
    assert len(set(stale)) == 3
    kept = [".mapr-clusters.conf.bak.tmp", ".mapr-clusters.conf.p12.abcd1234.tmp", ".other.abcd1234.tmp",
            "mapr-clusters.conf.abcd1234.tmp", ".mapr-clusters.conf.abcd1234.tmp~"]
    for name in kept:
        (tmp_path / name).write_text("not ours")
    with locked(str(path)):
        write_files([(read_snapshot(str(path)), b"new\n", Attributes())])
    assert path.read_text() == "new\n"
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ["mapr-clusters.conf"]), stale


def test_text_edit_check_mode_reports_without_writing(tmp_path):
    path = tmp_path / "conf"
    path.write_text("one\n")
    edit = TextEdit(str(path), Attributes(), check_mode=True).run(lambda text: text + "two\n")
    assert edit.changed and edit.after == "one\ntwo\n"
    assert path.read_text() == "one\n"


def test_text_edit_does_not_create_a_file_that_would_stay_empty(tmp_path):
    path = tmp_path / "absent"
    edit = TextEdit(str(path), Attributes(), create=True).run(lambda text: text)
    assert not edit.changed and not path.exists()


def test_text_edit_fixes_mode_alone_without_rewriting(tmp_path):
    path = tmp_path / "conf"
    path.write_text("same\n")
    os.chmod(path, 0o644)
    inode = os.stat(path).st_ino
    edit = TextEdit(str(path), Attributes(mode="0600")).run(lambda text: text)
    assert edit.changed and edit.attributes_changed
    assert mode_of(path) == 0o600 and os.stat(path).st_ino == inode


def test_lock_is_exclusive_and_times_out_with_a_clear_message(tmp_path):
    path = str(tmp_path / "f")
    with locked(path):
        with pytest.raises(CrossclusterError, match="another run has held the lock"):
            with locked(path, timeout=0.2):
                pass
    with locked(path, timeout=0.2):
        pass  # released after the first holder left


def test_locked_all_takes_each_directory_once(tmp_path):
    (tmp_path / "x").mkdir()
    paths = [str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "x" / "c")]
    with locked_all(paths):
        with pytest.raises(CrossclusterError):
            with locked(str(tmp_path / "x" / "other"), timeout=0.1):
                pass


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(CrossclusterError, match="does not exist") as err:
        with locked(str(tmp_path / "no" / "file")):
            pass
    assert "mapr_home" in err.value.fix


def _append(path, line, rounds):
    for _round in range(rounds):
        TextEdit(path, Attributes()).run(lambda text: text + line + "\n")


def test_concurrent_read_modify_write_loses_nothing(tmp_path):
    path = str(tmp_path / "shared")
    open(path, "w").close()
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_append, args=(path, "w%d" % n, 25)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    lines = open(path).read().splitlines()
    assert sorted(set(lines)) == ["w0", "w1", "w2", "w3"]
    assert len(lines) == 100


# ------------------------------------------------------------------ links and a directory owner who races


OTHER_UID = 65534  # nobody: stands for mapr, who owns /opt/mapr/conf while the collection writes as root


def identity(path):
    """What a root write through a link or a swapped name would change: mode, owner, content."""
    st = os.lstat(path)
    with open(path, "rb") as handle:
        return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_ino, handle.read()


@pytest.fixture
def outside(tmp_path):
    """A root-only file outside the managed directory, standing in for /etc/shadow."""
    (tmp_path / "etc").mkdir()
    path = tmp_path / "etc" / "shadow"
    path.write_text("root:secret-hash:19000::::::\n")
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def conf(tmp_path):
    """/opt/mapr/conf: owned by another user than the writer (root here)."""
    path = tmp_path / "conf"
    path.mkdir()
    os.chown(path, OTHER_UID, OTHER_UID)
    return path


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def test_a_link_to_a_file_outside_the_directory_is_refused_and_not_followed(conf, outside):
    before = identity(outside)
    link = conf / "ssl_truststore"
    os.symlink(str(outside), str(link))
    with pytest.raises(CrossclusterError, match="is a symbolic link to .*not a regular file in the same directory") \
            as err:
        read_snapshot(str(link))
    assert err.value.path == str(link) and "cp --remove-destination" in err.value.fix
    with pytest.raises(CrossclusterError, match="symbolic link"):
        TextEdit(str(link), Attributes(mode="0644", owner="0")).run(lambda text: text + "x\n")
    assert identity(outside) == before and os.readlink(str(link)) == str(outside)


@pytest.mark.parametrize("how", ["relative", "absolute", "through .."])
def test_a_link_to_a_file_of_the_same_directory_writes_that_file_and_keeps_the_link(conf, how):
    target = conf / "ssl_truststore.jks"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    link = conf / "ssl_truststore"
    os.symlink({"relative": "ssl_truststore.jks", "absolute": str(target),
                "through ..": "../conf/ssl_truststore.jks"}[how], str(link))
    snap = read_snapshot(str(link))
    assert snap.name == "ssl_truststore.jks" and snap.data == b"old\n" and snap.path == str(link)
    backups = write_files([(snap, b"new\n", Attributes())], backup=True)
    assert os.path.islink(str(link)) and target.read_text() == "new\n" and mode_of(target) == 0o640
    assert open(backups[str(link)]).read() == "old\n"
    assert os.path.basename(backups[str(link)]).startswith("ssl_truststore.jks.")
    assert leftovers(conf) == []


def test_a_link_to_a_link_or_to_a_missing_file_outside_is_refused(conf, outside):
    os.symlink(str(outside), str(conf / "hop"))
    os.symlink("hop", str(conf / "first"))
    os.symlink(str(outside.parent / "not-yet"), str(conf / "dangling"))
    for name in ("first", "dangling"):
        with pytest.raises(CrossclusterError, match="symbolic link"):
            TextEdit(str(conf / name), Attributes(), create=True).run(lambda text: "x\n")
    assert not (outside.parent / "not-yet").exists()


def test_a_dangling_link_inside_the_directory_with_create_makes_its_target(conf):
    os.symlink("maprserverticket.real", str(conf / "maprserverticket"))
    TextEdit(str(conf / "maprserverticket"), Attributes(default_mode=0o600), create=True).run(lambda text: "t\n")
    assert (conf / "maprserverticket.real").read_text() == "t\n" and mode_of(conf / "maprserverticket.real") == 0o600


def test_a_fifo_in_place_of_the_file_is_refused_without_hanging(conf):
    os.mkfifo(str(conf / "mapr-clusters.conf"))
    with pytest.raises(CrossclusterError, match="is not a regular file"):
        read_snapshot(str(conf / "mapr-clusters.conf"))


def swap_for_link(dir_fd, name, target):
    """What the directory's owner can do at any instant: replace an entry with a link."""
    os.unlink(name, dir_fd=dir_fd)
    os.symlink(str(target), name, dir_fd=dir_fd)


@needs_root
@pytest.mark.parametrize("step", ["fchown", "fchmod", "fsync", "rename"])
def test_a_staged_copy_swapped_for_a_link_cannot_make_root_touch_its_target(conf, outside, monkeypatch, step):
    """The race, made deterministic: the staged name becomes a link to /etc/shadow just before
    each step that used to go by path (chown, chmod) and just before the rename."""
    managed = conf / "mapr-clusters.conf"
    managed.write_text("old\n")
    os.chown(managed, OTHER_UID, OTHER_UID)
    before = identity(outside)
    real = getattr(os, step)
    swapped = []

    def racing(*args, **kwargs):
        if not swapped:
            dir_fd = os.open(str(conf), os.O_RDONLY)
            try:
                staged = [n for n in os.listdir(dir_fd) if n.endswith(".tmp")]
                assert len(staged) == 1, staged
                swap_for_link(dir_fd, staged[0], outside)
                swapped.append(staged[0])
            finally:
                os.close(dir_fd)
        return real(*args, **kwargs)

    monkeypatch.setattr(os, step, racing)
    with pytest.raises(CrossclusterError, match="was replaced by another process") as err:
        TextEdit(str(managed), Attributes(mode="0644", owner=str(OTHER_UID), group=str(OTHER_UID))).run(
            lambda text: "new\n")
    monkeypatch.undo()
    assert swapped and err.value.path == str(managed) and "user nobody" in err.value.fix
    assert identity(outside) == before
    assert leftovers(conf) == []
    if step != "rename":
        # Caught before the rename: the managed file is untouched, still the owner's.
        assert managed.read_text() == "old\n" and not os.path.islink(str(managed))
        assert os.stat(managed).st_uid == OTHER_UID
    else:
        # Swapped after the last check: the racer's link was renamed into place, which its owner
        # could do anyway. Root followed nothing, and the next run refuses the link.
        assert os.readlink(str(managed)) == str(outside)
        with pytest.raises(CrossclusterError, match="symbolic link"):
            TextEdit(str(managed), Attributes(mode="0644")).run(lambda text: "new\n")
        assert identity(outside) == before


@needs_root
def test_a_managed_file_swapped_for_a_link_after_the_read_is_never_chmodded_through(conf, outside):
    managed = conf / "maprserverticket"
    managed.write_text("t\n")
    os.chmod(managed, 0o644)
    before = identity(outside)
    snap = read_snapshot(str(managed))
    dir_fd = os.open(str(conf), os.O_RDONLY)
    try:
        swap_for_link(dir_fd, "maprserverticket", outside)
    finally:
        os.close(dir_fd)
    with pytest.raises(CrossclusterError, match="was replaced by another process"):
        safe_write.apply_attributes(snap, Attributes(mode="0640", owner=str(OTHER_UID)))
    assert identity(outside) == before


def test_a_file_with_another_hard_link_is_rewritten_not_chmodded_in_place(conf, tmp_path):
    managed = conf / "mapr-clusters.conf"
    managed.write_text("same\n")
    os.chmod(managed, 0o644)
    elsewhere = tmp_path / "hard-link"
    os.link(str(managed), str(elsewhere))
    edit = TextEdit(str(managed), Attributes(mode="0600")).run(lambda text: text)
    assert edit.attributes_changed and mode_of(managed) == 0o600 and managed.read_text() == "same\n"
    assert mode_of(elsewhere) == 0o644 and os.stat(managed).st_ino != os.stat(elsewhere).st_ino


def test_a_linked_directory_is_followed_only_when_nobody_else_can_change_the_link(tmp_path):
    real = tmp_path / "real-conf"
    real.mkdir()
    (real / "f").write_text("x\n")
    safe_parent = tmp_path / "safe"
    safe_parent.mkdir(mode=0o755)
    os.symlink(str(real), str(safe_parent / "conf"))
    assert read_snapshot(str(safe_parent / "conf" / "f")).data == b"x\n"
    open_parent = tmp_path / "open"
    open_parent.mkdir()
    os.chmod(open_parent, 0o777)
    os.symlink(str(real), str(open_parent / "conf"))
    with pytest.raises(CrossclusterError, match="is a symbolic link in .* can change") as err:
        read_snapshot(str(open_parent / "conf" / "f"))
    assert "readlink -f" in err.value.fix


def test_staged_names_have_the_shape_the_stale_cleanup_removes(tmp_path):
    dir_fd = os.open(str(tmp_path), os.O_RDONLY)
    try:
        names = set(left_staged(dir_fd, "ssl_truststore.p12") for _attempt in range(20))
        assert all(safe_write._is_staging_name(n, "ssl_truststore.p12") for n in names) and len(names) == 20
        assert sorted(safe_write._remove_stale(dir_fd, "ssl_truststore.p12")) == sorted(names)
    finally:
        os.close(dir_fd)
