"""Unit tests for the mapr-clusters.conf codec."""

import dataclasses

import pytest
from expect import crosscluster_error

from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import (
    DEFAULT_CLDB_PORT,
    ClusterEntry,
    ClustersConf,
    build_entry,
    parse_line,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import (
    CrossclusterError,
)

PATH = "/opt/mapr/conf/mapr-clusters.conf"
KERBEROS_LINE = (
    "b.example secure=true kerberosEnable=true cldbPrincipal=mapr/b.example@B.TEST "
    "cldbHttpsPort=7443 nb1:7222 nb2:7222"
)
ODD_FILE = (
    "# managed by hand, keep this header\n"
    "\n"
    "a.example   secure=true\tna1:7222  na2:7222   \n"
    "   # remote clusters\n"
    "c.example secure=false 10.0.0.1:7222;10.0.1.1:7222\n"
    "\n"
    "# trailing comment block\n"
)


_error = crosscluster_error


# ---------------------------------------------------------------- parse_line


def test_parse_line_kerberos_fields_kept_in_order():
    entry = parse_line(KERBEROS_LINE)
    assert entry.name == "b.example"
    assert entry.secure is True
    assert entry.options == (
        ("kerberosEnable", "true"),
        ("cldbPrincipal", "mapr/b.example@B.TEST"),
        ("cldbHttpsPort", "7443"),
    )
    assert entry.hosts == ("nb1:7222", "nb2:7222")
    assert entry.to_line() == KERBEROS_LINE


def test_parse_line_normalises_spacing_and_secure_case():
    entry = parse_line("  a  secure=TRUE \t h1:7222 ")
    assert entry.secure is True
    assert entry.to_line() == "a secure=true h1:7222"
    assert parse_line("a secure=False h1:7222").secure is False


def test_parse_line_without_secure():
    entry = parse_line("a h1:7222")
    assert entry.secure is None
    assert entry.to_line() == "a h1:7222"
    assert entry.as_dict()["secure"] is None


def test_parse_line_multi_address_cldb_is_one_host():
    entry = parse_line("a secure=true 10.0.0.1:7222;10.0.1.1:7222 h2:7222")
    assert entry.hosts == ("10.0.0.1:7222;10.0.1.1:7222", "h2:7222")


def test_parse_line_option_after_host_is_kept():
    entry = parse_line("a secure=true h1:7222 cldbHttpsPort=7443 h2:7222")
    assert entry.options == (("cldbHttpsPort", "7443"),)
    assert entry.hosts == ("h1:7222", "h2:7222")
    assert entry.to_line() == "a secure=true cldbHttpsPort=7443 h1:7222 h2:7222"


def test_parse_line_unknown_option_kept_and_value_may_hold_equals():
    entry = parse_line("a secure=true futureKnob=x=y h1:7222")
    assert entry.options == (("futureKnob", "x=y"),)


def test_parse_line_host_without_port_accepted_as_is():
    assert parse_line("a secure=true h1").hosts == ("h1",)


def test_parse_line_bracketed_ipv6():
    entry = parse_line("a secure=true [fe80::1]:7222;[::1]")
    assert entry.hosts == ("[fe80::1]:7222;[::1]",)


@pytest.mark.parametrize(
    "text, words",
    [
        ("a secure=true", "no CLDB host"),
        ("bad!name secure=true h1:7222", "not a valid cluster name"),
        ("-a secure=true h1:7222", "not a valid cluster name"),
        ("a secure=yes h1:7222", "must be true or false"),
        ("a secure= h1:7222", "must be true or false"),
        ("a secure=true secure=false h1:7222", "more than once"),
        ("a secure=true =x h1:7222", "empty key"),
        ("a secure=true cldbHttpsPort= h1:7222", "empty value"),
        ("a secure=true k=1 k=2 h1:7222", "more than once"),
        ("a secure=true :7222", "empty address"),
        ("a secure=true h1:", "':' but no port"),
        ("a secure=true h1:abc", "non-numeric port"),
        ("a secure=true h1:0", "outside 1-65535"),
        ("a secure=true h1:65536", "outside 1-65535"),
        ("a secure=true h1:7222;h2:x", "non-numeric port"),
        ("a secure=true h1:7222;", "empty address"),
        ("a secure=true h1:7222;:7222", "empty address"),
        ("a secure=true h1:7222 # prod", "comment"),
        ("a secure=true fe80::1:7222", "invalid address"),
        ("   ", "empty cluster line"),
    ],
)
def test_parse_line_errors(text, words):
    err = _error(parse_line, text, path=PATH, line=4)
    assert words in err.problem
    assert err.path == PATH
    assert err.line == 4
    assert PATH in str(err) and "line 4" in str(err)


def test_parse_line_max_port_accepted():
    assert parse_line("a secure=true h1:65535 h2:1").hosts == ("h1:65535", "h2:1")


# ---------------------------------------------------------------- ClusterEntry


def test_entry_is_immutable_and_tuples():
    entry = ClusterEntry("a", True, [("k", "v")], ["h1:7222"])
    assert entry.options == (("k", "v"),)
    assert entry.hosts == ("h1:7222",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.name = "b"


def test_as_dict():
    entry = parse_line(KERBEROS_LINE)
    assert entry.as_dict() == {
        "name": "b.example",
        "secure": True,
        "options": {
            "kerberosEnable": "true",
            "cldbPrincipal": "mapr/b.example@B.TEST",
            "cldbHttpsPort": "7443",
        },
        "hosts": ["nb1:7222", "nb2:7222"],
        "line": KERBEROS_LINE,
    }


def test_same_as_ignores_option_order_not_host_order():
    one = parse_line("a secure=true k1=1 k2=2 h1:7222 h2:7222")
    assert one.same_as(parse_line("a  secure=true k2=2 k1=1 h1:7222   h2:7222"))
    assert not one.same_as(parse_line("a secure=true k1=1 k2=2 h2:7222 h1:7222"))
    assert not one.same_as(parse_line("a secure=false k1=1 k2=2 h1:7222 h2:7222"))
    assert not one.same_as(parse_line("a k1=1 k2=2 h1:7222 h2:7222"))
    assert not one.same_as(parse_line("a secure=true k1=1 h1:7222 h2:7222"))
    assert not one.same_as(parse_line("b secure=true k1=1 k2=2 h1:7222 h2:7222"))


# ---------------------------------------------------------------- build_entry


def test_build_entry_adds_default_port_to_every_part():
    entry = build_entry("a", True, ["h1", "h2:7000", "10.0.0.1;10.0.1.1:7001", "[::1]"])
    assert entry.hosts == (
        "h1:%d" % DEFAULT_CLDB_PORT,
        "h2:7000",
        "10.0.0.1:7222;10.0.1.1:7001",
        "[::1]:7222",
    )


def test_build_entry_options_order_and_booleans():
    entry = build_entry(
        "b.example",
        True,
        ["nb1", "nb2"],
        {"kerberosEnable": True, "cldbPrincipal": "mapr/b.example@B.TEST", "cldbHttpsPort": 7443},
    )
    assert entry.to_line() == KERBEROS_LINE
    assert entry.same_as(parse_line(KERBEROS_LINE))
    assert build_entry("a", False, ["h"], {"x": False}).to_line() == "a secure=false x=false h:7222"


def test_build_entry_secure_forms():
    assert build_entry("a", "TRUE", ["h"]).secure is True
    assert build_entry("a", None, ["h"]).to_line() == "a h:7222"


def test_build_entry_single_string_host_is_one_host():
    assert build_entry("a", True, "h1").hosts == ("h1:7222",)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"name": "a b", "secure": True, "hosts": ["h"]}, "not a valid cluster name"),
        ({"name": "a", "secure": "maybe", "hosts": ["h"]}, "must be true or false"),
        ({"name": "a", "secure": True, "hosts": []}, "no CLDB host"),
        ({"name": "a", "secure": True, "hosts": ["h:"]}, "':' but no port"),
        ({"name": "a", "secure": True, "hosts": ["h:99999"]}, "outside 1-65535"),
        ({"name": "a", "secure": True, "hosts": ["h1;"]}, "empty address"),
        ({"name": "a", "secure": True, "hosts": ["h1 h2"]}, "invalid address"),
        ({"name": "a", "secure": True, "hosts": ["k=v"]}, "invalid address"),
        ({"name": "a", "secure": True, "hosts": ["h"], "options": {"secure": True}}, "'secure'"),
        ({"name": "a", "secure": True, "hosts": ["h"], "options": {"": "x"}}, "empty key"),
        ({"name": "a", "secure": True, "hosts": ["h"], "options": {"k": ""}}, "empty value"),
        ({"name": "a", "secure": True, "hosts": ["h"], "options": {"k": None}}, "empty value"),
        ({"name": "a", "secure": True, "hosts": ["h"], "options": {"k": "a b"}}, "whitespace"),
        ({"name": "a", "secure": True, "hosts": ["h"], "options": {"k=x": "1"}}, "contains '='"),
        ({"name": "a", "secure": True, "hosts": ["h"], "options": {"k": [1]}}, "must be a string"),
    ],
)
def test_build_entry_errors(kwargs, words):
    err = _error(build_entry, path=PATH, **kwargs)
    assert words in err.problem
    assert err.path == PATH
    assert err.line is None


