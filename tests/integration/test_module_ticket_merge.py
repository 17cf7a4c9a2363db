"""crossclusterticket_merge through Ansible: tickets travel in the environment, never in argv.

Every run here is at -vvvv with diff mode where it matters, because that is where a secret
would leak: the blobs must appear in no output, no task result, no diff and no file Ansible
leaves behind.
"""

import base64
import hashlib
import json
import os
import re
import stat

from ansible_run import assert_arguments_censored, env_lookup, file_task, play, run_playbook

MODULE = "datafabric.crosscluster.crossclusterticket_merge"


def make_blob(tag):
    """A blob shaped like a real ticket: long standard base64 with '+', '/' and padding."""
    raw = tag.encode("ascii") + hashlib.sha512(tag.encode("ascii")).digest() * 3 + b"\xfb\xff\xfe"
    return base64.b64encode(raw).decode("ascii")


BLOBS = {name: make_blob("secret-%s" % name) for name in ("a", "b", "c", "d", "d2", "e", "f", "x")}
NAMES = {name: "%s.example.com" % name[0] for name in BLOBS}


def digest(blob):
    return "sha256:" + hashlib.sha256(blob.encode("ascii")).hexdigest()[:12]


def line(name):
    return "%s %s" % (NAMES[name], BLOBS[name])


def write_tickets(path, names, mode=0o600):
    path.write_text("".join(line(n) + "\n" for n in names), encoding="ascii")
    os.chmod(path, mode)
    return path


def task(title, path, **args):
    return file_task(MODULE, title, path, **args)


def assert_no_secret(result, secrets):
    """No blob, nor a good piece of one, in the screen output, the results or files left behind."""
    recorded = json.dumps(result.results)
    for secret in secrets:
        for text, where in ((result.output, "output"), (recorded, "task results")):
            assert secret not in text, "a ticket leaked into the %s" % where
            assert secret[12:44] not in text, "part of a ticket leaked into the %s" % where
        assert result.files_containing(secret) == []
    assert not any(part in " ".join(result.argv) for part in secrets)


def test_merge_forms_idempotence_create_backup_and_no_leak(tmp_path):
    tickets = write_tickets(tmp_path / "maprserverticket", ["a", "b"])
    new_file = tmp_path / "new" / "maprserverticket"
    new_file.parent.mkdir()
    env = {
        "T_C_LINE": line("c"),
        "T_D_BLOB": BLOBS["d"],
        "T_D2_BLOB": BLOBS["d2"],
        "T_EF_LINES": json.dumps([line("e"), line("f")]),
    }
    result = run_playbook(play(
        task("whole line", tickets, ticket=env_lookup("T_C_LINE"), backup=True),
        task("blob and cluster", tickets, ticket=env_lookup("T_D_BLOB"), cluster=NAMES["d"]),
        task("whole line again", tickets, ticket=env_lookup("T_C_LINE")),
        task("blob and cluster again", tickets, ticket=env_lookup("T_D_BLOB"), cluster=NAMES["d"]),
        task("new blob for d", tickets, ticket=env_lookup("T_D2_BLOB"), cluster=NAMES["d"]),
        task("several at once", tickets, tickets=env_lookup("T_EF_LINES", json_value=True)),
        task("new file", new_file, ticket=env_lookup("T_C_LINE"), create=True),
    ), diff=True, verbosity=4, secret_env=env, tmp_dir=tmp_path).expect_ok()
    assert_no_secret(result, BLOBS.values())
    assert_arguments_censored(result.output)

    changed = {r["task"]: r["result"].get("changed") for r in result.results}
    failed = [r["task"] for r in result.results if r["status"] != "ok"]
    assert failed == [], result.describe()
    assert changed == {"whole line": True, "blob and cluster": True, "whole line again": False,
                       "blob and cluster again": False, "new blob for d": True, "several at once": True,
                       "new file": True}

    final = "".join(line(n) + "\n" for n in ("a", "b", "c", "d2", "e", "f"))
    assert tickets.read_text() == final
    assert stat.S_IMODE(os.stat(tickets).st_mode) == 0o600

    last = result.task("several at once")
    assert last["clusters"] == [NAMES[n] for n in ("a", "b", "c", "d2", "e", "f")]
    assert last["digests"] == {NAMES[n]: digest(BLOBS[n]) for n in ("a", "b", "c", "d2", "e", "f")}

    # The diff shows each blob as its digest: the replaced blob's old and new digests.
    swap = result.task("new blob for d")["diff"]
    assert swap["before"] == "".join("%s %s\n" % (NAMES[n], digest(BLOBS[n])) for n in ("a", "b", "c", "d"))
    assert swap["after"] == "".join("%s %s\n" % (NAMES[n], digest(BLOBS[n])) for n in ("a", "b", "c", "d2"))
    assert "+%s %s" % (NAMES["d"], digest(BLOBS["d2"])) in result.output  # as Ansible shows it

    backup = result.task("whole line")["backup_file"]
    assert re.fullmatch(re.escape(str(tickets)) + r"\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~", backup), backup
    assert open(backup, encoding="ascii").read() == line("a") + "\n" + line("b") + "\n"
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600

    assert new_file.read_text() == line("c") + "\n"
    assert stat.S_IMODE(os.stat(new_file).st_mode) == 0o600
    assert os.listdir(new_file.parent) == ["maprserverticket"]


