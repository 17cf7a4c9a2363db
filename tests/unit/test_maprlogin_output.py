"""Parsing `maprlogin print`, the source of ticket validity for idempotent logins and rotation."""

import datetime

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin_output import (
    parse_java_date,
    parse_print,
    seconds_left,
)

SAMPLE = """Opening keyfile /tmp/maprticket_5000
a.example.com: user = mapr, created = 'Mon Nov 23 17:35:54 UTC 2026', expires = 'Mon Dec 07 17:35:54 UTC 2026', \
RenewalTill = 'Wed Dec 23 17:35:54 UTC 2026', uid = 5000, gids = 5000, 0, CanImpersonate = true
b.example.com: user = xcsuser, created = 'Tue Jun 25 15:25:35 GMT-07:00 2019', \
expires = 'Tue Jul  9 15:25:35 GMT-07:00 2019', RenewalTill = 'Thu Jul 25 15:25:35 GMT-07:00 2019', \
uid = 5001, gids = 5001, CanImpersonate = false
"""


def test_parses_keyfile_and_every_ticket():
    parsed = parse_print(SAMPLE)
    assert parsed["keyfile"] == "/tmp/maprticket_5000"
    first, second = parsed["tickets"]
    assert first["cluster"] == "a.example.com" and first["user"] == "mapr"
    assert first["expires"] == "2026-12-07T17:35:54+00:00"
    assert first["renewal_till"] == "2026-12-23T17:35:54+00:00"
    assert first["uid"] == 5000 and first["gids"] == [5000, 0] and first["can_impersonate"] is True
    assert second["user"] == "xcsuser" and second["gids"] == [5001] and second["can_impersonate"] is False
    # GMT-07:00 is how Java names a zone it has no name for; a single-digit day padded with a space, as
    # Java's toString() writes it.
    assert second["expires"] == "2019-07-09T22:25:35+00:00"


# What Java 17's Date.toString() printed, on this machine, for 1796000000000 ms (2026-11-30 00:53:20 UTC)
# with TZ set to the zone in the comment: the names a node's own zone gives maprlogin's output.
REFUSED = [
    "Mon Nov 30 11:53:20 AEDT 2026",  # Australia/Sydney (AEST in winter)
    "Thu Jul 02 23:46:40 AEST 2026",  # Australia/Sydney
    "Mon Nov 30 08:53:20 SGT 2026",  # Asia/Singapore
    "Mon Nov 30 09:53:20 KST 2026",  # Asia/Seoul
    "Mon Nov 30 08:53:20 HKT 2026",  # Asia/Hong_Kong
    "Thu Jul 02 14:46:40 BST 2026",  # Europe/London in summer
    "Mon Nov 30 08:53:20 CST 2026",  # Asia/Shanghai (and America/Chicago prints CST too)
    "Mon Nov 30 06:23:20 IST 2026",  # Asia/Kolkata (IST is also Ireland's and Israel's)
    "Sun Nov 29 18:53:20 CST 2026",  # America/Chicago
    "Mon Nov 30 00:53:20 Z 2026",  # not a name Java prints
    "Mon Nov 30 01:53:20 GMT+1 2026",  # nor is this: Java writes an offset as GMT+hh:mm
]
NOW = datetime.datetime(2026, 11, 30, 0, 53, 20, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("text", REFUSED)
def test_a_named_zone_is_refused_not_guessed(text):
    zone = text.split()[4]
    with pytest.raises(CrossclusterError) as caught:
        parse_java_date(text, source="/opt/mapr/bin/maprlogin print -ticketfile /opt/mapr/conf/maprserverticket")
    err = caught.value
    assert err.path == "/opt/mapr/bin/maprlogin print -ticketfile /opt/mapr/conf/maprserverticket"
    assert "'%s'" % zone in err.problem and text in err.problem
    assert "TZ=UTC" in err.fix and "-Duser.timezone" in err.fix
    # Through parse_print too: the line's ticket is not returned as one with an unknown expiry.
    line = SAMPLE.splitlines()[1].replace("Mon Dec 07 17:35:54 UTC 2026", text)
    with pytest.raises(CrossclusterError) as caught:
        parse_print(line, source="maprlogin print")
    assert caught.value.path == "maprlogin print" and zone in caught.value.problem


@pytest.mark.parametrize("text", ["Mon Nov 30 00:53:20 UTC 2026", "Mon Nov 30 00:53:20 GMT 2026",
                                  "Mon Nov 30 10:53:20 GMT+10:00 2026", "Sun Nov 29 14:53:20 GMT-10:00 2026",
                                  "Mon Nov 30 06:23:20 GMT+05:30 2026"])
def test_utc_gmt_and_numeric_offsets_give_the_instant(text):
    # The last three as Java prints TZ=GMT+10, TZ=UTC+10 (POSIX: ten hours west) and TZ=GMT+05:30.
    assert parse_java_date(text) == NOW


def test_a_date_of_another_shape_gives_no_instant():
    assert parse_java_date("2026-11-30T00:53:20Z") is None
    assert parse_java_date("Mon Nov 30 00:53:20 2026") is None


def test_empty_output_has_no_tickets():
    assert parse_print("Opening keyfile /tmp/x\n") == {"keyfile": "/tmp/x", "tickets": []}


def test_a_mangled_ticket_line_is_an_error_not_a_missing_ticket():
    with pytest.raises(CrossclusterError) as err:
        parse_print("Opening keyfile /tmp/x\nc.example: user = mapr, created = oops\n")
    assert err.value.line == 2 and err.value.fix


def test_seconds_left():
    ticket = parse_print(SAMPLE)["tickets"][0]
    now = datetime.datetime(2026, 12, 7, 17, 34, 54, tzinfo=datetime.timezone.utc)
    assert seconds_left(ticket, now) == 60
    assert seconds_left(ticket, now + datetime.timedelta(minutes=2)) == -60


@pytest.mark.parametrize("text", ["Mon Feb 31 10:00:00 UTC 2026", "Mon Jan 01 25:00:00 UTC 2026",
                                  "Mon Jan 00 10:00:00 UTC 2026", "Mon Jan 01 00:00:00 GMT+09:00 0000",
                                  "Mon Jan 01 00:00:00 GMT+09:00 0001"])
def test_impossible_dates_are_unknown_not_a_crash(text):
    # Regression (found by fuzzing): datetime() raised ValueError/OverflowError out of the parser.
    assert parse_java_date(text) is None
    line = SAMPLE.splitlines()[1].replace("Mon Dec 07 17:35:54 UTC 2026", text)
    assert parse_print(line)["tickets"][0]["expires"] is None


def test_ids_longer_than_32_bits_are_a_layout_error_not_a_crash():
    # int() of a 5000-digit run raises ValueError (Python's int-from-string limit).
    for field in ("uid = 5000", "gids = 5000, 0"):
        line = SAMPLE.splitlines()[1].replace(field, field.split("=", maxsplit=1)[0] + "= " + "9" * 5000)
        with pytest.raises(CrossclusterError) as caught:
            parse_print(line)
        assert "expected layout" in caught.value.problem and len(str(caught.value)) < 300
    assert parse_print(SAMPLE.replace("gids = 5000, 0", "gids = "))["tickets"][0]["gids"] == []
