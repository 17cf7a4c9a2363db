"""Faults survived, on the ssh-mode lab (issue 8, part 4).

- SIGKILL at each system call of a write (strace fault injection, in real playbook runs and, for
  many more points, in the module run by hand inside the node): mapr-clusters.conf, the three
  truststores and maprserverticket are each exactly their old or their new version afterwards, no
  staged copy outlives the next write, and the playbook converges.
- Two runs at once on one cluster, building different trusts: both trusts end up whole.
- A full disk under one node's conf/: a clear error naming the node and the file; nothing changed.
- A truststore changed between read and write: the write is refused and the change is kept.
- A node lost mid-run: reported unreachable and named in the summary, while the others finish.

Each survived fault is recorded for docs/reliability.md (tests/reliability.py).
"""

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import sysconfig
import time

import pytest
from ansible_run import ROOT, run_module
from lab.labkit import ssh_mode_unavailable
from lab.labkit.node.mapr_node import parse_clusters_conf, read_ticket_lines
from labplay import VERIFY, changed_hosts, conf_state, run, start
from reliability import record
from stores import Ca, fingerprints

pytest_plugins = ["lab.fixtures"]

pytestmark = pytest.mark.skipif(ssh_mode_unavailable() is not None, reason=str(ssh_mode_unavailable()))

STRACE = shutil.which("strace")
needs_strace = pytest.mark.skipif(STRACE is None, reason="needs strace (tests/tools/system-deps.sh installs it)")

CONF = "mapr-clusters.conf"
STORE_TYPES = {"ssl_truststore": "jks", "ssl_truststore.p12": "pkcs12", "ssl_truststore.pem": "pem"}
STORES = tuple(STORE_TYPES)
TICKETS = "maprserverticket"
WATCHED = (CONF,) + STORES + (TICKETS,)
NODE_CONF = "/opt/mapr/conf"
NODE_PYTHON = "/usr/bin/python3"
# Each ssh-mode node has its own /tmp, so one path serves a different wrapper on every node.
WRAPPER = "/tmp/fault-python"
WITH_WRAPPER = ["-e", "ansible_python_interpreter=" + WRAPPER]
# The verify role proves trust, not file contents; runs that only set up a fault skip it.
NO_VERIFY = ["-e", "all_trust_verify=false"]

# The modules' payload as AnsiballZ sends it names the module and carries its arguments as JSON.
STORE_REPLACE = ("plugins.modules.file_snapshot'", '"state": "replace"')
TICKET_MODULE = "plugins.modules.crossclusterticket_merge'"


# ------------------------------------------------------------------ files on the nodes


def node_file(lab, host, name):
    return lab.node_path(host, "conf/" + name)


def read_files(lab, host, names=WATCHED):
    result = {}
    for name in names:
        with open(node_file(lab, host, name), "rb") as handle:
            result[name] = handle.read()
    return result


def restore(lab, host, files):
    """Put contents back in place; mode and owner stay those of the file there."""
    for name, data in files.items():
        with open(node_file(lab, host, name), "wb") as handle:
            handle.write(data)


def staged_leftovers(lab, host):
    """Staged copies in conf/ (safe_write names them .<name>.XXXXXXXX.tmp)."""
    return sorted(n for n in os.listdir(lab.node_path(host, "conf")) if n.startswith(".") and n.endswith(".tmp"))


def digest(data):
    return hashlib.sha256(data).hexdigest()[:12]


def ca_fingerprint(cluster):
    with open(cluster.ca_pem, "rb") as handle:
        return fingerprints(handle.read(), "pem")[0]


def store_fingerprints(lab, host, name, data=None):
    data = read_files(lab, host, [name])[name] if data is None else data
    return fingerprints(data, STORE_TYPES[name], lab.cluster_of(host).store_password)


def conf_names(lab, host):
    with open(node_file(lab, host, CONF), encoding="utf-8") as handle:
        return [entry.name for entry in parse_clusters_conf(handle.read())]


def ticket_clusters(lab, host):
    return [cluster for cluster, _blob in read_ticket_lines(node_file(lab, host, TICKETS))]


