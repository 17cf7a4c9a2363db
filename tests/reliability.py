"""Figures for docs/reliability.md, recorded by the tests that establish them.

A test that tries a bad input, survives a fault, scans for leaked secrets or fuzzes a parser
calls ``record`` with what it saw; ``tests/tools/reliability_report.py`` turns the records of one
``make test`` run into the page. Records are JSON lines, one file per process, so pytest-xdist
workers never interleave writes.

Kinds and their fields:
- ``bad_input``: ``name``, ``where`` (module, role, inventory), ``message`` (the error the user
  saw, shortened), ``files_identical`` (every checksummed file unchanged afterwards).
- ``fault``: ``name``, ``detail`` (what was done and what the files held afterwards).
- ``secret_scan``: ``name``, ``searched`` (list of places), ``leaks`` (count, must be 0).
- ``fuzz``: ``name`` (the parser), ``examples`` (how many inputs were tried).
- ``racing_owner``: ``name`` (what wrote, as root), ``attempts``, ``written``, ``refused_link`` and
  ``replaced`` (how the writes ended while the directory's owner raced), ``staged_swaps`` and
  ``managed_swaps`` (what the racer did; None when counted in another record), ``detail``,
  ``outside_unchanged`` (the sentinel and /etc/shadow identical afterwards).
- ``hostile``: ``name`` (what a node was altered to report), ``message`` (the refusal, shortened),
  ``files_identical`` (every file on every node unchanged by the run).
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, ".cache", "reliability")
KINDS = ("bad_input", "fault", "secret_scan", "fuzz", "racing_owner", "hostile")


def record(kind, name, **detail):
    if kind not in KINDS:
        raise ValueError("unknown reliability kind %r; one of %s" % (kind, ", ".join(KINDS)))
    os.makedirs(DIR, exist_ok=True)
    line = json.dumps(dict(kind=kind, name=name, **detail), sort_keys=True) + "\n"
    with open(os.path.join(DIR, "%s.%d.jsonl" % (kind, os.getpid())), "a") as handle:
        handle.write(line)


def load():
    """Every record of the current run, in no particular order."""
    found = []
    if not os.path.isdir(DIR):
        return found
    for name in sorted(os.listdir(DIR)):
        if name.endswith(".jsonl"):
            with open(os.path.join(DIR, name)) as handle:
                found += [json.loads(line) for line in handle if line.strip()]
    return found
