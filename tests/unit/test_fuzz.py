"""Property-based tests of every parser: what a codec writes it reads back, and no input makes it fail
with anything but a CrossclusterError.

Each property is run through ``fuzz``, which counts the examples Hypothesis actually tried and
records them for the reliability report. The settings are fixed (``derandomize=True``, no example
database) so that CI runs the same examples every time and a failure reproduces on any machine.
"""

import base64
import datetime
import functools
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability import record

from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import (
    ClusterEntry,
    ClustersConf,
    is_valid_cluster_name,
    parse_line,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import decode_text
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_conf_edit import edit_krb5_conf
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_profile import (
    Profile,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin_output import parse_print
from ansible_collections.datafabric.crosscluster.plugins.module_utils._properties import parse_properties
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import TicketFile, parse_ticket

# derandomize: the same examples on every run and machine (CI must be reproducible);
# database=None: nothing learnt on one machine changes what another runs.
FIXED = dict(derandomize=True, database=None, deadline=None, print_blob=False,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                    HealthCheck.filter_too_much])


def fuzz(name, max_examples, *strategies):
    """Make a test that runs ``body`` on ``max_examples`` drawn examples and records how many ran."""
    def decorate(body):
        calls = [0]

        def counted(args):
            calls[0] += 1
            body(*args)

        runner = settings(max_examples=max_examples, **FIXED)(given(st.tuples(*strategies))(counted))

        @functools.wraps(body)
        def test():
            calls[0] = 0
            try:
                runner()
            finally:
                record("fuzz", name, examples=calls[0])
        del test.__wrapped__  # pytest would otherwise ask for body's arguments as fixtures
        return test
    return decorate


def survives(call, *args):
    """A value, or None after a CrossclusterError; any other exception fails the test."""
    try:
        return call(*args)
    except CrossclusterError as err:
        assert str(err) and err.fix, "an error must say what is wrong and how to fix it"
        assert len(str(err)) < 2000, "an error message must stay short: %r" % str(err)[:200]
        return None


# Characters that mean something to at least one of the formats, and a few that mean something to
# Python's own line splitting.
SPECIAL = " \t\r\n\x0b\x0c\x00\x1c\x85\u2028=#;!:[]{}\"'*\\,@/+.-_$|&"
NEAR_TEXT = st.text(alphabet=st.sampled_from(SPECIAL) | st.characters(), max_size=6)


@st.composite
def mutated(draw, base):
    """``base`` (a strategy of valid text or bytes) with a few near-miss edits."""
    value = draw(base)
    is_bytes = isinstance(value, bytes)
    for _item in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "truncate"]))
        pos = draw(st.integers(0, len(value)))
        end = draw(st.integers(pos, min(len(value), pos + 20)))
        if is_bytes:
            piece = draw(st.binary(max_size=6))
        else:
            piece = draw(NEAR_TEXT)
        if op == "insert":
            value = value[:pos] + piece + value[pos:]
        elif op == "delete":
            value = value[:pos] + value[end:]
        elif op == "replace":
            value = value[:pos] + piece + value[end:]
        elif op == "duplicate":
            value = value[:end] + value[pos:end] + value[end:]
        else:
            value = value[:pos]
    return value


ENDINGS = st.sampled_from(["\n", "\r\n"])


# ------------------------------------------------------------------ mapr-clusters.conf

NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
HOSTNAME = st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True).filter(lambda h: not h.startswith("#"))
IPV6 = st.ip_addresses(v=6).map(lambda a: "[%s]" % a)
ADDRESS = st.one_of(HOSTNAME, IPV6)
PORT = st.integers(1, 65535)


@st.composite
def hosts(draw):
    parts = []
    for _item in range(draw(st.integers(1, 3))):
        address = draw(ADDRESS)
        port = draw(st.none() | PORT)
        parts.append(address if port is None else "%s:%d" % (address, port))
    return ";".join(parts)


OPTION_KEY = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,15}", fullmatch=True).filter(lambda k: k != "secure")
OPTION_VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
                       min_size=1, max_size=20).filter(lambda v: not any(c.isspace() for c in v))


@st.composite
def cluster_entries(draw):
    options = draw(st.lists(st.tuples(OPTION_KEY, OPTION_VALUE), max_size=4, unique_by=lambda kv: kv[0]))
    return ClusterEntry(draw(NAME), draw(st.none() | st.booleans()), tuple(options),
                        tuple(draw(st.lists(hosts(), min_size=1, max_size=3))))


