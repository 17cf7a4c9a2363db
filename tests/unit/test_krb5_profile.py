"""Unit tests for the MIT krb5 profile codec (krb5.conf, kdc.conf)."""

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_conf_edit import edit_krb5_conf
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_profile import (
    Profile,
    quote,
    unquote,
)

PATH = "/etc/krb5.conf"

# Debian's /etc/krb5.conf (package krb5-config) as administrators leave it: tabs and spaces mixed,
# comments between relations, many realms, a blank line at the end; plus a site header, an
# includedir, a [capaths] and an [appdefaults] with nested subsections.
DEBIAN = (
    "# /etc/krb5.conf -- managed by the site team, edit with care\n"
    "includedir /etc/krb5.conf.d/\n"
    "\n"
    "[libdefaults]\n"
    "\tdefault_realm = ATHENA.MIT.EDU\n"
    "\n"
    "# The following krb5.conf variables are only for MIT Kerberos.\n"
    "\tkdc_timesync = 1\n"
    "\tccache_type = 4\n"
    "\tforwardable = true\n"
    "\tproxiable = true\n"
    "        rdns = false\n"
    "\n"
    "\n"
    "# The following libdefaults parameters are only for Heimdal Kerberos.\n"
    "\tfcc-mit-ticketflags = true\n"
    "\n"
    "[realms]\n"
    "\tATHENA.MIT.EDU = {\n"
    "\t\tkdc = kerberos.mit.edu\n"
    "\t\tkdc = kerberos-1.mit.edu\n"
    "\t\tkdc = kerberos-2.mit.edu:88\n"
    "\t\tadmin_server = kerberos.mit.edu\n"
    "\t\tdefault_domain = mit.edu\n"
    "\t}\n"
    "\tZONE.MIT.EDU = {\n"
    "\t\tkdc = casio.mit.edu\n"
    "\t\tkdc = seiko.mit.edu\n"
    "\t\tadmin_server = casio.mit.edu\n"
    "\t}\n"
    "\tCSAIL.MIT.EDU = {\n"
    "\t\tadmin_server = kerberos.csail.mit.edu\n"
    "\t\tdefault_domain = csail.mit.edu\n"
    "\t}\n"
    "        CS.CMU.EDU = {\n"
    "                kdc = kerberos-1.srv.cs.cmu.edu\n"
    "                kdc = kerberos-2.srv.cs.cmu.edu\n"
    "                admin_server = kerberos.cs.cmu.edu\n"
    "        }\n"
    "\tstanford.edu = {\n"
    "\t\tkdc = krb5auth1.stanford.edu\n"
    "\t\tmaster_kdc = krb5auth1.stanford.edu\n"
    "\t\tadmin_server = krb5-admin.stanford.edu\n"
    "\t\tdefault_domain = stanford.edu\n"
    "\t}\n"
    "\n"
    "[domain_realm]\n"
    "\t.mit.edu = ATHENA.MIT.EDU\n"
    "\tmit.edu = ATHENA.MIT.EDU\n"
    "\t.csail.mit.edu = CSAIL.MIT.EDU\n"
    "\tcsail.mit.edu = CSAIL.MIT.EDU\n"
    "\t.stanford.edu = stanford.edu\n"
    "        .toronto.edu = UTORONTO.CA\n"
    "\n"
    "[appdefaults]\n"
    "\tpam = {\n"
    "\t\tdebug = false\n"
    "\t\tATHENA.MIT.EDU = {\n"
    "\t\t\tticket_lifetime = 36000\n"
    "\t\t}\n"
    "\t}\n"
    "\n"
)

# Everything else MIT's syntax allows: CRLF line endings, ';' and indented comments, quoted values
# with escapes, final markers on sections, tags and braces, 'tag =' with '{' on the next line,
# 'module' before the first section, unknown sections, odd spacing and no final newline.
ODD = (
    "module /usr/lib/krb5/plugins/profile.so:residual\r\n"
    "; old-style comment\r\n"
    "[libdefaults]*\r\n"
    "  default_realm=A.EXAMPLE\r\n"
    "  default_ccache_name = \"FILE:/tmp/krb5cc_%{uid} \\\"x\\\"\"\r\n"
    "    # indented comment\r\n"
    "[realms]\r\n"
    "  A.EXAMPLE =\r\n"
    "  {\r\n"
    "    kdc* = kdc1.a.example\r\n"
    "    kdc   =   kdc2.a.example:88   \r\n"
    "    auth_to_local = RULE:[2:$1@$0](.*@B\\.EXAMPLE)s/@.*//\r\n"
    "  }*\r\n"
    "[x-unknown]\r\n"
    "  tag = { not a subsection\r\n"
    "  nested = {\r\n"
    "    deeper = {\r\n"
    "      leaf = 1\r\n"
    "    }\r\n"
    "  }\r\n"
    "include /etc/krb5.local.conf"
)


