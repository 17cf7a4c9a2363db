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
    _summary as summary,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _trust_list as trust_list,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _world as world_model,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.compat import undefined_fails
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.hostvars import (
    cluster_inventory,
    host_var,
)


def _check_trusts(trusts):
    problems = trust_list.shape_problems(trusts)
    if problems:
        raise AnsibleFilterError(problems[0])


def by_host(hosts, hostvars, name):
    """``{host: value}`` of variable ``name`` (dotted for a key inside it, as in
    ``ansible_facts.mapr_security``) for each of ``hosts``; None where it is not set.

    How a role hands the planner what it registered or gathered: the name is written next to the
    ``register:`` it reads, never inside a filter.
    """
    head, _dot, rest = name.partition(".")
    found = {}
    for host in hosts:
        value = host_var(hostvars, host, head)
        for key in rest.split(".") if rest else ():
            value = value.get(key) if isinstance(value, dict) else None
        found[host] = value
    return found


def _world(trusts, groups, nodes, facts=None, hostvars=None, cldb_suffix="_cldb"):
    """The World (module_utils/_world.py) of the hosts ``nodes``; ``facts`` maps hosts to their
    ``mapr_security`` facts or None; ``hostvars`` gives the inventory each export is checked against."""
    try:
        return world_model.World(trusts, groups, nodes, dict((h, f) for h, f in (facts or {}).items() if f),
                                 cluster_inventory(trusts, hostvars, groups) if hostvars is not None else None,
                                 cldb_suffix)
    except CrossclusterError as err:
        raise AnsibleFilterError(str(err))


def trust_topology(trusts, groups, play_hosts, cldb_suffix="_cldb", facts=None, hostvars=None):
    """Each host's cluster group, peers and whether it acts for its cluster (``World.topology``).

    Empty for a malformed ``crosscluster_trusts``, which the preflight gate names. ``facts`` maps
    hosts to their gathered ``mapr_security`` facts (``by_host``): a node whose facts say it runs a
    CLDB counts as a CLDB node, in its CLDB group or not. With ``hostvars``, a peer's line is probed
    only when it names the cluster the inventory's ``mapr_cluster_name`` says.
    """
    if trust_list.shape_problems(trusts):
        return dict((host, dict(group=None, peers=dict(user=[], server=[]), revoked=dict(user=[], server=[]),
                                speaks=False, speaks_cldb=False, reads_tickets=False, peer_speakers={},
                                probes=[]))
                    for host in play_hosts)
    return _world(trusts, groups, play_hosts, facts, hostvars, cldb_suffix).topology(play_hosts)


def user_trust_plan(trusts, groups, play_hosts, facts, hostvars):
    """What each node in the play must hold for user trust (see module_utils/_planner.py). ``facts``
    maps hosts to their gathered ``mapr_security`` facts (``by_host``)."""
    world = _world(trusts, groups, play_hosts, facts, hostvars)
    try:
        return planner.user_trust_plan(world, play_hosts)
    except CrossclusterError as err:
        raise AnsibleFilterError(str(err))


def server_trust_plan(trusts, groups, play_hosts, facts, held, users, min_validity, cldb_suffix="_cldb",
                      rotate=False, hostvars=None):
    """Which CLDB node generates each cluster's ticket and whose tickets each CLDB node merges.

    ``facts``, ``held`` and ``users`` map hosts (``by_host``) to their ``mapr_security`` facts, their
    registered ``maprlogin print`` result and their cluster's cross-cluster user.
    """
    world = _world(trusts, groups, play_hosts, facts, hostvars, cldb_suffix)
    nodes = {}
    for host in play_hosts:
        result = (held or {}).get(host) or {}
        nodes[host] = dict(user=(users or {}).get(host), held=result.get("tickets") if "tickets" in result else None)
    try:
        return planner.server_trust_plan(world, nodes, min_validity, rotate=rotate)
    except CrossclusterError as err:
        raise AnsibleFilterError(str(err))


def _defined(hostvars, host, name):
    return host_var(hostvars, host, name) not in (None, "")


def preflight_report(trusts, hostvars, groups, play_hosts, required_vars, cldb_suffix="_cldb", warn_days=30,
                     check_owners=True, gathered=None, reach=None, login_vars=()):
    """Every reason not to start and every warning, one message each (see module_utils/_preflight.py).

    ``gathered`` maps hosts (``by_host``, over every host the play began with, so that those left out
    for being unreachable are named) to their registered ``security_facts`` result, ``reach`` the
    play's hosts to their ``tcp_probe`` result.
    """
    if gathered is None or reach is None:
        raise AnsibleFilterError("preflight_report needs gathered= and reach=, the registered results of the "
                                 "security_facts and tcp_probe tasks per host (by_host)")
    gathered, reach = dict(gathered), dict(reach)
    scope = [h for group in (trust_list.groups_in(trusts) if not trust_list.shape_problems(trusts) else [])
             for h in groups.get(group, [])]
    # Sets for the lookups: both arrive as lists, and a lookup per host in one would cost hosts x hosts.
    in_scope, in_play = set(scope), set(play_hosts)
    node_results = dict((h, gathered.get(h)) for h in play_hosts if h in in_scope)
    left_out = sorted(set(h for h in scope if h not in in_play and (gathered.get(h) or {}).get("unreachable")))
    probes = [(h, reach[h]) for h in play_hosts if reach.get(h)]
    inventory = dict((h, item) for hosts in cluster_inventory(trusts, hostvars, groups).values()
                     for h, item in hosts.items())
    cluster_names = dict((h, item["mapr_cluster_name"]) for h, item in inventory.items()
                         if item["mapr_cluster_name"] not in (None, ""))
    ca_pins = dict((h, item[world_model.PIN_VAR]) for h, item in inventory.items())
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


