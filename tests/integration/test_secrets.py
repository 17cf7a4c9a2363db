"""No secret reaches a command line, a log (even at -vvvv), a return value or a file left behind.

The main playbook builds all trust on an ssh-mode lab at -vvvv with ANSIBLE_LOG_PATH set, while
every process's command line is sampled; afterwards the output, the log, the sampled command lines
and every file under the run's directories and each node's /tmp are searched for every store,
owner and cross-cluster password and every ticket blob the nodes now hold.
"""

import os

from labplay import run
from leakscan import scan
from procwatch import ProcessWatch

pytest_plugins = ["lab.fixtures"]


def _ticket_blobs(lab):
    blobs = {}
    for cluster in lab.clusters:
        for host in cluster.cldb_hosts:
            with open(lab.node_path(host, "conf/maprserverticket")) as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        blobs["ticket %s:%d" % (host, number)] = line.split()[1]
    return blobs


def test_nothing_secret_is_left_anywhere_after_a_full_run(make_lab, tmp_path):
    lab = make_lab(nodes=2, mode="ssh")
    log_path = str(tmp_path / "ansible.log")
    with ProcessWatch() as watch:
        result = run(lab, "all", verbosity=4, env={"ANSIBLE_LOG_PATH": log_path})
    result.expect_ok()
    secrets = _ticket_blobs(lab)
    # One crosscluster ticket from each peer beside each CLDB node's own server ticket.
    assert len(secrets) == 2 * len(lab.clusters)
    for cluster in lab.clusters:
        secrets.update({"%s store password" % cluster.name: cluster.store_password,
                        "%s owner password" % cluster.name: cluster.owner_password,
                        "%s cross-cluster password" % cluster.name: cluster.xcs_password,
                        "%s check user's password" % cluster.name: cluster.check_password})
    directories = [result.run_dir] + [os.path.join(lab.node_root(h), "tmp") for h in lab.hosts]
    leaks = scan("main playbook, type all, ssh-mode lab, -vvvv", secrets, result, watch, directories, log_path)
    assert leaks == []


def test_the_scan_finds_a_secret_wherever_it_is(tmp_path):
    """The scan itself can fail: a secret planted in each place is found there."""
    from types import SimpleNamespace
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "left-behind").write_bytes(b"x PLANTED-FILE y")
    log = tmp_path / "ansible.log"
    log.write_text("... PLANTED-LOG ...")
    result = SimpleNamespace(output="-vvvv PLANTED-OUT")
    watch = SimpleNamespace(cmdlines={"kinit PLANTED-ARGV"}, ps_samples=[])
    secrets = {name: "PLANTED-" + name for name in ("FILE", "LOG", "OUT", "ARGV", "NOWHERE")}
    leaks = scan("self-test", secrets, result, watch, [str(tmp_path)], str(log), record_it=False)
    assert set(label for label, _place in leaks) == {"ARGV", "FILE", "LOG", "OUT"}
