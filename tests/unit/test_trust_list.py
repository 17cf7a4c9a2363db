"""crosscluster_trusts itself (module_utils/_trust_list.py): pairs, meshes, revoked entries."""

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils._trust_list import (
    groups_in,
    pairs,
    peers_of,
    shape_problems,
)

MESH = {"mesh": ["a", "b", "c", "d"], "type": "all"}


def test_a_mesh_stands_for_every_pair_of_its_groups_in_order():
    assert [p["clusters"] for p in pairs([MESH])] == [["a", "b"], ["a", "c"], ["a", "d"], ["b", "c"], ["b", "d"],
                                                      ["c", "d"]]
    assert all(p["type"] == "all" and p["state"] == "present" for p in pairs([MESH]))
    assert peers_of([MESH], "c", "server") == ["a", "b", "d"]


def test_sixteen_clusters_give_120_pairs_and_every_group_fifteen_peers():
    groups = ["cluster_%02d" % i for i in range(16)]
    trusts = [{"mesh": groups, "type": "all"}]
    assert shape_problems(trusts) == []
    assert len(pairs(trusts)) == 120
    assert all(len(peers_of(trusts, g, "user")) == 15 for g in groups)


def test_a_pair_entry_overrides_the_same_pair_of_a_mesh_in_its_place():
    trusts = [MESH, {"clusters": ["c", "a"], "type": "user", "state": "absent"}]
    assert shape_problems(trusts) == []
    found = pairs(trusts)
    assert len(found) == 6 and found[1] == {"clusters": ["c", "a"], "type": "user", "state": "absent"}
    assert peers_of(trusts, "a", "user") == ["b", "d"]
    assert peers_of(trusts, "a", "user", "absent") == ["c"]


def test_one_kind_kept_and_the_other_revoked_for_one_pair():
    trusts = [{"clusters": ["a", "b"], "type": "user"}, {"clusters": ["a", "b"], "type": "server", "state": "absent"}]
    assert shape_problems(trusts) == []
    assert peers_of(trusts, "a", "user") == ["b"] and peers_of(trusts, "a", "server") == []
    assert peers_of(trusts, "b", "server", "absent") == ["a"]


def test_peers_run_both_directions_and_all_counts_for_each_kind():
    trusts = [{"clusters": ["a", "b"], "type": "all"}, {"clusters": ["c", "a"], "type": "user"},
              {"clusters": ["b", "c"], "type": "server"}]
    assert peers_of(trusts, "a", "user") == ["b", "c"]
    assert peers_of(trusts, "a", "server") == ["b"]
    assert peers_of(trusts, "c", "server") == ["b"]
    assert peers_of(trusts, "z", "user") == []
    assert groups_in(trusts) == ["a", "b", "c"]


def test_a_pair_listed_twice_or_an_unknown_key_is_malformed():
    assert shape_problems([]) == []
    assert shape_problems([{"clusters": ["a", "b"], "type": "all"}, {"clusters": ["b", "a"], "type": "user"}])
    assert shape_problems([{"clusters": ["a", "b"], "type": "all", "typo": 1}])


def test_groups_in_a_revoked_pair_are_still_in_scope():
    trusts = [{"clusters": ["a", "b"], "type": "all", "state": "absent"}, {"clusters": ["c", "d"], "type": "all"}]
    assert groups_in(trusts) == ["a", "b", "c", "d"]
    assert groups_in(trusts, "present") == ["c", "d"]


@pytest.mark.parametrize("trusts, words", [
    ([{"mesh": ["a"], "type": "all"}], "crosscluster_trusts[1].mesh must name at least two different"),
    ([{"mesh": ["a", "b", "a"], "type": "all"}], "crosscluster_trusts[1].mesh must name at least two different"),
    ([{"mesh": ["a", "b"], "clusters": ["a", "b"], "type": "all"}], "needs either clusters (one pair) or mesh"),
    ([{"clusters": ["a", "b"], "type": "all", "state": "gone"}], "crosscluster_trusts[1].state must be present or"),
    ([MESH, {"mesh": ["d", "e", "a"], "type": "user"}],
     "crosscluster_trusts[2] lists a and d again (first in crosscluster_trusts[1])"),
    ([{"clusters": ["a", "b"], "type": "all"}, {"clusters": ["a", "b"], "type": "server", "state": "absent"}],
     "crosscluster_trusts[2] lists a and b again"),
])
def test_a_malformed_mesh_or_state_is_one_message_with_the_fix(trusts, words):
    [text] = shape_problems(trusts)
    assert words in text and "Fix:" in text


def test_any_kind_and_any_state_give_every_peer_once():
    trusts = [{"clusters": ["a", "b"], "type": "user"}, {"clusters": ["a", "b"], "type": "server", "state": "absent"},
              {"clusters": ["c", "a"], "type": "server"}]
    assert peers_of(trusts, "a", "any", "any") == ["b", "c"]
    assert peers_of(trusts, "a", "server", "any") == ["b", "c"]
    assert peers_of(trusts, "a", "any") == ["b", "c"]


def test_a_pair_is_kept_for_kerberos_when_any_kind_of_it_is_kept():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._trust_list import pairs_any_kind
    trusts = [{"clusters": ["a", "b"], "type": "user"}, {"clusters": ["a", "b"], "type": "server", "state": "absent"},
              {"clusters": ["a", "c"], "type": "all", "state": "absent"}, {"mesh": ["b", "c"], "type": "server"}]
    assert pairs_any_kind(trusts) == [{"clusters": ["a", "b"], "state": "present"},
                                      {"clusters": ["a", "c"], "state": "absent"},
                                      {"clusters": ["b", "c"], "state": "present"}]
