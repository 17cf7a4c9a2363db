"""`make demo`: a 2x3 lab, the main playbook against it, the trust checked, a summary.

Run through make (it prepares .venv and the collection link). `--keep` leaves the lab up so you
can look around: `.venv/bin/python tests/lab/lab.py down --dir .cache/demo-lab` removes it.
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from lab.labkit import Lab, checks  # noqa: E402

TRUSTS = "crosscluster_trusts:\n  - clusters: [cluster_a, cluster_b]\n    type: all\n"


def banner(text):
    print("\n== %s %s" % (text, "=" * max(0, 70 - len(text))), flush=True)


def run_playbook(lab, vars_file, label):
    env = dict(os.environ,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_HOME=os.path.join(ROOT, ".cache", "ansible-home"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    started = time.monotonic()
    proc = subprocess.run([playbook, "-i", lab.inventory_path, "-e", "@" + vars_file,
                           os.path.join(ROOT, "playbooks", "crosscluster.yml")],
                          env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stdout[-6000:], proc.stderr[-3000:])
        raise SystemExit("demo: the playbook failed (%s run)" % label)
    summary = re.findall(r'^\s+"((?:user|server|kerberos) trust.*)",?$', proc.stdout, re.M)
    recap = proc.stdout[proc.stdout.index("PLAY RECAP"):].strip().splitlines()[1:]
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", "\n".join(recap)))
    return summary, recap, changed, elapsed


def _line(host, what, proc):
    said = (proc.stdout + proc.stderr).strip().splitlines()
    last = said[-1] if proc.returncode else (said[-1] if said and not said[-1].startswith(("}", "]")) else "")
    print("  %-3s %-58s %s  %s" % (host, what, "OK  " if proc.returncode == 0 else "FAIL", last[:110]))
    return proc.returncode == 0


def show_checks(lab, pairs, servers):
    """User logins from the given nodes, and server calls (maprserverticket) from the CLDBs."""
    ok = True
    for host, remote in pairs:
        ok &= _line(host, "maprlogin password -cluster " + lab.cluster(remote).name,
                    checks.user_login(lab, host, remote))
    for host, remote in servers:
        ok &= _line(host, "maprcli dashboard info -cluster %s (server)" % lab.cluster(remote).name,
                    checks.server_call(lab, host, remote))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    parser.add_argument("--dir", default=os.path.join(ROOT, ".cache", "demo-lab"))
    args = parser.parse_args()

    banner("Building a lab: 2 simulated secure clusters x 3 nodes (local mode)")
    lab = Lab(args.dir, clusters=2, nodes=3, mode="local").up()
    try:
        for cluster in lab.clusters:
            print("  %s  %-15s nodes %s, CLDB %s" % (cluster.group, cluster.name, " ".join(cluster.hosts),
                                                     " ".join(cluster.cldb_hosts)))
        pairs = [("a2", "b"), ("b3", "a")]
        servers = [("a1", "b"), ("b1", "a")]
        banner("Before: a login or a server call to the other cluster fails")
        show_checks(lab, pairs, servers)

        vars_file = os.path.join(args.dir, "demo-trusts.yml")
        with open(vars_file, "w") as handle:
            handle.write(TRUSTS)
        banner("ansible-playbook datafabric.crosscluster.crosscluster")
        print("  crosscluster_trusts: [{clusters: [cluster_a, cluster_b], type: all}]")
        summary, recap, changed, elapsed = run_playbook(lab, vars_file, "first")
        for line in recap:
            print("  " + line.strip())
        print("  first run: %d changes in %.1f s" % (changed, elapsed))

        banner("After: the trust works the way a user sees it")
        logins_ok = show_checks(lab, pairs, servers)
        aliases = checks.jvm_aliases(lab, "a2")
        print("  a2  keytool -list ssl_truststore: %s" % ", ".join(sorted(aliases)))
        probe = checks.jvm_handshake(lab, "a2", "b")
        print("  a2  Java TLS client to b's CLDB with a2's JKS truststore: %s"
              % ("OK" if probe.returncode == 0 else "FAIL " + probe.stderr.strip()[-200:]))

        _summary, _recap, changed_again, elapsed_again = run_playbook(lab, vars_file, "second")
        banner("Summary")
        for line in summary:
            print("  " + line)
        print("  second run: %d changes in %.1f s (idempotent)" % (changed_again, elapsed_again))
        good = logins_ok and probe.returncode == 0 and changed_again == 0
        print("\n  %s" % ("Trust established and verified." if good else "SOMETHING IS WRONG: see above."))
        if args.keep:
            print("  Lab kept: inventory %s" % lab.inventory_path)
        return 0 if good else 1
    finally:
        if not args.keep:
            lab.down()


if __name__ == "__main__":
    sys.exit(main())
