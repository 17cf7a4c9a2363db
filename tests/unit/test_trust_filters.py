"""The pairing rules behind the roles: peers, groups, exporters, aliases, own certificates."""

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.datafabric.crosscluster.plugins.filter.trust import (
    cldb_targets,
    cluster_group,
    exporter,
    kerberos_peers,
    krb5_conf_edit,
    krbtgt_principals,
    own_certificates,
    plan_principals,
    preflight_problems,
    tickets_for,
    tickets_missing,
    trust_alias,
    trust_exports,
    trust_groups,
    trust_peers,
    trust_summary,
    wanted_by_peers,
)

MESH = [
    {"clusters": ["cluster_a", "cluster_b"], "type": "all"},
    {"clusters": ["cluster_c", "cluster_a"], "type": "user"},
    {"clusters": ["cluster_b", "cluster_c"], "type": "server"},
]
SHA_B = "f7ff1c3db0f3" + "0" * 52


def test_peers_run_both_directions_and_all_counts_for_each_kind():
    assert trust_peers(MESH, "cluster_a", "user") == ["cluster_b", "cluster_c"]
    assert trust_peers(MESH, "cluster_a", "server") == ["cluster_b"]
    assert trust_peers(MESH, "cluster_c", "server") == ["cluster_b"]
    assert trust_peers(MESH, "cluster_z", "user") == []


@pytest.mark.parametrize("bad, words", [
    ("cluster_a", "must be a list"),
    ([["cluster_a", "cluster_b"]], "must be a dict"),
    ([{"clusters": ["cluster_a"]}], "two different"),
    ([{"clusters": ["cluster_a", "cluster_a"]}], "two different"),
    ([{"clusters": ["cluster_a", "cluster_b"], "type": "both"}], "use one of"),
])
def test_a_malformed_trust_list_is_named(bad, words):
    with pytest.raises(AnsibleFilterError, match=words):
        trust_peers(bad, "cluster_a", "user")


def test_groups_and_a_hosts_cluster():
    assert trust_groups(MESH) == ["cluster_a", "cluster_b", "cluster_c"]
    assert cluster_group(["mapr_clusters", "cluster_b", "cluster_b_cldb"], MESH) == "cluster_b"
    assert cluster_group(["other"], MESH) is None
    with pytest.raises(AnsibleFilterError, match="two cluster groups"):
        cluster_group(["cluster_a", "cluster_b"], MESH)


def test_exporter_skips_hosts_no_longer_in_the_play():
    groups = {"cluster_a": ["a1", "a2", "a3"]}
    assert exporter("cluster_a", groups, ["a1", "a2", "a3"]) == "a1"
    assert exporter("cluster_a", groups, ["a2", "a3"]) == "a2"
    with pytest.raises(AnsibleFilterError, match="unreachable"):
        exporter("cluster_a", groups, [])


def test_exports_are_collected_in_peer_order_and_a_missing_one_is_named():
    groups = {"cluster_b": ["b1"], "cluster_c": ["c1"]}
    hostvars = {"b1": {"x": {"cluster_name": "b"}}, "c1": {"x": {"cluster_name": "c"}}}
    got = trust_exports(["cluster_c", "cluster_b"], hostvars, groups, ["b1", "c1"], "x")
    assert [e["cluster_name"] for e in got] == ["c", "b"]
    with pytest.raises(AnsibleFilterError, match="c1 .exporter of cluster_c. has no y fact"):
        trust_exports(["cluster_c"], hostvars, groups, ["c1"], "y")


def test_alias_rule():
    assert trust_alias("B.Example.COM", SHA_B) == "b.example.com-f7ff1c3db0f3"


def test_own_certificates_leave_out_what_was_imported_from_others():
    entries = [
        {"alias": "a.example-ca", "type": "trusted", "sha256": "1" * 64, "pem": "PEM-A"},
        {"alias": "b.example-f7ff1c3db0f3", "type": "trusted", "sha256": SHA_B, "pem": "PEM-B"},
        {"alias": "a.example-111111111111", "type": "trusted", "sha256": "1" * 64, "pem": "PEM-A2"},
        {"alias": "server", "type": "private_key", "sha256": "2" * 64, "pem": "PEM-KEY"},
    ]
    got = own_certificates(entries, "a.example")
    assert [c["pem"] for c in got] == ["PEM-A", "PEM-A2"]  # b's is b's; a's own rule-named entry stays
    assert got[0]["alias"] == "a.example-111111111111"
    assert [c["pem"] for c in own_certificates(entries, "a.example", ["B.EXAMPLE-f7ff1c3db0f3"])] == ["PEM-B"]
    with pytest.raises(AnsibleFilterError, match="no certificate of its own"):
        own_certificates(entries[1:2], "a.example")


