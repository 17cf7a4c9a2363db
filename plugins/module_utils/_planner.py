# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What each node must hold for user and server trust, worked out once per run on the controller.

Pure: it takes ``crosscluster_trusts``, the inventory's groups and each node's ``mapr_security``
facts (``security_facts`` with a truststore password, gathered once by preflight), and says per
node which peers' conf lines and CA certificates it must hold, and whether it holds them already,
so the roles make one module call per file only on the nodes that need one.

Each cluster speaks through its first node in the play that reported facts (its exporter): its
own first conf line and its own CA chain, never a certificate it merely trusts. What the exporter
says is checked first against the inventory and the cluster's other nodes (``cluster_export``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _preflight as preflight,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _trust_list as trust_list,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import parse_line
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin import parse_validity
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin_output import seconds_left
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import parse_ticket

# The stores truststore_import keeps in step; a sibling that does not exist is not wanted either.
TRUSTSTORES = ("ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem")
KINDS = ("user", "server")


def topology(trusts, groups, play_hosts, cldb_suffix="_cldb", cldb_hosts=()):
    """Who is who, for every host in the play: what every role needs before it reads a file.

    Per host: ``group`` (its cluster group, or None), ``peers`` and ``revoked`` (the peer groups
    per kind, user and server, kept and revoked), ``speaks`` (the first host of its group still in
    the play, which acts once for the cluster) and ``speaks_cldb`` (likewise among its CLDB group),
    ``reads_tickets`` (a CLDB node with server peers, kept or revoked: its maprserverticket is read
    and may change; a CLDB node is a host of its CLDB group, or one of ``cldb_hosts``, those whose
    facts say they run a CLDB, so that a CLDB node left out of the group still gets its tickets)
    and ``peer_speakers`` (each peer group's speaking host). Worked out once, so every role agrees
    on which node acts for a cluster even after another node dropped out.
    """
    in_play = set(play_hosts)

    def first(group):
        return next((h for h in groups.get(group) or [] if h in in_play), None)

    result = {}
    group_of = trust_list.group_index(trusts, groups)
    for host in play_hosts:
        group = group_of.get(host)
        peers = dict((kind, trust_list.peers_of(trusts, group, kind) if group else []) for kind in KINDS)
        revoked = dict((kind, trust_list.peers_of(trusts, group, kind, "absent") if group else []) for kind in KINDS)
        every = trust_list.peers_of(trusts, group, "any", "any") if group else []
        in_cldb_group = group is not None and host in (groups.get(group + cldb_suffix) or [])
        result[host] = dict(
            group=group, peers=peers, revoked=revoked,
            speaks=group is not None and first(group) == host,
            speaks_cldb=in_cldb_group and first(group + cldb_suffix) == host,
            reads_tickets=(in_cldb_group or host in cldb_hosts) and bool(peers["server"] + revoked["server"]),
            peer_speakers=dict((peer, first(peer)) for peer in every),
        )
    return result


def verify_targets(who, changed, only_changed=False):
    """Which peers each node that acts for its cluster checks, per kind: ``user`` (a login) and
    ``server`` (a call as the server), kept and revoked peers alike, and ``kerberos`` (a ticket for
    a kept peer realm's service, for the pairs whose clusters have a realm).

    ``who`` is ``topology()``'s answer and ``changed`` the kinds each host changed a file or a KDC
    for in this run (``{host: ["user", ...]}``). With ``only_changed``, a cluster checks a kind only
    when one of its nodes changed something for it: its logins and calls go through its own files,
    so a re-run that changed nothing checks nothing. The cross-realm keys live in both clusters'
    KDCs, so a Kerberos change on either side of a pair has both sides check it. A peer with no node
    left in the run is not checked.
    """
    touched = {}
    for host, kinds in changed.items():
        group = (who.get(host) or {}).get("group")
        if group:
            touched.setdefault(group, set()).update(kinds)

    def wanted(kind, group, peer):
        return not only_changed or kind in touched.get(group, ()) or (
            kind == "kerberos" and kind in touched.get(peer, ()))

    result = {}
    for host, me in who.items():
        targets = dict((kind, []) for kind in KINDS + ("kerberos",))
        # A login goes from the node that speaks for the cluster, a server call from its CLDB's.
        for kind, acts, peers in (("user", me["speaks"], me["peers"]["user"] + me["revoked"]["user"]),
                                  ("server", me["speaks_cldb"], me["peers"]["server"] + me["revoked"]["server"]),
                                  ("kerberos", me["speaks"], union(me["peers"]["user"], me["peers"]["server"]))):
            if acts:
                targets[kind] = [peer for peer in peers
                                 if me["peer_speakers"].get(peer) and wanted(kind, me["group"], peer)]
        result[host] = targets
    return result


def union(first, second):
    """``first``, then what ``second`` adds, in order."""
    return list(first) + [item for item in second if item not in first]


