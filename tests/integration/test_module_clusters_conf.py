"""clusters_conf_entry through Ansible itself: ad-hoc runs and playbooks on localhost."""

import grp
import os
import platform
import pwd
import re
import stat

from ansible_run import file_task, play, run_module, run_playbook, start_playbook

MODULE = "datafabric.crosscluster.clusters_conf_entry"

HEADER = "# mapr-clusters.conf written by configure.sh\n"
LINE_A = "a.example.com secure=true ca1.example.com:7222 ca2.example.com:7222"
LINE_B = "b.example.com secure=true cldbHttpsPort=7443 cb1.example.com:7222"
LINE_C = ("c.example.com secure=true kerberosEnable=true cldbPrincipal=mapr/c.example.com@C.EXAMPLE.COM "
          "cc1.example.com:7222")
TRAILER = "# remote clusters above; keep this comment last\n"
ORIGINAL = HEADER + LINE_A + "\n\n" + LINE_B + "\n" + TRAILER


def write_conf(tmp_path, text=ORIGINAL, name="mapr-clusters.conf", mode=0o644):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def task(title, path, **args):
    return file_task(MODULE, title, path, **args)


def test_add_line_check_mode_diff_and_idempotence(tmp_path):
    conf = write_conf(tmp_path)
    before = os.stat(conf)
    expected = HEADER + LINE_A + "\n\n" + LINE_B + "\n" + LINE_C + "\n" + TRAILER

    # Check mode with diff: reports the change and the exact new text, touches nothing.
    checked = run_module("clusters_conf_entry", {"path": str(conf), "line": LINE_C},
                         check=True, diff=True, tmp_dir=tmp_path).expect_ok()
    assert checked.changed, checked.describe()
    assert checked.result["diff"]["before"] == ORIGINAL
    assert checked.result["diff"]["after"] == expected
    assert checked.result["clusters"] == ["a.example.com", "b.example.com", "c.example.com"]
    assert conf.read_text() == ORIGINAL
    after_check = os.stat(conf)
    assert (after_check.st_ino, after_check.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    # The real run: the new line goes right after the last cluster line, comments stay put.
    added = run_module("clusters_conf_entry", {"path": str(conf), "line": LINE_C}, diff=True,
                       tmp_dir=tmp_path).expect_ok()
    assert added.changed
    assert conf.read_text() == expected
    assert added.result["diff"] == dict(before=ORIGINAL, after=expected, before_header=str(conf),
                                        after_header=str(conf))
    assert added.result["local_cluster"] == "a.example.com"
    assert added.result["entry"]["name"] == "c.example.com"
    assert added.result["entry"]["options"] == {"kerberosEnable": "true",
                                                "cldbPrincipal": "mapr/c.example.com@C.EXAMPLE.COM"}
    assert "--- before: %s" % conf in added.output  # Ansible rendered the diff for people too

    # Again: nothing to do, and the file is not even rewritten.
    written = os.stat(conf)
    again = run_module("clusters_conf_entry", {"path": str(conf), "line": LINE_C}, tmp_dir=tmp_path).expect_ok()
    assert not again.changed, again.describe()
    assert conf.read_text() == expected
    assert (os.stat(conf).st_ino, os.stat(conf).st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_replace_in_place_lines_in_one_call_and_absent(tmp_path):
    conf = write_conf(tmp_path)
    new_b = ("b.example.com secure=true cldbHttpsPort=7443 kerberosEnable=true "
             "10.0.0.5:7222;10.1.0.5:7222 cb2.example.com:7222")
    line_d = "d.example.com secure=false cd1.example.com:7222"
    line_b3 = "b.example.com secure=true cb3.example.com:7222"
    result = run_playbook(play(
        # The line built from its parts: default port added, options in the order given.
        task("replace b from parts", conf, name="b.example.com", secure=True,
             hosts=["10.0.0.5:7222;10.1.0.5:7222", "cb2.example.com"],
             options={"cldbHttpsPort": 7443, "kerberosEnable": True}),
        task("several lines at once", conf, lines=[LINE_C, line_d, line_b3]),
        task("same lines again", conf, lines=[LINE_C, line_d, line_b3]),
        task("remove c", conf, name="c.example.com", state="absent"),
        task("remove c again", conf, name="c.example.com", state="absent"),
    ), diff=True, tmp_dir=tmp_path).expect_ok()

    replaced = result.task("replace b from parts")
    assert replaced["changed"] and not replaced.get("failed"), result.describe()
    assert replaced["diff"]["after"] == HEADER + LINE_A + "\n\n" + new_b + "\n" + TRAILER
    assert replaced["entry"]["line"] == new_b

    several = result.task("several lines at once")
    assert several["changed"] and not several.get("failed"), result.describe()
    after_several = HEADER + LINE_A + "\n\n" + line_b3 + "\n" + LINE_C + "\n" + line_d + "\n" + TRAILER
    assert several["diff"]["after"] == after_several
    assert [e["name"] for e in several["entries"]] == ["c.example.com", "d.example.com", "b.example.com"]
    assert several["clusters"] == ["a.example.com", "b.example.com", "c.example.com", "d.example.com"]

    assert not result.task("same lines again")["changed"]

    removed = result.task("remove c")
    assert removed["changed"] and not removed.get("failed"), result.describe()
    final = HEADER + LINE_A + "\n\n" + line_b3 + "\n" + line_d + "\n" + TRAILER
    assert removed["diff"]["after"] == final
    assert not result.task("remove c again")["changed"]
    assert conf.read_text() == final


def test_first_line_is_protected_unless_allow_first(tmp_path):
    conf = write_conf(tmp_path)
    other_a = "a.example.com secure=true ca9.example.com:7222"
    refused = run_playbook(play(
        task("replace own line", conf, line=other_a),
        task("remove own line", conf, name="a.example.com", state="absent"),
    ), tmp_dir=tmp_path).expect_ok()
    assert conf.read_text() == ORIGINAL
    for name, action in (("replace own line", "change"), ("remove own line", "remove")):
        res = refused.task(name)
        assert res.get("failed") and not res["changed"], refused.describe()
        # Names the file and the line, says why, and says how to do it on purpose.
        assert res["msg"].startswith("%s, line 2: refusing to %s cluster 'a.example.com'" % (conf, action))
        assert "allow_first: true" in res["msg"]

    allowed = run_playbook(play(
        task("replace own line", conf, line=other_a, allow_first=True),
        task("remove own line", conf, name="a.example.com", state="absent", allow_first=True),
    ), diff=True, tmp_dir=tmp_path).expect_ok()
    replaced = allowed.task("replace own line")
    assert replaced["changed"] and replaced["diff"]["after"] == ORIGINAL.replace(LINE_A, other_a)
    removed = allowed.task("remove own line")
    assert removed["changed"] and removed["local_cluster"] == "b.example.com"
    assert conf.read_text() == HEADER + "\n" + LINE_B + "\n" + TRAILER


def test_errors_name_file_line_and_fix_and_change_nothing(tmp_path):
    duplicate = write_conf(tmp_path, LINE_A + "\n" + LINE_B + "\n\n" + LINE_B.replace("cb1", "cb9") + "\n",
                           name="duplicate.conf")
    malformed = write_conf(tmp_path, HEADER + LINE_A + "\n" + "b.example.com secure=true cb1.example.com:99999\n",
                           name="malformed.conf")
    directory = tmp_path / "conf.d"
    directory.mkdir()
    missing = tmp_path / "missing" / "mapr-clusters.conf"
    missing.parent.mkdir()
    created = tmp_path / "new" / "mapr-clusters.conf"
    created.parent.mkdir()
    good = write_conf(tmp_path, name="good.conf")
    files = {p: p.read_bytes() for p in (duplicate, malformed, good)}

    result = run_playbook(play(
        task("duplicate names", duplicate, line=LINE_C),
        task("malformed line", malformed, line=LINE_C),
        task("a directory", directory, line=LINE_C),
        task("missing file", missing, line=LINE_C),
        task("created file", created, line=LINE_C, create=True),
        task("bad option line", good, line="c.example.com secure=true cc1.example.com:72x22"),
        task("no hosts for a name", good, name="c.example.com", secure=True),
    ), tmp_dir=tmp_path).expect_ok()

    def failure(name):
        res = result.task(name)
        assert res.get("failed") and not res.get("changed"), result.describe()
        assert "Fix: " in res["msg"], res["msg"]
        return res["msg"]

    msg = failure("duplicate names")
    assert msg.startswith("%s, line 4: cluster 'b.example.com' appears on lines 2 and 4" % duplicate), msg
    msg = failure("malformed line")
    assert msg.startswith("%s, line 3: " % malformed) and "port 99999, outside 1-65535" in msg, msg
    assert "host:port" in msg
    msg = failure("a directory")
    assert msg.startswith("%s: is a directory" % directory), msg
    msg = failure("missing file")
    assert msg.startswith("%s: does not exist" % missing) and "create: true" in msg, msg
    assert not missing.exists()
    msg = failure("bad option line")
    assert msg.startswith("option line: ") and "non-numeric port '72x22'" in msg, msg
    msg = failure("no hosts for a name")
    assert "needs secure and hosts" in msg, msg

    for path, data in files.items():
        assert path.read_bytes() == data, path
    assert os.listdir(directory) == []

    made = result.task("created file")
    assert made["changed"] and not made.get("failed"), result.describe()
    assert created.read_text() == LINE_C + "\n"
    assert stat.S_IMODE(os.stat(created).st_mode) == 0o644
    # Nothing but the file itself is left in its directory (no temp file, no backup).
    assert os.listdir(created.parent) == ["mapr-clusters.conf"]


def _other_owner():
    """A non-root user and group to own the test file, when the tests run as root."""
    if os.geteuid() != 0:
        return None
    for user in ("nobody", "daemon"):
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            continue
        return entry.pw_uid, grp.getgrgid(entry.pw_gid).gr_gid
    return None


def test_mode_owner_kept_and_backup(tmp_path):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    conf = write_conf(conf_dir, mode=0o640)
    owner = _other_owner()
    if owner is not None:
        os.chown(conf, *owner)
    old = os.stat(conf)

    result = run_module("clusters_conf_entry", {"path": str(conf), "line": LINE_C, "backup": True},
                        tmp_dir=tmp_path).expect_ok()
    assert result.changed
    new = os.stat(conf)
    assert stat.S_IMODE(new.st_mode) == 0o640
    assert (new.st_uid, new.st_gid) == (old.st_uid, old.st_gid)
    assert new.st_ino != old.st_ino, "the file is replaced by rename, not rewritten in place"
    assert LINE_C in conf.read_text()

    backup = result.result["backup_file"]
    assert re.fullmatch(re.escape(str(conf)) + r"\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~", backup), backup
    kept = os.stat(backup)
    assert open(backup, encoding="utf-8").read() == ORIGINAL
    assert stat.S_IMODE(kept.st_mode) == 0o640
    assert (kept.st_uid, kept.st_gid) == (old.st_uid, old.st_gid)
    assert sorted(os.listdir(conf_dir)) == sorted([conf.name, os.path.basename(backup)])

    # Asking for another mode on an otherwise unchanged file changes only the mode; then it is stable.
    content = conf.read_bytes()
    moded = run_playbook(play(
        task("mode only", conf, line=LINE_C, mode="0600"),
        task("mode again", conf, line=LINE_C, mode="0600"),
    ), tmp_dir=tmp_path).expect_ok()
    assert moded.task("mode only")["changed"] and not moded.task("mode again")["changed"], moded.describe()
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
    assert conf.read_bytes() == content
    assert (os.stat(conf).st_uid, os.stat(conf).st_gid) == (old.st_uid, old.st_gid)


FILLER_LINES = 20000
BARRIER = (
    "import os, sys, time\n"
    "d, me, n = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
    "open(os.path.join(d, me), 'w').close()\n"
    "end = time.time() + 60\n"
    "while len(os.listdir(d)) < n and time.time() < end:\n"
    "    time.sleep(0.01)\n"
    "sys.exit(0 if len(os.listdir(d)) >= n else 1)\n"
)


def barrier_task(directory, me, count):
    """A task that returns only when ``count`` playbooks have reached it (so they write together)."""
    return {"name": "barrier", "ansible.builtin.command": {
        "argv": ["/usr/bin/python3", "-c", BARRIER, str(directory), me, str(count)]}}


def test_concurrent_runs_lose_nothing(tmp_path):
    # Many remote clusters make each read-parse-write take long enough that, without the lock, two
    # runs would read the same text and one would overwrite the other's line.
    filler = "".join("f%d.example.com secure=true f%d.example.com:7222\n" % (n, n) for n in range(FILLER_LINES))
    conf = write_conf(tmp_path, HEADER + LINE_A + "\n\n" + LINE_B + "\n" + filler + TRAILER)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    lines = {
        worker: ["w%d-%d.example.com secure=true w%d-%d.example.com:7222" % (worker, n, worker, n) for n in range(3)]
        for worker in (1, 2)
    }
    running = []
    for worker, worker_lines in lines.items():
        tasks = [barrier_task(barrier, "w%d" % worker, 2)]
        tasks += [{"name": "line %d" % n, MODULE: {"path": str(conf), "line": line}}
                  for n, line in enumerate(worker_lines)]
        running.append(start_playbook(play(*tasks), tmp_dir=tmp_path))
    results = [r.wait() for r in running]
    for result in results:
        result.expect_ok()
        assert all(result.task("line %d" % n)["changed"] for n in range(3)), result.describe()

    text = conf.read_text()
    added = [line for line in text.splitlines() if line.startswith("w")]
    assert sorted(added) == sorted(lines[1] + lines[2])
    # Each run's own lines stay in the order it wrote them; the rest of the file is untouched.
    for worker_lines in lines.values():
        assert [line for line in added if line in worker_lines] == worker_lines
    assert text == HEADER + LINE_A + "\n\n" + LINE_B + "\n" + filler + "".join(x + "\n" for x in added) + TRAILER


def test_lines_and_removals_in_one_edit(tmp_path):
    conf = write_conf(tmp_path)
    swap = {"path": str(conf), "lines": [LINE_C], "remove": ["b.example.com", "z.example.com"]}
    added = run_module("clusters_conf_entry", swap, diff=True, tmp_dir=tmp_path).expect_ok()
    assert added.changed and added.result["clusters"] == ["a.example.com", "c.example.com"]
    assert conf.read_text() == HEADER + LINE_A + "\n\n" + LINE_C + "\n" + TRAILER
    assert not run_module("clusters_conf_entry", swap, tmp_dir=tmp_path).expect_ok().changed
    alone = run_module("clusters_conf_entry", {"path": str(conf), "remove": ["c.example.com"]},
                       tmp_dir=tmp_path).expect_ok()
    assert alone.changed and "entry" not in alone.result
    own = run_module("clusters_conf_entry", {"path": str(conf), "remove": ["a.example.com"]}, tmp_dir=tmp_path)
    assert own.rc != 0 and "allow_first" in own.result["msg"]
    assert conf.read_text() == HEADER + LINE_A + "\n\n" + TRAILER


def test_crlf_line_ends_are_kept_and_named_in_a_warning(tmp_path):
    crlf = ORIGINAL.replace("\n", "\r\n")
    conf = write_conf(tmp_path, crlf)
    added = run_module("clusters_conf_entry", {"path": str(conf), "line": LINE_C}, tmp_dir=tmp_path).expect_ok()
    assert added.changed
    # Kept, and the added line ends the same way.
    assert conf.read_bytes() == (HEADER + LINE_A + "\n\n" + LINE_B + "\n" + LINE_C + "\n" + TRAILER).replace(
        "\n", "\r\n").encode()
    # Named by the node's own name: Ansible prints a module's warning without the host.
    warning = ("%s: %s ends 5 of its 5 lines with CRLF (Windows line ends); they are kept as they are, and any "
               "line added here ends with CRLF too" % (platform.node(), conf))
    assert any(warning in w for w in added.result["warnings"]), added.result.get("warnings")
    # ansible-core 2.16 wraps a warning at the terminal width, breaking a long path at a hyphen too.
    assert "[WARNING]" in added.output and "".join(warning.split()) in "".join(added.output.split())
    # An LF file gives no warning.
    plain = write_conf(tmp_path, name="lf.conf")
    quiet = run_module("clusters_conf_entry", {"path": str(plain), "line": LINE_C}, tmp_dir=tmp_path).expect_ok()
    assert not quiet.result.get("warnings") and "[WARNING]" not in quiet.output
