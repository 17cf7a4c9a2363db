"""The planner: what each node must hold for user and server trust, from facts alone (no Ansible)."""

import datetime

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _planner as planner
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import World

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


def _inventory(groups, pins=None):
    """What the inventory says: cluster_<x> is x.ex, on every host; ``pins`` by group."""
    return dict((group, dict((h, dict(mapr_cluster_name="%s.ex" % group[-1],
                                      mapr_ca_sha256=(pins or {}).get(group))) for h in hosts))
                for group, hosts in groups.items() if group.startswith("cluster_"))


def user_trust_plan(trusts, groups, facts, inventory=None):
    """The plan of the hosts in ``facts``, the nodes in the play, each with its facts."""
    world = World(trusts, groups, list(facts), facts, _inventory(groups) if inventory is None else inventory)
    return planner.user_trust_plan(world, list(facts))


def server_trust_plan(trusts, groups, nodes, min_validity, now=None, rotate=False):
    """The plan of the hosts in ``nodes`` (``{facts, user, held}`` each), the nodes in the play."""
    world = World(trusts, groups, list(nodes), dict((h, n["facts"]) for h, n in nodes.items() if n.get("facts")))
    return planner.server_trust_plan(world, dict((h, dict(user=n.get("user"), held=n.get("held")))
                                                 for h, n in nodes.items()), min_validity, now=now, rotate=rotate)


def topology(trusts, groups, hosts, cldb_hosts=()):
    """Who is who among ``hosts``; the nodes of ``cldb_hosts`` report facts that say they run a CLDB."""
    return World(trusts, groups, hosts, dict((h, {"is_cldb": True}) for h in cldb_hosts)).topology(hosts)


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
    assert plan["a1"] == dict(group="cluster_a", conf_lines=[], certificates=[], conf_remove=[],
                              certificates_remove=[], conf_changes=False, truststore_changes=False, based_on={},
                              fips=False, changes=[])
    assert plan["x1"]["group"] is None and plan["x1"]["certificates"] == []


def test_the_plan_names_the_files_each_write_is_based_on():
    read = {"/opt/mapr/conf/ssl_truststore": SHA["a"], "/opt/mapr/conf/ssl_truststore.pem": None,
            "/opt/mapr/conf/mapr-clusters.conf": SHA["f"]}
    plan = user_trust_plan(PAIR, GROUPS, _world(a1=dict(_facts("a"), files_read=read)))
    assert plan["a1"]["based_on"] == read and plan["a2"]["based_on"] == {}
    read["/opt/mapr/conf/ssl_truststore"] = SHA["b"]
    assert plan["a1"]["based_on"]["/opt/mapr/conf/ssl_truststore"] == SHA["a"]  # a copy, not the facts themselves


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


def test_nodes_holding_the_same_share_one_plan_and_a_store_that_could_not_be_read_gets_its_own():
    # A plan is worked out once per group and distinct content (what a fleet costs), so what tells two
    # nodes apart must include every store state the plan reads: here only whether the .p12 was read.
    groups = dict(GROUPS, cluster_a=["a1", "a2", "a3"])
    facts = dict((h, _facts("a", held_lines=[LINES["b"]], held=[SHA["b"]])) for h in ("a1", "a2", "a3"))
    facts["a3"]["truststores"]["ssl_truststore.p12"] = {"exists": True, "entries": None, "error": "cannot read"}
    facts.update(b1=_facts("b"))
    plan = planner.user_trust_plan(World(PAIR, groups, list(facts), facts, _inventory(groups)), list(facts),
                                   reasons=True)
    assert plan["a1"]["reasons"] is plan["a2"]["reasons"] and plan["a1"]["reasons"] == []
    assert plan["a1"]["truststore_changes"] is False and plan["a2"]["truststore_changes"] is False
    assert plan["a3"]["truststore_changes"] is True
    assert [(r["state"], r["stores"]) for r in plan["a3"]["reasons"]] == [("missing", ["ssl_truststore.p12"])]


def test_a_pkcs12_sibling_read_without_its_password_is_judged_by_the_others():
    # The gather read the stores without the node's password: the .p12's entries are unknown (None).
    node = _facts("a", held_lines=[LINES["b"]], held=[SHA["b"]])
    node["truststores"]["ssl_truststore.p12"] = {"exists": True, "entries": None, "error": None}
    assert user_trust_plan(PAIR, GROUPS, _world(a1=node))["a1"]["truststore_changes"] is False
    node["truststores"]["ssl_truststore.pem"] = _store(SHA["a"])
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
    with pytest.raises(CrossclusterError, match="cluster_b: b1 cannot hand its CA to its peers: ssl_keystore.pem"):
        user_trust_plan(PAIR, GROUPS, _world(b1=broken))