def exporters(trusts, groups, facts):
    """Each cluster group's speaking node: its first host with facts, or no entry when there is none."""
    found = {}
    for group in trust_list.groups_in(trusts):
        host = next((h for h in groups.get(group) or [] if h in facts), None)
        if host is not None:
            found[group] = host
    return found


def cluster_export(group, reports, inventory):
    """What a cluster hands to its peers: its first conf line and its own CA chain under the alias rule.

    ``reports`` lists ``(host, mapr_security facts)`` of every node of ``group`` that reported, its
    speaking node first; ``inventory`` maps each host of the group to its inventory values
    (``mapr_cluster_name``, ``mapr_ca_sha256``). What the nodes sent is checked against the
    inventory and against each other here, not only in preflight, so that the user_trust role used
    on its own never hands a peer one node's word (``_preflight.export_problems``). The line is
    rebuilt from its parse, never copied.
    """
    host, facts = reports[0]
    problems, _warnings = preflight.export_problems(group, reports, inventory)
    own_ca = facts.get("own_ca") or {}
    if own_ca.get("error") or not own_ca.get("certificates"):
        problems.append("%s: %s cannot hand its CA to its peers: %s. Fix: run the preflight role first; it names "
                        "the cause" % (group, host, own_ca.get("error") or "no certificate found"))
    if problems:
        raise CrossclusterError("; ".join(problems))
    entry = parse_line(facts["conf_line"])
    return dict(group=group, cluster_name=entry.name, conf_line=entry.to_line(),
                certificates=[dict(alias=preflight.trust_alias(entry.name, cert["sha256"]), pem=cert["pem"],
                                   sha256=cert["sha256"]) for cert in own_ca["certificates"]])


# Every node of a cluster reports the same lines and every peer's line is wanted on every node: parsed
# once per text, not once per node and peer (a node's held lines were parsed anew for each peer, which
# cost O(nodes x peers^2)). Only the planner's readers use it; a ClusterEntry here is never changed.
_PARSED = {}


def _parse(line):
    entry = _PARSED.get(line)
    if entry is None:
        if len(_PARSED) >= 4096:
            _PARSED.clear()
        entry = _PARSED[line] = parse_line(line)
    return entry


def conf_line_state(facts, name, line=None):
    """``(state, held line)`` of cluster ``name`` in the node's mapr-clusters.conf: ``ok`` (the same as
    ``line`` by meaning, or present when ``line`` is None), ``differs`` or ``missing``."""
    wanted = _parse(line) if line else None
    for held in (facts.get("conf_lines") or [])[1:]:
        entry = _parse(held)
        if entry.name == name:
            return ("ok" if wanted is None or entry.same_as(wanted) else "differs"), held
    return "missing", None


def _holds_line(facts, line):
    return conf_line_state(facts, _parse(line).name, line)[0] == "ok"


def _held_names(facts):
    return [_parse(line).name for line in (facts.get("conf_lines") or [])[1:]]


def _holds_certificates(facts, certificates):
    stores = facts.get("truststores") or {}
    for name in TRUSTSTORES:
        store = stores.get(name) or {}
        if not store.get("exists"):
            if name == "ssl_truststore":
                return False
            continue
        if store.get("entries") is None and not store.get("error"):
            continue  # a PKCS12 sibling read without its password: the write keeps it in step
        held = set(entry["sha256"] for entry in store.get("entries") or [])
        if any(cert["sha256"] not in held for cert in certificates):
            return False
    return True


def _chain(facts):
    return set(c["sha256"] for c in (facts.get("own_ca") or {}).get("certificates") or [])


class Clusters:
    """What the plan (and the drift report) needs to know of every cluster group in the list, read once
    from its nodes' facts: its speaking node, its name and what it hands to its peers."""

    def __init__(self, trusts, groups, facts, inventory=None):
        self.trusts, self.groups, self.facts = trusts, groups, facts
        # {group: {host: {mapr_cluster_name, mapr_ca_sha256}}}: what the inventory says each cluster is.
        self.inventory = inventory or {}
        self.speaking = exporters(trusts, groups, facts)
        self._exports = {}
        self._names = {}
        self._all_reported = {}

    def name(self, group):
        """The cluster's name: the inventory's mapr_cluster_name, else what its speaking node says. A revoke
        removes the peer's line by this name, so a node's word alone must not pick another cluster's."""
        host = self.speaking.get(group)
        if not host:
            return None
        # Asked per node and peer; reading the group's inventory is O(its nodes), so once per group.
        if group not in self._names:
            self._names[group] = preflight.cluster_inventory(group, self.inventory.get(group) or {})["name"] or \
                self.facts[host]["cluster_name"]
        return self._names[group]

    def export(self, group):
        if group not in self._exports:
            reports = [(h, self.facts[h]) for h in self.groups.get(group) or [] if h in self.facts]
            self._exports[group] = cluster_export(group, reports, self.inventory.get(group))
        return self._exports[group]

    def all_reported(self, group):
        """Whether every node of ``group`` reported its chain: only then is a CA it no longer shows stale."""
        # Asked per node and peer; a scan of the group's nodes each time made a plan O(nodes^2).
        if group not in self._all_reported:
            self._all_reported[group] = all(h in self.facts for h in self.groups.get(group) or [])
        return self._all_reported[group]

    def chain(self, group):
        return _chain(self.facts[self.speaking[group]])


