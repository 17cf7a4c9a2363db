"""`make bench`, side by side: the collection's playbook against the playbook administrators write today.

For each size N, two fresh labs of 2 clusters x N nodes (ssh mode, forks 25, pipelining, type all):
one runs ``tests/baseline/crosscluster.yml`` (lineinfile, copy + community.general.java_cert,
blockinfile, shell for maprlogin), the other the collection's main playbook. Each side is timed on
its first run and on a re-run, with the controller CPU seconds of each run (ansible-playbook and
everything it started: workers, ssh) and the module executions per node of the re-run. The floor
is the time of one ``ansible.builtin.ping`` round to the same nodes. Both sides are checked to build
the trust (every node logs in to the peer, each cluster's first CLDB node calls the peer as the
server, a JVM trusting only a node's JKS reaches the peer's CLDB) and to change nothing on the
re-run; the bench fails loudly otherwise. Seconds are this machine's and never asserted.

community.general is not installed with the collection: it is taken from the ``ansible`` wheel on
PyPI into .cache/bench-collections the first time (only its community/general tree).
"""

import glob
import os
import subprocess
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))

from ansible_run import COLLECTIONS, run_playbook  # noqa: E402
from lab.labkit import Lab, checks  # noqa: E402
from labplay import PLAYBOOK, changed_hosts, conf_state  # noqa: E402

BASELINE = os.path.join(HERE, "baseline", "crosscluster.yml")
BENCH_COLLECTIONS = os.path.join(ROOT, ".cache", "bench-collections")
# The ansible release whose community.general the baseline uses (its ansible-core is the one we run).
ANSIBLE_WHEEL = "ansible>=12,<13"
TRUSTS = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]}
SECTION = "## Against the baseline playbook"
PING = [{"name": "Ping floor", "hosts": "cluster_a:cluster_b", "gather_facts": False,
         "tasks": [{"name": "Ping", "ansible.builtin.ping": None}]}]


class CompareFailure(Exception):
    """A side did not build the trust, or its re-run changed something (never a timing)."""


def ensure_community_general(say=print):
    """community.general under .cache/bench-collections, from the ansible wheel on PyPI, once."""
    target = os.path.join(BENCH_COLLECTIONS, "ansible_collections", "community", "general")
    if os.path.isdir(target):
        return BENCH_COLLECTIONS
    download = os.path.join(ROOT, ".cache", "bench-download")
    say("  baseline: fetching community.general from the %s wheel ..." % ANSIBLE_WHEEL)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "-d", download, ANSIBLE_WHEEL], check=True, stdin=subprocess.DEVNULL)
    wheel = sorted(glob.glob(os.path.join(download, "ansible-*.whl")))[-1]
    prefix = "ansible_collections/community/general/"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(BENCH_COLLECTIONS, [n for n in archive.namelist() if n.startswith(prefix)])
    return BENCH_COLLECTIONS


def _environment(forks):
    return {"ANSIBLE_COLLECTIONS_PATH": "%s%s%s" % (COLLECTIONS, os.pathsep, BENCH_COLLECTIONS),
            "ANSIBLE_PIPELINING": "1", "ANSIBLE_FORKS": str(forks)}


def timed(lab, playbook, forks, extra_vars=None, timeout=3600):
    """(seconds, controller CPU seconds, result) of one run; CPU counts ansible-playbook and its children."""
    before, started = os.times(), time.monotonic()
    result = run_playbook(playbook, inventory=lab.inventory_path, connection=None, extra_vars=extra_vars,
                          env=_environment(forks), timeout=timeout)
    seconds, after = time.monotonic() - started, os.times()
    if result.rc != 0:
        raise CompareFailure("%s failed (rc %d):\n%s" % (os.path.basename(str(playbook)) if isinstance(playbook, str)
                                                         else "ping", result.rc, result.output[-4000:]))
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return seconds, cpu, result


def trust_problems(lab):
    """What the lab's own tools say is missing: a login from every node, a server call and a JVM
    handshake from each cluster."""
    problems = []
    for host in lab.hosts:
        remote = "b" if host.startswith("a") else "a"
        if checks.user_login(lab, host, remote).returncode != 0:
            problems.append("%s cannot log in to cluster %s" % (host, remote))
    for local, remote in (("a", "b"), ("b", "a")):
        cldb = lab.cluster(local).cldb_hosts[0]
        if checks.server_call(lab, cldb, remote).returncode != 0:
            problems.append("%s cannot call cluster %s as the server" % (cldb, remote))
        if checks.jvm_handshake(lab, lab.cluster(local).hosts[-1], remote).returncode != 0:
            problems.append("a JVM on %s does not trust cluster %s" % (lab.cluster(local).hosts[-1], remote))
    return problems


