# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""The drift report: how far the nodes are from what ``crosscluster_trusts`` asks for.

Pure, like the planner: it takes the trust list, the inventory's groups, what each node reported
(``security_facts`` with a truststore password, and on CLDB nodes the tickets ``maprlogin print``
showed), what each Kerberos cluster's KDC reported (``krb5_principal_info`` with one nonce), and
the time, and returns a report as plain data; ``markdown()`` renders it for people.

Drift is anything a run of the main playbook would change, or anything of a trust that no longer
works (an expired CA): the per-node plan comes from ``planner`` itself, so the report and the
playbook cannot disagree about what a run would do. A node or KDC that could not be read is
"unknown", never silently "ok". Nothing secret goes in: certificates by fingerprint and subject,
tickets by cluster, user and expiry, principals by kvno and whether their keys agree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _kerberos_plan as kerberos_plan,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _planner as planner,
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
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import excerpt
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin import parse_validity

FORMAT = 1
KINDS = ("user", "server", "kerberos")
OK, DRIFT, UNKNOWN = "ok", "drift", "unknown"
REVOKED_OK, NOT_CONFIGURED = "revoked-ok", "not configured"
WARNING = "warning"
# Fields of the facts that may go into the report; everything else (PEM blocks included) stays out.
CERT_FIELDS = ("sha256", "subject", "not_after")
TICKET_FIELDS = ("cluster", "user", "expires")
# What planner.user_trust_plan and server_trust_plan say a run would change; never the PEMs it carries.
USER_PLAN_FIELDS = ("conf_changes", "truststore_changes", "conf_remove", "certificates_remove")
SERVER_PLAN_FIELDS = ("wanted_from", "remove")


def _now(now):
    if now is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if isinstance(now, str):
        now = datetime.datetime.fromisoformat(now)
    return now if now.tzinfo else now.replace(tzinfo=datetime.timezone.utc)


def _check_days(expiry_days):
    if isinstance(expiry_days, bool) or not isinstance(expiry_days, int) or expiry_days < 0:
        raise CrossclusterError("report_expiry_days is %s, not a whole number of days" % excerpt(expiry_days),
                                fix="set it to 0 or more (30 warns a month ahead)")


def _short(sha256):
    return (sha256 or "")[:12]


def _cert(cert):
    return dict((k, cert.get(k)) for k in CERT_FIELDS)


class _Findings:
    """Every finding, and the worst state per (host, kind, group, peer) for the cells and the nodes."""

    def __init__(self):
        self.items = []
        # Indexes, so a fleet's thousands of findings are never scanned once per host or per cell.
        self._seen = set()
        self.by_host = {}
        self.by_cell = {}

    def add(self, severity, kind, message, group=None, peer=None, host=None):
        key = (severity, kind, group, peer, host, message)
        if key in self._seen:
            return
        self._seen.add(key)
        # A literal: a fleet's report makes hundreds of thousands of these, and dict() is slower to call.
        item = {"severity": severity, "kind": kind, "group": group, "peer": peer, "host": host, "message": message}
        self.items.append(item)
        if host is None:
            self.by_cell.setdefault((kind, group, peer), []).append(item)
        else:
            self.by_host.setdefault(host, []).append(item)

    def replay(self, made, host):
        """Adds what a ``_Recorder`` took down while one node's detail was worked out, for ``host``."""
        for severity, kind, message, group, peer, of_node in made:
            self.add(severity, kind, message, group, peer, host if of_node else None)

    def hosts(self, severity):
        return sorted(set(f["host"] for f in self.items if f["severity"] == severity and f["host"]))

    def count(self, severity):
        return sum(1 for f in self.items if f["severity"] == severity)


class _Recorder:
    """Takes down the findings of one node's detail (``_Reading.per_content``) instead of adding them, so
    they can be added for every node the detail is shared with: whether each was of the node or not."""

    def __init__(self):
        self.made = []

    def add(self, severity, kind, message, group=None, peer=None, host=None):
        self.made.append((severity, kind, message, group, peer, host is not None))