def test_summary_counts_changed_nodes_per_direction():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"]}
    hostvars = {"a1": {"user_trust_conf": {"changed": True}}, "a2": {"user_trust_store": {"changed": False}},
                "b1": {}}
    lines = trust_summary(trusts, hostvars, groups, ["a1", "a2", "b1"])
    assert lines[0].startswith("user trust   cluster_a -> cluster_b: 2 nodes") and lines[0].endswith("changed on 1")
    assert lines[1].endswith("changed on 0")


def _ticket(cluster, user, hours_left):
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours_left)
    return {"cluster": cluster, "user": user, "expires": expires.isoformat()}


def test_tickets_missing_needs_the_right_user_and_enough_time_left():
    held = [_ticket("a.ex", "xcsuser", 24 * 20), _ticket("b.ex", "xcsuser", 2), _ticket("c.ex", "mapr", 24 * 20)]
    users = {"a.ex": "xcsuser", "b.ex": "xcsuser", "c.ex": "xcsuser", "d.ex": "xcsuser"}
    assert tickets_missing(held, users, "7d") == ["b.ex", "c.ex", "d.ex"]
    assert tickets_missing(held, {"b.ex": "xcsuser"}, "1h") == []
    # Each peer's ticket is judged against that peer's own cross-cluster user.
    assert tickets_missing(held, {"c.ex": "mapr", "a.ex": "other"}, "7d") == ["a.ex"]
    with pytest.raises(AnsibleFilterError, match="not a duration"):
        tickets_missing(held, {"a.ex": "xcsuser"}, "soon")


def test_a_ticket_is_wanted_only_when_a_peer_cldb_in_the_play_lacks_it():
    groups = {"cluster_b_cldb": ["b1", "b2"]}
    hostvars = {"b1": {"server_trust_missing": []}, "b2": {"server_trust_missing": ["a.ex"]}}
    assert wanted_by_peers("a.ex", ["cluster_b_cldb"], hostvars, groups, ["b1", "b2"]) is True
    assert wanted_by_peers("a.ex", ["cluster_b_cldb"], hostvars, groups, ["b1"]) is False
    assert wanted_by_peers("c.ex", ["cluster_b_cldb"], hostvars, groups, ["b1", "b2"]) is False


def test_tickets_for_reads_only_the_cluster_field():
    lines = ["a.ex QUFB", "b.ex QkJC", "", "c.ex Q0ND"]
    assert tickets_for(lines, ["c.ex", "a.ex"]) == ["a.ex QUFB", "c.ex Q0ND"]


def _facts(name, secure=True, fips=False, owner="mapr", stores=None, cldbs=("n1:7222",), port=7443):
    return {"cluster_name": name, "secure": secure, "fips": fips, "owner": owner,
            "stores": stores or {"ssl_truststore": {"exists": True, "format": "jks"}},
            "cldb_hosts": list(cldbs), "cldb_https_port": port}


def _world(a_facts, b_facts, extra=None):
    groups = {"cluster_a": [h for h, _f in a_facts], "cluster_b": [h for h, _f in b_facts]}
    hostvars = {h: {"mapr_security": f} for h, f in a_facts + b_facts}
    for host, values in (extra or {}).items():
        hostvars[host].update(values)
    return hostvars, groups, list(hostvars)


PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]


def test_a_clean_pair_has_no_problem():
    hostvars, groups, hosts = _world([("a1", _facts("a.ex"))], [("b1", _facts("b.ex"))])
    assert preflight_problems(PAIR, hostvars, groups, hosts) == []


