"""The pure parts of module_utils/_kadmin: parsers, argv and stdin building, flag arithmetic.

Sample outputs were captured from MIT krb5 1.20 (kadmin.local, ktutil) against the test KDCs.
"""

import struct

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin as K
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_cli as KC
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_formats as KF
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError

PASSWORD = "Tr0ub4dor &3 'x' \"y\""

GETPRINC = ('"krbtgt/B.TEST@A.TEST"\t0\t1795458767\t0\t86400\t"root/admin@A.TEST"\t1795458767\t0\t5\t1\t'
            '"[none]"\t0\t0\t0\t0\t2\t1\t5\t18\t0\t1\t5\t17\t0\n')
# After cpw -keepold: keys of two kvnos, the current one first.
GETPRINC_KEEPOLD = ('"svc@A.TEST"\t0\t1\t0\t86400\t"root/admin@A.TEST"\t1\t128\t3\t1\t"[none]"\t0\t0\t0\t0\t4\t'
                    '1\t3\t18\t0\t1\t3\t17\t0\t1\t2\t18\t0\t1\t2\t17\t0\n')
KTUTIL = """ktutil:  addent -password -p krbtgt/Y.TEST@X.TEST -k 1 -e aes256-cts-hmac-sha1-96
Password for krbtgt/Y.TEST@X.TEST: \nktutil:  addent -password -p krbtgt/Y.TEST@X.TEST -k 1 -e aes128-cts-hmac-sha1-96
Password for krbtgt/Y.TEST@X.TEST: \nktutil:  list -k -e
slot KVNO Principal
---- ---- ---------------------------------------------------------------------
   1    1                     krbtgt/Y.TEST@X.TEST (aes256-cts-hmac-sha1-96)  \
(0x97cd7917f0ddc0a9f2e661ef46f62ec71c8e2988d4e7492f2668d5873c280833)
   2    1                     krbtgt/Y.TEST@X.TEST (aes128-cts-hmac-sha1-96)  (0x29b8cc89a94d680ab1cb1b13e4f0c147)
ktutil:  quit
"""


def test_getprinc_terse_fields():
    info = KF.parse_getprinc_terse(GETPRINC)
    assert info["principal"] == "krbtgt/B.TEST@A.TEST"
    assert info["kvno"] == 5 and info["attributes"] == 0 and info["mkvno"] == 1 and info["policy"] == "[none]"
    assert [(k["kvno"], k["enctype_name"], k["salt"]) for k in info["keys"]] == [
        (5, "aes256-cts-hmac-sha1-96", 0), (5, "aes128-cts-hmac-sha1-96", 0)]
    assert KF.current_enctypes(info) == ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]


def test_getprinc_terse_skips_chatter_and_keeps_only_the_current_kvno():
    info = KF.parse_getprinc_terse("Authenticating as principal root/admin@A.TEST with password.\n" + GETPRINC_KEEPOLD)
    assert info["kvno"] == 3 and len(info["keys"]) == 4
    assert KF.current_enctypes(info) == ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]
    assert KF.attribute_names(info["attributes"]) == ["REQUIRES_PRE_AUTH"]


def test_getprinc_terse_without_keys_and_unknown_enctypes():
    info = KF.parse_getprinc_terse('"nokey@A.TEST"\t0\t0\t0\t0\t"x"\t0\t0\t1\t1\t"[none]"\t0\t0\t0\t0\t0\n')
    assert info["keys"] == [] and KF.current_enctypes(info) == []
    odd = KF.parse_getprinc_terse('"p@A"\t0\t0\t0\t0\t"x"\t0\t0\t1\t1\t"[none]"\t0\t0\t0\t0\t1\t1\t1\t99\t0\n')
    assert odd["keys"][0]["enctype_name"] == "enctype-99"


@pytest.mark.parametrize("text", ["", "no principal here\n", GETPRINC + GETPRINC, GETPRINC.replace("\t0\n", "\n"),
                                  GETPRINC.replace("\t2\t1\t5", "\tx\t1\t5")])
def test_getprinc_terse_rejects_what_it_cannot_read(text):
    with pytest.raises(CrossclusterError):
        KF.parse_getprinc_terse(text)