COMMENT = st.one_of(st.just(""), st.just("   "), st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"),
                                                         max_size=20).map(lambda t: "# " + t))


def _joined(draw, lines):
    """The lines with drawn endings (LF or CRLF), the last one sometimes left off."""
    endings = draw(st.lists(ENDINGS, min_size=len(lines), max_size=len(lines)))
    text = "".join(line + ending for line, ending in zip(lines, endings))
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text


@st.composite
def clusters_conf_files(draw):
    """(text, entries) of a file written as configure.sh and administrators do."""
    entries = draw(st.lists(cluster_entries(), max_size=5, unique_by=lambda e: e.name))
    lines = []
    for entry in entries:
        lines += draw(st.lists(COMMENT, max_size=2))
        separator = draw(st.sampled_from([" ", "  ", "\t", " \t "]))
        lines.append(draw(st.sampled_from(["", " "])) + separator.join(entry.to_line().split(" ")))
    lines += draw(st.lists(COMMENT, max_size=2))
    text = _joined(draw, lines)
    return text, entries


@fuzz("clusters_conf: parse(render) round trip", 150,
      clusters_conf_files())
def test_clusters_conf_round_trip(case):
    text, entries = case
    conf = ClustersConf.parse(text, "/c")
    assert conf.render() == text
    assert [e.to_line() for e in conf.entries()] == [e.to_line() for e in entries]
    assert all(a.same_as(b) for a, b in zip(conf.entries(), entries))
    # Written by the codec itself, from nothing, and read back.
    built = ClustersConf.parse("", "/c")
    for entry in entries:
        assert built.set(entry) is True
    again = ClustersConf.parse(built.render(), "/c")
    assert again.entries() == entries
    assert parse_line(entries[0].to_line()) == entries[0] if entries else True


REAL_CONF = st.sampled_from([
    "a.example secure=true ca1.example.com:7222 ca2.example.com:7222\n",
    "# header\n\na.example secure=true cldbHttpsPort=7443 kerberosEnable=true "
    "cldbPrincipal=mapr/a.example@A.EXAMPLE [fe80::1%eth0]:7222;10.0.0.1:7222\n"
    "b.example secure=false nb1:7222\r\n# trailer",
])


@fuzz("clusters_conf: arbitrary and mutated text", 400,
      st.one_of(st.text(), mutated(REAL_CONF), mutated(clusters_conf_files().map(lambda c: c[0]))))
def test_clusters_conf_any_text(text):
    conf = survives(ClustersConf.parse, text, "/c")
    if conf is not None:
        assert conf.render() == text
        for entry in conf.entries():
            # What the codec read it can write and read back as the same entry.
            assert parse_line(entry.to_line()).same_as(entry)


# MapR reads these files in Java, whose "\\s" is ASCII whitespace only; Python's str.split() also
# splits on U+001C-U+001F, U+0085, U+00A0 and U+2028. The codec must see the fields MapR sees.
JAVA_BLANKS = " \t\n\x0b\x0c\r"
ODD_SPACES = st.sampled_from(["\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"])


def java_fields(line):
    return [field for field in re.split("[%s]+" % JAVA_BLANKS, line) if field]


@fuzz("clusters_conf: fields as MapR's Java reader splits them", 200,
      clusters_conf_files().map(lambda c: c[0]), st.lists(st.tuples(st.integers(0, 10 ** 6), ODD_SPACES),
                                                          min_size=1, max_size=2))
def test_clusters_conf_fields_are_java_fields(text, insertions):
    for position, char in insertions:
        position %= len(text) + 1
        text = text[:position] + char + text[position:]
    conf = survives(ClustersConf.parse, text, "/c")
    if conf is not None:
        for entry, line in zip(conf.entries(), [line for line in text.split("\n")
                                                if line.strip(JAVA_BLANKS) and not
                                                line.strip(JAVA_BLANKS).startswith("#")]):
            fields = java_fields(line)
            assert entry.name == fields[0] and list(entry.hosts) == [f for f in fields[1:] if "=" not in f]


# ------------------------------------------------------------------ ticket files

BLOB = st.binary(min_size=1, max_size=120).map(lambda b: base64.b64encode(b).decode("ascii"))
BLANK = st.sampled_from(["", " ", "\t", "  \t"])


