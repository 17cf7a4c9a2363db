"""truststore_import / truststore_info (and their node half, file_snapshot) through Ansible.

Stores are built the way a MapR 7.x node keeps them (ssl_truststore JKS, .p12 PKCS12, .pem),
and every result is read back with tools the collection does not use: the JVM's keytool and
Python's ssl. The store password reaches Ansible only through the environment.
"""

import base64
import hashlib
import json
import os
import secrets
import stat

import stores
from ansible_run import env_lookup, run_module, run_playbook, start_playbook
from stores import Ca, keytool, keytool_list, make_mapr_stores, pem_ca_subjects, snapshot, tls_handshake_ok

IMPORT = "datafabric.crosscluster.truststore_import"
INFO = "datafabric.crosscluster.truststore_info"
PASSWORD_VAR = "STOREPASS"
TRUSTED = "trustedCertEntry"

# Making EC keys is cheap, but there is no need to make them per test.
CA_A = Ca("cluster-a CA")
CA_B = Ca("cluster-b CA")
CA_C = Ca("cluster-c CA")
CA_D = Ca("cluster-d CA")


def new_password():
    return "pw-" + secrets.token_urlsafe(16)


def step(module, title, **args):
    """A task whose password (unless given) comes from the environment; failures are kept."""
    args.setdefault("password", env_lookup(PASSWORD_VAR))
    if args["password"] is None:
        del args["password"]
    return {"name": title, module: args, "ignore_errors": True}


def importing(title, path, **args):
    return step(IMPORT, title, path=str(path), **args)


def info(title, path, **args):
    return step(INFO, title, path=str(path), **args)


def run(tmp_path, password, *tasks, **kwargs):
    env = {PASSWORD_VAR: password}
    env.update(kwargs.pop("secret_env", {}))
    play = [{"hosts": "all", "gather_facts": False, "tasks": list(tasks)}]
    return run_playbook(play, secret_env=env, tmp_dir=tmp_path, **kwargs).expect_ok()


def ok(result, title):
    res = result.task(title)
    assert not res.get("failed"), result.describe()
    return res


def failed(result, title):
    res = result.task(title)
    assert res.get("failed") and not res.get("changed"), result.describe()
    assert "Fix: " in res["msg"], res["msg"]
    return res["msg"]


def conf_dir(tmp_path, password, cas):
    """A MapR-like conf dir whose three truststore siblings hold ``cas``; returns (jks, p12, pem)."""
    return make_mapr_stores(tmp_path / "conf", password, cas)


def expect_trusted(paths, password, cas):
    """keytool reads exactly ``cas`` ({alias: Ca}) as trusted entries from JKS and PKCS12, ssl from PEM."""
    jks_path, p12_path, pem_path = paths
    want = {alias: (TRUSTED, ca.sha256) for alias, ca in cas.items()}
    assert keytool_list(jks_path, password) == want
    assert keytool_list(p12_path, password, "PKCS12") == want
    assert pem_ca_subjects(pem_path) == sorted(ca.common_name for ca in cas.values())


