"""Unit tests for the ticket file codec; blobs must never leak."""

import base64
import hashlib

import pytest
from expect import crosscluster_error

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import (
    CrossclusterError,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import (
    TicketFile,
    blob_digest,
    parse_ticket,
    validate_blob,
)

PATH = "/opt/mapr/conf/maprserverticket"
# Long, like a real ticket, and easy to spot in any output.
BLOB_A = base64.b64encode(b"SECRET-A-" + bytes(range(256)) * 2).decode("ascii")
BLOB_B = base64.b64encode(b"SECRET-B-" + bytes(range(200))).decode("ascii")
BLOB_C = base64.b64encode(b"SECRET-C-xyz").decode("ascii")
BLOBS = (BLOB_A, BLOB_B, BLOB_C)
NAME_SHAPED_BLOB = BLOB_A.replace("+", "x").replace("/", "y").rstrip("=")
FILE = "a.example %s\n\nb.example   %s  \n" % (BLOB_A, BLOB_B)


def _error(call, *args, **kwargs):
    err = crosscluster_error(call, *args, **kwargs)
    _assert_no_blob(str(err), repr(err), err.problem, err.fix)
    return err


def _assert_no_blob(*texts):
    for text in texts:
        for blob in BLOBS:
            assert blob not in text
            # A leak of a good part of a blob is still a leak.
            assert blob[8:40] not in text
        assert NAME_SHAPED_BLOB[8:40] not in text


# ---------------------------------------------------------------- blob_digest / validate_blob


def test_blob_digest():
    expected = "sha256:" + hashlib.sha256(BLOB_A.encode("utf-8")).hexdigest()[:12]
    assert blob_digest(BLOB_A) == expected
    assert len(blob_digest(BLOB_A)) == len("sha256:") + 12
    assert blob_digest(BLOB_A) != blob_digest(BLOB_B)


def test_validate_blob_accepts_real_base64():
    for blob in BLOBS + ("AA==", "AAA=", "AAAA"):
        assert validate_blob(blob) is None


@pytest.mark.parametrize(
    "blob, words",
    [
        ("", "empty"),
        (None, "not text"),
        (BLOB_A[:40] + "\n" + BLOB_A[40:], "whitespace"),
        (BLOB_A[:40] + " " + BLOB_A[40:], "whitespace"),
        (BLOB_A.replace("+", "-").replace("/", "_") + "-_", "alphabet"),
        (BLOB_A[:-1] + "!", "alphabet"),
        (BLOB_A + "é", "alphabet"),
        (BLOB_A[:-2], "length"),
        ("====", "padding"),
        ("AA=A", "padding"),
        ("AAAA====", "padding"),
        ("A===", "padding"),
    ],
)
def test_validate_blob_rejects(blob, words):
    err = _error(validate_blob, blob, PATH, 7, "b.example")
    assert "ticket for cluster 'b.example' is not valid base64" in err.problem
    assert words in err.problem
    assert err.path == PATH
    assert err.line == 7
    # The decoder's own exception must not be chained (a traceback could show it).
    assert err.__cause__ is None
    assert err.__suppress_context__ is True or err.__context__ is None


# ---------------------------------------------------------------- parse_ticket


def test_parse_ticket_whole_line():
    assert parse_ticket("b.example %s\n" % BLOB_B) == ("b.example", BLOB_B)
    assert parse_ticket("  b.example\t%s " % BLOB_B, "b.example") == ("b.example", BLOB_B)


def test_parse_ticket_blob_alone():
    assert parse_ticket("\n%s\n" % BLOB_B, cluster="b.example") == ("b.example", BLOB_B)


def test_parse_ticket_cluster_mismatch_names_both():
    err = _error(parse_ticket, "b.example %s" % BLOB_B, "c.example")
    assert "'b.example'" in err.problem and "'c.example'" in err.problem


def test_parse_ticket_blob_alone_needs_cluster():
    err = _error(parse_ticket, BLOB_B)
    assert "cluster" in err.fix


@pytest.mark.parametrize(
    "ticket, cluster, words",
    [
        ("", "b", "empty"),
        ("  \n", None, "empty"),
        (None, "b", "empty"),
        ("b.example %s extra" % BLOB_B, None, "3 whitespace-separated fields"),
        ("b.example %s" % BLOB_B[:-3], None, "not valid base64"),
        (BLOB_B[:-3], "b.example", "not valid base64"),
        # A wrapped blob: the first half must not be echoed as a "cluster name".
        (BLOB_A[:76] + "\n" + BLOB_A[76:], None, "spans 2 lines"),
        (BLOB_A[:76] + "\n" + BLOB_A[76:] + "\n", "a.example", "spans 2 lines"),
        ("b.example\n" + BLOB_B, "b.example", "spans 2 lines"),
        ("b.example %s" % BLOB_B, "bad name!", "not a valid cluster name"),
    ],
)
def test_parse_ticket_errors(ticket, cluster, words):
    err = _error(parse_ticket, ticket, cluster)
    assert words in err.problem
    assert err.path is None and err.line is None


def test_parse_ticket_first_field_not_a_name_is_not_echoed():
    err = _error(parse_ticket, "+%s %s" % (BLOB_C, BLOB_B))
    assert "not a valid cluster name" in err.problem
    assert BLOB_C not in str(err)


# ---------------------------------------------------------------- TicketFile: reading


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        FILE,
        FILE.rstrip("\n"),
        "a %s\r\nb %s\r\n" % (BLOB_A, BLOB_B),
        "\ta\t%s\t\n" % BLOB_A,
    ],
)
def test_untouched_file_is_byte_identical(text):
    assert TicketFile.parse(text, PATH).render() == text


