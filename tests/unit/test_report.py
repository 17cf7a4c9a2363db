"""The drift report from facts alone (no Ansible): cells, findings, the planner's view, Markdown, no secrets."""

import copy
import datetime
import json
import re

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _planner as planner,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _report as report,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
SHA = dict((letter, letter * 64) for letter in "abcdefg")
OLD_B = "9" * 64
LINES = {"a": "a.ex secure=true na1:7222", "b": "b.ex secure=true nb1:7222", "c": "c.ex secure=true nc1:7222"}
GROUPS = {"cluster_a": ["a1", "a2"], "cluster_a_cldb": ["a1"], "cluster_b": ["b1", "b2"], "cluster_b_cldb": ["b1"],
          "cluster_c": ["c1"], "cluster_c_cldb": ["c1"]}
PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
MESH = [{"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "all"}]
STORES = planner.TRUSTSTORES
# Stand-ins for what must never reach the report: a PEM body, a ticket blob, a key digest.
PEM_MARK = "MIIBsecretPEMbody"
BLOB_MARK = "AAAAsecretTicketBlob"
DIGEST_MARK = "hmac-of-the-key"


def _cert(letter, sha=None, days=3650):
    return {"sha256": sha or SHA[letter], "subject": "CN=%s.ex lab CA" % letter, "issuer": "CN=%s.ex lab CA" % letter,
            "not_before": (NOW - datetime.timedelta(days=1)).isoformat(),
            "not_after": (NOW + datetime.timedelta(days=days)).isoformat(),
            "pem": "-----BEGIN CERTIFICATE-----\n%s%s\n-----END CERTIFICATE-----\n" % (PEM_MARK, letter)}


def _entry(letter, alias=None, sha=None):
    cert = _cert(letter, sha)
    sha = cert["sha256"]
    return dict(alias=alias or ("%s.ex-%s" % (letter, sha[:12])), sha256=sha, subject=cert["subject"],
                issuer=cert["issuer"], not_before=cert["not_before"], not_after=cert["not_after"],
                type="trustedCertEntry")


def _facts(letter, peers=(), cldb=False, chain=None):
    """A node of cluster ``letter`` holding every peer's line and CA (under the alias rule) in all stores."""
    own = [_entry(letter, alias="%s.ex-ca" % letter)]
    entries = own + [_entry(p) for p in peers]
    return {"cluster_name": "%s.ex" % letter, "conf_line": LINES[letter], "is_cldb": cldb,
            "conf_lines": [LINES[letter]] + [LINES[p] for p in peers],
            "own_ca": {"certificates": chain or [_cert(letter)], "error": None},
            "truststores": dict((name, {"exists": True, "store_type": "jks", "entries": copy.deepcopy(entries),
                                        "error": None}) for name in STORES)}


def _ticket(letter, days=20, user="xcsuser"):
    return {"cluster": "%s.ex" % letter, "user": user, "uid": 5001, "gids": [5001], "can_impersonate": True,
            "created": (NOW - datetime.timedelta(days=1)).isoformat(), "blob": BLOB_MARK,
            "expires": (NOW + datetime.timedelta(days=days)).isoformat(),
            "renewal_till": (NOW + datetime.timedelta(days=days)).isoformat()}


def _node(letter, peers=(), cldb=False, tickets=None, **facts):
    return {"facts": _facts(letter, peers, cldb, **facts), "error": None, "user": "xcsuser",
            "tickets": tickets if cldb else None, "tickets_error": None}


def _pair_world():
    return {"a1": _node("a", "b", True, [_ticket("b")]), "a2": _node("a", "b"),
            "b1": _node("b", "a", True, [_ticket("a")]), "b2": _node("b", "a")}


def _mesh_world():
    return {"a1": _node("a", "bc", True, [_ticket("b"), _ticket("c")]), "a2": _node("a", "bc"),
            "b1": _node("b", "ac", True, [_ticket("a"), _ticket("c")]), "b2": _node("b", "ac"),
            "c1": _node("c", "ab", True, [_ticket("a"), _ticket("b")])}


def build(trusts, nodes, **kwargs):
    kwargs.setdefault("now", NOW)
    # What the inventory says: cluster_<x> is x.ex.
    kwargs.setdefault("inventory", dict((g, dict((h, {"mapr_cluster_name": "%s.ex" % g[-1]}) for h in hosts))
                                        for g, hosts in GROUPS.items()))
    return report.build(trusts, GROUPS, nodes, **kwargs)


def _drop(node, sha, *stores):
    for name in stores:
        store = node["facts"]["truststores"][name]
        store["entries"] = [e for e in store["entries"] if e["sha256"] != sha]


def _hosts(result, severity="drift"):
    return sorted(set(f["host"] for f in result["findings"] if f["severity"] == severity and f["host"]))


# --------------------------------------------------------------------------- clean


def test_a_mesh_that_holds_everything_is_clean():
    result = build(MESH, _mesh_world())
    assert result["status"] == "clean" and result["drift"] is False
    assert result["findings"] == [] and result["drifted_nodes"] == [] and result["unknown_nodes"] == []
    assert result["matrix"]["groups"] == ["cluster_a", "cluster_b", "cluster_c"]
    for row, cells in result["matrix"]["cells"].items():
        assert sorted(cells) == sorted(g for g in result["matrix"]["groups"] if g != row)
        for cell in cells.values():
            assert cell == {"user": "ok", "server": "ok", "kerberos": "not configured"}
    assert all(n["status"] == "ok" for n in result["nodes"].values())
    change = result["nodes"]["a1"]["would_change"]
    assert change["user"] == {"conf_changes": False, "truststore_changes": False, "conf_remove": [],
                              "certificates_remove": []}
    assert change["server"] == {"wanted_from": [], "remove": [], "wanted_from_clusters": []}
    assert [c["name"] for c in result["clusters"]] == ["a.ex", "b.ex", "c.ex"]
    assert len(result["pairs"]) == 3 and all(p["state"] == "present" for p in result["pairs"])


def test_clusters_outside_the_list_are_not_configured():
    nodes = _pair_world()
    nodes["c1"] = _node("c", cldb=True, tickets=[])
    result = build(PAIR + [{"clusters": ["cluster_a", "cluster_c"], "type": "user"}], nodes)
    assert result["status"] == "drift"  # c1 lacks a's line: a user pair
    assert result["matrix"]["cells"]["cluster_b"]["cluster_c"] == {
        "user": "not configured", "server": "not configured", "kerberos": "not configured"}
    assert result["matrix"]["cells"]["cluster_a"]["cluster_c"]["server"] == "not configured"
    assert result["matrix"]["cells"]["cluster_c"]["cluster_a"]["user"] == "drift"


# --------------------------------------------------------------------------- user trust


def test_one_store_lacking_a_peers_ca_names_that_node_alone():
    nodes = _pair_world()
    _drop(nodes["a2"], SHA["b"], "ssl_truststore.p12")
    result = build(PAIR, nodes)
    assert result["status"] == "drift" and result["drifted_nodes"] == ["a2"] == _hosts(result)
    [finding] = result["findings"]
    assert finding["kind"] == "user" and finding["peer"] == "cluster_b" and finding["group"] == "cluster_a"
    assert "ssl_truststore.p12 lacks cluster_b's CA CN=b.ex lab CA (sha256 bbbbbbbbbbbb)" == finding["message"]
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] == "drift"
    assert result["matrix"]["cells"]["cluster_b"]["cluster_a"]["user"] == "ok"
    detail = result["pairs"][0]["directions"][0]["user"]["nodes"]["a2"]
    assert detail["certificates"][0]["missing_from"] == ["ssl_truststore.p12"]
    assert result["nodes"]["a2"]["would_change"]["user"]["truststore_changes"] is True
    assert result["nodes"]["a1"]["would_change"]["user"]["truststore_changes"] is False


def test_a_missing_sibling_store_is_not_wanted_but_a_missing_jks_is():
    nodes = _pair_world()
    nodes["a2"]["facts"]["truststores"]["ssl_truststore.pem"] = {"exists": False, "entries": [], "error": None}
    assert build(PAIR, nodes)["status"] == "clean"
    nodes["a2"]["facts"]["truststores"]["ssl_truststore"] = {"exists": False, "entries": [], "error": None}
    result = build(PAIR, nodes)
    assert result["drifted_nodes"] == ["a2"]
    assert "ssl_truststore lacks cluster_b's CA" in result["findings"][0]["message"]


@pytest.mark.parametrize("held, state, words", [
    ([], "missing", "mapr-clusters.conf lacks cluster_b's line (b.ex)"),
    (["b.ex secure=true nb2:7222"], "differs", "mapr-clusters.conf has another line for b.ex than cluster_b's own"),
    (["b.ex   secure=true    nb1:7222"], "ok", None),
])
def test_the_conf_line_is_compared_by_meaning(held, state, words):
    nodes = _pair_world()
    nodes["a2"]["facts"]["conf_lines"] = [LINES["a"]] + held
    result = build(PAIR, nodes)
    detail = result["pairs"][0]["directions"][0]["user"]["nodes"]["a2"]
    assert detail["conf"] == state
    if words:
        assert result["drifted_nodes"] == ["a2"] and words in result["findings"][0]["message"]
        assert result["nodes"]["a2"]["would_change"]["user"]["conf_changes"] is True
    else:
        assert result["status"] == "clean"


def test_a_renewed_peer_ca_shows_the_old_one_stale_and_the_new_one_missing():
    nodes = _pair_world()
    for host in ("a1", "a2"):
        for store in nodes[host]["facts"]["truststores"].values():
            store["entries"] = [e for e in store["entries"] if e["sha256"] != SHA["b"]] + [_entry("b", sha=OLD_B)]
    for host in ("b1", "b2"):
        nodes[host]["facts"]["own_ca"]["certificates"] = [_cert("b")]  # the new CA, on every node of b
    result = build(PAIR, nodes)
    assert result["drifted_nodes"] == ["a1", "a2"]
    detail = result["pairs"][0]["directions"][0]["user"]["nodes"]["a1"]
    assert detail["stale"] == [{"alias": "b.ex-999999999999", "sha256": OLD_B, "subject": "CN=b.ex lab CA",
                                "stores": list(STORES)}]
    assert detail["certificates"][0]["missing_from"] == list(STORES)
    messages = [f["message"] for f in result["findings"] if f["host"] == "a1"]
    assert any("holds b.ex-999999999999, an old CA of cluster_b (sha256 999999999999)" in m for m in messages)
    # The planner agrees: the old one goes, the new one comes, in one write.
    change = result["nodes"]["a1"]["would_change"]["user"]
    assert change["certificates_remove"] == [{"alias": "b.ex-999999999999", "sha256": OLD_B}]
    assert change["truststore_changes"] is True


def test_a_ca_imported_by_hand_under_another_alias_is_not_stale():
    nodes = _pair_world()
    for store in nodes["a1"]["facts"]["truststores"].values():
        store["entries"].append(_entry("b", alias="b-old-by-hand", sha=OLD_B))
    assert build(PAIR, nodes)["status"] == "clean"


def test_a_store_that_does_not_open_is_unknown_not_ok():
    nodes = _pair_world()
    nodes["a2"]["facts"]["truststores"]["ssl_truststore.p12"]["error"] = "the password does not open it"
    result = build(PAIR, nodes)
    assert result["status"] == "unknown" and result["unknown_nodes"] == ["a2"]
    assert "ssl_truststore.p12 could not be read: the password does not open it" in result["findings"][0]["message"]
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] == "unknown"