class _Reading:
    """What the report reads: the World (module_utils/_world.py) of the nodes that reported their
    facts, plus what only the report needs (why a node is unknown, its tickets, the KDCs, the time)."""

    def __init__(self, trusts, groups, nodes, kerberos, now, expiry_days, validity, cldb_suffix, inventory=None):
        facts = dict((h, n["facts"]) for h, n in nodes.items() if n.get("facts"))
        self.model = world_model.World(trusts, groups, [h for h in nodes if h in facts], facts, inventory, cldb_suffix)
        self.trusts, self.groups, self.facts = trusts, groups, self.model.facts
        self.nodes = nodes
        self.kerberos = kerberos or {}
        self.now, self.expiry_days = now, expiry_days
        parse_validity(validity)  # a bad value is named before anything else is worked out
        self.min_validity = validity
        self.scope = self.model.scope()
        self._certs = {}
        self._held = {}
        self._store_why = {}
        self._shared = {}
        self.cldb_hosts = {}

    def cert(self, cert):
        """What the report says of a certificate (``CERT_FIELDS``), worked out once per certificate, not
        once per node that holds it."""
        key = cert["sha256"]
        if key not in self._certs:
            self._certs[key] = _cert(cert)
        return self._certs[key]

    def store_why(self, host):
        """Why the node's truststores cannot be judged (``_store_entries``), or None: once per node, not
        once per peer."""
        if host not in self._store_why:
            self._store_why[host] = _store_entries(self.facts[host])[1]
        return self._store_why[host]

    def per_content(self, findings, label, host, group, peer, plan, work):
        """``work(findings)``: one node's detail of the direction ``group`` to ``peer``, worked out once per
        distinct input and shared, read only, by the nodes with the same: its plan's reasons (the planner
        shares them between nodes that hold the same) and its stores' state. The findings it made are
        added for each node, so they stay per node; only the work is not done per node and peer."""
        if "reasons" not in plan:
            return work(findings)
        # The reasons live as long as the report's plan, so their id stands for them while this does.
        key = (label, group, peer, id(plan["reasons"]), self.store_why(host))
        done = self._shared.get(key)
        if done is None:
            recorder = _Recorder()
            done = self._shared[key] = (work(recorder), recorder.made)
        findings.replay(done[1], host)
        return done[0]

    def node_error(self, host):
        """Why a node in scope has no facts, or None when it has them."""
        if host in self.facts:
            return None
        node = self.nodes.get(host)
        if node is None:
            return "not in the play (left out with --limit or crosscluster_hosts, or failed before the report)"
        return node.get("error") or "its security facts could not be gathered"

    def realm(self, group):
        return (self.kerberos.get(group) or {}).get("realm")


def _kind_state(trusts, group, peer, kind):
    """present, absent or None: what the list asks of ``kind`` between ``group`` and ``peer``."""
    if kind == "kerberos":
        # kerberos_trust pairs two Kerberos clusters in any kind of trust between them.
        states = [_kind_state(trusts, group, peer, k) for k in ("user", "server")]
        return "present" if "present" in states else "absent" if "absent" in states else None
    if peer in trust_list.peers_of(trusts, group, kind):
        return "present"
    if peer in trust_list.peers_of(trusts, group, kind, "absent"):
        return "absent"
    return None


# ------------------------------------------------------------------------------------------- user


def _store_entries(facts):
    """(entries per existing store name, why the stores cannot be judged) of a node's truststores."""
    stores = facts.get("truststores") or {}
    if not stores:
        return None, "its truststores were not read (no truststore password)"
    found = {}
    names = planner.truststore_names(facts)  # a FIPS node's store of record is its BCFKS one
    for name in names:
        store = stores.get(name) or {}
        if store.get("error"):
            return None, "%s could not be read: %s" % (name, store["error"])
        if store.get("exists"):
            if store.get("entries") is not None:  # None: a PKCS12 store read without its password
                found[name] = store["entries"]
        elif name == names[0]:
            found[name] = []  # the store of record must exist; its siblings only when they do
    return found, None


def _stores_unknown(world, findings, detail, group, peer, host):
    """Whether the node's stores cannot be judged, with the direction then marked unknown and why named."""
    why = world.store_why(host)
    if why is not None:
        findings.add(UNKNOWN, "user", why, group, peer, host)
        detail.update(status=UNKNOWN, error=why)
    return why is not None


def _reasons(plan, peer):
    """The plan's reasons for one node (its ``reasons``) that concern ``peer``: indexed by peer once per
    node and plan, since a scan of the node's reasons for each peer would cost O(nodes x peers^2)."""
    if not plan:
        return []
    index = plan.get("_by_peer")
    if index is None:
        index = plan["_by_peer"] = {}
        for reason in plan.get("reasons") or ():
            index.setdefault(reason["peer"], []).append(reason)
    return index.get(peer, [])


