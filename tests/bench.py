"""`make bench`: the main playbook against the playbook administrators write today, and a 16-cluster mesh.

``--fleet 16x250,16x1000`` and ``--fleet-lab 16x10,16x30`` (tests/bench_fleet.py): the controller's
planning of a large fleet in pure Python, and its CPU per node on local-mode labs of two sizes.

Absolute seconds depend on the machine and its load, so the report leads with ratios measured in
the same run. The side-by-side runs (``--compare 3,10,25``, tests/bench_compare.py) time the
collection and ``tests/baseline/crosscluster.yml`` on 2 clusters of N nodes each and report the
ratios, the controller CPU, the ping floor and the module executions per node of a re-run (a count
that does not depend on the machine at all).

``--jks 200`` imports one certificate into a JKS of 200 entries with ``keytool -importcert`` and
with the collection (tests/bench_jks.py), and reads every result back with keytool.

The mesh scenario (``--mesh 16``, in the default run) builds 16 clusters of 2 nodes on the
ssh-mode lab, runs the main playbook once with ``crosscluster_trusts: [{mesh: [every group],
type: all}]`` (verification on), checks the result independently of the collection (every node's
mapr-clusters.conf lines, its trust stores read back by the JVM's keytool, every CLDB node's
tickets), then runs the playbook again, which must change nothing. It fails loudly when any of
that does not hold, or when a node's truststore, mapr-clusters.conf or maprserverticket took more
than one module call on the first run. Its figures go to ``<dir>/mesh.json`` and to the
"16-cluster mesh" section of docs/performance.md; ``tests/integration/test_bench_smoke.py`` runs
a tiny mesh through the same functions in ``make test``.
"""

import argparse
import collections
import concurrent.futures
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))

from ansible_run import run_playbook  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from lab.labkit import Lab, ssh_mode_unavailable  # noqa: E402
from lab.labkit.node.mapr_node import parse_clusters_conf, read_ticket_lines, split_blob  # noqa: E402
from labplay import PLAYBOOK, changed_hosts, conf_state  # noqa: E402

# Tasks that run no module on the node: they cost controller time only.
CONTROLLER_ONLY = {"ansible.builtin.set_fact", "ansible.builtin.debug", "ansible.builtin.fail",
                   "ansible.builtin.include_role", "ansible.builtin.include_tasks",
                   "ansible.builtin.validate_argument_spec", "ansible.builtin.assert",
                   "ansible.builtin.add_host", "ansible.builtin.group_by", "ansible.builtin.meta",
                   "datafabric.crosscluster.deprecated_vars"}

# The modules that edit the files trust lives in: one call per node each, at most (peer_trust writes
# the truststores and mapr-clusters.conf, crossclusterticket_merge maprserverticket).
FILE_MODULES = ("peer_trust", "crossclusterticket_merge")
# The verify role's checks, by the start of their task names.
VERIFY_LOGIN = "datafabric.crosscluster.verify : Log in to the peer cluster"
VERIFY_SERVER = "datafabric.crosscluster.verify : Check server trust with a call to each peer"
MESH_SECTION = "## 16-cluster mesh"
PERFORMANCE_MD = os.path.join(ROOT, "docs", "performance.md")


def timed_run(lab, check=False):
    trusts = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]}
    started = time.monotonic()
    result = run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None, extra_vars=trusts,
                          check=check).expect_ok()
    return time.monotonic() - started, result


def _items(record):
    """The module executions of one task result: its loop items not skipped, or itself."""
    return [item for item in record["result"].get("results") or [record["result"]] if not item.get("skipped")]


def modules_per_node(result):
    """Module executions per host: results not skipped, of actions that reach the node."""
    count = collections.Counter()
    for record in result.results:
        if record["status"] == "skipped" or record["action"] in CONTROLLER_ONLY:
            continue
        count[record["host"]] += len(_items(record))
    return count


# ---------------------------------------------------------------------------------------- mesh


class BenchFailure(Exception):
    """Something the mesh scenario promises did not hold (never a timing)."""