def test_nodes_holding_the_same_each_get_their_own_findings_and_a_store_error_stays_the_nodes_own():
    # A node's detail is worked out once per distinct plan and store state and shared (what a fleet
    # costs); its findings must still be every node's own, and a store's error text tells nodes apart.
    nodes = _pair_world()
    for host in ("a1", "a2"):
        nodes[host]["facts"]["conf_lines"] = [LINES["a"]]
    result = build(PAIR, nodes)
    assert [f["host"] for f in result["findings"] if "lacks cluster_b's line" in f["message"]] == ["a1", "a2"]
    user = result["pairs"][0]["directions"][0]["user"]["nodes"]
    assert user["a1"] == user["a2"] and user["a1"]["conf"] == "missing"
    for host, why in (("a1", "the password does not open it"), ("a2", "it is not a keystore")):
        nodes[host]["facts"]["truststores"]["ssl_truststore.p12"]["error"] = why
    result = build(PAIR, nodes)
    assert [(f["host"], f["message"]) for f in result["findings"] if f["severity"] == "unknown"] == [
        ("a1", "ssl_truststore.p12 could not be read: the password does not open it"),
        ("a2", "ssl_truststore.p12 could not be read: it is not a keystore")]
    user = result["pairs"][0]["directions"][0]["user"]["nodes"]
    assert user["a1"]["error"] != user["a2"]["error"] and user["a2"]["status"] == "unknown"