def keytab_entry(principal, kvno, enctype, key, vno32=None):
    name, realm = principal.rsplit("@", 1)
    parts = name.split("/")
    body = struct.pack(">H", len(parts))
    for item in [realm] + parts:
        body += struct.pack(">H", len(item)) + item.encode()
    body += struct.pack(">IIBH", 1, 1700000000, kvno & 0xFF, enctype)
    body += struct.pack(">H", len(key)) + key
    if vno32 is not None:
        body += struct.pack(">I", vno32)
    return struct.pack(">i", len(body)) + body


def test_keytab_entries_holes_and_32_bit_kvnos():
    data = (KF.KEYTAB_HEADER + keytab_entry("krbtgt/B.TEST@A.TEST", 5, 18, b"\x01" * 32)
            + struct.pack(">i", -7) + b"\0" * 7  # a hole
            + keytab_entry("krbtgt/B.TEST@A.TEST", 5, 17, b"\x02" * 16, vno32=5)
            + keytab_entry("krbtgt/B.TEST@A.TEST", 300, 18, b"\x03" * 32, vno32=300))
    entries = KF.parse_keytab(data)
    assert [(e["principal"], e["kvno"], e["enctype_name"], e["key"]) for e in entries] == [
        ("krbtgt/B.TEST@A.TEST", 5, "aes256-cts-hmac-sha1-96", b"\x01" * 32),
        ("krbtgt/B.TEST@A.TEST", 5, "aes128-cts-hmac-sha1-96", b"\x02" * 16),
        ("krbtgt/B.TEST@A.TEST", 300, "aes256-cts-hmac-sha1-96", b"\x03" * 32),
    ]


@pytest.mark.parametrize("data", [b"", b"\x05\x01", KF.KEYTAB_HEADER + keytab_entry("a@B", 1, 18, b"k" * 32)[:-5]])
def test_keytab_rejects_bad_headers_and_truncation(data):
    with pytest.raises(CrossclusterError):
        KF.parse_keytab(data)


def test_empty_keytab_has_no_entries():
    assert KF.parse_keytab(KF.KEYTAB_HEADER) == []


def test_ktutil_list_keys():
    assert KF.parse_ktutil_keys(KTUTIL) == [
        (1, "krbtgt/Y.TEST@X.TEST", "aes256-cts-hmac-sha1-96",
         bytes.fromhex("97cd7917f0ddc0a9f2e661ef46f62ec71c8e2988d4e7492f2668d5873c280833")),
        (1, "krbtgt/Y.TEST@X.TEST", "aes128-cts-hmac-sha1-96", bytes.fromhex("29b8cc89a94d680ab1cb1b13e4f0c147")),
    ]
    assert KF.parse_ktutil_keys("ktutil:  list -k -e\nslot KVNO Principal\n") == []


def test_ktutil_script_puts_the_password_on_its_own_lines_only():
    script = KC.ktutil_script("krbtgt/B.TEST@A.TEST", 3, ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"],
                              PASSWORD)
    lines = script.splitlines()
    assert lines == [
        "addent -password -p krbtgt/B.TEST@A.TEST -k 3 -e aes256-cts-hmac-sha1-96", PASSWORD,
        "addent -password -p krbtgt/B.TEST@A.TEST -k 3 -e aes128-cts-hmac-sha1-96", PASSWORD,
        "list -k -e", "quit"]
    assert "wkt" not in script  # nothing is written


class Recorder:
    """A run_command that records argv, stdin and environment, and answers from a script."""

    def __init__(self, answers=None):
        self.calls = []
        self.answers = list(answers or [])

    def __call__(self, argv, data=None, environ_update=None, pass_fds=None):
        self.calls.append(dict(argv=list(argv), data=data, env=dict(environ_update or {}), pass_fds=pass_fds))
        return self.answers.pop(0) if self.answers else (0, "", "")


