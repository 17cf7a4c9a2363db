"""The filters the roles call: adapters from hostvars and groups to the planner, preflight and Kerberos plans."""


import jinja2
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.datafabric.crosscluster.plugins.filter.trust import (
    _kerberos_peers,
    by_host,
    changed_kinds,
    check_user_problems,
    kerberos_topology,
    krb5_conf_edit,
    krbtgt_plan,
    krbtgt_principals,
    preflight_report,
    trust_summary,
    trust_topology,
    user_trust_plan,
)

SHA_B = "f7ff1c3db0f3" + "0" * 52


@pytest.mark.parametrize("bad, words", [
    ("cluster_a", "is a str, not a list"),
    ([["cluster_a", "cluster_b"]], r"crosscluster_trusts\[1\] is a list, not a mapping"),
    ([{"clusters": ["cluster_a"], "type": "all"}], "two different"),
    ([{"clusters": ["cluster_a", "cluster_a"], "type": "all"}], "two different"),
    ([{"clusters": ["cluster_a", "cluster_b"], "type": "both"}], "must be one of user, server, all"),
    ([{"clusters": ["cluster_a", "cluster_b"]}], "has no type"),
])
def test_a_malformed_trust_list_is_named(bad, words):
    with pytest.raises(AnsibleFilterError, match=words):
        trust_summary(bad, {}, {}, [])


def test_by_host_reads_the_variable_named_at_the_call_and_none_where_unset():
    hostvars = {"a1": {"reg": {"changed": True}, "ansible_facts": {"mapr_security": {"is_cldb": True}}},
                "a2": {"reg": None, "ansible_facts": {}}, "a3": {"reg": _Undefined()}}
    assert by_host(["a1", "a2", "a3"], hostvars, "reg") == {"a1": {"changed": True}, "a2": None, "a3": None}
    assert by_host(["a1", "a2", "a3"], hostvars, "ansible_facts.mapr_security") == {
        "a1": {"is_cldb": True}, "a2": None, "a3": None}
    assert by_host([], hostvars, "reg") == {}


def test_changed_kinds_counts_a_kind_changed_when_any_of_its_results_changed():
    results = {"user": [{"a1": {"changed": True}, "a2": {"changed": False}}],
               "kerberos": [{"a1": None, "a2": {"skipped": True}}, {"a2": {"changed": True}}]}
    assert changed_kinds(["a1", "a2", "a3"], results) == {"a1": ["user"], "a2": ["kerberos"], "a3": []}


def _host_with(facts):
    """A host's variables holding ``facts`` as security_facts leaves them: in ansible_facts only, as
    ansible-core 2.24 will, with no top-level ``mapr_security``."""
    return {"ansible_facts": {"mapr_security": facts}}


def test_user_trust_plan_reads_the_facts_of_hosts_in_play_only():
    own = {"certificates": [{"sha256": SHA_B, "pem": "PEM-B"}], "error": None}
    facts = {"cluster_name": "b.ex", "conf_line": "b.ex secure=true nb1:7222", "own_ca": own,
             "conf_lines": ["b.ex secure=true nb1:7222"], "truststores": {}}
    hostvars = {"a1": dict(_host_with(dict(facts, cluster_name="a.ex", conf_line="a.ex secure=true na1:7222",
                                           conf_lines=["a.ex secure=true na1:7222"])), mapr_cluster_name="a.ex"),
                "b1": dict(_host_with(facts), mapr_cluster_name="b.ex"), "b2": {"mapr_cluster_name": "b.ex"}}
    groups = {"cluster_a": ["a1"], "cluster_b": ["b1", "b2"]}
    play = ["a1", "b1", "b2"]
    plan = user_trust_plan([{"clusters": ["cluster_a", "cluster_b"], "type": "user"}], groups, play,
                           by_host(play, hostvars, "ansible_facts.mapr_security"), hostvars)
    assert sorted(plan) == ["a1", "b1"]
    assert plan["a1"]["conf_lines"] == ["b.ex secure=true nb1:7222"]
    assert plan["a1"]["certificates"] == [{"alias": "b.ex-f7ff1c3db0f3", "pem": "PEM-B", "sha256": SHA_B}]
    with pytest.raises(AnsibleFilterError, match="cluster_b: b1 cannot hand its CA"):
        hostvars["b1"] = dict(_host_with(dict(facts, own_ca={"certificates": [], "error": "no chain"})),
                              mapr_cluster_name="b.ex")
        user_trust_plan([{"clusters": ["cluster_a", "cluster_b"], "type": "user"}], groups, ["a1", "b1"],
                        by_host(["a1", "b1"], hostvars, "ansible_facts.mapr_security"), hostvars)