def _user_present(world, findings, host, group, peer, plan):
    """What the node holds of present peer ``peer``, as the plan's reasons say (``plan``: the node's)."""
    export, why = world.model.export_or_why(peer)
    if export is None:
        # The peer's doing, not this node's: named once per direction, without a host.
        findings.add(UNKNOWN, "user", "%s's line and CA are unknown: %s" % (peer, why), group, peer)
        return dict(status=UNKNOWN, error=why)
    if plan is None:
        return dict(status=UNKNOWN, error="what user trust would change is unknown")
    return world.per_content(findings, "present", host, group, peer, plan, lambda made: _user_present_detail(
        world, made, host, group, peer, plan, export))


def _user_present_detail(world, findings, host, group, peer, plan, export):
    reasons = _reasons(plan, peer)
    detail = dict(status=OK, conf="ok", certificates=[], stale=[])
    for reason in reasons:
        if reason["item"] == "line":
            detail["conf"] = reason["state"]
            if reason["state"] == "differs":
                detail.update(held_line=reason["held_line"], peer_line=reason["peer_line"])
            findings.add(DRIFT, "user", reason["message"], group, peer, host)
    if _stores_unknown(world, findings, detail, group, peer, host):
        return detail
    chain = world.model.ca_info(peer)
    missing = dict((r["sha256"], r) for r in reasons if r["item"] == "certificate" and r["state"] == "missing")
    for cert in export["certificates"]:
        info = dict(world.cert(chain[cert["sha256"]]))
        info["missing_from"] = list(missing[cert["sha256"]]["stores"]) if cert["sha256"] in missing else []
        detail["certificates"].append(info)
        if cert["sha256"] in missing:
            findings.add(DRIFT, "user", missing[cert["sha256"]]["message"], group, peer, host)
    for reason in reasons:
        if reason["item"] == "certificate" and reason["state"] == "stale":
            detail["stale"].append(dict((k, reason[k]) for k in ("alias", "sha256", "subject", "stores")))
            findings.add(DRIFT, "user", reason["message"], group, peer, host)
    if detail["conf"] != OK or detail["stale"] or missing:
        detail["status"] = DRIFT
    return detail


def _user_absent(world, findings, host, group, peer, plan):
    """What the node still holds of revoked peer ``peer``, as the plan's reasons say."""
    if world.model.name(peer) is None:
        why = "none of %s's nodes reported its facts, so its name and CA are unknown" % peer
        findings.add(UNKNOWN, "user", why, group, peer)
        return dict(status=UNKNOWN, error=why)
    if plan is None:
        return dict(status=UNKNOWN, error="what user trust would change is unknown")
    return world.per_content(findings, "absent", host, group, peer, plan, lambda made: _user_absent_detail(
        world, made, host, group, peer, plan))


def _user_absent_detail(world, findings, host, group, peer, plan):
    reasons = _reasons(plan, peer)
    line = [r for r in reasons if r["item"] == "line"]
    detail = dict(status=OK, conf="held" if line else "absent", held=[], kept=[])
    for reason in line:
        findings.add(DRIFT, "user", reason["message"], group, peer, host)
    if _stores_unknown(world, findings, detail, group, peer, host):
        return detail
    for reason in reasons:
        if reason["item"] != "certificate":
            continue
        info = dict((k, reason[k]) for k in ("alias", "sha256", "subject"))
        if reason["state"] == "revoked":
            detail["held"].append(info)
            findings.add(DRIFT, "user", reason["message"], group, peer, host)
        else:
            # Not the collection's to remove (added by hand), but worth a look after a revoke.
            detail["kept"].append(info)
            findings.add(WARNING, "user", reason["message"], group, peer, host)
    if line or detail["held"]:
        detail["status"] = DRIFT
    return detail


# ------------------------------------------------------------------------------------------- server