def test_build_entry_secure_in_options_tells_to_use_secure_option():
    err = _error(build_entry, "a", None, ["h"], {"secure": "true"})
    assert "secure option" in err.fix


# ---------------------------------------------------------------- ClustersConf: reading


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        ODD_FILE,
        ODD_FILE.rstrip("\n"),
        "a secure=true h1:7222",
        "a secure=true h1:7222\r\nb secure=true h2:7222\r\n",
        "# only a comment",
        "a secure=true h1:7222\n\n\n   \n",
    ],
)
def test_untouched_file_is_byte_identical(text):
    assert ClustersConf.parse(text, PATH).render() == text


def test_reading_accessors():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    assert conf.names() == ["a.example", "c.example"]
    assert conf.local_cluster == "a.example"
    assert conf.line_of("a.example") == 3
    assert conf.line_of("c.example") == 5
    assert conf.line_of("zzz") is None
    assert conf.get("zzz") is None
    assert conf.get("c.example").hosts == ("10.0.0.1:7222;10.0.1.1:7222",)
    assert [entry.name for entry in conf.entries()] == ["a.example", "c.example"]
    assert "c.example" in repr(conf)


def test_empty_file_has_no_local_cluster():
    conf = ClustersConf.parse("# nothing yet\n")
    assert conf.local_cluster is None
    assert conf.names() == []