def _collection_entries(facts):
    """Entries of the node's ssl_truststore under the alias rule: ``[(cluster_name_lower, alias, sha256)]``."""
    store = (facts.get("truststores") or {}).get("ssl_truststore") or {}
    found = []
    for entry in store.get("entries") or []:
        alias, sha256 = entry.get("alias") or "", entry.get("sha256") or ""
        head, _dash, digest = alias.rpartition("-")
        if head and digest and sha256.startswith(digest) and alias == preflight.trust_alias(head, sha256):
            found.append((head, alias, sha256))
    return found


def _certificates_to_remove(node, clusters, present, absent, wanted):
    """The collection's certificates the node holds that no remaining peer needs.

    A revoked peer's certificates go, under its own alias or under another cluster's when the two
    share a CA (the first import kept one entry). A present peer's old CA goes once every node of
    the peer shows a chain without it. A certificate any present peer hands over always stays.
    Each is named by its alias and fingerprint: peer_trust removes the alias only (checking the
    fingerprint), so an administrator's own alias for the same certificate keeps it trusted.
    """
    revoked_names = set(clusters.name(g).lower() for g in absent if clusters.name(g))
    revoked_chains = set(sha for g in absent if clusters.name(g) for sha in clusters.chain(g))
    stale = dict((clusters.name(g).lower(), clusters.chain(g)) for g in present
                 if clusters.name(g) and clusters.all_reported(g))
    remove = []
    for head, alias, sha256 in _collection_entries(node):
        if sha256 in wanted:
            continue
        if head in revoked_names or sha256 in revoked_chains or (head in stale and sha256 not in stale[head]):
            remove.append(dict(alias=alias, sha256=sha256))
    return remove


def user_trust_plan(trusts, groups, facts, inventory=None):
    """Per host with facts: what user trust must add and remove there.

    ``{group, conf_lines, certificates, conf_remove, certificates_remove, conf_changes,
    truststore_changes}``: ``conf_lines`` and ``certificates`` are everything the node's present
    user-trust peers hand over (what one call per file must hold); ``conf_remove`` names the revoked
    peers whose lines the node still holds and ``certificates_remove`` the collection's certificates
    no peer needs any more; the ``*_changes`` flags say whether a write is needed at all.

    ``inventory`` is ``Clusters``'. Every export is checked before anything is planned, and every
    cluster that fails is named in one error.
    """
    clusters = Clusters(trusts, groups, facts, inventory)
    refused = []
    for group in trust_list.groups_in(trusts):
        if group in clusters.speaking and any(group in trust_list.peers_of(trusts, other, "user")
                                              for other in trust_list.groups_in(trusts)):
            try:
                clusters.export(group)
            except CrossclusterError as err:
                refused.append(str(err))
    if refused:
        raise CrossclusterError("user trust refuses what a cluster would hand its peers (nothing was changed): "
                                + "; ".join(refused))
    plan = {}
    group_of = trust_list.group_index(trusts, groups)
    for host, node in facts.items():
        group = group_of.get(host)
        present = [p for p in trust_list.peers_of(trusts, group, "user") if p in clusters.speaking] if group else []
        absent = [p for p in trust_list.peers_of(trusts, group, "user", "absent")
                  if p in clusters.speaking and p not in present] if group else []
        imports = [clusters.export(peer) for peer in present]
        lines = [item["conf_line"] for item in imports]
        certificates = [cert for item in imports for cert in item["certificates"]]
        held = _held_names(node)
        conf_remove = [clusters.name(p) for p in absent if clusters.name(p) in held]
        wanted = set(cert["sha256"] for cert in certificates)
        certificates_remove = _certificates_to_remove(node, clusters, present, absent, wanted) if group else []
        plan[host] = dict(
            group=group,
            conf_lines=lines,
            certificates=certificates,
            conf_remove=conf_remove,
            certificates_remove=certificates_remove,
            conf_changes=bool(conf_remove) or not all(_holds_line(node, line) for line in lines),
            truststore_changes=bool(certificates_remove) or (
                bool(certificates) and not _holds_certificates(node, certificates)),
        )
    return plan


