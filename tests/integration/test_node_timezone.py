"""Nodes whose clock zone is not UTC: the main playbook stays idempotent and the report clean.

`maprlogin print` writes ticket dates in the JVM's zone by its short name. Cluster a's nodes are in
Australia/Sydney (AEST/AEDT, a name the parser cannot place), cluster b's in Asia/Shanghai (CST, which
is also US Central, 14 hours off). The collection runs maprlogin with TZ=UTC; without that, the
second run would generate and merge a new crosscluster ticket (or fail on the refused zone) and the
report would not be clean.
"""

import json
import re
import subprocess

import pytest
from ansible_run import ROOT, start_playbook
from lab.labkit import Lab, cli, ssh_mode_unavailable
from labplay import changed_hosts, run

REPORT = str(ROOT / "playbooks" / "report.yml")
ZONES = {"a": "Australia/Sydney", "b": "Asia/Shanghai"}
# Java's (and the tz database's) short names for those zones.
NAMES = {"a": r"AE[SD]T", "b": r"CST"}
SERVER_TICKET = "/opt/mapr/conf/maprserverticket"


@pytest.fixture(scope="module")
def zoned_lab(tmp_path_factory):
    reason = ssh_mode_unavailable()
    if reason:
        pytest.skip(reason)
    lab = Lab(str(tmp_path_factory.mktemp("lab-zones")), clusters=2, nodes=3, mode="ssh", zones=ZONES)
    with lab.up():
        yield lab


def ssh(lab, host, command):
    return subprocess.run(lab.ssh_argv(host) + [command], capture_output=True, text=True, timeout=60, check=False)


def dates(printed):
    return re.findall(r"(?:created|expires|RenewalTill) = '([^']*)'", printed)


@pytest.mark.parametrize("host", ["a1", "a2", "b1", "b3"])
def test_a_session_on_the_node_sees_its_zone_and_maprlogin_prints_in_it(zoned_lab, host):
    # Through the node's sshd, as Ansible reaches it: the zone is the session's, not only run_on's.
    letter = host[0]
    session = ssh(zoned_lab, host, "echo $TZ; date +%Z; /opt/mapr/bin/maprlogin print -ticketfile " + SERVER_TICKET)
    assert session.returncode == 0, session.stderr
    tz, zone_name, printed = session.stdout.split("\n", 2)
    assert tz == ZONES[letter] and re.fullmatch(NAMES[letter], zone_name)
    found = dates(printed)
    assert len(found) == 3 and all(re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d %s \d{4}" % NAMES[letter], d)
                                   for d in found), printed
    # What the collection sees: TZ=UTC, the same instants written in UTC.
    forced = ssh(zoned_lab, host, "TZ=UTC /opt/mapr/bin/maprlogin print -ticketfile " + SERVER_TICKET)
    assert forced.returncode == 0 and all(" UTC " in d for d in dates(forced.stdout)), forced.stdout
    assert dates(forced.stdout) != found


def test_the_second_run_changes_nothing_and_the_report_is_clean(zoned_lab, tmp_path):
    first = run(zoned_lab, "all").expect_ok()
    assert changed_hosts(first) == sorted(zoned_lab.hosts)
    second = run(zoned_lab, "all").expect_ok()
    assert changed_hosts(second) == [], [
        (r["host"], r["task"]) for r in second.results if r["result"].get("changed")]

    extra = {"crosscluster_trusts": [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}],
             "report_dir": str(tmp_path)}
    report = start_playbook(REPORT, inventory=zoned_lab.inventory_path, connection=None,
                            extra_vars=extra).wait(300)
    assert report.rc == 0, report.describe()
    data = json.loads((tmp_path / "drift-report.json").read_text(encoding="utf-8"))
    assert (data["status"], data["drifted_nodes"], data["unknown_nodes"]) == ("clean", [], []), data["findings"]
    assert data["matrix"]["cells"]["cluster_a"]["cluster_b"]["server"] == "ok"
    assert data["matrix"]["cells"]["cluster_b"]["cluster_a"]["server"] == "ok"


def test_a_zone_is_refused_where_the_lab_cannot_give_it(tmp_path):
    with pytest.raises(ValueError, match="zones needs ssh mode"):
        Lab(str(tmp_path / "local"), mode="local", zones=ZONES)
    with pytest.raises(ValueError, match="'Australia/Sidney' is not a time zone"):
        Lab(str(tmp_path / "ssh"), mode="ssh", zones={"a": "Australia/Sidney"})


def test_the_command_line_takes_zones_and_refuses_a_bad_one(tmp_path, capsys):
    assert cli.main(["up", "--dir", str(tmp_path / "x"), "--zone", "a"]) == 1
    assert "--zone 'a': write KEY=ZONE" in capsys.readouterr().err
    assert cli.main(["up", "--dir", str(tmp_path / "y"), "--zone", "a=Australia/Sydney"]) == 1
    assert "zones needs ssh mode" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
