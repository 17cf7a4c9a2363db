"""`make bench`: one certificate into a 200-entry JKS, the collection against ``keytool -importcert``.

Three ways, each on a fresh copy of the same store and each read back with the JVM's keytool (all
entries and the new one, or the bench fails):

- ``keytool -importcert``, what an administrator runs on the node (a JVM start included);
- the collection's codec in one Python process: open the JKS, add the certificate, write it (the
  controller-side work of truststore_import, no Ansible);
- one ``truststore_import`` task through Ansible on localhost, timed by the task_times callback
  from its start to the end of the run (the module call on the node and the codec included, the
  playbook's start-up not).

Seconds are this machine's and never asserted; the median of ``repeats`` is reported.
"""

import json
import os
import secrets
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))

from ansible_run import COLLECTIONS, run_playbook  # noqa: E402
from stores import Ca, jks_bytes, keytool_import_ca, keytool_list, write_file  # noqa: E402

sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import (  # noqa: E402
    Request,
    TrustStore,
    apply_requests,
    load_certificates,
)

SECTION = "## One certificate into a large JKS"
ALIAS = "bench-new-ca"


class JksFailure(Exception):
    """A way did not leave the store with every old entry and the new one."""


def _check(path, password, before, new):
    entries = keytool_list(path, password)
    if entries != dict(before, **{ALIAS: ("trustedCertEntry", new.sha256)}):
        raise JksFailure("%s does not hold the %d entries and %s after the import" % (path, len(before), ALIAS))


def _codec(path, password, new):
    with open(path, "rb") as handle:
        store = TrustStore.load(handle.read(), "jks", password, path)
    apply_requests(store, [Request(alias=ALIAS, certificate=load_certificates(new.pem, "bench")[0])], "present")
    write_file(path, store.dump(password))


def _ansible(path, password, new, directory):
    times = os.path.join(directory, "task-times.jsonl")
    if os.path.exists(times):
        os.unlink(times)
    task = {"name": "import", "datafabric.crosscluster.truststore_import": {
        "path": path, "password": "{{ lookup('ansible.builtin.env', 'BENCH_STOREPASS') }}", "companions": False,
        "certificates": [{"alias": ALIAS, "pem": new.pem}]}}
    run_playbook([{"hosts": "all", "gather_facts": False, "tasks": [task]}], tmp_dir=directory,
                 secret_env={"BENCH_STOREPASS": password},
                 env={"ANSIBLE_CALLBACKS_ENABLED": "task_times", "DATAFABRIC_TASK_TIMES": times}).expect_ok()
    with open(times, encoding="utf-8") as handle:
        events = [json.loads(line) for line in handle if line.strip()]
    return events[-1]["time"] - events[0]["time"]


def measure(directory, entries=200, repeats=3, password=None):
    """Median seconds of each way, with the store's size."""
    os.makedirs(directory, exist_ok=True)
    password = password or "bench-" + secrets.token_urlsafe(12)
    cas = dict(("bench-ca-%03d" % n, Ca("bench CA %03d" % n)) for n in range(entries))
    new = Ca("bench new CA")
    data = jks_bytes(password, cas)
    seconds = dict(keytool=[], codec=[], ansible=[])
    before = None
    for repeat in range(repeats):
        for way in seconds:
            path = os.path.join(directory, "%s-%d.jks" % (way, repeat))
            write_file(path, data)
            before = before or keytool_list(path, password)
            if way == "ansible":
                # The task's own time (the task_times callback), without ansible-playbook's start-up.
                seconds[way].append(_ansible(path, password, new, directory))
            else:
                started = time.monotonic()
                if way == "keytool":
                    keytool_import_ca(path, password, ALIAS, new, "JKS", directory)
                else:
                    _codec(path, password, new)
                seconds[way].append(time.monotonic() - started)
            _check(path, password, before, new)
    return dict(entries=entries, store_bytes=len(data), repeats=repeats,
                seconds=dict((way, statistics.median(values)) for way, values in seconds.items()))


def markdown(figures):
    s = figures["seconds"]
    # Unrounded seconds: the codec on a small store can take well under a millisecond, which
    # rounded first would be a ratio over zero.
    rows = [("`keytool -importcert` on the node (a JVM start included)", s["keytool"], 1.0),
            ("the collection's codec alone (open, add, write; what truststore_import does on the controller)",
             s["codec"], s["keytool"] / s["codec"]),
            ("one `truststore_import` task through Ansible on localhost (its node call included)",
             s["ansible"], s["keytool"] / s["ansible"])]
    return "\n".join([
        SECTION, "",
        "A JKS of %d trusted certificates (%d bytes), one more certificate in; median of %d, every result read "
        "back with keytool. `make bench` (tests/bench_jks.py)." % (figures["entries"], figures["store_bytes"],
                                                                   figures["repeats"]), "",
        "| way | seconds | keytool / this |", "| --- | --- | --- |"]
        + ["| %s | %.3f | %.2fx |" % (name, secs, ratio) for name, secs, ratio in rows]) + "\n"