def failures(result):
    """{host: (status, action, result)} of the last task that failed on a host or found it unreachable."""
    return dict((r["host"], (r["status"], r["action"], r["result"])) for r in result.results
                if r["status"] in ("failed", "unreachable"))


def failed_in(result, host, action):
    """The result of ``action`` failing on ``host`` (a role may report it again in a task of its own)."""
    found = [r["result"] for r in result.results
             if (r["host"], r["action"]) == (host, action) and r["status"] in ("failed", "ignored")]
    assert found, "%s did not fail on %s:\n%s" % (action, host, result.describe())
    return found[-1]


# ------------------------------------------------------------------ interpreter wrappers


def _dq(text):
    return '"%s"' % re.sub(r'([\\"$`])', r"\\\1", text)


WRAPPER_SCRIPT = """#!/bin/sh
# tests/integration/test_faults.py: the node's python, except for the one module named below.
# The module comes on stdin (pipelining) and stays in memory: its arguments may hold a ticket.
module=$(cat)
hit=yes
{cases}
if [ $hit = yes ]; then
  printf '%s\\n' "$module" | {{ {command}; }}
else
  printf '%s\\n' "$module" | {python} "$@"
fi
"""


def install_interpreters(lab, faults):
    """Write every node's WRAPPER; ``faults`` maps a host to (needles, shell command): when the
    module's text holds every needle, the command runs it (module on stdin, "$@" its arguments)."""
    for host in lab.hosts:
        needles, command = faults.get(host, ((), None))
        cases = "\n".join('case "$module" in *%s*) ;; *) hit=no ;; esac' % _dq(n) for n in needles)
        script = WRAPPER_SCRIPT.format(cases=cases if command else "hit=no", command=command or ":",
                                       python=NODE_PYTHON)
        path = os.path.join(lab.node_root(host), "tmp", os.path.basename(WRAPPER))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(script)
        os.chmod(path, 0o755)


def strace_kill(spec):
    """The argv prefix that SIGKILLs the command it runs at the system call ``spec`` names
    (strace's ``name:when=N``: the Nth call of that system call in the process)."""
    return [STRACE, "-f", "-qq", "-o", "/dev/null", "-e", "inject=%s:signal=KILL" % spec]


def strace_kill_module(spec):
    """A wrapper command: the module under strace_kill(spec)."""
    return '%s %s "$@"' % (" ".join(strace_kill(spec)), NODE_PYTHON)


# ------------------------------------------------------------------ modules run by hand in a node


