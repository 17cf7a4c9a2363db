"""Write docs/reliability.md from what the tests of one `make test` run recorded.

The figures are the tests' own records (tests/reliability.py), so the page says exactly what
was tried in that run. It exits non-zero when the run falls short of what the collection
promises: a bad input that left a file changed, a leaked secret, a racing directory owner who made
root change a file outside the directory, or fewer bad inputs, kill points or fuzzed parsers than
the README claims.
"""

import datetime
import os
import platform
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from reliability import ROOT, load

PAGE = os.path.join(ROOT, "docs", "reliability.md")
MIN_BAD_INPUTS = 60
# The hostile-node suite's cases (tests/integration/test_hostile_node.py).
MIN_HOSTILE = 8
MIN_KILL_POINTS = 50
# Each fuzz record is named "<codec>: <property>"; every codec that parses a file format must appear.
PARSERS = ("clusters_conf", "ticket_file", "maprlogin_output", "krb5_profile", "properties", "truststore")


def _cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def _ansible_version():
    try:
        from ansible.release import __version__
    except ImportError:
        return "unknown"
    return __version__


def render(records):
    by_kind = {}
    for item in records:
        by_kind.setdefault(item["kind"], []).append(item)
    bad = sorted(by_kind.get("bad_input", []), key=lambda r: (r["where"], r["name"]))
    hostile = sorted(by_kind.get("hostile", []), key=lambda r: r["name"])
    faults = sorted(by_kind.get("fault", []), key=lambda r: r["name"])
    scans = sorted(by_kind.get("secret_scan", []), key=lambda r: r["name"])
    races = sorted(by_kind.get("racing_owner", []), key=lambda r: r["name"])
    fuzz = Counter()
    for item in by_kind.get("fuzz", []):
        fuzz[item["name"]] += item["examples"]
    lines = [
        "# Reliability",
        "",
        "Written by `make test` (`tests/tools/reliability_report.py`) from what the tests recorded in that run;",
        "do not edit by hand. Run on %s, Python %s, ansible-core %s."
        % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), platform.python_version(),
           _ansible_version()),
        "",
        "| what | figure |",
        "| --- | --- |",
        "| bad inputs tried, each with a clear error and every file byte-identical | %d (%d left a file changed) |"
        % (len(bad), len([r for r in bad if not r["files_identical"]])),
        "| hostile nodes tried, each refused by name with every file on every node byte-identical | %d (%d left a "
        "file changed) |" % (len(hostile), len([r for r in hostile if not r["files_identical"]])),
        "| faults survived | %d |" % len(faults),
        "| secrets leaked | %d, in %d scans |" % (sum(r["leaks"] for r in scans), len(scans)),
        "| examples fuzzed | %d, over %d properties of %d parsers |"
        % (sum(fuzz.values()), len(fuzz), len(set(name.split(":")[0] for name in fuzz))),
        "| writes as root while the directory's owner raced, files outside changed | %d (%d written), %s |"
        % (sum(r["attempts"] for r in races), sum(r["written"] for r in races),
           "none" if races and all(r["outside_unchanged"] for r in races) else "**yes or not run**"),
        "",
        "## Bad inputs",
        "",
        "Each was tried on its own; the run (or the module) failed with this message, and the checksum of every",
        "file involved was the same afterwards.",
        "",
        "| where | input | files identical | message (start) |",
        "| --- | --- | --- | --- |",
    ]
    lines += ["| %s | %s | %s | %s |" % (r["where"], _cell(r["name"]), "yes" if r["files_identical"] else "**no**",
                                         _cell(r["message"])[:160]) for r in bad]
    lines += ["", "## Hostile nodes", "",
              "A node of a cluster was altered to report something its cluster's peers must not take (a line naming",
              "another cluster, an insecure line, a foreign CA chain, a fact of its own); the run (the preflight gate,",
              "or the user_trust planner on its own) refused it with this message, and every file on every node was",
              "the same afterwards.", "",
              "| what the node reported | files identical | message (start) |", "| --- | --- | --- |"]
    lines += ["| %s | %s | %s |" % (_cell(r["name"]), "yes" if r["files_identical"] else "**no**",
                                    _cell(r["message"])[:160]) for r in hostile]
    lines += ["", "## Faults survived", "", "| fault | what the files held afterwards |", "| --- | --- |"]
    lines += ["| %s | %s |" % (_cell(r["name"]), _cell(r["detail"])) for r in faults]
    lines += ["", "## Racing directory owner", "",
              "The directory belongs to another user than the writer (`mapr` owns /opt/mapr/conf; the collection",
              "writes as root). A process of that user swapped every staged copy it saw for a link to a root-only",
              "sentinel outside the directory, and the managed files for links, while root wrote",
              "(`tests/integration/test_racing_owner.py`). Each write ended written, refused (the file was a link",
              "to outside) or reported as replaced by another process; the sentinels and /etc/shadow kept their",
              "mode, owner, inode and content, and every managed file held a whole version afterwards.", "",
              "| writer | writes | written | refused: link | reported: replaced | racer swaps (staged / managed) "
              "| files outside changed | detail |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += ["| %s | %d | %d | %d | %d | %s | %s | %s |" % (
        _cell(r["name"]), r["attempts"], r["written"], r["refused_link"], r["replaced"],
        "%d / %d" % (r["staged_swaps"], r["managed_swaps"]) if r["staged_swaps"] is not None else "(same racer)",
        "none" if r["outside_unchanged"] else "**yes**", _cell(r["detail"])) for r in races]
    lines += ["", "## Secrets searched for", "",
              "Store, owner, cross-cluster and Kerberos passwords and ticket blobs, each searched for in the places "
              "listed.", "", "| run | searched | leaks |", "| --- | --- | --- |"]
    lines += ["| %s | %s | %d |" % (_cell(r["name"]), _cell(", ".join(r["searched"])), r["leaks"]) for r in scans]
    lines += ["", "## Fuzzing", "", "Property-based tests (Hypothesis, derandomized): round trips of generated valid "
              "values, and arbitrary input giving a value or the collection's own error, never a traceback.", "",
              "| parser: property | examples |", "| --- | --- |"]
    lines += ["| %s | %d |" % (name, count) for name, count in sorted(fuzz.items())]
    return "\n".join(lines) + "\n"