def _require(condition, message):
    if not condition:
        raise BenchFailure(message)


def machine_facts():
    return dict(nproc=len(os.sched_getaffinity(0)), cpu_count=os.cpu_count(), loadavg=list(os.getloadavg()),
                python=platform.python_version(), kernel=platform.release(), ansible_core=_ansible_version())


def _ansible_version():
    from ansible.release import __version__
    return __version__


class LoadSampler:
    """The 1-minute load average every few seconds while a run goes on: how much else shared the machine."""

    def __init__(self, every=5.0):
        self.every, self.samples = every, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def summary(self):
        return dict(mean=round(sum(self.samples) / len(self.samples), 2), max=round(max(self.samples), 2))


def mesh_trusts(lab):
    return {"crosscluster_trusts": [{"mesh": [cluster.group for cluster in lab.clusters], "type": "all"}]}


def run_mesh(lab, label, log_dir, forks=None, timeout=3600):
    """One run of the main playbook over the whole mesh: (seconds, Result); a failed run raises,
    with everything about it in <log_dir>/mesh-<label>-failure.txt."""
    extra_args = ["--forks", str(forks)] if forks else None
    os.makedirs(log_dir, exist_ok=True)
    times = os.path.join(log_dir, "mesh-%s-task-times.jsonl" % label)
    if os.path.exists(times):
        os.unlink(times)
    env = {"ANSIBLE_CALLBACKS_ENABLED": "record_results,task_times", "DATAFABRIC_TASK_TIMES": times}
    started = time.monotonic()
    with LoadSampler() as load:
        result = run_playbook(PLAYBOOK, inventory=lab.inventory_path, connection=None,
                              extra_vars=mesh_trusts(lab), extra_args=extra_args, env=env, timeout=timeout)
    seconds = time.monotonic() - started
    result.phases = dict(phase_times(times), load=load.summary())
    if result.rc != 0:
        path = os.path.join(log_dir, "mesh-%s-failure.txt" % label)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(result.describe())
        failed = sorted(set("%s: %s" % (r["host"], r["task"]) for r in result.results if r["status"] == "failed"))
        raise BenchFailure("the mesh %s failed after %.0f s (rc %s); failed tasks: %s\n--- last output\n%s\n"
                           "(the whole run: %s)" % (label, seconds, result.rc, failed[:20] or "none",
                                                    "\n".join(result.output.splitlines()[-30:]), path))
    return seconds, result


def phase_times(path, slowest=6):
    """Where a run's time went, from the task_times callback: seconds per role and the slowest tasks."""
    try:
        with open(path, encoding="utf-8") as handle:
            events = [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return {}
    roles, tasks = collections.Counter(), collections.Counter()
    for event, following in zip(events, events[1:]):
        if event["event"] != "task":
            continue
        seconds = following["time"] - event["time"]
        role = event["task"].split(" : ")[0] if " : " in event["task"] else (event["role"] or "playbook")
        roles[role.rsplit(".", 1)[-1]] += seconds
        tasks[event["task"]] += seconds
    return dict(roles={role: round(secs, 1) for role, secs in roles.most_common()},
                slowest=[[task, round(secs, 1)] for task, secs in tasks.most_common(slowest)])


RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(result):
    """host -> {ok, changed, unreachable, failed} from the PLAY RECAP."""
    return {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), unreachable=int(m.group(4)),
                             failed=int(m.group(5)))
            for m in RECAP.finditer(result.stdout)}


def file_module_calls(result):
    """host -> {module: executions} for the three file modules (loop items count one each)."""
    calls = collections.defaultdict(lambda: dict.fromkeys(FILE_MODULES, 0))
    for record in result.results:
        module = record["action"].rsplit(".", 1)[-1]
        if module in FILE_MODULES and record["status"] != "skipped":
            calls[record["host"]][module] += len(_items(record))
    return calls