class NodeModules:
    """The collection's modules run inside one node as ``python3 <module>.py <args file>``.

    The write phase is the very code Ansible runs, without the AnsiballZ wrapper around it, so a
    kill point costs a fraction of a second instead of a playbook. The modules run from a private
    copy in the lab dir (which the node sees), with a private bytecode cache: nobody's edits or
    .pyc writes can move the system call counts between the trace and the injected run.
    """

    # safe_write sets owner and mode through the staged file's descriptor, and checks with (l)stat
    # that the staged name and then the file's name hold the staged inode around each rename.
    TRACED = ("openat", "write", "fsync", "close", "chown", "fchownat", "chmod", "fchmodat", "fchown",
              "fchmod", "newfstatat", "rename", "renameat", "renameat2", "link", "linkat", "unlink",
              "unlinkat", "flock", "getdents64")

    def __init__(self, lab, host):
        self.lab = lab
        self.host = host
        base = os.path.join(lab.dir, "fault-collection")
        target = os.path.join(base, "ansible_collections", "datafabric", "crosscluster", "plugins")
        if not os.path.isdir(target):
            shutil.copytree(str(ROOT / "plugins"), target, ignore=shutil.ignore_patterns("__pycache__"))
        self.modules = os.path.join(target, "modules")
        self.env = {"PYTHONPATH": "%s:%s" % (base, sysconfig.get_paths()["purelib"]),
                    "PYTHONPYCACHEPREFIX": os.path.join(lab.dir, "fault-pycache")}
        self.tmp = os.path.join(lab.node_root(host), "tmp")

    def run(self, module, args, prefix=()):
        # A 0600 file, not argv: the arguments may hold tickets.
        path = os.path.join(self.tmp, "fault-args.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
        try:
            argv = list(prefix) + [NODE_PYTHON, os.path.join(self.modules, module + ".py"),
                                   self.lab.node_view(self.host, path)]
            return self.lab.run_on(self.host, argv, env=self.env)
        finally:
            os.unlink(path)

    def ok(self, module, args):
        done = self.run(module, args)
        assert done.returncode == 0, (module, done.stdout, done.stderr)
        return json.loads(done.stdout)

    def write_phase(self, module, args):
        """Run once under strace and return the calls from taking the directory lock to releasing
        it: [(syscall, N, line)], N counted as strace's ``when=`` counts (per call, per process)."""
        trace = os.path.join(self.tmp, "fault-trace")
        done = self.run(module, args, [STRACE, "-f", "-qq", "-o", self.lab.node_view(self.host, trace),
                                       "-e", "trace=" + ",".join(self.TRACED)])
        assert done.returncode == 0, (done.stdout, done.stderr)
        with open(trace, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        os.unlink(trace)
        calls, counts, pids = [], {}, set()
        for line in lines:
            match = re.match(r"^(\d+) +(\w+)\((\d*)", line)
            if not match:
                continue
            pid, name, first_arg = match.groups()
            pids.add(pid)
            counts[name] = counts.get(name, 0) + 1
            calls.append((name, counts[name], first_arg, line))
        # The counts are per process: a module that forked would need them per pid.
        assert len(pids) == 1, pids
        start = next(i for i, c in enumerate(calls) if c[0] == "flock")
        end = next(i for i, c in enumerate(calls) if i > start and c[0] == "close" and c[2] == calls[start][2])
        return [(name, n, line) for name, n, _arg, line in calls[start:end + 1]]


def renamed_into(line):
    # safe_write renames relative to the locked directory's descriptor: renameat(4, ".x.tmp", 4, "x").
    match = re.match(r'^\d+ +renameat2?\(\d+, "[^"]+", \d+, "([^"/]+)"(?:, \w+)?\) = 0', line)
    return match.group(1) if match else None


def kill_points(phase):
    """Where to kill: taking the lock, the scan for stale copies, then every call from the first
    staged file on (staging, renames, directory syncs, the lock's release)."""
    staging = next(i for i, c in enumerate(phase) if c[0] == "openat" and ".tmp" in c[2])
    first_scan = next(i for i, c in enumerate(phase) if c[0] == "getdents64")
    return [phase[0], phase[first_scan]] + phase[staging:]


# ------------------------------------------------------------------ 1. SIGKILL during writes


@needs_strace
def test_sigkill_at_each_write_step_leaves_old_or_new_and_the_playbook_converges(make_lab):
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    old = dict((host, read_files(lab, host)) for host in lab.hosts)

    # Through Ansible: one kill per write, each on its own node, in one run. peer_trust replaces the
    # three stores, then mapr-clusters.conf: a2 dies before the conf's rename, b2 after the JKS's.
    planned = {
        "a2": (STORE_REPLACE, "renameat:when=4", CONF, "datafabric.crosscluster.peer_trust"),
        "b2": (STORE_REPLACE, "renameat:when=2", "ssl_truststore*", "datafabric.crosscluster.peer_trust"),
        "a1": ((TICKET_MODULE,), "fsync:when=1", TICKETS, "datafabric.crosscluster.crossclusterticket_merge"),
    }
    install_interpreters(lab, dict((h, (p[0], strace_kill_module(p[1]))) for h, p in planned.items()))
    killed = run(lab, "all", extra_args=WITH_WRAPPER + NO_VERIFY)
    failed = failures(killed)
    assert sorted(failed) == sorted(planned), killed.describe()
    died = dict((host, failed_in(killed, host, plan[3])) for host, plan in planned.items())
    # A killed module leaves no JSON: its exit status must reach the user through the action.
    for host in ("a2", "b2"):
        assert "%s/ssl_truststore.p12" % NODE_CONF in died[host]["msg"], died[host]
        assert "killed by signal 9" in died[host]["msg"], died[host]
    # a2 died before its last rename, a1 before its fsync: each file still the old one, staged copy left.
    assert read_files(lab, "a2")[CONF] == old["a2"][CONF]
    # The certificates went first: a2 already trusts B, and does not name B yet.
    for name in STORES:
        assert store_fingerprints(lab, "a2", name) == store_fingerprints(lab, "a1", name), name
    assert read_files(lab, "a1")[TICKETS] == old["a1"][TICKETS]
    assert [n for n in staged_leftovers(lab, "a2") if n.startswith("." + CONF + ".")], staged_leftovers(lab, "a2")
    assert [n for n in staged_leftovers(lab, "a1") if n.startswith("." + TICKETS + ".")], staged_leftovers(lab, "a1")
    # b2 died at its second rename: the JKS is the new store (what b1 holds), its siblings and conf the old.
    b2 = read_files(lab, "b2")
    assert b2["ssl_truststore"] != old["b2"]["ssl_truststore"]
    assert store_fingerprints(lab, "b2", "ssl_truststore") == store_fingerprints(lab, "b1", "ssl_truststore")
    assert (b2["ssl_truststore.p12"], b2["ssl_truststore.pem"], b2[CONF]) == (
        old["b2"]["ssl_truststore.p12"], old["b2"]["ssl_truststore.pem"], old["b2"][CONF])
    afterwards = {"a2": "the three stores new, mapr-clusters.conf old", "a1": "old, byte for byte",
                  "b2": "ssl_truststore new; .p12, .pem and mapr-clusters.conf old"}
    for host, (_needles, spec, _kind, action) in planned.items():
        record("fault", "playbook: SIGKILL at %s in %s" % (spec, action.rsplit(".", 1)[1]),
               detail="node %s, main playbook; the task failed for that node only; afterwards %s"
               % (host, afterwards[host]))

    converged = run(lab, "all", extra_args=NO_VERIFY)
    converged.expect_ok()
    assert set(planned) <= set(changed_hosts(converged))
    for host in lab.hosts:
        assert staged_leftovers(lab, host) == [], host
    assert read_files(lab, "b2")["ssl_truststore"] == b2["ssl_truststore"]

    # By hand, at every step of the write phase, on a1: old is before the run, new after it.
    new = read_files(lab, "a1")
    node = NodeModules(lab, "a1")
    paths = dict((name, "%s/%s" % (NODE_CONF, name)) for name in WATCHED)
    kinds = [
        (CONF, "clusters_conf_entry", (CONF,),
         lambda: dict(path=paths[CONF], lines=new[CONF].decode().splitlines()[1:])),
        ("truststores", "file_snapshot", STORES,
         lambda: dict(paths=[paths[n] for n in STORES], state="replace",
                      contents=dict((paths[n], base64.b64encode(new[n]).decode()) for n in STORES),
                      expected=dict((paths[n], hashlib.sha256(read_files(lab, "a1", [n])[n]).hexdigest())
                                    for n in STORES))),
        (TICKETS, "crossclusterticket_merge", (TICKETS,),
         lambda: dict(path=paths[TICKETS], tickets=new[TICKETS].decode().splitlines()[1:])),
    ]
    tally = {}
    for kind, module, names, arguments in kinds:
        before = dict((n, old["a1"][n]) for n in names)
        restore(lab, "a1", before)
        node.ok(module, arguments())  # fills the private bytecode cache: the trace sees a warm start
        restore(lab, "a1", before)
        points = kill_points(node.write_phase(module, arguments()))
        outcomes = tally.setdefault(kind, {"old": 0, "new": 0, "points": 0})
        for index, (name, number, line) in enumerate(points):
            restore(lab, "a1", before)
            died = node.run(module, arguments(), strace_kill("%s:when=%d" % (name, number)))
            assert died.returncode == -signal.SIGKILL, (line, died.returncode, died.stdout, died.stderr)
            renamed = set(renamed_into(p[2]) for p in points[:index])
            after = read_files(lab, "a1", names)
            for file_name in names:
                expected = new if file_name in renamed else old["a1"]
                assert after[file_name] == expected[file_name], (kind, line, file_name)
                outcomes["new" if file_name in renamed else "old"] += 1
            outcomes["points"] += 1
            left = staged_leftovers(lab, "a1")
            node.ok(module, arguments())
            assert read_files(lab, "a1", names) == dict((n, new[n]) for n in names), (kind, line)
            assert staged_leftovers(lab, "a1") == [], (kind, line)
            record("fault", "SIGKILL at %s #%d writing %s" % (name, number, kind),
                   detail="%s killed at `%s` on a1: %s; staged copies left: %d, removed by the next write"
                   % (module, line.split(" ", 1)[1][:90], ", ".join(
                       "%s %s" % (n, "new" if n in renamed else "old") for n in names), len(left)))
    # Every kind was killed before and after its renames, so both outcomes were seen.
    for kind, outcome in tally.items():
        assert outcome["old"] and outcome["new"], (kind, outcome)
    assert sum(o["points"] for o in tally.values()) + len(planned) >= 50, tally

    state = conf_state(lab)
    third = run(lab, "all", extra_args=NO_VERIFY).expect_ok()
    assert changed_hosts(third) == [] and conf_state(lab) == state
    print("kill points (a1, by hand):", json.dumps(tally))


# ------------------------------------------------------------------ 2. two runs at once


def test_two_runs_at_once_on_one_cluster_both_trusts_complete(make_lab):
    lab = make_lab(clusters=3, nodes=2, mode="ssh")
    runs = [start(lab, "all", clusters=("cluster_a", peer),
                  extra_args=NO_VERIFY + ["-e", "crosscluster_hosts=cluster_a:%s" % peer])
            for peer in ("cluster_b", "cluster_c")]
    for running in runs:
        running.wait().expect_ok()
    a, b, c = (lab.cluster(x) for x in "abc")
    wanted = sorted([ca_fingerprint(a), ca_fingerprint(b), ca_fingerprint(c)])
    for host in a.hosts:
        assert sorted(conf_names(lab, host)) == sorted([a.name, b.name, c.name]), host
        for name in STORES:
            assert store_fingerprints(lab, host, name) == wanted, (host, name)
    for host in a.cldb_hosts:
        assert sorted(ticket_clusters(lab, host)) == sorted([a.name, b.name, c.name]), host
    for peer in (b, c):
        for host in peer.hosts:
            assert conf_names(lab, host) == [peer.name, a.name], host
        assert ticket_clusters(lab, peer.cldb_hosts[0]) == [peer.name, a.name]
    record("fault", "two runs at once", detail="A-B and A-C trusts started together on a 3x2 lab: every node "
           "of A holds both lines and both CAs in all three stores, A's CLDB both tickets")


# ------------------------------------------------------------------ 3. a full disk


def node_digests(lab, host):
    """{name: sha256} of every file in the node's conf/ as the node sees it (a mount may hide
    the controller's view)."""
    listing = lab.run_on(host, ["sh", "-c", "cd %s && sha256sum .[!.]* *" % NODE_CONF], check=True).stdout
    return dict(reversed(line.split(None, 1)) for line in listing.splitlines())


def test_full_disk_names_node_and_file_and_changes_nothing(make_lab):
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    fill = f"""set -e
keep=$(mktemp -d)
cp -a {NODE_CONF}/. "$keep"/
mount -t tmpfs -o size=128k,mode=755 fault-full {NODE_CONF}
cp -a "$keep"/. {NODE_CONF}/
rm -rf "$keep"
dd if=/dev/zero of={NODE_CONF}/.filler bs=4096 2>/dev/null || true
"""
    filled = lab.run_on("a2", ["sh", "-c", fill])
    try:
        assert filled.returncode == 0, filled.stderr
        free = lab.run_on("a2", ["stat", "-f", "-c", "%a", NODE_CONF], check=True).stdout.strip()
        assert free == "0", free
        before = node_digests(lab, "a2")
        assert CONF in before and ".filler" in before
        result = run(lab, "user", extra_args=NO_VERIFY)
        failed = failures(result)
        assert sorted(failed) == ["a2"], result.describe()
        status, action, outcome = failed["a2"]
        # user_trust's one write fails before any file is replaced: it stages every file first.
        assert status == "failed" and action == "datafabric.crosscluster.peer_trust", outcome
        assert "No space left" in outcome["msg"], outcome["msg"]
        for name in (CONF, "ssl_truststore"):
            assert "%s/%s" % (NODE_CONF, name) in outcome["msg"], outcome["msg"]
        print("full disk:", outcome["msg"])
        assert re.search(r"fatal: \[a2\]: FAILED!.*No space left", result.stdout), result.stdout
        assert node_digests(lab, "a2") == before
        assert sorted(changed_hosts(result)) == ["a1", "b1", "b2"]
        record("fault", "full disk", detail="a2's conf/ on a full 128 KiB tmpfs, main playbook: failed on a2 "
               "naming its stores and mapr-clusters.conf and 'No space left on device'; every file of a2's "
               "conf/ byte-identical, no staged copy left; the other nodes finished")
    finally:
        lab.run_on("a2", ["umount", NODE_CONF])
    assert lab.run_on("a2", ["findmnt", "-n", NODE_CONF]).returncode != 0


# ------------------------------------------------------------------ 4. changed between read and write


def test_store_changed_between_read_and_write_is_refused_and_kept(make_lab):
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    paths = ["%s/%s" % (NODE_CONF, name) for name in STORES]
    read = run_module("file_snapshot", dict(paths=paths), inventory=lab.inventory_path, connection=None,
                      hosts="a1")
    assert read.rc == 0, read.describe()
    seen = dict((f["path"], f["sha256"]) for f in read.result["files"])
    # Another writer adds B's CA to the PEM store after the read.
    with open(lab.cluster("b").ca_pem, "rb") as handle:
        b_ca = handle.read()
    concurrent = read_files(lab, "a1", ["ssl_truststore.pem"])["ssl_truststore.pem"] + b_ca
    restore(lab, "a1", {"ssl_truststore.pem": concurrent})
    stale_edit = base64.b64decode(read.result["files"][2]["content"])
    refused = run_module("file_snapshot", dict(
        paths=paths, state="replace", expected=seen,
        contents={paths[2]: base64.b64encode(stale_edit + b"\n").decode()}),
        inventory=lab.inventory_path, connection=None, hosts="a1")
    assert refused.rc != 0 and refused.result.get("conflict") is True, refused.describe()
    assert paths[2] in refused.msg and "changed since it was read" in refused.msg
    assert read_files(lab, "a1", ["ssl_truststore.pem"])["ssl_truststore.pem"] == concurrent

    record("fault", "store changed between read and write", detail="file_snapshot replace with the checksums "
           "of an earlier read after another writer added a certificate to ssl_truststore.pem: refused "
           "(conflict), the other writer's certificate kept")

    # In the playbook: another writer adds a certificate to the PEM store after the gather read the
    # stores and before peer_trust's first replace; the action must re-read and try again.
    extra = Ca("concurrent writer")
    tmp = os.path.join(lab.node_root("a1"), "tmp")
    with open(os.path.join(tmp, "fault-extra.pem"), "w", encoding="ascii") as handle:
        handle.write(extra.pem)
    meddle = ('if [ ! -e /tmp/fault-once ]; then : > /tmp/fault-once; cat /tmp/fault-extra.pem >> %s/%s; fi; '
              '%s "$@"' % (NODE_CONF, "ssl_truststore.pem", NODE_PYTHON))
    install_interpreters(lab, {"a1": (STORE_REPLACE, meddle)})
    converged = run(lab, "user", extra_args=WITH_WRAPPER + NO_VERIFY)
    converged.expect_ok()
    assert os.path.exists(os.path.join(tmp, "fault-once")), "the other writer never ran"
    wanted = sorted([ca_fingerprint(lab.cluster("a")), ca_fingerprint(lab.cluster("b"))])
    for name in STORES:
        kept = [extra.sha256] if name == "ssl_truststore.pem" else []
        assert store_fingerprints(lab, "a1", name) == sorted(wanted + kept), name
    record("fault", "store changed during a playbook's import", detail="another writer appended a certificate "
           "to a1's ssl_truststore.pem between the gather's read and peer_trust's replace: the replace was refused, "
           "the action re-read and retried; all three stores got cluster B's CA and the PEM kept the other "
           "writer's certificate")


def test_a_failed_checker_hands_its_checks_to_the_next_node_of_its_cluster(make_lab):
    """a1 would check cluster A's trust; its write fails, so a2 logs in to B for cluster A."""
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    install_interpreters(lab, {"a1": (STORE_REPLACE, "exit 3")})
    result = run(lab, "user", extra_args=WITH_WRAPPER)
    assert sorted(failures(result)) == ["a1"], result.describe()
    assert "exit status 3" in failed_in(result, "a1", "datafabric.crosscluster.peer_trust")["msg"]
    logins = dict((r["host"], r["status"]) for r in result.results
                  if r["task"].startswith("datafabric.crosscluster.verify : Log in to the peer cluster"))
    assert logins == {"a2": "ok", "b1": "ok"}, result.describe()
    record("fault", "the node that checks for its cluster failed", detail="a1's write failed (its interpreter "
           "exited 3): the checks of cluster A ran from a2, B's from b1, and passed")


# ------------------------------------------------------------------ 5. a node lost mid-run


def wait_for(path, running, timeout=120):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert running.proc.poll() is None, "the run ended before reaching the trigger"
        assert time.monotonic() < deadline, "the run did not reach the trigger in %ss" % timeout
        time.sleep(0.05)


def test_node_lost_after_preflight_is_named_and_the_rest_finish(make_lab):
    lab = make_lab(clusters=2, nodes=2, mode="ssh")
    # a2 holds user_trust's write (its truststores and mapr-clusters.conf, after preflight passed)
    # before it starts, and is lost there: its sshd and sessions are killed.
    tmp = os.path.join(lab.node_root("a2"), "tmp")
    old_conf = read_files(lab, "a2", [CONF])[CONF]
    hold = ("touch /tmp/fault-reached; i=0; while [ ! -e /tmp/fault-go ] && [ $i -lt 2400 ]; "
            'do sleep 0.05; i=$((i+1)); done; %s "$@"' % NODE_PYTHON)
    install_interpreters(lab, {"a2": (STORE_REPLACE, hold)})
    running = start(lab, "user", extra_args=WITH_WRAPPER + NO_VERIFY)
    try:
        wait_for(os.path.join(tmp, "fault-reached"), running)
        lab.stop_host("a2")
    finally:
        open(os.path.join(tmp, "fault-go"), "w").close()
    lost = running.wait()
    assert lost.rc != 0
    assert [(host, status) for host, (status, _a, _r) in failures(lost).items()] == [("a2", "unreachable")], \
        lost.describe()
    assert read_files(lab, "a2", [CONF]) == {CONF: old_conf}
    assert set(changed_hosts(lost)) == {"a1", "b1", "b2"}
    for host in ("a1", "b1", "b2"):
        assert len(conf_names(lab, host)) == 2, host
    summary = lost.task("Summary")["msg"]
    assert [line for line in summary if "not done" in line and "a2" in line], summary

    lab.start_host("a2")
    run(lab, "user", extra_args=NO_VERIFY).expect_ok()
    run(lab, "user", VERIFY).expect_ok()
    state = conf_state(lab)
    again = run(lab, "user", extra_args=NO_VERIFY).expect_ok()
    assert changed_hosts(again) == [] and conf_state(lab) == state
    record("fault", "node lost mid-run", detail="a2's sshd and sessions killed after preflight, while it held "
           "its write: a2 reported unreachable with its files unchanged and named in the summary, a1, b1, b2 "
           "finished; after a2 came back the playbook converged, verify passed, a further run changed nothing")