def test_duplicate_cluster_names_both_lines():
    text = "a secure=true h1:7222\nb secure=true h2:7222\n# x\n\nb secure=true h3:7222\n"
    err = _error(ClustersConf.parse, text, PATH)
    assert "'b' appears on lines 2 and 5" in err.problem
    assert err.path == PATH
    assert err.line == 5


def test_parse_error_names_path_and_line():
    err = _error(ClustersConf.parse, "# header\na secure=true h1:7222\nb secure=nah h2:7222\n", PATH)
    assert err.path == PATH
    assert err.line == 3


# ---------------------------------------------------------------- ClustersConf: editing


def test_add_goes_right_after_last_cluster_line_before_trailing_comments():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    assert conf.set(parse_line(KERBEROS_LINE)) is True
    lines = conf.render().split("\n")
    assert lines[5] == KERBEROS_LINE
    assert lines[4] == "c.example secure=false 10.0.0.1:7222;10.0.1.1:7222"
    assert lines[6:] == ["", "# trailing comment block", ""]
    # Everything else is untouched, including the odd spacing of the first line.
    assert lines[2] == "a.example   secure=true\tna1:7222  na2:7222   "
    assert conf.line_of("b.example") == 6


def test_add_then_reparse_is_idempotent():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    conf.set(parse_line(KERBEROS_LINE))
    again = ClustersConf.parse(conf.render(), PATH)
    before = again.render()
    assert again.set(parse_line(KERBEROS_LINE)) is False
    assert again.render() == before
    assert again.get("b.example").options[1] == ("cldbPrincipal", "mapr/b.example@B.TEST")


def test_add_to_file_without_final_newline_does_not_merge_lines():
    conf = ClustersConf.parse("a secure=true h1:7222", PATH)
    assert conf.set(parse_line("b secure=true h2:7222"))
    assert conf.render() == "a secure=true h1:7222\nb secure=true h2:7222\n"


def test_add_keeps_crlf_style():
    conf = ClustersConf.parse("a secure=true h1:7222\r\n", PATH)
    conf.set(parse_line("b secure=true h2:7222"))
    assert conf.render() == "a secure=true h1:7222\r\nb secure=true h2:7222\r\n"


@pytest.mark.parametrize("text, count", [
    ("a secure=true h1:7222\n# peers\n", 0),
    ("a secure=true h1:7222\r\n# peers\r\n\r\nb secure=true h2:7222\r\n", 4),
    ("a secure=true h1:7222\r\nb secure=true h2:7222\n# no final newline", 1),
    ("", 0),
])
def test_crlf_lines_are_counted_and_named_in_a_warning(text, count):
    conf = ClustersConf.parse(text, PATH)
    assert conf.crlf_lines() == count
    warning = conf.crlf_warning("a1")
    if not count:
        assert warning is None
        return
    assert warning.startswith("a1: %s ends %d of its %d lines with CRLF (Windows line ends); they are kept"
                              % (PATH, count, len(text.splitlines())))
    assert "dos2unix" in warning
    assert conf.crlf_warning().startswith(PATH)
    # Kept: rendered back byte for byte.
    assert conf.render() == text


