# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters that turn ``crosscluster_trusts`` into what each cluster must receive.

Kept here, as pure functions, so the roles stay a list of steps and the pairing rules are
unit-tested in one place.
"""


from ansible.errors import AnsibleFilterError

from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _kerberos_plan as kerberos_plan,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _planner as planner,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _preflight as preflight,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _trust_list as trust_list,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.compat import undefined_fails
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.hostvars import (
    cluster_inventory,
    gathered_facts,
    host_var,
)


def _check_trusts(trusts):
    problems = trust_list.shape_problems(trusts)
    if problems:
        raise AnsibleFilterError(problems[0])


def trust_topology(trusts, groups, play_hosts, cldb_suffix="_cldb", hostvars=None):
    """Each host's cluster group, peers and whether it acts for its cluster (see module_utils/_planner.py).

    Empty for a malformed ``crosscluster_trusts``, which the preflight gate names. With ``hostvars``,
    a host whose gathered ``mapr_security`` says it runs a CLDB counts as a CLDB node.
    """
    if trust_list.shape_problems(trusts):
        return dict((host, dict(group=None, peers=dict(user=[], server=[]), revoked=dict(user=[], server=[]),
                                speaks=False, speaks_cldb=False, reads_tickets=False, peer_speakers={}))
                    for host in play_hosts)
    cldb_hosts = [h for h in play_hosts if hostvars is not None
                  and (gathered_facts(hostvars, h) or {}).get("is_cldb")]
    return planner.topology(trusts, groups, play_hosts, cldb_suffix, cldb_hosts)


def user_trust_plan(trusts, hostvars, groups, play_hosts):
    """What each node in the play must hold for user trust (see module_utils/_planner.py)."""
    facts = dict((h, gathered_facts(hostvars, h)) for h in play_hosts if gathered_facts(hostvars, h))
    try:
        return planner.user_trust_plan(trusts, groups, facts, cluster_inventory(trusts, hostvars, groups))
    except CrossclusterError as err:
        raise AnsibleFilterError(str(err))


def server_trust_plan(trusts, hostvars, groups, play_hosts, min_validity, cldb_suffix="_cldb", rotate=False):
    """Which CLDB node generates each cluster's ticket and whose tickets each CLDB node merges."""
    nodes = {}
    for host in play_hosts:
        held = hostvars[host].get("__server_trust_held") or {}
        nodes[host] = dict(facts=gathered_facts(hostvars, host), user=hostvars[host].get("__server_trust_user"),
                           held=held.get("tickets") if "tickets" in held else None)
    try:
        return planner.server_trust_plan(trusts, groups, nodes, min_validity, cldb_suffix, rotate=rotate)
    except CrossclusterError as err:
        raise AnsibleFilterError(str(err))


def _in_play(group, groups, play_hosts):
    """Whether any node of ``group`` is still in the play. Kerberos trust runs after the file work;
    a cluster whose nodes all failed or went unreachable by then has nothing to pair with, and its
    loss must not fail every other node (the summary names what was not done)."""
    return any(h in play_hosts for h in groups.get(group, []))


def _exporter(group, groups, play_hosts):
    """The node that speaks for ``group``: its first host still in the play (reachable)."""
    hosts = [h for h in groups.get(group, []) if h in play_hosts]
    if not hosts:
        raise AnsibleFilterError("no host of inventory group %r is in the play (none defined, or all "
                                 "unreachable); check the group in crosscluster_trusts" % group)
    return hosts[0]


def cldb_targets(peers, hostvars, groups, play_hosts):
    """What to probe for each peer: every address of every CLDB on its HTTPS port.

    Taken from the peer's own first conf line, the line its clients will be given. A peer none of
    whose nodes reported facts is left out: preflight reports those nodes' own problems.
    """
    targets = []
    for group in peers:
        facts = next((gathered_facts(hostvars, h) for h in _nodes(group, groups, play_hosts)
                      if gathered_facts(hostvars, h)), None)
        if facts is None:
            continue
        for cldb in facts["cldb_hosts"]:
            for address in cldb.split(";"):
                host = address.rsplit(":", 1)[0] if not address.endswith("]") else address
                targets.append(dict(group=group, cluster=facts["cluster_name"], cldb=cldb,
                                    host=host.strip("[]"), port=facts["cldb_https_port"]))
    return targets


def _nodes(group, groups, play_hosts):
    return [h for h in groups.get(group, []) if h in play_hosts]


def _defined(hostvars, host, name):
    return host_var(hostvars, host, name) not in (None, "")