@st.composite
def ticket_files(draw):
    pairs = draw(st.lists(st.tuples(NAME, BLOB), max_size=5, unique_by=lambda p: p[0]))
    lines = []
    for cluster, blob in pairs:
        lines += draw(st.lists(BLANK, max_size=2))
        lines.append(draw(BLANK) + cluster + draw(st.sampled_from([" ", "\t", "  "])) + blob + draw(BLANK))
    text = _joined(draw, lines)
    return text, pairs


@fuzz("ticket_file: parse(render) round trip", 300,
      ticket_files())
def test_ticket_file_round_trip(case):
    text, pairs = case
    tickets = TicketFile.parse(text, "/t")
    assert tickets.render() == text
    assert [(c, tickets.get(c)) for c in tickets.clusters()] == pairs
    built = TicketFile.parse("", "/t")
    for cluster, blob in pairs:
        built.set(cluster, blob)
    again = TicketFile.parse(built.render(), "/t")
    assert [(c, again.get(c)) for c in again.clusters()] == pairs
    for _cluster, blob in pairs:
        assert blob not in again.redacted()


@fuzz("ticket_file: fields as MapR's reader splits them", 300,
      ticket_files().map(lambda c: c[0]), st.lists(st.tuples(st.integers(0, 10 ** 6), ODD_SPACES),
                                                   min_size=1, max_size=2))
def test_ticket_file_fields_are_java_fields(text, insertions):
    for position, char in insertions:
        position %= len(text) + 1
        text = text[:position] + char + text[position:]
    tickets = survives(TicketFile.parse, text, "/t")
    if tickets is not None:
        lines = [java_fields(line) for line in text.split("\n") if java_fields(line)]
        assert [(c, tickets.get(c)) for c in tickets.clusters()] == [tuple(fields) for fields in lines]


BLOB_EXAMPLE = base64.b64encode(b"a crosscluster ticket that must never be shown").decode("ascii")
REAL_TICKETS = st.sampled_from([
    "a.example QUJDRA==\n",
    "a.example QUJDREVGR0g=\n\nb.example   SElKS0w=  \r\n",
])


@fuzz("ticket_file: arbitrary and mutated text", 500,
      st.one_of(st.text(), mutated(REAL_TICKETS), mutated(ticket_files().map(lambda c: c[0]))))
def test_ticket_file_any_text(text):
    tickets = survives(TicketFile.parse, text, "/t")
    if tickets is not None:
        assert tickets.render() == text
        for cluster in tickets.clusters():
            assert tickets.get(cluster) not in tickets.redacted()


@fuzz("ticket_file: parse_ticket of arbitrary module input", 300,
      st.one_of(st.text(), mutated(st.sampled_from(["b.example %s" % BLOB_EXAMPLE, BLOB_EXAMPLE]))),
      st.none() | st.sampled_from(["b.example", "c.example", "bad name!"]))
def test_parse_ticket_any_text(ticket, cluster):
    found = survives(parse_ticket, ticket, cluster)
    if found is not None:
        assert is_valid_cluster_name(found[0]) and found[1] in ticket
    if BLOB_EXAMPLE[4:-4] in ticket:
        try:
            parse_ticket(ticket, cluster)
        except CrossclusterError as err:
            assert BLOB_EXAMPLE[4:-4] not in str(err), "a ticket must never be echoed"


# ------------------------------------------------------------------ maprlogin print

# maprlogin_output has no writer: the layout is maprlogin's, so this prints it as Java would (in the
# zones the parser accepts: maprlogin runs with TZ=UTC, and Java names a nameless offset GMT+hh:mm).
ZONES = {"UTC": 0, "GMT": 0, "GMT-07:00": -7, "GMT+01:00": 1, "GMT+05:30": 5.5, "GMT+09:00": 9}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def java_date(moment, zone):
    local = moment + datetime.timedelta(hours=ZONES[zone])
    return "%s %s %02d %02d:%02d:%02d %s %04d" % (DAYS[local.weekday()], MONTHS[local.month - 1], local.day,
                                                  local.hour, local.minute, local.second, zone, local.year)


MOMENT = st.datetimes(min_value=datetime.datetime(1990, 1, 1), max_value=datetime.datetime(2200, 1, 1)).map(
    lambda d: d.replace(microsecond=0))
USER = st.from_regex(r"[a-z_][a-z0-9_.-]{0,15}", fullmatch=True)


