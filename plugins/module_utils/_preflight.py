# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What stops a run before any node changes: every problem, one message each, all at once.

Pure functions over plain data (``crosscluster_trusts``, the inventory's groups, each node's
variables and what its ``security_facts`` reported), so the policy is unit-tested without Ansible
and the preflight role only gathers and gates. Each message names the host or group, the file or
variable, what is wrong and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _world as world,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._planner import is_fips, truststore_names
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import BCFKS_TRUSTSTORE
from ansible_collections.datafabric.crosscluster.plugins.module_utils._summary import EXAMPLES, named
from ansible_collections.datafabric.crosscluster.plugins.module_utils._trust_list import (
    groups_in,
    pairs,
    peers_of,
    shape_problems,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import (
    ca_validity,
    chains_differ,
    export_problems,
    line_problems,
    short_text,
    trust_alias,
    when,
)


def _kinds(trusts, group):
    """The kinds of trust ``group`` takes part in, built or revoked: both need its files readable."""
    return [k for k in ("user", "server") if peers_of(trusts, group, k) or peers_of(trusts, group, k, "absent")]


def inventory_problems(trusts, groups, defined, required_vars, cldb_suffix="_cldb"):
    """Groups that do not exist or are empty, missing CLDB groups, variables a cluster lacks.

    ``defined(host, name)`` says whether variable ``name`` has a value for ``host``;
    ``required_vars`` maps a trust kind (user, server) to the variables it needs.
    """
    problems = []
    member_of = {}
    for group in groups_in(trusts):
        for host in groups.get(group) or []:
            member_of.setdefault(host, []).append(group)
    for host, clusters in member_of.items():
        if len(clusters) > 1:
            problems.append("%s is in two cluster groups named in crosscluster_trusts (%s); a node belongs to one "
                            "cluster. Fix: keep it in its own cluster's group only" % (host, ", ".join(clusters)))
    for group in groups_in(trusts):
        hosts = groups.get(group) or []
        if not hosts:
            problems.append("crosscluster_trusts names %s, which is no inventory group with hosts. Fix: add the "
                            "group with the cluster's nodes, or correct the name" % group)
            continue
        kinds = _kinds(trusts, group)
        if "server" in kinds and not groups.get(group + cldb_suffix):
            problems.append("%s has server trust, but its group %s%s is missing or empty. Fix: list the "
                            "cluster's CLDB nodes in a child group %s%s" % (group, group, cldb_suffix, group,
                                                                            cldb_suffix))
        for kind in kinds:
            for name in required_vars.get(kind, []):
                lacking = [h for h in hosts if not defined(h, name)]
                if not lacking:
                    continue
                which = "" if len(lacking) == len(hosts) else " on %s" % ", ".join(lacking)
                problems.append("%s: variable %s is not defined%s (%s trust needs it). Fix: set it in "
                                "group_vars/%s (vault secrets)" % (group, name, which, kind, group))
    return problems


def login_problems(trusts, groups, value, login_vars, owner_var="mapr_cluster_owner", owners=None):
    """Clusters the checks cannot log in to as a dedicated check user.

    The verify role's login to a peer runs on a node of another cluster, so the password it sends
    must belong to a user made for that, never to the peer's cluster owner. ``login_vars`` is
    ``(user variable, password variable)`` of the peer's group (empty: no check runs);
    ``value(host, name)`` a host's variable or None; ``owners`` maps a group to the owner its
    nodes run as (gathered), checked as well as ``owner_var``.
    """
    if not login_vars:
        return []
    user_var, password_var = login_vars
    fix = ("create a user for the checks on every node of the cluster, with a password and no special "
           "privilege (docs/README.md, The check user), and set %s and %s in group_vars/%%s (vault the password); "
           "or set all_trust_verify: false" % (user_var, password_var))
    problems = []
    for group in groups_in(trusts):
        hosts = groups.get(group) or []
        if not hosts or "user" not in _kinds(trusts, group):
            continue
        for name in (user_var, password_var):
            lacking = [h for h in hosts if value(h, name) in (None, "")]
            if lacking:
                which = "" if len(lacking) == len(hosts) else " on %s" % ", ".join(lacking)
                problems.append("%s: variable %s is not defined%s (its user-trust peers check the trust by "
                                "logging in to it as its check user). Fix: %s" % (group, name, which, fix % group))
        users = sorted(set(value(h, user_var) for h in hosts if value(h, user_var) not in (None, "")))
        owner_names = set(value(h, owner_var) for h in hosts if value(h, owner_var) not in (None, ""))
        owner_names.update((owners or {}).get(group) or [])
        for user in users:
            if user in owner_names:
                problems.append("%s: the check user %s (%s) is the cluster owner (%s); the checks would send the "
                                "owner's password to the nodes of every peer cluster. Fix: %s"
                                % (group, user, user_var, owner_var, fix % group))
    return problems


def _ca_validity(group, cert, now, warn_days):
    start, end = when(cert["not_before"]), when(cert["not_after"])
    where = "%s's CA %s (valid %s to %s)" % (group, cert["subject"], start.date(), end.date())
    fix = "renew the cluster's CA certificate and its keystores, then run again"
    state, days = ca_validity(cert, now, warn_days)
    if state == world.NOT_YET_VALID:
        return "problem", "%s is not valid yet. Fix: check the clocks, or %s" % (where, fix)
    if state == world.EXPIRED:
        return "problem", "%s has expired. Fix: %s" % (where, fix)
    if state == world.EXPIRING:
        return "warning", "%s expires in %d days. Fix: %s" % (where, days, fix)
    return None, None


class NodeReport:
    """One node as preflight saw it: its gather result and the facts inside."""

    def __init__(self, host, group, result):
        self.host = host
        self.group = group
        self.result = result or {}
        self.facts = (self.result.get("ansible_facts") or {}).get("mapr_security")

    @property
    def name(self):
        return "%s (%s)" % (self.host, self.group)


def node_problems(node, kinds, peers_ca, cluster_name=None, check_owners=True):
    """Everything wrong on one node. ``peers_ca`` maps each user-trust peer's cluster name to its CA list."""
    if node.result.get("unreachable"):
        return ["%s: cannot be reached (%s). Fix: bring the node back, or set preflight_skip_unreachable: "
                "true to go on without it" % (node.name, short_text(node.result.get("msg", "")))]
    facts = node.facts
    if facts is None:
        return ["%s: %s" % (node.name, short_text(node.result.get("msg") or "the node's facts could not be "
                                                  "gathered", 600))]
    problems = line_problems(node.name, facts, cluster_name)[1]
    if facts.get("secret_tasks_refused"):
        # Here, before any write, rather than at the first task that carries one, after others wrote.
        problems.append("%s: the tasks that carry secrets (passwords, tickets) would not run on it: %s. Fix: set "
                        "ansible_pipelining: true for it (or ANSIBLE_PIPELINING=true; become_method su cannot "
                        "pipeline, sudo can), or set crosscluster_allow_module_files: true to accept module "
                        "arguments written into a file on the node" % (node.name, facts["secret_tasks_refused"]))
    if is_fips(facts):
        listed = (facts.get("truststores") or {}).get(BCFKS_TRUSTSTORE) or {}
        # Whatever the kind of trust: a store keytool cannot open is worth a stop before any change.
        if listed.get("error"):
            problems.append("%s: %s" % (node.name, listed["error"]))
    if "user" in kinds and facts.get("truststore_password_error"):
        problems.append("%s: %s" % (node.name, facts["truststore_password_error"]))
    elif "user" in kinds:
        problems += _store_problems(node, peers_ca)
    if "server" in kinds and facts["is_cldb"]:
        problems += _cldb_problems(node, check_owners)
    return problems


def _store_problems(node, peers_ca):
    facts = node.facts
    problems = []
    stores = facts.get("truststores") or {}
    for name, info in sorted(stores.items()):
        if not info["exists"]:
            # A FIPS node has no JKS store: its truststore is the BCFKS one.
            if name == "ssl_truststore" and not is_fips(facts):
                problems.append("%s: %s/conf/ssl_truststore does not exist. Fix: check mapr_home; a secure node "
                                "has one (configure.sh -secure)" % (node.name, facts["mapr_home"]))
            continue
        if info["error"]:
            problems.append("%s: %s" % (node.name, info["error"]))
            continue
        # None: a PKCS12 store read without its password, whose aliases the write checks.
        held = dict((e["alias"], e["sha256"]) for e in info["entries"] or [] if e.get("alias"))
        for peer, certs in sorted(peers_ca.items()):
            for cert in certs:
                alias = trust_alias(peer, cert["sha256"])
                if alias in held and held[alias] != cert["sha256"]:
                    problems.append(
                        "%s: %s holds alias %s for another certificate (sha256 %s), where %s's CA would go. "
                        "Fix: delete or rename that entry (keytool -delete -alias %s)"
                        % (node.name, name, alias, held[alias][:16], peer, alias))
    return problems


def _cldb_problems(node, check_owners):
    facts = node.facts
    problems = []
    if not facts.get("maprlogin"):
        problems.append("%s: %s/bin/maprlogin is missing or not executable on this CLDB node. Fix: install the "
                        "MapR core package, or correct mapr_home" % (node.name, facts["mapr_home"]))
    ticket = facts.get("server_ticket") or {}
    path = ticket.get("path", "maprserverticket")
    owner = facts.get("owner") or "mapr"
    if not ticket.get("exists"):
        problems.append("%s: %s does not exist. Fix: the CLDB node's server ticket is made by configure.sh "
                        "-secure; restore it from the cluster's first CLDB node" % (node.name, path))
    elif ticket.get("error"):
        problems.append("%s: %s %s. Fix: restore it from a backup or from the cluster's first CLDB node"
                        % (node.name, path, ticket["error"]))
    else:
        if ticket.get("cluster") != facts["cluster_name"]:
            problems.append("%s: the first line of %s is for cluster %s, not the node's own %s. Fix: restore the "
                            "file; its first line is the node's own server ticket"
                            % (node.name, path, ticket.get("cluster"), facts["cluster_name"]))
        # Refused, not repaired: preflight changes nothing, and a wrong mode is worth a look.
        if ticket.get("mode") != "0600":
            problems.append("%s: %s has mode %s; MapR needs 0600. Fix: chmod 0600 %s"
                            % (node.name, path, ticket.get("mode"), path))
        if check_owners and ticket.get("owner") != owner:
            problems.append("%s: %s is owned by %s, not the cluster owner %s. Fix: chown %s %s"
                            % (node.name, path, ticket.get("owner"), owner, owner, path))
    for user, exists in sorted((facts.get("users") or {}).items()):
        if not exists:
            problems.append("%s: the cross-cluster user %r does not exist. Fix: create it on every node of both "
                            "clusters (a non-default user, not the cluster owner)" % (node.name, user))
    return problems


def cluster_problems(group, nodes):
    """What differs between the nodes of one cluster (only nodes whose facts were gathered)."""
    problems = []
    gathered = [n for n in nodes if n.facts is not None]
    names = sorted(set(n.facts["cluster_name"] for n in gathered))
    if len(names) > 1:
        problems.append("%s: its hosts belong to different clusters (%s). Fix: one inventory group per cluster"
                        % (group, ", ".join(names)))
    # FIPS and non-FIPS nodes may mix: each keeps the cluster's CA in its own store format (the roles write
    # each node in its format), which is why the chains below are compared across the modes too.
    chains = {}
    for node in gathered:
        ca = node.facts.get("own_ca") or {}
        if ca.get("certificates"):
            chains.setdefault(tuple(c["sha256"] for c in ca["certificates"]), []).append(node.host)
    if len(chains) > 1:
        problems.append(chains_differ(group, chains))
    return problems


def pair_problems(first, second, nodes_of):
    """What two clusters that trust each other must agree on."""
    problems = []
    a = [n for n in nodes_of[first] if n.facts is not None]
    b = [n for n in nodes_of[second] if n.facts is not None]
    if not a or not b:
        return problems
    if a[0].facts["cluster_name"] == b[0].facts["cluster_name"]:
        problems.append("%s and %s are both named %s; clusters that trust each other need distinct names"
                        % (first, second, a[0].facts["cluster_name"]))
    owners = (a[0].facts["owner"], b[0].facts["owner"])
    if owners[0] != owners[1]:
        problems.append("%s runs as %s and %s as %s (mapr.daemon.user in daemon.conf); cross-cluster trust needs "
                        "the same cluster owner on both" % (first, owners[0], second, owners[1]))
    return problems


def exported_ca(group, nodes, problems, vars_missing=False):
    """The CA chain ``group`` exports (from its first gathered node), or None with the reason added.

    The reason is left out when another message names it already: the speaker's store of record
    (ssl_truststore, ssl_truststore.bcfks on a FIPS node) does not open (its node's store problem), or
    no store was opened and ``vars_missing`` (the group lacks a variable user trust needs, the
    truststore password).
    """
    gathered = [n for n in nodes if n.facts is not None]
    if not gathered:
        return None
    ca = gathered[0].facts.get("own_ca") or {}
    if ca.get("error"):
        stores = gathered[0].facts.get("truststores") or {}
        # A mixed cluster's speaker may be a FIPS node: its CA chain is climbed through its BCFKS store.
        record = truststore_names(gathered[0].facts)[0]
        if not (stores.get(record) or {}).get("error") and not (vars_missing and not stores):
            problems.append("%s: %s cannot hand its CA to its peers: %s" % (group, gathered[0].host, ca["error"]))
        return None
    return ca.get("certificates") or []


def reach_problems(results):
    """Peers none of whose CLDBs answered the probing node, from each prober's ``tcp_probe`` result."""
    problems = []
    for host, result in results:
        if not result or result.get("skipped") or result.get("unreachable"):
            continue
        if result.get("failed"):
            problems.append("%s could not try its peers' CLDBs: %s. Fix: check that the node runs Python and can "
                            "open TCP connections" % (host, result.get("msg") or "no message"))
            continue
        tried = {}
        for probe in result.get("probes") or []:
            tried.setdefault(probe["cluster"], []).append(probe)
        for cluster, probes in sorted(tried.items()):
            if not any(p["reachable"] for p in probes):
                problems.append("%s cannot reach any CLDB of %s (tried %s). Fix: check the network, the firewall "
                                "and %s's mapr-clusters.conf"
                                % (host, cluster, ", ".join(sorted("%s:%s" % (p["host"], p["port"]) for p in probes)),
                                   cluster))
    return problems


def password_sources(nodes_of):
    """One line per cluster whose nodes read their truststore password themselves, naming the files."""
    notes = []
    for group, nodes in nodes_of.items():
        sources = {}
        for node in nodes:
            source = (node.facts or {}).get("truststore_password_source")
            if source:
                sources.setdefault(source, []).append(node.host)
        for source, hosts in sorted(sources.items()):
            notes.append("%s: the truststore password was read on the node from %s (%s)"
                         % (group, source, ", ".join(hosts)))
    return notes


def fips_mix(nodes_of):
    """The gate's notes on FIPS: one line per cluster with FIPS nodes, naming them (and, in a cluster that
    mixes both, its non-FIPS ones; at most ``EXAMPLES`` of each at fleet scale), and one line when the run
    holds FIPS and non-FIPS nodes together, which the vendor's utility refuses and the roles write each in
    its own store formats."""
    notes = []
    kinds = {}
    for group, nodes in sorted(nodes_of.items()):
        gathered = [n for n in nodes if n.facts is not None]
        # By store format, as the roles write each node: a node whose kernel alone runs in FIPS mode
        # keeps JKS stores and counts as non-FIPS here.
        on = [n.host for n in gathered if is_fips(n.facts)]
        off = [n.host for n in gathered if not is_fips(n.facts)]
        if on and off:
            notes.append("%s: FIPS nodes %s, non-FIPS nodes %s" % (group, _hosts(on), _hosts(off)))
            kinds.setdefault("mixed", []).append(group)
        elif on:
            notes.append("%s: a FIPS cluster (%s)" % (group, _hosts(on)))
            kinds.setdefault("FIPS", []).append(group)
        elif off:
            kinds.setdefault("non-FIPS", []).append(group)
    if "mixed" in kinds or len(kinds) > 1:
        notes.append("FIPS and non-FIPS nodes together (%s): each node gets its peers' CAs in its own store formats, "
                     "BCFKS + PEM on a FIPS node, JKS + PKCS12 + PEM on the others"
                     % "; ".join("%s %s" % (kind, _hosts(kinds[kind])) for kind in ("FIPS", "mixed", "non-FIPS")
                                 if kind in kinds))
    return notes


def _hosts(names):
    """``names`` as a note gives them: the first ``EXAMPLES`` and how many more (a fleet has thousands)."""
    return named(names[:EXAMPLES], len(names)) if len(names) > EXAMPLES else ", ".join(names)


def preflight_report(trusts, groups, node_results, probe_results, defined, required_vars, cluster_names=None,
                     cldb_suffix="_cldb", warn_days=30, now=None, left_out=(), check_owners=True, value=None,
                     login_vars=(), ca_pins=None):
    """``{problems, warnings, notes}`` for the whole scope (notes: where passwords were read).

    ``node_results`` maps each host in the play to its security_facts result; ``probe_results``
    lists (host, wait_for loop result); ``cluster_names`` maps hosts (every host of the groups,
    in the play or not) to their inventory ``mapr_cluster_name``, where set, and ``ca_pins`` to
    their ``mapr_ca_sha256``; ``left_out`` names the hosts ended for being unreachable
    (preflight_skip_unreachable); ``check_owners`` whether file owners are checked; ``value`` and
    ``login_vars`` are those of ``login_problems``.
    """
    problems = shape_problems(trusts)
    warnings = ["%s is left out: it cannot be reached (preflight_skip_unreachable)" % h for h in left_out]
    if problems:
        return dict(problems=problems, warnings=warnings, notes=[])
    problems += inventory_problems(trusts, groups, defined, required_vars, cldb_suffix)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    cluster_names = cluster_names or {}
    nodes_of = {}
    for group in groups_in(trusts):
        nodes_of[group] = [NodeReport(h, group, node_results[h]) for h in groups.get(group) or []
                           if h in node_results]
        if groups.get(group) and not nodes_of[group]:
            problems.append("%s: none of its nodes is left in the play. Fix: bring at least its CLDB nodes back"
                            % group)
        problems += cluster_problems(group, nodes_of[group])
    if value is not None:
        owners = dict((group, [n.facts["owner"] for n in nodes if n.facts is not None and n.facts.get("owner")])
                      for group, nodes in nodes_of.items())
        problems += login_problems(trusts, groups, value, login_vars, owners=owners)
    cas = {}
    names = {}
    for group, nodes in nodes_of.items():
        gathered = [n for n in nodes if n.facts is not None]
        if gathered:
            names[group] = gathered[0].facts["cluster_name"]
        if peers_of(trusts, group, "user"):
            vars_missing = any(not defined(h, name) for h in groups.get(group) or []
                               for name in required_vars.get("user", [])) or any(
                n.facts is not None and n.facts.get("truststore_password_error") for n in nodes)
            # What the planner refuses to export (see _planner.cluster_export), named here up front.
            inventory = dict((h, dict(mapr_cluster_name=cluster_names.get(h), mapr_ca_sha256=(ca_pins or {}).get(h)))
                             for h in groups.get(group) or [])
            wrong, doubts = export_problems(group, [(n.host, n.facts) for n in gathered], inventory,
                                            nodes_checked=True)
            problems += wrong
            warnings += doubts
            ca = exported_ca(group, nodes, problems, vars_missing)
            if ca is not None:
                cas[group] = ca
                for cert in ca:
                    level, text = _ca_validity(group, cert, now, warn_days)
                    if level == "problem":
                        problems.append(text)
                    elif level == "warning":
                        warnings.append(text)
    for group, nodes in nodes_of.items():
        kinds = _kinds(trusts, group)
        peers_ca = dict((names[p], cas[p]) for p in peers_of(trusts, group, "user") if p in cas and p in names)
        for node in nodes:
            problems += node_problems(node, kinds, peers_ca, cluster_names.get(node.host), check_owners)
    for trust in pairs(trusts):
        if trust["state"] == "present":
            problems += pair_problems(trust["clusters"][0], trust["clusters"][1], nodes_of)
    problems += reach_problems(probe_results)
    unique = []
    for text in problems:
        if text not in unique:
            unique.append(text)
    return dict(problems=unique, warnings=warnings, notes=password_sources(nodes_of) + fips_mix(nodes_of))