def preflight_report(trusts, hostvars, groups, play_hosts, required_vars, cldb_suffix="_cldb", warn_days=30,
                     check_owners=True, gathered_fact="__preflight_gathered", reach_fact="__preflight_reach",
                     login_vars=()):
    """Every reason not to start and every warning, one message each (see module_utils/_preflight.py)."""
    scope = [h for group in (trust_list.groups_in(trusts) if not trust_list.shape_problems(trusts) else [])
             for h in groups.get(group, [])]
    # Sets for the lookups: both arrive as lists, and a lookup per host in one would cost hosts x hosts.
    in_scope, in_play = set(scope), set(play_hosts)
    node_results = dict((h, hostvars[h].get(gathered_fact)) for h in play_hosts if h in in_scope)
    left_out = sorted(set(h for h in scope if h not in in_play
                          and (hostvars[h].get(gathered_fact) or {}).get("unreachable")))
    probes = [(h, hostvars[h].get(reach_fact)) for h in play_hosts if hostvars[h].get(reach_fact)]
    inventory = dict((h, item) for hosts in cluster_inventory(trusts, hostvars, groups).values()
                     for h, item in hosts.items())
    cluster_names = dict((h, item["mapr_cluster_name"]) for h, item in inventory.items()
                         if item["mapr_cluster_name"] not in (None, ""))
    ca_pins = dict((h, item[preflight.PIN_VAR]) for h, item in inventory.items())
    return preflight.preflight_report(
        trusts, groups, node_results, probes, lambda host, name: _defined(hostvars, host, name), required_vars,
        cluster_names=cluster_names, cldb_suffix=cldb_suffix, warn_days=warn_days, left_out=left_out,
        check_owners=check_owners, value=lambda host, name: host_var(hostvars, host, name),
        login_vars=login_vars, ca_pins=ca_pins)


def check_user_problems(trusts, hostvars, groups, login_vars):
    """Why the checks cannot log in to a peer as its check user: the preflight gate's rule
    (module_utils/_preflight.py login_problems), for verify.yml, which runs no gate."""
    if trust_list.shape_problems(trusts):
        return []
    return preflight.login_problems(trusts, groups, lambda host, name: host_var(hostvars, host, name),
                                    tuple(login_vars))


def _kerberos_peers(peers, hostvars, groups, play_hosts):
    """The peers that have a Kerberos realm, with what a client needs to reach it.

    Read from the peer exporter's inventory variables: ``kerberos_realm``, ``kerberos_kdcs``,
    ``kerberos_admin_server``, ``kerberos_domains``.
    """
    found = []
    for group in peers:
        if not _in_play(group, groups, play_hosts):
            continue
        peer = hostvars[_exporter(group, groups, play_hosts)]
        if not peer.get("kerberos_realm"):
            continue
        if not peer.get("kerberos_kdcs"):
            raise AnsibleFilterError("%s has kerberos_realm %s but no kerberos_kdcs; list its KDCs as host:port"
                                     % (group, peer["kerberos_realm"]))
        found.append(dict(group=group, realm=peer["kerberos_realm"], kdcs=list(peer["kerberos_kdcs"]),
                          admin_server=peer.get("kerberos_admin_server"),
                          domains=list(peer.get("kerberos_domains") or [])))
    return found


def kerberos_topology(who, hostvars, groups, play_hosts, kdc_suffix="_kdc"):
    """Each node's Kerberos peers, kept and revoked, from ``trust_topology``'s answer: the peers that have
    a realm, when the node's own cluster has one. A pair keeps its Kerberos trust while any kind is kept.
    ``kdc`` is the first host of the cluster's KDC group, where its principals are read and set (the
    node itself when the group is missing, which the KDC's own tools then report)."""
    found = {}

    def realms(peers):
        key = tuple(peers)
        if key not in found:
            found[key] = _kerberos_peers(peers, hostvars, groups, play_hosts)
        return found[key]

    result = {}
    for host in play_hosts:
        me = who.get(host)
        if me is None or not me["group"] or not hostvars[host].get("kerberos_realm"):
            result[host] = dict(peers=[], revoked=[], kdc=host)
            continue
        kept = planner.union(me["peers"]["user"], me["peers"]["server"])
        gone = [g for g in planner.union(me["revoked"]["user"], me["revoked"]["server"]) if g not in kept]
        result[host] = dict(peers=realms(kept), revoked=realms(gone),
                            kdc=(groups.get(me["group"] + kdc_suffix) or [host])[0])
    return result


def krb5_conf_edit(peers, realm, state="present", auth_to_local=False, revoked=()):
    """One krb5_conf call's ``realms``, ``capaths`` and ``remove`` (see module_utils/_kerberos_plan.py)."""
    return kerberos_plan.krb5_conf_edit(peers, realm, state, auth_to_local, revoked)


def krbtgt_principals(peer_realms, realm):
    """The cross-realm principals a realm shares with each peer (see module_utils/_kerberos_plan.py)."""
    return kerberos_plan.krbtgt_principals(peer_realms, realm)