@st.composite
def printed_tickets(draw):
    tickets = []
    for _item in range(draw(st.integers(0, 4))):
        zone = draw(st.sampled_from(sorted(ZONES)))
        created, expires, renewal = (draw(MOMENT) for _moment in range(3))
        tickets.append(dict(cluster=draw(NAME), user=draw(USER), uid=draw(st.integers(0, 2 ** 32 - 1)),
                            gids=draw(st.lists(st.integers(0, 2 ** 32 - 1), min_size=1, max_size=4)),
                            can_impersonate=draw(st.booleans()),
                            created_text=java_date(created, zone), expires_text=java_date(expires, zone),
                            renewal_till_text=java_date(renewal, zone),
                            created=created, expires=expires, renewal_till=renewal))
    keyfile = draw(st.none() | st.just("/tmp/maprticket_5000"))
    lines = [] if keyfile is None else ["Opening keyfile %s" % keyfile]
    for t in tickets:
        lines.append("%s: user = %s, created = '%s', expires = '%s', RenewalTill = '%s', uid = %d, gids = %s, "
                     "CanImpersonate = %s" % (t["cluster"], t["user"], t["created_text"], t["expires_text"],
                                              t["renewal_till_text"], t["uid"], ", ".join(map(str, t["gids"])),
                                              "true" if t["can_impersonate"] else "false"))
    return "\n".join(lines) + "\n", keyfile, tickets


def _iso(moment):
    return moment.replace(tzinfo=datetime.timezone.utc).isoformat()


@fuzz("maprlogin_output: parse(print) round trip", 300,
      printed_tickets())
def test_maprlogin_print_round_trip(case):
    text, keyfile, tickets = case
    parsed = parse_print(text)
    assert parsed["keyfile"] == keyfile
    assert len(parsed["tickets"]) == len(tickets)
    for got, want in zip(parsed["tickets"], tickets):
        for key in ("cluster", "user", "uid", "gids", "can_impersonate", "created_text", "expires_text",
                    "renewal_till_text"):
            assert got[key] == want[key], key
        for key in ("created", "expires", "renewal_till"):
            assert got[key] == _iso(want[key]), key


REAL_PRINT = st.sampled_from([
    "Opening keyfile /tmp/maprticket_5000\n"
    "a.example.com: user = mapr, created = 'Mon Nov 23 17:35:54 UTC 2026', expires = 'Mon Dec 07 17:35:54 UTC "
    "2026', RenewalTill = 'Wed Dec 23 17:35:54 UTC 2026', uid = 5000, gids = 5000, 0, CanImpersonate = true\n",
])


# Dates of the right shape whose numbers may be impossible (Feb 31, hour 99, year 0).
ODD_DATE = st.builds("{} {} {} {}:{}:{} {} {}".format, st.sampled_from(DAYS), st.sampled_from(MONTHS + ("Foo",)),
                     st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
                     st.sampled_from(sorted(ZONES)), st.integers(0, 9999).map("{:04d}".format))
ODD_LINE = st.builds("c: user = u, created = '{}', expires = '{}', RenewalTill = '{}', uid = {}, gids = {}, "
                     "CanImpersonate = true\n".format, ODD_DATE, ODD_DATE, ODD_DATE,
                     st.integers(0, 10 ** 30), st.lists(st.integers(0, 10 ** 30), max_size=3).map(
                         lambda g: ", ".join(map(str, g))))


@fuzz("maprlogin_output: arbitrary and mutated text", 400,
      st.one_of(st.text(), ODD_LINE, mutated(REAL_PRINT), mutated(printed_tickets().map(lambda c: c[0]))))
def test_maprlogin_print_any_text(text):
    survives(parse_print, text)


# ------------------------------------------------------------------ krb5.conf

TAG = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True)
SECTION = st.from_regex(r"[a-z_]{1,12}", fullmatch=True)
VALUE = st.text(max_size=20)


@st.composite
def profiles(draw):
    """{(section, path, tag): [values]} written through the codec's own edit API."""
    wanted = {}
    for _item in range(draw(st.integers(0, 6))):
        path = tuple(draw(st.lists(TAG, max_size=2)))
        wanted[(draw(SECTION), path, draw(TAG))] = draw(st.lists(VALUE, min_size=1, max_size=3))
    # A name cannot be a value in one place and a subsection in another.
    return dict((key, values) for key, values in wanted.items()
                if not any(other[0] == key[0] and other[1][:len(key[1]) + 1] == key[1] + (key[2],)
                           for other in wanted if other != key)
                and not any(other[0] == key[0] and key[1][:len(other[1]) + 1] == other[1] + (other[2],)
                            for other in wanted if other != key))


@fuzz("krb5_profile: parse(render) round trip", 200,
      profiles(), st.sampled_from(["", "# krb5.conf\n", "[libdefaults]\n\tdefault_realm = A.EXAMPLE\n"]))
