"""`make bench`: what the main playbook costs on the lab, reported as ratios.

Absolute seconds depend on the machine and its load, so the report leads with ratios: a re-run
against the first run, and a larger lab against the small one. It also counts module executions
per node on a re-run with nothing to change (DESIGN.md aims at about 4), from the recorded task
results, so that number does not depend on the machine at all.
"""

import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))

from ansible_run import run_playbook  # noqa: E402
from lab.labkit import Lab  # noqa: E402
from labplay import PLAYBOOK  # noqa: E402

# Tasks that run no module on the node: they cost controller time only.
CONTROLLER_ONLY = {"ansible.builtin.set_fact", "ansible.builtin.debug", "ansible.builtin.fail",
                   "ansible.builtin.include_role", "ansible.builtin.include_tasks",
                   "ansible.builtin.validate_argument_spec", "ansible.builtin.assert"}


def timed_run(lab, check=False):
    trusts = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]}
    started = time.monotonic()
    result = run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None, extra_vars=trusts,
                          check=check).expect_ok()
    return time.monotonic() - started, result


def modules_per_node(result):
    """Module executions per host: results not skipped, of actions that reach the node."""
    count = collections.Counter()
    for record in result.results:
        if record["status"] == "skipped" or record["action"] in CONTROLLER_ONLY:
            continue
        for item in record["result"].get("results") or [record["result"]]:
            if not item.get("skipped"):
                count[record["host"]] += 1
    return count


def measure(directory, nodes, repeats):
    with Lab(directory, clusters=2, nodes=nodes, mode="local").up() as lab:
        first, _ = timed_run(lab)
        reruns = []
        for _ in range(repeats):
            seconds, result = timed_run(lab)
            reruns.append(seconds)
        rerun = min(reruns)
        return dict(nodes=2 * nodes, first=first, rerun=rerun, modules=modules_per_node(result),
                    cldbs=set(lab.cluster("a").cldb_hosts + lab.cluster("b").cldb_hosts))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default=os.path.join(os.path.dirname(HERE), ".cache", "bench"))
    parser.add_argument("--repeats", type=int, default=2, help="re-runs per size (the fastest counts)")
    args = parser.parse_args()

    small = measure(os.path.join(args.dir, "small"), 3, args.repeats)
    large = measure(os.path.join(args.dir, "large"), 6, args.repeats)

    print("datafabric.crosscluster benchmark: main playbook, type all, local-mode lab")
    for run in (small, large):
        plain = [n for h, n in run["modules"].items() if h not in run["cldbs"]]
        cldb = [n for h, n in run["modules"].items() if h in run["cldbs"]]
        print("  %2d nodes: first run %.1f s, re-run %.1f s; re-run module executions per node: "
              "%s (non-CLDB), %s (CLDB)" % (run["nodes"], run["first"], run["rerun"],
                                           "/".join(map(str, sorted(set(plain)))),
                                           "/".join(map(str, sorted(set(cldb))))))
    print("ratios:")
    print("  re-run / first run, 6 nodes:         %.2f" % (small["rerun"] / small["first"]))
    print("  re-run / first run, 12 nodes:        %.2f" % (large["rerun"] / large["first"]))
    print("  re-run 12 nodes / re-run 6 nodes:    %.2f  (nodes x2; 1.00 would be perfectly parallel)"
          % (large["rerun"] / small["rerun"]))
    print("  first 12 nodes / first 6 nodes:      %.2f" % (large["first"] / small["first"]))
    busiest = max(small["modules"].values())
    print("  re-run module executions, busiest node / DESIGN target of 4: %.2f" % (busiest / 4.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