# --- server trust -----------------------------------------------------------------------------

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
SERVER_GROUPS = {"cluster_a": ["a1", "a2"], "cluster_a_cldb": ["a1"], "cluster_b": ["b1", "b2", "b3"],
                 "cluster_b_cldb": ["b1", "b2"], "cluster_c": ["c1"], "cluster_c_cldb": ["c1"]}


def _ticket(cluster, user, hours_left):
    return {"cluster": cluster, "user": user, "expires": (NOW + datetime.timedelta(hours=hours_left)).isoformat()}


def _node(letter, cldb, held=None, user="xcsuser"):
    return {"facts": {"cluster_name": "%s.ex" % letter, "is_cldb": cldb}, "user": user,
            "held": (held or []) if cldb else None}


def _actions(plan):
    """A node's server plan without its reasons (``changes``), which tests of their own check."""
    return dict((key, value) for key, value in plan.items() if key != "changes")


def _server_world(**overrides):
    nodes = {"a1": _node("a", True), "a2": _node("a", False), "b1": _node("b", True), "b2": _node("b", True),
             "b3": _node("b", False), "c1": _node("c", True)}
    nodes.update(overrides)
    return nodes


def test_every_cldb_node_lacking_a_peer_ticket_wants_it_from_the_peers_first_cldb():
    plan = server_trust_plan(PAIR, SERVER_GROUPS, _server_world(), "7d", now=NOW)
    assert _actions(plan["a1"]) == {"generate": True, "wanted_from": ["b1"], "remove": []}
    assert _actions(plan["b1"]) == {"generate": True, "wanted_from": ["a1"], "remove": []}
    assert _actions(plan["b2"]) == {"generate": False, "wanted_from": ["a1"], "remove": []}
    assert plan["a2"] == plan["b3"] == plan["c1"] == {"generate": False, "wanted_from": [], "remove": [], "changes": []}
    # Why, in the light form the summary counts: one per peer ticket wanted.
    assert plan["b2"]["changes"] == [["cluster_a", "ticket", "missing",
                                      "maprserverticket has no ticket for a.ex (user xcsuser)"]]


def test_a_valid_ticket_for_the_peers_own_user_is_enough_and_nothing_is_generated():
    good = [_ticket("b.ex", "xcsuser", 24 * 20)]
    plan = server_trust_plan(PAIR, SERVER_GROUPS, _server_world(
        a1=_node("a", True, good), b1=_node("b", True, [_ticket("a.ex", "xcsuser", 24 * 20)]),
        b2=_node("b", True, [_ticket("a.ex", "xcsuser", 24 * 20)])), "7d", now=NOW)
    assert all(p == {"generate": False, "wanted_from": [], "remove": [], "changes": []} for p in plan.values())


@pytest.mark.parametrize("held, user", [
    ([_ticket("b.ex", "xcsuser", 2)], "xcsuser"),       # expires within min_validity: renewed
    ([_ticket("b.ex", "mapr", 24 * 20)], "xcsuser"),    # for another user than b's cross-cluster user
    ([_ticket("c.ex", "xcsuser", 24 * 20)], "xcsuser"),  # another cluster's
    ([_ticket("b.ex", "xcsuser", 24 * 20)], "other"),   # b's tickets are for b's own user
])
def test_a_ticket_that_does_not_serve_is_replaced(held, user):
    nodes = _server_world(a1=_node("a", True, held), b1=_node("b", True, user=user), b2=_node("b", True, user=user))
    plan = server_trust_plan(PAIR, SERVER_GROUPS, nodes, "7d", now=NOW)
    assert plan["a1"]["wanted_from"] == ["b1"] and plan["b1"]["generate"] is True


def test_a_mesh_generates_once_per_cluster_and_merges_everything_a_node_lacks_in_one_list():
    mesh = PAIR + [{"clusters": ["cluster_c", "cluster_a"], "type": "server"},
                   {"clusters": ["cluster_b", "cluster_c"], "type": "user"}]
    plan = server_trust_plan(mesh, SERVER_GROUPS, _server_world(), "1h", now=NOW)
    assert plan["a1"]["wanted_from"] == ["b1", "c1"]
    assert plan["c1"]["wanted_from"] == ["a1"]  # b-c is user trust only
    assert [h for h, p in plan.items() if p["generate"]] == ["a1", "b1", "c1"]


