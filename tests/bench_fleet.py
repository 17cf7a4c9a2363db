"""`make bench --fleet`: the controller's side of a large fleet, in pure Python (no Ansible run).

Builds synthetic gather results for N clusters x M nodes in the shape the preflight role registers
(``security_facts``: facts, conf lines, the truststores' entries, the own CA chain; on CLDB nodes
the tickets ``maprlogin print`` shows) and a mesh of every cluster, then runs what the roles run on
the controller over it: the topology, the gate (preflight_report), the user and server plans, the
summary and the drift report. A user meets two parts apart, each in its own ansible-playbook process:
the main playbook's (topology to summary) and the report playbook's (the drift report and its
Markdown). Wall time per stage and per part, the inputs' own size, each part's tracemalloc peak and
the process's ru_maxrss are measured against the goal (``GOAL_SECONDS``, ``GOAL_MIB`` per part);
nothing about time is asserted anywhere.

Every call into the collection goes through ``run_stages``, the one adapter between the benchmark
and the collection's entry points: when those change, only it changes.

Two states: ``first`` (each node holds only its own line and CA: the plans have work everywhere)
and ``converged`` (each node holds every peer's line, CA and ticket: a re-run or a clean report).
"""

import contextlib
import copy
import datetime
import gc
import os
import resource
import sys
import time
import tracemalloc

# The report's "now": the real time, since the CAs are real ones made valid from a few minutes ago
# (a fixed date before that would make every CA not valid yet, which the report names as drift).
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
HOME = "/opt/mapr"
CROSSCLUSTER_USER = "mapr"
CLDBS_PER_CLUSTER = 3
STORES = ("ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem")
SECTION = "## Controller cost of a large fleet"
STATES = ("first", "converged")
# The two parts a user meets apart, each a playbook of its own (its own process), and their stages in order.
PARTS = (("main", ("topology", "gate", "user_plan", "server_plan", "summary")),
         ("report", ("drift_report", "drift_markdown")))
PART_NAMES = {"main": "main playbook", "report": "report playbook"}
STAGES = tuple(stage for _part, stages in PARTS for stage in stages)
PART_OF = dict((stage, part) for part, stages in PARTS for stage in stages)
# Each part's goal at 16 x 1,000 nodes, on the controller (its memory with the inputs it reads).
GOAL_SECONDS, GOAL_MIB = 5.0, 1024
INTEGRATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration")


def _collection():
    """The filters and module_utils, importable through the link tests/conftest.py makes."""
    import conftest  # noqa: F401  (links the worktree as the collection)

    from ansible_collections.datafabric.crosscluster.plugins.filter import report, trust
    from ansible_collections.datafabric.crosscluster.plugins.module_utils import _preflight, _truststore
    return trust, report, _preflight, _truststore


def group_name(index):
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return "cluster_" + letters


def _cluster_cas(clusters):
    """One real CA per cluster, described as security_facts describes a truststore entry."""
    if INTEGRATION not in sys.path:
        sys.path.insert(0, INTEGRATION)
    from stores import Ca

    _trust, _report, _preflight, truststore = _collection()
    cas = []
    for index in range(clusters):
        ca = Ca("CA of %s" % group_name(index), days=3650)
        cas.append(truststore.Certificate.from_x509(ca.cert).describe(with_pem=True))
    return cas


def _ticket(cluster):
    expires = NOW + datetime.timedelta(days=365)
    return dict(cluster=cluster, user=CROSSCLUSTER_USER, created=NOW.isoformat(), expires=expires.isoformat(),
                renewal_till=expires.isoformat(), uid=5000, gids=[5000], can_impersonate=False)