def _kerberos_peers(peers, speakers, hostvars):
    """The peers that have a Kerberos realm, with what a client needs to reach it.

    Read from the inventory variables of each peer's speaker (``speakers``: group to host, None when
    none of its nodes is left): ``kerberos_realm``, ``kerberos_kdcs``, ``kerberos_admin_server``,
    ``kerberos_domains``.
    """
    found = []
    for group in peers:
        if not speakers.get(group):
            continue
        peer = hostvars[speakers[group]]
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

    def realms(peers, speakers):
        key = tuple(peers)
        if key not in found:
            found[key] = _kerberos_peers(peers, speakers, hostvars)
        return found[key]

    result = {}
    for host in play_hosts:
        me = who.get(host)
        if me is None or not me["group"] or not hostvars[host].get("kerberos_realm"):
            result[host] = dict(peers=[], revoked=[], kdc=host)
            continue
        kept = world_model.union(me["peers"]["user"], me["peers"]["server"])
        gone = [g for g in world_model.union(me["revoked"]["user"], me["revoked"]["server"]) if g not in kept]
        result[host] = dict(peers=realms(kept, me["peer_speakers"]), revoked=realms(gone, me["peer_speakers"]),
                            kdc=(groups.get(me["group"] + kdc_suffix) or [host])[0])
    return result


def krb5_conf_edit(peers, realm, state="present", auth_to_local=False, revoked=()):
    """One krb5_conf call's ``realms``, ``capaths`` and ``remove`` (see module_utils/_kerberos_plan.py)."""
    return kerberos_plan.krb5_conf_edit(peers, realm, state, auth_to_local, revoked)


def krbtgt_principals(peer_realms, realm):
    """The cross-realm principals a realm shares with each peer (see module_utils/_kerberos_plan.py)."""
    return kerberos_plan.krbtgt_principals(peer_realms, realm)


def kerberos_held(trusts, hostvars, groups, play_hosts, held):
    """Per pair of Kerberos clusters, what each one's KDC reported and whether the pair is kept or revoked:
    ``[{held: {realm: {principal: info}}, state}]``. ``held`` maps hosts (``by_host``) to what
    ``krb5_principal_info`` returned on each cluster's speaker."""
    world = _world(trusts, groups, play_hosts)
    pairs = []
    for trust in trust_list.pairs_any_kind(trusts):
        speakers = [world.speaker(group) for group in trust["clusters"]]
        if not all(speakers) or not all(hostvars[host].get("kerberos_realm") for host in speakers):
            continue
        found = {}
        for host in speakers:
            found[hostvars[host]["kerberos_realm"]] = ((held or {}).get(host) or {}).get("principals") or {}
        pairs.append(dict(held=found, state=trust["state"]))
    return pairs


def krbtgt_plan(trusts, hostvars, groups, play_hosts, held, passwords=None, length=40, state="present",
                rotate=False):
    """The cross-realm principals to set or remove, with their passwords and kvnos, or with ``rotate``
    all of them anew (see module_utils/_kerberos_plan.py). ``held`` is ``kerberos_held``'s."""
    return kerberos_plan.plan_principals(kerberos_held(trusts, hostvars, groups, play_hosts, held), passwords,
                                         length, state, rotate=rotate)


def changed_kinds(hosts, results):
    """``{host: [kind, ...]}``: the kinds of trust (user, server, kerberos) each host changed a file or
    a KDC for in this run. ``results`` maps each kind to the registered results of the tasks that
    write for it, each as ``by_host`` gives them (``{host: result}``)."""
    return dict((host, [kind for kind, found in results.items()
                        if any(bool(((by_host or {}).get(host) or {}).get("changed")) for by_host in found)])
                for host in hosts)


def verify_targets(who, changed, only_changed=False):
    """Which peers each node checks, per kind; with ``only_changed``, only for the kinds its cluster
    changed in this run (``changed``: ``changed_kinds``' answer; see module_utils/_planner.py)."""
    return planner.verify_targets(who, changed, bool(only_changed))


def generated_ticket_problem(generated, host, cluster):
    """Why the ticket ``host`` generated (its registered result) must stop the run, or '' (module_utils/_planner.py)."""
    return planner.generated_ticket_problem(host, generated, cluster) or ""


