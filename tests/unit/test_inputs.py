"""Inputs that cannot be smuggled: control characters, sizes, bounded messages, non-UTF-8 files."""

import pytest
from expect import crosscluster_error

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _inputs as inputs
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_cli as KC
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _kadmin_formats as KF
from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import (
    ClustersConf,
    build_entry,
    parse_line,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_conf_edit import edit_krb5_conf
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_profile import (
    Profile,
    check_tag,
    check_word,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import Snapshot, resolve_owner

BIG = 10 * 1024 * 1024
# The longest a message about one bad value may be: the excerpt plus the words around it.
MESSAGE_BOUND = 1000


_error = crosscluster_error


# ---------------------------------------------------------------- excerpt


def test_excerpt_is_short_quoted_and_escaped():
    assert inputs.excerpt("abc") == "'abc'"
    assert inputs.excerpt("a\nb") == "'a\\nb'"
    assert inputs.excerpt("[realms] B", quoted=False) == "[realms] B"
    long = inputs.excerpt("x" * BIG)
    assert long == "'%s'\u2026 (%d characters)" % ("x" * inputs.EXCERPT, BIG)
    assert inputs.excerpt(None) == "None"
    assert inputs.excerpt(["a\n"]) == "['a\\n']"  # escaped once, not repr'd twice
    assert len(inputs.excerpt(list(range(100000)))) < 120


# ---------------------------------------------------------------- check_line


@pytest.mark.parametrize("value, char, position", [
    ("a.example\n", "U+000A (line feed)", 10),
    ("a\rb", "U+000D (carriage return)", 2),
    ("\ta", "U+0009 (tab)", 1),
    ("a\x00", "U+0000 (NUL)", 2),
    ("ab\x7f", "U+007F (delete)", 3),
    ("a\x85", "U+0085 (next line)", 2),
    ("a\u2028", "U+2028 (line separator)", 2),
    ("a\x1c", "U+001C", 2),
])
def test_control_characters_are_named_with_their_position(value, char, position):
    err = _error(inputs.check_line, value, "option line")
    assert err.path == "option line"
    assert "control character %s at character %d" % (char, position) in err.problem
    assert "\n" not in str(err) and "\r" not in str(err)


def test_a_secret_with_a_control_character_is_never_shown():
    secret = "s3cr3t-Pa55\n"
    err = _error(inputs.check_line, secret, "option password", inputs.MAX_SECRET, secret=True)
    assert "contains a control character" in err.problem
    assert "s3cr3t" not in str(err) and "U+000A" not in str(err) and "character 12" not in str(err)
    err = _error(inputs.check_line, "p" * 2000, "option password", inputs.MAX_SECRET, secret=True)
    assert "ppp" not in str(err) and "2000" not in str(err)


def test_size_limit_names_the_size_and_the_limit():
    err = _error(inputs.check_line, "x" * (inputs.MAX_LINE + 1), "option line", inputs.MAX_LINE)
    assert "is %d characters long, longer than the limit of %d" % (inputs.MAX_LINE + 1, inputs.MAX_LINE) \
        in err.problem
    assert len(str(err)) < MESSAGE_BOUND
    assert inputs.check_line("x" * inputs.MAX_LINE, "option line", inputs.MAX_LINE)


def test_plain_values_and_non_text_pass():
    for value in ("a.example secure=true h:7222", "", "K\u00f6ln", None, 7, True):
        assert inputs.check_line(value, "x") == value


def test_check_options_walks_lists_dicts_and_sub_options():
    limits = dict(line=inputs.MAX_LINE, lines=inputs.MAX_LINE, options=inputs.MAX_LINE,
                  realms=dict(realm=inputs.MAX_NAME, kdcs=inputs.MAX_NAME), password=inputs.MAX_SECRET)
    good = dict(line="a b", lines=["a", "b"], options={"k": "v", "n": 7}, realms=[dict(realm="A", kdcs=["k"])],
                password="pw", other="free\n")
    inputs.check_options(good, limits, ("password",))
    cases = [
        (dict(lines=["ok", "bad\n"]), "option lines, item 2"),
        (dict(options={"k": "v\t"}), "option options, 'k'"),
        (dict(options={"k\n": "v"}), "option options, a key"),
        (dict(realms=[dict(realm="A"), dict(realm="B", kdcs=["k1", "k\x002"])]), "option realms, item 2, kdcs, item 2"),
        (dict(password="pw\n"), "option password"),
    ]
    for params, where in cases:
        err = _error(inputs.check_options, params, limits, ("password",))
        assert err.path == where, str(err)
    assert "pw" not in str(_error(inputs.check_options, dict(password="pw\n"), limits, ("password",)))


class _Module:
    def __init__(self, params):
        self.params = params

    def fail_json(self, **kwargs):
        raise SystemExit(kwargs)


def test_refuse_bad_options_fails_the_module():
    with pytest.raises(SystemExit) as info:
        inputs.refuse_bad_options(_Module(dict(name="a\n")), dict(name=inputs.MAX_NAME))
    assert "option name: contains the control character U+000A" in info.value.args[0]["msg"]
    inputs.refuse_bad_options(_Module(dict(name="a")), dict(name=inputs.MAX_NAME))


# ---------------------------------------------------------------- the codecs' own checks


@pytest.mark.parametrize("principal", ["krbtgt/B.TEST@A.TEST\n", "a@A\r", "a\x00@A", "a\x7f@A"])
def test_principal_with_a_control_character_is_refused(principal):
    # Regression: the principal pattern ended in "$", which also matches before a final newline.
    err = _error(KC.check_principal, principal)
    assert "control character" in err.problem


def test_password_with_any_control_character_is_refused_without_showing_it():
    for bad in ("pw\t", "pw\x1b[0m", "pw\x7f"):
        err = _error(KC.check_password, bad)
        assert "pw" not in str(err)


@pytest.mark.parametrize("call", [
    lambda: check_tag("A.EXAMPLE\x01", "realm"),
    lambda: check_word("kdc1\x00", "kdc"),
    lambda: check_word("RULE:[1:$1@$0](.*@B)s/@.*//\x1b", "auth_to_local"),
    lambda: edit_krb5_conf("", "/k", "A.EXAMPLE", kdcs=["kdc\x0b1"]),
])
def test_krb5_values_with_control_characters_are_refused(call):
    assert "control character" in _error(call).problem


def test_a_tab_or_newline_in_a_module_line_is_not_a_space():
    # parse_line splits on any whitespace, so the module refuses these before it parses.
    assert parse_line("a.example secure=true\th:7222").hosts == ("h:7222",)
    err = _error(inputs.check_line, "a.example secure=true h:7222\nb.example h:7222", "option line")
    assert "U+000A" in err.problem


# ---------------------------------------------------------------- bounded messages


def test_a_huge_bad_cluster_line_gives_a_short_message():
    for text in ("x" * BIG, "a.example secure=true " + "h" * BIG + "!", "a.example " + "k" * BIG + "=",
                 "a.example secure=" + "t" * BIG + " h:1", "a.example h:" + "9" * BIG):
        err = _error(parse_line, text)
        assert len(str(err)) < MESSAGE_BOUND, str(err)[:200]
    err = _error(build_entry, "n" * BIG + "!", True, ["h"])
    assert len(str(err)) < MESSAGE_BOUND
    conf = ClustersConf.parse("a.example h:1\n")
    assert conf.names() == ["a.example"]


def test_a_huge_bad_krb5_line_gives_a_short_message():
    for text in ("[libdefaults]\n" + "x" * BIG + "\n", "x" * BIG + "\n", "[realms]\n" + "a b" * BIG + " = c\n",
                 "[realms]\n A = {\n", "[a]" + "x" * BIG + "\n"):
        err = _error(Profile.parse, text, "/etc/krb5.conf")
        assert len(str(err)) < MESSAGE_BOUND, str(err)[:200]


def test_huge_kadmin_inputs_give_short_messages():
    for call in (lambda: KC.check_principal("a b" * BIG), lambda: KF.normalize_enctype("x" * BIG),
                 lambda: KF.parse_flag("+" + "x" * BIG)):
        assert len(str(_error(call))) < MESSAGE_BOUND


def test_owner_with_a_nul_is_an_error_not_a_traceback():
    # Regression: pwd.getpwnam raises ValueError (not KeyError) for a name with a NUL.
    assert "does not exist" in _error(resolve_owner, "ma\x00pr").problem
    assert "does not exist" in _error(resolve_owner, None, "ma\x00pr").problem


# ---------------------------------------------------------------- non-UTF-8 files


def test_decode_text_names_the_file_the_line_and_the_column_never_the_byte():
    data = "a.example h:1\n# K\u00f6ln\nb.example h:2 \xe9t\xe9\n".encode("latin-1")
    err = _error(inputs.decode_text, data, "/opt/mapr/conf/mapr-clusters.conf")
    assert (err.path, err.line) == ("/opt/mapr/conf/mapr-clusters.conf", 2)
    # Not the byte's value either: in store-passwords.txt or a ticket file it would be part of a secret.
    assert "the byte at column 4 cannot be decoded" in err.problem and "0xF6" not in str(err)
    assert str(err).startswith("/opt/mapr/conf/mapr-clusters.conf, line 2: is not UTF-8 text")
    assert inputs.decode_text("K\u00f6ln".encode(), "/x") == "K\u00f6ln"


def test_snapshot_and_read_text_use_the_same_decoder(tmp_path):
    path = tmp_path / "maprserverticket"
    path.write_bytes(b"a.example QUJD\n\nb.example \xff\xfe\n")
    err = _error(Snapshot(str(path), path.read_bytes()).text)
    assert (err.path, err.line) == (str(path), 3) and "QUJD" not in str(err)
    # The bad bytes are in a ticket blob: neither their value nor the blob is shown.
    assert "column 11" in err.problem and not any(shown in str(err) for shown in ("0xFF", "0xFE", "\\xff"))
    err = _error(inputs.read_text, str(path))
    assert (err.path, err.line) == (str(path), 3)


def test_security_facts_reads_through_the_same_decoder(tmp_path):
    from ansible_collections.datafabric.crosscluster.plugins.module_utils import _security_facts as security_facts

    path = tmp_path / "daemon.conf"
    path.write_bytes(b"mapr.daemon.user=mapr\nmapr.daemon.group=gr\xfcppe\n")
    err = _error(security_facts._read_text, str(path))
    assert (err.path, err.line) == (str(path), 2) and "not UTF-8" in err.problem
    assert security_facts._read_text(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("value", ["\u00b2", "7" * 5000, "https"])
def test_a_cldb_https_port_that_is_no_number_is_an_error_not_a_crash(value):
    # Regression: isdigit() accepts a superscript two, which int() refuses, and int() of 5000
    # digits raises ValueError; both escaped as tracebacks.
    from ansible_collections.datafabric.crosscluster.plugins.module_utils import _security_facts as security_facts

    err = _error(security_facts._port, value, "/opt/mapr/conf/mapr-clusters.conf")
    assert "not a port number" in err.problem and len(str(err)) < MESSAGE_BOUND