def build_fleet(clusters, nodes, state="first", cldbs=CLDBS_PER_CLUSTER):
    """``dict(trusts, groups, hostvars, play_hosts)`` for a mesh of ``clusters`` x ``nodes``.

    Each host's variables are what the roles leave in hostvars before the plans run: the inventory's
    (mapr_cluster_name, the truststore password variable), the registered gather result, its
    ``ansible_facts``, and on CLDB nodes the tickets read (``__server_trust_held`` / ``__report_held``).
    Every host gets its own copy, as Ansible's hostvars hold one per host.

    Not heavier than a real gather: each host's facts are one deep copy (dicts and lists of its own,
    as the JSON of its result gives it), but the strings are shared between hosts where the JSON would
    give each its own, and one result stands for both the preflight and the report read (two
    playbooks, so never both in one process). The inputs' size is measured apart (``measure``).
    """
    if state not in STATES:
        raise ValueError("state is one of %s" % ", ".join(STATES))
    _trust, _report, preflight, _truststore = _collection()
    cas = _cluster_cas(clusters)
    names = [group_name(i) for i in range(clusters)]
    domains = ["%s.example.com" % name.split("_", 1)[1] for name in names]
    lines = ["%s secure=true %s" % (domain, " ".join("cldb%d.%s:7222" % (c, domain) for c in range(1, cldbs + 1)))
             for domain in domains]
    trusts = [{"mesh": list(names), "type": "all"}]
    groups = {"all": [], "ungrouped": []}
    hostvars = {}
    for index, group in enumerate(names):
        hosts = ["%s%04d" % (group.split("_", 1)[1], n) for n in range(1, nodes + 1)]
        groups[group], groups[group + "_cldb"] = hosts, hosts[:cldbs]
        groups["all"].extend(hosts)
        peers = [i for i in range(clusters) if i != index] if state == "converged" else []
        entries = [dict(cas[i], alias=preflight.trust_alias(domains[i], cas[i]["sha256"]), type="trusted")
                   for i in [index] + peers]
        for entry in entries:
            entry.pop("pem")
        template = dict(
            mapr_home=HOME, cluster_name=domains[index], conf_line=lines[index], secure=True, kerberos_enable=False,
            cldb_principal=None, cldb_https_port=7443, cldb_hosts=lines[index].split()[2:],
            clusters=[domains[i] for i in [index] + peers], conf_lines=[lines[i] for i in [index] + peers],
            conf_sha256="0" * 64, owner="mapr", group="mapr", fips=False, fips_reasons=[], version="7.8.0.0",
            stores=dict((name, dict(exists=True, format="pkcs12" if name.endswith("p12") else
                                    ("pem" if name.endswith("pem") else "jks"))) for name in STORES),
            maprlogin=HOME + "/bin/maprlogin",
            server_ticket=dict(path=HOME + "/conf/maprserverticket", exists=True, mode="0600", owner="mapr",
                               group="mapr", cluster=domains[index], error=None),
            users={CROSSCLUSTER_USER: True}, secret_tasks_refused=[], foreign_facts=[],
            truststores=dict((name, dict(exists=True, sha256="1" * 64, store_type="jks", entries=entries,
                                         error=None)) for name in STORES),
            own_ca=dict(certificates=[cas[index]], error=None),
            truststore_password_source="the inventory",
        )
        held = dict(changed=False, keyfile=HOME + "/conf/maprserverticket",
                    tickets=[_ticket(domains[index])] + [_ticket(domains[i]) for i in peers])
        for number, host in enumerate(hosts):
            facts = copy.deepcopy(dict(template, is_cldb=number < cldbs))
            gathered = {"changed": False, "ansible_facts": {"mapr_security": facts}}
            variables = dict(inventory_hostname=host, group_names=[group] + ([group + "_cldb"] if number < cldbs
                                                                             else []),
                             mapr_cluster_name=domains[index], mapr_truststore_password="s3cret-not-used",
                             mapr_crosscluster_user=CROSSCLUSTER_USER, ansible_facts={"mapr_security": facts},
                             __preflight_gathered=gathered, __report_gathered=gathered,
                             __server_trust_user=CROSSCLUSTER_USER, __report_user=CROSSCLUSTER_USER)
            if number < cldbs:
                variables["__server_trust_held"] = variables["__report_held"] = copy.deepcopy(held)
            hostvars[host] = variables
    return dict(trusts=trusts, groups=groups, hostvars=hostvars, play_hosts=list(groups["all"]))


