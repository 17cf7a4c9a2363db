"""Emulated `maprlogin` (the subset the collection uses), with the real command line.

Exit status 0 on success, 1 on any failure (message on stderr), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from mapr_node import (
    NodeError,
    cldb_call,
    describe_ticket,
    fail,
    find_cluster,
    find_ticket,
    parse_duration,
    read_ticket_lines,
    remove_ticket,
    split_blob,
    store_ticket,
)

PROG = "maprlogin"
TICKET_TYPES = ("crosscluster", "service", "servicewithimpersonation", "tenant")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(*names, **kwargs):
        p = sub.add_parser(names[0], aliases=list(names[1:]), allow_abbrev=False, **kwargs)
        p.set_defaults(command=names[0])
        return p

    p = command("password", help="log in with a password read on standard input")
    p.add_argument("-cluster")
    p.add_argument("-user")
    p.add_argument("-duration")
    p.add_argument("-out")
    p = command("print", help="show the tickets of a ticket file")
    p.add_argument("-ticketfile")
    p = command("generateticket", help="have the CLDB issue a ticket for another user")
    p.add_argument("-type", required=True, choices=TICKET_TYPES)
    p.add_argument("-user", required=True)
    p.add_argument("-out", required=True)
    p.add_argument("-duration")
    p.add_argument("-renewal")
    p.add_argument("-cluster")
    for name in ("renew", "authtest"):
        command(name).add_argument("-cluster")
    command("logout", "end").add_argument("-cluster")
    return parser


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt + " ")
    # Nothing echoes a piped password's newline: end the prompt's line so the next message
    # starts on its own.
    sys.stdout.write(prompt + "\n")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise NodeError("no password on standard input")
    return line.rstrip("\r\n")


def _durations(args) -> dict:
    out = {}
    for key in ("duration", "renewal"):
        value = getattr(args, key, None)
        if value:
            out[key] = parse_duration(value)
    return out


def _caller_ticket(node, cluster: str) -> str:
    """The caller's own login for the cluster, else (as for the cluster's own services) the server
    ticket, if this process may read it."""
    path = node.ticket_file()
    blob = find_ticket(path, cluster)
    if blob is None:
        try:
            blob = find_ticket(node.conf("maprserverticket"), cluster)
        except NodeError:
            blob = None
    if blob is None:
        raise NodeError("no valid ticket for cluster %s in %s: log in first with 'maprlogin "
                        "password -cluster %s -user <cluster owner>'" % (cluster, path, cluster))
    return blob


def _written(user: str, cluster: str, path: str) -> None:
    print("MapR credentials of user '%s' for cluster '%s' are written to '%s'"
          % (user, cluster, path))


def cmd_password(node, args) -> None:
    entry = find_cluster(node, args.cluster)
    user = args.user or getpass.getuser()
    password = _read_password("[Password for user '%s' at cluster '%s': ]" % (user, entry.name))
    reply = cldb_call(node, entry, "/login",
                      dict(_durations(args), user=user, password=password))
    out = args.out or node.ticket_file()
    store_ticket(out, entry.name, reply["ticket"])
    _written(user, entry.name, out)


def cmd_print(node, args) -> int:
    path = args.ticketfile or node.ticket_file()
    print("Opening keyfile %s" % path)
    if not os.path.exists(path):
        raise NodeError("keyfile %s does not exist: no ticket (log in with 'maprlogin password')"
                        % path)
    status = 0
    for cluster, blob in read_ticket_lines(path):
        try:
            claims = split_blob(blob)[0]
            print(describe_ticket(cluster, claims))
        except (NodeError, KeyError, TypeError, ValueError) as exc:
            sys.stderr.write("%s: error: ticket for cluster %s in %s: %s\n"
                             % (PROG, cluster, path, exc))
            status = 1
    return status


def cmd_generateticket(node, args) -> None:
    entry = find_cluster(node, args.cluster)
    reply = cldb_call(node, entry, "/ticket/generate",
                      dict(_durations(args), auth=_caller_ticket(node, entry.name),
                           type=args.type, user=args.user))
    store_ticket(args.out, entry.name, reply["ticket"])
    _written(args.user, entry.name, args.out)


def _own_ticket(node, args):
    entry = find_cluster(node, args.cluster)
    path = node.ticket_file()
    blob = find_ticket(path, entry.name)
    if blob is None:
        raise NodeError("no ticket for cluster %s in %s" % (entry.name, path))
    return entry, path, blob


def cmd_renew(node, args) -> None:
    entry, path, blob = _own_ticket(node, args)
    reply = cldb_call(node, entry, "/ticket/renew", {"auth": blob})
    store_ticket(path, entry.name, reply["ticket"])
    print("MapR credentials of user '%s' for cluster '%s' are renewed in '%s'"
          % (reply["claims"]["user"], entry.name, path))


def cmd_authtest(node, args) -> None:
    entry, path, blob = _own_ticket(node, args)
    reply = cldb_call(node, entry, "/ticket/validate", {"auth": blob})
    print("Authentication to cluster '%s' as user '%s' succeeded"
          % (entry.name, reply["claims"]["user"]))


def cmd_logout(node, args) -> None:
    entry = find_cluster(node, args.cluster)
    path = node.ticket_file()
    if remove_ticket(path, entry.name):
        print("Logged out of cluster '%s' (ticket removed from '%s')" % (entry.name, path))
    else:
        print("No ticket for cluster '%s' in '%s'" % (entry.name, path))


COMMANDS = {
    "password": cmd_password, "print": cmd_print, "generateticket": cmd_generateticket,
    "renew": cmd_renew, "authtest": cmd_authtest, "logout": cmd_logout,
}


def main(node, argv: list) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](node, args) or 0
    except NodeError as exc:
        return fail(PROG, exc)