def measure_side(directory, nodes, side, forks=25, mode="ssh", timeout=3600):
    """One side (``collection`` or ``baseline``) on a fresh 2 x ``nodes`` lab: the figures."""
    from bench import modules_per_node  # the bench's own count, so both reports agree

    playbook, extra_vars = (PLAYBOOK, TRUSTS) if side == "collection" else (BASELINE, None)
    with Lab(directory, clusters=2, nodes=nodes, mode=mode).up() as lab:
        # The checker must see a fresh lab as untrusted, or its verdict after the run says nothing.
        if len(trust_problems(lab)) != len(lab.hosts) + 4:
            raise CompareFailure("the fresh lab already passes some trust checks: %s" % trust_problems(lab))
        floor, _floor_cpu, _floor_result = timed(lab, PING, forks, timeout=timeout)
        first, first_cpu, _first_result = timed(lab, playbook, forks, extra_vars, timeout)
        problems = trust_problems(lab)
        if problems:
            raise CompareFailure("the %s did not build the trust on %d nodes:\n  %s"
                                 % (side, len(lab.hosts), "\n  ".join(problems)))
        state = conf_state(lab)
        rerun, rerun_cpu, result = timed(lab, playbook, forks, extra_vars, timeout)
        if changed_hosts(result) or conf_state(lab) != state:
            raise CompareFailure("the %s's re-run changed %s" % (side, changed_hosts(result) or "a conf/ file"))
        modules = modules_per_node(result)
        return dict(side=side, nodes=2 * nodes, floor=round(floor, 2), first=round(first, 2),
                    rerun=round(rerun, 2), first_cpu=round(first_cpu, 2), rerun_cpu=round(rerun_cpu, 2),
                    modules_typical=sorted(modules.values())[(len(modules) - 1) // 2] if modules else 0,
                    modules_busiest=max(modules.values()) if modules else 0,
                    modules_by_host=dict(sorted(modules.items())),
                    tasks_per_host=max(_tasks_per_host(result).values() or [0]))


def _tasks_per_host(result):
    counts = {}
    for record in result.results:
        counts[record["host"]] = counts.get(record["host"], 0) + 1
    return counts


def compare(directory, sizes, forks=25, mode="ssh", say=print):
    """Both sides at every size; the rows of the report, with the ratios the issue sets targets for."""
    ensure_community_general(say)
    rows = []
    for nodes in sizes:
        pair = {}
        for side in ("baseline", "collection"):
            say("  compare: %s on 2 x %d nodes ..." % (side, nodes))
            pair[side] = measure_side(os.path.join(directory, "%s-%d" % (side, nodes)), nodes, side, forks, mode)
        base, ours = pair["baseline"], pair["collection"]
        rows.append(dict(nodes_per_cluster=nodes, baseline=base, collection=ours,
                         first_ratio=round(base["first"] / ours["first"], 2),
                         rerun_ratio=round(base["rerun"] / ours["rerun"], 2),
                         rerun_cpu_ratio=round(ours["rerun_cpu"] / base["rerun_cpu"], 2),
                         rerun_over_floor=round(ours["rerun"] / ours["floor"], 2)))
    return rows


def markdown(rows, machine):
    lines = [SECTION, "",
             "`make bench` (`tests/bench_compare.py`): 2 clusters x N nodes on the ssh-mode lab, forks 25, "
             "pipelining, type all; each side on a fresh lab. The baseline is `tests/baseline/crosscluster.yml`, "
             "the playbook administrators write with public modules; both are checked to build the trust and "
             "to re-run with no change. Machine: %d CPUs, load average %s before." % (
                 machine["nproc"], "/".join("%.2f" % x for x in machine["loadavg"])), "",
             "| N | first run: baseline / collection | re-run: baseline / collection | re-run CPU: collection / "
             "baseline | re-run / ping floor | re-run module executions (typical / busiest) | tasks per host |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        base, ours = row["baseline"], row["collection"]
        lines.append("| %d | %.1f s / %.1f s = %.2fx | %.1f s / %.1f s = %.2fx | %.1f s / %.1f s = %.2f | "
                     "%.1f s / %.1f s = %.2f | %d / %d (baseline %d / %d) | %d (baseline %d) |" % (
                         row["nodes_per_cluster"], base["first"], ours["first"], row["first_ratio"],
                         base["rerun"], ours["rerun"], row["rerun_ratio"], ours["rerun_cpu"], base["rerun_cpu"],
                         row["rerun_cpu_ratio"], ours["rerun"], ours["floor"], row["rerun_over_floor"],
                         ours["modules_typical"], ours["modules_busiest"], base["modules_typical"],
                         base["modules_busiest"], ours["tasks_per_host"], base["tasks_per_host"]))
    if len(rows) > 1:
        lines += ["", "Re-run, largest / smallest N: %.2f (collection), %.2f (baseline)." % (
            rows[-1]["collection"]["rerun"] / rows[0]["collection"]["rerun"],
            rows[-1]["baseline"]["rerun"] / rows[0]["baseline"]["rerun"])]
    return "\n".join(lines) + "\n"