def trust_summary(trusts, hostvars, groups, play_hosts, changed=None, facts=None, user_plan=None, server_plan=None,
                  max_reason_lines=50, check_mode=False):
    """One line per direction and kind: who trusts whom now (or no more), and, given ``changed``
    (``changed_kinds``' answer), on how many nodes it changed. CLDB nodes are counted by the World's
    rule, from ``facts`` (``by_host`` of ``ansible_facts.mapr_security``) where given.

    Given the run's plans (``user_plan``, ``server_plan``: what ``user_trust_plan`` and
    ``server_trust_plan`` returned), each direction's line is followed by what the plan found to
    change there and why, counted over the nodes (module_utils/_summary.py), at most
    ``max_reason_lines`` such lines in all; with ``check_mode`` (the run's ``ansible_check_mode``), a
    last line says they are what a run would change. Where ``facts`` show a FIPS node, a line per
    cluster says which store formats its nodes have (``stores``).
    """
    _check_trusts(trusts)
    world = _world(trusts, groups, play_hosts, facts)
    lines = []
    plans = [(kind, plan) for kind, plan in (("user", user_plan), ("server", server_plan)) if plan is not None]
    reasons = summary.aggregate(plans, world.group_of)
    planned = bool(reasons)
    budget = dict(left=max(int(max_reason_lines), 0), hidden=0)

    def counted(nodes, kind):
        if changed is None:
            return ""
        return "; changed on %d" % sum(1 for h in nodes if kind in (changed.get(h) or ()))

    def explain(local, kind, remote, total, what):
        found = summary.reason_lines(reasons.pop((local, kind, remote), {}), total, what)
        shown = found[:budget["left"]]
        budget["left"] -= len(shown)
        budget["hidden"] += len(found) - len(shown)
        lines.extend(shown)

    for trust in trust_list.pairs(trusts):
        kind = trust["type"]
        revoked = trust["state"] == "absent"
        for local, remote in (trust["clusters"], trust["clusters"][::-1]):
            nodes = world.nodes(local)
            if kind in ("user", "all"):
                lines.append("user trust   %s -> %s: %d nodes of %s %s %s%s"
                             % (local, remote, len(nodes), local,
                                "no longer reach or trust" if revoked else "can reach and verify", remote,
                                counted(nodes, "user")))
                explain(local, "user", remote, len(nodes), "nodes")
            realms = [hostvars[h].get("kerberos_realm") for h in (world.speaker(local), world.speaker(remote)) if h]
            if len(realms) == 2 and all(realms):
                lines.append("kerberos     %s -> %s: %s users %s tickets for %s services (krbtgt/%s@%s)%s"
                             % (local, remote, realms[0], "no longer get" if revoked else "get", realms[1],
                                realms[1], realms[0], counted(nodes, "kerberos")))
            if kind in ("server", "all"):
                cldbs = [h for h in nodes if world.is_cldb(h)]
                lines.append("server trust %s -> %s: %d CLDB nodes of %s %s %s's servers%s"
                             % (local, remote, len(cldbs), local, "no longer accept" if revoked else "accept",
                                remote, counted(cldbs, "server")))
                explain(local, "server", remote, len(cldbs), "CLDB nodes")
    # Where FIPS nodes take part, the store formats each cluster's nodes have (what the roles wrote there): one
    # line per cluster, a few nodes named per format. A fleet without FIPS nodes has one format everywhere.
    if any(node and planner.is_fips(node) for node in world.facts.values()):
        for group in world.clusters:
            formats = summary.store_formats(world.nodes(group), world.facts)
            if formats:
                lines.append("stores       %s: %s" % (group, summary.formats_text(formats)))
    # A plan made for another trust list than this one: still said, under its own heading.
    for (local, kind, remote) in list(reasons):
        lines.append("%s trust of %s -> %s, as planned:" % (kind, local, remote))
        explain(local, kind, remote, 0, "nodes")
    if budget["hidden"]:
        lines.append("... and %d more lines of the plans' reasons (max_reason_lines=%d); the drift report "
                     "(datafabric.crosscluster.drift_report) names every node" % (budget["hidden"], max_reason_lines))
    if plans and not planned:
        lines.append("plan: nothing to add, replace or remove on any node")
    elif planned and check_mode:
        lines.append("check mode: nothing was changed; the plans' reasons above are what a run would change")
    missing = [h for h in world.scope() if h not in world.known]
    if missing:
        lines.append("nodes not done: %s (unreachable, failed or left out); run again when they are back"
                     % ", ".join(sorted(set(missing))))
    return lines


class FilterModule:
    def filters(self):
        return dict((name, undefined_fails(function)) for name, function in {
            "by_host": by_host,
            "changed_kinds": changed_kinds,
            "trust_topology": trust_topology,
            "user_trust_plan": user_trust_plan,
            "server_trust_plan": server_trust_plan,
            "generated_ticket_problem": generated_ticket_problem,
            "trust_summary": trust_summary,
            "verify_targets": verify_targets,
            "preflight_report": preflight_report,
            "check_user_problems": check_user_problems,
            "kerberos_topology": kerberos_topology,
            "krbtgt_principals": krbtgt_principals,
            "krb5_conf_edit": krb5_conf_edit,
            "krbtgt_plan": krbtgt_plan,
        }.items())