def test_krb5_profile_round_trip(wanted, start):
    profile = Profile.parse(start, "/k")
    for (section, path, tag), values in wanted.items():
        profile.set_values(section, path, tag, values)
    text = profile.render()
    again = Profile.parse(text, "/k")
    assert again.render() == text
    for (section, path, tag), values in wanted.items():
        assert again.values(section, path, tag) == values


REAL_KRB5 = st.sampled_from([
    "includedir /etc/krb5.conf.d/\n\n[libdefaults]\n\tdefault_realm = A.EXAMPLE\n\n[realms]\n\tA.EXAMPLE = {\n"
    "\t\tkdc = kdc1.a.example\n\t\tadmin_server = kdc1.a.example\n\t\tauth_to_local = RULE:[1:$1@$0](.*@B)s/@.*//\n"
    "\t\tauth_to_local = DEFAULT\n\t}\n\n[domain_realm]\n\t.a.example = A.EXAMPLE\n\n[capaths]\n\tA.EXAMPLE = {\n"
    "\t\tB.EXAMPLE = .\n\t}\n",
    "[realms]\nB.EXAMPLE =\n{\n  kdc = \"kdc b\"\n}*\n; comment\n[logging]\n default = FILE:/var/log/krb5.log\n",
])


@fuzz("krb5_profile: arbitrary and mutated text, parsed and edited", 500,
      st.one_of(st.text(), mutated(REAL_KRB5)))
def test_krb5_profile_any_text(text):
    profile = survives(Profile.parse, text, "/k")
    if profile is None:
        return
    assert profile.render() == text
    edited = survives(edit_krb5_conf, text, "/k", "B.EXAMPLE", "present", ["kdc.b.example"], "kdc.b.example",
                      ["b.example"], [dict(client_realm="A.EXAMPLE", server_realm="B.EXAMPLE", via=[])],
                      ["RULE:[1:$1@$0](.*@B.EXAMPLE)s/@.*//"])
    if edited is not None:
        new_text, facts = edited
        again = Profile.parse(new_text, "/k")
        assert again.realm("B.EXAMPLE")["kdc"] == ["kdc.b.example"]
        assert again.render() == new_text
        removed = survives(edit_krb5_conf, new_text, "/k", "B.EXAMPLE", "absent", None, None, ["b.example"],
                           [dict(client_realm="A.EXAMPLE", server_realm="B.EXAMPLE", via=[])])
        if removed is not None:
            assert Profile.parse(removed[0], "/k").realm("B.EXAMPLE") is None


# ------------------------------------------------------------------ properties

PROP_KEY = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                   max_size=15).map(str.strip).filter(lambda k: k and k[0] not in "#!" and "=" not in k)
PROP_VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                     max_size=20).map(str.strip)


@fuzz("properties: parse(write) round trip", 300,
      st.dictionaries(PROP_KEY, PROP_VALUE, max_size=6), st.sampled_from(["=", " = ", "= "]), ENDINGS)
def test_properties_round_trip(values, separator, ending):
    # properties.py only reads; this writes key=value lines the way daemon.conf has them.
    text = "# daemon.conf\n" + "".join("%s%s%s%s" % (k, separator, v, ending) for k, v in values.items())
    assert parse_properties(text, "/p") == values


