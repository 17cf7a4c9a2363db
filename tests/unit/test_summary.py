"""The closing summary with the run's plans: what they found to change, counted over a fleet, and why.

Real plans, from the fleet benchmark's builder (real CAs, the planner through the filters the roles
call), so the reasons are the planner's own; the aggregation's edge cases on hand-made plans.
"""

import bench_fleet  # tests/, on the path through tests/conftest.py
import pytest

from ansible_collections.datafabric.crosscluster.plugins.filter.trust import trust_summary
from ansible_collections.datafabric.crosscluster.plugins.module_utils import _summary as summary

CLUSTERS, NODES = 3, 5
# What must never reach the summary: the password the bench's inventory sets, and a ticket.
TICKET = "c2VjcmV0LXRpY2tldC1ibG9i"


def _summary(fleet, found, **options):
    """The summary of ``fleet`` given the plans ``found`` (``run_stages``')."""
    trusts, hostvars, groups, hosts = (fleet[k] for k in ("trusts", "hostvars", "groups", "play_hosts"))
    return trust_summary(trusts, hostvars, groups, hosts, user_plan=found["user_plan"],
                         server_plan=found["server_plan"], **options)


def _run(state):
    """The summary of a fleet in ``state`` given both plans, the plans, and the fleet."""
    fleet = bench_fleet.build_fleet(CLUSTERS, NODES, state)
    found = bench_fleet.run_stages(fleet)
    return _summary(fleet, found), found, fleet


@pytest.fixture(scope="module")
def first():
    return _run("first")