def _server_detail(world, findings, host, group, peer, state, plan):
    """The node's tickets for ``peer``, as the plan's reasons say (``plan``: the node's)."""
    name = world.model.name(peer)
    node = world.nodes.get(host) or {}
    if name is None:
        why = "none of %s's nodes reported its facts, so its cluster name is unknown" % peer
        findings.add(UNKNOWN, "server", why, group, peer)
        return dict(status=UNKNOWN, error=why)
    if node.get("tickets") is None:
        why = "its tickets could not be read: %s" % (node.get("tickets_error") or "maprlogin print did not run")
        findings.add(UNKNOWN, "server", why, group, peer, host)
        return dict(status=UNKNOWN, error=why)
    held = [dict((k, t.get(k)) for k in TICKET_FIELDS) for t in node["tickets"] if t.get("cluster") == name]
    reasons = _reasons(plan, peer)
    for reason in reasons:
        findings.add(DRIFT, "server", reason["message"], group, peer, host)
    if state == "absent":
        return dict(status=DRIFT if reasons else OK, tickets=held)
    speaker = world.model.cldb_speaker(peer)
    if speaker is None or speaker not in world.facts:
        why = "none of %s's CLDB nodes reported its facts, so the ticket it hands over is unknown" % peer
        findings.add(UNKNOWN, "server", why, group, peer)
        return dict(status=UNKNOWN, error=why)
    user = (world.nodes.get(speaker) or {}).get("user")
    ticket = reasons[0]["state"] if reasons else OK
    return dict(status=OK if ticket == OK else DRIFT, ticket=ticket, user=user, tickets=held)


def _cldb_hosts(world, group):
    """The CLDB nodes of ``group``, by the World's rule (``World.is_cldb``): once per group, not per peer."""
    if group not in world.cldb_hosts:
        world.cldb_hosts[group] = [h for h in world.groups.get(group) or [] if world.model.is_cldb(h)]
    return world.cldb_hosts[group]


# ------------------------------------------------------------------------------------------- Kerberos


def _kerberos_detail(world, findings, group, peer, state):
    """krbtgt/<peer realm>@<group realm> in both KDCs: what lets ``group``'s users reach ``peer``'s services."""
    realms = (world.realm(group), world.realm(peer))
    principal = "krbtgt/%s@%s" % (realms[1], realms[0])
    reports = []
    for owner in (group, peer):
        info = world.kerberos.get(owner) or {}
        if info.get("principals") is None:
            why = "%s's KDC could not be read: %s" % (owner, info.get("error") or "krb5_principal_info did not run")
            findings.add(UNKNOWN, "kerberos", why, group, peer)
            return dict(status=UNKNOWN, principal=principal, error=why)
        reports.append(info["principals"].get(principal) or {})
    kvno = dict((realm, r.get("kvno") if r.get("exists") else None) for realm, r in zip(realms, reports))
    detail = dict(status=OK, principal=principal, kvno=kvno)
    if state == "absent":
        if any(r.get("exists") for r in reports):
            detail["status"] = DRIFT
            findings.add(DRIFT, "kerberos", "%s still exists (%s), though the trust is revoked"
                         % (principal, ", ".join(r for r in realms if kvno[r] is not None)), group, peer)
        return detail
    if not kerberos_plan.same_keys(reports[0], reports[1]):
        detail["status"] = DRIFT
        lacking = [r for r in realms if kvno[r] is None]
        findings.add(DRIFT, "kerberos", "%s is missing in the KDC of %s" % (principal, ", ".join(lacking)) if lacking
                     else "%s differs between the two KDCs (kvno, enctypes or keys)" % principal, group, peer)
    return detail


def principals_to_read(trusts, group, realms):
    """The cross-realm principals ``group``'s KDC is asked about: those it shares with every peer that has
    a realm, in a trust of any kind, kept or revoked (a revoked one must be seen to be gone).

    ``realms`` maps cluster groups to their ``kerberos_realm`` (groups without one are left out).
    """
    if not realms.get(group):
        return []
    peers = trust_list.peers_of(trusts, group, "any", "any")
    return kerberos_plan.krbtgt_principals([realms[p] for p in peers if realms.get(p)], realms[group])


# ------------------------------------------------------------------------------------------- the report