# --------------------------------------------------------------------------- revoked pairs


REVOKED = [{"clusters": ["cluster_a", "cluster_b"], "type": "all", "state": "absent"}]


def _revoked_world():
    return {"a1": _node("a", cldb=True, tickets=[]), "a2": _node("a"),
            "b1": _node("b", cldb=True, tickets=[]), "b2": _node("b")}


def test_a_revoked_pair_with_nothing_left_is_revoked_ok():
    result = build(REVOKED, _revoked_world())
    assert result["status"] == "clean"
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"] == {
        "user": "revoked-ok", "server": "revoked-ok", "kerberos": "not configured"}


def test_whatever_a_revoked_peer_left_behind_is_drift():
    nodes = _revoked_world()
    nodes["a2"] = _node("a", "b")
    nodes["b1"]["tickets"] = [_ticket("a")]
    result = build(REVOKED, nodes)
    assert result["drifted_nodes"] == ["a2", "b1"]
    messages = sorted(f["message"] for f in result["findings"])
    assert messages == [
        "mapr-clusters.conf still holds the line of cluster_b (b.ex), whose trust is revoked",
        "maprserverticket still holds a ticket for a.ex (cluster_a), whose trust is revoked",
        "still trusts cluster_b's CA CN=b.ex lab CA (sha256 bbbbbbbbbbbb), whose trust is revoked"]
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] == "drift"
    assert result["matrix"]["cells"]["cluster_b"]["cluster_a"]["server"] == "drift"
    assert result["nodes"]["a2"]["would_change"]["user"]["conf_remove"] == ["b.ex"]
    assert result["nodes"]["b1"]["would_change"]["server"]["remove"] == ["a.ex"]