def repeated_file_calls(calls):
    """{host: {module: executions}} of the file modules that ran more than once on a node."""
    over = {host: {m: n for m, n in c.items() if n > 1} for host, c in sorted(calls.items())}
    return {host: c for host, c in over.items() if c}


def rerun_problems(summary, changed, hosts, before, after):
    """Why a re-run was not a no-op: ``summary`` its recap, ``changed`` the hosts with a changed
    task, ``before``/``after`` conf_state() around it. Empty when it changed nothing anywhere."""
    problems = []
    if sorted(summary) != sorted(hosts):
        problems.append("the recap names %s, not the lab's hosts %s" % (sorted(summary), sorted(hosts)))
    for host, counts in sorted(summary.items()):
        if counts["changed"] or counts["failed"] or counts["unreachable"]:
            problems.append("%s: changed=%d unreachable=%d failed=%d" % (
                host, counts["changed"], counts["unreachable"], counts["failed"]))
    if changed:
        problems.append("tasks reported a change on %s" % ", ".join(changed))
    differ = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    if differ:
        problems.append("files changed: %s" % ", ".join(differ))
    return problems


def verify_checks(result):
    """(logins, server calls) the verify role made, and the ones that failed."""
    counts = collections.Counter()
    for record in result.results:
        for name, key in ((VERIFY_LOGIN, "logins"), (VERIFY_SERVER, "server_calls")):
            if record["task"].startswith(name) and record["status"] != "skipped":
                for item in _items(record):
                    counts[key] += 1
                    if item.get("failed") or record["status"] == "failed":
                        counts[key + "_failed"] += 1
    return counts