def _plan(world, findings):
    """What a run of the main playbook would change on each node, and why: the planner's plans with their
    reasons, which the checks of each direction render."""
    changes = dict((h, dict(user=None, server=None)) for h in world.scope)
    # Not strict: the directions of a cluster whose export is refused are named unknown, the others judged.
    user = planner.user_trust_plan(world.model, world.scope, reasons=True, strict=False)
    _exports, refused = planner.user_exports(world.model)
    if refused:
        findings.add(UNKNOWN, "user", "what user trust would change is unknown: %s" % planner.refusal(refused))
    planner_nodes = dict((h, dict(user=(world.nodes.get(h) or {}).get("user"),
                                  held=(world.nodes.get(h) or {}).get("tickets")))
                         for h in world.scope if h in world.facts)
    server = planner.server_trust_plan(world.model, planner_nodes, world.min_validity, now=world.now, reasons=True)
    # Per group, not per node: whether a peer's export is refused. And what a node would change is shared,
    # read only, by the nodes whose plans say the same (most of a cluster's): one entry per distinct plan.
    stopped = dict((g, any(p in refused for p in world.model.peers(g, "user"))) for g in world.model.clusters)
    shared = {}
    for host in world.scope:
        # A node with a refused peer: the run would stop before any write, so what it would change is unknown.
        if host in user and not stopped.get(world.model.group_of(host), False):
            plan = user[host]
            # The planner shares a plan's lists between the nodes whose plans are the same; they live as
            # long as the plan does, so their ids stand for them here.
            key = ("user",) + tuple(id(plan[k]) if isinstance(plan[k], list) else plan[k] for k in USER_PLAN_FIELDS)
            if key not in shared:
                shared[key] = dict((k, plan[k]) for k in USER_PLAN_FIELDS)
            changes[host]["user"] = shared[key]
        if host in server:
            key = ("server",) + tuple(tuple(server[host][k]) for k in SERVER_PLAN_FIELDS)
            if key not in shared:
                item = shared[key] = dict((k, list(server[host][k])) for k in SERVER_PLAN_FIELDS)
                item["wanted_from_clusters"] = sorted(set(world.facts[h]["cluster_name"]
                                                          for h in item["wanted_from"]))
            changes[host]["server"] = shared[key]
    return changes, user, server


def _clusters(world, findings):
    clusters = []
    for group in trust_list.groups_in(world.trusts):
        export, _why = world.model.export_or_why(group)
        certificates = []
        if export:
            chain = dict((c["sha256"], c) for c in world.facts[world.model.speaker(group)]["own_ca"]["certificates"])
            certificates = [_cert(chain[c["sha256"]]) for c in export["certificates"]]
        trusted_by = list(trust_list.peers_of(world.trusts, group, "user"))
        for cert in certificates if trusted_by else []:
            end = datetime.datetime.fromisoformat(cert["not_after"])
            state, days = world_model.ca_validity(chain[cert["sha256"]], world.now, world.expiry_days)
            if state == world_model.EXPIRED:
                for peer in trusted_by:
                    findings.add(DRIFT, "user", "%s's CA %s (sha256 %s) expired on %s" % (
                        group, cert["subject"], _short(cert["sha256"]), end.date()), peer, group)
            elif state == world_model.NOT_YET_VALID:
                for peer in trusted_by:
                    findings.add(DRIFT, "user", "%s's CA %s (sha256 %s) is not valid before %s" % (
                        group, cert["subject"], _short(cert["sha256"]), chain[cert["sha256"]]["not_before"]),
                        peer, group)
            elif state == world_model.EXPIRING:
                findings.add(WARNING, "user", "%s's CA %s (sha256 %s) expires in %d days (%s); renew it and its "
                             "keystores, then run the main playbook" % (group, cert["subject"],
                                                                        _short(cert["sha256"]), days, end.date()),
                             group)
        nodes = list(world.groups.get(group) or [])
        clusters.append(dict(group=group, name=world.model.name(group), realm=world.realm(group),
                             nodes=nodes, ca=certificates, store_formats=summary.store_formats(nodes, world.facts)))
    return clusters


def _cell(details, state, extra_findings):
    """A matrix cell from the state the list asks for and what the nodes showed."""
    if state is None:
        return NOT_CONFIGURED
    statuses = [d["status"] for d in details] + extra_findings
    if DRIFT in statuses:
        return DRIFT
    if UNKNOWN in statuses:
        return UNKNOWN
    return OK if state == "present" else REVOKED_OK