def kerberos_held(trusts, hostvars, groups, play_hosts, fact="__kerberos_trust_held"):
    """Per pair of Kerberos clusters, what each one's KDC reported and whether the pair is kept or revoked:
    ``[{held: {realm: {principal: info}}, state}]``."""
    pairs = []
    for trust in trust_list.pairs_any_kind(trusts):
        if not all(_in_play(group, groups, play_hosts) for group in trust["clusters"]):
            continue
        exporters = [hostvars[_exporter(group, groups, play_hosts)] for group in trust["clusters"]]
        if not all(node.get("kerberos_realm") for node in exporters):
            continue
        held = {}
        for node in exporters:
            result = node.get(fact) or {}
            held[node["kerberos_realm"]] = result.get("principals") or {}
        pairs.append(dict(held=held, state=trust["state"]))
    return pairs


def krbtgt_plan(trusts, hostvars, groups, play_hosts, passwords=None, length=40, state="present", rotate=False):
    """The cross-realm principals to set or remove, with their passwords and kvnos, or with ``rotate``
    all of them anew (see module_utils/_kerberos_plan.py)."""
    return kerberos_plan.plan_principals(kerberos_held(trusts, hostvars, groups, play_hosts), passwords, length,
                                         state, rotate=rotate)


def _changed(hostvars, host, fact):
    result = hostvars[host].get(fact) or {}
    return bool(result.get("changed"))


# The results the roles register, by the kind of trust whose files they change.
CHANGED_BY = {"user": ("user_trust_peers",), "server": ("server_trust_merge",),
              "kerberos": ("kerberos_trust_principals", "kerberos_trust_conf")}


def _changed_kind(hostvars, host, kind):
    return any(_changed(hostvars, host, name) for name in CHANGED_BY[kind])


def verify_targets(who, hostvars, only_changed=False):
    """Which peers each node checks, per kind; with ``only_changed``, only for the kinds its cluster
    changed in this run (see module_utils/_planner.py)."""
    changed = dict((host, [kind for kind in CHANGED_BY if _changed_kind(hostvars, host, kind)]) for host in who)
    return planner.verify_targets(who, changed, bool(only_changed))


def generated_ticket_problem(generated, host, cluster):
    """Why the ticket ``host`` generated (its registered result) must stop the run, or '' (module_utils/_planner.py)."""
    return planner.generated_ticket_problem(host, generated, cluster) or ""


def trust_summary(trusts, hostvars, groups, play_hosts):
    """One line per direction and kind: who trusts whom now (or no more), and on how many nodes it changed."""
    _check_trusts(trusts)
    lines = []
    play_hosts = set(play_hosts)  # looked up per node and pair: a list made the summary O(nodes^2)
    for trust in trust_list.pairs(trusts):
        kind = trust["type"]
        revoked = trust["state"] == "absent"
        for local, remote in (trust["clusters"], trust["clusters"][::-1]):
            nodes = [h for h in groups.get(local, []) if h in play_hosts]
            if kind in ("user", "all"):
                changed = [h for h in nodes if _changed_kind(hostvars, h, "user")]
                lines.append("user trust   %s -> %s: %d nodes of %s %s %s; changed on %d"
                             % (local, remote, len(nodes), local,
                                "no longer reach or trust" if revoked else "can reach and verify", remote,
                                len(changed)))
            realms = [hostvars[h].get("kerberos_realm") for h in (nodes[:1] + [h for h in groups.get(remote, [])
                                                                               if h in play_hosts][:1])]
            if len(realms) == 2 and all(realms):
                changed = [h for h in nodes if _changed_kind(hostvars, h, "kerberos")]
                lines.append("kerberos     %s -> %s: %s users %s tickets for %s services (krbtgt/%s@%s); "
                             "changed on %d" % (local, remote, realms[0], "no longer get" if revoked else "get",
                                                realms[1], realms[1], realms[0], len(changed)))
            if kind in ("server", "all"):
                cldbs = [h for h in nodes if (gathered_facts(hostvars, h) or {}).get("is_cldb")]
                changed = [h for h in cldbs if _changed_kind(hostvars, h, "server")]
                lines.append("server trust %s -> %s: %d CLDB nodes of %s %s %s's servers; changed on %d"
                             % (local, remote, len(cldbs), local, "no longer accept" if revoked else "accept",
                                remote, len(changed)))
    missing = [h for group in trust_list.groups_in(trusts) for h in groups.get(group, []) if h not in play_hosts]
    if missing:
        lines.append("nodes not done: %s (unreachable, failed or left out); run again when they are back"
                     % ", ".join(sorted(set(missing))))
    return lines


class FilterModule:
    def filters(self):
        return dict((name, undefined_fails(function)) for name, function in {
            "trust_topology": trust_topology,
            "user_trust_plan": user_trust_plan,
            "server_trust_plan": server_trust_plan,
            "generated_ticket_problem": generated_ticket_problem,
            "trust_summary": trust_summary,
            "verify_targets": verify_targets,
            "cldb_targets": cldb_targets,
            "preflight_report": preflight_report,
            "check_user_problems": check_user_problems,
            "kerberos_topology": kerberos_topology,
            "krbtgt_principals": krbtgt_principals,
            "krb5_conf_edit": krb5_conf_edit,
            "krbtgt_plan": krbtgt_plan,
        }.items())
