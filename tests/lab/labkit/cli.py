"""`lab.py up|down|status`."""

from __future__ import annotations

import argparse
import json
import sys

from .lab import DEFAULT_DIR, Lab


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lab.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build the clusters and print the inventory path")
    up.add_argument("--clusters", type=int, default=2)
    up.add_argument("--nodes", type=int, default=3)
    up.add_argument("--cldbs", type=int, default=1, help="CLDB nodes per cluster (the first ones)")
    up.add_argument("--mode", choices=("local", "ssh"), default="local")
    up.add_argument("--zone", action="append", default=[], metavar="KEY=ZONE",
                    help="ssh mode: a cluster (letter) or host in a time zone, e.g. a=Australia/Sydney")
    up.add_argument("--fips", action="append", default=[], metavar="KEY",
                    help="a FIPS cluster (letter) or node (name; a mixed cluster): BCFKS stores and the provider "
                         "jar under /opt/mapr/lib, e.g. b or a2")
    up.add_argument("--credential-stores", action="store_true",
                    help="write 7.x's conf/maprtrustcreds.jceks on every node (.bcfks on FIPS nodes)")
    up.add_argument("--no-store-passwords", action="store_true",
                    help="no conf/store-passwords.txt on any node, as the vendor advises after set-up")
    for name in ("up", "down", "status"):
        target = up if name == "up" else sub.add_parser(name)
        target.add_argument("--dir", default=DEFAULT_DIR, help="lab directory (%(default)s)")
    sub.choices["status"].add_argument("--json", action="store_true")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "up":
        try:
            zones = dict(_zone(item) for item in args.zone)
            lab = Lab(args.dir, args.clusters, args.nodes, args.mode, args.cldbs, zones, args.fips,
                      args.credential_stores, not args.no_store_passwords).up()
        except (RuntimeError, ValueError) as exc:
            print("lab.py: up failed: %s" % exc, file=sys.stderr)
            return 1
        print(lab.inventory_path)
        print("up in %.2f s" % lab.timings["up"], file=sys.stderr)
        return 0
    if args.command == "down":
        try:
            lab = Lab.load(args.dir)
        except (OSError, ValueError, KeyError):
            lab = Lab(args.dir)  # no usable record: sweep by name
        lab.down()
        print("down in %.2f s" % lab.timings["down"], file=sys.stderr)
        return 0
    lab = Lab(args.dir)
    try:
        lab = Lab.load(args.dir)
    except (OSError, ValueError, KeyError):
        pass
    status = lab.status()
    if args.json:
        print(json.dumps(status, indent=1))
    else:
        _print_status(status)
    return 0 if status.get("healthy") else 1


def _zone(item: str) -> tuple:
    key, sep, zone = item.partition("=")
    if not sep or not key or not zone:
        raise ValueError("--zone %r: write KEY=ZONE, e.g. a=Australia/Sydney or b2=Asia/Shanghai" % item)
    return key, zone


def _print_status(status: dict) -> None:
    print("lab %s: %s" % (status["dir"], status["phase"]))
    if status["phase"] == "down":
        return
    print("mode %s, inventory %s" % (status["mode"], status["inventory"]))
    cldbs = {p["host"]: p for p in status["processes"] if p["role"] == "cldb"}
    for cluster in status["clusters"]:
        fips = ", FIPS" if cluster.get("fips") else ""
        print("  %s (group cluster_%s)%s" % (cluster["name"], cluster["letter"], fips))
        for host in (h for h in status["hosts"] if h["cluster"] == cluster["name"]):
            extra = "  cldb pid %d" % cldbs[host["name"]]["pid"] if host["name"] in cldbs else ""
            print("    %-4s %-15s %s%s" % (host["name"], host["address"], host["fqdn"], extra))
    for problem in status["problems"]:
        print("  problem: %s" % problem)