def build(trusts, groups, nodes, kerberos=None, now=None, expiry_days=30, min_validity="7d", cldb_suffix="_cldb",
          inventory=None):
    """The report, as plain data.

    ``nodes`` maps each host the play reached to ``{facts, error, user, tickets, tickets_error}``: its
    ``mapr_security`` facts (None with ``error`` saying why), its cluster's cross-cluster user, and on
    CLDB nodes the tickets ``maprlogin print`` showed in maprserverticket (None when not read, with
    ``tickets_error``). A host of a listed group missing from ``nodes`` was not in the play.
    ``kerberos`` maps each cluster group with a realm to ``{realm, principals, error}``: what its KDC
    reported (``krb5_principal_info`` with one nonce for all KDCs), or None with ``error``.
    ``inventory`` is what each cluster's export is checked against (``World``).
    """
    problems = trust_list.shape_problems(trusts)
    if problems:
        raise CrossclusterError(problems[0])
    _check_days(expiry_days)
    world = _Reading(trusts, groups, nodes, kerberos, _now(now), expiry_days, min_validity, cldb_suffix, inventory)
    findings = _Findings()
    group_of = trust_list.group_index(trusts, groups)
    for host in world.scope:
        why = world.node_error(host)
        if why:
            findings.add(UNKNOWN, "node", why, group_of.get(host), host=host)
    changes, user_plan, server_plan = _plan(world, findings)
    clusters = _clusters(world, findings)
    order = trust_list.groups_in(trusts)
    directions = {}
    for group in order:
        for peer in order:
            if peer != group:
                directions[(group, peer)] = _direction(world, findings, group, peer, user_plan, server_plan)
    matrix = {}
    for (group, peer), direction in directions.items():
        cells = {}
        for kind in KINDS:
            section = direction[kind]
            extra = [f["severity"] for f in findings.by_cell.get((kind, group, peer), ())]
            cells[kind] = _cell(list(section["nodes"].values()) if kind != "kerberos" else
                                ([section["detail"]] if section.get("detail") else []), section["state"], extra)
            section["cell"] = cells[kind]
        matrix.setdefault(group, {})[peer] = cells
    report_nodes = {}
    for host in world.scope:
        group = group_of.get(host)
        mine = [f["severity"] for f in findings.by_host.get(host, ())]
        status = DRIFT if DRIFT in mine else UNKNOWN if UNKNOWN in mine else OK
        report_nodes[host] = dict(group=group, cluster=world.model.name(group), status=status,
                                  error=world.node_error(host), would_change=changes[host])
    drifted, unknown = findings.hosts(DRIFT), findings.hosts(UNKNOWN)
    status = DRIFT if findings.count(DRIFT) else UNKNOWN if findings.count(UNKNOWN) else "clean"
    pairs = []
    for trust in trust_list.pairs(trusts):
        first, second = trust["clusters"]
        pairs.append(dict(clusters=[first, second], type=trust["type"], state=trust["state"],
                          directions=[dict(directions[(a, b)], **{"from": a, "to": b})
                                      for a, b in ((first, second), (second, first))]))
    return {
        "format": FORMAT,
        "generated": world.now.isoformat(),
        "settings": dict(expiry_days=expiry_days, ticket_min_validity=str(min_validity)),
        "status": status,
        "drift": status == DRIFT,
        "counts": dict(drift=findings.count(DRIFT), unknown=findings.count(UNKNOWN), warning=findings.count(WARNING)),
        "drifted_nodes": drifted,
        "unknown_nodes": unknown,
        "clusters": clusters,
        "matrix": dict(groups=order, cells=matrix),
        "pairs": pairs,
        "nodes": report_nodes,
        "findings": findings.items,
    }


def _direction(world, findings, group, peer, user_plan, server_plan):
    """The user, server and Kerberos sections of one direction: ``group``'s side of its trust of ``peer``."""
    found = {}
    state = _kind_state(world.trusts, group, peer, "user")
    nodes = {}
    for host in (world.groups.get(group) or []) if state else []:
        if host not in world.facts:
            nodes[host] = dict(status=UNKNOWN, error=world.node_error(host))
        elif state == "present":
            nodes[host] = _user_present(world, findings, host, group, peer, user_plan.get(host))
        else:
            nodes[host] = _user_absent(world, findings, host, group, peer, user_plan.get(host))
    found["user"] = dict(state=state, nodes=nodes)
    state = _kind_state(world.trusts, group, peer, "server")
    nodes = {}
    for host in _cldb_hosts(world, group) if state else []:
        if host not in world.facts:
            nodes[host] = dict(status=UNKNOWN, error=world.node_error(host))
        else:
            nodes[host] = _server_detail(world, findings, host, group, peer, state, server_plan.get(host))
    found["server"] = dict(state=state, nodes=nodes)
    state = _kind_state(world.trusts, group, peer, "kerberos") if world.realm(group) and world.realm(peer) else None
    found["kerberos"] = dict(state=state, nodes={},
                             detail=_kerberos_detail(world, findings, group, peer, state) if state else None)
    return found