def test_add_to_empty_file_becomes_first_line_without_allow_first():
    conf = ClustersConf.parse("", PATH)
    assert conf.set(parse_line("a secure=true h1:7222")) is True
    assert conf.render() == "a secure=true h1:7222\n"
    assert conf.local_cluster == "a"


def test_add_to_comment_only_file_appends_at_end():
    conf = ClustersConf.parse("# header\n\n# more", PATH)
    conf.set(parse_line("a secure=true h1:7222"))
    assert conf.render() == "# header\n\n# more\na secure=true h1:7222\n"


def test_semantically_equal_line_is_not_rewritten():
    text = "a secure=true h1:7222\nb   secure=TRUE k2=2  k1=1 h2:7222 \nc secure=true h3:7222"
    conf = ClustersConf.parse(text, PATH)
    assert conf.set(parse_line("b secure=true k1=1 k2=2 h2:7222")) is False
    assert conf.render() == text


def test_changed_line_replaced_in_place():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    assert conf.set(parse_line("c.example secure=true 10.0.0.9:7222")) is True
    lines = conf.render().split("\n")
    assert lines[4] == "c.example secure=true 10.0.0.9:7222"
    assert lines[3] == "   # remote clusters"
    assert conf.names() == ["a.example", "c.example"]
    assert len(lines) == len(ODD_FILE.split("\n"))


def test_first_line_protected_on_change():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    err = _error(conf.set, parse_line("a.example secure=true na9:7222"))
    assert "own cluster" in err.problem
    assert "allow_first: true" in err.fix
    assert err.path == PATH
    assert err.line == 3
    assert conf.render() == ODD_FILE


def test_first_line_unchanged_needs_no_permission():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    assert conf.set(parse_line("a.example secure=true na1:7222 na2:7222")) is False


def test_first_line_change_with_allow_first():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    assert conf.set(parse_line("a.example secure=true na9:7222"), allow_first=True) is True
    assert conf.render().split("\n")[2] == "a.example secure=true na9:7222"


def test_remove():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    assert conf.remove("zzz") is False
    assert conf.render() == ODD_FILE
    assert conf.remove("c.example") is True
    assert "c.example" not in conf.render()
    assert conf.render().startswith("# managed by hand, keep this header\n\n")
    assert conf.render().endswith("   # remote clusters\n\n# trailing comment block\n")


def test_remove_first_line_protected():
    conf = ClustersConf.parse(ODD_FILE, PATH)
    err = _error(conf.remove, "a.example")
    assert err.line == 3
    assert err.path == PATH
    assert conf.remove("a.example", allow_first=True) is True
    assert conf.local_cluster == "c.example"


def test_remove_last_line_without_newline():
    conf = ClustersConf.parse("a secure=true h1:7222\nb secure=true h2:7222", PATH)
    assert conf.remove("b")
    assert conf.render() == "a secure=true h1:7222\n"


def test_add_then_remove_restores_original_bytes():
    conf = ClustersConf.parse("a secure=true h1:7222", PATH)
    conf.set(parse_line("b secure=true h2:7222"))
    conf.remove("b")
    assert conf.render() == "a secure=true h1:7222"


def test_copy_remote_first_line_whole_keeps_kerberos_fields():
    remote = ClustersConf.parse(KERBEROS_LINE + "\nz secure=true z1:7222\n")
    local = ClustersConf.parse("a.example secure=true na1:7222\n", PATH)
    assert local.set(remote.get(remote.local_cluster)) is True
    assert local.render() == "a.example secure=true na1:7222\n" + KERBEROS_LINE + "\n"


@pytest.mark.parametrize("odd", ["\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"])
def test_only_ascii_blanks_separate_fields(odd):
    # Regression (found by fuzzing against Java's \s): str.split() took these for blanks, so the
    # codec saw a cluster name and a host where MapR sees one odd word.
    with pytest.raises(CrossclusterError) as caught:
        ClustersConf.parse("a.example%sh1:7222\n" % odd, PATH)
    assert caught.value.line == 1 and "not a valid cluster name" in caught.value.problem


@pytest.mark.parametrize("text, line", [
    ("a.example h1:7222\rb.example h2:7222\n", 1),
    ("a.example h1:7222\n# old\rb.example h2:7222\n", 2),
    ("a.example h1:7222\r\n\r\r\n", 2),
])
def test_a_carriage_return_inside_a_line_is_refused(text, line):
    # Java's readLine() ends a line at a lone CR, C's fgets() does not: the two would disagree.
    err = _error(ClustersConf.parse, text, PATH)
    assert err.line == line and "carriage return" in err.problem
    assert ClustersConf.parse("a.example h1:7222\r\n\r\n", PATH).names() == ["a.example"]
