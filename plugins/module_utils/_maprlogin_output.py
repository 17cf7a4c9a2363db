# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Parse what ``maprlogin print`` writes, so ticket validity can be judged without the key.

The layout maprlogin writes:

    Opening keyfile /tmp/maprticket_5000
    my.cluster.com: user = mapr, created = 'Mon Nov 23 17:35:54 UTC 2026', expires = '...',
        RenewalTill = '...', uid = 5000, gids = 5000, 0, CanImpersonate = true

(one line per ticket). Dates are Java's ``Date.toString()``: ``EEE MMM dd HH:mm:ss zzz yyyy``.
Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import excerpt

_KEYFILE_RE = re.compile(r"^Opening keyfile (?P<path>.+?)\s*$")
# Ids have at most 10 digits (32 bits): int() of a longer run is slow, and past 4300 digits it raises.
_TICKET_RE = re.compile(
    r"^(?P<cluster>[A-Za-z0-9][A-Za-z0-9._-]*): user = (?P<user>[^,]+), "
    r"created = '(?P<created>[^']*)', expires = '(?P<expires>[^']*)', "
    r"RenewalTill = '(?P<renewal>[^']*)', uid = (?P<uid>[0-9]{1,10}), "
    r"gids = (?P<gids>(?:[0-9]{1,10}(?:, *[0-9]{1,10})*)?), "
    r"CanImpersonate = (?P<imp>true|false)\s*$")
_DATE_RE = re.compile(r"^\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) (\d{4})$")
_MONTHS = dict((name, n) for n, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1))
# The collection runs maprlogin with TZ=UTC (_maprlogin.Maprlogin._env), so Java prints "UTC" (or
# "GMT" for a JVM told GMT some other way). A zone Java has no name for comes out as a numeric
# offset, "GMT+10:00". Every other short name is refused, never guessed: they are ambiguous (CST is
# US Central and China, IST India, Ireland and Israel) and Java's names are not the tz database's
# (SGT, HKT). A table of them reads a Chinese node's CST 14 hours off and cannot place AEST, SGT,
# KST, HKT or BST at all, so a valid ticket looks expired and is replaced on every run.
_UTC_NAMES = ("UTC", "GMT")
_OFFSET_RE = re.compile(r"^GMT([+-])(\d{2}):(\d{2})$")


def _zone_offset(zone):
    """Minutes east of UTC of a zone as Java prints it, or None when it is not UTC or an offset."""
    if zone in _UTC_NAMES:
        return 0
    match = _OFFSET_RE.match(zone)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    return (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes))


def parse_java_date(text, source="maprlogin print"):
    """A Java ``Date.toString()`` as an aware UTC datetime, or None when the date cannot exist
    (Feb 31, hour 25, year 0) or has another shape: the ticket's validity is then unknown.

    A date in a named zone other than UTC/GMT raises CrossclusterError naming ``source``: its
    offset cannot be known for sure, and a guess makes valid tickets look expired.
    """
    match = _DATE_RE.match(text.strip())
    if not match:
        return None
    month, day, hour, minute, second, zone, year = match.groups()
    offset = _zone_offset(zone)
    if offset is None:
        raise CrossclusterError(
            "printed the date %s in the time zone %s, whose offset from UTC cannot be known for sure "
            "(a short zone name is ambiguous), so the ticket's expiry is unknown" % (excerpt(text.strip()),
                                                                                     excerpt(zone)),
            path=source,
            fix="let maprlogin's JVM take its zone from the TZ=UTC the collection runs it with: remove the "
                "-Duser.timezone option from the Java options maprlogin starts with on this node (its launcher "
                "script or conf/env.sh)")
    if month not in _MONTHS:
        return None
    try:
        local = datetime.datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
        return (local - datetime.timedelta(minutes=offset)).replace(tzinfo=datetime.timezone.utc)
    except (ValueError, OverflowError):  # found by fuzzing: datetime() refuses what Java never prints
        return None


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def parse_print(text, source="maprlogin print"):
    """Parse the whole output; returns ``{'keyfile': path or None, 'tickets': [dict, ...]}``.

    Each ticket has cluster, user, created, expires, renewal_till (ISO 8601 UTC, or None when a
    date cannot exist), the raw date strings, uid, gids and can_impersonate. A line that looks like a
    ticket but does not parse is an error: silently skipping it would make a valid ticket look
    missing and trigger a needless login.
    """
    keyfile = None
    tickets = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        opened = _KEYFILE_RE.match(line)
        if opened:
            keyfile = opened.group("path")
            continue
        match = _TICKET_RE.match(line.strip())
        if not match:
            if ": user = " in line:
                raise CrossclusterError("a ticket line does not have the expected layout", path=source,
                                        line=number, fix="check that maprlogin is MapR 6.x/7.x")
            continue  # banners and warnings some versions print
        fields = match.groupdict()
        created, expires, renewal = (parse_java_date(fields[k], source) for k in ("created", "expires", "renewal"))
        tickets.append(dict(
            cluster=fields["cluster"],
            user=fields["user"].strip(),
            created=_iso(created),
            expires=_iso(expires),
            renewal_till=_iso(renewal),
            created_text=fields["created"],
            expires_text=fields["expires"],
            renewal_till_text=fields["renewal"],
            uid=int(fields["uid"]),
            gids=[int(g) for g in re.findall(r"[0-9]+", fields["gids"])],
            can_impersonate=fields["imp"] == "true",
        ))
    return dict(keyfile=keyfile, tickets=tickets)


def seconds_left(ticket, now=None):
    """Seconds until ``ticket`` expires (negative once expired), or None when unknown."""
    if ticket.get("expires") is None:
        return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    expires = datetime.datetime.fromisoformat(ticket["expires"])
    return (expires - now).total_seconds()