def test_summary_counts_changed_nodes_per_direction():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"]}
    hostvars = {"a1": {}, "a2": {}, "b1": {}}
    lines = trust_summary(trusts, hostvars, groups, ["a1", "a2", "b1"], changed={"a1": ["user"], "a2": ["server"]})
    assert lines[0].startswith("user trust   cluster_a -> cluster_b: 2 nodes") and lines[0].endswith("changed on 1")
    assert lines[1].endswith("changed on 0")
    # Without what changed, the summary says who trusts whom and counts nothing.
    assert trust_summary(trusts, hostvars, groups, ["a1", "a2", "b1"])[0].endswith("can reach and verify cluster_b")


def _facts(name, secure=True, fips=False, owner="mapr", stores=None, cldbs=("n1:7222",), port=7443):
    return {"cluster_name": name, "secure": secure, "fips": fips, "owner": owner,
            "conf_line": "%s secure=%s %s" % (name, "true" if secure else "false", " ".join(cldbs)),
            "stores": stores or {"ssl_truststore": {"exists": True, "format": "jks"}},
            "cldb_hosts": list(cldbs), "cldb_https_port": port}


def _world(a_facts, b_facts, extra=None):
    groups = {"cluster_a": [h for h, _f in a_facts], "cluster_b": [h for h, _f in b_facts]}
    hostvars = {h: _host_with(f) for h, f in a_facts + b_facts}
    for host, values in (extra or {}).items():
        hostvars[host].update(values)
    return hostvars, groups, list(hostvars)


PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]


def _probes(hostvars, groups, hosts, trusts=None):
    who = trust_topology(trusts or PAIR, groups, hosts, facts=by_host(hosts, hostvars, "ansible_facts.mapr_security"))
    return dict((h, me["probes"]) for h, me in who.items() if me["probes"])


def test_the_speaker_probes_every_address_of_its_peers_multi_homed_cldbs():
    hostvars, groups, hosts = _world([("a1", _facts("a.ex")), ("a2", _facts("a.ex"))],
                                     [("b1", _facts("b.ex", cldbs=("10.0.0.5:7222;10.1.0.5:7222", "nb2:7222")))])
    probes = _probes(hostvars, groups, hosts)
    assert sorted(probes) == ["a1", "b1"]
    assert [(t["host"], t["port"], t["cldb"]) for t in probes["a1"]] == [
        ("10.0.0.5", 7443, "10.0.0.5:7222;10.1.0.5:7222"), ("10.1.0.5", 7443, "10.0.0.5:7222;10.1.0.5:7222"),
        ("nb2", 7443, "nb2:7222")]
    assert probes["b1"] == [{"group": "cluster_a", "cluster": "a.ex", "cldb": "n1:7222", "host": "n1", "port": 7443}]
    # Revoked peers' CLDBs need not answer.
    assert _probes(hostvars, groups, hosts, [dict(PAIR[0], state="absent")]) == {}


