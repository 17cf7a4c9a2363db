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

    def failing_stage(path, *args):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", path)
        return real_stage(path, *args)

    monkeypatch.setattr(safe_write, "_stage", failing_stage)
    changes = [(read_snapshot(str(first)), b"a1", Attributes()), (read_snapshot(str(second)), b"b1", Attributes())]
    with pytest.raises(CrossclusterError, match="No space left"):
        write_files(changes)
    assert first.read_text() == "a0" and second.read_text() == "b0"
    assert leftovers(tmp_path) == []


def test_a_writer_removes_what_a_killed_writer_of_the_same_file_staged(tmp_path):
    path = tmp_path / "mapr-clusters.conf"
    path.write_text("old\n")
    # The very names a writer killed between staging and rename leaves (see _stage).
    stale = [os.path.basename(tempfile.mkstemp(dir=str(tmp_path), prefix=".mapr-clusters.conf.", suffix=".tmp")[1])
             for _ in range(2)]
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
    for _ in range(rounds):
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