# ------------------------------------------------------------------------------------------- Markdown


# A fleet's report names the same hosts, groups and messages on thousands of rows: each text is escaped
# once per rendering (``markdown`` empties this when done; the limit bounds any other caller).
_MD_DONE = {}
_MD_LIMIT = 65536


def _md(value):
    """A table cell: one line, no column break, no markup from node data."""
    if isinstance(value, str):  # only texts: True and 1 are equal keys but not equal cells
        done = _MD_DONE.get(value)
        if done is None:
            if len(_MD_DONE) >= _MD_LIMIT:
                _MD_DONE.clear()
            done = _MD_DONE[value] = _escape(value)
        return done
    return _escape(value)


def _escape(value):
    text = " ".join(str(value if value is not None else "").split())
    for char in ("\\", "|", "`", "*", "<", ">", "[", "]"):
        text = text.replace(char, "\\" + char)
    return text or "-"


def _row(*cells):
    return "| " + " | ".join(cells) + " |"


def _certs(certificates):
    return "; ".join("%s `%s`" % (_md(c.get("subject")), _short(c.get("sha256"))) for c in certificates) or "-"


def _user_cell(detail):
    if detail["status"] == UNKNOWN and "conf" not in detail:
        return [_md(detail.get("error")), "", ""]
    conf = detail.get("conf", "")
    certs = detail.get("certificates")
    if certs is not None:
        lacking = ["`%s` missing from %s" % (_short(c["sha256"]), ", ".join(c["missing_from"]))
                   for c in certs if c["missing_from"]]
        held = "; ".join(lacking) or "all present (%s)" % ", ".join("`%s`" % _short(c["sha256"]) for c in certs)
        other = "stale: " + _certs(detail["stale"]) if detail.get("stale") else "-"
    else:
        held = "held: " + _certs(detail["held"]) if detail.get("held") else "none held"
        other = "kept (not ours): " + _certs(detail["kept"]) if detail.get("kept") else "-"
    if detail.get("error"):
        other = _md(detail["error"])
    return [conf, held, other]


def _server_cell(detail):
    if "tickets" not in detail:
        return _md(detail.get("error"))
    tickets = ", ".join("%s until %s" % (_md(t["user"]), _md(t["expires"])) for t in detail["tickets"]) or "none"
    return "%s (%s)" % (detail.get("ticket", "held" if detail["tickets"] else "none held"), tickets)


def _plan_text(change):
    user, server = change.get("user"), change.get("server")
    parts = []
    if user is None:
        parts.append("user trust: unknown")
    else:
        if user["conf_changes"]:
            parts.append("mapr-clusters.conf" + (" (remove %s)" % ", ".join(user["conf_remove"])
                                                 if user["conf_remove"] else ""))
        if user["truststore_changes"]:
            parts.append("truststores" + (" (remove %s)" % ", ".join("`%s`" % _md(c["alias"])
                                                                     for c in user["certificates_remove"])
                                          if user["certificates_remove"] else ""))
    if server and server["wanted_from"]:
        parts.append("maprserverticket (merge from %s)" % ", ".join(server["wanted_from_clusters"]))
    if server and server["remove"]:
        parts.append("maprserverticket (remove %s)" % ", ".join(server["remove"]))
    return "; ".join(parts) or "nothing"


def markdown(report):
    """The report for people: status, trust matrix, findings, nodes, then every pair in detail."""
    try:
        return _markdown(report)
    finally:
        _MD_DONE.clear()