def test_errors_change_nothing_and_never_show_the_blob(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    tickets = write_tickets(conf / "maprserverticket", ["a", "b"])
    damaged = conf / "damaged-ticket"
    bad_in_file = BLOBS["c"][:40] + "*" + BLOBS["c"][41:]
    damaged.write_text(line("a") + "\n" + "%s %s\n" % (NAMES["c"], bad_in_file), encoding="ascii")
    os.chmod(damaged, 0o600)
    bad_chars = BLOBS["x"][:30] + "!" + BLOBS["x"][31:]
    truncated = BLOBS["x"][:-3]
    before = {p: p.read_bytes() for p in (tickets, damaged)}
    env = {
        "T_BAD_CHARS": "%s %s" % (NAMES["x"], bad_chars),
        "T_TRUNCATED": truncated,
        "T_C_LINE": line("c"),
        "T_OWN_LINE": "%s %s" % (NAMES["a"], BLOBS["x"]),
        "T_BLOB_ONLY": BLOBS["x"],
    }
    result = run_playbook(play(
        task("bad characters", tickets, ticket=env_lookup("T_BAD_CHARS")),
        task("truncated", tickets, ticket=env_lookup("T_TRUNCATED"), cluster=NAMES["x"]),
        task("cluster names disagree", tickets, ticket=env_lookup("T_C_LINE"), cluster=NAMES["x"]),
        task("blob without cluster", tickets, ticket=env_lookup("T_BLOB_ONLY")),
        task("replace own ticket", tickets, ticket=env_lookup("T_OWN_LINE")),
        task("remove own ticket", tickets, cluster=NAMES["a"], state="absent"),
        task("damaged file", damaged, ticket=env_lookup("T_C_LINE")),
    ), diff=True, verbosity=4, secret_env=env, tmp_dir=tmp_path).expect_ok()
    assert_no_secret(result, list(BLOBS.values()) + [bad_chars, bad_in_file, truncated])

    for path, data in before.items():
        assert path.read_bytes() == data, path
    assert sorted(os.listdir(conf)) == ["damaged-ticket", "maprserverticket"]  # no temp file left behind

    def failure(name):
        res = result.task(name)
        assert res.get("failed") and not res.get("changed"), result.describe()
        assert "Fix: " in res["msg"], res["msg"]
        return res["msg"]

    msg = failure("bad characters")
    assert "is not valid base64: it contains characters outside the standard base64 alphabet" in msg, msg
    assert "x.example.com" in msg
    msg = failure("truncated")
    assert "wrong length or misplaced '=' padding" in msg, msg
    msg = failure("cluster names disagree")
    assert "ticket is for cluster 'c.example.com' but cluster is 'x.example.com'" in msg, msg
    msg = failure("blob without cluster")
    assert "only a blob" in msg and "cluster" in msg, msg
    for name, action in (("replace own ticket", "replace"), ("remove own ticket", "remove")):
        msg = failure(name)
        assert msg.startswith("%s, line 1: refusing to %s the ticket of cluster 'a.example.com'" % (tickets, action))
        assert "allow_first: true" in msg
    msg = failure("damaged file")
    assert msg.startswith("%s, line 2: ticket for cluster 'c.example.com' is not valid base64" % damaged), msg


def test_absent_by_cluster_and_allow_first(tmp_path):
    tickets = write_tickets(tmp_path / "maprserverticket", ["a", "b", "c"])
    result = run_playbook(play(
        task("remove b", tickets, cluster=NAMES["b"], state="absent"),
        task("remove b again", tickets, cluster=NAMES["b"], state="absent"),
        task("replace own ticket", tickets, ticket=env_lookup("T_OWN"), cluster=NAMES["a"], allow_first=True),
        task("remove own ticket", tickets, cluster=NAMES["a"], state="absent", allow_first=True),
    ), diff=True, secret_env={"T_OWN": BLOBS["x"]}, tmp_dir=tmp_path).expect_ok()
    assert_no_secret(result, BLOBS.values())
    assert [r["status"] for r in result.results] == ["ok"] * 4, result.describe()
    assert [r["result"]["changed"] for r in result.results] == [True, False, True, True]
    assert result.task("remove b")["diff"]["after"] == "%s %s\n%s %s\n" % (
        NAMES["a"], digest(BLOBS["a"]), NAMES["c"], digest(BLOBS["c"]))
    assert result.task("replace own ticket")["digests"][NAMES["a"]] == digest(BLOBS["x"])
    assert tickets.read_text() == line("c") + "\n"
    assert stat.S_IMODE(os.stat(tickets).st_mode) == 0o600


def test_tickets_merged_and_removed_in_one_edit(tmp_path):
    tickets = write_tickets(tmp_path / "maprserverticket", ["a", "b", "c"])
    result = run_playbook(play(
        task("take d, drop b and c", tickets, tickets=[env_lookup("T_D")], remove=[NAMES["b"], NAMES["c"]]),
        task("again", tickets, tickets=[env_lookup("T_D")], remove=[NAMES["b"], NAMES["c"]]),
        task("drop only", tickets, remove=[NAMES["d"]]),
        task("own ticket stays", tickets, remove=[NAMES["a"]]),
    ), diff=True, secret_env={"T_D": line("d")}, tmp_dir=tmp_path)
    assert_no_secret(result, BLOBS.values())
    assert [r["result"].get("changed") for r in result.results] == [True, False, True, False], result.describe()
    assert result.task("take d, drop b and c")["clusters"] == [NAMES["a"], NAMES["d"]]
    assert result.results[3]["result"]["failed"] and "allow_first" in result.results[3]["result"]["msg"]
    assert tickets.read_text() == line("a") + "\n"