def test_the_probe_targets_come_from_the_peers_speaker_only():
    hostvars, groups, hosts = _world([("a1", _facts("a.ex"))], [("b1", _facts("b.ex", cldbs=("nb1:7222",))),
                                                                ("b2", _facts("b.ex", cldbs=("nb2:7222",)))])
    assert [t["host"] for t in _probes(hostvars, groups, hosts)["a1"]] == ["nb1"]
    # A node out of the play does not speak for its cluster; the next one does.
    assert [t["host"] for t in _probes(hostvars, groups, ["a1", "b2"])["a1"]] == ["nb2"]
    # A speaker that reported no facts gives nothing to probe: preflight names its own problem.
    del hostvars["b1"]["ansible_facts"]["mapr_security"]
    assert "a1" not in _probes(hostvars, groups, hosts)


@pytest.mark.parametrize("line, inventory_name", [
    ("evil.ex secure=true attacker:7222", "b.ex"),   # another cluster's name than the inventory's
    ("b.ex secure=false nb1:7222", "b.ex"),          # not secure
    ("b.ex secure=true nb1:7222 [", "b.ex"),         # does not parse
])
def test_a_peer_line_the_gate_refuses_sends_no_node_anywhere(line, inventory_name):
    """What a node reports is its word: its peers' speakers probe only a line parsed here, secure and of
    the cluster the inventory names; the gate then names the line's problem."""
    hostvars, groups, hosts = _world([("a1", _facts("a.ex"))], [("b1", _facts("b.ex"))])
    for host in hosts:
        hostvars[host]["mapr_cluster_name"] = host[0] + ".ex"
    hostvars["b1"]["ansible_facts"]["mapr_security"]["conf_line"] = line
    hostvars["b1"]["ansible_facts"]["mapr_security"]["cldb_hosts"] = ["attacker:7222"]  # the node's own parse
    who = trust_topology(PAIR, groups, hosts, facts=by_host(hosts, hostvars, "ansible_facts.mapr_security"),
                         hostvars=hostvars)
    assert who["a1"]["probes"] == [] and [t["host"] for t in who["b1"]["probes"]] == ["n1"]
    # The same line with the inventory's name and secure=true is probed, from the parse here, not the node's.
    hostvars["b1"]["ansible_facts"]["mapr_security"]["conf_line"] = "%s secure=true nb1:7222" % inventory_name
    who = trust_topology(PAIR, groups, hosts, facts=by_host(hosts, hostvars, "ansible_facts.mapr_security"),
                         hostvars=hostvars)
    assert [t["host"] for t in who["a1"]["probes"]] == ["nb1"]


def test_summary_names_the_nodes_not_done():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b2", "b1"], "other": ["x1"]}
    hostvars = {h: {} for h in ("a1", "a2", "b1", "b2", "x1")}
    lines = trust_summary(trusts, hostvars, groups, ["a1", "b2"])
    assert lines[-1] == "nodes not done: a2, b1 (unreachable, failed or left out); run again when they are back"
    assert len([line for line in lines if "not done" in line]) == 1
    everyone = trust_summary(trusts, hostvars, groups, ["a1", "a2", "b1", "b2"])
    assert not [line for line in everyone if "not done" in line]


def _gathered(name, cldb=False):
    facts = {"cluster_name": name, "secure": True, "fips": False, "owner": "mapr", "is_cldb": cldb,
             "mapr_home": "/opt/mapr", "cldb_hosts": ["n1:7222"], "cldb_https_port": 7443,
             "conf_line": "%s secure=true n1:7222" % name,
             "stores": {"ssl_truststore": {"exists": True, "format": "jks"}},
             "truststores": {"ssl_truststore": {"exists": True, "store_type": "jks", "entries": [], "error": None}},
             "maprlogin": "/opt/mapr/bin/maprlogin", "users": {},
             "server_ticket": {"path": "/opt/mapr/conf/maprserverticket", "exists": True, "mode": "0600",
                               "owner": "mapr", "cluster": name, "error": None},
             "own_ca": {"error": None, "certificates": [{
                 "sha256": (name.encode().hex() * 64)[:64], "subject": "CN=" + name, "pem": "PEM",
                 "not_before": "2000-01-01T00:00:00+00:00", "not_after": "2999-01-01T00:00:00+00:00"}]}}
    return {"changed": False, "ansible_facts": {"mapr_security": facts}}