def test_import_into_mapr_siblings_check_diff_idempotence(tmp_path):
    password = new_password()
    paths = conf_dir(tmp_path, password, {"cluster-a-ca": CA_A})
    original = snapshot(paths)
    cert_b = [{"alias": "Cluster-B-CA", "pem": CA_B.pem}]

    # Check mode with diff: says what would be imported where, and writes nothing.
    checked = run(tmp_path, password, importing("import b", paths[0], certificates=cert_b),
                  check=True, diff=True)
    res = ok(checked, "import b")
    assert res["changed"]
    assert [(i["alias"], i["sha256"]) for i in res["imported"]] == [("cluster-b-ca", CA_B.sha256)]
    assert [(s["path"], s["store_type"], s["changed"]) for s in res["stores"]] == [
        (str(paths[0]), "jks", True), (str(paths[1]), "pkcs12", True), (str(paths[2]), "pem", True)]
    assert snapshot(paths) == original
    assert [d["after_header"] for d in res["diff"]] == [str(p) for p in paths]
    for diff in res["diff"]:
        assert "sha256:%s" % CA_A.sha256 in diff["before"]
        assert "sha256:%s" % CA_B.sha256 not in diff["before"]
        assert "cluster-b-ca trusted sha256:%s CN=cluster-b CA" % CA_B.sha256 in diff["after"]

    # The real thing, with backups; then the same again, and the same certificate under another alias.
    done = run(tmp_path, password,
               importing("import b", paths[0], certificates=cert_b, backup=True),
               importing("import b again", paths[0], certificates=cert_b),
               importing("b as another alias", paths[0], certificate=CA_B.pem, alias="b-again"),
               diff=True)
    res = ok(done, "import b")
    assert res["changed"] and all(s["changed"] for s in res["stores"])
    for item in res["stores"]:
        backup = item["backup_file"]
        assert backup.startswith(item["path"] + ".") and backup.endswith("~")
        assert open(backup, "rb").read() == original[item["path"]]
    again = ok(done, "import b again")
    assert not again["changed"] and not any(s["changed"] for s in again["stores"])
    assert [(s["alias"], s["reason"]) for s in again["already_present"]] == [("cluster-b-ca", "already present")]
    assert [r["status"] for r in done.results] == ["ok"] * 3  # not reported as skipped tasks
    other = ok(done, "b as another alias")
    assert not other["changed"] and other["imported"] == []
    assert other["already_present"][0]["sha256"] == CA_B.sha256
    assert other["already_present"][0]["reason"] == "already present as alias 'cluster-b-ca'"

    expect_trusted(paths, password, {"cluster-a-ca": CA_A, "cluster-b-ca": CA_B})
    for path in paths:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    # A client with the PEM store now accepts a server of cluster B, and still not one of cluster C.
    assert tls_handshake_ok(paths[2], CA_B)
    assert not tls_handshake_ok(paths[2], CA_C)


def test_alias_conflict_fails_and_replace_swaps(tmp_path):
    password = new_password()
    paths = conf_dir(tmp_path, password, {"cluster-a-ca": CA_A, "cluster-b-ca": CA_B})
    original = snapshot(paths)

    refused = run(tmp_path, password, importing("c under b's alias", paths[0], certificate=CA_C.pem,
                                                alias="CLUSTER-B-CA"))
    msg = failed(refused, "c under b's alias")
    assert msg.startswith("%s: alias 'cluster-b-ca' already holds another certificate" % paths[0]), msg
    assert CA_B.sha256 in msg and CA_C.sha256 in msg and "on_alias_conflict: replace" in msg
    assert snapshot(paths) == original

    swapped = run(tmp_path, password, importing("c under b's alias", paths[0], certificate=CA_C.pem,
                                                alias="cluster-b-ca", on_alias_conflict="replace"))
    res = ok(swapped, "c under b's alias")
    assert res["changed"]
    assert [(i["alias"], i["sha256"]) for i in res["removed"]] == [("cluster-b-ca", CA_B.sha256)]
    assert [(i["alias"], i["sha256"]) for i in res["imported"]] == [("cluster-b-ca", CA_C.sha256)]
    # B is no longer trusted by any of the three siblings, C is trusted by all of them.
    expect_trusted(paths, password, {"cluster-a-ca": CA_A, "cluster-b-ca": CA_C})