def run_stages(fleet, timer=None):
    """The adapter: what the roles run on the controller, in their order, each timed by ``timer(stage)``
    (a context manager, or None). Returns every stage's result by name."""
    trust, report, _preflight, _truststore = _collection()
    timer = timer or contextlib.nullcontext
    trusts, groups, hostvars, play_hosts = (fleet[key] for key in ("trusts", "groups", "hostvars", "play_hosts"))
    results = {}

    def read(name):
        # What the roles hand the filters, per host (by_host), timed with the stage that reads it.
        return trust.by_host(play_hosts, hostvars, name)

    with timer("topology"):
        results["topology"] = trust.trust_topology(trusts, groups, play_hosts, "_cldb",
                                                   read("ansible_facts.mapr_security"))
    with timer("gate"):
        results["gate"] = trust.preflight_report(
            trusts, hostvars, groups, play_hosts,
            {"user": ["mapr_truststore_password"], "server": ["mapr_crosscluster_user"]}, "_cldb", 30, True,
            gathered=read("__preflight_gathered"), reach=read("__preflight_reach"))
    with timer("user_plan"):
        results["user_plan"] = trust.user_trust_plan(trusts, groups, play_hosts, read("ansible_facts.mapr_security"),
                                                     hostvars)
    with timer("server_plan"):
        results["server_plan"] = trust.server_trust_plan(
            trusts, groups, play_hosts, read("ansible_facts.mapr_security"), read("__server_trust_held"),
            read("__server_trust_user"), "7d", "_cldb", hostvars=hostvars)
    with timer("summary"):
        results["summary"] = trust.trust_summary(trusts, hostvars, groups, play_hosts,
                                                 changed=dict((h, []) for h in play_hosts),
                                                 facts=read("ansible_facts.mapr_security"),
                                                 user_plan=results["user_plan"], server_plan=results["server_plan"])
    with timer("drift_report"):
        results["drift_report"] = report.drift_report(
            trusts, hostvars, groups, play_hosts, 30, "7d", "_cldb", now=NOW.isoformat(),
            gathered=read("__report_gathered"), held=read("__report_held"), kdc=read("__report_kdc"),
            user=read("__report_user"))
    with timer("drift_markdown"):
        results["drift_markdown"] = report.drift_markdown(results["drift_report"])
    return results


class StageTimes(dict):
    """Stage -> wall seconds, and in ``cpu`` the process's CPU seconds; ``timer`` is run_stages' timer.
    On a machine shared with other work the wall seconds grow with its load; the CPU seconds much less."""

    def __init__(self):
        super().__init__()
        self.cpu = {}

    @contextlib.contextmanager
    def timer(self, stage):
        started, cpu = time.perf_counter(), time.process_time()
        yield
        self[stage] = round(time.perf_counter() - started, 3)
        self.cpu[stage] = round(time.process_time() - cpu, 3)


class PartPeaks(dict):
    """Part -> its tracemalloc peak (bytes) above what was held when it began; ``timer`` is run_stages'
    timer, under tracemalloc. The report part runs after the main one here, but in a process of its
    own in a real run: the main part's results, still held, are not counted against it."""

    def __init__(self):
        super().__init__()
        self._part, self._base = None, 0

    @contextlib.contextmanager
    def timer(self, stage):
        part = PART_OF[stage]
        if part != self._part:
            self._part = part
            tracemalloc.reset_peak()
            self._base = tracemalloc.get_traced_memory()[0]
        yield
        self[part] = max(self.get(part, 0), tracemalloc.get_traced_memory()[1] - self._base)


def _mib(size):
    return round(size / 2 ** 20, 2)


def measure(clusters, nodes, states=STATES, profile=None):
    """Figures of one size, per state: seconds per stage and per part (``PARTS``), the inputs' size
    (tracemalloc of the build), each part's tracemalloc peak, and ru_maxrss (the process's peak so far,
    read after the untraced runs of this size). With ``profile`` a path prefix, a cProfile of each
    state is written there."""
    figures = dict(clusters=clusters, nodes_per_cluster=nodes, nodes=clusters * nodes, states={})
    # Timed first, every state, then traced: tracemalloc slows every allocation and its own tables
    # weigh on ru_maxrss, so neither seconds nor ru_maxrss are ever read with it on.
    for state in states:
        started = time.perf_counter()
        fleet = build_fleet(clusters, nodes, state)
        build_seconds = time.perf_counter() - started
        gc.collect()
        seconds = StageTimes()
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        results = run_stages(fleet, seconds.timer)
        if profile:
            profiler.disable()
            profiler.dump_stats("%s-%s.prof" % (profile, state))
        figures["states"][state] = dict(
            build_seconds=round(build_seconds, 2), seconds=dict(seconds), total_seconds=round(sum(seconds.values()), 3),
            part_seconds=dict((part, round(sum(seconds[s] for s in stages), 3)) for part, stages in PARTS),
            part_cpu_seconds=dict((part, round(sum(seconds.cpu[s] for s in stages), 3)) for part, stages in PARTS),
            problems=len(results["gate"]["problems"]), report_status=results["drift_report"]["status"])
        del fleet, results
        gc.collect()
    rss = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    for state in states:
        tracemalloc.start()
        fleet = build_fleet(clusters, nodes, state)
        inputs = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        gc.collect()
        peaks = PartPeaks()
        tracemalloc.start()
        results = run_stages(fleet, peaks.timer)
        tracemalloc.stop()
        row = figures["states"][state]
        row.update(inputs_mib=_mib(inputs), part_peak_mib=dict((part, _mib(peak)) for part, peak in peaks.items()),
                   ru_maxrss_mib=rss)
        # A part's memory is its own peak with the inputs it reads (the hostvars), which the controller holds.
        row["goal_met"] = dict((part, row["part_seconds"][part] < GOAL_SECONDS
                                and row["inputs_mib"] + row["part_peak_mib"][part] < GOAL_MIB) for part, _s in PARTS)
        del fleet, results
        gc.collect()
    return figures