def test_local_and_remote_argv():
    local = KC.Kadmin(Recorder(), "/usr/sbin/kadmin.local", realm="B.TEST", kdc_profile="/k/kdc.conf",
                      krb5_config="/k/krb5.conf")
    assert local.argv("getprinc", "-terse", "p") == ["/usr/sbin/kadmin.local", "-r", "B.TEST", "getprinc", "-terse",
                                                     "p"]
    assert local.environ == {"KRB5CCNAME": "MEMORY:datafabric-crosscluster", "KRB5_KDC_PROFILE": "/k/kdc.conf",
                             "KRB5_CONFIG": "/k/krb5.conf"}
    remote = KC.Kadmin(Recorder(), "/usr/bin/kadmin", remote=True, admin_principal="adm/admin@B",
                       admin_keytab="/k/adm.keytab")
    assert remote.argv("delprinc", "-force", "p") == ["/usr/bin/kadmin", "-p", "adm/admin@B", "-k", "-t",
                                                      "/k/adm.keytab", "delprinc", "-force", "p"]
    with pytest.raises(CrossclusterError, match="admin_principal and admin_keytab"):
        KC.Kadmin(Recorder(), "/usr/bin/kadmin", remote=True, admin_principal="adm/admin@B")


def test_the_password_goes_to_stdin_twice_and_never_to_argv():
    runner = Recorder()
    kadmin = KC.Kadmin(runner, "/usr/sbin/kadmin.local", realm="A.TEST")
    kadmin.addprinc("krbtgt/B.TEST@A.TEST", PASSWORD, enctypes=["aes256-cts-hmac-sha1-96"], kvno=4,
                    flags=["-requires_preauth"])
    kadmin.cpw("krbtgt/B.TEST@A.TEST", PASSWORD, enctypes=["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"])
    kadmin.modprinc("krbtgt/B.TEST@A.TEST", kvno=4, flags=["+ok_as_delegate"])
    add, cpw, mod = runner.calls
    assert add["argv"][3:] == ["addprinc", "-e", "aes256-cts-hmac-sha1-96:normal", "-kvno", "4",
                               "-requires_preauth", "krbtgt/B.TEST@A.TEST"]
    assert cpw["argv"][3:] == ["cpw", "-e", "aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal",
                               "krbtgt/B.TEST@A.TEST"]
    assert mod["argv"][3:] == ["modprinc", "-kvno", "4", "+ok_as_delegate", "krbtgt/B.TEST@A.TEST"]
    assert add["data"] == cpw["data"] == "%s\n%s\n" % (PASSWORD, PASSWORD)
    assert mod["data"] is None
    for call in runner.calls:
        assert not any(PASSWORD in arg or "-pw" == arg for arg in call["argv"])
        assert not any(PASSWORD in value for value in call["env"].values())


def test_kadmin_failures_are_scrubbed_and_name_the_command():
    runner = Recorder([(1, "", "add_principal: something about %s went wrong\n" % PASSWORD)])
    kadmin = KC.Kadmin(runner, "/usr/sbin/kadmin.local", realm="A.TEST")
    with pytest.raises(CrossclusterError) as caught:
        kadmin.addprinc("p@A.TEST", PASSWORD)
    assert PASSWORD not in str(caught.value)
    expected = "kadmin.local addprinc failed (rc 1): add_principal: something about ******** went wrong"
    assert expected in str(caught.value)


def test_getprinc_of_a_missing_principal_is_none_and_other_errors_raise():
    kadmin = KC.Kadmin(Recorder([(1, "", 'get_principal: Principal does not exist while retrieving "p@A".\n'),
                                (1, "", "kadmin.local: Cannot open DB2 database\n")]), "kadmin.local")
    assert kadmin.getprinc("p@A") is None
    with pytest.raises(CrossclusterError, match="Cannot open DB2 database"):
        kadmin.getprinc("p@A")