def test_a_revoked_peers_ca_added_by_hand_is_a_warning_only():
    nodes = _revoked_world()
    for store in nodes["a2"]["facts"]["truststores"].values():
        store["entries"].append(_entry("b", alias="b-by-hand"))
    result = build(REVOKED, nodes)
    assert result["status"] == "clean" and result["counts"]["warning"] == 1
    assert "under alias b-by-hand, which this collection did not add" in result["findings"][0]["message"]


def test_one_pair_of_a_mesh_revoked_by_an_explicit_entry():
    trusts = MESH + [{"clusters": ["cluster_c", "cluster_a"], "type": "all", "state": "absent"}]
    nodes = _mesh_world()
    nodes["a1"] = _node("a", "b", True, [_ticket("b")])
    nodes["a2"] = _node("a", "b")
    nodes["c1"] = _node("c", "b", True, [_ticket("b")])
    result = build(trusts, nodes)
    # b still holds a's and c's lines (mesh), which is right; only the a-c pair is revoked.
    assert result["status"] == "clean", result["findings"]
    cells = result["matrix"]["cells"]
    assert cells["cluster_a"]["cluster_c"]["user"] == "revoked-ok" and cells["cluster_a"]["cluster_b"]["user"] == "ok"
    assert [p["state"] for p in result["pairs"]] == ["present", "absent", "present"]


# --------------------------------------------------------------------------- server trust


@pytest.mark.parametrize("tickets, state, words", [
    ([], "missing", "maprserverticket has no ticket for b.ex (user xcsuser)"),
    ([_ticket("b", days=3)], "expiring", "in maprserverticket expires within 7d; the main playbook replaces it"),
    ([_ticket("b", days=-1)], "expired", "the ticket for b.ex (user xcsuser) in maprserverticket has expired"),
    ([_ticket("b", user="mapr")], "other user", "holds a ticket for b.ex, but not for its cross-cluster user"),
])
def test_a_cldb_node_without_a_valid_ticket_from_its_peer_drifts(tickets, state, words):
    nodes = _pair_world()
    nodes["a1"]["tickets"] = tickets
    result = build(PAIR, nodes)
    assert result["drifted_nodes"] == ["a1"]
    detail = result["pairs"][0]["directions"][0]["server"]["nodes"]["a1"]
    assert detail["ticket"] == state and words in result["findings"][0]["message"]
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["server"] == "drift"
    assert result["nodes"]["a1"]["would_change"]["server"]["wanted_from"] == ["b1"]
    assert result["nodes"]["a1"]["would_change"]["server"]["wanted_from_clusters"] == ["b.ex"]


def test_the_ticket_minimum_validity_is_the_main_playbooks():
    nodes = _pair_world()
    nodes["a1"]["tickets"] = [_ticket("b", days=3)]
    assert build(PAIR, nodes, min_validity="2d")["status"] == "clean"
    assert build(PAIR, nodes, min_validity=4 * 86400)["status"] == "drift"


def test_tickets_that_could_not_be_read_are_unknown():
    nodes = _pair_world()
    nodes["a1"]["tickets"], nodes["a1"]["tickets_error"] = None, "maprlogin: permission denied"
    result = build(PAIR, nodes)
    assert result["status"] == "unknown" and result["unknown_nodes"] == ["a1"]
    assert result["findings"][0]["message"] == "its tickets could not be read: maprlogin: permission denied"
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["server"] == "unknown"


# --------------------------------------------------------------------------- unknown nodes


def test_a_node_that_could_not_be_read_is_unknown_everywhere_it_counts():
    nodes = _pair_world()
    nodes["b2"] = {"facts": None, "error": "cannot be reached (ssh: timeout)", "user": None, "tickets": None,
                   "tickets_error": None}
    del nodes["a2"]  # not in the play
    result = build(PAIR, nodes)
    assert result["status"] == "unknown" and result["unknown_nodes"] == ["a2", "b2"]
    assert result["nodes"]["b2"]["error"] == "cannot be reached (ssh: timeout)"
    assert result["nodes"]["a2"]["error"].startswith("not in the play")
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] == "unknown"
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["server"] == "ok"


def test_a_peer_none_of_whose_nodes_reported_leaves_only_its_own_nodes_unknown():
    nodes = _pair_world()
    for host in ("b1", "b2"):
        nodes[host] = {"facts": None, "error": "cannot be reached (timeout)", "user": None, "tickets": None,
                       "tickets_error": None}
    result = build(PAIR, nodes)
    assert result["status"] == "unknown" and result["unknown_nodes"] == ["b1", "b2"]
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"] == {
        "user": "unknown", "server": "unknown", "kerberos": "not configured"}
    peer_level = [f for f in result["findings"] if f["host"] is None]
    assert sorted(f["kind"] for f in peer_level) == ["server", "user"]
    assert all(f["group"] == "cluster_a" and f["peer"] == "cluster_b" for f in peer_level)