class _Undefined:
    """Stands in for Ansible's undefined values: only the type's name is looked at."""


_Undefined.__name__ = "AnsibleUndefined"

REQUIRED = {"user": ["mapr_truststore_password"], "server": ["mapr_crosscluster_user"]}


def _adapter_world():
    groups = {"cluster_a": ["a1", "a2", "a3", "a4", "a5"], "cluster_a_cldb": ["a1"],
              "cluster_b": ["b1", "b2", "b3"], "cluster_b_cldb": ["b1"], "elsewhere": ["x1"]}
    base = {"mapr_truststore_password": "pw", "mapr_crosscluster_user": "xcs"}
    hostvars = {}
    for name, group in (("a.ex", "cluster_a"), ("b.ex", "cluster_b")):
        for host in groups[group]:
            hostvars[host] = dict(base, __preflight_gathered=_gathered(name, cldb=host == groups[group][0]))
    hostvars["x1"] = {"__preflight_gathered": {"unreachable": True, "msg": "not ours"}}
    return hostvars, groups, ["a1", "a2", "a3", "a4", "a5", "b1", "b3", "x1"]


def _preflight(trusts, hostvars, groups, play):
    """The gate's call: what gather.yml and probe.yml registered, handed over per host."""
    return preflight_report(trusts, hostvars, groups, play, REQUIRED,
                            gathered=by_host(list(hostvars), hostvars, "__preflight_gathered"),
                            reach=by_host(play, hostvars, "__preflight_reach"))


def test_preflight_report_filter_names_a_missing_input():
    hostvars, groups, play = _adapter_world()
    with pytest.raises(AnsibleFilterError, match="needs gathered= and reach="):
        preflight_report(PAIR, hostvars, groups, play, REQUIRED)


def test_preflight_report_filter_a_clean_world():
    hostvars, groups, play = _adapter_world()
    assert _preflight(PAIR, hostvars, groups, play) == {"problems": [], "warnings": [], "notes": []}


def test_preflight_report_filter_treats_missing_none_empty_and_undefined_as_undefined():
    hostvars, groups, play = _adapter_world()
    del hostvars["a2"]["mapr_truststore_password"]
    hostvars["a3"]["mapr_truststore_password"] = None
    hostvars["a4"]["mapr_truststore_password"] = ""
    hostvars["a5"]["mapr_truststore_password"] = _Undefined()
    hostvars["b1"]["mapr_crosscluster_user"] = 0  # a value, if an odd one
    report = _preflight(PAIR, hostvars, groups, play)
    assert report["problems"] == [
        "cluster_a: variable mapr_truststore_password is not defined on a2, a3, a4, a5 (user trust needs it). Fix: "
        "set it in group_vars/cluster_a (vault secrets)"]


def test_preflight_report_filter_a_value_made_from_something_undefined_is_undefined():
    """ansible-core 2.19 hands back a marker for it, which raises when compared; the gate names it instead."""
    hostvars, groups, play = _adapter_world()
    hostvars["a2"]["mapr_truststore_password"] = jinja2.StrictUndefined(name="vault_truststore_password")
    hostvars["a3"]["mapr_cluster_name"] = jinja2.StrictUndefined(name="cluster_name_a")
    [text] = _preflight(PAIR, hostvars, groups, play)["problems"]
    assert text.startswith("cluster_a: variable mapr_truststore_password is not defined on a2 (user trust")


def test_preflight_report_filter_compares_mapr_cluster_name_where_set():
    hostvars, groups, play = _adapter_world()
    hostvars["a2"]["mapr_cluster_name"] = "a.ex"
    hostvars["a3"]["mapr_cluster_name"] = "wrong.ex"
    hostvars["a4"]["mapr_cluster_name"] = ""
    hostvars["a5"]["mapr_cluster_name"] = None
    [text] = _preflight(PAIR, hostvars, groups, play)["problems"]
    assert text.startswith("a3 (cluster_a): the first line of mapr-clusters.conf names a.ex, but mapr_cluster_name "
                           "is wrong.ex")