def test_every_problem_is_named_once():
    bcfks = {"ssl_truststore.bcfks": {"exists": True, "format": "bcfks"}}
    hostvars, groups, hosts = _world(
        [("a1", _facts("a.ex", secure=False)), ("a2", _facts("a.ex", fips=True, stores=bcfks))],
        [("b1", _facts("a.ex", owner="hdfs")), ("b2", _facts("other.ex", owner="hdfs"))],
        extra={
            "b1": {"preflight_user": {"checked": True, "exists": False, "user": "xcsuser"},
                   "preflight_reach": {"results": [
                       {"item": {"cluster": "a.ex", "host": "n1", "port": 7443}, "msg": "Timeout"},
                       {"item": {"cluster": "a.ex", "host": "n2", "port": 7443}, "skipped": True}]}},
        })
    problems = preflight_problems(PAIR, hostvars, groups, hosts)
    text = "\n".join(problems)
    assert "a1 (cluster_a): the first line of mapr-clusters.conf lacks secure=true" in text
    assert "a2 (cluster_a): ssl_truststore.bcfks is a BCFKS store" in text
    assert "cluster_a: FIPS mode differs inside the cluster (on: a2)" in text
    assert "cluster_b: its hosts belong to different clusters (a.ex, other.ex)" in text
    assert "cluster_a and cluster_b are both named a.ex" in text
    assert "cluster_a runs as mapr and cluster_b as hdfs" in text
    assert "b1 (cluster_b): the cross-cluster user 'xcsuser' does not exist" in text
    assert "b1 cannot reach any CLDB of a.ex (tried n1:7443)" in text
    assert len(problems) == len(set(problems)) == 8


def test_one_reachable_cldb_is_enough_and_fips_on_both_sides_is_consistent():
    reach = {"results": [{"item": {"cluster": "b.ex", "host": "n1", "port": 7443}, "msg": "Timeout"},
                         {"item": {"cluster": "b.ex", "host": "n2", "port": 7443}, "state": "started"}]}
    hostvars, groups, hosts = _world([("a1", _facts("a.ex", fips=True))], [("b1", _facts("b.ex", fips=True))],
                                     extra={"a1": {"preflight_reach": reach}})
    assert preflight_problems(PAIR, hostvars, groups, hosts) == []


def test_cldb_targets_split_multi_homed_cldbs():
    hostvars, groups, hosts = _world([("a1", _facts("a.ex"))],
                                     [("b1", _facts("b.ex", cldbs=("10.0.0.5:7222;10.1.0.5:7222", "nb2:7222")))])
    targets = cldb_targets(["cluster_b"], hostvars, groups, hosts)
    assert [(t["host"], t["port"], t["cldb"]) for t in targets] == [
        ("10.0.0.5", 7443, "10.0.0.5:7222;10.1.0.5:7222"), ("10.1.0.5", 7443, "10.0.0.5:7222;10.1.0.5:7222"),
        ("nb2", 7443, "nb2:7222")]


def _held(kvno=1, digests=None, exists=True, enctypes=("aes256-cts-hmac-sha1-96",)):
    if not exists:
        return {"exists": False}
    return {"exists": True, "kvno": kvno, "enctypes": list(enctypes),
            "key_digests": digests if digests is not None else {"aes256-cts-hmac-sha1-96": "d1"}}


def _pair(a_info, b_info, principal="krbtgt/B.TEST@A.TEST"):
    other = "krbtgt/A.TEST@B.TEST"
    return [{"held": {"A.TEST": {principal: a_info, other: _held()}, "B.TEST": {principal: b_info, other: _held()}}}]


def test_krbtgt_principals_are_both_directions():
    assert krbtgt_principals(["B.TEST"], "A.TEST") == ["krbtgt/B.TEST@A.TEST", "krbtgt/A.TEST@B.TEST"]


def test_agreeing_kdcs_need_nothing_and_differences_get_a_fresh_password_and_kvno():
    assert plan_principals(_pair(_held(), _held())) == []
    [plan] = plan_principals(_pair(_held(kvno=3), _held(kvno=3, digests={"aes256-cts-hmac-sha1-96": "other"})))
    assert plan["principal"] == "krbtgt/B.TEST@A.TEST" and plan["kvno"] == 4 and plan["realms"] == ["A.TEST", "B.TEST"]
    assert len(plan["password"]) == 40
    [missing] = plan_principals(_pair(_held(kvno=2), _held(exists=False)))
    assert missing["kvno"] == 3
    [fresh] = plan_principals(_pair(_held(exists=False), _held(exists=False)), length=24)
    assert fresh["kvno"] == 1 and len(fresh["password"]) == 24
    # Two draws never give the same password: it is random, never a default.
    again = plan_principals(_pair(_held(exists=False), _held(exists=False)))
    assert again[0]["password"] != fresh["password"]