def parse(text=DEBIAN):
    return Profile.parse(text, path=PATH)


def edited(text, action):
    """Apply ``action(profile)``; return (changed, new text) after checking the edit is idempotent."""
    profile = parse(text)
    changed = action(profile)
    out = profile.render()
    again = parse(out)
    assert action(again) is False, "a second identical edit must change nothing"
    assert again.render() == out
    return changed, out


# Round trip -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [DEBIAN, ODD, "", "\n", "[libdefaults]", "# only a comment\n\n",
                                  DEBIAN.replace("\n", "\r\n"), DEBIAN.rstrip("\n")],
                         ids=["debian", "odd", "empty", "newline", "no-newline", "comment", "crlf", "unterminated"])
def test_round_trip_is_byte_identical(text):
    assert parse(text).render() == text


def test_reads_what_mit_reads():
    profile = parse()
    assert profile.realm("ATHENA.MIT.EDU") == {
        "kdc": ["kerberos.mit.edu", "kerberos-1.mit.edu", "kerberos-2.mit.edu:88"],
        "admin_server": ["kerberos.mit.edu"], "default_domain": ["mit.edu"]}
    assert profile.realm("CS.CMU.EDU")["kdc"] == ["kerberos-1.srv.cs.cmu.edu", "kerberos-2.srv.cs.cmu.edu"]
    assert profile.realm("NOT.THERE") is None
    assert profile.subsection_names("realms") == ["ATHENA.MIT.EDU", "ZONE.MIT.EDU", "CSAIL.MIT.EDU", "CS.CMU.EDU",
                                                  "stanford.edu"]
    assert profile.domain_realm()[-1] == [".toronto.edu", "UTORONTO.CA"]
    assert profile.values("appdefaults", ("pam", "ATHENA.MIT.EDU"), "ticket_lifetime") == ["36000"]
    assert profile.capaths() == []

    odd = parse(ODD)
    # Final markers are not part of the tag; quoted values are unescaped; trailing blanks dropped.
    assert odd.realm("A.EXAMPLE")["kdc"] == ["kdc1.a.example", "kdc2.a.example:88"]
    assert odd.values("libdefaults", (), "default_realm") == ["A.EXAMPLE"]
    assert odd.values("libdefaults", (), "default_ccache_name") == ['FILE:/tmp/krb5cc_%{uid} "x"']
    # '{' followed by text is a value, not a subsection (as in MIT's parser).
    assert odd.values("x-unknown", (), "tag") == ["{ not a subsection"]
    assert odd.values("x-unknown", ("nested", "deeper"), "leaf") == ["1"]


def test_quoting_round_trips():
    for value in ["plain", "", " lead", "trail ", "tab\there", "new\nline", '"quoted"', "{", "{  ", "back\\slash",
                  "{x", "# not a comment"]:
        written = quote(value)
        if written.startswith('"'):
            assert unquote(written[1:]) == value
        else:
            assert written == value
        profile = parse("[s]\n")
        profile.set_values("s", (), "t", [value])
        assert parse(profile.render()).values("s", (), "t") == [value], (value, profile.render())


# Errors: each names the file, the 1-based line and the fix ---------------------------------------