def test_drift_outranks_unknown():
    nodes = _pair_world()
    nodes["b2"]["facts"], nodes["b2"]["error"] = None, "failed"
    _drop(nodes["a2"], SHA["b"], "ssl_truststore.pem")
    result = build(PAIR, nodes)
    assert result["status"] == "drift" and result["drifted_nodes"] == ["a2"] and result["unknown_nodes"] == ["b2"]


def test_a_cluster_whose_chain_is_unknown_leaves_its_peers_unknown_not_ok():
    nodes = _pair_world()
    for host in ("b1", "b2"):
        nodes[host]["facts"]["own_ca"] = {"certificates": [], "error": "ssl_keystore.pem: does not exist"}
    result = build(PAIR, nodes)
    assert result["status"] == "unknown"
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] == "unknown"
    messages = [f["message"] for f in result["findings"]]
    assert any("what user trust would change is unknown" in m and "ssl_keystore.pem" in m for m in messages)
    assert result["nodes"]["a1"]["would_change"]["user"] is None


def test_every_change_the_plan_would_make_is_named_by_its_reason_and_nothing_else_is_drift():
    """The report renders the planner's reasons: no check of its own, no catch-all. Over a mesh with a
    missing line, a missing certificate, a stale CA, a revoked peer and a missing ticket, each node the
    plan would write to has a drift finding of that kind, and no other node has one."""
    trusts = MESH + [{"clusters": ["cluster_a", "cluster_c"], "type": "all", "state": "absent"}]
    nodes = _mesh_world()
    nodes["a2"]["facts"]["conf_lines"].remove(LINES["b"])  # a2 lacks b's line
    p12 = nodes["b2"]["facts"]["truststores"]["ssl_truststore.p12"]["entries"]
    p12[:] = [e for e in p12 if e["sha256"] != SHA["a"]]  # b2's PKCS12 store lacks a's CA
    nodes["b1"]["facts"]["truststores"]["ssl_truststore"]["entries"].append(_entry("c", sha="9" * 64))  # stale
    nodes["c1"]["tickets"] = [_ticket("a"), _ticket("b", days=1)]  # b's ticket expires within 7d
    # a and c revoked: a1 and c1 still hold each other's lines, CAs and tickets.
    result = build(trusts, nodes)
    assert result["drifted_nodes"] == ["a1", "a2", "b1", "b2", "c1"]
    for host, node in result["nodes"].items():
        change = node["would_change"]
        user = change["user"] or {}
        server = change["server"] or {}
        would = dict(user=bool(user.get("conf_changes") or user.get("truststore_changes")),
                     server=bool(server.get("wanted_from") or server.get("remove")))
        found = set(f["kind"] for f in result["findings"] if f["host"] == host and f["severity"] == "drift")
        for kind in ("user", "server"):
            assert would[kind] == (kind in found), (host, kind, would, found)


# --------------------------------------------------------------------------- certificates expiring


def test_a_ca_expiring_soon_warns_and_an_expired_one_is_drift():
    nodes = _pair_world()
    for host in ("b1", "b2"):
        nodes[host]["facts"]["own_ca"]["certificates"] = [_cert("b", days=10)]
    result = build(PAIR, nodes)
    assert result["status"] == "clean" and result["counts"]["warning"] == 1
    assert ("cluster_b's CA CN=b.ex lab CA (sha256 bbbbbbbbbbbb) expires in 10 days (2026-06-11)"
            in result["findings"][0]["message"])
    assert build(PAIR, nodes, expiry_days=5)["counts"]["warning"] == 0
    for host in ("b1", "b2"):
        nodes[host]["facts"]["own_ca"]["certificates"] = [_cert("b", days=-2)]
    result = build(PAIR, nodes)
    assert result["status"] == "drift" and result["drifted_nodes"] == []
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] == "drift"
    assert result["matrix"]["cells"]["cluster_b"]["cluster_a"]["user"] == "ok"


def test_a_ca_not_valid_yet_is_drift_by_the_gates_own_rule():
    """The report and the preflight gate judge a CA's validity by one rule (_world.ca_validity): a CA
    the gate refuses as not valid yet (a clock or a renewal ahead of time) is drift of the trust in it."""
    from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import NOT_YET_VALID, ca_validity

    nodes = _pair_world()
    early = dict(_cert("b"), not_before=(NOW + datetime.timedelta(days=3)).isoformat())
    assert ca_validity(early, NOW, 30)[0] == NOT_YET_VALID
    for host in ("b1", "b2"):
        nodes[host]["facts"]["own_ca"]["certificates"] = [early]
    result = build(PAIR, nodes)
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["user"] == "drift"
    assert any("is not valid before" in f["message"] for f in result["findings"])


# --------------------------------------------------------------------------- Kerberos


def _kdc(realm, principals):
    return {"realm": realm, "principals": principals, "error": None}


def _principal(kvno=2, digest="k1"):
    return {"exists": True, "kvno": kvno, "enctypes": ["aes256-cts-hmac-sha1-96"], "attributes": [],
            "key_digests": {"aes256-cts-hmac-sha1-96": DIGEST_MARK + digest}}