def test_reading_accessors():
    tickets = TicketFile.parse(FILE, PATH)
    assert tickets.clusters() == ["a.example", "b.example"]
    assert tickets.local_cluster == "a.example"
    assert tickets.get("b.example") == BLOB_B
    assert tickets.get("zzz") is None
    assert tickets.line_of("b.example") == 3
    assert TicketFile.parse("\n").local_cluster is None


def test_repr_has_no_blob():
    tickets = TicketFile.parse(FILE, PATH)
    text = repr(tickets) + repr(tickets._lines) + str(tickets)
    assert "a.example" in text and "b.example" in text
    assert blob_digest(BLOB_A) in repr(tickets._lines)
    _assert_no_blob(text)


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("a %s\nb\n" % BLOB_A, 2, "1 whitespace-separated fields"),
        ("a %s\n%s\n" % (BLOB_A, BLOB_B), 2, "1 whitespace-separated fields"),
        ("a %s extra\n" % BLOB_A, 1, "3 whitespace-separated fields"),
        ("a %s %s\n" % (BLOB_A[:50], BLOB_A[50:]), 1, "3 whitespace-separated fields"),
        ("\n\na %s\n" % BLOB_A[:-1], 3, "not valid base64"),
        ("a %s\n" % (BLOB_A + "$"), 1, "alphabet"),
        # Swapped fields: the blob sits where the name should be and must not be echoed.
        ("%s a.example\n" % BLOB_A, 1, "not a valid cluster name"),
        # Blob-shaped name longer than any real name: shown as a digest, not verbatim.
        ("%s a.example\n" % NAME_SHAPED_BLOB, 1, "digest"),
    ],
)
def test_parse_errors(text, line, words):
    err = _error(TicketFile.parse, text, PATH)
    if words == "digest":
        assert "-character name, sha256:" in err.problem
    else:
        assert words in err.problem
    assert err.path == PATH
    assert err.line == line


def test_duplicate_cluster_names_both_lines():
    text = "a %s\nb %s\n\nb %s\n" % (BLOB_A, BLOB_B, BLOB_C)
    err = _error(TicketFile.parse, text, PATH)
    assert "'b' appears on lines 2 and 4" in err.problem
    assert err.line == 4
    assert err.path == PATH


# ---------------------------------------------------------------- TicketFile: editing


def test_set_same_blob_is_no_change():
    tickets = TicketFile.parse(FILE, PATH)
    assert tickets.set("b.example", BLOB_B) is False
    assert tickets.set("a.example", BLOB_A) is False
    assert tickets.render() == FILE


def test_set_new_appends_at_end():
    tickets = TicketFile.parse(FILE, PATH)
    assert tickets.set("c.example", BLOB_C) is True
    assert tickets.render() == FILE + "c.example %s\n" % BLOB_C
    assert tickets.clusters()[-1] == "c.example"