def ticket_state(held, cluster, user, needed, now=None):
    """What the node's tickets (``maprlogin print``) hold for ``cluster``'s cross-cluster ``user``: ``ok``
    (valid ``needed`` seconds more), ``expiring``, ``expired``, ``other user`` or ``missing``."""
    mine = [t for t in held if t.get("cluster") == cluster]
    for_user = [t for t in mine if t.get("user") == user]
    left = [seconds_left(t, now) for t in for_user]
    if any(s is not None and s >= needed for s in left):
        return "ok"
    if any(s is not None and s > 0 for s in left):
        return "expiring"
    if for_user:
        return "expired"
    return "other user" if mine else "missing"


def _missing_tickets(held, users, needed, now=None):
    """The peer clusters (by name) with no ticket valid ``needed`` seconds more for their cross-cluster user."""
    return [name for name, user in users.items() if ticket_state(held, name, user, needed, now) != "ok"]


def server_trust_plan(trusts, groups, nodes, min_validity, cldb_suffix="_cldb", now=None, rotate=False):
    """Which CLDB node generates its cluster's ticket, and which peers' tickets each CLDB node needs.

    ``nodes`` maps each host in the play to ``{facts, user, held}``: its ``mapr_security`` facts,
    its cluster's cross-cluster user, and the tickets ``maprlogin print`` showed in its
    maprserverticket (None when it did not read it). A cluster's ticket is for its own cross-cluster
    user (the seed's -localcrossclusteruser), so a peer's ticket counts only when it is for that
    user and valid ``min_validity`` more; with ``rotate`` none counts, so every ticket is made anew.
    Returns per host ``{generate, wanted_from, remove}``: ``generate`` is true on the one CLDB node
    per cluster that makes the ticket, only when some peer CLDB node needs it; ``wanted_from`` lists
    the generating hosts whose tickets it must merge; ``remove`` the revoked peers (by cluster name)
    whose tickets it still holds.
    """
    needed = parse_validity(min_validity)
    facts = dict((h, n["facts"]) for h, n in nodes.items() if n.get("facts"))
    clusters = Clusters(trusts, groups, facts)
    generators = {}
    for group in trust_list.groups_in(trusts):
        host = next((h for h in groups.get(group + cldb_suffix) or [] if h in facts), None)
        if host is not None:
            generators[group] = host
    plan = dict((host, dict(generate=False, wanted_from=[], remove=[])) for host in nodes)
    group_of = trust_list.group_index(trusts, groups)
    for host, node in nodes.items():
        if node.get("held") is None or not node.get("facts", {}).get("is_cldb"):
            continue
        group = group_of.get(host)
        if group is None:
            continue
        peers = [p for p in trust_list.peers_of(trusts, group, "server") if p in generators]
        users = dict((facts[generators[p]]["cluster_name"], nodes[generators[p]]["user"]) for p in peers)
        missing = list(users) if rotate else _missing_tickets(node["held"], users, needed, now)
        for peer in peers:
            if facts[generators[peer]]["cluster_name"] in missing:
                plan[host]["wanted_from"].append(generators[peer])
                plan[generators[peer]]["generate"] = True
        held = set(t["cluster"] for t in node["held"])
        plan[host]["remove"] = [clusters.name(p) for p in trust_list.peers_of(trusts, group, "server", "absent")
                                if p not in peers and clusters.name(p) in held]
    return plan


def generated_ticket_problem(host, generated, expected_cluster):
    """Why the ticket ``host`` generated must not reach its peers, or None.

    ``generated`` is the registered result of ``maprlogin generateticket`` on ``host`` (no ticket,
    not failed: nothing was asked for, or check mode); ``expected_cluster`` is the name the
    inventory gives the host's cluster (``mapr_cluster_name``). A ticket's cluster field names the
    line it replaces in every peer's maprserverticket, so a ticket for another cluster would
    overwrite that cluster's ticket there: it is refused before any file is written. The ticket
    itself never appears in the message.
    """
    generated = generated or {}
    if generated.get("failed"):
        return ("%s: could not generate its cluster's crosscluster ticket, so no file was changed on any node: "
                "%s" % (host, generated.get("msg") or "maprlogin generateticket failed"))
    if not generated.get("ticket"):
        return None
    try:
        cluster = parse_ticket(generated["ticket"])[0]
    except CrossclusterError as err:
        return "%s: maprlogin generateticket made a ticket that cannot be used, so no file was changed on any " \
            "node: %s" % (host, err)
    if cluster != expected_cluster:
        return ("%s: maprlogin generateticket made a ticket for cluster %s, but the host's cluster is %s "
                "(mapr_cluster_name); it would replace %s's ticket on the peers, so it was refused and no file "
                "was changed on any node. Fix: check the first line of mapr-clusters.conf and the CLDB that "
                "maprlogin reaches on %s, or the host's cluster group" % (host, cluster, expected_cluster,
                                                                          cluster, host))
    return None