def _kerberos(a_b=None, b_a=None, b_side=None):
    both = {"krbtgt/B.EX@A.EX": a_b or _principal(), "krbtgt/A.EX@B.EX": b_a or _principal()}
    other = dict(both)
    other.update(b_side or {})
    return {"cluster_a": _kdc("A.EX", both), "cluster_b": _kdc("B.EX", other)}


def test_cross_realm_principals_equal_in_both_kdcs_are_ok():
    result = build(PAIR, _pair_world(), kerberos=_kerberos())
    assert result["status"] == "clean"
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["kerberos"] == "ok"
    detail = result["pairs"][0]["directions"][0]["kerberos"]["detail"]
    assert detail == {"status": "ok", "principal": "krbtgt/B.EX@A.EX", "kvno": {"A.EX": 2, "B.EX": 2}}


@pytest.mark.parametrize("b_side, words", [
    ({"krbtgt/B.EX@A.EX": _principal(digest="k2")}, "krbtgt/B.EX@A.EX differs between the two KDCs"),
    ({"krbtgt/B.EX@A.EX": _principal(kvno=3)}, "krbtgt/B.EX@A.EX differs between the two KDCs"),
    ({"krbtgt/B.EX@A.EX": {"exists": False}}, "krbtgt/B.EX@A.EX is missing in the KDC of B.EX"),
])
def test_cross_realm_principals_that_differ_are_drift_of_that_direction(b_side, words):
    result = build(PAIR, _pair_world(), kerberos=_kerberos(b_side=b_side))
    assert result["status"] == "drift" and result["drifted_nodes"] == []
    assert [f["message"] for f in result["findings"]] == [words + ("" if "missing" in words else
                                                                   " (kvno, enctypes or keys)")]
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["kerberos"] == "drift"
    assert result["matrix"]["cells"]["cluster_b"]["cluster_a"]["kerberos"] == "ok"


def test_a_kdc_that_could_not_be_read_is_unknown():
    kerberos = _kerberos()
    kerberos["cluster_b"] = {"realm": "B.EX", "principals": None, "error": "kadmin.local: cannot open database"}
    result = build(PAIR, _pair_world(), kerberos=kerberos)
    assert result["status"] == "unknown"
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["kerberos"] == "unknown"
    assert "cluster_b's KDC could not be read: kadmin.local: cannot open database" in result["findings"][0]["message"]


def test_revoked_cross_realm_principals_must_be_gone_from_both_kdcs():
    gone = {"exists": False}
    kerberos = _kerberos(a_b=gone, b_a=gone, b_side={"krbtgt/B.EX@A.EX": gone, "krbtgt/A.EX@B.EX": gone})
    result = build(REVOKED, _revoked_world(), kerberos=kerberos)
    assert result["matrix"]["cells"]["cluster_a"]["cluster_b"]["kerberos"] == "revoked-ok"
    kerberos["cluster_b"]["principals"]["krbtgt/A.EX@B.EX"] = _principal()
    result = build(REVOKED, _revoked_world(), kerberos=kerberos)
    assert result["matrix"]["cells"]["cluster_b"]["cluster_a"]["kerberos"] == "drift"
    assert "krbtgt/A.EX@B.EX still exists (B.EX)" in result["findings"][0]["message"]


def test_the_principals_each_kdc_is_asked_about():
    trusts = MESH + [{"clusters": ["cluster_c", "cluster_a"], "type": "user", "state": "absent"}]
    realms = {"cluster_a": "A.EX", "cluster_b": "B.EX", "cluster_c": "C.EX"}
    assert report.principals_to_read(trusts, "cluster_a", realms) == [
        "krbtgt/B.EX@A.EX", "krbtgt/A.EX@B.EX", "krbtgt/C.EX@A.EX", "krbtgt/A.EX@C.EX"]
    assert report.principals_to_read(trusts, "cluster_a", {"cluster_a": "A.EX"}) == []
    assert report.principals_to_read(trusts, "cluster_b", {"cluster_a": "A.EX"}) == []


# --------------------------------------------------------------------------- secrets and inputs


def test_the_report_holds_no_pem_ticket_or_key_digest():
    nodes = _mesh_world()
    _drop(nodes["a2"], SHA["b"], "ssl_truststore.p12")
    result = build(MESH, nodes, kerberos=_kerberos(b_side={"krbtgt/B.EX@A.EX": _principal(digest="k2")}))
    text = json.dumps(result) + report.markdown(result)
    for mark in (PEM_MARK, BLOB_MARK, DIGEST_MARK, "BEGIN CERTIFICATE"):
        assert mark not in text
    tickets = result["pairs"][0]["directions"][0]["server"]["nodes"]["a1"]["tickets"]
    assert tickets == [{"cluster": "b.ex", "user": "xcsuser", "expires": _ticket("b")["expires"]}]