def test_set_new_on_file_without_final_newline():
    tickets = TicketFile.parse("a %s" % BLOB_A, PATH)
    tickets.set("c", BLOB_C)
    assert tickets.render() == "a %s\nc %s\n" % (BLOB_A, BLOB_C)


def test_set_replaces_in_place():
    tickets = TicketFile.parse(FILE + "c.example %s\n" % BLOB_A, PATH)
    assert tickets.set("b.example", BLOB_C) is True
    assert tickets.render() == "a.example %s\n\nb.example %s\nc.example %s\n" % (
        BLOB_A,
        BLOB_C,
        BLOB_A,
    )


def test_set_empty_file_gets_first_line_without_allow_first():
    tickets = TicketFile.parse("", PATH)
    assert tickets.set("a.example", BLOB_A) is True
    assert tickets.render() == "a.example %s\n" % BLOB_A
    assert tickets.local_cluster == "a.example"


def test_first_line_protected():
    tickets = TicketFile.parse(FILE, PATH)
    err = _error(tickets.set, "a.example", BLOB_C)
    assert "own" in err.problem
    assert "allow_first: true" in err.fix
    assert err.path == PATH and err.line == 1
    err = _error(tickets.remove, "a.example")
    assert err.path == PATH and err.line == 1
    assert tickets.render() == FILE


def test_first_line_with_allow_first():
    tickets = TicketFile.parse(FILE, PATH)
    assert tickets.set("a.example", BLOB_C, allow_first=True) is True
    assert tickets.get("a.example") == BLOB_C
    assert tickets.render().startswith("a.example %s\n" % BLOB_C)
    assert tickets.remove("a.example", allow_first=True) is True
    assert tickets.local_cluster == "b.example"


def test_first_line_is_first_ticket_not_first_blank():
    tickets = TicketFile.parse("\n\nb %s\nc %s\n" % (BLOB_B, BLOB_C), PATH)
    err = _error(tickets.remove, "b")
    assert err.line == 3
    assert tickets.remove("c") is True


def test_set_validates_input_without_leaking():
    tickets = TicketFile.parse(FILE, PATH)
    err = _error(tickets.set, "c.example", BLOB_C + "!")
    assert "'c.example'" in err.problem
    err = _error(tickets.set, "bad name", BLOB_C)
    assert "not a valid cluster name" in err.problem
    assert tickets.render() == FILE


def test_remove():
    tickets = TicketFile.parse(FILE, PATH)
    assert tickets.remove("zzz") is False
    assert tickets.remove("b.example") is True
    assert tickets.render() == "a.example %s\n\n" % BLOB_A


def test_redacted_untouched_keeps_layout():
    text = FILE.rstrip("\n")
    tickets = TicketFile.parse(text, PATH)
    redacted = tickets.redacted()
    assert redacted == "a.example %s\n\nb.example   %s  " % (
        blob_digest(BLOB_A),
        blob_digest(BLOB_B),
    )
    _assert_no_blob(redacted)


def test_redacted_after_change_matches_render_shape():
    tickets = TicketFile.parse("a %s" % BLOB_A, PATH)
    tickets.set("c", BLOB_C)
    redacted = tickets.redacted()
    assert redacted == "a %s\nc %s\n" % (blob_digest(BLOB_A), blob_digest(BLOB_C))
    _assert_no_blob(redacted)
    assert redacted.count("\n") == tickets.render().count("\n")


@pytest.mark.parametrize("odd", ["\x1c", "\x85", "\xa0", "\u2028"])
def test_ticket_fields_split_on_ascii_blanks_only(odd):
    # Regression (found by fuzzing against Java's \s): the Unicode-aware \s split these lines.
    with pytest.raises(CrossclusterError) as caught:
        TicketFile.parse("a.example%s%s\n" % (odd, BLOB_A), "/t")
    assert caught.value.line == 1 and BLOB_A not in str(caught.value)
    with pytest.raises(CrossclusterError):
        parse_ticket("a.example%s%s" % (odd, BLOB_A))


def test_a_carriage_return_inside_a_ticket_line_is_refused():
    with pytest.raises(CrossclusterError) as caught:
        TicketFile.parse("a.example %s\rb.example %s\n" % (BLOB_A, BLOB_B), "/t")
    assert caught.value.line == 1 and "carriage return" in caught.value.problem
    assert BLOB_A not in str(caught.value) and BLOB_B not in str(caught.value)