def test_derive_keys_sends_the_password_on_stdin_and_never_shows_ktutil_echoes():
    runner = Recorder([(0, KTUTIL, "")])
    kadmin = KC.Kadmin(runner, "kadmin.local", ktutil="/usr/bin/ktutil")
    both = ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]
    keys = kadmin.derive_keys("krbtgt/Y.TEST@X.TEST", PASSWORD, both, 1)
    assert sorted(keys) == ["aes128-cts-hmac-sha1-96", "aes256-cts-hmac-sha1-96"]
    [call] = runner.calls
    assert call["argv"] == ["/usr/bin/ktutil"] and PASSWORD in call["data"]
    # When addent fails, ktutil reads the password line as a request and echoes its first word.
    echo = 'addent: Bad encryption type while adding new entry\nktutil: Unknown request "Tr0ub4dor".  Type "?"\n'
    failing = KC.Kadmin(Recorder([(0, "", echo)]), "kadmin.local")
    with pytest.raises(CrossclusterError) as caught:
        failing.derive_keys("krbtgt/Y.TEST@X.TEST", PASSWORD, ["aes256-cts-hmac-sha1-96"], 1)
    assert "Bad encryption type" in str(caught.value) and "Tr0ub4dor" not in str(caught.value)


def test_derive_keys_refuses_what_would_make_ktutil_misread_the_password():
    runner = Recorder()
    kadmin = KC.Kadmin(runner, "kadmin.local")
    with pytest.raises(CrossclusterError, match="unknown enctype"):
        kadmin.derive_keys("p@A.TEST", PASSWORD, ["bogus-enc"], 1)
    with pytest.raises(CrossclusterError, match="not a name"):
        kadmin.derive_keys("p q@A.TEST", PASSWORD, ["aes256-cts-hmac-sha1-96"], 1)
    assert runner.calls == []


@pytest.mark.parametrize("name,canonical", [
    ("aes256-cts", "aes256-cts-hmac-sha1-96"), ("AES128-CTS-HMAC-SHA1-96", "aes128-cts-hmac-sha1-96"),
    ("aes256-cts-hmac-sha1-96:normal", "aes256-cts-hmac-sha1-96"), ("aes256-sha2", "aes256-cts-hmac-sha384-192"),
    ("rc4-hmac", "arcfour-hmac")])
def test_enctype_aliases(name, canonical):
    assert KF.normalize_enctype(name) == canonical


@pytest.mark.parametrize("name", ["des-cbc-crc", "aes256-cts:special", "nonsense", ""])
def test_enctypes_refused(name):
    with pytest.raises(CrossclusterError):
        KF.normalize_enctype(name)


def test_enctype_lists_drop_duplicates_keeping_order():
    assert KF.normalize_enctypes(["aes128-cts", "aes256-cts", "aes128-cts-hmac-sha1-96"]) == [
        "aes128-cts-hmac-sha1-96", "aes256-cts-hmac-sha1-96"]
    assert KF.normalize_enctypes(None) == []


def test_flags_against_masks():
    assert KF.flags_to_change(0, ["-requires_preauth"]) == []
    assert KF.flags_to_change(0x80, ["-requires_preauth"]) == ["-requires_preauth"]
    # allow_* flags are stored inverted: -allow_tix sets DISALLOW_ALL_TIX.
    assert KF.flags_to_change(0, ["-allow_tix", "+allow_svr"]) == ["-allow_tix"]
    assert KF.apply_flags(0x80, ["-requires_preauth", "-allow_tix", "+ok_as_delegate"]) == 0x40 | 0x100000
    assert KF.attribute_names(0x40 | 0x100000) == ["DISALLOW_ALL_TIX", "OK_AS_DELEGATE"]
    assert KF.normalize_attributes(["+requires_preauth", "-requires_preauth"]) == ["-requires_preauth"]


@pytest.mark.parametrize("flag", ["requires_preauth", "+nope", "*requires_preauth", "+"])
def test_bad_flags(flag):
    with pytest.raises(CrossclusterError):
        KF.parse_flag(flag)


def test_default_attributes_and_warnings():
    assert K.default_attributes("krbtgt/B.TEST@A.TEST") == ["-requires_preauth"]
    assert K.default_attributes("host/x@A.TEST") == []
    assert K.attribute_warnings("krbtgt/B.TEST@A.TEST", ["+requires_preauth"])
    assert K.attribute_warnings("host/x@A.TEST", ["+requires_preauth"]) == []


def test_passwords_kadmin_cannot_read_whole_are_refused():
    assert KC.check_password("x" * 1022)
    assert KC.check_password("\u00fc" * 511)  # 1022 bytes
    for bad in ["", "x" * 1023, "\u00fc" * 512, "a\nb", "a\rb", "a\0b"]:
        with pytest.raises(CrossclusterError) as caught:
            KC.check_password(bad)
        assert bad == "" or bad not in str(caught.value)