@pytest.mark.parametrize("bad, words", [
    ("cluster_a", "is a str, not a list"),
    ([{"clusters": ["cluster_a", "cluster_b"]}], "has no type"),
])
def test_a_malformed_trust_list_is_named(bad, words):
    with pytest.raises(CrossclusterError, match=words):
        build(bad, _pair_world())


@pytest.mark.parametrize("days", [-1, "30", 1.5, True])
def test_expiry_days_must_be_a_whole_number(days):
    with pytest.raises(CrossclusterError, match="report_expiry_days is .* not a whole number of days. Fix: set it"):
        build(PAIR, _pair_world(), expiry_days=days)


def test_now_may_be_given_as_text():
    assert build(PAIR, _pair_world(), now="2026-06-01T00:00:00")["generated"] == "2026-06-01T00:00:00+00:00"


# --------------------------------------------------------------------------- Markdown


def test_markdown_has_the_matrix_findings_and_every_node():
    nodes = _mesh_world()
    _drop(nodes["a2"], SHA["b"], "ssl_truststore.p12")
    text = report.markdown(build(MESH, nodes))
    assert text.startswith("# Cross-cluster drift report\n")
    assert "**Status: drift.**" in text and "Drift on: a2." in text
    assert "| **cluster_a** | - | drift / ok / not configured | ok / ok / not configured |" in text
    assert "| drift | a2 | cluster_a | cluster_b | user | ssl_truststore.p12 lacks cluster_b's CA" in text
    assert "| a2 | cluster_a | drift | truststores |" in text
    for host in nodes:
        assert "| %s |" % host in text
    for table in re.findall(r"((?:^\|.*\|\n)+)", text, re.M):
        widths = set(len(re.split(r"(?<!\\)\|", row)) for row in table.splitlines())
        assert len(widths) == 1, table


def test_markdown_escapes_what_nodes_wrote():
    nodes = _pair_world()
    for host in ("b1", "b2"):
        nodes[host]["facts"]["own_ca"]["certificates"][0]["subject"] = "CN=evil | *bold* `code` <b>"
    nodes["a2"]["facts"]["conf_lines"] = [LINES["a"]]
    result = build(PAIR, nodes)
    text = report.markdown(result)
    assert "CN=evil \\| \\*bold\\* \\`code\\` \\<b\\>" in text
    assert "| evil" not in text and "<b>" not in text


def test_a_clean_report_says_so():
    text = report.markdown(build(PAIR, _pair_world()))
    assert "**Status: clean.**" in text and "None: every node holds what crosscluster_trusts asks for." in text
    assert "| a1 | cluster_a | ok | nothing |" in text


# --------------------------------------------------------------------------- the filters (these import Ansible)


def _hostvars(nodes, realms=None):
    hostvars = {}
    for host, node in nodes.items():
        group = "cluster_" + host[0]
        gathered = ({"ansible_facts": {"mapr_security": node["facts"]}, "changed": False} if node["facts"]
                    else {"unreachable": True, "msg": "ssh:   connect\n timed out", "changed": False})
        held = {"changed": False, "tickets": node["tickets"]} if node["tickets"] is not None else {"skipped": True}
        hostvars[host] = {"__report_gathered": gathered, "__report_held": held, "__report_user": node["user"]}
        if realms and group in realms:
            hostvars[host]["kerberos_realm"] = realms[group]
    return hostvars


def _drift_report(trusts, hostvars, groups, play, *args, **kwargs):
    """The report role's call: what it registered, handed over per host."""
    from ansible_collections.datafabric.crosscluster.plugins.filter.report import drift_report
    from ansible_collections.datafabric.crosscluster.plugins.filter.trust import by_host

    read = dict((name, by_host(play, hostvars, "__report_" + name)) for name in ("gathered", "held", "kdc", "user"))
    return drift_report(trusts, hostvars, groups, play, *args, **dict(read, **kwargs))


def test_the_report_filter_reads_what_the_role_registered():

    nodes = _pair_world()
    nodes["b2"] = {"facts": None, "error": None, "user": None, "tickets": None, "tickets_error": None}
    hostvars = _hostvars(nodes, {"cluster_a": "A.EX", "cluster_b": "B.EX"})
    hostvars["a1"]["__report_kdc"] = {"changed": False, "principals": _kerberos()["cluster_a"]["principals"]}
    hostvars["b1"]["__report_kdc"] = {"failed": True, "msg": "kadmin.local: no database"}
    hostvars["a1"]["__report_held"] = {"failed": True, "msg": "maprlogin: permission denied"}
    result = _drift_report(PAIR, hostvars, GROUPS, sorted(nodes), now="2026-06-01T00:00:00+00:00")
    assert result["nodes"]["b2"]["error"] == "cannot be reached (ssh: connect timed out)"
    messages = [f["message"] for f in result["findings"]]
    assert "its tickets could not be read: maprlogin: permission denied" in messages
    assert "cluster_b's KDC could not be read: kadmin.local: no database" in messages
    assert result["unknown_nodes"] == ["a1", "b2"]


