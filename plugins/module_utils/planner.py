# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What each node must hold for user and server trust, worked out once per run on the controller.

Pure: it takes ``crosscluster_trusts``, the inventory's groups and each node's ``mapr_security``
facts (``security_facts`` with a truststore password, gathered once by preflight), and says per
node which peers' conf lines and CA certificates it must hold, and whether it holds them already,
so the roles make one module call per file only on the nodes that need one.

Each cluster speaks through its first node in the play that reported facts (its exporter): its
own first conf line and its own CA chain, never a certificate it merely trusts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils import preflight
from ansible_collections.datafabric.crosscluster.plugins.module_utils.clusters_conf import parse_line
from ansible_collections.datafabric.crosscluster.plugins.module_utils.errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils.maprlogin import parse_validity
from ansible_collections.datafabric.crosscluster.plugins.module_utils.maprlogin_output import seconds_left

# The stores truststore_import keeps in step; a sibling that does not exist is not wanted either.
TRUSTSTORES = ("ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem")


def exporters(trusts, groups, facts):
    """Each cluster group's speaking node: its first host with facts, or no entry when there is none."""
    found = {}
    for group in preflight.groups_in(trusts):
        host = next((h for h in groups.get(group) or [] if h in facts), None)
        if host is not None:
            found[group] = host
    return found


def cluster_export(group, facts):
    """What a cluster hands to its peers: its first conf line and its own CA chain under the alias rule."""
    own_ca = facts.get("own_ca") or {}
    if own_ca.get("error") or not own_ca.get("certificates"):
        raise CrossclusterError("%s cannot hand its CA to its peers: %s"
                                % (group, own_ca.get("error") or "no certificate found"),
                                fix="run the preflight role first; it names the cause")
    name = facts["cluster_name"]
    return dict(group=group, cluster_name=name, conf_line=facts["conf_line"],
                certificates=[dict(alias=preflight.trust_alias(name, cert["sha256"]), pem=cert["pem"],
                                   sha256=cert["sha256"]) for cert in own_ca["certificates"]])


def _holds_line(facts, line):
    wanted = parse_line(line)
    for held in facts.get("conf_lines") or []:
        entry = parse_line(held)
        if entry.name == wanted.name:
            return entry.same_as(wanted)
    return False


def _holds_certificates(facts, certificates):
    stores = facts.get("truststores") or {}
    for name in TRUSTSTORES:
        store = stores.get(name) or {}
        if not store.get("exists"):
            if name == "ssl_truststore":
                return False
            continue
        held = set(entry["sha256"] for entry in store.get("entries") or [])
        if any(cert["sha256"] not in held for cert in certificates):
            return False
    return True


def user_trust_plan(trusts, groups, facts):
    """Per host with facts: ``{group, conf_lines, certificates, conf_changes, truststore_changes}``.

    ``conf_lines`` and ``certificates`` are everything the node's user-trust peers hand over
    (what one call per file must hold); the ``*_changes`` flags say whether the node lacks any of
    it, as far as its facts show. A node whose cluster takes part in no user trust gets empty lists.
    """
    speaking = exporters(trusts, groups, facts)
    exports = {}
    plan = {}
    for host, node in facts.items():
        group = next((g for g in preflight.groups_in(trusts) if host in (groups.get(g) or [])), None)
        peers = preflight.peers_of(trusts, group, "user") if group else []
        imports = []
        for peer in peers:
            if peer not in speaking:
                continue  # no node of the peer is left; preflight or the summary names it
            if peer not in exports:
                exports[peer] = cluster_export(peer, facts[speaking[peer]])
            imports.append(exports[peer])
        lines = [item["conf_line"] for item in imports]
        certificates = [cert for item in imports for cert in item["certificates"]]
        plan[host] = dict(
            group=group,
            conf_lines=lines,
            certificates=certificates,
            conf_changes=not all(_holds_line(node, line) for line in lines),
            truststore_changes=bool(certificates) and not _holds_certificates(node, certificates),
        )
    return plan


def _missing_tickets(held, users, needed, now=None):
    """The peer clusters (by name) with no ticket valid ``needed`` seconds more for their cross-cluster user."""
    missing = []
    for name, user in users.items():
        valid = [t for t in held if t["cluster"] == name and t["user"] == user
                 and (seconds_left(t, now) or 0) >= needed]
        if not valid:
            missing.append(name)
    return missing


def server_trust_plan(trusts, groups, nodes, min_validity, cldb_suffix="_cldb", now=None):
    """Which CLDB node generates its cluster's ticket, and which peers' tickets each CLDB node needs.

    ``nodes`` maps each host in the play to ``{facts, user, held}``: its ``mapr_security`` facts,
    its cluster's cross-cluster user, and the tickets ``maprlogin print`` showed in its
    maprserverticket (None when it did not read it). A cluster's ticket is for its own cross-cluster
    user (the seed's -localcrossclusteruser), so a peer's ticket counts only when it is for that
    user and valid ``min_validity`` more. Returns per host ``{generate, wanted_from}``:
    ``generate`` is true on the one CLDB node per cluster that makes the ticket, only when some
    peer CLDB node needs it; ``wanted_from`` lists the generating hosts whose tickets it must merge.
    """
    needed = parse_validity(min_validity)
    facts = dict((h, n["facts"]) for h, n in nodes.items() if n.get("facts"))
    generators = {}
    for group in preflight.groups_in(trusts):
        host = next((h for h in groups.get(group + cldb_suffix) or [] if h in facts), None)
        if host is not None:
            generators[group] = host
    plan = dict((host, dict(generate=False, wanted_from=[])) for host in nodes)
    for host, node in nodes.items():
        if node.get("held") is None or not node.get("facts", {}).get("is_cldb"):
            continue
        group = next((g for g in preflight.groups_in(trusts) if host in (groups.get(g) or [])), None)
        peers = [p for p in preflight.peers_of(trusts, group, "server") if p in generators] if group else []
        users = dict((facts[generators[p]]["cluster_name"], nodes[generators[p]]["user"]) for p in peers)
        missing = _missing_tickets(node["held"], users, needed, now)
        for peer in peers:
            if facts[generators[peer]]["cluster_name"] in missing:
                plan[host]["wanted_from"].append(generators[peer])
                plan[generators[peer]]["generate"] = True
    return plan