def test_absent_by_alias_and_by_fingerprint(tmp_path):
    password = new_password()
    paths = conf_dir(tmp_path, password, {"cluster-a-ca": CA_A, "cluster-b-ca": CA_B, "cluster-c-ca": CA_C})
    result = run(tmp_path, password,
                 importing("remove b by alias", paths[0], alias="Cluster-B-CA", state="absent"),
                 # keytool's way of writing a fingerprint: upper-case pairs separated by colons.
                 importing("remove c by fingerprint", paths[0], state="absent",
                           certificates=[{"sha256": CA_C.keytool_sha256}]),
                 importing("remove both again", paths[0], state="absent",
                           certificates=[{"alias": "cluster-b-ca"}, {"sha256": CA_C.sha256}]),
                 info("what is left", paths[0], companions=True),
                 diff=True)
    by_alias = ok(result, "remove b by alias")
    assert by_alias["changed"] and [i["sha256"] for i in by_alias["removed"]] == [CA_B.sha256]
    assert all(s["changed"] for s in by_alias["stores"]), by_alias["stores"]
    by_fp = ok(result, "remove c by fingerprint")
    assert by_fp["changed"] and [i["sha256"] for i in by_fp["removed"]] == [CA_C.sha256]
    assert all(s["changed"] for s in by_fp["stores"]), by_fp["stores"]
    assert not ok(result, "remove both again")["changed"]
    left = ok(result, "what is left")
    assert [(s["store_type"], [e["sha256"] for e in s["entries"]]) for s in left["stores"]] == [
        ("jks", [CA_A.sha256]), ("pkcs12", [CA_A.sha256]), ("pem", [CA_A.sha256])]
    expect_trusted(paths, password, {"cluster-a-ca": CA_A})


def test_wrong_password_is_named_and_never_shown(tmp_path):
    password = new_password()
    wrong = new_password()
    paths = conf_dir(tmp_path, password, {"cluster-a-ca": CA_A})
    original = snapshot(paths)
    # The wrong one travels the other secret way: a 0600 vars file given with -e @file.
    first = run(tmp_path, password,
                importing("wrong password", paths[0], certificate=CA_B.pem, alias="b",
                          password="{{ wrong_password }}"),
                importing("wrong p12 password", paths[0], certificate=CA_B.pem, alias="b",
                          companion_password="{{ wrong_password }}"),
                importing("pkcs12 alone, wrong password", paths[1], certificate=CA_B.pem, alias="b",
                          password="{{ wrong_password }}"),
                info("right password", paths[0], companions=True),
                verbosity=4, diff=True, secret_vars={"wrong_password": wrong})
    msg = failed(first, "wrong password")
    assert msg.startswith("%s: the store password is wrong" % paths[0]), msg
    msg = failed(first, "wrong p12 password")
    assert msg.startswith("%s: the store password is wrong" % paths[1]), msg
    msg = failed(first, "pkcs12 alone, wrong password")
    assert msg.startswith("%s: the store password is wrong" % paths[1]), msg
    assert [len(s["entries"]) for s in ok(first, "right password")["stores"]] == [1, 1, 1]
    # Nothing was written, not even to the siblings whose password was right.
    assert snapshot(paths) == original

    second = run(tmp_path, password, importing("right password", paths[0], certificate=CA_B.pem, alias="b"),
                 verbosity=4, diff=True)
    assert ok(second, "right password")["changed"]
    for result in (first, second):
        recorded = json.dumps(result.results)
        for secret in (password, wrong):
            assert secret not in result.output and secret not in recorded
            assert result.files_containing(secret) == []
            assert secret not in " ".join(result.argv)
        assert "EXEC /bin/sh" in result.output  # -vvvv really showed what ran
    expect_trusted(paths, password, {"cluster-a-ca": CA_A, "b": CA_B})