@pytest.mark.parametrize("principal", ["krbtgt/B.TEST@A.TEST", "host/svc.a.test", "alice@A.TEST"])
def test_principals_accepted(principal):
    assert KC.check_principal(principal) == principal


@pytest.mark.parametrize("principal", ["", "a b@A", 'a"@A', "a@B@C", "a\n@A"])
def test_principals_refused(principal):
    with pytest.raises(CrossclusterError):
        KC.check_principal(principal)


def test_compare_keys():
    stored = {"aes256-cts-hmac-sha1-96": b"1", "aes128-cts-hmac-sha1-96": b"2"}
    both = ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]
    assert K.compare_keys(stored, dict(stored), both)
    assert not K.compare_keys(stored, dict(stored, **{"aes128-cts-hmac-sha1-96": b"x"}), both)
    # Extra stored enctypes are a difference when enctypes are asked for exactly.
    assert not K.compare_keys(stored, dict(stored), ["aes256-cts-hmac-sha1-96"])


def test_describe_never_holds_keys():
    text = K.describe(dict(exists=True, principal="p@A", kvno=2, enctypes=["aes256-cts-hmac-sha1-96"],
                           attributes=[], keys_match=False))
    assert text == "principal: p@A\nkvno: 2\nenctypes: aes256-cts-hmac-sha1-96\nattributes: \nkeys_match: False\n"
    assert K.describe(dict(exists=False)) == "absent\n"


def test_keepold_and_purgekeys_argv_and_the_password_on_stdin_only():
    runner = Recorder()
    kadmin = KC.Kadmin(runner, "/usr/sbin/kadmin.local", realm="A.TEST")
    kadmin.cpw("krbtgt/B.TEST@A.TEST", PASSWORD, enctypes=["aes256-cts-hmac-sha1-96"], keepold=True)
    kadmin.purgekeys("krbtgt/B.TEST@A.TEST", 4)
    cpw, purge = runner.calls
    assert cpw["argv"][3:] == ["cpw", "-keepold", "-e", "aes256-cts-hmac-sha1-96:normal", "krbtgt/B.TEST@A.TEST"]
    assert cpw["data"] == "%s\n%s\n" % (PASSWORD, PASSWORD)
    assert purge["argv"][3:] == ["purgekeys", "-keepkvno", "4", "krbtgt/B.TEST@A.TEST"] and purge["data"] is None
    assert not any(PASSWORD in arg for call in runner.calls for arg in call["argv"])


def test_old_kvnos_and_their_diff_line():
    assert K.old_kvnos(KF.parse_getprinc_terse(GETPRINC_KEEPOLD)) == [2]
    assert K.old_kvnos(KF.parse_getprinc_terse(GETPRINC)) == []
    text = K.describe(dict(exists=True, principal="p@A", kvno=4, enctypes=[], attributes=[], keys_match=True,
                           old_kvnos=[2, 3]))
    assert text.endswith("keys_match: True\nold_kvnos: 2, 3\n")


@pytest.mark.parametrize("current, kvno, matched, steps", [
    (3, None, False, 1), (3, None, True, 0), (3, 3, True, 0), (3, 4, False, 1), (3, 4, True, 1), (3, 6, False, 3),
    (3, 3 + K.MAX_KEEPOLD_STEPS, False, K.MAX_KEEPOLD_STEPS)])
def test_keepold_climbs_one_cpw_per_kvno(current, kvno, matched, steps):
    assert K._keepold_steps("p@A", current, kvno, matched) == steps


@pytest.mark.parametrize("current, kvno, matched, words", [
    (3, 3, False, "need a kvno above its current kvno 3, not 3"), (3, 2, True, "need a kvno above"),
    (3, 4 + K.MAX_KEEPOLD_STEPS, False, "is more than 16 above its current kvno 3")])
def test_keepold_refuses_a_kvno_it_cannot_reach_without_renumbering_old_keys(current, kvno, matched, words):
    with pytest.raises(CrossclusterError, match=words):
        K._keepold_steps("p@A", current, kvno, matched)