def test_preflight_report_filter_leaves_out_only_unreachable_hosts_not_in_play():
    hostvars, groups, play = _adapter_world()
    hostvars["b2"]["__preflight_gathered"] = {"unreachable": True, "msg": "timed out"}
    hostvars["b3"]["__preflight_gathered"] = {"unreachable": True, "msg": "timed out"}  # still in the play
    hostvars["a5"]["__preflight_gathered"] = {"failed": True, "msg": "boom"}
    play.remove("a5")  # out of the play, but failed rather than unreachable: not "left out"
    report = _preflight(PAIR, hostvars, groups, play)
    assert report["warnings"] == [
        "b2 is left out: it cannot be reached (preflight_skip_unreachable)",
        "cluster_b: its mapr-clusters.conf line and CA chain rest on one node's word (b1): no other node of the "
        "cluster reported its facts to compare them with; set mapr_ca_sha256 to pin the CA"]
    [text] = report["problems"]
    assert text.startswith("b3 (cluster_b): cannot be reached (timed out)")


def test_preflight_report_filter_reads_the_probes_of_hosts_in_play():
    hostvars, groups, play = _adapter_world()
    failed = {"probes": [{"cluster": "b.ex", "host": "nb1", "port": 7443, "reachable": False, "error": "timed out"}]}
    hostvars["a1"]["__preflight_reach"] = failed
    hostvars["a2"]["__preflight_reach"] = {"skipped": True}
    hostvars["b2"]["__preflight_reach"] = failed  # not in the play
    report = _preflight(PAIR, hostvars, groups, play)
    assert [p.split(" (")[0] for p in report["problems"]] == ["a1 cannot reach any CLDB of b.ex"]


def test_check_user_problems_filter_names_the_group_the_variable_and_the_fix():
    """verify.yml's early stop: the preflight gate's rule over the inventory, nothing gathered."""
    hostvars, groups, _hosts = _adapter_world()
    login = ["mapr_check_user", "mapr_check_password"]
    for host in groups["cluster_a"] + groups["cluster_b"]:
        hostvars[host].update(mapr_check_user="checker", mapr_check_password="pw")
    assert check_user_problems(PAIR, hostvars, groups, login) == []
    for host in groups["cluster_b"]:
        del hostvars[host]["mapr_check_user"]
    hostvars["a2"]["mapr_check_password"] = jinja2.StrictUndefined(name="vault_check_password")
    problems = check_user_problems(PAIR, hostvars, groups, login)
    assert [p.split(". Fix: ")[0] for p in problems] == [
        "cluster_a: variable mapr_check_password is not defined on a2 (its user-trust peers check the trust by "
        "logging in to it as its check user)",
        "cluster_b: variable mapr_check_user is not defined (its user-trust peers check the trust by logging in "
        "to it as its check user)"]
    assert "set mapr_check_user and mapr_check_password in group_vars/cluster_b" in problems[1]
    assert check_user_problems([{"clusters": "cluster_a"}], hostvars, groups, login) == []


def test_preflight_report_filter_a_malformed_trust_list_is_reported_not_raised():
    hostvars, groups, play = _adapter_world()
    report = _preflight([{"clusters": ["cluster_a"], "type": "all"}], hostvars, groups, play)
    assert len(report["problems"]) == 1 and "two different inventory groups" in report["problems"][0]
    assert report["warnings"] == []


