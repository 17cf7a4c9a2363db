"""The preflight policy (module_utils/_preflight.py): every problem, one message each, all at once.

Plain data in, messages out: each node's registered security_facts result, the inventory's groups
and a fixed ``now``. Every message must name the host or group, the file or variable and the fix.
"""

import copy
import datetime

import pytest

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _preflight as preflight
from ansible_collections.datafabric.crosscluster.plugins.module_utils._preflight import (
    inventory_problems,
    preflight_report,
    reach_problems,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._trust_list import peers_of
from ansible_collections.datafabric.crosscluster.plugins.module_utils._trust_list import (
    shape_problems as trust_shape_problems,
)

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
HOME = "/opt/mapr"
TICKET = HOME + "/conf/maprserverticket"
PAIR = [{"clusters": ["cluster_a", "cluster_b"], "type": "all"}]
REQUIRED = {"user": ["mapr_truststore_password"], "server": ["mapr_crosscluster_user"]}


def _ca(name, start="2026-01-01", end="2031-01-01"):
    digest = (name.encode().hex() * 64)[:64]
    return {"alias": None, "sha256": digest, "subject": "CN=CA %s" % name, "issuer": "CN=CA %s" % name,
            "not_before": start + "T00:00:00+00:00", "not_after": end + "T00:00:00+00:00",
            "pem": "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % name}


CA_A, CA_B = _ca("a"), _ca("b")


def _store(entries=(), exists=True, error=None):
    return {"exists": exists, "store_type": "jks" if exists else None, "entries": list(entries), "error": error}


def _facts(name, cldb=False, ca=None, **over):
    facts = {
        "cluster_name": name, "secure": True, "fips": False, "owner": "mapr", "group": "mapr",
        "is_cldb": cldb, "mapr_home": HOME, "cldb_hosts": ["n%s:7222" % name[0]], "cldb_https_port": 7443,
        "stores": {"ssl_truststore": {"exists": True, "format": "jks"},
                   "ssl_truststore.p12": {"exists": True, "format": "pkcs12"}},
        "truststores": {"ssl_truststore": _store(), "ssl_truststore.p12": _store(),
                        "ssl_truststore.pem": _store(exists=False)},
        "maprlogin": HOME + "/bin/maprlogin",
        "server_ticket": {"path": TICKET, "exists": True, "mode": "0600", "owner": "mapr", "group": "mapr",
                          "cluster": name, "error": None},
        "users": {"xcsuser": True},
        "own_ca": {"certificates": [CA_A if ca is None else ca], "error": None},
    }
    facts.update(over)
    return facts


def _line(facts):
    return "%s secure=%s %s" % (facts["cluster_name"], "true" if facts["secure"] else "false",
                                " ".join(facts["cldb_hosts"]))


def _result(facts):
    # The first conf line as the node reported it, unless a test gave one: preflight parses it itself.
    facts = dict(facts, conf_line=facts.get("conf_line") or _line(facts))
    return {"changed": False, "ansible_facts": {"mapr_security": facts}}


class World:
    """A clean pair: cluster_a (a1 its CLDB, a2) and cluster_b (b1 its CLDB), trusting each other fully."""

    def __init__(self, trusts=None):
        self.trusts = copy.deepcopy(trusts if trusts is not None else PAIR)
        self.groups = {"cluster_a": ["a1", "a2"], "cluster_a_cldb": ["a1"], "cluster_b": ["b1"],
                       "cluster_b_cldb": ["b1"]}
        self.facts = {"a1": _facts("a.ex", cldb=True), "a2": _facts("a.ex"), "b1": _facts("b.ex", cldb=True, ca=CA_B)}
        self.results = {}
        self.probes = []
        self.undefined = set()
        self.cluster_names = {}
        self.ca_pins = {}
        self.left_out = []
        self.check_owners = True
        self.warn_days = 30

    def report(self):
        node_results = dict((h, _result(f)) for h, f in self.facts.items())
        node_results.update(self.results)
        for host in self.left_out:
            node_results.pop(host, None)
        return preflight_report(
            self.trusts, self.groups, node_results, self.probes,
            lambda host, name: (host, name) not in self.undefined, REQUIRED,
            cluster_names=self.cluster_names, warn_days=self.warn_days, now=NOW, left_out=self.left_out,
            check_owners=self.check_owners, ca_pins=self.ca_pins)


def _only(report):
    assert len(report["problems"]) == 1, report["problems"]
    return report["problems"][0]


ONE_NODE = ("cluster_b: its mapr-clusters.conf line and CA chain rest on one node's word (b1): no other node of "
            "the cluster reported its facts to compare them with; set mapr_ca_sha256 to pin the CA")


def _doubts(report):
    """The warnings, but that a cluster with one node reporting (cluster_b here, always) rests on its word."""
    return [text for text in report["warnings"] if "on one node's word" not in text]


def _quiet(report):
    return dict(report, warnings=_doubts(report))


def test_a_clean_pair_has_no_problem_and_no_warning_but_the_one_node_cluster():
    assert World().report() == {"problems": [], "warnings": [ONE_NODE], "notes": []}


def test_a_pkcs12_store_read_without_its_password_is_no_problem():
    world = World()
    world.facts["a2"]["truststores"]["ssl_truststore.p12"] = _store(exists=True)
    world.facts["a2"]["truststores"]["ssl_truststore.p12"]["entries"] = None
    assert world.report()["problems"] == []


# --- every kind of node, cluster and pair problem: exactly one message, naming where, what and the fix ------

def _set(host, **values):
    def change(world):
        world.facts[host].update(values)
    return change


def _ticket(host, **values):
    def change(world):
        world.facts[host]["server_ticket"].update(values)
    return change


def _truststore(host, store, info):
    def change(world):
        world.facts[host]["truststores"][store] = info
    return change


def _collision(world):
    # a2's store holds b.ex's alias, by the alias rule, for another certificate.
    alias = "b.ex-" + CA_B["sha256"][:12]
    world.facts["a2"]["truststores"]["ssl_truststore"]["entries"] = [
        {"alias": alias, "sha256": "9" * 64, "type": "trusted"}]


def _unreachable(world):
    world.results["a2"] = {"unreachable": True, "changed": False,
                           "msg": "Failed to connect to the host via ssh: ssh: connect to host a2 port 22: No route"}


def _failed(world):
    world.results["a2"] = {"failed": True, "msg": "security_facts: /opt/mapr/conf/mapr-clusters.conf: does not "
                                                  "exist. Fix: secure the cluster (configure.sh -secure)"}


def _name_var(world):
    world.cluster_names["a2"] = "other.ex"


def _other_chain(world):
    world.facts["a2"]["own_ca"] = {"certificates": [_ca("z")], "error": None}


def _same_names(world):
    world.facts["b1"].update(cluster_name="a.ex")
    world.facts["b1"]["server_ticket"]["cluster"] = "a.ex"


def _owners(world):
    world.facts["b1"].update(owner="hdfs")
    world.facts["b1"]["server_ticket"]["owner"] = "hdfs"


def _own_ca_error(world):
    world.facts["a1"]["own_ca"] = {"certificates": [], "error": "/opt/mapr/conf/ssl_keystore.pem: does not exist, "
                                   "so the cluster's own CA chain is unknown. Fix: run as root"}


def _ca_dates(start, end):
    def change(world):
        for host in ("b1",):
            world.facts[host]["own_ca"] = {"certificates": [_ca("b", start, end)], "error": None}
    return change


def _probes(*tried):
    """A tcp_probe result: (cluster, host, port, reachable) per target."""
    return {"probes": [dict(cluster=c, host=h, port=p, reachable=r, error=None if r else "timed out")
                       for c, h, p, r in tried]}


def _probe(world):
    world.probes = [("a1", _probes(("b.ex", "nb1", 7443, False), ("b.ex", "nb2", 7443, False)))]


NODE_CASES = [
    ("not secure", _set("a2", secure=False),
     ["a2 (cluster_a)", "mapr-clusters.conf", "secure=true", "Fix: secure the cluster first (configure.sh -secure)"]),
    ("mapr_cluster_name differs", _name_var,
     ["a2 (cluster_a)", "mapr-clusters.conf names a.ex", "mapr_cluster_name is other.ex",
      "Fix: correct mapr_cluster_name"]),
    ("truststore missing", _truststore("a2", "ssl_truststore", _store(exists=False)),
     ["a2 (cluster_a)", "/opt/mapr/conf/ssl_truststore does not exist", "Fix: check mapr_home"]),
    ("store does not open", _truststore("a2", "ssl_truststore.p12", _store(error=(
        "/opt/mapr/conf/ssl_truststore.p12: the store password is wrong. Fix: use the store's password"))),
     ["a2 (cluster_a)", "/opt/mapr/conf/ssl_truststore.p12", "password is wrong", "Fix: use the store's password"]),
    ("alias collision", _collision,
     ["a2 (cluster_a)", "ssl_truststore holds alias b.ex-%s" % CA_B["sha256"][:12], "sha256 9999999999999999",
      "b.ex's CA", "Fix: delete or rename that entry (keytool -delete -alias b.ex-%s)" % CA_B["sha256"][:12]]),
    ("secrets would be refused", _set("b1", secret_tasks_refused="its become method (su) cannot pipeline"),
     ["b1 (cluster_b)", "the tasks that carry secrets (passwords, tickets) would not run on it: its become method (su)",
      "Fix: set ansible_pipelining: true", "crosscluster_allow_module_files: true"]),
    ("maprlogin missing", _set("a1", maprlogin=None),
     ["a1 (cluster_a)", "/opt/mapr/bin/maprlogin", "CLDB", "Fix: install the MapR core package"]),
    ("ticket missing", _ticket("a1", exists=False, mode=None, owner=None, cluster=None),
     ["a1 (cluster_a)", TICKET + " does not exist", "Fix:", "configure.sh"]),
    ("ticket unparseable", _ticket("a1", cluster=None, error="does not parse as '<cluster> <ticket>' lines"),
     ["a1 (cluster_a)", TICKET + " does not parse", "Fix: restore it"]),
    ("ticket of another cluster", _ticket("a1", cluster="b.ex"),
     ["a1 (cluster_a)", "first line of " + TICKET, "cluster b.ex, not the node's own a.ex", "Fix: restore"]),
    ("ticket mode", _ticket("a1", mode="0644"),
     ["a1 (cluster_a)", TICKET + " has mode 0644", "Fix: chmod 0600 " + TICKET]),
    ("ticket owner", _ticket("a1", owner="root"),
     ["a1 (cluster_a)", TICKET + " is owned by root, not the cluster owner mapr", "Fix: chown mapr " + TICKET]),
    ("user missing", _set("a1", users={"xcsuser": False}),
     ["a1 (cluster_a)", "'xcsuser' does not exist", "Fix: create it"]),
    ("unreachable", _unreachable,
     ["a2 (cluster_a): cannot be reached", "No route", "Fix: bring the node back",
      "preflight_skip_unreachable: true"]),
    ("gather failed", _failed,
     ["a2 (cluster_a)", "/opt/mapr/conf/mapr-clusters.conf: does not exist", "Fix: secure the cluster"]),
    ("hosts of two clusters", _set("a2", cluster_name="other.ex"),
     ["cluster_a: its hosts belong to different clusters (a.ex, other.ex)", "Fix: one inventory group per cluster"]),
    ("different CA chains", _other_chain,
     ["cluster_a: its nodes' server certificates are issued by different CAs (a1; a2)", "ssl_keystore",
      "Fix: give every node the cluster's keystore"]),
    ("same cluster names", _same_names, ["cluster_a and cluster_b are both named a.ex", "distinct names"]),
    ("owners differ", _owners, ["cluster_a runs as mapr and cluster_b as hdfs", "mapr.daemon.user in daemon.conf"]),
    ("own CA unknown", _own_ca_error,
     ["cluster_a: a1 cannot hand its CA to its peers", "/opt/mapr/conf/ssl_keystore.pem", "Fix: run as root"]),
    ("CA expired", _ca_dates("2025-01-01", "2026-05-01"),
     ["cluster_b's CA CN=CA b (valid 2025-01-01 to 2026-05-01) has expired",
      "Fix: renew the cluster's CA certificate"]),
    ("CA not valid yet", _ca_dates("2026-07-01", "2036-01-01"),
     ["cluster_b's CA CN=CA b (valid 2026-07-01 to 2036-01-01) is not valid yet", "Fix: check the clocks",
      "renew the cluster's CA"]),
    ("no CLDB of a peer answers", _probe,
     ["a1 cannot reach any CLDB of b.ex (tried nb1:7443, nb2:7443)", "b.ex's mapr-clusters.conf",
      "Fix: check the network"]),
]


@pytest.mark.parametrize("change, words", [c[1:] for c in NODE_CASES], ids=[c[0] for c in NODE_CASES])
def test_each_problem_is_one_message_naming_where_what_and_the_fix(change, words):
    world = World()
    change(world)
    report = world.report()
    text = _only(report)
    for word in words:
        assert word in text
    assert _doubts(report) == []


def test_all_problems_come_at_once_each_once():
    world = World()
    cases = dict((c[0], c) for c in NODE_CASES)
    names = ["not secure", "mapr_cluster_name differs", "alias collision", "store does not open",
             "ticket mode", "ticket owner", "maprlogin missing", "user missing", "owners differ",
             "no CLDB of a peer answers", "CA expired"]
    for name in names:
        cases[name][1](world)
    world.undefined.add(("b1", "mapr_crosscluster_user"))
    problems = world.report()["problems"]
    assert len(problems) == len(names) + 1 == len(set(problems))
    for name in names:
        assert len([p for p in problems if all(w in p for w in cases[name][2])]) == 1, name
    assert len([p for p in problems if "variable mapr_crosscluster_user is not defined" in p]) == 1


def test_several_broken_things_give_several_messages():
    world = World()
    _set("a2", secure=False)(world)
    _ticket("a1", mode="0644", owner="root")(world)
    _set("b1", users={"xcsuser": False}, maprlogin=None)(world)
    world.undefined.add(("b1", "mapr_truststore_password"))
    problems = world.report()["problems"]
    assert len(problems) == 6 == len(set(problems))
    assert [p.split(":")[0] for p in problems] == [
        "cluster_b", "a1 (cluster_a)", "a1 (cluster_a)", "a2 (cluster_a)", "b1 (cluster_b)", "b1 (cluster_b)"]


def test_owner_checks_can_be_turned_off_and_only_that_check():
    world = World()
    _ticket("a1", mode="0644", owner="root")(world)
    world.check_owners = False
    text = _only(world.report())
    assert "has mode 0644" in text


@pytest.mark.parametrize("change", [_set("a2", maprlogin=None, users={"xcsuser": False}),
                                    _ticket("a2", exists=False)])
def test_maprlogin_ticket_and_users_matter_only_on_cldb_nodes(change):
    world = World()
    change(world)
    assert world.report()["problems"] == []


def test_maprlogin_and_ticket_matter_only_for_clusters_with_server_trust():
    world = World([{"clusters": ["cluster_a", "cluster_b"], "type": "user"}])
    _set("a1", maprlogin=None, users={"xcsuser": False})(world)
    _ticket("a1", exists=False)(world)
    assert world.report()["problems"] == []
    world.trusts[0]["type"] = "server"
    assert len(world.report()["problems"]) == 3


def test_stores_matter_only_for_clusters_with_user_trust():
    world = World([{"clusters": ["cluster_a", "cluster_b"], "type": "server"}])
    _collision(world)
    _truststore("a2", "ssl_truststore.p12", _store(error="x: does not open"))(world)
    world.facts["a1"]["own_ca"] = {"certificates": [], "error": "not worked out: no truststore password was given"}
    _ca_dates("2020-01-01", "2021-01-01")(world)
    assert world.report()["problems"] == []


def test_a_ca_expiring_soon_is_a_warning_only_and_later_is_nothing():
    world = World()
    _ca_dates("2025-01-01", "2026-06-11")(world)
    report = world.report()
    assert report["problems"] == []
    [warning] = _doubts(report)
    assert "cluster_b's CA CN=CA b (valid 2025-01-01 to 2026-06-11) expires in 10 days" in warning
    assert "Fix: renew" in warning
    world.warn_days = 10
    assert _quiet(world.report()) == {"problems": [], "warnings": [], "notes": []}
    _ca_dates("2025-01-01", "2026-07-02")(world)
    world.warn_days = 30
    assert _quiet(world.report()) == {"problems": [], "warnings": [], "notes": []}


def test_every_certificate_of_the_exported_chain_is_checked():
    world = World()
    world.facts["b1"]["own_ca"]["certificates"] = [_ca("i", "2026-01-01", "2026-06-05"), _ca("r", "2020-01-01",
                                                                                             "2026-01-01")]
    report = world.report()
    assert "CN=CA r (valid 2020-01-01 to 2026-01-01) has expired" in _only(report)
    assert "CN=CA i" in _doubts(report)[0] and "expires in 4 days" in _doubts(report)[0]


def test_a_collision_needs_the_same_alias_with_another_digest():
    world = World()
    alias = "b.ex-" + CA_B["sha256"][:12]
    # The same certificate under its rule alias is what a previous run imported: fine.
    world.facts["a2"]["truststores"]["ssl_truststore"]["entries"] = [
        {"alias": alias, "sha256": CA_B["sha256"], "type": "trusted"},
        {"alias": "my-own-ca", "sha256": "9" * 64, "type": "trusted"}]
    assert world.report()["problems"] == []
    # Another store of the node is checked too.
    world.facts["a2"]["truststores"]["ssl_truststore.p12"]["entries"] = [
        {"alias": alias, "sha256": "8" * 64, "type": "trusted"}]
    assert "a2 (cluster_a): ssl_truststore.p12 holds alias %s" % alias in _only(world.report())


def test_the_alias_rule_lower_cases_the_cluster_name():
    world = World()
    world.facts["b1"].update(cluster_name="B.Ex")
    world.facts["b1"]["server_ticket"]["cluster"] = "B.Ex"
    world.facts["a2"]["truststores"]["ssl_truststore"]["entries"] = [
        {"alias": "b.ex-" + CA_B["sha256"][:12], "sha256": "9" * 64, "type": "trusted"}]
    assert "b.ex-%s" % CA_B["sha256"][:12] in _only(world.report())


# --- no follow-on problems --------------------------------------------------------------------------------

@pytest.mark.parametrize("result", [
    {"unreachable": True, "msg": "timed out"},
    {"failed": True, "msg": "security_facts: boom"},
    None,
])
def test_a_node_not_gathered_gives_one_message_and_is_ignored_by_the_cluster_checks(result):
    world = World()
    # a1 is cluster_a's first node, its only CLDB and its exporter: a2 exports instead.
    world.results["a1"] = result
    text = _only(world.report())
    assert text.startswith("a1 (cluster_a): ")


def test_a_cluster_with_no_node_gathered_gives_one_message_per_node_and_no_pair_problem():
    world = World()
    world.groups["cluster_b"] = ["b1", "b2"]
    world.results["b1"] = {"unreachable": True, "msg": "timed out"}
    world.results["b2"] = {"failed": True, "msg": "security_facts: /opt/mapr/conf/mapr-clusters.conf: does not exist"}
    _collision(world)  # would collide with b's CA, which is unknown now
    problems = world.report()["problems"]
    assert len(problems) == 2
    assert problems[0].startswith("b1 (cluster_b): cannot be reached") and problems[1].startswith("b2 (cluster_b): ")


def test_a_truststore_that_does_not_open_on_the_exporter_is_named_once():
    world = World()
    world.facts["a1"]["truststores"]["ssl_truststore"] = _store(error=(
        "/opt/mapr/conf/ssl_truststore: the store password is wrong (the JKS integrity check failed). Fix: use "
        "the store's password"))
    world.facts["a1"]["own_ca"] = {"certificates": [], "error": "not worked out: ssl_truststore could not be opened"}
    text = _only(world.report())
    assert text.startswith("a1 (cluster_a): /opt/mapr/conf/ssl_truststore: the store password is wrong")


def test_a_missing_truststore_password_is_named_once_per_cluster():
    world = World()
    for host in ("a1", "a2", "b1"):
        world.undefined.add((host, "mapr_truststore_password"))
        world.facts[host]["truststores"] = {}
        world.facts[host]["own_ca"] = {"certificates": [], "error": "not worked out: no truststore password was given"}
    problems = world.report()["problems"]
    assert problems == [
        "cluster_a: variable mapr_truststore_password is not defined (user trust needs it). Fix: set it in "
        "group_vars/cluster_a (vault secrets)",
        "cluster_b: variable mapr_truststore_password is not defined (user trust needs it). Fix: set it in "
        "group_vars/cluster_b (vault secrets)"]


def test_a_missing_truststore_password_not_required_is_still_named():
    world = World()
    world.facts["a1"]["truststores"] = {}
    world.facts["a1"]["own_ca"] = {"certificates": [], "error": "not worked out: no truststore password was given"}
    assert "cluster_a: a1 cannot hand its CA to its peers: not worked out: no truststore password" in _only(
        world.report())


def test_an_unparseable_ticket_is_not_also_a_wrong_cluster_mode_or_owner():
    world = World()
    _ticket("a1", cluster=None, mode="0644", owner="root", error="is not UTF-8 text")(world)
    assert TICKET + " is not UTF-8 text" in _only(world.report())


# --- left out, unreachable nodes ---------------------------------------------------------------------------

def test_left_out_hosts_are_warnings_and_the_rest_goes_on():
    world = World()
    world.left_out = ["a2"]
    report = world.report()
    assert report["problems"] == []
    assert _doubts(report) == ["a2 is left out: it cannot be reached (preflight_skip_unreachable)"]


def test_a_group_whose_nodes_are_all_left_out_is_a_problem():
    world = World()
    world.left_out = ["b1"]
    report = world.report()
    text = _only(report)
    assert text.startswith("cluster_b: none of its nodes is left in the play") and "Fix: bring" in text
    assert _doubts(report) == ["b1 is left out: it cannot be reached (preflight_skip_unreachable)"]


# --- crosscluster_trusts itself ----------------------------------------------------------------------------

@pytest.mark.parametrize("trusts, words", [
    ("cluster_a", ["crosscluster_trusts is a str, not a list"]),
    ({"clusters": ["a", "b"]}, ["crosscluster_trusts is a dict, not a list"]),
    ([["cluster_a", "cluster_b"]], ["crosscluster_trusts[1] is a list, not a mapping"]),
    ([{"clusters": ["cluster_a"], "type": "all"}], ["crosscluster_trusts[1].clusters must name two different"]),
    ([{"clusters": ["cluster_a", "cluster_a"], "type": "all"}], ["crosscluster_trusts[1].clusters must name two"]),
    ([{"clusters": "cluster_a,cluster_b", "type": "all"}], ["crosscluster_trusts[1].clusters must name two"]),
    ([{"clusters": ["cluster_a", 3], "type": "all"}], ["crosscluster_trusts[1].clusters must name two"]),
    ([{"clusters": ["cluster_a", ""], "type": "all"}], ["crosscluster_trusts[1].clusters must name two"]),
    ([{"type": "all"}], ["crosscluster_trusts[1] needs either clusters (one pair) or mesh"]),
    ([{"clusters": ["cluster_a", "cluster_b"]}], ["crosscluster_trusts[1] has no type", "user, server or all"]),
    ([{"clusters": ["cluster_a", "cluster_b"], "type": "both"}],
     ["crosscluster_trusts[1].type must be one of user, server, all"]),
    ([{"clusters": ["cluster_a", "cluster_b"], "type": "all", "kind": "user", "cluster": "x"}],
     ["crosscluster_trusts[1] has unknown keys cluster, kind"]),
    ([{"clusters": ["cluster_a", "cluster_b"], "type": "all", 1: "x", None: "y", "kind": "user"}],
     ["crosscluster_trusts[1] has unknown keys 1, None, kind"]),
    ([{"clusters": ["cluster_a", "cluster_b"], "type": "user"}, {"clusters": ["cluster_a", "cluster_b"],
                                                                 "type": "server"}],
     ["crosscluster_trusts[2] lists cluster_a and cluster_b again (first in crosscluster_trusts[1])",
      "type all gives both"]),
    ([{"clusters": ["cluster_a", "cluster_b"], "type": "user"}, {"clusters": ["cluster_c", "cluster_a"],
                                                                 "type": "user"},
      {"clusters": ["cluster_b", "cluster_a"], "type": "server"}],
     ["crosscluster_trusts[3] lists cluster_a and cluster_b again (first in crosscluster_trusts[1])"]),
])
def test_a_malformed_trust_list_is_one_message_with_the_fix(trusts, words):
    [text] = trust_shape_problems(trusts)
    for word in words:
        assert word in text
    assert "Fix:" in text


def test_a_well_formed_trust_list_has_no_shape_problem():
    assert trust_shape_problems([]) == []
    assert trust_shape_problems([{"clusters": ["cluster_a", "cluster_b"], "type": t} for t in ("user",)]) == []
    assert trust_shape_problems([{"clusters": ["a", "b"], "type": "all"}, {"clusters": ["b", "c"], "type": "user"},
                                 {"clusters": ["c", "a"], "type": "server"}]) == []


def test_every_malformed_entry_is_named_and_the_report_stops_there():
    trusts = [{"clusters": ["cluster_a"], "type": "all"}, "cluster_b", {"clusters": ["cluster_a", "cluster_b"]}]
    problems = trust_shape_problems(trusts)
    assert [p.split(" ")[0].split(".")[0] for p in problems] == [
        "crosscluster_trusts[1]", "crosscluster_trusts[2]", "crosscluster_trusts[3]"]
    world = World(trusts)
    world.left_out = ["a2"]
    assert _quiet(world.report()) == {"problems": problems, "notes": [],
                                      "warnings": ["a2 is left out: it cannot be reached (preflight_skip_unreachable)"]}


def test_peers_of_runs_both_directions_and_all_counts_for_both_kinds():
    mesh = [{"clusters": ["a", "b"], "type": "all"}, {"clusters": ["c", "a"], "type": "user"},
            {"clusters": ["b", "c"], "type": "server"}]
    assert peers_of(mesh, "a", "user") == ["b", "c"]
    assert peers_of(mesh, "a", "server") == ["b"]
    assert peers_of(mesh, "c", "server") == ["b"]
    assert peers_of(mesh, "z", "user") == []


# --- the inventory ------------------------------------------------------------------------------------------

def _inventory(trusts, groups, undefined=()):
    return inventory_problems(trusts, groups, lambda host, name: (host, name) not in undefined, REQUIRED)


@pytest.mark.parametrize("groups", [{"cluster_a": ["a1"]}, {"cluster_a": ["a1"], "cluster_b": []}])
def test_a_trust_group_that_is_missing_or_empty_is_named(groups):
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    [text] = _inventory(trusts, groups)
    assert text.startswith("crosscluster_trusts names cluster_b, which is no inventory group with hosts")
    assert "Fix: add the group" in text


def test_a_node_in_two_cluster_groups_is_named():
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    [text] = _inventory(trusts, {"cluster_a": ["a1", "a2"], "cluster_b": ["b1", "a2"]})
    assert text.startswith("a2 is in two cluster groups named in crosscluster_trusts (cluster_a, cluster_b)")
    assert "Fix: keep it in its own cluster's group only" in text


@pytest.mark.parametrize("cldb", [None, []])
def test_server_trust_needs_a_cldb_group(cldb):
    groups = {"cluster_a": ["a1"], "cluster_a_cldb": ["a1"], "cluster_b": ["b1"]}
    if cldb is not None:
        groups["cluster_b_cldb"] = cldb
    [text] = _inventory([{"clusters": ["cluster_a", "cluster_b"], "type": "server"}], groups)
    assert text.startswith("cluster_b has server trust, but its group cluster_b_cldb is missing or empty")
    assert "Fix: list the cluster's CLDB nodes in a child group cluster_b_cldb" in text
    # User trust needs no CLDB group.
    assert _inventory([{"clusters": ["cluster_a", "cluster_b"], "type": "user"}], groups) == []


def test_a_required_variable_missing_everywhere_or_on_some_hosts():
    groups = {"cluster_a": ["a1", "a2", "a3"], "cluster_b": ["b1"]}
    trusts = [{"clusters": ["cluster_a", "cluster_b"], "type": "user"}]
    undefined = {("a1", "mapr_truststore_password"), ("a3", "mapr_truststore_password"),
                 ("b1", "mapr_truststore_password"), ("b1", "mapr_crosscluster_user")}
    assert _inventory(trusts, groups, undefined) == [
        "cluster_a: variable mapr_truststore_password is not defined on a1, a3 (user trust needs it). Fix: set it "
        "in group_vars/cluster_a (vault secrets)",
        "cluster_b: variable mapr_truststore_password is not defined (user trust needs it). Fix: set it in "
        "group_vars/cluster_b (vault secrets)"]


def test_server_trust_asks_for_its_own_variables():
    groups = {"cluster_a": ["a1"], "cluster_a_cldb": ["a1"], "cluster_b": ["b1"], "cluster_b_cldb": ["b1"]}
    undefined = {("a1", "mapr_truststore_password"), ("a1", "mapr_crosscluster_user")}
    [text] = _inventory([{"clusters": ["cluster_a", "cluster_b"], "type": "server"}], groups, undefined)
    assert "cluster_a: variable mapr_crosscluster_user is not defined (server trust needs it)" in text
    assert len(_inventory([{"clusters": ["cluster_a", "cluster_b"], "type": "all"}], groups, undefined)) == 2


def test_inventory_problems_come_through_the_report():
    world = World()
    world.undefined.add(("a2", "mapr_crosscluster_user"))
    del world.groups["cluster_b_cldb"]
    problems = world.report()["problems"]
    assert problems == [
        "cluster_a: variable mapr_crosscluster_user is not defined on a2 (server trust needs it). Fix: set it in "
        "group_vars/cluster_a (vault secrets)",
        "cluster_b has server trust, but its group cluster_b_cldb is missing or empty. Fix: list the cluster's "
        "CLDB nodes in a child group cluster_b_cldb"]


def test_an_unknown_group_gives_no_follow_on_problem():
    world = World([{"clusters": ["cluster_a", "cluster_c"], "type": "all"}])
    problems = world.report()["problems"]
    assert problems == ["crosscluster_trusts names cluster_c, which is no inventory group with hosts. Fix: add the "
                        "group with the cluster's nodes, or correct the name"]


# --- the probes ---------------------------------------------------------------------------------------------

def test_one_answering_cldb_is_enough_and_skipped_probes_count_for_nothing():
    ok = _probes(("b.ex", "n1", 7443, False), ("b.ex", "n2", 7443, True))
    assert reach_problems([("a1", ok), ("a2", {"skipped": True}), ("a3", {"unreachable": True}), ("a4", None),
                           ("a5", _probes())]) == []
    bad = _probes(("b.ex", "n1", 7443, False), ("c.ex", "n3", 8443, False), ("c.ex", "n4", 8443, True),
                  ("b.ex", "n0", 7443, False))
    assert reach_problems([("a1", bad)]) == [
        "a1 cannot reach any CLDB of b.ex (tried n0:7443, n1:7443). Fix: check the network, the firewall and "
        "b.ex's mapr-clusters.conf"]
    # A probe that could not run at all is named, not taken for a silent pass.
    crashed = {"failed": True, "msg": "MODULE FAILURE"}
    assert reach_problems([("a1", crashed)]) == [
        "a1 could not try its peers' CLDBs: MODULE FAILURE. Fix: check that the node runs Python and can open TCP "
        "connections"]


def test_the_alias_rule():
    assert preflight.trust_alias("B.Example.COM", "f7ff1c3db0f3" + "0" * 52) == "b.example.com-f7ff1c3db0f3"


# --- moved from test_trust_filters.py (preflight_problems), on each host's registered result ---------------

def _moved_world(a_facts, b_facts):
    groups = {"cluster_a": [h for h, _f in a_facts], "cluster_b": [h for h, _f in b_facts],
              "cluster_a_cldb": [a_facts[0][0]], "cluster_b_cldb": [b_facts[0][0]]}
    node_results = dict((h, _result(f)) for h, f in a_facts + b_facts)
    return groups, node_results


def _moved_report(groups, node_results, probes=()):
    return preflight_report(PAIR, groups, node_results, list(probes), lambda host, name: True, REQUIRED, now=NOW)


def test_moved_a_clean_pair_has_no_problem():
    groups, results = _moved_world([("a1", _facts("a.ex", cldb=True))], [("b1", _facts("b.ex", cldb=True, ca=CA_B))])
    assert _quiet(_moved_report(groups, results)) == {"problems": [], "warnings": [], "notes": []}


def test_moved_every_problem_is_named_once():
    bcfks = {"ssl_truststore.bcfks": {"exists": True, "format": "bcfks"}}
    b1 = _facts("a.ex", cldb=True, ca=CA_B, owner="hdfs", users={"xcsuser": False})
    b1["server_ticket"].update(owner="hdfs")
    groups, results = _moved_world(
        [("a1", _facts("a.ex", cldb=True, secure=False)), ("a2", _facts("a.ex", fips=True, stores=bcfks))],
        [("b1", b1), ("b2", _facts("other.ex", ca=CA_B, owner="hdfs"))])
    probes = [("b1", _probes(("a.ex", "n1", 7443, False)))]
    problems = _moved_report(groups, results, probes)["problems"]
    text = "\n".join(problems)
    assert "a1 (cluster_a): the first line of mapr-clusters.conf lacks secure=true" in text
    assert "cluster_b: its hosts belong to different clusters (a.ex, other.ex)" in text
    assert "cluster_a and cluster_b are both named a.ex" in text
    assert "cluster_a runs as mapr and cluster_b as hdfs" in text
    assert "b1 (cluster_b): the cross-cluster user 'xcsuser' does not exist" in text
    assert "b1 cannot reach any CLDB of a.ex (tried n1:7443)" in text
    assert len(problems) == len(set(problems)) == 6


def test_moved_one_reachable_cldb_is_enough_and_fips_on_both_sides_is_consistent():
    probes = [("a1", _probes(("b.ex", "n1", 7443, False), ("b.ex", "n2", 7443, True)))]
    groups, results = _moved_world([("a1", _as_fips(_facts("a.ex", cldb=True), CA_A))],
                                   [("b1", _as_fips(_facts("b.ex", cldb=True, ca=CA_B), CA_B))])
    assert _quiet(_moved_report(groups, results, probes)) == {
        "problems": [], "warnings": [], "notes": ["cluster_a: a FIPS cluster (a1)", "cluster_b: a FIPS cluster (b1)"]}


# --- revoked pairs and meshes ----------------------------------------------------------------------------

REVOKED = [{"clusters": ["cluster_a", "cluster_b"], "type": "all", "state": "absent"}]


def test_a_revoked_pair_needs_readable_files_but_not_the_peers_ca_nor_agreement():
    world = World(REVOKED)
    # the peer's CA is no longer exported and the pair need not agree on anything
    world.facts["b1"]["own_ca"] = {"certificates": [], "error": "no chain"}
    _as_fips(world.facts["b1"], CA_B)
    assert _quiet(world.report()) == {"problems": [], "warnings": [], "notes": [
        "cluster_b: a FIPS cluster (b1)", "FIPS and non-FIPS nodes together (FIPS cluster_b; non-FIPS cluster_a): "
        "each node gets its peers' CAs in its own store formats, BCFKS + PEM on a FIPS node, JKS + PKCS12 + PEM on "
        "the others"]}
    # but what the revoke must edit has to be readable, and server trust still needs its CLDB group
    world.facts["a2"]["truststores"]["ssl_truststore"] = _store(error="wrong password")
    del world.groups["cluster_b_cldb"]
    problems = world.report()["problems"]
    assert "a2 (cluster_a): wrong password" in problems
    assert any("cluster_b has server trust, but its group cluster_b_cldb is missing" in p for p in problems), problems


def test_a_mesh_is_checked_pair_by_pair():
    world = World([{"mesh": ["cluster_a", "cluster_b"], "type": "all"}])
    assert _quiet(world.report()) == {"problems": [], "warnings": [], "notes": []}
    _owners(world)
    assert "cluster_a runs as mapr and cluster_b as hdfs" in _only(world.report())


def test_a_fips_and_a_non_fips_cluster_pass_the_gate_and_the_notes_name_the_mix():
    """The vendor's utility refuses such a pair; the roles write each node in its own store formats."""
    world = World([{"mesh": ["cluster_a", "cluster_b"], "type": "all"}])
    _as_fips(world.facts["b1"], CA_B)
    report = world.report()
    assert report["problems"] == []
    assert report["notes"] == [
        "cluster_b: a FIPS cluster (b1)",
        "FIPS and non-FIPS nodes together (FIPS cluster_b; non-FIPS cluster_a): each node gets its peers' CAs in "
        "its own store formats, BCFKS + PEM on a FIPS node, JKS + PKCS12 + PEM on the others"]


def test_a_node_without_a_password_of_its_own_is_named_once_and_sources_are_noted():
    world = World()
    error = ("no truststore password was given and none was found on the node: /opt/mapr/conf/store-passwords.txt "
             "does not exist; /opt/mapr/conf/ssl-server.xml does not exist. Fix: set mapr_truststore_password")
    world.facts["a1"]["truststore_password_error"] = error
    world.facts["a1"]["own_ca"] = {"certificates": [], "error": "not worked out: no truststore password was given"}
    world.facts["a1"]["truststores"] = {}
    assert world.report()["problems"] == ["a1 (cluster_a): " + error]
    clean = World()
    for host in ("a1", "a2"):
        clean.facts[host]["truststore_password_source"] = "/opt/mapr/conf/store-passwords.txt"
    assert _quiet(clean.report()) == {"problems": [], "warnings": [], "notes": [
        "cluster_a: the truststore password was read on the node from /opt/mapr/conf/store-passwords.txt (a1, a2)"]}


# --- the check user: the checks never log in to a peer as its cluster owner ---------------------------------

LOGIN = ("mapr_check_user", "mapr_check_password")


def _logins(values, trusts=None, groups=None, owners=None):
    groups = groups or {"cluster_a": ["a1", "a2"], "cluster_b": ["b1"]}
    return preflight.login_problems(PAIR if trusts is None else trusts, groups,
                                    lambda host, name: values.get((host, name)), LOGIN, owners=owners)


def _check_users(**per_host):
    values = {}
    for host in ("a1", "a2", "b1"):
        values[(host, "mapr_cluster_owner")] = "mapr"
        values[(host, "mapr_check_user")] = per_host.get(host, "mapr_check")
        values[(host, "mapr_check_password")] = "pw-" + host[0]
    return values


def test_a_dedicated_check_user_on_each_cluster_passes_and_no_check_needs_none():
    assert _logins(_check_users()) == []
    assert preflight.login_problems(PAIR, {"cluster_a": ["a1"], "cluster_b": ["b1"]}, lambda h, n: None, ()) == []
    # Server trust alone makes no login, so no check user is needed.
    assert _logins({}, trusts=[{"clusters": ["cluster_a", "cluster_b"], "type": "server"}]) == []


def test_a_check_user_that_is_the_cluster_owner_is_refused_naming_group_variable_and_fix():
    [text] = _logins(_check_users(b1="mapr"))
    assert text.startswith("cluster_b: the check user mapr (mapr_check_user) is the cluster owner "
                           "(mapr_cluster_owner); the checks would send the owner's password")
    assert "Fix: create a user for the checks on every node of the cluster" in text
    assert "set mapr_check_user and mapr_check_password in group_vars/cluster_b" in text
    # The owner the nodes run as counts too, when the inventory does not name it.
    values = _check_users(a1="hdfs", a2="hdfs")
    del values[("a1", "mapr_cluster_owner")], values[("a2", "mapr_cluster_owner")]
    [text] = _logins(values, owners={"cluster_a": ["hdfs"], "cluster_b": ["mapr"]})
    assert text.startswith("cluster_a: the check user hdfs (mapr_check_user) is the cluster owner")


def test_a_missing_check_user_or_password_is_named_per_group_and_host():
    values = _check_users()
    del values[("a2", "mapr_check_user")], values[("b1", "mapr_check_password")]
    assert [t.split(" (")[0] for t in _logins(values)] == [
        "cluster_a: variable mapr_check_user is not defined on a2",
        "cluster_b: variable mapr_check_password is not defined"]
    assert all("or set all_trust_verify: false" in t for t in _logins(values))


def test_check_user_problems_come_through_the_report():
    world = World()
    values = _check_users(a1="mapr", a2="mapr")
    problems = preflight_report(world.trusts, world.groups, dict((h, _result(f)) for h, f in world.facts.items()),
                                [], lambda host, name: True, REQUIRED, now=NOW,
                                value=lambda host, name: values.get((host, name)), login_vars=LOGIN)["problems"]
    assert [p.split(";")[0] for p in problems] == [
        "cluster_a: the check user mapr (mapr_check_user) is the cluster owner (mapr_cluster_owner)"]


# --- what a cluster hands its peers rests on its nodes' word: checked against the inventory up front ----------

def test_the_gate_parses_the_line_itself_and_does_not_take_the_nodes_own_parse():
    world = World()
    world.cluster_names = {"a1": "a.ex", "a2": "a.ex", "b1": "b.ex"}
    world.facts["a2"]["conf_line"] = "c.example secure=false evil:7222"  # cluster_name and secure still say a.ex, true
    problems = world.report()["problems"]
    assert ("a2 (cluster_a): the first line of mapr-clusters.conf lacks secure=true; cross-cluster security needs "
            "secure clusters. Fix: secure the cluster first (configure.sh -secure)") in problems
    assert ("a2 (cluster_a): the first line of mapr-clusters.conf names c.example, but mapr_cluster_name is a.ex. "
            "Fix: correct mapr_cluster_name, or the node's group") in problems
    assert len(problems) == 2, problems


def test_the_gate_names_nodes_that_report_different_lines_of_their_own_cluster():
    world = World()
    world.facts["a2"]["conf_line"] = "a.ex secure=true evil:7222"
    assert _only(world.report()) == (
        "cluster_a: its nodes report different mapr-clusters.conf lines for the cluster (a.ex secure=true na:7222 "
        "on a1; a.ex secure=true evil:7222 on a2). Fix: give every node the same first line (the one on the first "
        "CLDB node)")


def test_the_gate_checks_every_node_against_the_pinned_ca_and_names_the_one_that_differs():
    world = World()
    world.ca_pins = {"a1": CA_A["sha256"].upper(), "a2": CA_A["sha256"].upper()}
    world.facts["a2"]["own_ca"] = {"certificates": [CA_B], "error": None}
    problems = world.report()["problems"]
    assert ("a2 (cluster_a): its CA chain is not the one mapr_ca_sha256 pins (sha256 %s not pinned). Fix: if the "
            "cluster's CA was renewed, add the new fingerprint to mapr_ca_sha256; otherwise this node's "
            "ssl_keystore.pem is not the cluster's: restore it from the first CLDB node" % CA_B["sha256"][:16]
            ) in problems


def test_a_pin_holds_a_cluster_of_one_node_to_its_ca_and_the_warning_says_only_the_line_rests_on_its_word():
    world = World()
    world.ca_pins = {"b1": [CA_B["sha256"]]}
    report = world.report()
    assert report["problems"] == []
    assert report["warnings"] == ["cluster_b: its mapr-clusters.conf line rests on one node's word (b1): no other "
                                  "node of the cluster reported its facts to compare it with"]
    world.facts["b1"]["own_ca"] = {"certificates": [CA_A], "error": None}
    assert _only(world.report()).startswith("b1 (cluster_b): its CA chain is not the one mapr_ca_sha256 pins")


def test_a_cluster_whose_other_nodes_are_left_out_rests_on_one_nodes_word():
    world = World()
    world.left_out = ["a2"]
    report = world.report()
    assert report["problems"] == []
    assert "cluster_a: its mapr-clusters.conf line and CA chain rest on one node's word (a1)" in report["warnings"][1]


def test_a_pin_that_is_no_fingerprint_stops_the_run():
    world = World()
    world.ca_pins = {"b1": "sha256:abc"}
    assert _only(world.report()).startswith("cluster_b: mapr_ca_sha256 holds 'sha256:abc', which is no SHA-256 "
                                            "fingerprint. Fix: give 64 hex digits")


def test_a_node_that_set_variables_of_its_own_stops_the_run():
    world = World()
    world.facts["a2"]["foreign_facts"] = ["mapr_cluster_name"]
    assert _only(world.report()) == (
        "a2 (cluster_a): the node returned variables besides mapr_security (mapr_cluster_name), which were dropped: "
        "a node must not set variables. Fix: look for an altered Python interpreter (ansible_python_interpreter) or "
        "module on the node, then run again")


# --- FIPS nodes: their BCFKS truststore, listed on the node by keytool --------------------------

SERVER_ONLY = [{"clusters": ["cluster_a", "cluster_b"], "type": "server"}]
BCFKS_STORES = {"ssl_truststore.bcfks": {"exists": True, "format": "bcfks"},
                "ssl_keystore.bcfks": {"exists": True, "format": "bcfks"},
                "ssl_truststore": {"exists": False, "format": None}}


def _as_fips(facts, ca, error=None):
    """``facts`` made a FIPS node's: BCFKS stores and no JKS one, its truststore listed (or not, ``error``)."""
    listed = dict(_store([ca]), store_type="bcfks", error=error)
    facts.update(fips=True, fips_reasons=["ssl_truststore.bcfks is a BCFKS store"], stores=dict(BCFKS_STORES),
                 truststores={"ssl_truststore": _store(exists=False), "ssl_truststore.pem": _store(exists=False),
                              "ssl_truststore.bcfks": listed})
    return facts


def _fips_world(trusts, error=None):
    """Both clusters FIPS."""
    world = World(trusts)
    for host, facts in world.facts.items():
        _as_fips(facts, CA_A if host.startswith("a") else CA_B, error if host == "a2" else None)
    return world


def test_a_readable_bcfks_truststore_no_longer_stops_the_run_and_the_notes_name_the_fips_clusters():
    report = _fips_world(SERVER_ONLY).report()
    assert report["problems"] == []
    assert report["notes"] == [
        "cluster_a: a FIPS cluster (a1, a2)", "cluster_b: a FIPS cluster (b1)"]


def test_a_bcfks_truststore_keytool_cannot_open_stops_the_run_by_host_and_file():
    error = ("/opt/mapr/conf/ssl_truststore.bcfks: keytool cannot open the BCFKS store: the store password is wrong "
             "(or the store was altered). Fix: use the store's password")
    assert _only(_fips_world(SERVER_ONLY, error).report()) == "a2 (cluster_a): " + error


def test_user_trust_between_fips_clusters_passes_the_gate_without_a_jks_store():
    # The roles write a FIPS node's BCFKS truststore; the JKS store such a node lacks is not asked for.
    assert _fips_world(PAIR).report()["problems"] == []


def test_a_cluster_that_mixes_fips_and_non_fips_nodes_passes_the_gate_and_the_notes_name_its_nodes():
    world = World(PAIR)
    _as_fips(world.facts["a2"], CA_A)
    report = world.report()
    assert report["problems"] == []
    assert report["notes"] == [
        "cluster_a: FIPS nodes a2, non-FIPS nodes a1",
        "FIPS and non-FIPS nodes together (mixed cluster_a; non-FIPS cluster_b): each node gets its peers' CAs in "
        "its own store formats, BCFKS + PEM on a FIPS node, JKS + PKCS12 + PEM on the others"]


def test_a_mixed_cluster_whose_modes_hold_different_chains_is_refused():
    # The chains are compared across the modes: a FIPS node whose BCFKS keystore holds another CA's chain
    # would hand its peers (or be trusted by them through) a CA the rest of the cluster does not use.
    world = World(PAIR)
    _as_fips(world.facts["a2"], CA_A)
    world.facts["a2"]["own_ca"] = {"certificates": [dict(CA_B)], "error": None}
    assert "cluster_a: its nodes' server certificates are issued by different CAs (a1; a2)" in _only(world.report())


def test_the_notes_name_a_few_nodes_of_a_big_mixed_cluster():
    groups = {"cluster_a": ["a%d" % i for i in range(1, 9)], "cluster_b": ["b1"]}
    fips_nodes = ("a2", "a5")

    def gathered(host):
        facts = {"fips": host in fips_nodes, "stores": dict(BCFKS_STORES) if host in fips_nodes else {}}
        return {"ansible_facts": {"mapr_security": facts}}

    nodes_of = dict((g, [preflight.NodeReport(h, g, gathered(h)) for h in hosts]) for g, hosts in groups.items())
    notes = preflight.fips_mix(nodes_of)
    assert notes[0] == "cluster_a: FIPS nodes a2, a5, non-FIPS nodes a1, a3, a4 and 3 more"
    assert notes[1].startswith("FIPS and non-FIPS nodes together (mixed cluster_a; non-FIPS cluster_b)")


def test_a_node_whose_kernel_alone_runs_in_fips_mode_counts_as_non_fips_as_the_roles_write_it():
    # Its stores are JKS: the roles write it with peer_trust, so the notes must not call it a FIPS node.
    world = World(PAIR)
    world.facts["a2"].update(fips=True,
                             fips_reasons=["the kernel runs in FIPS mode (/proc/sys/crypto/fips_enabled is 1)"])
    assert _quiet(world.report()) == {"problems": [], "warnings": [], "notes": []}