ERRORS = [
    ("section-inside-subsection", "[realms]\n  A = {\n    kdc = x\n\n[domain_realm]\n", 5,
     "section header inside subsection 'A' opened on line 2 (unbalanced braces)", "close the subsection"),
    ("extra-brace", "[realms]\n  A = {\n  }\n  }\n", 4, "'}' closes no subsection", "remove it"),
    ("brace-in-section", "[libdefaults]\n}\n", 2, "'}' closes no subsection", "remove it"),
    ("never-closed", "[realms]\n  A = {\n    kdc = x\n  B = {\n  }\n", 2, "subsection 'A' is never closed",
     "add a line with '}'"),
    ("missing-open-brace", "[realms]\n  A =\n    kdc = x\n  }\n", 3,
     "'A =' on line 2 opens a subsection, so this line must start with '{'", "put '{' at the end of line 2"),
    ("missing-brace-after-comment", "[realms]\n  A =\n  # the KDCs\n  {\n  }\n", 3, "must start with '{'", "'{'"),
    ("open-at-end", "[realms]\n  A =", 2, "'A =' opens a subsection but the file ends", "give A a value"),
    ("no-equals", "[libdefaults]\n  default_realm A.EXAMPLE\n", 2,
     "'default_realm A.EXAMPLE' is no relation ('tag = value'), section header, '}' or comment",
     "write it as 'tag = value'"),
    ("no-tag", "[libdefaults]\n  = A.EXAMPLE\n", 2, "relation without a tag", "tag = value"),
    ("blank-in-tag", "[libdefaults]\n  default realm = A.EXAMPLE\n", 2, "tag 'default realm' has blanks in it",
     "a tag is one word"),
    ("unclosed-header", "[libdefaults\n", 1, "section header has no closing ']'", "[name]"),
    ("text-after-header", "[libdefaults]\n[realms] # the realms\n", 2, "text '# the realms' after the section header",
     "own"),
    ("relation-before-sections", "# site file\ndefault_realm = A.EXAMPLE\n[libdefaults]\n", 2,
     "'default_realm = A.EXAMPLE' is outside any section, so MIT ignores it", "below a [section] header"),
    ("indented-first-header", "  [libdefaults]\n  default_realm = A\n", 1,
     "the first section header is indented, so MIT ignores it", "first column"),
]


