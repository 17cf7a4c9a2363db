# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""The fleet as one run sees it: the one model the planner, the gate, the summary and the report read.

Pure. A ``World`` is built from what the caller hands it, nothing else: ``crosscluster_trusts``,
the inventory's groups, the nodes the run knows (in the play and, where the caller gathered them,
with facts), each node's ``mapr_security`` facts and what the inventory says each cluster is. It
alone answers the questions every decision starts from, each by one rule:

- the clusters and their nodes (``clusters``, ``scope``, ``nodes``, ``group_of``, ``peers``);
- the node that acts for a cluster, its **speaker** (``speaker``), and the one that acts for its
  CLDBs, its **CLDB speaker** (``cldb_speaker``);
- which nodes run a CLDB (``is_cldb``);
- a cluster's name, and what it hands its peers: its own first conf line and its own CA chain
  (``export``), checked against the inventory and the cluster's other nodes first;
- the alias rule (``trust_alias`` and ``alias_cluster``);
- what the inventory says a cluster is (``cluster_inventory``), whether what its nodes report
  agrees with it and with each other (``line_problems``, ``export_problems``), and whether a CA
  is valid (``ca_validity``): the rules the preflight gate and the drift report apply too.

What a node reported is its word only: a cluster's name comes from the inventory before any node,
and an export is refused when the nodes disagree with the inventory or each other.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import string

from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _trust_list as trust_list,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import parse_line
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError

KINDS = ("user", "server")


