"""krb5_conf through Ansible, and what MIT Kerberos itself reads from the files it writes."""

import os
import shutil
import socket
import stat
import subprocess

import pytest
from ansible_run import file_task, play, run_module, run_playbook
from mit_profile import UNAVAILABLE, MitProfile, mit_parse_error

from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_profile import Profile

MODULE = "datafabric.crosscluster.krb5_conf"
KINIT = shutil.which("kinit")
KLIST = shutil.which("klist")
needs_mit = pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))
needs_kinit = pytest.mark.skipif(KINIT is None or KLIST is None, reason="MIT kinit/klist are not installed (krb5-user)")

# A cluster node's krb5.conf as an administrator keeps it: tab indented, comments of both kinds,
# a quoted value, a section this collection knows nothing about, with nested subsections.
ORIGINAL = (
    "# krb5.conf of cluster A -- every Kerberos client on this node reads it\n"
    "[libdefaults]\n"
    "\tdefault_realm = A.TEST\n"
    "\tdns_lookup_kdc = false\n"
    "\tdns_lookup_realm = false\n"
    "\trdns = false\n"
    "; TCP first, so that a KDC that is down fails at once\n"
    "\tudp_preference_limit = 1\n"
    "\n"
    "[realms]\n"
    "\tA.TEST = {\n"
    "\t\t# the primary KDC first\n"
    "\t\tkdc = kdc1.a.test\n"
    "\t\tkdc = kdc2.a.test:88\n"
    "\t\tadmin_server = kdc1.a.test\n"
    "\t\tdefault_domain = a.test\n"
    "\t}\n"
    "\n"
    "[domain_realm]\n"
    "\t.a.test = A.TEST\n"
    "\ta.test = A.TEST\n"
    "\n"
    "[x-site-tools]\n"
    "\treport = {\n"
    "\t\tformat = \"json \"\n"
    "\t\tlevels = {\n"
    "\t\t\tdebug = false\n"
    "\t\t}\n"
    "\t}\n"
    "\n"
    "[logging]\n"
    "\tdefault = FILE:/var/log/krb5libs.log\n"
)

DOMAINS = [".b.test", "b.test"]
CAPATHS = [{"client_realm": "A.TEST", "server_realm": "B.TEST"},
           {"client_realm": "B.TEST", "server_realm": "A.TEST"}]


