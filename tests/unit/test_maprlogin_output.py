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
b.example.com: user = xcsuser, created = 'Tue Jun 25 15:25:35 PDT 2019', expires = 'Tue Jul  9 15:25:35 PDT 2019', \
RenewalTill = 'Thu Jul 25 15:25:35 PDT 2019', uid = 5001, gids = 5001, CanImpersonate = false
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
    # PDT is UTC-7; a single-digit day padded with a space, as Java's toString() writes it.
    assert second["expires"] == "2019-07-09T22:25:35+00:00"


def test_unknown_zone_keeps_the_text_and_gives_no_instant():
    assert parse_java_date("Mon Nov 23 17:35:54 XYZT 2026") is None
    line = SAMPLE.splitlines()[1].replace("UTC", "XYZT")
    ticket = parse_print(line)["tickets"][0]
    assert ticket["expires"] is None and ticket["expires_text"] == "Mon Dec 07 17:35:54 XYZT 2026"
    assert seconds_left(ticket) is None


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
                                  "Mon Jan 00 10:00:00 UTC 2026", "Mon Jan 01 00:00:00 JST 0000",
                                  "Mon Jan 01 00:00:00 JST 0001"])
def test_impossible_dates_are_unknown_not_a_crash(text):
    # Regression (found by fuzzing): datetime() raised ValueError/OverflowError out of the parser.
    assert parse_java_date(text) is None
    line = SAMPLE.splitlines()[1].replace("Mon Dec 07 17:35:54 UTC 2026", text)
    assert parse_print(line)["tickets"][0]["expires"] is None


def test_ids_longer_than_32_bits_are_a_layout_error_not_a_crash():
    # int() of a 5000-digit run raises ValueError (Python's int-from-string limit).
    for field in ("uid = 5000", "gids = 5000, 0"):
        line = SAMPLE.splitlines()[1].replace(field, field.split("=")[0] + "= " + "9" * 5000)
        with pytest.raises(CrossclusterError) as caught:
            parse_print(line)
        assert "expected layout" in caught.value.problem and len(str(caught.value)) < 300
    assert parse_print(SAMPLE.replace("gids = 5000, 0", "gids = "))["tickets"][0]["gids"] == []