def _sha256(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


def keytool_certificates(store, store_type, password):
    """alias -> SHA-256 of every certificate in ``store``, as the JVM's keytool reads it."""
    env = dict(os.environ, BENCH_STORE_PASSWORD=password)
    run = subprocess.run(["keytool", "-list", "-rfc", "-keystore", store, "-storetype", store_type,
                          "-storepass:env", "BENCH_STORE_PASSWORD"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    if run.returncode != 0:
        raise BenchFailure("keytool -list %s failed: %s" % (store, (run.stdout + run.stderr).strip()))
    aliases = re.findall(r"^Alias name: (.+)$", run.stdout, re.M)
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", run.stdout, re.S)
    count = re.search(r"Your keystore contains (\d+) entr", run.stdout)
    if count is None or not int(count.group(1)) == len(aliases) == len(pems):
        raise BenchFailure("unexpected keytool output for %s:\n%s" % (store, run.stdout))
    return {alias: _sha256(x509.load_pem_x509_certificate(pem.encode())) for alias, pem in zip(aliases, pems)}


def check_mesh(lab, workers=None):
    """Every node, read back without the collection: [problems] and what was counted.

    mapr-clusters.conf: its own line first, then each of the other clusters' first line exactly
    once. ssl_truststore (JKS) and ssl_truststore.p12 through keytool, ssl_truststore.pem parsed:
    its own CA and every peer's CA, nothing else. maprserverticket on CLDB nodes: its own server
    ticket first, then one crosscluster ticket of each peer.
    """
    problems, counted = [], collections.Counter()
    cas = {}
    own_lines = {}
    for cluster in lab.clusters:
        with open(cluster.ca_pem, "rb") as handle:
            cas[cluster.name] = _sha256(x509.load_pem_x509_certificate(handle.read()))
        with open(lab.node_path(cluster.hosts[0], "conf/mapr-clusters.conf"), encoding="utf-8") as handle:
            own_lines[cluster.name] = parse_clusters_conf(handle.read())[0]
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or len(os.sched_getaffinity(0))) as pool:
        for host in lab.hosts:
            password = lab.cluster_of(host).store_password
            for name, kind in (("ssl_truststore", "JKS"), ("ssl_truststore.p12", "PKCS12")):
                jobs[(host, name)] = pool.submit(keytool_certificates, lab.node_path(host, "conf/" + name), kind,
                                                 password)
        for host, info in lab.hosts.items():
            cluster = lab.cluster_of(host)
            peers = sorted(c.name for c in lab.clusters if c is not cluster)
            with open(lab.node_path(host, "conf/mapr-clusters.conf"), encoding="utf-8") as handle:
                entries = parse_clusters_conf(handle.read())
            names = [entry.name for entry in entries]
            if names[:1] != [cluster.name] or sorted(names[1:]) != peers:
                problems.append("%s: mapr-clusters.conf names %s, wanted %s then %s" % (host, names, cluster.name,
                                                                                        peers))
            for entry in entries[1:]:
                own = own_lines.get(entry.name)
                if own is None or vars(entry) != vars(own):
                    problems.append("%s: the line of %s is %s, its own is %s" % (
                        host, entry.name, vars(entry), own and vars(own)))
            counted["peer_lines"] += len(entries) - 1
            wanted = sorted([cas[cluster.name]] + [cas[p] for p in peers])
            stores = {name: jobs[(host, name)].result() for name in ("ssl_truststore", "ssl_truststore.p12")}
            with open(lab.node_path(host, "conf/ssl_truststore.pem"), "rb") as handle:
                pem = {str(n): _sha256(c) for n, c in enumerate(x509.load_pem_x509_certificates(handle.read()))}
            stores["ssl_truststore.pem"] = pem
            for name, held in stores.items():
                if sorted(held.values()) != wanted:
                    missing = [p for p in peers if cas[p] not in held.values()]
                    problems.append("%s: %s holds %d certificates (wanted its own CA and %d peer CAs); missing: %s"
                                    % (host, name, len(held), len(peers), missing))
                counted["peer_cas_" + name] += sum(1 for p in peers if cas[p] in held.values())
            if info.cldb:
                lines = read_ticket_lines(lab.node_path(host, "conf/maprserverticket"))
                held = [name for name, _line in lines]
                if held[:1] != [cluster.name] or sorted(held[1:]) != peers:
                    problems.append("%s: maprserverticket holds tickets of %s, wanted %s then %s"
                                    % (host, held, cluster.name, peers))
                for name, blob in lines[1:]:
                    claims = split_blob(blob)[0]
                    if claims.get("cluster") != name or claims.get("type") != "crosscluster":
                        problems.append("%s: the ticket line of %s is a %s ticket of %s"
                                        % (host, name, claims.get("type"), claims.get("cluster")))
                counted["peer_tickets"] += len(lines) - 1
                counted["cldb_nodes"] += 1
            counted["nodes"] += 1
    return problems, dict(counted)


def _spread(values):
    values = sorted(values)
    if not values:
        return "-"
    return str(values[0]) if values[0] == values[-1] else "%d..%d" % (values[0], values[-1])


def measure_mesh(directory, clusters=16, nodes=2, mode="ssh", forks=None, timeout=3600, log_dir=None, say=print):
    """Build a ``clusters`` x ``nodes`` lab, the mesh of all its clusters, check it, re-run: the figures.

    Raises BenchFailure when the build fails, the result is not what the mesh promises, a node's
    file took more than one module call on the first run, or the re-run changes anything.
    """
    log_dir = log_dir or os.path.dirname(os.path.abspath(directory))
    figures = dict(clusters=clusters, nodes_per_cluster=nodes, mode=mode, forks=forks or "ansible default (5)",
                   started=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   machine_before=machine_facts())
    started = time.monotonic()
    with Lab(directory, clusters=clusters, nodes=nodes, mode=mode).up() as lab:
        figures["lab_up_seconds"] = round(time.monotonic() - started, 1)
        say("  mesh: lab of %d x %d (%s) up in %.1f s; first run ..." % (clusters, nodes, mode,
                                                                         figures["lab_up_seconds"]))
        first_seconds, first = run_mesh(lab, "first-run", log_dir, forks, timeout)
        figures["first_run_seconds"] = round(first_seconds, 1)
        figures["first_run_phases"] = first.phases
        say("  mesh: first run %.1f s; checking every node ..." % first_seconds)

        # One module call per file and node on the first run.
        calls = file_module_calls(first)
        figures["first_run_file_module_calls"] = {
            module: dict(max_per_node=max([c[module] for c in calls.values()] or [0]),
                         nodes=sum(1 for c in calls.values() if c[module]))
            for module in FILE_MODULES}
        # A fresh lab: every node lacks its peers' lines and CAs, every CLDB node their tickets. A count
        # of 0 would mean the file work is done by another module now, and the check below says nothing.
        idle = sorted("%s: %s" % (host, module) for host, info in lab.hosts.items() for module in FILE_MODULES
                      if (info.cldb or module != "crossclusterticket_merge") and not calls[host][module])
        _require(not idle, "the first run did not call these file modules where the fresh lab needs them (renamed "
                           "or moved? update bench.FILE_MODULES): %s" % ", ".join(idle))
        over = repeated_file_calls(calls)
        _require(not over, "the first run called a file module more than once on a node (the issue wants one call "
                 "per file and node): %s" % over)
        figures["first_run_changed_hosts"] = len(changed_hosts(first))
        checks = verify_checks(first)
        figures["first_run_verify"] = dict(checks)
        pairs = clusters * (clusters - 1)
        _require(checks["logins"] == pairs and checks["server_calls"] == pairs and not checks["logins_failed"]
                 and not checks["server_calls_failed"],
                 "the verify role did not check every direction once (%d wanted of each): %s" % (pairs, dict(checks)))

        checked = time.monotonic()
        problems, counted = check_mesh(lab)
        figures["independent_check"] = dict(counted, seconds=round(time.monotonic() - checked, 1))
        _require(not problems, "the mesh is not what it should be (%d problems):\n  %s"
                 % (len(problems), "\n  ".join(problems[:40])))

        state = conf_state(lab)
        say("  mesh: %d nodes hold %d peer lines, CAs and tickets as wanted; re-run ..." % (len(lab.hosts),
                                                                                            clusters - 1))
        rerun_seconds, rerun = run_mesh(lab, "re-run", log_dir, forks, timeout)
        figures["rerun_seconds"] = round(rerun_seconds, 1)
        figures["rerun_phases"] = rerun.phases
        problems = rerun_problems(recap(rerun), changed_hosts(rerun), lab.hosts, state, conf_state(lab))
        _require(not problems, "the re-run was not a no-op:\n  " + "\n  ".join(problems))
        rerun_calls = file_module_calls(rerun)
        figures["rerun_file_module_calls"] = sum(sum(c.values()) for c in rerun_calls.values())
        modules = modules_per_node(rerun)
        cldbs = [h for h, info in lab.hosts.items() if info.cldb]
        plain = [h for h in lab.hosts if h not in cldbs]
        figures["rerun_modules_per_node"] = dict(
            cldb=_spread([modules[h] for h in cldbs]), non_cldb=_spread([modules[h] for h in plain]),
            max=max(modules.values()), total=sum(modules.values()), by_host=dict(sorted(modules.items())))
        figures["machine_after"] = machine_facts()
    figures["lab_down_seconds"] = lab.timings.get("down")
    figures["total_seconds"] = round(time.monotonic() - started, 1)
    return figures


def write_mesh_outputs(figures, json_path, markdown_path=PERFORMANCE_MD):
    write_json(figures, json_path)
    replace_section(markdown_path, MESH_SECTION, mesh_markdown(figures))


def write_json(figures, json_path):
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as handle:
        json.dump(figures, handle, indent=2, sort_keys=True)
        handle.write("\n")


def replace_section(markdown_path, heading, section):
    """Put ``section`` in place of the one under ``heading`` (up to the next second-level heading)."""
    try:
        with open(markdown_path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ("# Performance\n\nWritten by `make bench` (tests/bench.py); the timings are this machine's and "
                "never asserted.\n")
    pattern = re.compile(r"^%s\b.*?(?=^## |\Z)" % re.escape(heading), re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(markdown_path, "w", encoding="utf-8") as handle:
        handle.write(text.rstrip("\n") + "\n")


def _busiest_load(f):
    sampled = [(f.get(key) or {}).get("load", {}).get("mean", 0) for key in ("first_run_phases", "rerun_phases")]
    return max([f["machine_before"]["loadavg"][0], f["machine_after"]["loadavg"][0]] + sampled)


def _load(phases):
    load = (phases or {}).get("load")
    return "%.1f / %.1f" % (load["mean"], load["max"]) if load else "not sampled"


def _phases(phases):
    roles = (phases or {}).get("roles") or {}
    return ", ".join("%s %.0f s" % (role, secs) for role, secs in sorted(roles.items(), key=lambda kv: -kv[1])) \
        or "-"


def mesh_markdown(f):
    before, after = f["machine_before"], f["machine_after"]
    calls = f["first_run_file_module_calls"]
    load = "/".join("%.2f" % x for x in before["loadavg"]), "/".join("%.2f" % x for x in after["loadavg"])
    rows = [
        ("first run (build + verify)", "%.1f s" % f["first_run_seconds"]),
        ("re-run (nothing to change)", "%.1f s (changed=0 on all %d nodes)" % (
            f["rerun_seconds"], f["clusters"] * f["nodes_per_cluster"])),
        ("re-run / first run", "%.2f" % (f["rerun_seconds"] / f["first_run_seconds"])),
        ("re-run module executions per node", "%s (CLDB nodes), %s (other nodes), %d in all" % (
            f["rerun_modules_per_node"]["cldb"], f["rerun_modules_per_node"]["non_cldb"],
            f["rerun_modules_per_node"]["total"])),
        ("first-run calls per node: peer_trust (truststores and mapr-clusters.conf)", "at most %d (on %d nodes)" % (
            calls["peer_trust"]["max_per_node"], calls["peer_trust"]["nodes"])),
        ("first-run calls per node: crossclusterticket_merge", "at most %d (on %d nodes)" % (
            calls["crossclusterticket_merge"]["max_per_node"], calls["crossclusterticket_merge"]["nodes"])),
        ("verify on the first run", "%d logins, %d server calls" % (
            f["first_run_verify"].get("logins", 0), f["first_run_verify"].get("server_calls", 0))),
        ("independent check", "%d peer lines, %d peer CAs per store kind, %d peer tickets (%.1f s)" % (
            f["independent_check"]["peer_lines"], f["independent_check"]["peer_cas_ssl_truststore"],
            f["independent_check"]["peer_tickets"], f["independent_check"]["seconds"])),
        ("1-min load average during the runs (mean / max)", "%s first run, %s re-run" % (
            _load(f.get("first_run_phases")), _load(f.get("rerun_phases")))),
        ("first run by role", _phases(f.get("first_run_phases"))),
        ("re-run by role", _phases(f.get("rerun_phases"))),
        ("lab up / down", "%.1f s / %.1f s" % (f["lab_up_seconds"], f["lab_down_seconds"] or 0)),
    ]
    slowest = ["- %s: %.0f s" % (task, secs) for task, secs in (f.get("first_run_phases") or {}).get("slowest", [])]
    return "\n".join([
        MESH_SECTION, "",
        "`make bench` (`tests/bench.py --mesh %d`), %s: %d clusters x %d nodes on the %s-mode lab, "
        "`crosscluster_trusts: [{mesh: [cluster_a .. cluster_%s], type: all}]`, verification on, forks %s."
        % (f["clusters"], f["started"], f["clusters"], f["nodes_per_cluster"], f["mode"],
           "abcdefghijklmnopqrstuvwxyz"[f["clusters"] - 1], f["forks"]),
        "",
        "Machine: %d CPUs (nproc), Linux %s, Python %s, ansible-core %s; load average (1/5/15 min) %s before, "
        "%s after%s." % (before["nproc"], before["kernel"], before["python"], before["ansible_core"], load[0], load[1],
                         " (above nproc: other work shared the machine, so the seconds are inflated)"
                         if _busiest_load(f) > before["nproc"] else ""),
        "",
        "| figure | value |", "| --- | --- |"] + ["| %s | %s |" % row for row in rows] + [
        "",
        "The slowest tasks of the first run (wall time, all hosts; the task_times callback):", ""] + slowest + [
        "",
        "Asserted by the bench (it fails otherwise): every node holds its own line and the %d peer lines in "
        "mapr-clusters.conf, its own CA and the %d peer CAs in ssl_truststore and ssl_truststore.p12 (read by "
        "keytool) and ssl_truststore.pem; every CLDB node holds the %d peer crosscluster tickets; no node's "
        "truststore, mapr-clusters.conf or maprserverticket took more than one module call on the first run; "
        "the re-run reports changed=0 on every node and leaves every conf/ file as it was. The seconds are "
        "this machine's and are never asserted." % ((f["clusters"] - 1,) * 3),
        ""])


# ---------------------------------------------------------------------------------------- main


def report_mesh(f):
    calls = f["first_run_file_module_calls"]
    print("datafabric.crosscluster benchmark: %d-cluster mesh, type all, %d nodes each, %s-mode lab, forks %s"
          % (f["clusters"], f["nodes_per_cluster"], f["mode"], f["forks"]))
    print("  machine: nproc %d, load average %s before, %s after" % (
        f["machine_before"]["nproc"], "/".join("%.2f" % x for x in f["machine_before"]["loadavg"]),
        "/".join("%.2f" % x for x in f["machine_after"]["loadavg"])))
    print("  first run %.1f s, re-run %.1f s (changed=0 on every node); re-run / first run %.2f"
          % (f["first_run_seconds"], f["rerun_seconds"], f["rerun_seconds"] / f["first_run_seconds"]))
    print("  re-run module executions per node: %s (CLDB), %s (non-CLDB), busiest %d"
          % (f["rerun_modules_per_node"]["cldb"], f["rerun_modules_per_node"]["non_cldb"],
             f["rerun_modules_per_node"]["max"]))
    print("  first-run module calls per file and node (max): %s" % ", ".join(
        "%s %d" % (m, calls[m]["max_per_node"]) for m in FILE_MODULES))
    print("  1-min load average during the runs (mean / max): %s first run, %s re-run" % (
        _load(f.get("first_run_phases")), _load(f.get("rerun_phases"))))
    print("  first run by role: %s" % _phases(f.get("first_run_phases")))
    print("  re-run by role:    %s" % _phases(f.get("rerun_phases")))
    print("  independent check: %s" % f["independent_check"])


def _sizes(text):
    """"16x10,16x30" -> [(16, 10), (16, 30)]; "" or "0" -> []."""
    import bench_fleet
    return [bench_fleet.parse_size(size) for size in (text or "").split(",") if size.strip() not in ("", "0")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=os.path.join(ROOT, ".cache", "bench"))
    parser.add_argument("--compare", default="3,10,25", metavar="N,N,...",
                        help="nodes per cluster of the side-by-side runs against the baseline playbook (0: none)")
    parser.add_argument("--mesh", type=int, default=16, metavar="N",
                        help="clusters in the mesh scenario (2..26, the MRS limit is 16; 0 leaves it out)")
    parser.add_argument("--mesh-nodes", type=int, default=2, help="nodes per mesh cluster")
    parser.add_argument("--mesh-mode", choices=("ssh", "local"), default="ssh")
    parser.add_argument("--forks", type=int, default=None, help="ansible forks for the mesh (default: ansible's)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one mesh run may take")
    parser.add_argument("--mesh-only", action="store_true", help="leave out the runs against the baseline")
    parser.add_argument("--jks", type=int, default=200, metavar="N",
                        help="entries of the JKS one certificate is imported into, by keytool and by the "
                             "collection (0 leaves it out; --mesh-only does too)")
    parser.add_argument("--fleet", default="16x250,16x1000", metavar="CxN,...",
                        help="sizes (clusters x nodes) of the pure-Python fleet benchmark of the controller's "
                             "planning (tests/bench_fleet.py; empty or 0 leaves it out; --mesh-only does too)")
    parser.add_argument("--fleet-lab", default="16x10,16x30", metavar="CxN,...",
                        help="sizes of the local-mode lab runs whose controller CPU per node is compared "
                             "(empty or 0 leaves them out; --mesh-only does too)")
    args = parser.parse_args()
    if args.mesh and args.mesh_mode == "ssh" and ssh_mode_unavailable():
        parser.error("the mesh runs on the ssh-mode lab, which cannot run here (%s); use --mesh-mode local or "
                     "--mesh 0" % ssh_mode_unavailable())
    if args.mesh == 1 or args.mesh > 26:
        parser.error("--mesh takes 2..26 clusters, or 0")

    sizes = [int(n) for n in args.compare.split(",") if int(n)] if not args.mesh_only else []
    if sizes:
        import bench_compare
        machine = machine_facts()
        try:
            rows = bench_compare.compare(os.path.join(args.dir, "compare"), sizes)
        except bench_compare.CompareFailure as exc:
            print("\nBENCH FAILED: %s" % exc, file=sys.stderr)
            return 1
        json_path = os.path.join(args.dir, "compare.json")
        write_json(dict(machine_before=machine, machine_after=machine_facts(), rows=rows), json_path)
        section = bench_compare.markdown(rows, machine)
        replace_section(PERFORMANCE_MD, bench_compare.SECTION, section)
        print(section)
        print("  written: %s, %s" % (os.path.relpath(json_path, ROOT), os.path.relpath(PERFORMANCE_MD, ROOT)))
    if args.jks and not args.mesh_only:
        import bench_jks
        try:
            figures = bench_jks.measure(os.path.join(args.dir, "jks"), args.jks)
        except bench_jks.JksFailure as exc:
            print("\nBENCH FAILED: %s" % exc, file=sys.stderr)
            return 1
        write_json(figures, os.path.join(args.dir, "jks.json"))
        section = bench_jks.markdown(figures)
        replace_section(PERFORMANCE_MD, bench_jks.SECTION, section)
        print(section)
    if not args.mesh_only and _sizes(args.fleet):
        import bench_fleet
        machine = machine_facts()
        rows = [bench_fleet.measure(*size) for size in _sizes(args.fleet)]
        json_path = os.path.join(args.dir, "fleet.json")
        write_json(dict(machine=machine, rows=rows), json_path)
        section = bench_fleet.markdown(rows, machine)
        replace_section(PERFORMANCE_MD, bench_fleet.SECTION, section)
        print(section)
    if not args.mesh_only and _sizes(args.fleet_lab):
        import bench_fleet
        machine = machine_facts()
        try:
            rows = bench_fleet.measure_lab(os.path.join(args.dir, "fleet-lab"), _sizes(args.fleet_lab))
        except bench_fleet.FleetFailure as exc:
            print("\nBENCH FAILED: %s" % exc, file=sys.stderr)
            return 1
        write_json(dict(machine=machine, rows=rows, growth=bench_fleet.lab_growth(rows)),
                   os.path.join(args.dir, "fleet-lab.json"))
        section = bench_fleet.lab_markdown(rows, machine)
        replace_section(PERFORMANCE_MD, bench_fleet.LAB_SECTION, section)
        print(section)
    if args.mesh:
        try:
            figures = measure_mesh(os.path.join(args.dir, "mesh"), args.mesh, args.mesh_nodes, args.mesh_mode,
                                   args.forks, args.timeout, log_dir=args.dir)
        except BenchFailure as exc:
            print("\nBENCH FAILED: %s" % exc, file=sys.stderr)
            return 1
        json_path = os.path.join(args.dir, "mesh.json")
        write_mesh_outputs(figures, json_path)
        report_mesh(figures)
        print("  written: %s, %s" % (os.path.relpath(json_path, ROOT), os.path.relpath(PERFORMANCE_MD, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