def free_ports(count):
    """Loopback ports nothing listens on, so a client trying them is refused at once."""
    sockets = [socket.socket() for _port in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def peer(kdcs):
    return dict(realm="B.TEST", kdcs=kdcs, admin_server="kdc1.b.test", domains=DOMAINS, capaths=CAPATHS)


def expected(kdcs):
    """ORIGINAL with the peer realm added: in place, in the file's own tab style."""
    realm = "\tB.TEST = {\n%s\t\tadmin_server = kdc1.b.test\n\t}\n" % "".join("\t\tkdc = %s\n" % k for k in kdcs)
    return (ORIGINAL
            .replace("\t\tdefault_domain = a.test\n\t}\n", "\t\tdefault_domain = a.test\n\t}\n" + realm)
            .replace("\ta.test = A.TEST\n", "\ta.test = A.TEST\n\t.b.test = B.TEST\n\tb.test = B.TEST\n")
            + "\n[capaths]\n\tA.TEST = {\n\t\tB.TEST = .\n\t}\n\tB.TEST = {\n\t\tA.TEST = .\n\t}\n")


def write_conf(tmp_path, text=ORIGINAL, name="krb5.conf"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o644)
    return path


def task(title, path, **args):
    return file_task(MODULE, title, path, **args)


def kinit_trace(conf, tmp_path, principal="alice@B.TEST"):
    """What MIT's kinit does with ``conf``: its trace (which KDCs it contacts) and its messages."""
    env = dict(os.environ, KRB5_CONFIG=str(conf), KRB5_TRACE="/dev/stdout",
               KRB5CCNAME="FILE:%s" % (tmp_path / "ccache"))
    done = subprocess.run([KINIT, principal], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, check=False)
    return done.stdout + done.stderr


def mit_reads(conf, *names):
    with MitProfile(conf) as profile:
        return profile.values(*names)


def test_add_the_peer_realm_check_mode_diff_idempotence(tmp_path):
    kdcs = ["127.0.0.1:%d" % port for port in free_ports(2)]
    conf = write_conf(tmp_path)
    before = os.stat(conf)
    want = expected(kdcs)

    checked = run_module("krb5_conf", dict(path=str(conf), **peer(kdcs)), check=True, diff=True,
                         tmp_dir=tmp_path).expect_ok()
    assert checked.changed, checked.describe()
    assert checked.result["diff"] == dict(before=ORIGINAL, after=want, before_header=str(conf), after_header=str(conf))
    assert conf.read_text() == ORIGINAL
    after_check = os.stat(conf)
    assert (after_check.st_ino, after_check.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    added = run_module("krb5_conf", dict(path=str(conf), backup=True, **peer(kdcs)), diff=True,
                       tmp_dir=tmp_path).expect_ok()
    assert added.changed
    assert conf.read_text() == want  # comments, quoting, the unknown section and the tab style kept
    assert added.result["diff"]["after"] == want
    assert "--- before: %s" % conf in added.output
    assert open(added.result["backup_file"], encoding="utf-8").read() == ORIGINAL
    assert added.result["realm_entry"] == {
        "realm": "B.TEST", "present": True, "kdcs": kdcs, "admin_server": "kdc1.b.test",
        "relations": {"kdc": kdcs, "admin_server": ["kdc1.b.test"]}}
    assert added.result["domains"] == DOMAINS
    assert added.result["capaths"] == [dict(item, via=[]) for item in CAPATHS]

    written = os.stat(conf)
    again = run_module("krb5_conf", dict(path=str(conf), **peer(kdcs)), tmp_dir=tmp_path).expect_ok()
    assert not again.changed, again.describe()
    assert (os.stat(conf).st_ino, os.stat(conf).st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert stat.S_IMODE(os.stat(conf).st_mode) == 0o644


@needs_mit
def test_mit_reads_the_peer_realm_and_everything_else_as_before(tmp_path):
    kdcs = ["127.0.0.1:%d" % port for port in free_ports(2)]
    original = write_conf(tmp_path, name="original.conf")
    conf = write_conf(tmp_path)
    run_module("krb5_conf", dict(path=str(conf), **peer(kdcs)), tmp_dir=tmp_path).expect_ok()
    assert conf.read_text() == expected(kdcs)

    with MitProfile(conf) as new, MitProfile(original) as old:
        assert new.values("realms", "B.TEST", "kdc") == kdcs
        assert new.values("realms", "B.TEST", "admin_server") == ["kdc1.b.test"]
        assert [new.values("domain_realm", name) for name in DOMAINS] == [["B.TEST"], ["B.TEST"]]
        assert new.values("capaths", "A.TEST", "B.TEST") == ["."]
        assert new.values("capaths", "B.TEST", "A.TEST") == ["."]
        # MIT keeps names sorted, so compare sets of names.
        assert sorted(new.subsections("realms")) == sorted(old.subsections("realms") + ["B.TEST"])
        assert sorted(new.relation_names("domain_realm")) == sorted(old.relation_names("domain_realm") + DOMAINS)
        # What the task did not name reads exactly as before.
        for names in [("realms", "A.TEST", "kdc"), ("realms", "A.TEST", "default_domain"),
                      ("libdefaults", "udp_preference_limit"), ("x-site-tools", "report", "format"),
                      ("x-site-tools", "report", "levels", "debug"), ("logging", "default")]:
            assert new.values(*names) == old.values(*names) != [], names
        assert new.values("x-site-tools", "report", "format") == ["json "]

    # The codec reads every realm the way MIT does, tag by tag and in order.
    codec = Profile.parse(conf.read_text(), path=str(conf))
    with MitProfile(conf) as mit:
        for realm in mit.subsections("realms"):
            for tag, values in codec.realm(realm).items():
                assert mit.values("realms", realm, tag) == values, (realm, tag)


@needs_kinit
def test_kinit_contacts_the_kdcs_written(tmp_path):
    kdcs = ["127.0.0.1:%d" % port for port in free_ports(2)]
    conf = write_conf(tmp_path)
    # Before: the realm is unknown, so the client has nobody to ask (and the check below can fail).
    assert 'Cannot find KDC for realm "B.TEST"' in kinit_trace(conf, tmp_path)

    run_module("krb5_conf", dict(path=str(conf), **peer(kdcs)), tmp_dir=tmp_path).expect_ok()
    trace = kinit_trace(conf, tmp_path)
    assert "Improper format" not in trace, trace
    tried = [line.rsplit(" ", 1)[1] for line in trace.splitlines() if "Initiating TCP connection to stream" in line]
    assert tried == kdcs, trace  # every KDC, in the order given
    assert "Cannot contact any KDC for realm 'B.TEST'" in trace, trace


def test_absent_removes_exactly_what_was_added(tmp_path):
    kdcs = ["127.0.0.1:88", "127.0.0.2:88"]
    conf = write_conf(tmp_path, expected(kdcs))
    result = run_playbook(play(
        task("absent with kdcs", conf, realm="B.TEST", kdcs=kdcs, state="absent"),
        task("absent", conf, realm="B.TEST", domains=DOMAINS, capaths=CAPATHS, state="absent"),
        task("absent again", conf, realm="B.TEST", domains=DOMAINS, capaths=CAPATHS, state="absent"),
    ), diff=True, tmp_dir=tmp_path).expect_ok()

    refused = result.task("absent with kdcs")
    assert refused.get("failed") and not refused["changed"], result.describe()
    assert "state=absent removes whole" in refused["msg"] and "state=present" in refused["msg"]

    removed = result.task("absent")
    assert removed["changed"] and not removed.get("failed"), result.describe()
    assert removed["diff"]["before"] == expected(kdcs) and removed["diff"]["after"] == ORIGINAL
    assert removed["realm_entry"]["present"] is False
    assert removed["domains"] == [] and removed["capaths"] == []
    assert not result.task("absent again")["changed"]
    assert conf.read_text() == ORIGINAL


def test_a_domain_mapped_to_another_realm_is_not_removed(tmp_path):
    conf = write_conf(tmp_path)
    result = run_module("krb5_conf", dict(path=str(conf), realm="B.TEST", domains=[".a.test"], state="absent"),
                        tmp_dir=tmp_path).expect_ok()
    assert not result.changed
    assert conf.read_text() == ORIGINAL


# Broken files: (name, what replaces what in ORIGINAL, the line named, whether MIT also refuses it).
BROKEN = [
    ("no-equals", ("\tkdc = kdc2.a.test:88\n", "\tkdc kdc2.a.test:88\n"), 14, True),
    ("extra-brace", ("\ta.test = A.TEST\n", "\ta.test = A.TEST\n\t}\n"), 22, True),
    ("section-in-subsection", ("\t\tdefault_domain = a.test\n\t}\n", "\t\tdefault_domain = a.test\n"), 18, True),
    ("missing-open-brace", ("\tA.TEST = {\n", "\tA.TEST =\n"), 12, True),
    ("bad-header", ("[logging]\n", "[logging\n"), 31, True),
    # MIT accepts these two but misreads them; see test_mit_misreads_what_the_module_refuses.
    ("never-closed", ("\tdefault = FILE:", "\tkdc_files = {\n\t\tkdc = FILE:/var/log/kdc.log\n\tdefault = FILE:"),
     32, False),
    ("before-any-section", ("[libdefaults]\n", "forwardable = true\n[libdefaults]\n"), 2, False),
]


def broken_text(replace):
    old, new = replace
    assert ORIGINAL.count(old) == 1, old
    return ORIGINAL.replace(old, new)


def test_malformed_files_fail_naming_the_line_and_stay_byte_identical(tmp_path):
    directory = tmp_path / "etc"
    directory.mkdir()
    files = {}
    tasks = []
    for name, replace, _line, _mit in BROKEN:
        path = write_conf(directory, broken_text(replace), name=name + ".conf")
        files[name] = (path, path.read_bytes())
        tasks.append(task(name, path, realm="B.TEST", kdcs=["kdc1.b.test"], domains=DOMAINS, capaths=CAPATHS))
    result = run_playbook(play(*tasks), tmp_dir=tmp_path).expect_ok()

    for name, _replace, line, _mit in BROKEN:
        outcome = result.task(name)
        path, data = files[name]
        assert outcome.get("failed") and not outcome["changed"], result.describe()
        assert outcome["msg"].startswith("%s, line %d: " % (path, line)), outcome["msg"]
        assert ". Fix: " in outcome["msg"]
        assert path.read_bytes() == data, name
    assert sorted(os.listdir(directory)) == sorted(path.name for path, _data in files.values())


@needs_mit
@pytest.mark.parametrize("name,replace,mit_refuses", [(case[0], case[1], case[3]) for case in BROKEN],
                         ids=[case[0] for case in BROKEN])
def test_mit_refuses_the_same_broken_files(tmp_path, name, replace, mit_refuses):
    path = write_conf(tmp_path, broken_text(replace))
    assert mit_parse_error(write_conf(tmp_path, name="good.conf")) is None
    error = mit_parse_error(path)
    if mit_refuses:
        assert error is not None and "profile" in error.lower(), error
    else:
        assert error is None, error


@needs_mit
def test_mit_misreads_what_the_module_refuses(tmp_path):
    # A subsection never closed swallows the relations after it: [logging] default is gone for MIT.
    never_closed = write_conf(tmp_path, broken_text(BROKEN[5][1]), name="never-closed.conf")
    assert mit_reads(never_closed, "logging", "default") == []
    assert mit_reads(never_closed, "logging", "kdc_files", "default") == ["FILE:/var/log/krb5libs.log"]
    # A relation before the first section is dropped without a word.
    before = write_conf(tmp_path, broken_text(BROKEN[6][1]), name="before.conf")
    assert mit_reads(before, "libdefaults", "forwardable") == []
    assert mit_reads(before, "libdefaults", "default_realm") == ["A.TEST"]


@needs_kinit
def test_kinit_reports_a_broken_file(tmp_path):
    # The failure every MIT tool gives for a file that does not parse; the module's output never does.
    broken = write_conf(tmp_path, broken_text(BROKEN[1][1]), name="broken.conf")
    assert "Improper format of Kerberos configuration file" in kinit_trace(broken, tmp_path)
    done = subprocess.run([KLIST, "-k", str(tmp_path / "no-keytab")], env=dict(os.environ, KRB5_CONFIG=str(broken)),
                          capture_output=True, text=True, timeout=60, check=False)
    assert "Improper format of Kerberos configuration file" in done.stderr


def test_missing_file_and_create(tmp_path):
    missing = tmp_path / "new" / "krb5.conf"
    missing.parent.mkdir()
    result = run_playbook(play(
        task("missing", missing, realm="B.TEST", kdcs=["kdc1.b.test"]),
        task("create", missing, realm="B.TEST", kdcs=["kdc1.b.test"], domains=[".b.test"], create=True),
    ), tmp_dir=tmp_path).expect_ok()
    refused = result.task("missing")
    assert refused.get("failed") and "does not exist" in refused["msg"] and "create: true" in refused["msg"]
    made = result.task("create")
    assert made["changed"] and not made.get("failed"), result.describe()
    # No style to follow: MIT's documented 4 spaces per level.
    assert missing.read_text() == ("[realms]\n    B.TEST = {\n        kdc = kdc1.b.test\n    }\n"
                                   "\n[domain_realm]\n    .b.test = B.TEST\n")
    assert stat.S_IMODE(os.stat(missing).st_mode) == 0o644
    assert os.listdir(missing.parent) == ["krb5.conf"]
    if UNAVAILABLE is None:
        assert mit_reads(missing, "realms", "B.TEST", "kdc") == ["kdc1.b.test"]
        assert mit_reads(missing, "domain_realm", ".b.test") == ["B.TEST"]


def test_realms_list_refuses_single_realm_options_and_changes_nothing(tmp_path):
    conf = write_conf(tmp_path)
    before = conf.read_bytes()
    result = run_playbook(play(task("mixed", conf, realms=[{"realm": "B.EXAMPLE", "kdcs": ["kdc.b"]}],
                                    kdcs=["other"])))
    failure = result.result
    assert failure.get("failed") and "belong to realm" in failure["msg"]
    assert conf.read_bytes() == before
