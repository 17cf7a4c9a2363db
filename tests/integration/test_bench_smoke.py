"""`make bench`'s mesh scenario, small enough for `make test`, so the bench cannot rot.

The bench's own functions on a 3-cluster mesh of one node each (local mode): the first run
converges with one call per file and node, the independent check finds every peer's line, CA and
ticket, and the re-run changes nothing; and the import into a large JKS, with 5 entries. Behaviour
only: the bench's timings are never asserted.
"""

import secrets

import bench
import bench_jks
import pytest
from lab.labkit import Lab
from stores import Ca, keytool_list

CLUSTERS = 3
PEERS = CLUSTERS - 1


def test_mesh_smoke_converges_and_reruns_without_change(tmp_path):
    figures = bench.measure_mesh(str(tmp_path / "lab"), clusters=CLUSTERS, nodes=1, mode="local",
                                 log_dir=str(tmp_path), say=lambda *_: None)

    for module in bench.FILE_MODULES:
        assert figures["first_run_file_module_calls"][module] == dict(max_per_node=1, nodes=CLUSTERS), module
    assert figures["first_run_changed_hosts"] == CLUSTERS
    assert figures["first_run_verify"] == dict(logins=CLUSTERS * PEERS, server_calls=CLUSTERS * PEERS)
    check = figures["independent_check"]
    assert (check["nodes"], check["cldb_nodes"]) == (CLUSTERS, CLUSTERS)
    for key in ("peer_lines", "peer_cas_ssl_truststore", "peer_cas_ssl_truststore.p12",
                "peer_cas_ssl_truststore.pem", "peer_tickets"):
        assert check[key] == CLUSTERS * PEERS, key
    assert figures["rerun_file_module_calls"] == 0
    assert sorted(figures["rerun_modules_per_node"]["by_host"]) == ["a1", "b1", "c1"]
    assert not (tmp_path / "lab").exists(), "the bench left its lab behind"

    # The outputs: the JSON, and a mesh section that a second write replaces instead of repeating.
    markdown = tmp_path / "performance.md"
    markdown.write_text("# Performance\n\n## Other\n\nkept\n", encoding="utf-8")
    for _run in range(2):
        bench.write_mesh_outputs(figures, str(tmp_path / "out" / "mesh.json"), str(markdown))
    text = markdown.read_text(encoding="utf-8")
    assert text.count(bench.MESH_SECTION) == 1 and "## Other\n\nkept\n" in text
    assert "changed=0 on all %d nodes" % CLUSTERS in text
    assert (tmp_path / "out" / "mesh.json").exists()


def test_mesh_check_is_not_vacuous(tmp_path):
    """On a lab without trust the independent check names every missing line, CA and ticket."""
    with Lab(str(tmp_path / "lab"), clusters=2, nodes=2, mode="local").up() as lab:
        problems, counted = bench.check_mesh(lab)
    assert counted["peer_lines"] == counted["peer_tickets"] == counted["peer_cas_ssl_truststore"] == 0
    assert len([p for p in problems if "mapr-clusters.conf names" in p]) == 4
    assert len([p for p in problems if "holds 1 certificates" in p]) == 4 * 3
    assert len([p for p in problems if "maprserverticket holds" in p]) == 2


RECAP = """PLAY RECAP *********
a1                         : ok=20   changed=0    unreachable=0    failed=0    skipped=9    rescued=0
b1                         : ok=20   changed=%d    unreachable=0    failed=0    skipped=9    rescued=0
"""


def test_a_rerun_that_changes_anything_is_named():
    clean = bench.recap(type("Result", (), {"stdout": RECAP % 0})())
    assert clean == {"a1": dict(ok=20, changed=0, unreachable=0, failed=0),
                     "b1": dict(ok=20, changed=0, unreachable=0, failed=0)}
    state = {"a1:mapr-clusters.conf": "1", "b1:mapr-clusters.conf": "2"}
    assert bench.rerun_problems(clean, [], ["a1", "b1"], state, dict(state)) == []

    dirty = bench.recap(type("Result", (), {"stdout": RECAP % 2})())
    assert bench.rerun_problems(dirty, ["b1"], ["a1", "b1"], state, dict(state, **{"b1:mapr-clusters.conf": "3"})) \
        == ["b1: changed=2 unreachable=0 failed=0", "tasks reported a change on b1",
            "files changed: b1:mapr-clusters.conf"]
    assert bench.rerun_problems(clean, [], ["a1", "b1", "c1"], state, state) \
        == ["the recap names ['a1', 'b1'], not the lab's hosts ['a1', 'b1', 'c1']"]