def shortfalls(records):
    kinds = Counter(r["kind"] for r in records)
    found = []
    if kinds["bad_input"] < MIN_BAD_INPUTS:
        found.append("only %d bad inputs were tried (at least %d)" % (kinds["bad_input"], MIN_BAD_INPUTS))
    if kinds["hostile"] < MIN_HOSTILE:
        found.append("only %d hostile nodes were tried (at least %d)" % (kinds["hostile"], MIN_HOSTILE))
    changed = [r["name"] for r in records if r["kind"] in ("bad_input", "hostile") and not r["files_identical"]]
    if changed:
        found.append("bad inputs that left a file changed: %s" % ", ".join(changed))
    kills = [r for r in records if r["kind"] == "fault" and "SIGKILL" in r["name"]]
    if len(kills) < MIN_KILL_POINTS:
        found.append("only %d kill points were survived (at least %d)" % (len(kills), MIN_KILL_POINTS))
    leaks = sum(r["leaks"] for r in records if r["kind"] == "secret_scan")
    if leaks or not kinds["secret_scan"]:
        found.append("%d secrets leaked in %d scans" % (leaks, kinds["secret_scan"]))
    races = [r for r in records if r["kind"] == "racing_owner"]
    if not races or not all(r["outside_unchanged"] for r in races):
        found.append("the racing-owner test did not run, or root changed a file outside the directory")
    fuzzed = set(r["name"].split(":")[0] for r in records if r["kind"] == "fuzz")
    missing = [p for p in PARSERS if p not in fuzzed]
    if missing:
        found.append("parsers not fuzzed: %s" % ", ".join(missing))
    return found


def main():
    records = load()
    if not records:
        print("reliability_report: no records in this run (did the tests run?)", file=sys.stderr)
        return 1
    with open(PAGE, "w") as handle:
        handle.write(render(records))
    print("reliability_report: wrote %s" % os.path.relpath(PAGE, ROOT))
    problems = shortfalls(records)
    for text in problems:
        print("reliability_report: %s" % text, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