def test_kerberos_filters_are_adapters_over_kerberos_plan():
    """The planning itself is tested in test_kerberos_plan.py; here only what the filters add: hostvars."""
    assert krbtgt_principals(["B.TEST"], "A.TEST") == ["krbtgt/B.TEST@A.TEST", "krbtgt/A.TEST@B.TEST"]
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
    groups = {"cluster_a": ["a1"], "cluster_b": ["b1"]}
    held = {"exists": True, "kvno": 2, "enctypes": ["aes256-cts-hmac-sha1-96"],
            "key_digests": {"aes256-cts-hmac-sha1-96": "d1"}}
    both = {"krbtgt/B.TEST@A.TEST": held, "krbtgt/A.TEST@B.TEST": held}
    hostvars = {"a1": {"kerberos_realm": "A.TEST"}, "b1": {"kerberos_realm": "B.TEST"}}
    read = {"a1": {"principals": both}, "b1": {"principals": both}}
    assert krbtgt_plan(trusts, hostvars, groups, ["a1", "b1"], read) == []
    rotated = krbtgt_plan(trusts, hostvars, groups, ["a1", "b1"], read, {}, 40, "present", True)
    assert [(p["principal"], p["kvno"]) for p in rotated] == [("krbtgt/B.TEST@A.TEST", 3), ("krbtgt/A.TEST@B.TEST", 3)]


def test_kerberos_peers_skip_plain_clusters_and_need_kdcs():
    hostvars = {"b1": {"kerberos_realm": "B.TEST", "kerberos_kdcs": ["kdc.b:88"], "kerberos_domains": [".b.test"]},
                "c1": {}}
    [peer] = _kerberos_peers(["cluster_b", "cluster_c"], {"cluster_b": "b1", "cluster_c": "c1"}, hostvars)
    assert peer == {"group": "cluster_b", "realm": "B.TEST", "kdcs": ["kdc.b:88"], "admin_server": None,
                    "domains": [".b.test"]}
    with pytest.raises(AnsibleFilterError, match="no kerberos_kdcs"):
        _kerberos_peers(["cluster_b"], {"cluster_b": "b1"}, {"b1": {"kerberos_realm": "B.TEST"}})