def _markdown(report):
    lines = ["# Cross-cluster drift report", ""]
    counts = report["counts"]
    lines.append("**Status: %s.** Generated %s. Drift on: %s. Unknown: %s. %d finding(s) of drift, %d unknown, "
                 "%d warning(s)." % (report["status"], report["generated"],
                                     ", ".join(report["drifted_nodes"]) or "none",
                                     ", ".join(report["unknown_nodes"]) or "none", counts["drift"], counts["unknown"],
                                     counts["warning"]))
    lines += ["", "Certificates expiring within %d days are warnings; a ticket counts as expiring with less than %s "
              "left (what the main playbook renews)." % (report["settings"]["expiry_days"],
                                                         report["settings"]["ticket_min_validity"]), ""]
    lines += ["## Trust matrix", "",
              "Each cell is *row to column*: user / server / Kerberos. User: the row's nodes hold the column's "
              "conf line and CA chain. Server: the row's CLDB nodes hold the column's crosscluster ticket. "
              "Kerberos: krbtgt/COLUMN-REALM@ROW-REALM agrees in both KDCs.", ""]
    order = report["matrix"]["groups"]
    lines.append(_row("from / to", *[_md(g) for g in order]))
    lines.append(_row(*["---"] * (len(order) + 1)))
    for group in order:
        cells = report["matrix"]["cells"].get(group, {})
        lines.append(_row("**%s**" % _md(group), *[
            "-" if peer == group else " / ".join(cells[peer][k] for k in KINDS) for peer in order]))
    lines += ["", "## Clusters", "",
              _row("group", "cluster", "realm", "nodes", "store formats", "CA chain (subject, sha256, not after)"),
              _row(*["---"] * 6)]
    for cluster in report["clusters"]:
        lines.append(_row(_md(cluster["group"]), _md(cluster["name"]), _md(cluster["realm"]),
                          _md(", ".join(cluster["nodes"])),
                          _md(summary.formats_text(cluster.get("store_formats") or [])) or "unknown",
                          "; ".join("%s `%s` %s" % (_md(c["subject"]), _short(c["sha256"]), _md(c["not_after"]))
                                    for c in cluster["ca"]) or "unknown"))
    lines += ["", "## Findings", ""]
    if report["findings"]:
        lines += [_row("severity", "node", "cluster", "peer", "kind", "finding"), _row(*["---"] * 6)]
        for item in report["findings"]:
            lines.append(_row(item["severity"], _md(item["host"]), _md(item["group"]), _md(item["peer"]),
                              item["kind"], _md(item["message"])))
    else:
        lines.append("None: every node holds what crosscluster_trusts asks for.")
    lines += ["", "## Nodes: what a run of the main playbook would change", "",
              _row("node", "cluster", "status", "would change"), _row(*["---"] * 4)]
    for host, node in sorted(report["nodes"].items()):
        lines.append(_row(_md(host), _md(node["group"]), node["status"],
                          _md(node["error"]) if node["error"] else _plan_text(node["would_change"])))
    lines += ["", "## Pairs"]
    # The report shares one detail between the nodes that hold the same (``per_content``): rendered once.
    user_cells = {}
    for pair in report["pairs"]:
        lines += ["", "### %s and %s (%s, %s)" % (_md(pair["clusters"][0]), _md(pair["clusters"][1]), pair["type"],
                                                  pair["state"]), ""]
        lines += [_row("direction", "node", "user: conf line", "user: certificates", "user: stale or kept",
                       "server: tickets"), _row(*["---"] * 6)]
        for direction in pair["directions"]:
            arrow = "%s to %s" % (_md(direction["from"]), _md(direction["to"]))
            hosts = list(direction["user"]["nodes"]) + [h for h in direction["server"]["nodes"]
                                                        if h not in direction["user"]["nodes"]]
            for host in hosts:
                user = direction["user"]["nodes"].get(host)
                server = direction["server"]["nodes"].get(host)
                if user and id(user) not in user_cells:
                    user_cells[id(user)] = _user_cell(user)
                lines.append(_row(arrow, _md(host), *(user_cells[id(user)] if user else ["-", "-", "-"]),
                                  _server_cell(server) if server else "-"))
            kerberos = direction["kerberos"]
            if kerberos["detail"]:
                detail = kerberos["detail"]
                kvno = ", ".join("%s kvno %s" % (_md(r), v if v is not None else "missing")
                                 for r, v in (detail.get("kvno") or {}).items())
                lines += ["", "Kerberos %s: `%s` %s (%s)" % (arrow, _md(detail["principal"]), detail["status"],
                                                             kvno or _md(detail.get("error")))]
    return "\n".join(lines) + "\n"
