"""The one model of the fleet (module_utils/_world.py): each question answered by one rule, from its inputs only."""

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import World, alias_cluster, trust_alias

SHA_A, SHA_B = "a" * 64, "b" * 64
GROUPS = {"cluster_a": ["a1", "a2", "a3"], "cluster_a_cldb": ["a2", "a1"], "cluster_b": ["b1", "b2"],
          "cluster_b_cldb": ["b1"], "other": ["x1"]}
PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]


def _facts(letter, cldb=False, sha=None, line=None):
    return {"cluster_name": "%s.ex" % letter, "is_cldb": cldb,
            "conf_line": line or "%s.ex secure=true n%s1:7222" % (letter, letter),
            "cldb_hosts": ["n%s1:7222" % letter], "cldb_https_port": 7443,
            "own_ca": {"certificates": [{"sha256": sha or (SHA_A if letter == "a" else SHA_B), "pem": "PEM"}],
                       "error": None}}


def _inventory(name_a="a.ex", name_b="b.ex", pin_b=None):
    return {"cluster_a": dict((h, {"mapr_cluster_name": name_a, "mapr_ca_sha256": None}) for h in GROUPS["cluster_a"]),
            "cluster_b": dict((h, {"mapr_cluster_name": name_b, "mapr_ca_sha256": pin_b}) for h in GROUPS["cluster_b"])}


def test_a_malformed_trust_list_is_an_error_naming_its_first_problem():
    with pytest.raises(CrossclusterError, match="has no type"):
        World([{"clusters": ["cluster_a", "cluster_b"]}], GROUPS, [])


def test_the_speaker_is_the_first_known_node_in_inventory_order():
    world = World(PAIR, GROUPS, ["a3", "a2", "b2"])
    assert [world.speaker(g) for g in ("cluster_a", "cluster_b")] == ["a2", "b2"]
    assert world.nodes("cluster_a") == ["a2", "a3"]
    assert World(PAIR, GROUPS, ["a1"]).speaker("cluster_b") is None
    assert world.scope() == ["a1", "a2", "a3", "b1", "b2"] and world.group_of("x1") is None


def test_a_cldb_node_is_what_its_facts_say_else_its_cldb_group():
    facts = {"a1": _facts("a", cldb=False), "a3": _facts("a", cldb=True)}
    world = World(PAIR, GROUPS, ["a1", "a2", "a3", "b1"], facts)
    # a1 is listed in the CLDB group but says it runs none; a3 is not listed but runs one; a2 reported nothing.
    assert [h for h in ("a1", "a2", "a3", "b1", "b2", "x1") if world.is_cldb(h)] == ["a2", "a3", "b1"]
    # The CLDB speaker: the first known CLDB node of the CLDB group (a2), not a1.
    assert world.cldb_speaker("cluster_a") == "a2"
    # Without any CLDB node in the CLDB group, the first CLDB node of the cluster acts.
    assert World(PAIR, GROUPS, ["a1", "a3"], facts).cldb_speaker("cluster_a") == "a3"
    assert World(PAIR, GROUPS, ["a1"], facts).cldb_speaker("cluster_a") is None


def test_the_name_comes_from_the_inventory_before_any_node():
    facts = {"a1": _facts("a"), "b1": dict(_facts("b"), cluster_name="evil.ex")}
    world = World(PAIR, GROUPS, ["a1", "b1"], facts, _inventory())
    assert world.name("cluster_b") == "b.ex"
    assert World(PAIR, GROUPS, ["a1", "b1"], facts).name("cluster_b") == "evil.ex"  # no inventory: the node's word
    assert World(PAIR, GROUPS, ["a1"], facts, _inventory()).name("cluster_b") is None  # no node left


def test_the_export_is_the_speakers_own_line_and_chain_under_the_alias_rule():
    facts = {"a1": _facts("a"), "b1": _facts("b", line="b.ex   secure=true\tnb1:7222 "), "b2": _facts("b")}
    world = World(PAIR, GROUPS, ["a1", "b1", "b2"], facts, _inventory())
    assert world.export("cluster_b") == {
        "group": "cluster_b", "cluster_name": "b.ex", "conf_line": "b.ex secure=true nb1:7222",
        "certificates": [{"alias": "b.ex-bbbbbbbbbbbb", "pem": "PEM", "sha256": SHA_B}]}
    assert world.reported_chain("cluster_b") == {SHA_B} and world.all_reported("cluster_b")
    assert not world.all_reported("cluster_a")  # a2 and a3 reported nothing


@pytest.mark.parametrize("facts, inventory, words", [
    ({"b1": _facts("b", line="c.ex secure=true nc1:7222")}, _inventory(), "names c.ex, but mapr_cluster_name is b.ex"),
    ({"b1": _facts("b"), "b2": _facts("b", sha="c" * 64)}, _inventory(), "issued by different CAs"),
    ({"b1": _facts("b")}, _inventory(pin_b="d" * 64), "its CA chain is not the one mapr_ca_sha256 pins"),
    ({"b1": dict(_facts("b"), own_ca={"certificates": [], "error": "no keystore"})}, _inventory(),
     "cluster_b: b1 cannot hand its CA to its peers: no keystore"),
    ({"b2": _facts("b")}, _inventory(), "b1, the node that acts for it, reported no facts"),
    ({}, _inventory(), "none of its nodes reported its facts"),
])
def test_an_export_the_inventory_or_the_other_nodes_contradict_is_refused(facts, inventory, words):
    world = World(PAIR, GROUPS, ["b1", "b2"], facts, inventory)
    export, why = world.export_or_why("cluster_b")
    assert export is None and words in why
    with pytest.raises(CrossclusterError, match=words.split(",")[0]):
        world.export("cluster_b")


def test_topology_gives_each_host_its_peers_and_each_speaker_its_peers_cldbs():
    trusts = PAIR + [{"clusters": ["cluster_a", "other"], "type": "user", "state": "absent"}]
    facts = {"a1": _facts("a", cldb=True), "b1": _facts("b", cldb=True), "b2": _facts("b")}
    who = World(trusts, GROUPS, ["a1", "b1", "b2", "x1"], facts).topology(["a1", "b1", "b2", "x1"])
    assert who["a1"]["peers"] == {"user": ["cluster_b"], "server": ["cluster_b"]}
    assert who["a1"]["revoked"] == {"user": ["other"], "server": []}
    assert who["a1"]["peer_speakers"] == {"cluster_b": "b1", "other": "x1"}
    assert [h for h in who if who[h]["speaks"]] == ["a1", "b1", "x1"]
    assert [h for h in who if who[h]["reads_tickets"]] == ["a1", "b1"]
    assert [t["host"] for t in who["a1"]["probes"]] == ["nb1"] and who["b2"]["probes"] == []
    assert who["x1"]["probes"] == []  # other's only peer is revoked


def test_the_alias_rule_and_its_inverse():
    assert trust_alias("B.Ex", SHA_B) == "b.ex-bbbbbbbbbbbb"
    assert alias_cluster("b.ex-bbbbbbbbbbbb", SHA_B) == "b.ex"
    assert alias_cluster("my-own-ca", SHA_B) is None
    assert alias_cluster("b.ex-bbbbbbbbbbbb", SHA_A) is None  # the alias of another certificate
    assert alias_cluster("B.EX-bbbbbbbbbbbb", SHA_B) is None  # the rule writes lower case
    assert alias_cluster(None, SHA_B) is None