def java_properties_lines(text):
    """Lines as java.util.Properties and grep see them: ended by LF, CR or CRLF only."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@fuzz("properties: lines as Java and grep end them", 300,
      st.dictionaries(PROP_KEY, PROP_VALUE, min_size=1, max_size=4), st.lists(ODD_SPACES, min_size=1, max_size=3))
def test_properties_lines_are_java_lines(values, odd):
    text = "".join("%s=%s%s" % (k, v, odd[i % len(odd)]) for i, (k, v) in enumerate(values.items()))
    parsed = survives(parse_properties, text, "/p")
    if parsed is not None:
        # With no LF or CR, the whole text is one line: one key, whose value runs to the end.
        assert list(parsed) == [k for k, _v in [line.partition("=")[::2] for line in java_properties_lines(text)
                                                if line.strip(JAVA_BLANKS)]]


@fuzz("properties: arbitrary and mutated text", 300,
      st.one_of(st.text(), mutated(st.just("mapr.daemon.user=mapr\nmapr.daemon.group = mapr\n# x\n!y\n"))))
def test_properties_any_text(text):
    survives(parse_properties, text, "/p")


# ------------------------------------------------------------------ files as bytes

def _bytes_property(codec, parse, sample):
    """``parse`` on arbitrary and mutated bytes, decoded as files are (decode_text)."""
    @fuzz("%s: arbitrary and mutated bytes, as files are read" % codec, 150,
          st.one_of(st.binary(max_size=80), mutated(st.just(sample))))
    def test(data):
        text = survives(decode_text, data, "/f")
        if text is not None:
            survives(parse, text)
    return test


test_clusters_conf_any_bytes = _bytes_property(
    "clusters_conf", lambda text: ClustersConf.parse(text, "/f").render(), b"a.example secure=true h1:7222\n")
test_ticket_file_any_bytes = _bytes_property(
    "ticket_file", lambda text: TicketFile.parse(text, "/f").render(), b"a.example QUJDRA==\r\n")
test_krb5_profile_any_bytes = _bytes_property(
    "krb5_profile", lambda text: Profile.parse(text, "/f").render(), b"[realms]\n A = {\n  kdc = k\n }\n")
test_properties_any_bytes = _bytes_property(
    "properties", lambda text: parse_properties(text, "/f"), b"mapr.daemon.user=mapr\n")


# ------------------------------------------------------------------ PEM, JKS and PKCS12 stores

ts = pytest.importorskip(
    "ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore")


@functools.lru_cache(maxsize=None)
def certificates():
    """A few CA certificates, made once: key generation is too slow to do per example."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    made = []
    for number, common_name in enumerate(["alpha CA", "beta CA", "Stelle K\u00f6ln", "delta CA"]):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(number + 1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        made.append(ts.Certificate.from_x509(cert))
    return made


ALIAS = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,15}", fullmatch=True)
STORE_PATHS = {"jks": "/s/ssl_truststore", "pkcs12": "/s/ssl_truststore.p12", "pem": "/s/ssl_truststore.pem"}
PASSWORD = "changeit"


@st.composite
def store_contents(draw, store_type):
    # A PKCS12 store cannot be empty (TrustStore._dump_pkcs12 refuses to write one).
    indexes = draw(st.lists(st.integers(0, 3), unique=True, min_size=int(store_type == "pkcs12"), max_size=4))
    aliases = draw(st.lists(ALIAS, min_size=len(indexes), max_size=len(indexes), unique=True))
    return list(zip(aliases, indexes))


def _dump(store_type, contents):
    store = ts.TrustStore.empty(store_type, STORE_PATHS[store_type])
    for alias, index in contents:
        store.add(alias, certificates()[index])
    return store.dump(PASSWORD)


STORE = st.sampled_from(sorted(STORE_PATHS)).flatmap(lambda kind: st.tuples(st.just(kind), store_contents(kind)))


@fuzz("truststore: load(dump) round trip, JKS, PKCS12 and PEM", 40, STORE)
def test_truststore_round_trip(case):
    store_type, contents = case
    data = _dump(store_type, contents)
    # An empty PEM file is only a store when its type is named (see truststore.store_format).
    loaded = ts.TrustStore.load(data, "auto" if data else store_type, PASSWORD, STORE_PATHS[store_type])
    assert loaded.store_type == store_type
    assert [(e.alias, e.certificate.sha256) for e in loaded.trusted()] == [
        (alias, certificates()[index].sha256) for alias, index in contents]
    assert loaded.dump(PASSWORD) == data if store_type == "pem" else True


@fuzz("truststore: arbitrary and mutated bytes", 150,
      st.sampled_from(["auto", "jks", "pkcs12", "pem"]),
      st.one_of(st.binary(max_size=200),
                mutated(STORE.map(lambda case: _dump(*case)))))
def test_truststore_any_bytes(store_type, data):
    store = survives(ts.TrustStore.load, data, store_type, PASSWORD, "/s/store")
    assert ts.store_format(data) in ("jks", "pkcs12", "pem", "bcfks", "jceks", "empty", "der-corrupt", "unknown")
    if store is not None:
        store.describe(with_pem=True)
        store.summary_lines()


@fuzz("truststore: PEM bundles given to truststore_import", 300,
      st.one_of(st.text(), mutated(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(
          lambda picks: "".join(certificates()[i].pem for i in picks)))))
def test_pem_bundle_any_text(text):
    certs = survives(ts.load_certificates, text, "/c/ca.pem")
    if certs is not None:
        assert certs and all(c.sha256 in [k.sha256 for k in certificates()] or c.der for c in certs)