def test_a_peer_whose_cldb_nodes_all_left_is_not_waited_for():
    nodes = _server_world()
    del nodes["b1"], nodes["b2"]
    plan = server_trust_plan(PAIR, SERVER_GROUPS, nodes, "7d", now=NOW)
    assert plan["a1"] == {"generate": False, "wanted_from": [], "remove": [], "changes": []}


def test_a_bad_min_validity_is_named():
    with pytest.raises(CrossclusterError, match="soon"):
        server_trust_plan(PAIR, SERVER_GROUPS, _server_world(), "soon", now=NOW)


# --- revoke, renewed CAs, rotation --------------------------------------------------------------------------

def _rule(letter, sha_letter=None):
    sha = SHA[sha_letter or letter]
    return {"alias": "%s.ex-%s" % (letter, sha[:12]), "sha256": sha}


def _holding(letter, lines, entries):
    node = _facts(letter, held_lines=lines)
    for store in node["truststores"].values():
        store["entries"] += [dict(e) for e in entries]
    return node


def test_revoking_a_pair_removes_the_peers_line_and_certificates_on_both_sides():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "all", "state": "absent"}]
    world = _world(a1=_holding("a", [LINES["b"]], [_rule("b")]), b1=_holding("b", [LINES["a"]], [_rule("a")]))
    plan = user_trust_plan(trusts, GROUPS, world)
    assert plan["a1"]["conf_remove"] == ["b.ex"] and plan["a1"]["certificates_remove"] == [_rule("b")]
    assert plan["b1"]["conf_remove"] == ["a.ex"] and plan["b1"]["certificates_remove"] == [_rule("a")]
    assert plan["a1"]["conf_lines"] == [] and plan["a1"]["truststore_changes"] and plan["a1"]["conf_changes"]
    # a2 never held anything of b: nothing to do there
    assert plan["a2"]["conf_remove"] == [] and plan["a2"]["certificates_remove"] == []
    assert not plan["a2"]["conf_changes"] and not plan["a2"]["truststore_changes"]


def test_a_revoke_removes_a_peers_ca_a_sibling_still_holds_when_the_store_of_record_lost_it():
    # b's CA deleted by hand from a1's ssl_truststore, still in its PKCS12 and PEM siblings: the revoke
    # removes it there too, and the drift report names it as revoked, not as an alias of the administrator's.
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user", "state": "absent"}]
    node = _holding("a", [LINES["b"]], [_rule("b")])
    node["truststores"]["ssl_truststore"]["entries"] = [{"alias": "any", "sha256": SHA["a"]}]
    world = World(trusts, GROUPS, list(_world(a1=node)), _world(a1=node), _inventory(GROUPS))
    plan = planner.user_trust_plan(world, ["a1"], reasons=True)["a1"]
    assert plan["certificates_remove"] == [_rule("b")] and plan["truststore_changes"]
    states = [(r["item"], r["state"]) for r in plan["reasons"] if r["item"] == "certificate"]
    assert states == [("certificate", "revoked")]


def test_a_certificate_added_by_hand_is_never_removed():
    by_hand = {"alias": "corporate-root", "sha256": SHA["b"]}
    look_alike = {"alias": "b.ex-000000000000", "sha256": SHA["b"]}  # the rule's shape, not its digest
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user", "state": "absent"}]
    plan = user_trust_plan(trusts, GROUPS, _world(a1=_holding("a", [], [by_hand, look_alike])))
    assert plan["a1"]["certificates_remove"] == [] and not plan["a1"]["truststore_changes"]


def test_a_revoke_names_the_collections_alias_only_when_a_hand_alias_holds_the_same_ca():
    # Built first, then b's CA imported by hand as my-b-ca: the plan names the collection's alias with its
    # fingerprint (peer_trust removes by alias and checks it), never the administrator's.
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user", "state": "absent"}]
    by_hand = {"alias": "my-b-ca", "sha256": SHA["b"]}
    world = _world(a1=_holding("a", [LINES["b"]], [_rule("b"), by_hand]))
    plan = user_trust_plan(trusts, GROUPS, world)["a1"]
    assert plan["certificates_remove"] == [_rule("b")] and plan["truststore_changes"]
    # Once the collection's alias is gone, the hand alias alone asks for nothing.
    after = _world(a1=_holding("a", [], [by_hand]))
    assert user_trust_plan(trusts, GROUPS, after)["a1"]["certificates_remove"] == []
    assert not user_trust_plan(trusts, GROUPS, after)["a1"]["truststore_changes"]