def test_kvno_or_enctypes_differing_or_missing_digests_count_as_different():
    assert plan_principals(_pair(_held(kvno=1), _held(kvno=2)))[0]["kvno"] == 3
    assert plan_principals(_pair(_held(), _held(enctypes=("aes128-cts-hmac-sha1-96",))))
    assert plan_principals(_pair(_held(digests={}), _held(digests={})))


def test_a_vaulted_password_is_always_applied_and_absent_lists_what_exists():
    [vaulted] = plan_principals(_pair(_held(kvno=5), _held(kvno=5)), passwords={"krbtgt/B.TEST@A.TEST": "v"})
    assert vaulted["password"] == "v" and vaulted["kvno"] == 5
    gone = plan_principals(_pair(_held(), _held(exists=False)), state="absent")
    assert [p["principal"] for p in gone] == ["krbtgt/B.TEST@A.TEST", "krbtgt/A.TEST@B.TEST"]
    assert "password" not in gone[0]


def test_kerberos_peers_skip_plain_clusters_and_need_kdcs():
    groups = {"cluster_b": ["b1"], "cluster_c": ["c1"]}
    hostvars = {"b1": {"kerberos_realm": "B.TEST", "kerberos_kdcs": ["kdc.b:88"], "kerberos_domains": [".b.test"]},
                "c1": {}}
    [peer] = kerberos_peers(["cluster_b", "cluster_c"], hostvars, groups, ["b1", "c1"])
    assert peer == {"group": "cluster_b", "realm": "B.TEST", "kdcs": ["kdc.b:88"], "admin_server": None,
                    "domains": [".b.test"]}
    with pytest.raises(AnsibleFilterError, match="no kerberos_kdcs"):
        kerberos_peers(["cluster_b"], {"b1": {"kerberos_realm": "B.TEST"}}, groups, ["b1"])


def test_summary_has_a_kerberos_line_only_for_pairs_with_realms():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    groups = {"cluster_a": ["a1"], "cluster_b": ["b1"]}
    hostvars = {"a1": {"kerberos_realm": "A.TEST", "kerberos_trust_conf": {"changed": True}},
                "b1": {"kerberos_realm": "B.TEST"}}
    lines = trust_summary(trusts, hostvars, groups, ["a1", "b1"])
    assert "kerberos     cluster_a -> cluster_b: A.TEST users get tickets for B.TEST services " \
           "(krbtgt/B.TEST@A.TEST); changed on 1" in lines
    del hostvars["b1"]["kerberos_realm"]
    assert not [line for line in trust_summary(trusts, hostvars, groups, ["a1", "b1"]) if "kerberos" in line]


def test_krb5_conf_edit_gives_one_call_per_node():
    peers = [{"group": "cluster_b", "realm": "B.TEST", "kdcs": ["kdc.b:88"], "admin_server": None,
              "domains": [".b.test"]},
             {"group": "cluster_c", "realm": "C.TEST", "kdcs": ["kdc.c:88"], "admin_server": "kdc.c:749",
              "domains": []}]
    edit = krb5_conf_edit(peers, "A.TEST", auth_to_local=True)
    assert edit["realms"] == [
        {"realm": "B.TEST", "domains": [".b.test"], "kdcs": ["kdc.b:88"]},
        {"realm": "C.TEST", "domains": [], "kdcs": ["kdc.c:88"], "admin_server": "kdc.c:749"},
        {"realm": "A.TEST", "auth_to_local": ["RULE:[1:$1@$0](.*@B\\.TEST)s/@.*//",
                                              "RULE:[1:$1@$0](.*@C\\.TEST)s/@.*//"]}]
    assert {"client_realm": "C.TEST", "server_realm": "A.TEST"} in edit["capaths"] and len(edit["capaths"]) == 4
    gone = krb5_conf_edit(peers, "A.TEST", state="absent")
    assert gone["realms"] == [{"realm": "B.TEST", "domains": [".b.test"]}, {"realm": "C.TEST", "domains": []}]
