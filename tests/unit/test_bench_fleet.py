"""The fleet benchmark's builder (tests/bench_fleet.py) yields real plans, so the benchmark measures real planning.

3 clusters x 4 nodes (3 of them CLDB nodes) in a mesh: on the first run every node is planned the two
peers' lines and CAs and every CLDB node the peers' tickets, one generator per cluster; once converged,
nothing at all. Behaviour only; the benchmark's timings are never asserted.
"""

import bench_fleet  # tests/, on the path through tests/conftest.py
import pytest

CLUSTERS, NODES = 3, 4
DOMAINS = ["a.example.com", "b.example.com", "c.example.com"]


@pytest.fixture(scope="module")
def first():
    return bench_fleet.run_stages(bench_fleet.build_fleet(CLUSTERS, NODES, "first"))


@pytest.fixture(scope="module")
def converged():
    return bench_fleet.run_stages(bench_fleet.build_fleet(CLUSTERS, NODES, "converged"))


def test_the_fleet_is_a_mesh_of_every_cluster_with_its_cldb_groups():
    fleet = bench_fleet.build_fleet(CLUSTERS, NODES)
    assert fleet["trusts"] == [{"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "all"}]
    assert fleet["groups"]["cluster_b"] == ["b0001", "b0002", "b0003", "b0004"]
    assert fleet["groups"]["cluster_b_cldb"] == ["b0001", "b0002", "b0003"]
    assert len(fleet["play_hosts"]) == CLUSTERS * NODES
    # Every host has its own copy of its facts, as Ansible's hostvars do.
    facts = [fleet["hostvars"][h]["ansible_facts"]["mapr_security"] for h in ("a0001", "a0002")]
    assert facts[0] == dict(facts[1], is_cldb=True) and facts[0] is not facts[1]


def test_the_gate_passes_and_every_node_gets_both_peers_lines_and_cas(first):
    assert first["gate"]["problems"] == [] and first["gate"]["warnings"] == []
    for host, plan in first["user_plan"].items():
        mine = "abc".index(host[0])
        peers = [d for i, d in enumerate(DOMAINS) if i != mine]
        assert [line.split()[0] for line in plan["conf_lines"]] == peers, host
        assert [cert["alias"].rsplit("-", 1)[0] for cert in plan["certificates"]] == peers, host
        assert plan["conf_changes"] and plan["truststore_changes"], host


def test_each_cluster_generates_once_and_every_cldb_node_wants_both_peers_tickets(first):
    plans = first["server_plan"]
    assert sorted(h for h, p in plans.items() if p["generate"]) == ["a0001", "b0001", "c0001"]
    assert dict(plans["b0003"], changes=None) == dict(generate=False, wanted_from=["a0001", "c0001"], remove=[],
                                                      changes=None)
    assert [change[:3] for change in plans["b0003"]["changes"]] == [["cluster_a", "ticket", "missing"],
                                                                    ["cluster_c", "ticket", "missing"]]
    assert plans["b0004"] == dict(generate=False, wanted_from=[], remove=[], changes=[])


def test_the_topology_summary_and_report_cover_every_node(first):
    peers = ["cluster_a", "cluster_b"]
    assert first["topology"]["c0004"]["peers"] == {"user": peers, "server": peers}
    assert len([line for line in first["summary"] if line.startswith("user trust")]) == CLUSTERS * (CLUSTERS - 1)
    assert first["drift_report"]["status"] == "drift"
    assert len(first["drift_report"]["drifted_nodes"]) == CLUSTERS * NODES
    assert "cluster_a" in first["drift_markdown"]


def test_a_converged_fleet_plans_nothing_and_reports_clean(converged):
    assert not any(p["conf_changes"] or p["truststore_changes"] for p in converged["user_plan"].values())
    assert not any(p["generate"] or p["wanted_from"] for p in converged["server_plan"].values())
    assert converged["drift_report"]["status"] == "clean", converged["drift_report"]["findings"][:3]


def test_measure_reports_every_stage_each_part_and_its_memory_against_the_goal():
    figures = bench_fleet.measure(2, 2, states=("first",))
    state = figures["states"]["first"]
    assert sorted(state["seconds"]) == sorted(bench_fleet.STAGES)
    # The two parts a user meets apart: the main playbook's stages, then the report playbook's.
    assert [stage for _part, stages in bench_fleet.PARTS for stage in stages] == list(bench_fleet.STAGES)
    assert state["part_seconds"]["report"] == round(state["seconds"]["drift_report"]
                                                    + state["seconds"]["drift_markdown"], 3)
    assert sorted(state["part_cpu_seconds"]) == ["main", "report"]
    assert state["inputs_mib"] > 0 and state["ru_maxrss_mib"] > 0
    assert state["part_peak_mib"]["main"] > 0 and state["part_peak_mib"]["report"] > 0
    assert state["goal_met"] == {"main": True, "report": True}
    text = bench_fleet.markdown([figures], dict(nproc=2, python="3", loadavg=[1, 1, 1]))
    assert "| 2 x 2 | first |" in text and "first: main playbook met (" in text


def test_a_part_over_the_goal_is_named_not_met():
    figures = bench_fleet.measure(2, 2, states=("first",))
    state = figures["states"]["first"]
    state["part_seconds"]["report"], state["goal_met"]["report"] = 7.5, False
    text = bench_fleet.markdown([figures], dict(nproc=2, python="3", loadavg=[1, 1, 1]))
    assert "report playbook NOT met (7.50 s, " in text