def test_kerberos_topology_gives_each_node_its_realm_peers_and_kdc_once():
    trusts = [{"mesh": ["cluster_a", "cluster_b", "cluster_c"], "type": "all"},
              {"clusters": ["cluster_a", "cluster_c"], "type": "all", "state": "absent"},
              {"clusters": ["cluster_b", "cluster_c"], "type": "user"},
              {"clusters": ["cluster_b", "cluster_c"], "type": "server", "state": "absent"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"], "cluster_c": ["c1"], "cluster_a_kdc": ["kdc-a"]}

    def realm(name):
        return {"kerberos_realm": name, "kerberos_kdcs": ["kdc.%s:88" % name.lower()]}

    hostvars = {"a1": realm("A.TEST"), "a2": realm("A.TEST"), "b1": realm("B.TEST"), "c1": realm("C.TEST")}
    play = ["a1", "a2", "b1", "c1"]
    who = kerberos_topology(trust_topology(trusts, groups, play), hostvars, groups, play)
    peers = dict((h, ([p["realm"] for p in who[h]["peers"]], [p["realm"] for p in who[h]["revoked"]])) for h in play)
    # a-c revoked in every kind; b-c keeps user trust, so its Kerberos trust stays.
    assert peers == {"a1": (["B.TEST"], ["C.TEST"]), "a2": (["B.TEST"], ["C.TEST"]),
                     "b1": (["A.TEST", "C.TEST"], []), "c1": (["B.TEST"], ["A.TEST"])}, peers
    assert [who[h]["kdc"] for h in play] == ["kdc-a", "kdc-a", "b1", "c1"]  # no KDC group: the node itself
    # A cluster without a realm has no Kerberos peers, and is nobody's.
    del hostvars["c1"]["kerberos_realm"]
    who = kerberos_topology(trust_topology(trusts, groups, play), hostvars, groups, play)
    assert who["c1"]["peers"] == [] and [p["realm"] for p in who["b1"]["peers"]] == ["A.TEST"]
    assert who["a1"]["revoked"] == []


def test_a_cluster_with_no_node_left_in_the_play_is_left_out_of_kerberos_work():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"]}
    hostvars = {"a1": {"kerberos_realm": "A.TEST"}, "a2": {},
                "b1": {"kerberos_realm": "B.TEST", "kerberos_kdcs": ["k:88"]}}
    # Every node of cluster_a failed or went unreachable: cluster_b's nodes carry on without it.
    assert krbtgt_plan(trusts, hostvars, groups, ["b1"], {}) == []
    who = trust_topology(trusts, groups, ["b1"])
    assert who["b1"]["peer_speakers"] == {"cluster_a": None}
    assert kerberos_topology(who, hostvars, groups, ["b1"])["b1"]["peers"] == []
    # The next node of a cluster speaks for it when the first has left: a2 for cluster_a, which has no realm.
    who = trust_topology(trusts, groups, ["a2", "b1"])
    assert [p["realm"] for p in kerberos_topology(who, hostvars, groups, ["a2", "b1"])["a2"]["peers"]] == []
    assert kerberos_topology(who, hostvars, groups, ["a2", "b1"])["b1"]["peers"] == []


def test_summary_has_a_kerberos_line_only_for_pairs_with_realms():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    groups = {"cluster_a": ["a1"], "cluster_b": ["b1"]}
    hostvars = {"a1": {"kerberos_realm": "A.TEST"}, "b1": {"kerberos_realm": "B.TEST"}}
    lines = trust_summary(trusts, hostvars, groups, ["a1", "b1"], changed={"a1": ["kerberos"]})
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
    assert edit["remove"] == {"realms": [], "capaths": []}
    swap = krb5_conf_edit(peers[1:], "A.TEST", revoked=peers[:1])
    assert [r["realm"] for r in swap["realms"]] == ["C.TEST"]
    assert swap["remove"] == {"realms": [{"realm": "B.TEST", "domains": [".b.test"]}],
                              "capaths": [{"client_realm": "A.TEST", "server_realm": "B.TEST"},
                                          {"client_realm": "B.TEST", "server_realm": "A.TEST"}]}


def test_trust_topology_counts_a_node_whose_facts_say_cldb_as_a_ticket_reader():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "server"}]
    groups = {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"], "cluster_a_cldb": ["a1"], "cluster_b_cldb": ["b1"]}
    hostvars = {"a1": _host_with({"is_cldb": True}), "a2": _host_with({"is_cldb": True}), "b1": {}}
    play = ["a1", "a2", "b1"]
    assert [h for h, me in trust_topology(trusts, groups, play).items() if me["reads_tickets"]] == ["a1", "b1"]
    who = trust_topology(trusts, groups, play, "_cldb", by_host(play, hostvars, "ansible_facts.mapr_security"))
    assert [h for h, me in who.items() if me["reads_tickets"]] == ["a1", "a2", "b1"]
    # Facts win over the group: a node listed as a CLDB node that says it runs none reads nothing.
    hostvars["a1"] = _host_with({"is_cldb": False})
    who = trust_topology(trusts, groups, play, "_cldb", by_host(play, hostvars, "ansible_facts.mapr_security"))
    assert [h for h, me in who.items() if me["reads_tickets"]] == ["a2", "b1"]
    assert [h for h, me in who.items() if me["speaks_cldb"]] == ["a2", "b1"]


@pytest.mark.parametrize("template", ["{{ crosscluster_trusts | trust_summary({}, {}, []) }}",
                                      "{{ crosscluster_trusts | drift_principals('cluster_a', {}, {}) }}"])
def test_an_undefined_argument_fails_as_undefined_not_as_a_wrong_type(template):
    """ansible-core 2.16 hands a filter Jinja's Undefined (2.19 fails before the call): either way Ansible's
    undefined error names the variable, rather than the filter calling it a value of the wrong type."""
    from ansible_collections.datafabric.crosscluster.plugins.filter import report, trust

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(trust.FilterModule().filters())
    env.filters.update(report.FilterModule().filters())
    with pytest.raises(jinja2.UndefinedError, match="is undefined"):
        env.from_string(template).render()
    assert env.from_string("{{ [] | trust_summary({}, {}, []) }}").render() == "[]"
