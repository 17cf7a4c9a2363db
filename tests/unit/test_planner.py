"""The user-trust planner: what each node must hold, from facts alone (no Ansible)."""

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils.errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils.planner import user_trust_plan

SHA = {letter: letter * 64 for letter in "abcdef"}
LINES = {"a": "a.ex secure=true na1:7222", "b": "b.ex secure=true nb1:7222 nb2:7222", "c": "c.ex secure=true nc1:7222"}
GROUPS = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"], "cluster_c": ["c1"], "other": ["x1"]}


def _store(*shas):
    return {"exists": True, "entries": [{"alias": "any", "sha256": s} for s in shas], "error": None}


def _facts(letter, held_lines=(), held=(), pem_held=None, chain=None):
    own = [{"sha256": SHA[x], "pem": "PEM-" + x} for x in (chain or letter)]
    return {"cluster_name": "%s.ex" % letter, "conf_line": LINES[letter],
            "conf_lines": [LINES[letter]] + list(held_lines),
            "own_ca": {"certificates": own, "error": None},
            "truststores": {"ssl_truststore": _store(SHA[letter], *held),
                            "ssl_truststore.p12": _store(SHA[letter], *held),
                            "ssl_truststore.pem": _store(SHA[letter], *(held if pem_held is None else pem_held))}}


def _world(**overrides):
    facts = {"a1": _facts("a"), "a2": _facts("a"), "b1": _facts("b"), "c1": _facts("c"), "x1": _facts("c")}
    facts.update(overrides)
    return facts


PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]


def test_each_node_gets_every_peers_line_and_own_chain_under_the_alias_rule():
    trusts = PAIR + [{"clusters": ["cluster_c", "cluster_a"], "type": "user"}]
    plan = user_trust_plan(trusts, GROUPS, _world(c1=_facts("c", chain="ce")))
    assert plan["a1"]["conf_lines"] == [LINES["b"], LINES["c"]]
    assert [c["alias"] for c in plan["a1"]["certificates"]] == ["b.ex-bbbbbbbbbbbb", "c.ex-cccccccccccc",
                                                               "c.ex-eeeeeeeeeeee"]
    assert plan["b1"]["conf_lines"] == [LINES["a"]] and plan["c1"]["conf_lines"] == [LINES["a"]]
    assert plan["a1"]["truststore_changes"] and plan["a1"]["conf_changes"]


def test_server_only_trust_and_nodes_outside_every_trust_hold_nothing():
    plan = user_trust_plan([{"clusters": ["cluster_a", "cluster_b"], "type": "server"}], GROUPS, _world())
    assert plan["a1"] == dict(group="cluster_a", conf_lines=[], certificates=[], conf_changes=False,
                              truststore_changes=False)
    assert plan["x1"]["group"] is None and plan["x1"]["certificates"] == []


def test_a_node_holding_everything_needs_no_write():
    b_line = "b.ex  secure=true   nb1:7222 nb2:7222"  # other spacing, same meaning
    plan = user_trust_plan(PAIR, GROUPS, _world(a1=_facts("a", held_lines=[b_line], held=[SHA["b"]])))
    assert plan["a1"]["conf_changes"] is False and plan["a1"]["truststore_changes"] is False
    assert plan["a2"]["conf_changes"] is True and plan["a2"]["truststore_changes"] is True


@pytest.mark.parametrize("node, what", [
    (_facts("a", held_lines=["b.ex secure=true nb2:7222 nb1:7222"], held=[SHA["b"]]), "conf_changes"),
    (_facts("a", held_lines=["b.ex secure=false nb1:7222 nb2:7222"], held=[SHA["b"]]), "conf_changes"),
    (_facts("a", held_lines=[LINES["b"]], held=[SHA["b"]], pem_held=[]), "truststore_changes"),
    (_facts("a", held_lines=[LINES["b"]], held=[SHA["c"]]), "truststore_changes"),
])
def test_a_node_lacking_anything_is_written(node, what):
    plan = user_trust_plan(PAIR, GROUPS, _world(a1=node))
    assert plan["a1"][what] is True
    other = "truststore_changes" if what == "conf_changes" else "conf_changes"
    assert plan["a1"][other] is False


def test_a_missing_sibling_is_not_wanted_but_a_missing_truststore_is():
    node = _facts("a", held_lines=[LINES["b"]], held=[SHA["b"]])
    node["truststores"]["ssl_truststore.p12"] = {"exists": False, "entries": [], "error": None}
    assert user_trust_plan(PAIR, GROUPS, _world(a1=node))["a1"]["truststore_changes"] is False
    node["truststores"]["ssl_truststore"] = {"exists": False, "entries": [], "error": None}
    assert user_trust_plan(PAIR, GROUPS, _world(a1=node))["a1"]["truststore_changes"] is True


def test_the_first_node_with_facts_speaks_for_its_cluster():
    facts = _world(a1=_facts("a", chain="ad"))
    del facts["a1"]  # a1 left the play: a2 speaks, with its own chain
    plan = user_trust_plan(PAIR, GROUPS, facts)
    assert [c["sha256"] for c in plan["b1"]["certificates"]] == [SHA["a"]]


def test_a_peer_without_any_node_left_is_skipped():
    facts = _world()
    del facts["b1"]
    plan = user_trust_plan(PAIR, GROUPS, facts)
    assert plan["a1"]["conf_lines"] == [] and plan["a1"]["conf_changes"] is False


def test_a_peer_whose_chain_is_unknown_is_an_error_naming_it():
    broken = _facts("b")
    broken["own_ca"] = {"certificates": [], "error": "ssl_keystore.pem: does not exist"}
    with pytest.raises(CrossclusterError, match="cluster_b cannot hand its CA to its peers: ssl_keystore.pem"):
        user_trust_plan(PAIR, GROUPS, _world(b1=broken))