def _goal(figures, part):
    return "%s %s (%.2f s, %.2f s of CPU; %.0f + %.0f MiB)" % (
        PART_NAMES[part], "met" if figures["goal_met"][part] else "NOT met", figures["part_seconds"][part],
        figures["part_cpu_seconds"][part], figures["inputs_mib"], figures["part_peak_mib"][part])


def markdown(rows, machine):
    """The section of docs/performance.md for the pure-Python rows."""
    out = [SECTION, "",
           "`make bench BENCH_ARGS=\"--fleet 16x1000\"` (tests/bench_fleet.py): synthetic gather results for a "
           "mesh of every cluster, then what the roles run on the controller, called as the roles call them (no "
           "Ansible run), in the two parts a user meets apart: the main playbook's (the topology, the preflight "
           "gate, the user and server plans, the summary) and the report playbook's (the drift report and its "
           "Markdown), in wall seconds (the goal's) and, after the table, the process's CPU seconds too (which "
           "other work on the machine inflates much less). `first`: each node holds only its own line, CA and "
           "ticket (the plans have work on every node); `converged`: each holds every peer's (a re-run, a clean "
           "report). Memory: the inputs (the synthetic hostvars, measured as they are built), each part's "
           "tracemalloc peak above what was held when it began (the inputs not counted), and the process's "
           "ru_maxrss after the untraced runs of the size (everything counted). Goal, for each part at 16 x "
           "1000: under %.0f s, and under %d MiB with "
           "the inputs." % (GOAL_SECONDS, GOAL_MIB), "",
           "Machine: %d CPUs (nproc), Python %s; load average (1/5/15 min) %s before%s." % (
               machine["nproc"], machine["python"], "/".join("%.2f" % v for v in machine["loadavg"]),
               " (above nproc: other work shared the machine, so the seconds are inflated)"
               if machine["loadavg"][0] > machine["nproc"] else ""), "",
           "| clusters x nodes | state | " + " | ".join(
               " | ".join(stages) + " | **%s**" % PART_NAMES[part] for part, stages in PARTS)
           + " | inputs | main peak | report peak | ru_maxrss |",
           "| --- | --- | " + " | ".join("---" for _column in STAGES + tuple(PARTS)) + " | --- | --- | --- | --- |"]
    for row in rows:
        for state, figures in row["states"].items():
            out.append("| %d x %d | %s | %s | %.0f MiB | %s | %.0f MiB |" % (
                row["clusters"], row["nodes_per_cluster"], state,
                " | ".join(" | ".join("%.2f s" % figures["seconds"][stage] for stage in stages)
                           + " | **%.2f s**" % figures["part_seconds"][part] for part, stages in PARTS),
                figures["inputs_mib"], " | ".join("%.0f MiB" % figures["part_peak_mib"][part] for part, _s in PARTS),
                figures["ru_maxrss_mib"]))
    large = rows[-1]
    out += ["", "Goal at %d x %d: %s." % (large["clusters"], large["nodes_per_cluster"], "; ".join(
        "%s: %s" % (state, ", ".join(_goal(figures, part) for part, _s in PARTS))
        for state, figures in large["states"].items()))]
    if len(rows) > 1:
        small = rows[0]
        out += ["", "Growth from %d to %d nodes (x%.1f): %s." % (
            small["nodes"], large["nodes"], large["nodes"] / small["nodes"],
            "; ".join("%s %s" % (state, ", ".join(
                "%s %.1fx" % (PART_NAMES[part], large["states"][state]["part_seconds"][part]
                              / max(small["states"][state]["part_seconds"][part], 0.001)) for part, _s in PARTS))
                      for state in small["states"]))]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ the lab run


LAB_SECTION = "## Controller CPU per node on a local-mode fleet"