def test_damaged_stores_and_private_key_pem_are_refused(tmp_path):
    password = new_password()
    whole_jks = stores.jks_bytes(password, {"a": CA_A, "b": CA_B})
    whole_p12 = stores.p12_bytes(password, {"a": CA_A, "b": CA_B})
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    files = {
        "truncated jks": stores.write_file(damaged / "truncated.jks", whole_jks[: len(whole_jks) // 2]),
        "truncated p12": stores.write_file(damaged / "truncated.p12", whole_p12[: len(whole_p12) - 40]),
        "empty": stores.write_file(damaged / "empty.jks", b""),
        "garbage": stores.write_file(damaged / "garbage.jks", os.urandom(64).replace(b"\x30", b"\x31")),
        "truncated pem": stores.write_file(damaged / "truncated.pem", CA_A.pem[:-40].encode()),
    }
    good = stores.write_file(tmp_path / "good.jks", whole_jks)
    before = snapshot(list(files.values()) + [good])
    tasks = [importing(title, path, certificate=CA_C.pem, alias="c") for title, path in files.items()]
    tasks.append(importing("a private key", good, certificate=CA_C.key_pem, alias="c"))
    tasks.append(importing("key and certificate", good, certificate=CA_C.key_pem + CA_C.pem, alias="c"))
    result = run(tmp_path, password, *tasks, secret_env={"KEY": CA_C.key_pem})

    expected = {
        "truncated jks": "is truncated or corrupt JKS",
        "truncated p12": "is truncated or corrupt PKCS12",
        "empty": "is empty",
        "garbage": "is not a JKS, PKCS12 or PEM store",
        "truncated pem": "a PEM block is not closed",
    }
    for title, words in expected.items():
        msg = failed(result, title)
        assert msg.startswith(str(files[title])) and words in msg, msg
    for title in ("a private key", "key and certificate"):
        msg = failed(result, title)
        assert "holds a PRIVATE KEY block, not a certificate" in msg, msg
        assert "never a private key" in msg
    key_body = CA_C.key_pem.splitlines()[1]
    assert key_body not in result.output and key_body not in json.dumps(
        [r["result"].get("msg") for r in result.results])
    assert snapshot(list(files.values()) + [good]) == before


def test_create_new_stores_or_refuse_missing(tmp_path):
    password = new_password()
    new = tmp_path / "new"
    new.mkdir()
    missing = new / "missing.jks"
    result = run(tmp_path, password,
                 importing("missing", missing, certificate=CA_A.pem, alias="a"),
                 importing("new jks", new / "truststore.jks", certificate=CA_A.pem, alias="a", create=True),
                 importing("new p12", new / "truststore.p12", certificate=CA_A.pem, alias="a", create=True),
                 importing("new pem", new / "truststore.pem", certificate=CA_A.pem, alias="a", create=True),
                 importing("new by store_type", new / "ssl_truststore", certificate=CA_A.pem, alias="a",
                           create=True, store_type="pkcs12", mode="0640"))
    msg = failed(result, "missing")
    assert msg.startswith("%s: does not exist" % missing) and "create: true" in msg, msg
    assert not missing.exists()
    for title in ("new jks", "new p12", "new pem", "new by store_type"):
        assert ok(result, title)["changed"]
    assert [ok(result, t)["store_type"] for t in ("new jks", "new p12", "new pem", "new by store_type")] == [
        "jks", "pkcs12", "pem", "pkcs12"]
    want = {"a": (TRUSTED, CA_A.sha256)}
    assert keytool_list(new / "truststore.jks", password, "JKS") == want
    assert keytool_list(new / "truststore.p12", password, "PKCS12") == want
    assert keytool_list(new / "ssl_truststore", password, "PKCS12") == want
    assert pem_ca_subjects(new / "truststore.pem") == ["cluster-a CA"]
    assert stat.S_IMODE(os.stat(new / "truststore.jks").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(new / "ssl_truststore").st_mode) == 0o640
    # ssl_truststore's siblings did not exist, so none was created.
    assert sorted(os.listdir(new)) == ["ssl_truststore", "truststore.jks", "truststore.p12", "truststore.pem"]


def test_private_key_entry_survives(tmp_path):
    password = new_password()
    store = tmp_path / "node-keystore.jks"
    keytool("-genkeypair", "-alias", "NodeKey", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=node1.example.com", "-validity", "30", "-keystore", str(store), "-storetype", "JKS",
            "-storepass:env", stores.PASSWORD_ENV, "-keypass:env", stores.PASSWORD_ENV, password=password)
    key_entry = keytool_list(store, password)["nodekey"]
    assert key_entry[0] == "PrivateKeyEntry"
    untouched = store.read_bytes()

    result = run(tmp_path, password,
                 importing("import b", store, certificate=CA_B.pem, alias="cluster-b-ca"),
                 importing("remove the key", store, alias="nodekey", state="absent"),
                 importing("replace the key", store, certificate=CA_C.pem, alias="NodeKey",
                           on_alias_conflict="replace"),
                 info("entries", store))
    assert ok(result, "import b")["changed"]
    msg = failed(result, "remove the key")
    assert "'nodekey' is a private_key entry" in msg, msg
    msg = failed(result, "replace the key")
    assert "alias 'nodekey' is a private_key entry and is never replaced" in msg, msg
    assert [(e["alias"], e["type"]) for e in ok(result, "entries")["entries"]] == [
        ("nodekey", "private_key"), ("cluster-b-ca", "trusted")]
    assert "PRIVATE" not in json.dumps(result.results)

    assert store.read_bytes() != untouched
    assert keytool_list(store, password) == {"nodekey": key_entry, "cluster-b-ca": (TRUSTED, CA_B.sha256)}
    # The key itself still decrypts with its password: keytool can sign a request with it.
    csr = keytool("-certreq", "-alias", "nodekey", "-keystore", str(store), "-storepass:env", stores.PASSWORD_ENV,
                  "-keypass:env", stores.PASSWORD_ENV, password=password)
    assert "BEGIN NEW CERTIFICATE REQUEST" in csr.stdout


def test_stores_written_by_keytool_with_mixed_case_alias(tmp_path):
    password = new_password()
    conf = tmp_path / "conf"
    conf.mkdir()
    jks_path, p12_path = conf / "ssl_truststore", conf / "ssl_truststore.p12"
    stores.keytool_import_ca(jks_path, password, "Cluster-A-CA", CA_A, "JKS", tmp_path)
    stores.keytool_import_ca(p12_path, password, "Cluster-A-CA", CA_A, "PKCS12", tmp_path)

    result = run(tmp_path, password,
                 importing("import b", jks_path, certificate=CA_B.pem, alias="Cluster-B-CA"),
                 importing("a's alias in other case", jks_path, certificate=CA_C.pem, alias="CLUSTER-A-CA"),
                 importing("a under its alias in other case", jks_path, certificate=CA_A.pem, alias="cluster-A-ca"))
    res = ok(result, "import b")
    assert res["changed"]
    assert [(s["path"], s["store_type"], s["changed"]) for s in res["stores"]] == [
        (str(jks_path), "jks", True), (str(p12_path), "pkcs12", True)]
    msg = failed(result, "a's alias in other case")
    assert "alias 'cluster-a-ca' already holds another certificate" in msg, msg
    assert not ok(result, "a under its alias in other case")["changed"]

    want = {"cluster-a-ca": (TRUSTED, CA_A.sha256), "cluster-b-ca": (TRUSTED, CA_B.sha256)}
    assert keytool_list(jks_path, password, "JKS") == want
    assert keytool_list(p12_path, password, "PKCS12") == want


def test_info_lists_entries_of_each_format(tmp_path):
    password = new_password()
    paths = conf_dir(tmp_path, password, {"cluster-a-ca": CA_A, "cluster-b-ca": CA_B})
    result = run(tmp_path, password,
                 info("jks", paths[0]),
                 info("p12", paths[1]),
                 info("pem", paths[2], password=None),
                 info("all three", paths[0], companions=True),
                 info("p12 with its own password", paths[1], password=env_lookup("OTHER")),
                 secret_env={"OTHER": "not-" + password})

    def facts(entries):
        return [(e["alias"], e["type"], e["sha256"], e["subject"], e["not_after"], e["pem"]) for e in entries]

    want = [(alias, "trusted", ca.sha256, "CN=" + ca.common_name, ca.not_after.isoformat(), ca.pem)
            for alias, ca in (("cluster-a-ca", CA_A), ("cluster-b-ca", CA_B))]
    pem_want = [(None,) + item[1:] for item in want]  # a PEM block without friendlyName has no alias
    assert ok(result, "jks")["store_type"] == "jks" and facts(ok(result, "jks")["entries"]) == want
    assert ok(result, "p12")["store_type"] == "pkcs12" and facts(ok(result, "p12")["entries"]) == want
    assert ok(result, "pem")["store_type"] == "pem" and facts(ok(result, "pem")["entries"]) == pem_want
    every = ok(result, "all three")
    assert not every["changed"]
    assert [(s["path"], s["store_type"]) for s in every["stores"]] == [
        (str(paths[0]), "jks"), (str(paths[1]), "pkcs12"), (str(paths[2]), "pem")]
    assert [facts(s["entries"]) for s in every["stores"]] == [want, want, pem_want]
    msg = failed(result, "p12 with its own password")
    assert "password is wrong" in msg


def test_concurrent_imports_and_conf_edits_lose_nothing(tmp_path):
    password = new_password()
    paths = conf_dir(tmp_path, password, {"cluster-a-ca": CA_A})
    conf = tmp_path / "conf" / "mapr-clusters.conf"
    conf.write_text("a.example.com secure=true ca1:7222\n")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    script = ("import os, sys, time\nd = sys.argv[1]\nopen(os.path.join(d, sys.argv[2]), 'w').close()\n"
              "end = time.time() + 60\nwhile len(os.listdir(d)) < 2 and time.time() < end:\n    time.sleep(0.01)\n")
    plan = {"one": [("cluster-b-ca", CA_B)], "two": [("cluster-c-ca", CA_C), ("cluster-d-ca", CA_D)]}
    running = []
    for worker, certs in plan.items():
        tasks = [{"name": "barrier", "ansible.builtin.command": {
            "argv": ["/usr/bin/python3", "-c", script, str(barrier), worker]}}]
        for alias, ca in certs:
            tasks.append(importing("import %s" % alias, paths[0], certificate=ca.pem, alias=alias))
            tasks.append({"name": "conf %s" % alias, "datafabric.crosscluster.clusters_conf_entry": {
                "path": str(conf), "line": "%s.example.com secure=true %s1:7222" % (alias, alias)}})
        play = [{"hosts": "all", "gather_facts": False, "tasks": tasks}]
        running.append(start_playbook(play, secret_env={PASSWORD_VAR: password}, tmp_dir=tmp_path))
    results = [r.wait() for r in running]
    for result, certs in zip(results, plan.values()):
        result.expect_ok()
        for alias, _ca in certs:
            assert ok(result, "import %s" % alias)["changed"]
            assert ok(result, "conf %s" % alias)["changed"]

    everything = {"cluster-a-ca": CA_A, "cluster-b-ca": CA_B, "cluster-c-ca": CA_C, "cluster-d-ca": CA_D}
    expect_trusted(paths, password, everything)
    names = sorted(line.split()[0] for line in conf.read_text().splitlines())
    assert names == ["a.example.com", "cluster-b-ca.example.com", "cluster-c-ca.example.com",
                     "cluster-d-ca.example.com"]


def test_file_snapshot_refuses_a_stale_expected_checksum(tmp_path):
    target = tmp_path / "data" / "file.pem"
    target.parent.mkdir()
    target.write_bytes(b"current content\n")
    actual = hashlib.sha256(b"current content\n").hexdigest()
    stale = hashlib.sha256(b"what it held when read\n").hexdigest()
    new = base64.b64encode(b"new content\n").decode()

    read = run_module("file_snapshot", {"paths": [str(target)]}, tmp_dir=tmp_path).expect_ok()
    [item] = read.result["files"]
    assert (item["exists"], item["sha256"], item["mode"]) == (True, actual, "%04o" % stat.S_IMODE(
        os.stat(target).st_mode))
    assert base64.b64decode(item["content"]) == b"current content\n"

    refused = run_module("file_snapshot", {"paths": [str(target)], "state": "replace",
                                           "contents": {str(target): new}, "expected": {str(target): stale}},
                         tmp_dir=tmp_path).expect_failed()
    assert refused.result["conflict"] is True and not refused.changed
    assert str(target) in refused.msg and "changed since it was read" in refused.msg
    assert target.read_bytes() == b"current content\n"

    # The same request with the checksum the file really has goes through.
    written = run_module("file_snapshot", {"paths": [str(target)], "state": "replace",
                                           "contents": {str(target): new}, "expected": {str(target): actual}},
                         tmp_dir=tmp_path).expect_ok()
    assert written.changed and written.result["conflict"] is False
    assert target.read_bytes() == b"new content\n"


def test_file_snapshot_reads_only_the_files_the_collection_manages(tmp_path):
    """Called by hand on /etc/shadow, or on a symlink to it with a store's name: refused, nothing of it returned."""
    link = tmp_path / "ssl_truststore.pem"
    link.symlink_to("/etc/shadow")
    with open("/etc/shadow", "rb") as handle:
        before = handle.read()
    shadow_lines = [line.strip() for line in before.decode("utf-8").splitlines() if line.strip()]
    for path, words in (("/etc/shadow", "/etc/shadow: is not a file this collection manages"),
                        (str(link), "%s: resolves to '/etc/shadow', which is not a file this collection manages"
                         % link)):
        for state in ("read", "replace"):
            args = {"paths": [path], "state": state}
            if state == "replace":
                args["contents"] = {path: base64.b64encode(b"root::0:0:99999:7:::\n").decode()}
            refused = run_module("file_snapshot", args, tmp_dir=tmp_path, verbosity=3).expect_failed()
            assert words in refused.msg and "ansible.builtin.slurp" in refused.msg, refused.msg
            assert "files" not in refused.result and not refused.changed
            assert not any(line in refused.output for line in shadow_lines)
    with open("/etc/shadow", "rb") as handle:
        assert handle.read() == before


def test_remove_and_import_in_one_write_keeps_what_was_added_by_hand(tmp_path):
    """A node that gains C's CA and loses B's writes each store once; B's CA under an alias of
    the administrator's own stays; siblings lose what ssl_truststore no longer holds."""
    password = new_password()
    paths = conf_dir(tmp_path, password, {"cluster-a-ca": CA_A, "b.ex-" + CA_B.sha256[:12]: CA_B,
                                          "by-hand": CA_D})
    before = snapshot(paths)
    swap = dict(certificates=[{"alias": "c.ex-" + CA_C.sha256[:12], "pem": CA_C.pem}],
                remove=[{"alias": "b.ex-" + CA_B.sha256[:12]}, {"alias": "not-there"}])
    result = run(tmp_path, password,
                 dict(importing("swap, checked", paths[0], **swap), check_mode=True),
                 importing("swap", paths[0], **swap),
                 importing("swap again", paths[0], **swap),
                 importing("remove alone", paths[0], remove=[{"sha256": CA_D.keytool_sha256}]),
                 diff=True)
    checked = ok(result, "swap, checked")
    assert checked["changed"] and [i["sha256"] for i in checked["removed"]] == [CA_B.sha256]
    assert [i["sha256"] for i in checked["imported"]] == [CA_C.sha256]
    swapped = ok(result, "swap")
    assert swapped["changed"] and all(s["changed"] for s in swapped["stores"])
    assert all([i["sha256"] for i in s["removed"]] == [CA_B.sha256] for s in swapped["stores"]), swapped["stores"]
    assert not ok(result, "swap again")["changed"]
    assert ok(result, "remove alone")["changed"]
    assert snapshot(paths) != before
    expect_trusted(paths, password, {"cluster-a-ca": CA_A, "c.ex-" + CA_C.sha256[:12]: CA_C})