def _under(lines, heading):
    """The indented lines right under the line starting with ``heading``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1
    found = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        found.append(line.strip())
    return found


def test_a_first_run_says_under_each_direction_what_every_node_lacks_and_why(first):
    lines, _plans, _fleet = first
    assert _under(lines, "user trust   cluster_a -> cluster_b") == [
        "line missing on 5 of 5 nodes (a0001, a0002, a0003 and 2 more): mapr-clusters.conf lacks cluster_b's line "
        "(b.example.com)",
        "certificate missing on 5 of 5 nodes (a0001, a0002, a0003 and 2 more): ssl_truststore, ssl_truststore.p12, "
        "ssl_truststore.pem lack cluster_b's CA CN=CA of cluster_b (sha256 %s)" % _short_sha(first, "b")]
    assert _under(lines, "server trust cluster_c -> cluster_a") == [
        "ticket missing on 3 of 3 CLDB nodes (c0001, c0002 and c0003): maprserverticket has no ticket for "
        "a.example.com (user mapr)"]
    assert "plan: nothing to add, replace or remove on any node" not in lines
    assert not [line for line in lines if line.startswith("check mode")]


def test_in_check_mode_the_reasons_are_said_to_be_what_a_run_would_change(first):
    lines, plans, fleet = first
    checked = _summary(fleet, plans, check_mode=True)
    assert checked == lines + ["check mode: nothing was changed; the plans' reasons above are what a run would change"]
    # Nothing to change: the plan's verdict, not a check-mode note about reasons there are none of.
    converged = bench_fleet.build_fleet(CLUSTERS, NODES, "converged")
    assert _summary(converged, bench_fleet.run_stages(converged), check_mode=True)[-1] == \
        "plan: nothing to add, replace or remove on any node"


def _short_sha(first, letter):
    _lines, plans, _fleet = first
    cert = next(c for c in plans["user_plan"]["a0001"]["certificates"] if c["alias"].startswith(letter + "."))
    return cert["sha256"][:12]


def test_a_converged_fleet_has_no_reason_and_says_so():
    lines, _plans, _fleet = _run("converged")
    assert not [line for line in lines if line.startswith("    ")]
    assert lines[-1] == "plan: nothing to add, replace or remove on any node"


def test_only_the_nodes_that_lack_something_are_counted_and_named():
    fleet = bench_fleet.build_fleet(CLUSTERS, NODES, "converged")
    facts = fleet["hostvars"]["b0004"]["ansible_facts"]["mapr_security"]
    facts["conf_lines"] = [line for line in facts["conf_lines"] if not line.startswith("c.example.com")]
    lines = _summary(fleet, bench_fleet.run_stages(fleet))
    reason = "line missing on 1 of 5 nodes (b0004): mapr-clusters.conf lacks cluster_c's line (c.example.com)"
    assert [line.strip() for line in lines if line.startswith("    ")] == [reason]
    assert _under(lines, "user trust   cluster_b -> cluster_c") == [reason]


def test_the_reasons_are_bounded_and_the_rest_counted(first):
    lines, plans, fleet = first
    everything = [line for line in lines if line.startswith("    ")]
    # 6 directions: a line and a certificate each for user trust, a ticket for server trust.
    assert len(everything) == 6 * 3
    bounded = _summary(fleet, plans, max_reason_lines=4)
    assert [line for line in bounded if line.startswith("    ")] == everything[:4]
    assert bounded[-1].startswith("... and 14 more lines of the plans' reasons (max_reason_lines=4)")
    # Without plans, the summary is as before: no reason, no verdict on the plan.
    plain = trust_summary(fleet["trusts"], fleet["hostvars"], fleet["groups"], fleet["play_hosts"])
    assert plain == [line for line in lines if not line.startswith("    ")]


def test_no_secret_reaches_a_reason():
    fleet = bench_fleet.build_fleet(CLUSTERS, NODES, "first")
    password = fleet["hostvars"]["a0001"]["mapr_truststore_password"]
    # A held ticket as a print result could carry it: the plan reads its cluster, user and times only.
    for variables in fleet["hostvars"].values():
        for ticket in (variables.get("__server_trust_held") or {}).get("tickets") or ():
            ticket["ticket"] = TICKET
    lines = _summary(fleet, bench_fleet.run_stages(fleet))
    reasons = [line for line in lines if line.startswith("    ")]
    assert reasons and any("ticket" in line for line in reasons)
    assert not [line for line in lines if password in line or TICKET in line]


def test_a_revoke_says_what_goes_and_not_what_is_left_alone():
    plan = {"a1": {"changes": [["cluster_b", "line", "revoked", "mapr-clusters.conf still holds the line of "
                                "cluster_b (b.ex), whose trust is revoked"]]},
            "a2": {"changes": []}}
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user", "state": "absent"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"]}
    lines = trust_summary(trusts, {"a1": {}, "a2": {}, "b1": {}}, groups, ["a1", "a2", "b1"], user_plan=plan,
                          server_plan={})
    assert lines[:2] == [
        "user trust   cluster_a -> cluster_b: 2 nodes of cluster_a no longer reach or trust cluster_b",
        "    line of a revoked peer to remove on 1 of 2 nodes (a1): mapr-clusters.conf still holds the line of "
        "cluster_b (b.ex), whose trust is revoked"]


def test_a_node_is_counted_once_per_item_and_state_whatever_its_number_of_items():
    chain = [["cluster_b", "certificate", "missing", "root"], ["cluster_b", "certificate", "missing", "issuing"]]
    found = summary.aggregate([("user", {"a1": {"changes": chain}, "a2": {"changes": chain[1:]},
                                         "a3": {"changes": []}})], lambda host: "cluster_a")
    entry = found[("cluster_a", "user", "cluster_b")][("certificate", "missing")]
    assert (entry["nodes"], entry["examples"], entry["message"]) == (2, ["a1", "a2"], "root")


@pytest.mark.parametrize("examples, count, words", [
    (["a1"], 1, "a1"),
    (["a1", "a2"], 2, "a1 and a2"),
    (["a1", "a2", "a3"], 3, "a1, a2 and a3"),
    (["a1", "a2", "a3"], 1000, "a1, a2, a3 and 997 more"),
])
def test_nodes_are_named_up_to_three_then_counted(examples, count, words):
    assert summary.named(examples, count) == words


def test_a_reason_of_a_direction_the_trust_list_does_not_have_is_still_said():
    # A plan made for another trust list than the summary's: its reasons are not dropped.
    plan = {"a1": {"changes": [["cluster_c", "line", "missing", "mapr-clusters.conf lacks cluster_c's line (c.ex)"]]}}
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    groups = {"cluster_a": ["a1"], "cluster_b": ["b1"]}
    lines = trust_summary(trusts, {"a1": {}, "b1": {}}, groups, ["a1", "b1"], user_plan=plan)
    assert lines[-2:] == ["user trust of cluster_a -> cluster_c, as planned:",
                          "    line missing on 1 of 1 nodes (a1): mapr-clusters.conf lacks cluster_c's line (c.ex)"]


JKS_STORES = {"ssl_truststore": {"exists": True}, "ssl_truststore.p12": {"exists": True},
              "ssl_truststore.pem": {"exists": True}}
FIPS_STORES = {"ssl_truststore.bcfks": {"exists": True}, "ssl_truststore.pem": {"exists": True},
               "ssl_truststore": {"exists": False}}


def test_the_summary_says_which_store_formats_each_clusters_nodes_have_once_fips_nodes_take_part():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    groups = {"cluster_a": ["a%d" % i for i in range(1, 1001)], "cluster_b": ["b1", "b2"]}
    hosts = groups["cluster_a"] + groups["cluster_b"]
    facts = dict((h, {"stores": FIPS_STORES if h in ("a2", "b1", "b2") else JKS_STORES}) for h in hosts)
    lines = trust_summary(trusts, dict((h, {}) for h in hosts), groups, hosts, facts=facts)
    stores = [line for line in lines if line.startswith("stores")]
    # One line per cluster, each format with a few of its nodes: bounded however big the cluster.
    assert stores == ["stores       cluster_a: JKS + PKCS12 + PEM: a1, a3, a4 and 996 more; FIPS (BCFKS + PEM): a2",
                      "stores       cluster_b: FIPS (BCFKS + PEM): b1 and b2"]
    # Without a FIPS node every node has the same formats: nothing to say.
    plain = dict((h, {"stores": JKS_STORES}) for h in hosts)
    lines = trust_summary(trusts, dict((h, {}) for h in hosts), groups, hosts, facts=plain)
    assert not [line for line in lines if line.startswith("stores")]


def test_a_node_s_store_format_is_the_stores_it_has_of_those_its_mode_keeps():
    assert summary.store_format({"stores": FIPS_STORES}) == ("FIPS (BCFKS + PEM)",
                                                             ["ssl_truststore.bcfks", "ssl_truststore.pem"])
    # A PKCS12 sibling the node lacks is not named; a node with no store at all says so.
    only_jks = {"stores": {"ssl_truststore": {"exists": True}, "ssl_truststore.pem": {"exists": True}}}
    assert summary.store_format(only_jks)[0] == "JKS + PEM"
    assert summary.store_format({"stores": {}})[0] == "no truststore"
    formats = summary.store_formats(["a1", "a2", "a3"], {"a1": {"stores": JKS_STORES}, "a3": {"stores": FIPS_STORES}})
    assert [(f["format"], f["fips"], f["nodes"]) for f in formats] == [
        ("JKS + PKCS12 + PEM", False, ["a1"]), ("FIPS (BCFKS + PEM)", True, ["a3"])]