def test_a_second_call_per_file_is_named():
    calls = {"a1": dict.fromkeys(bench.FILE_MODULES, 1), "b1": dict(dict.fromkeys(bench.FILE_MODULES, 1),
                                                                    peer_trust=2)}
    assert bench.repeated_file_calls(calls) == {"b1": {"peer_trust": 2}}


def test_compare_smoke_builds_checks_and_reruns_without_change(tmp_path):
    """The side-by-side bench's collection side on 2 x 2 local nodes (no baseline: it needs community.general)."""
    import bench_compare

    figures = bench_compare.measure_side(str(tmp_path / "lab"), nodes=2, side="collection", forks=5, mode="local")
    assert figures["nodes"] == 4 and figures["side"] == "collection"
    # A re-run with nothing to change reads each node once (and a CLDB node its tickets; the node that
    # speaks for its cluster also probes the peer's CLDBs): the targets are 2 and 4.
    assert sorted(figures["modules_by_host"]) == ["a1", "a2", "b1", "b2"]
    assert figures["modules_typical"] <= 2 and figures["modules_busiest"] <= 4, figures
    assert all(figures[key] > 0 for key in ("floor", "first", "rerun", "first_cpu", "rerun_cpu"))
    assert not (tmp_path / "lab").exists(), "the bench left its lab behind"

    markdown = tmp_path / "performance.md"
    markdown.write_text("# Performance\n\n## Other\n\nkept\n", encoding="utf-8")
    row = dict(nodes_per_cluster=2, baseline=figures, collection=figures, first_ratio=1.0, rerun_ratio=1.0,
               rerun_cpu_ratio=1.0, rerun_over_floor=round(figures["rerun"] / figures["floor"], 2))
    for _run in range(2):
        bench.replace_section(str(markdown), bench_compare.SECTION,
                              bench_compare.markdown([row], bench.machine_facts()))
    text = markdown.read_text(encoding="utf-8")
    assert text.count(bench_compare.SECTION) == 1 and "## Other\n\nkept\n" in text
    assert "\n| 2 | " in text


def test_jks_smoke_imports_one_certificate_three_ways_and_checks_each(tmp_path):
    password = "smoke-" + secrets.token_urlsafe(8)
    figures = bench_jks.measure(str(tmp_path / "jks"), entries=5, repeats=1, password=password)
    assert (figures["entries"], sorted(figures["seconds"])) == (5, ["ansible", "codec", "keytool"])
    assert "| `keytool -importcert`" in bench_jks.markdown(figures)
    # The check behind each way fails a store that holds another certificate under the new alias.
    store = str(tmp_path / "jks" / "ansible-0.jks")
    before = dict((alias, entry) for alias, entry in keytool_list(store, password).items()
                  if alias != bench_jks.ALIAS)
    with pytest.raises(bench_jks.JksFailure):
        bench_jks._check(store, password, before, Ca("another CA"))


def test_fleet_lab_smoke_measures_both_runs_and_writes_its_section(tmp_path):
    """The fleet's lab run (bench --fleet-lab) on 2 clusters of 1 node: both runs measured, the re-run
    checked to change nothing, the growth worked out, the section written once."""
    import bench_fleet

    assert bench._sizes("16x10, 16x30") == [(16, 10), (16, 30)] and bench._sizes("0") == []
    rows = bench_fleet.measure_lab(str(tmp_path / "lab"), [(2, 1)])
    assert [(row["clusters"], row["nodes"]) for row in rows] == [(2, 2)]
    for label in ("first", "rerun"):
        assert rows[0][label]["seconds"] > 0 and rows[0][label]["cpu_ms_per_node"] > 0, label
    assert not (tmp_path / "lab" / "2x1").exists(), "the bench left its lab behind"
    doubled = [rows[0], dict(rows[0], nodes_per_cluster=2, nodes=4)]
    assert bench_fleet.lab_growth(doubled) == dict(first=1.0, rerun=1.0)

    markdown = tmp_path / "performance.md"
    markdown.write_text("# Performance\n\n## Other\n\nkept\n", encoding="utf-8")
    for _run in range(2):
        bench.replace_section(str(markdown), bench_fleet.LAB_SECTION,
                              bench_fleet.lab_markdown(doubled, bench.machine_facts()))
        bench.replace_section(str(markdown), bench_fleet.SECTION,
                              bench_fleet.markdown([bench_fleet.measure(2, 1, states=("first",))],
                                                   bench.machine_facts()))
    text = markdown.read_text(encoding="utf-8")
    assert text.count(bench_fleet.LAB_SECTION) == 1 and text.count(bench_fleet.SECTION) == 1
    assert "## Other\n\nkept\n" in text and "\n| 2 x 1 | " in text and "\n| 2 x 2 | " in text
    # The command line it shows is the one that measured these sizes.
    assert 'BENCH_ARGS="--fleet-lab 2x1,2x2"' in text