def test_a_ca_shared_with_a_remaining_peer_stays_and_goes_with_the_last_one():
    # b and c share one CA (sha d); a imported it once, under b's alias
    world = _world(a1=_holding("a", [LINES["b"], LINES["c"]], [_rule("b", "d")]),
                   b1=_facts("b", chain="d"), c1=_facts("c", chain="d"))
    keep_c = [{"clusters": ["cluster_a", "cluster_b"], "type": "user", "state": "absent"},
              {"clusters": ["cluster_a", "cluster_c"], "type": "user"}]
    plan = user_trust_plan(keep_c, GROUPS, world)["a1"]
    assert plan["conf_remove"] == ["b.ex"] and plan["certificates_remove"] == []
    both_gone = [dict(t, state="absent") for t in keep_c]
    plan = user_trust_plan(both_gone, GROUPS, world)["a1"]
    assert plan["certificates_remove"] == [_rule("b", "d")]


def test_a_renewed_peer_ca_is_added_and_the_old_one_goes_once_every_peer_node_shows_the_new():
    world = _world(a1=_holding("a", [LINES["b"]], [_rule("b")]), b1=_facts("b", chain="e"))
    plan = user_trust_plan(PAIR, GROUPS, world)["a1"]
    assert [c["sha256"] for c in plan["certificates"]] == [SHA["e"]]
    assert plan["certificates_remove"] == [_rule("b")] and plan["truststore_changes"]
    # a node of b that did not report may still serve the old chain: keep the old CA for now
    groups = dict(GROUPS, cluster_b=["b1", "b9"])
    assert user_trust_plan(PAIR, groups, world)["a1"]["certificates_remove"] == []


def _kinds(plan):
    return [change[:3] for change in plan["changes"]]


def test_the_plan_says_why_each_node_changes_and_leaves_out_what_changes_nothing():
    plan = user_trust_plan(PAIR, GROUPS, _world(a2=_facts("a", held_lines=[LINES["b"]], held=[SHA["b"]])))
    assert _kinds(plan["a1"]) == [["cluster_b", "line", "missing"], ["cluster_b", "certificate", "missing"]]
    assert plan["a1"]["changes"][0][3] == "mapr-clusters.conf lacks cluster_b's line (b.ex)"
    assert plan["a2"]["changes"] == []
    # A revoke: the line and the collection's CA go; the same CA under a hand alias stays and is no change.
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user", "state": "absent"}]
    held = _world(a1=_holding("a", [LINES["b"]], [_rule("b")]), a2=_holding("a", [], [{"alias": "my-b",
                                                                                       "sha256": SHA["b"]}]))
    plan = user_trust_plan(trusts, GROUPS, held)
    assert _kinds(plan["a1"]) == [["cluster_b", "line", "revoked"], ["cluster_b", "certificate", "revoked"]]
    assert plan["a2"]["changes"] == [] and not plan["a2"]["truststore_changes"]
    # A renewed peer CA: the old one is a change only once the plan removes it.
    world = _world(a1=_holding("a", [LINES["b"]], [_rule("b"), _rule("b", "e")]), b1=_facts("b", chain="e"))
    assert _kinds(user_trust_plan(PAIR, GROUPS, world)["a1"]) == [["cluster_b", "certificate", "stale"]]
    waiting = user_trust_plan(PAIR, dict(GROUPS, cluster_b=["b1", "b9"]), world)["a1"]
    assert waiting["changes"] == [] and not waiting["truststore_changes"]


def test_one_pair_of_a_mesh_is_revoked_by_a_pair_entry():
    trusts = [{"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "user"},
              {"clusters": ["cluster_b", "cluster_a"], "type": "user", "state": "absent"}]
    world = _world(a1=_holding("a", [LINES["b"], LINES["c"]], [_rule("b"), _rule("c")]))
    plan = user_trust_plan(trusts, GROUPS, world)
    assert plan["a1"]["conf_lines"] == [LINES["c"]] and plan["a1"]["conf_remove"] == ["b.ex"]
    assert plan["a1"]["certificates_remove"] == [_rule("b")]
    assert plan["c1"]["conf_lines"] == [LINES["a"], LINES["b"]] and plan["c1"]["conf_remove"] == []


def test_a_revoked_server_peer_ticket_is_removed_where_held_and_nothing_is_generated_for_it():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "server", "state": "absent"}]
    nodes = _server_world(a1=_node("a", True, [_ticket("b.ex", "xcsuser", 100)]))
    plan = server_trust_plan(trusts, SERVER_GROUPS, nodes, "7d", now=NOW)
    assert _actions(plan["a1"]) == {"generate": False, "wanted_from": [], "remove": ["b.ex"]}
    assert plan["a1"]["changes"] == [["cluster_b", "ticket", "revoked", "maprserverticket still holds a ticket for "
                                      "b.ex (cluster_b), whose trust is revoked"]]
    assert plan["b1"] == {"generate": False, "wanted_from": [], "remove": [], "changes": []}