def test_the_report_filter_names_a_malformed_list_and_the_markdown_filter_a_wrong_input():
    from ansible.errors import AnsibleFilterError

    from ansible_collections.datafabric.crosscluster.plugins.filter.report import (
        drift_markdown,
        drift_principals,
        drift_report,
    )

    with pytest.raises(AnsibleFilterError, match="has no type"):
        _drift_report([{"clusters": ["cluster_a", "cluster_b"]}], {}, GROUPS, [])
    with pytest.raises(AnsibleFilterError, match="report_expiry_days is -3"):
        _drift_report(PAIR, _hostvars(_pair_world()), GROUPS, list(_pair_world()), -3)
    with pytest.raises(AnsibleFilterError, match="drift_report needs kdc=, user=: what the report role read"):
        drift_report(PAIR, {}, GROUPS, [], gathered={}, held={})
    with pytest.raises(AnsibleFilterError, match="drift_markdown needs the report that drift_report returns, not a"):
        drift_markdown("clean")
    hostvars = _hostvars(_pair_world(), {"cluster_a": "A.EX", "cluster_b": "B.EX"})
    assert drift_principals(PAIR, "cluster_b", hostvars, GROUPS) == ["krbtgt/A.EX@B.EX", "krbtgt/B.EX@A.EX"]
    assert drift_markdown(_drift_report(PAIR, hostvars, GROUPS, list(hostvars))).startswith("# Cross-cluster drift")


def test_a_pkcs12_store_read_without_its_password_is_left_out_not_judged_missing():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils import _report

    stores = {"ssl_truststore": {"exists": True, "entries": [{"alias": "a", "sha256": "1"}], "error": None},
              "ssl_truststore.p12": {"exists": True, "entries": None, "error": None},
              "ssl_truststore.pem": {"exists": True, "entries": [], "error": None}}
    found, why = _report._store_entries({"truststores": stores})
    assert why is None and sorted(found) == ["ssl_truststore", "ssl_truststore.pem"]


def test_a_fips_node_is_judged_by_its_bcfks_store_not_a_missing_jks_one():
    from ansible_collections.datafabric.crosscluster.plugins.module_utils import _report

    entries = [{"alias": "b.ex-bbbbbbbbbbbb", "sha256": "b" * 64}]
    stores = {"ssl_truststore": {"exists": False, "entries": [], "error": None},
              "ssl_truststore.bcfks": {"exists": True, "entries": entries, "error": None}}
    found, why = _report._store_entries({"truststores": stores, "stores": {"ssl_truststore.bcfks": {"exists": True}}})
    assert why is None and found == {"ssl_truststore.bcfks": entries}
    # The same stores on a node without the BCFKS store file: the JKS store of record is wanted, and empty.
    found, why = _report._store_entries({"truststores": stores})
    assert found == {"ssl_truststore": []}


def _fips(node):
    """``node`` as a FIPS node: its trust in ssl_truststore.bcfks (keytool lists it) and the PEM sibling only."""
    stores = node["facts"]["truststores"]
    entries = stores["ssl_truststore"]["entries"]
    node["facts"]["truststores"] = {"ssl_truststore": {"exists": False, "entries": [], "error": None},
                                    "ssl_truststore.bcfks": dict(stores["ssl_truststore"], store_type="bcfks"),
                                    "ssl_truststore.pem": stores["ssl_truststore.pem"]}
    node["facts"]["stores"] = {"ssl_truststore.bcfks": {"exists": True, "format": "bcfks"},
                               "ssl_truststore.pem": {"exists": True, "format": "pem"},
                               "ssl_truststore": {"exists": False, "format": None}}
    assert entries
    return node


def test_a_mixed_cluster_and_a_fips_peer_are_clean_and_each_cluster_names_its_nodes_store_formats():
    nodes = _pair_world()
    _fips(nodes["a2"])
    _fips(nodes["b1"])
    _fips(nodes["b2"])
    result = build(PAIR, nodes)
    assert result["status"] == "clean", result["findings"]
    formats = dict((c["group"], [(f["format"], f["nodes"]) for f in c["store_formats"]]) for c in result["clusters"])
    assert formats == {"cluster_a": [("JKS + PKCS12 + PEM", ["a1"]), ("FIPS (BCFKS + PEM)", ["a2"])],
                       "cluster_b": [("FIPS (BCFKS + PEM)", ["b1", "b2"])]}
    text = report.markdown(result)
    assert "| JKS + PKCS12 + PEM: a1; FIPS (BCFKS + PEM): a2 |" in text
    assert "| FIPS (BCFKS + PEM): b1 and b2 |" in text
    # The FIPS node's BCFKS store is what is judged: a peer's CA missing there is drift on that node only.
    _drop(nodes["a2"], SHA["b"], "ssl_truststore.bcfks")
    drifted = build(PAIR, nodes)
    assert _hosts(drifted) == ["a2"]
    assert any("ssl_truststore.bcfks lacks cluster_b's CA" in f["message"] for f in drifted["findings"])
