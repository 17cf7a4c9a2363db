"""Emulated `maprcli` with the one command the lab needs: `dashboard info`.

Like the real one it authenticates with the ticket for the target cluster from the ticket file
(MAPR_TICKETFILE_LOCATION; pointing it at conf/maprserverticket makes it a server's call).
Exit status 0 on success, 1 on failure (`ERROR (<id>) - <message>` on stderr), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from mapr_node import NodeError, cldb_call, find_cluster, find_ticket

PROG = "maprcli"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, allow_abbrev=False)
    sub = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    dashboard = sub.add_parser("dashboard").add_subparsers(dest="action", required=True)
    info = dashboard.add_parser("info", allow_abbrev=False)
    info.add_argument("-cluster")
    info.add_argument("-json", action="store_true")
    return parser


def dashboard_info(node, args) -> int:
    entry = find_cluster(node, args.cluster)
    path = node.ticket_file()
    blob = find_ticket(path, entry.name)
    if blob is None:
        raise NodeError("no ticket for cluster %s in %s (for a server call: merge a crosscluster "
                        "ticket of %s into it)" % (entry.name, path, entry.name), 10003)
    reply = cldb_call(node, entry, "/dashboard/info", {"auth": blob})
    if args.json:
        print(json.dumps(reply, indent=4))
        return 0
    data = reply["data"][0]
    rows = [("cluster", data["cluster"]["name"]), ("id", data["cluster"]["id"]),
            ("secure", str(data["cluster"]["secure"]).lower()), ("version", data["version"]),
            ("nodesUsed", str(data["cluster"]["nodesUsed"]))]
    width = max(len(k) for k, _value in rows)
    for key, value in rows:
        print("%s  %s" % (key.ljust(width), value))
    return 0


def main(node, argv: list) -> int:
    args = _parser().parse_args(argv)
    try:
        return dashboard_info(node, args)
    except NodeError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"status": "ERROR",
                              "errors": [{"id": exc.code, "desc": str(exc)}]}, indent=4))
        sys.stderr.write("ERROR (%d) - %s\n" % (exc.code, exc))
        return 1