def test_rotate_makes_every_ticket_anew_even_when_valid():
    good = [_ticket("b.ex", "xcsuser", 24 * 20)]
    nodes = _server_world(a1=_node("a", True, good), b1=_node("b", True, [_ticket("a.ex", "xcsuser", 24 * 20)]),
                          b2=_node("b", True, [_ticket("a.ex", "xcsuser", 24 * 20)]))
    plan = server_trust_plan(PAIR, SERVER_GROUPS, nodes, "7d", now=NOW, rotate=True)
    assert plan["a1"]["wanted_from"] == ["b1"] and plan["b2"]["wanted_from"] == ["a1"]
    assert plan["a1"]["generate"] and plan["b1"]["generate"]


# --- topology -----------------------------------------------------------------------------------------------

def test_topology_names_each_hosts_cluster_peers_and_who_acts_once():
    trusts = [{"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "user"},
              {"clusters": ["cluster_a", "cluster_b"], "type": "all"},
              {"clusters": ["cluster_c", "cluster_a"], "type": "user", "state": "absent"}]
    who = topology(trusts, SERVER_GROUPS, ["a2", "a1", "b2", "b3", "c1", "x9"])
    assert who["a1"]["group"] == "cluster_a" and who["x9"]["group"] is None
    assert who["a1"]["peers"] == {"user": ["cluster_b"], "server": ["cluster_b"]}
    assert who["a1"]["revoked"] == {"user": ["cluster_c"], "server": []}
    assert who["c1"]["peers"]["user"] == ["cluster_b"] and who["c1"]["revoked"]["user"] == ["cluster_a"]
    # inventory order decides, among the hosts still in the play (b1 is not)
    assert [h for h in who if who[h]["speaks"]] == ["a1", "b2", "c1"]
    assert [h for h in who if who[h]["speaks_cldb"]] == ["a1", "b2", "c1"]
    # Every CLDB node with a server peer reads its tickets; c1 has user peers only.
    assert [h for h in who if who[h]["reads_tickets"]] == ["a1", "b2"]
    # A CLDB node missing from its CLDB group (by its facts) still reads and gets its tickets; it
    # does not act for the group.
    who = topology(trusts, SERVER_GROUPS, ["a2", "a1", "b2", "b3", "c1", "x9"], cldb_hosts=["a2", "b3", "c1"])
    assert [h for h in who if who[h]["reads_tickets"]] == ["a2", "a1", "b2", "b3"]
    assert [h for h in who if who[h]["speaks_cldb"]] == ["a1", "b2", "c1"]
    assert who["a2"]["peer_speakers"] == {"cluster_b": "b2", "cluster_c": "c1"}
    assert who["x9"]["peers"] == {"user": [], "server": []} and not who["x9"]["speaks"]


def test_verify_targets_check_only_what_a_cluster_changed_when_asked():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._planner import verify_targets
    trusts = [{"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "all"},
              {"clusters": ["cluster_c", "cluster_a"], "type": "all", "state": "absent"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"], "cluster_c": ["c1"],
              "cluster_a_cldb": ["a2"], "cluster_b_cldb": ["b1"], "cluster_c_cldb": ["c1"]}
    who = topology(trusts, groups, ["a1", "a2", "b1", "c1"])
    every = verify_targets(who, {})
    # The node that speaks logs in, the CLDB node that speaks calls; revoked peers are checked too.
    # Kerberos: a ticket for each kept peer's service, from the node that speaks (not for revoked c-a).
    assert every["a1"] == {"user": ["cluster_b", "cluster_c"], "server": [], "kerberos": ["cluster_b"]}
    assert every["a2"] == {"user": [], "server": ["cluster_b", "cluster_c"], "kerberos": []}
    assert every["b1"] == {"user": ["cluster_a", "cluster_c"], "server": ["cluster_a", "cluster_c"],
                           "kerberos": ["cluster_a", "cluster_c"]}
    # a2 (not a1) changed its conf: cluster_a checks user trust only; nothing changed elsewhere.
    changed = verify_targets(who, {"a2": ["user"], "a1": [], "b1": []}, only_changed=True)
    assert changed["a1"] == {"user": ["cluster_b", "cluster_c"], "server": [], "kerberos": []}
    assert changed["a2"] == {"user": [], "server": [], "kerberos": []}
    assert changed["b1"] == changed["c1"] == {"user": [], "server": [], "kerberos": []}
    # The cross-realm keys live in both KDCs: c1 changed its KDC, so b checks c, and c checks both;
    # a's pair with c is revoked, so a checks nothing.
    changed = verify_targets(who, {"c1": ["kerberos"]}, only_changed=True)
    assert [changed[h]["kerberos"] for h in ("a1", "b1", "c1")] == [[], ["cluster_c"], ["cluster_b"]]
    # A peer with no node left in the run is not checked.
    who = topology(trusts, groups, ["a1", "a2", "b1"])
    assert verify_targets(who, {})["a1"]["user"] == ["cluster_b"]


# A generated ticket's cluster field names the line it replaces on every peer, so it is held to the
# inventory's name for the generator's cluster before any file is written.
BLOB = "c2VjcmV0LXRpY2tldC1ibG9i"


def test_a_ticket_for_the_generators_own_cluster_passes():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._planner import generated_ticket_problem
    assert generated_ticket_problem("b1", {"ticket": "b.ex " + BLOB, "changed": True}, "b.ex") is None
    # Nothing generated (no peer needed it, or check mode): nothing to refuse.
    assert generated_ticket_problem("b1", {"changed": False}, "b.ex") is None
    assert generated_ticket_problem("b1", None, "b.ex") is None


def test_a_ticket_for_another_cluster_is_refused_by_name_without_the_ticket():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._planner import generated_ticket_problem
    problem = generated_ticket_problem("b1", {"ticket": "c.ex " + BLOB, "changed": True}, "b.ex")
    assert problem.startswith("b1: ") and "for cluster c.ex" in problem and "is b.ex (mapr_cluster_name)" in problem
    assert "no file was changed" in problem and "Fix: " in problem
    assert BLOB not in problem


def test_a_failed_generation_is_named_with_its_reason_and_a_bad_line_without_its_content():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._planner import generated_ticket_problem
    failed = generated_ticket_problem("b1", {"failed": True, "msg": "no such user xcsusr"}, "b.ex")
    assert failed.startswith("b1: could not generate") and failed.endswith("no such user xcsusr")
    bad = generated_ticket_problem("b1", {"ticket": "b.ex not!base64" + BLOB}, "b.ex")
    assert bad.startswith("b1: maprlogin generateticket made a ticket that cannot be used") and BLOB not in bad


# --- what a peer's nodes report is their word only: checked against the inventory and each other -------------

def _refusal(trusts, groups, facts, inventory=None):
    with pytest.raises(CrossclusterError) as err:
        user_trust_plan(trusts, groups, facts, inventory)
    text = str(err.value)
    assert text.startswith("user trust refuses what a cluster would hand its peers (nothing was changed): ")
    return text


def test_the_exported_line_is_rebuilt_from_its_parse_not_copied():
    b = _facts("b")
    b["conf_line"] = "b.ex   secure=true\tnb1:7222 nb2:7222  "
    plan = user_trust_plan(PAIR, GROUPS, _world(b1=b))
    assert plan["a1"]["conf_lines"] == ["b.ex secure=true nb1:7222 nb2:7222"]


def test_a_line_naming_another_cluster_is_refused_whatever_the_node_says_its_name_is():
    # The node's own parse (cluster_name) says b.ex; the line it hands on names c.ex.
    b = _facts("b")
    b["conf_line"] = "c.ex secure=false evil:7222"
    text = _refusal(PAIR, GROUPS, _world(b1=b))
    assert "b1 (cluster_b): the first line of mapr-clusters.conf names c.ex, but mapr_cluster_name is b.ex" in text
    assert "b1 (cluster_b): the first line of mapr-clusters.conf lacks secure=true" in text


def test_a_line_that_does_not_parse_is_refused():
    b = _facts("b")
    b["conf_line"] = "b.ex secure=maybe nb1:7222"
    assert "b1 (cluster_b): the first line of mapr-clusters.conf it reported does not parse" in _refusal(
        PAIR, GROUPS, _world(b1=b))


def test_every_node_must_report_the_same_line_by_meaning():
    a2 = _facts("a")
    a2["conf_line"] = "a.ex secure=true evil:7222"
    text = _refusal(PAIR, GROUPS, _world(a2=a2))
    assert "cluster_a: its nodes report different mapr-clusters.conf lines for the cluster" in text
    assert "a.ex secure=true na1:7222 on a1; a.ex secure=true evil:7222 on a2" in text
    a2["conf_line"] = "a.ex  secure=true na1:7222"  # the same line, written differently
    assert user_trust_plan(PAIR, GROUPS, _world(a2=a2))["b1"]["conf_lines"] == [LINES["a"]]


def test_the_same_chain_rule_is_the_planners_own():
    text = _refusal(PAIR, GROUPS, _world(a2=_facts("a", chain="e")))
    assert "cluster_a: its nodes' server certificates are issued by different CAs (a1; a2)" in text


def test_the_checks_of_every_cluster_come_in_one_error_before_any_plan():
    b = _facts("b")
    b["conf_line"] = "b.ex secure=false nb1:7222"
    text = _refusal(PAIR, GROUPS, _world(a2=_facts("a", chain="e"), b1=b))
    assert "cluster_a: its nodes' server" in text and "b1 (cluster_b): the first line" in text


def test_a_cluster_without_mapr_cluster_name_in_the_inventory_is_refused():
    inventory = _inventory(GROUPS)
    for host in inventory["cluster_b"].values():
        host["mapr_cluster_name"] = None
    assert "cluster_b: variable mapr_cluster_name is not defined" in _refusal(PAIR, GROUPS, _world(), inventory)


def test_a_name_that_differs_between_the_hosts_of_a_group_is_refused():
    inventory = _inventory(GROUPS)
    inventory["cluster_a"]["a2"]["mapr_cluster_name"] = "evil.ex"
    text = _refusal(PAIR, GROUPS, _world(), inventory)
    assert "cluster_a: mapr_cluster_name differs between its hosts (a.ex on a1; evil.ex on a2)" in text


def test_a_pinned_ca_is_matched_case_and_colons_ignored():
    pin = ":".join(SHA["b"][i:i + 2] for i in range(0, 64, 2)).upper()
    inventory = _inventory(GROUPS, pins={"cluster_b": pin, "cluster_a": [SHA["a"], SHA["e"]]})
    plan = user_trust_plan(PAIR, GROUPS, _world(), inventory)
    assert [c["sha256"] for c in plan["a1"]["certificates"]] == [SHA["b"]]


def test_a_chain_other_than_the_pinned_one_is_refused_even_from_a_cluster_of_one_node():
    inventory = _inventory(GROUPS, pins={"cluster_b": SHA["b"]})
    text = _refusal(PAIR, GROUPS, _world(b1=_facts("b", chain="bf")), inventory)
    assert ("b1 (cluster_b): its CA chain is not the one mapr_ca_sha256 pins (sha256 %s not pinned)"
            % SHA["f"][:16]) in text


def test_a_pin_that_is_no_fingerprint_is_refused():
    inventory = _inventory(GROUPS, pins={"cluster_b": ["b" * 63, 42]})
    text = _refusal(PAIR, GROUPS, _world(), inventory)
    assert "cluster_b: mapr_ca_sha256 holds '%s', which is no SHA-256 fingerprint" % ("b" * 63) in text
    assert "cluster_b: mapr_ca_sha256 holds 42, which is no SHA-256 fingerprint" in text


def test_a_node_that_set_variables_of_its_own_is_not_believed():
    b = _facts("b")
    b["foreign_facts"] = ["mapr_cluster_name"]
    assert "b1 (cluster_b): the node returned variables besides mapr_security (mapr_cluster_name)" in _refusal(
        PAIR, GROUPS, _world(b1=b))


def test_only_clusters_that_hand_something_over_are_checked():
    # cluster_c is in a server-only trust: it exports no line or CA, so its line is not looked at.
    trusts = PAIR + [{"clusters": ["cluster_c", "cluster_a"], "type": "server"}]
    c = _facts("c")
    c["conf_line"] = "elsewhere.ex secure=false x:1"
    assert user_trust_plan(trusts, GROUPS, _world(c1=c))["c1"]["conf_lines"] == []


def test_a_revoke_removes_the_peers_line_by_its_inventory_name_not_by_what_its_node_says():
    revoke = [{"clusters": ["cluster_a", "cluster_b"], "type": "user", "state": "absent"}]
    b = _facts("b")
    b["cluster_name"] = "c.ex"  # b1 claims to be cluster c: a1 must not drop c's line for it
    plan = user_trust_plan(revoke, GROUPS, _world(a1=_facts("a", held_lines=[LINES["b"], LINES["c"]]), b1=b))
    assert plan["a1"]["conf_remove"] == ["b.ex"]


def _fips_facts(letter, held_lines=(), held=()):
    """A FIPS node: its trust is in ssl_truststore.bcfks (keytool lists it), with no JKS ssl_truststore."""
    facts = _facts(letter, held_lines)
    facts["stores"] = {"ssl_truststore.bcfks": {"exists": True}}
    facts["truststores"] = {"ssl_truststore": {"exists": False, "entries": [], "error": None},
                            "ssl_truststore.bcfks": _store(SHA[letter], *held)}
    return facts


def test_a_fips_node_holds_its_trust_in_the_bcfks_store():
    plain = _facts("a")
    assert not planner.is_fips(plain) and planner.truststore_names(plain)[0] == "ssl_truststore"
    fips = _fips_facts("a", held=[SHA["b"]])
    assert planner.is_fips(fips) and planner.truststore_names(fips)[0] == "ssl_truststore.bcfks"
    # The missing JKS store is not wanted on a FIPS node, nor judged as lacking anything.
    assert planner.held_stores(fips) == {"ssl_truststore.bcfks": {SHA["a"], SHA["b"]}}
    empty = _fips_facts("a")
    del empty["truststores"]["ssl_truststore.bcfks"]
    assert planner.held_stores(empty) == {"ssl_truststore.bcfks": set()}


def test_a_fips_node_is_planned_from_its_bcfks_store():
    converged = _fips_facts("a", held_lines=[LINES["b"]], held=[SHA["b"]])
    lacking = _fips_facts("a", held_lines=[LINES["b"]])
    plan = user_trust_plan(PAIR, GROUPS, _world(a1=converged, a2=lacking))
    assert plan["a1"]["truststore_changes"] is False and plan["a1"]["conf_changes"] is False
    assert plan["a2"]["truststore_changes"] is True and plan["a2"]["conf_changes"] is False
    assert plan["a1"]["fips"] is True and plan["b1"]["fips"] is False
    assert any("ssl_truststore.bcfks lacks cluster_b's CA" in change[3] for change in plan["a2"]["changes"])


def test_a_fips_node_drops_a_revoked_peers_ca_from_its_bcfks_store():
    node = _fips_facts("a", held_lines=[LINES["c"]])
    alias = "c.ex-" + SHA["c"][:12]
    node["truststores"]["ssl_truststore.bcfks"]["entries"].append({"alias": alias, "sha256": SHA["c"]})
    trusts = [{"clusters": ["cluster_a", "cluster_c"], "type": "user", "state": "absent"}]
    plan = user_trust_plan(trusts, GROUPS, _world(a1=node))
    assert plan["a1"]["certificates_remove"] == [dict(alias=alias, sha256=SHA["c"])]
    assert plan["a1"]["conf_remove"] == ["c.ex"] and plan["a1"]["truststore_changes"]


@pytest.mark.parametrize("fips_node", ["a1", "a2"])
def test_a_mixed_cluster_hands_over_its_chain_from_its_speaker_whatever_its_mode(fips_node):
    """One node of cluster a is a FIPS node (the speaker, a1, or not): the peer gets a's own chain either
    way, and each node of a is planned in its own store formats (BCFKS + PEM, or JKS + PKCS12 + PEM)."""
    facts = _world(**{fips_node: _fips_facts("a")})
    plan = user_trust_plan(PAIR, GROUPS, facts)
    assert [c["sha256"] for c in plan["b1"]["certificates"]] == [SHA["a"]]
    assert plan["b1"]["conf_lines"] == [LINES["a"]] and plan["b1"]["fips"] is False
    for host in ("a1", "a2"):
        assert plan[host]["fips"] is (host == fips_node)
        assert [c["sha256"] for c in plan[host]["certificates"]] == [SHA["b"]]
        lacking = [change[3] for change in plan[host]["changes"] if change[1] == "certificate"]
        stores = "ssl_truststore.bcfks" if host == fips_node else "ssl_truststore, ssl_truststore.p12"
        assert lacking and lacking[0].startswith(stores), lacking


def test_a_mixed_cluster_whose_fips_node_holds_another_chain_exports_nothing():
    # The FIPS node's chain is compared with the others', so a peer never gets one mode's word alone.
    odd = _fips_facts("a")
    odd["own_ca"] = {"certificates": [{"sha256": SHA["e"], "pem": "PEM-e"}], "error": None}
    with pytest.raises(CrossclusterError, match="cluster_a: its nodes' server certificates are issued by different"):
        user_trust_plan(PAIR, GROUPS, _world(a2=odd))