def short_text(text, limit=300):
    """``text`` on one line, cut at ``limit`` characters: what a node sent, quoted in a message."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def when(value):
    """A time the facts give (ISO 8601) as a datetime."""
    return datetime.datetime.fromisoformat(value)


# What ca_validity says of a CA certificate.
NOT_YET_VALID, EXPIRED, EXPIRING, VALID = "early", "expired", "expiring", "valid"


def ca_validity(cert, now, warn_days):
    """``(state, days left)`` of a CA certificate at ``now``: ``NOT_YET_VALID``, ``EXPIRED``,
    ``EXPIRING`` (within ``warn_days``) or ``VALID``. The one rule of the gate and the drift report."""
    start, end = when(cert["not_before"]), when(cert["not_after"])
    days = (end - now).days
    if now < start:
        return NOT_YET_VALID, days
    if now > end:
        return EXPIRED, days
    if end - now < datetime.timedelta(days=warn_days):
        return EXPIRING, days
    return VALID, days


def trust_alias(cluster_name, sha256, digest_length=12):
    """The alias rule: ties every imported certificate to its cluster, so revoke finds exactly those."""
    return "%s-%s" % (cluster_name.lower(), sha256[:digest_length])


# Every node of a cluster reports the same lines, and the gate, the plans and the report read each one per
# node (and the planner per node and peer): parsed once per text, not once per reader (parse_line was most
# of the gate at 16 x 1,000 nodes). A ClusterEntry is frozen, so one parse is shared safely; a line that
# does not parse is not kept and raises each time, with the same message.
_PARSED = {}
_PARSED_LIMIT = 4096


def parsed_line(text):
    """``parse_line(text)``, kept per text (see ``_PARSED``)."""
    if not isinstance(text, str):
        return parse_line(text)
    entry = _PARSED.get(text)
    if entry is None:
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        entry = _PARSED[text] = parse_line(text)
    return entry


def line_problems(label, facts, cluster_name=None):
    """``(entry, problems)`` of the first conf line a node reported: parsed here, on the controller.

    The node's own parse (``cluster_name``, ``secure``) is never taken: what a peer receives is
    rebuilt from this parse, so this is what is checked. ``entry`` is None when the line does not
    parse; with ``cluster_name`` (the inventory's ``mapr_cluster_name``) it must name that cluster.
    """
    try:
        entry = parsed_line(facts.get("conf_line") or "")
    except CrossclusterError as err:
        return None, ["%s: the first line of mapr-clusters.conf it reported does not parse: %s"
                      % (label, short_text(err, 400))]
    problems = []
    if facts.get("foreign_facts"):
        # Dropped by the security_facts action; a node that tries is not to be believed on anything.
        problems.append("%s: the node returned variables besides mapr_security (%s), which were dropped: a node "
                        "must not set variables. Fix: look for an altered Python interpreter "
                        "(ansible_python_interpreter) or module on the node, then run again"
                        % (label, short_text(", ".join(facts["foreign_facts"]), 200)))
    if not entry.secure:
        problems.append("%s: the first line of mapr-clusters.conf lacks secure=true; cross-cluster security "
                        "needs secure clusters. Fix: secure the cluster first (configure.sh -secure)" % label)
    if cluster_name and entry.name != cluster_name:
        problems.append("%s: the first line of mapr-clusters.conf names %s, but mapr_cluster_name is %s. Fix: "
                        "correct mapr_cluster_name, or the node's group" % (label, entry.name, cluster_name))
    return entry, problems


PIN_VAR = "mapr_ca_sha256"


def cluster_inventory(group, per_host):
    """What the inventory says ``group`` is, to check its export against: ``{name, pins, differ, bad_pins}``.

    ``per_host`` maps each host of the group to its inventory values ``{mapr_cluster_name,
    mapr_ca_sha256}`` (None when unset). ``name`` is the group's ``mapr_cluster_name`` (None when
    unset or when its hosts differ); ``pins`` the set of lower-case hex SHA-256 fingerprints of
    ``mapr_ca_sha256`` (a string or a list; case, colons and spaces ignored), or None when the
    cluster pins no CA or a pin is not a fingerprint. ``differ`` maps each variable whose hosts
    differ to its message; ``bad_pins`` lists the messages of pins that are no fingerprint.
    """
    found, differ = {}, {}
    for var in ("mapr_cluster_name", PIN_VAR):
        values = {}
        for host, item in sorted(per_host.items()):
            value = (item or {}).get(var)
            if value not in (None, "", []):
                values.setdefault(repr(value), (value, []))[1].append(host)
        if len(values) > 1:
            differ[var] = ("%s: %s differs between its hosts (%s). Fix: set it once, in group_vars/%s"
                           % (group, var, "; ".join("%s on %s" % (short_text(v, 80), ", ".join(h))
                                                    for v, h in values.values()), group))
        found[var] = next(iter(values.values()))[0] if len(values) == 1 else None
    pins, bad_pins = None, []
    raw = found[PIN_VAR]
    if raw is not None:
        pins = set()
        for item in [raw] if not isinstance(raw, (list, tuple)) else raw:
            digest = "".join(item.split()).replace(":", "").lower() if isinstance(item, str) else ""
            if len(digest) != 64 or digest.strip(string.hexdigits):
                bad_pins.append("%s: %s holds %s, which is no SHA-256 fingerprint. Fix: give 64 hex digits (colons "
                                "allowed), or a list of them: openssl x509 -noout -fingerprint -sha256 -in <CA "
                                "certificate>" % (group, PIN_VAR, short_text(repr(item), 80)))
            else:
                pins.add(digest)
        if bad_pins:
            pins = None  # a wrong pin stops the run by itself; no chain is measured against it
    return dict(name=found["mapr_cluster_name"], pins=pins, differ=differ, bad_pins=bad_pins)


def export_problems(group, reports, inventory, nodes_checked=False):
    """``(problems, warnings)`` of what ``group`` hands to its peers: its first conf line and CA chain.

    ``reports`` lists ``(host, mapr_security facts)`` of every node of the group that reported
    facts, the one that speaks first; ``inventory`` is ``cluster_inventory``'s input for the group.
    What a node sends is its word only: the line must name the cluster's ``mapr_cluster_name`` and
    say ``secure=true``, every node must report the same line and the same chain, and a chain must
    be among the fingerprints ``mapr_ca_sha256`` pins. A cluster with one node reporting is named in
    a warning. ``nodes_checked``: the per-node line checks are made elsewhere (``node_problems``,
    preflight, against each host's own mapr_cluster_name), the chains compared
    (``cluster_problems``) and a missing mapr_cluster_name named (``preflight_required_vars``).
    """
    known = cluster_inventory(group, inventory or {})
    name, pins = known["name"], known["pins"]
    problems = list(known["bad_pins"])
    if PIN_VAR in known["differ"]:
        problems.append(known["differ"][PIN_VAR])
    if not nodes_checked:
        if "mapr_cluster_name" in known["differ"]:
            problems.append(known["differ"]["mapr_cluster_name"])
        elif name is None:
            problems.append("%s: variable mapr_cluster_name is not defined; the line its nodes export is checked "
                            "against it. Fix: set it in group_vars/%s to the first field of the first line of the "
                            "cluster's mapr-clusters.conf" % (group, group))
    warnings = []
    lines, chains = {}, {}
    for host, facts in reports:
        entry, wrong = line_problems("%s (%s)" % (host, group), facts, name)
        if not nodes_checked:
            problems += wrong
        if entry is not None and not wrong:
            key = next((k for k in lines if lines[k][0].same_as(entry)), entry.to_line())
            lines.setdefault(key, (entry, []))[1].append(host)
        chain = [c["sha256"] for c in (facts.get("own_ca") or {}).get("certificates") or []]
        if chain:
            chains.setdefault(tuple(chain), []).append(host)
        unpinned = [sha for sha in chain if pins is not None and sha not in pins]
        if unpinned:
            problems.append("%s (%s): its CA chain is not the one %s pins (sha256 %s not pinned). Fix: if the "
                            "cluster's CA was renewed, add the new fingerprint to %s; otherwise this node's "
                            "ssl_keystore.pem is not the cluster's: restore it from the first CLDB node"
                            % (host, group, PIN_VAR, ", ".join(sha[:16] for sha in unpinned), PIN_VAR))
    # Lines of different clusters are named by cluster_problems (or above, against mapr_cluster_name).
    if len(lines) > 1 and len(set(entry.name for entry, _hosts in lines.values())) == 1:
        problems.append("%s: its nodes report different mapr-clusters.conf lines for the cluster (%s). Fix: give "
                        "every node the same first line (the one on the first CLDB node)"
                        % (group, "; ".join("%s on %s" % (short_text(k, 120), ", ".join(hosts))
                                            for k, (_e, hosts) in lines.items())))
    if len(chains) > 1 and not nodes_checked:
        problems.append(chains_differ(group, chains))
    if len(reports) == 1:
        if pins:
            warnings.append("%s: its mapr-clusters.conf line rests on one node's word (%s): no other node of the "
                            "cluster reported its facts to compare it with" % (group, reports[0][0]))
        else:
            warnings.append("%s: its mapr-clusters.conf line and CA chain rest on one node's word (%s): no other "
                            "node of the cluster reported its facts to compare them with; set mapr_ca_sha256 to "
                            "pin the CA" % (group, reports[0][0]))
    return problems, warnings


def chains_differ(group, chains):
    return ("%s: its nodes' server certificates are issued by different CAs (%s). Fix: give every node the "
            "cluster's keystore (ssl_keystore*) from its first CLDB node"
            % (group, "; ".join(", ".join(hosts) for hosts in chains.values())))


def union(first, second):
    """``first``, then what ``second`` adds, in order."""
    return list(first) + [item for item in second if item not in first]


def alias_cluster(alias, sha256):
    """The cluster name (lower case) an alias ties ``sha256`` to under the alias rule, or None when the
    alias does not follow it (an administrator's own alias, or another certificate's)."""
    head, _dash, digest = (alias or "").rpartition("-")
    if head and digest and (sha256 or "").startswith(digest) and alias == trust_alias(head, sha256):
        return head
    return None


class World:
    """What one run knows of every cluster group in ``crosscluster_trusts`` and of its nodes.

    ``nodes`` are the hosts the run knows: in the play and, for the callers that gathered facts,
    among those that reported them. ``facts`` maps hosts to their ``mapr_security`` facts (a node
    without an entry reported none). ``inventory`` maps each group to ``{host: {mapr_cluster_name,
    mapr_ca_sha256}}``, the inventory's word that each export is checked against. A malformed trust
    list is an error: its first problem is raised.
    """

    def __init__(self, trusts, groups, nodes, facts=None, inventory=None, cldb_suffix="_cldb"):
        problems = trust_list.shape_problems(trusts)
        if problems:
            raise CrossclusterError(problems[0])
        self.trusts, self.groups, self.cldb_suffix = trusts, groups, cldb_suffix
        self.known = set(nodes)
        self.facts = dict(facts or {})
        self.inventory = inventory or {}
        self.clusters = trust_list.groups_in(trusts)
        self._group_of = trust_list.group_index(trusts, groups)
        # Asked per node and peer: each answer is worked out once per group (a scan of a group's
        # nodes per question made a plan O(nodes^2)).
        self._nodes, self._cldb_speakers, self._names, self._exports, self._all_reported = {}, {}, {}, {}, {}
        self._chains, self._ca_info = {}, {}

    # -------------------------------------------------------------------------------- who is who

    def group_of(self, host):
        """The host's cluster group: the first group named in the list that holds it, or None."""
        return self._group_of.get(host)

    def scope(self):
        """Every host of every cluster group, known or not, in list and inventory order, each once."""
        return list(self._group_of)

    def peers(self, group, kind, state="present"):
        """The groups ``group`` trusts for ``kind`` (user, server or any) with ``state`` (present, absent, any)."""
        return trust_list.peers_of(self.trusts, group, kind, state) if group else []

    def nodes(self, group):
        """The known nodes of ``group``, in inventory order."""
        if group not in self._nodes:
            self._nodes[group] = [h for h in self.groups.get(group) or [] if h in self.known]
        return self._nodes[group]

    def speaker(self, group):
        """The node that acts for ``group``: its first known node in inventory order, or None.

        Every role, the summary and the report take the same one, so a cluster's line and CA come
        from the node its logins are checked from, and a cluster's KDC is read once."""
        nodes = self.nodes(group)
        return nodes[0] if nodes else None

    def is_cldb(self, host):
        """Whether ``host`` runs a CLDB: what its facts say; a node without facts counts when it is in
        its cluster's CLDB group. So a CLDB node left out of the group still gets its tickets, and a
        node listed there by mistake generates none."""
        if host in self.facts:
            return bool(self.facts[host].get("is_cldb"))
        group = self.group_of(host)
        return group is not None and host in (self.groups.get(group + self.cldb_suffix) or [])

    def cldb_speaker(self, group):
        """The node that acts for ``group``'s CLDBs (generates its ticket, makes its server calls): the
        first known CLDB node of its CLDB group, else of the cluster group, or None."""
        if group not in self._cldb_speakers:
            listed = [h for h in self.groups.get(group + self.cldb_suffix) or [] if h in self._group_of]
            self._cldb_speakers[group] = next(
                (h for h in listed + self.nodes(group) if h in self.known and self.is_cldb(h)), None)
        return self._cldb_speakers[group]

    # ---------------------------------------------------------------------- what a cluster hands over

    def name(self, group):
        """The cluster's name: the inventory's mapr_cluster_name, else what its speaker says, or None. A
        revoke removes the peer's line by this name, so a node's word alone must not pick another's."""
        if group not in self._names:
            host = self.speaker(group)
            name = cluster_inventory(group, self.inventory.get(group) or {})["name"]
            if name is None and host in self.facts:
                name = self.facts[host].get("cluster_name")
            self._names[group] = name if host else None
        return self._names[group]

    def export_or_why(self, group):
        """``(export, None)`` or ``(None, why)``: what ``group`` hands its peers (see ``export``)."""
        if group not in self._exports:
            reports = [(h, self.facts[h]) for h in self.nodes(group) if h in self.facts]
            if not reports:
                self._exports[group] = (None, "none of its nodes reported its facts")
            elif reports[0][0] != self.speaker(group):
                self._exports[group] = (None, "%s, the node that acts for it, reported no facts" % self.speaker(group))
            else:
                try:
                    self._exports[group] = (_export(group, reports, self.inventory.get(group)), None)
                except CrossclusterError as err:
                    self._exports[group] = (None, str(err))
        return self._exports[group]

    def export(self, group):
        """What ``group`` hands its peers: ``{group, cluster_name, conf_line, certificates}``, its first
        conf line and its own CA chain under the alias rule. Raises CrossclusterError naming why not."""
        export, why = self.export_or_why(group)
        if export is None:
            raise CrossclusterError("%s: %s" % (group, why) if not why.startswith(group + ":") else why)
        return export

    def reported_chain(self, group):
        """The sha256 set of the CA chain ``group``'s speaker reported (unchecked: for what must go)."""
        if group not in self._chains:
            self._chains[group] = frozenset(self.ca_info(group))
        return self._chains[group]

    def ca_info(self, group):
        """``{sha256: certificate}`` of the chain ``group``'s speaker reported, with what the facts say of
        each (``subject``, ``not_after``): to name a certificate, never to decide on it."""
        if group not in self._ca_info:
            facts = self.facts.get(self.speaker(group)) or {}
            self._ca_info[group] = dict((c["sha256"], c) for c in (facts.get("own_ca") or {}).get("certificates") or [])
        return self._ca_info[group]

    def all_reported(self, group):
        """Whether every node of ``group`` reported its facts: only then is a CA it no longer shows stale."""
        if group not in self._all_reported:
            self._all_reported[group] = all(h in self.facts for h in self.groups.get(group) or [])
        return self._all_reported[group]

    def cldb_targets(self, group):
        """What to probe to reach ``group``: every address of every CLDB on its HTTPS port, from its
        speaker's own first conf line, the line its peers' clients are given, as parsed here.

        Empty when its speaker reported no facts, or a line that ``line_problems`` refuses (it does not
        parse, is not secure, names another cluster than the inventory's, or came with variables the
        node tried to set): a node's word does not send its peers' nodes to an address before the
        preflight gate, which names that node's problem, has checked it.
        """
        facts = self.facts.get(self.speaker(group))
        if not facts:
            return []
        entry, problems = line_problems(group, facts, self.name(group))
        if entry is None or problems:
            return []
        targets = []
        for cldb in entry.hosts:
            for address in cldb.split(";"):
                host = address.rsplit(":", 1)[0] if not address.endswith("]") else address
                targets.append(dict(group=group, cluster=entry.name, cldb=cldb, host=host.strip("[]"),
                                    port=facts["cldb_https_port"]))
        return targets

    # -------------------------------------------------------------------------------- per host

    def topology(self, hosts):
        """Who is who, per host of ``hosts``: what every role needs before it reads a file.

        ``{group, peers, revoked, speaks, speaks_cldb, reads_tickets, peer_speakers, probes}``: the
        host's cluster group, its peer groups per kind (user, server) kept and revoked, whether it is
        its cluster's speaker and CLDB speaker, whether its maprserverticket is read (a CLDB node with
        server peers, kept or revoked), each peer group's speaker and, on a speaker, the CLDB
        addresses of its kept peers that preflight tries (``cldb_targets``).
        """
        result = {}
        # What a group's nodes share (their peers and the peers' speakers) is worked out once per group and
        # shared by its nodes, read only: per node it cost O(nodes x peers) and a copy per node.
        shared = {}
        for host in hosts:
            group = self.group_of(host)
            if group not in shared:
                peers = dict((kind, self.peers(group, kind)) for kind in KINDS)
                revoked = dict((kind, self.peers(group, kind, "absent")) for kind in KINDS)
                shared[group] = (peers, revoked, union(peers["user"], peers["server"]),
                                 dict((peer, self.speaker(peer)) for peer in self.peers(group, "any", "any")))
            peers, revoked, kept, peer_speakers = shared[group]
            speaks = group is not None and self.speaker(group) == host
            result[host] = dict(
                group=group, peers=peers, revoked=revoked, speaks=speaks,
                speaks_cldb=group is not None and self.cldb_speaker(group) == host,
                reads_tickets=group is not None and self.is_cldb(host) and bool(peers["server"] + revoked["server"]),
                peer_speakers=peer_speakers,
                probes=[target for peer in kept for target in self.cldb_targets(peer)] if speaks else [],
            )
        return result


def _export(group, reports, inventory):
    """``World.export``'s work: ``reports`` lists ``(host, facts)`` of the group's nodes that reported,
    its speaker first. What the nodes sent is checked against the inventory and each other here, not
    only in preflight, so that the user_trust role used on its own never hands a peer one node's word
    (``export_problems``). The line is rebuilt from its parse, never copied."""
    host, facts = reports[0]
    problems, _warnings = export_problems(group, reports, inventory)
    own_ca = facts.get("own_ca") or {}
    if own_ca.get("error") or not own_ca.get("certificates"):
        problems.append("%s: %s cannot hand its CA to its peers: %s. Fix: run the preflight role first; it names "
                        "the cause" % (group, host, own_ca.get("error") or "no certificate found"))
    if problems:
        raise CrossclusterError("; ".join(problems))
    entry = parse_line(facts["conf_line"])
    return dict(group=group, cluster_name=entry.name, conf_line=entry.to_line(),
                certificates=[dict(alias=trust_alias(entry.name, cert["sha256"]), pem=cert["pem"],
                                   sha256=cert["sha256"]) for cert in own_ca["certificates"]])
