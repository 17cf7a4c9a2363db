# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What each node must hold for user trust, worked out once per run on the controller.

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