@pytest.mark.parametrize("text,line,problem,fix", [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_syntax_errors_name_the_line_and_the_fix(text, line, problem, fix):
    with pytest.raises(CrossclusterError) as caught:
        parse(text)
    err = caught.value
    assert (err.path, err.line) == (PATH, line)
    assert problem in err.problem
    assert fix in err.fix
    assert str(err).startswith("%s, line %d: " % (PATH, line))


def test_an_error_deep_in_a_realistic_file_names_its_line():
    broken = DEBIAN.replace("\t\tkdc = seiko.mit.edu\n", "\t\tkdc seiko.mit.edu\n")
    with pytest.raises(CrossclusterError) as caught:
        parse(broken)
    assert caught.value.line == DEBIAN.splitlines().index("\t\tkdc = seiko.mit.edu") + 1 == 28


SHAPE_ERRORS = [
    # What the file says / the edit / the line / the problem.
    ("realm-is-a-value", "[realms]\n  B.EXAMPLE = kdc.b.example\n",
     lambda p: p.set_realm_values("B.EXAMPLE", "kdc", ["k"]), 2,
     "'B.EXAMPLE' is a value here, but in [realms] it must be a subsection"),
    ("kdc-is-a-subsection", "[realms]\n  B.EXAMPLE = {\n    kdc = {\n      x = y\n    }\n  }\n",
     lambda p: p.set_realm_values("B.EXAMPLE", "kdc", ["k"]), 3,
     "'kdc' opens a subsection here, but it must be a value (kdc = value)"),
    ("domain-is-a-subsection", "[domain_realm]\n  .b.example = {\n  }\n",
     lambda p: p.set_domain_realm(".b.example", "B.EXAMPLE"), 2, "'.b.example' opens a subsection here"),
    ("capath-client-is-a-value", "[capaths]\n  A.EXAMPLE = B.EXAMPLE\n",
     lambda p: p.set_capath("A.EXAMPLE", "B.EXAMPLE"), 2,
     "'A.EXAMPLE' is a value here, but in [capaths] it must be a subsection"),
    ("reading-capaths", "[capaths]\n  A.EXAMPLE = {\n    B.EXAMPLE = .\n  }\n  A.EXAMPLE = .\n",
     lambda p: p.capaths(), 5, "'A.EXAMPLE' is a value here"),
]


@pytest.mark.parametrize("text,action,line,problem", [case[1:] for case in SHAPE_ERRORS],
                         ids=[case[0] for case in SHAPE_ERRORS])
def test_wrong_shapes_where_an_edit_goes_name_the_line(text, action, line, problem):
    profile = parse(text)
    with pytest.raises(CrossclusterError) as caught:
        action(profile)
    assert (caught.value.path, caught.value.line) == (PATH, line)
    assert problem in caught.value.problem
    assert caught.value.fix
    assert profile.render() == text


@pytest.mark.parametrize("name", ["", "TWO WORDS", "A=B", "A*", "#A", "[A", "}A", '"A'])
def test_names_that_cannot_be_tags_are_refused(name):
    with pytest.raises(CrossclusterError) as caught:
        parse().set_realm_values(name, "kdc", ["k"])
    assert "realm" in caught.value.problem and caught.value.line is None


# Edits ------------------------------------------------------------------------------------------

def test_replace_a_realms_kdcs_in_place():
    changed, out = edited(DEBIAN, lambda p: p.set_realm_values("ZONE.MIT.EDU", "kdc", ["new1.mit.edu", "new2.mit.edu"]))
    assert changed
    assert out == DEBIAN.replace("\t\tkdc = casio.mit.edu\n\t\tkdc = seiko.mit.edu\n",
                                 "\t\tkdc = new1.mit.edu\n\t\tkdc = new2.mit.edu\n")


def test_replacing_keeps_the_lines_own_indentation_and_final_marker():
    _changed, out = edited(DEBIAN, lambda p: p.set_realm_values("CS.CMU.EDU", "kdc", ["k1"]))
    assert out == DEBIAN.replace("                kdc = kerberos-1.srv.cs.cmu.edu\n"
                                 "                kdc = kerberos-2.srv.cs.cmu.edu\n", "                kdc = k1\n")
    _changed, out = edited(ODD, lambda p: p.set_realm_values("A.EXAMPLE", "kdc", ["k1"]))
    assert out == ODD.replace("    kdc* = kdc1.a.example\r\n    kdc   =   kdc2.a.example:88   \r\n",
                              "    kdc* = k1\r\n") + "\r\n"  # an edited file ends with a newline


def test_lines_between_a_tags_lines_stay():
    text = "[realms]\n  A = {\n    kdc = k1\n    # backup KDC\n    admin_server = a\n    kdc = k2\n  }\n"
    _changed, out = edited(text, lambda p: p.set_realm_values("A", "kdc", ["k3"]))
    assert out == "[realms]\n  A = {\n    kdc = k3\n    # backup KDC\n    admin_server = a\n  }\n"


def test_add_a_tag_after_the_last_relation_of_the_realm():
    _changed, out = edited(DEBIAN, lambda p: p.set_realm_values("CSAIL.MIT.EDU", "kdc", ["kdc.csail.mit.edu"]))
    assert out == DEBIAN.replace("\t\tdefault_domain = csail.mit.edu\n",
                                 "\t\tdefault_domain = csail.mit.edu\n\t\tkdc = kdc.csail.mit.edu\n")


def test_new_realm_goes_at_the_end_of_realms_in_the_files_style():
    def add(profile):
        return (profile.set_realm_values("B.EXAMPLE", "kdc", ["kdc1.b.example", "kdc2.b.example:88"])
                | profile.set_realm_values("B.EXAMPLE", "admin_server", ["kdc1.b.example"]))

    changed, out = edited(DEBIAN, add)
    assert changed
    assert out == DEBIAN.replace(
        "\t\tdefault_domain = stanford.edu\n\t}\n",
        "\t\tdefault_domain = stanford.edu\n\t}\n"
        "\tB.EXAMPLE = {\n\t\tkdc = kdc1.b.example\n\t\tkdc = kdc2.b.example:88\n"
        "\t\tadmin_server = kdc1.b.example\n\t}\n")


def test_missing_realms_section_is_added_at_the_end():
    text = "[libdefaults]\n  default_realm = A.EXAMPLE\n"
    _changed, out = edited(text, lambda p: p.set_realm_values("B.EXAMPLE", "kdc", ["k"]))
    # Two spaces at section level, and no subsection to learn a step from: the section's step again.
    assert out == text + "\n[realms]\n  B.EXAMPLE = {\n    kdc = k\n  }\n"
    # A file that shows no indentation at all gets MIT's 4 spaces per level.
    _changed, out = edited("[libdefaults]\n", lambda p: p.set_realm_values("B.EXAMPLE", "kdc", ["k"]))
    assert out == "[libdefaults]\n\n[realms]\n    B.EXAMPLE = {\n        kdc = k\n    }\n"
    _changed, out = edited("", lambda p: p.set_realm_values("B.EXAMPLE", "kdc", ["k"]))
    assert out == "[realms]\n    B.EXAMPLE = {\n        kdc = k\n    }\n"


def test_indentation_is_learnt_from_the_file():
    flat = "[realms]\nA = {\n  kdc = a\n}\n"
    _changed, out = edited(flat, lambda p: p.set_realm_values("B", "kdc", ["b"]))
    assert out == flat + "B = {\n  kdc = b\n}\n"
    # An empty realm subsection: the step other subsections use (here 3 spaces) after its own indent.
    text = "[realms]\n A = {\n    kdc = a\n }\n B = {\n }\n"
    _changed, out = edited(text, lambda p: p.set_realm_values("B", "kdc", ["b"]))
    assert out == "[realms]\n A = {\n    kdc = a\n }\n B = {\n    kdc = b\n }\n"


def test_crlf_files_get_crlf_lines_and_an_unterminated_file_is_terminated():
    crlf = DEBIAN.replace("\n", "\r\n")
    _changed, out = edited(crlf, lambda p: p.set_domain_realm(".b.example", "B.EXAMPLE"))
    assert out == crlf.replace("        .toronto.edu = UTORONTO.CA\r\n",
                               "        .toronto.edu = UTORONTO.CA\r\n\t.b.example = B.EXAMPLE\r\n")
    _changed, out = edited("[domain_realm]\n  .a = A", lambda p: p.set_domain_realm(".b", "B"))
    assert out == "[domain_realm]\n  .a = A\n  .b = B\n"


def test_an_empty_list_removes_the_tag_and_never_creates():
    _changed, out = edited(DEBIAN, lambda p: p.set_realm_values("ZONE.MIT.EDU", "kdc", []))
    assert out == DEBIAN.replace("\t\tkdc = casio.mit.edu\n\t\tkdc = seiko.mit.edu\n", "")
    changed, out = edited(DEBIAN, lambda p: p.set_realm_values("NEW.EXAMPLE", "kdc", []))
    assert not changed and out == DEBIAN


def test_a_realm_written_twice_is_set_in_its_first_place():
    text = "[realms]\n  A = {\n    kdc = k1\n  }\n[realms]\n  A = {\n    kdc = k2\n    admin_server = a\n  }\n"
    assert parse(text).realm("A") == {"kdc": ["k1", "k2"], "admin_server": ["a"]}
    _changed, out = edited(text, lambda p: p.set_realm_values("A", "kdc", ["k3"]))
    assert out == "[realms]\n  A = {\n    kdc = k3\n  }\n[realms]\n  A = {\n    admin_server = a\n  }\n"


def test_subsection_with_brace_on_the_next_line_is_edited_inside():
    _changed, out = edited(ODD, lambda p: p.set_realm_values("A.EXAMPLE", "admin_server", ["adm"]))
    assert out == ODD.replace("s/@.*//\r\n", "s/@.*//\r\n    admin_server = adm\r\n") + "\r\n"


def test_remove_a_realm():
    changed, out = edited(DEBIAN, lambda p: p.remove_realm("ZONE.MIT.EDU"))
    assert changed
    assert out == DEBIAN.replace("\tZONE.MIT.EDU = {\n\t\tkdc = casio.mit.edu\n\t\tkdc = seiko.mit.edu\n"
                                 "\t\tadmin_server = casio.mit.edu\n\t}\n", "")
    changed, out = edited(DEBIAN, lambda p: p.remove_realm("NOT.THERE"))
    assert not changed and out == DEBIAN


def test_domain_realm_set_replace_and_remove():
    changed, out = edited(DEBIAN, lambda p: p.set_domain_realm(".b.example", "B.EXAMPLE")
                          | p.set_domain_realm("b.example", "B.EXAMPLE"))
    assert changed
    assert out == DEBIAN.replace("        .toronto.edu = UTORONTO.CA\n",
                                 "        .toronto.edu = UTORONTO.CA\n\t.b.example = B.EXAMPLE\n"
                                 "\tb.example = B.EXAMPLE\n")
    # A domain mapped elsewhere is remapped where it stands.
    _changed, moved = edited(DEBIAN, lambda p: p.set_domain_realm(".csail.mit.edu", "ATHENA.MIT.EDU"))
    assert moved == DEBIAN.replace("\t.csail.mit.edu = CSAIL.MIT.EDU\n", "\t.csail.mit.edu = ATHENA.MIT.EDU\n")
    # Removal with a realm removes only a mapping to that realm.
    changed, same = edited(DEBIAN, lambda p: p.remove_domain_realm(".mit.edu", "B.EXAMPLE"))
    assert not changed and same == DEBIAN
    _changed, removed = edited(DEBIAN, lambda p: p.remove_domain_realm(".mit.edu", "ATHENA.MIT.EDU"))
    assert removed == DEBIAN.replace("\t.mit.edu = ATHENA.MIT.EDU\n", "")


CAPATHS = (
    "[capaths]\n"
    "    ANL.GOV = {\n"
    "        TEST.ANL.GOV = .\n"
    "        PNL.GOV = ES.NET\n"
    "        NERSC.GOV = ES.NET\n"
    "        ES.NET = .\n"
    "    }\n"
    "    TEST.ANL.GOV = {\n"
    "        ANL.GOV = .\n"
    "        PNL.GOV = ANL.GOV\n"
    "        PNL.GOV = ES.NET\n"
    "    }\n"
)


def test_nested_capaths_are_read_as_paths():
    assert parse(CAPATHS).capaths() == [
        {"client_realm": "ANL.GOV", "server_realm": "TEST.ANL.GOV", "via": []},
        {"client_realm": "ANL.GOV", "server_realm": "PNL.GOV", "via": ["ES.NET"]},
        {"client_realm": "ANL.GOV", "server_realm": "NERSC.GOV", "via": ["ES.NET"]},
        {"client_realm": "ANL.GOV", "server_realm": "ES.NET", "via": []},
        {"client_realm": "TEST.ANL.GOV", "server_realm": "ANL.GOV", "via": []},
        {"client_realm": "TEST.ANL.GOV", "server_realm": "PNL.GOV", "via": ["ANL.GOV", "ES.NET"]},
    ]


def test_capaths_set_replace_and_remove():
    _changed, out = edited(CAPATHS, lambda p: p.set_capath("TEST.ANL.GOV", "PNL.GOV", ["ES.NET"]))
    assert out == CAPATHS.replace("        PNL.GOV = ANL.GOV\n        PNL.GOV = ES.NET\n", "        PNL.GOV = ES.NET\n")
    # '.' and an empty via are the same direct path.
    _changed, out = edited(CAPATHS, lambda p: p.set_capath("ANL.GOV", "NERSC.GOV", ["."]))
    assert out == CAPATHS.replace("NERSC.GOV = ES.NET", "NERSC.GOV = .")
    _changed, out = edited(CAPATHS, lambda p: p.set_capath("NEW.GOV", "ANL.GOV"))
    assert out == CAPATHS + "    NEW.GOV = {\n        ANL.GOV = .\n    }\n"
    _changed, out = edited(CAPATHS, lambda p: p.remove_capath("TEST.ANL.GOV", "PNL.GOV"))
    assert out == CAPATHS.replace("        PNL.GOV = ANL.GOV\n        PNL.GOV = ES.NET\n", "")
    # A client subsection left empty goes, and so does a section left empty.
    _changed, out = edited(CAPATHS, lambda p: p.remove_capath("TEST.ANL.GOV", "PNL.GOV")
                           | p.remove_capath("TEST.ANL.GOV", "ANL.GOV"))
    assert out == CAPATHS.split("    TEST.ANL.GOV = {", maxsplit=1)[0]
    everything = [(path["client_realm"], path["server_realm"]) for path in parse(CAPATHS).capaths()]

    def remove_every_capath(profile):
        # A list, not a generator: any() must not stop at the first removal, every path has to go.
        removed = [profile.remove_capath(*pair) for pair in everything]
        return any(removed)

    _changed, out = edited(CAPATHS, remove_every_capath)
    assert out == ""


def test_capaths_added_to_a_file_without_them_and_removed_again():
    def add(profile):
        return profile.set_capath("A.EXAMPLE", "B.EXAMPLE") | profile.set_capath("B.EXAMPLE", "A.EXAMPLE")

    _changed, out = edited(DEBIAN, add)
    # Debian's file ends with a blank line: the new section follows the last line, set apart by a
    # blank line, and the file still ends with its blank line.
    assert out == DEBIAN.rstrip("\n") + (
        "\n\n[capaths]\n\tA.EXAMPLE = {\n\t\tB.EXAMPLE = .\n\t}\n\tB.EXAMPLE = {\n\t\tA.EXAMPLE = .\n\t}\n\n")
    _changed, back = edited(out, lambda p: p.remove_capath("A.EXAMPLE", "B.EXAMPLE")
                            | p.remove_capath("B.EXAMPLE", "A.EXAMPLE"))
    assert back == DEBIAN


def test_comments_keep_a_section_that_removal_empties():
    text = "[capaths]\n  # direct trusts\n  A = {\n    B = .\n  }\n"
    _changed, out = edited(text, lambda p: p.remove_capath("A", "B"))
    assert out == "[capaths]\n  # direct trusts\n"


def test_a_new_section_goes_after_comments_of_an_empty_one():
    text = "[capaths]\n# none yet\n\n[logging]\n  kdc = SYSLOG\n"
    _changed, out = edited(text, lambda p: p.set_capath("A", "B"))
    assert out == "[capaths]\n# none yet\n  A = {\n    B = .\n  }\n\n[logging]\n  kdc = SYSLOG\n"


# edit_krb5_conf: one module call ----------------------------------------------------------------

PEER = dict(realm="B.EXAMPLE", kdcs=["kdc1.b.example", "kdc2.b.example:88"], admin_server="kdc1.b.example",
            domains=[".B.Example", "b.example"],
            capaths=[{"client_realm": "ATHENA.MIT.EDU", "server_realm": "B.EXAMPLE", "via": []},
                     {"client_realm": "B.EXAMPLE", "server_realm": "ATHENA.MIT.EDU", "via": None}])


def test_edit_adds_the_peer_and_reports_what_it_manages():
    out, facts = edit_krb5_conf(DEBIAN, PATH, **PEER)
    assert facts == {
        "realm_entry": {"realm": "B.EXAMPLE", "present": True, "kdcs": ["kdc1.b.example", "kdc2.b.example:88"],
                        "admin_server": "kdc1.b.example",
                        "relations": {"kdc": ["kdc1.b.example", "kdc2.b.example:88"],
                                      "admin_server": ["kdc1.b.example"]}},
        "domains": [".b.example", "b.example"],  # in lower case, as MIT looks host names up
        "capaths": [{"client_realm": "ATHENA.MIT.EDU", "server_realm": "B.EXAMPLE", "via": []},
                    {"client_realm": "B.EXAMPLE", "server_realm": "ATHENA.MIT.EDU", "via": []}],
    }
    again, _facts = edit_krb5_conf(out, PATH, **PEER)
    assert again == out
    back, facts = edit_krb5_conf(out, PATH, state="absent", realm="B.EXAMPLE", domains=PEER["domains"],
                                 capaths=PEER["capaths"])
    assert back == DEBIAN
    assert facts == {"realm_entry": {"realm": "B.EXAMPLE", "present": False, "kdcs": [], "admin_server": None,
                                     "relations": {}}, "domains": [], "capaths": []}


def test_edit_without_kdcs_leaves_the_realm_alone():
    out, facts = edit_krb5_conf(DEBIAN, PATH, realm="ZONE.MIT.EDU", domains=["zone.mit.edu"])
    assert out == DEBIAN.replace("        .toronto.edu = UTORONTO.CA\n",
                                 "        .toronto.edu = UTORONTO.CA\n\tzone.mit.edu = ZONE.MIT.EDU\n")
    assert facts["realm_entry"]["kdcs"] == ["casio.mit.edu", "seiko.mit.edu"]


def test_edit_refuses_kdcs_with_absent_and_bad_values():
    with pytest.raises(CrossclusterError) as caught:
        edit_krb5_conf(DEBIAN, PATH, realm="ZONE.MIT.EDU", state="absent", kdcs=["casio.mit.edu"])
    assert "state=absent removes whole" in caught.value.problem and "state=present" in caught.value.fix
    with pytest.raises(CrossclusterError) as caught:
        edit_krb5_conf(DEBIAN, PATH, realm="B.EXAMPLE", kdcs=["kdc1 kdc2"])
    assert "kdc 'kdc1 kdc2' must be one word" in caught.value.problem
    with pytest.raises(CrossclusterError) as caught:
        edit_krb5_conf(DEBIAN, PATH, realm="B.EXAMPLE", capaths=[{"client_realm": "A B", "server_realm": "B"}])
    assert "capaths entry 1 client_realm 'A B'" in caught.value.problem


def test_auth_to_local_rules_go_before_default_and_absent_removes_only_them():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_conf_edit import edit_krb5_conf

    text = "[realms]\n    A.TEST = {\n        kdc = 127.0.0.1:88\n        auth_to_local = DEFAULT\n    }\n"
    rule = "RULE:[1:$1@$0](.*@B\\.TEST)s/@.*//"
    added, _facts = edit_krb5_conf(text, "krb5.conf", "A.TEST", auth_to_local=[rule])
    assert added == ("[realms]\n    A.TEST = {\n        kdc = 127.0.0.1:88\n        auth_to_local = %s\n"
                     "        auth_to_local = DEFAULT\n    }\n" % rule)
    again, _facts = edit_krb5_conf(added, "krb5.conf", "A.TEST", auth_to_local=[rule])
    assert again == added
    removed, _facts = edit_krb5_conf(added, "krb5.conf", "A.TEST", state="absent", auth_to_local=[rule])
    assert removed == text
    gone, _facts = edit_krb5_conf(text, "krb5.conf", "A.TEST", state="absent")
    assert "A.TEST" not in gone


def test_several_realms_and_the_own_rules_in_one_edit():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_conf_edit import edit_realms

    text = "[realms]\n    A.TEST = {\n        kdc = 127.0.0.1:88\n    }\n"
    rule = "RULE:[1:$1@$0](.*@B\\.TEST)s/@.*//"
    realms = [dict(realm="B.TEST", kdcs=["kdc.b:88"], domains=[".b.test"]),
              dict(realm="C.TEST", kdcs=["kdc.c:88"]),
              dict(realm="A.TEST", auth_to_local=[rule])]
    paths = [dict(client_realm="A.TEST", server_realm="B.TEST")]
    out, facts = edit_realms(text, "krb5.conf", realms, capaths=paths)
    profile = Profile.parse(out)
    assert profile.realm("B.TEST")["kdc"] == ["kdc.b:88"] and profile.realm("C.TEST")["kdc"] == ["kdc.c:88"]
    assert profile.realm("A.TEST") == {"kdc": ["127.0.0.1:88"], "auth_to_local": [rule]}
    assert [f["realm_entry"]["realm"] for f in facts] == ["B.TEST", "C.TEST", "A.TEST"]
    assert edit_realms(out, "krb5.conf", realms, capaths=paths)[0] == out
    gone = [dict(realm="B.TEST", domains=[".b.test"]), dict(realm="C.TEST"), dict(realm="A.TEST", auth_to_local=[rule])]
    assert edit_realms(out, "krb5.conf", gone, state="absent", capaths=paths)[0] == text


def test_one_edit_keeps_one_peer_realm_and_removes_another():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_conf_edit import edit_realms

    text = "[realms]\n    A.TEST = {\n        kdc = 127.0.0.1:88\n    }\n"
    both = [dict(realm="B.TEST", kdcs=["kdc.b:88"], domains=[".b.test"]), dict(realm="C.TEST", kdcs=["kdc.c:88"])]
    paths = [dict(client_realm="A.TEST", server_realm=r) for r in ("B.TEST", "C.TEST")]
    built, _facts = edit_realms(text, "krb5.conf", both, capaths=paths)
    remove = dict(realms=[dict(realm="B.TEST", domains=[".b.test"])],
                  capaths=[dict(client_realm="A.TEST", server_realm="B.TEST")])
    out, facts = edit_realms(built, "krb5.conf", both[1:], capaths=paths[1:], remove=remove)
    profile = Profile.parse(out)
    assert profile.realm("B.TEST") is None and profile.realm("C.TEST")["kdc"] == ["kdc.c:88"]
    assert ".b.test" not in out and "B.TEST" not in out
    assert [(f["realm_entry"]["realm"], f["realm_entry"]["present"]) for f in facts] == [("C.TEST", True),
                                                                                         ("B.TEST", False)]
    assert edit_realms(out, "krb5.conf", both[1:], capaths=paths[1:], remove=remove)[0] == out
    only_remove, _facts = edit_realms(out, "krb5.conf", [], remove=dict(realms=[dict(realm="C.TEST")],
                                                                        capaths=paths[1:]))
    assert only_remove == text