class FleetFailure(Exception):
    """A lab run of the fleet did not do what it must (never a timing)."""


def measure_lab(directory, sizes, mode="local", forks=None, timeout=7200):
    """The main playbook over a mesh of every cluster on a lab of each size ``(clusters, nodes)``: wall
    seconds and controller CPU seconds (ansible-playbook and its children) of the first run and of a
    re-run, per node. Verification is off (all_trust_verify: false): its logins cost the lab, not the
    controller. In local mode the modules run as the controller's children, so their CPU counts too."""
    if INTEGRATION not in sys.path:
        sys.path.insert(0, INTEGRATION)
    from ansible_run import run_playbook
    from lab.labkit import Lab
    from labplay import PLAYBOOK, changed_hosts, conf_state

    rows = []
    for clusters, nodes in sizes:
        with Lab(os.path.join(directory, "%dx%d" % (clusters, nodes)), clusters=clusters, nodes=nodes,
                 mode=mode).up() as lab:
            extra_vars = {"crosscluster_trusts": [{"mesh": [c.group for c in lab.clusters], "type": "all"}],
                          "all_trust_verify": False}
            runs = {}
            for label in ("first", "rerun"):
                if label == "rerun":
                    state = conf_state(lab)
                before, started = os.times(), time.monotonic()
                result = run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None, extra_vars=extra_vars,
                                      extra_args=["--forks", str(forks)] if forks else None, timeout=timeout)
                seconds, after = time.monotonic() - started, os.times()
                if result.rc != 0:
                    raise FleetFailure("the %s run of %d x %d failed (rc %s):\n%s" % (
                        label, clusters, nodes, result.rc, result.output[-4000:]))
                cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
                runs[label] = dict(seconds=round(seconds, 2), cpu_seconds=round(cpu, 2),
                                   cpu_ms_per_node=round(1000 * cpu / len(lab.hosts), 1))
            if changed_hosts(result) or conf_state(lab) != state:
                raise FleetFailure("the re-run of %d x %d changed %s" % (clusters, nodes,
                                                                         changed_hosts(result) or "a conf/ file"))
            rows.append(dict(clusters=clusters, nodes_per_cluster=nodes, nodes=len(lab.hosts), mode=mode, **runs))
    return rows


def lab_growth(rows):
    """Per run, CPU per node of the largest size over the smallest: 1.0 is linear in the nodes."""
    if len(rows) < 2:
        return {}
    small, large = rows[0], rows[-1]
    return dict((label, round(large[label]["cpu_ms_per_node"] / max(small[label]["cpu_ms_per_node"], 0.1), 2))
                for label in ("first", "rerun"))


def lab_markdown(rows, machine):
    growth = lab_growth(rows)
    out = [LAB_SECTION, "",
           "`make bench BENCH_ARGS=\"--fleet-lab %s\"` (tests/bench_fleet.py): the main playbook over a "
           "mesh of every cluster on a %s-mode lab, verification off, then a re-run that must change nothing; "
           "the CPU seconds of ansible-playbook and its children (in local mode the modules are its children, so "
           "their CPU counts too) per node. Machine: %d CPUs (nproc), load average %s before." % (
               ",".join("%dx%d" % (row["clusters"], row["nodes_per_cluster"]) for row in rows), rows[0]["mode"],
               machine["nproc"], "/".join("%.2f" % v for v in machine["loadavg"])), "",
           "| clusters x nodes | first run | first run CPU per node | re-run | re-run CPU per node |",
           "| --- | --- | --- | --- | --- |"]
    for row in rows:
        out.append("| %d x %d | %.1f s | %.0f ms | %.1f s | %.0f ms |" % (
            row["clusters"], row["nodes_per_cluster"], row["first"]["seconds"], row["first"]["cpu_ms_per_node"],
            row["rerun"]["seconds"], row["rerun"]["cpu_ms_per_node"]))
    if growth:
        out += ["", "CPU per node, largest / smallest size (1.0 is linear in the nodes): first run %.2f, re-run %.2f."
                % (growth["first"], growth["rerun"])]
    return "\n".join(out) + "\n"


def parse_size(text):
    """"16x1000" -> (16, 1000)."""
    clusters, _sep, nodes = text.lower().partition("x")
    return int(clusters), int(nodes)


if __name__ == "__main__":
    import json
    for size in sys.argv[1:] or ["16x250"]:
        print(json.dumps(measure(*parse_size(size)), indent=1))
