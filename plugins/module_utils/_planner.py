# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What each node must hold for user and server trust, worked out once per run on the controller.

Pure: it takes the ``World`` (module_utils/_world.py: the trust list, the groups and each node's
``mapr_security`` facts, gathered once by preflight) and says per node which peers' conf lines and
CA certificates it must hold, and whether it holds them already, so the roles make one module call
per file only on the nodes that need one.

Each cluster hands over what its speaker reports, its own first conf line and its own CA chain,
never a certificate it merely trusts, and only once ``World.export`` has checked it against the
inventory and the cluster's other nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import parse_line
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin import parse_validity
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin_output import seconds_left
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import parse_ticket
from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import alias_cluster

# The stores truststore_import keeps in step; a sibling that does not exist is not wanted either.
TRUSTSTORES = ("ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem")
KINDS = ("user", "server")


def verify_targets(who, changed, only_changed=False):
    """Which peers each node that acts for its cluster checks, per kind: ``user`` (a login) and
    ``server`` (a call as the server), kept and revoked peers alike, and ``kerberos`` (a ticket for
    a kept peer realm's service, for the pairs whose clusters have a realm).

    ``who`` is ``World.topology``'s answer and ``changed`` the kinds each host changed a file or a KDC
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


def _collection_entries(facts):
    """Entries of the node's ssl_truststore under the alias rule: ``[(cluster_name_lower, alias, sha256)]``."""
    store = (facts.get("truststores") or {}).get("ssl_truststore") or {}
    found = []
    for entry in store.get("entries") or []:
        head = alias_cluster(entry.get("alias"), entry.get("sha256"))
        if head:
            found.append((head, entry["alias"], entry["sha256"]))
    return found


def _certificates_to_remove(node, world, present, absent, wanted):
    """The collection's certificates the node holds that no remaining peer needs.

    A revoked peer's certificates go, under its own alias or under another cluster's when the two
    share a CA (the first import kept one entry). A present peer's old CA goes once every node of
    the peer shows a chain without it. A certificate any present peer hands over always stays.
    Each is named by its alias and fingerprint: peer_trust removes the alias only (checking the
    fingerprint), so an administrator's own alias for the same certificate keeps it trusted.
    """
    revoked_names = set(world.name(g).lower() for g in absent if world.name(g))
    revoked_chains = set(sha for g in absent if world.name(g) for sha in world.reported_chain(g))
    stale = dict((world.name(g).lower(), world.reported_chain(g)) for g in present
                 if world.name(g) and world.all_reported(g))
    remove = []
    for head, alias, sha256 in _collection_entries(node):
        if sha256 in wanted:
            continue
        if head in revoked_names or sha256 in revoked_chains or (head in stale and sha256 not in stale[head]):
            remove.append(dict(alias=alias, sha256=sha256))
    return remove


def user_trust_plan(world, hosts):
    """Per host of ``hosts`` with facts in ``world``: what user trust must add and remove there.

    ``{group, conf_lines, certificates, conf_remove, certificates_remove, conf_changes,
    truststore_changes, based_on}``: ``conf_lines`` and ``certificates`` are everything the node's
    present user-trust peers hand over (what one call per file must hold); ``conf_remove`` names the
    revoked peers whose lines the node still holds and ``certificates_remove`` the collection's
    certificates no peer needs any more; the ``*_changes`` flags say whether a write is needed at
    all; ``based_on`` names the files this plan was made from, each path with the SHA-256 of the
    bytes read (the facts' ``files_read``): the write starts from those bytes and its
    compare-and-swap holds the node's files to them.

    Every export is checked before anything is planned, and every cluster that fails is named in
    one error.
    """
    refused = []
    for group in world.clusters:
        if world.speaker(group) and any(group in world.peers(other, "user") for other in world.clusters):
            export, why = world.export_or_why(group)
            if export is None:
                refused.append(why if why.startswith(group + ":") else "%s: %s" % (group, why))
    if refused:
        raise CrossclusterError("user trust refuses what a cluster would hand its peers (nothing was changed): "
                                + "; ".join(refused))
    plan = {}
    for host in hosts:
        node = world.facts.get(host)
        if node is None:
            continue
        group = world.group_of(host)
        present = [p for p in world.peers(group, "user") if world.speaker(p)]
        absent = [p for p in world.peers(group, "user", "absent") if world.speaker(p) and p not in present]
        imports = [world.export(peer) for peer in present]
        lines = [item["conf_line"] for item in imports]
        certificates = [cert for item in imports for cert in item["certificates"]]
        held = _held_names(node)
        conf_remove = [world.name(p) for p in absent if world.name(p) in held]
        wanted = set(cert["sha256"] for cert in certificates)
        certificates_remove = _certificates_to_remove(node, world, present, absent, wanted) if group else []
        plan[host] = dict(
            group=group,
            conf_lines=lines,
            certificates=certificates,
            conf_remove=conf_remove,
            certificates_remove=certificates_remove,
            conf_changes=bool(conf_remove) or not all(_holds_line(node, line) for line in lines),
            truststore_changes=bool(certificates_remove) or (
                bool(certificates) and not _holds_certificates(node, certificates)),
            based_on=dict(node.get("files_read") or {}),
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


def server_trust_plan(world, nodes, min_validity, now=None, rotate=False):
    """Which CLDB node generates its cluster's ticket, and which peers' tickets each CLDB node needs.

    ``nodes`` maps each host to ``{user, held}``: its cluster's cross-cluster user, and the tickets
    ``maprlogin print`` showed in its maprserverticket (None when it did not read it). A cluster's
    ticket is for its own cross-cluster user (the seed's -localcrossclusteruser), so a peer's ticket
    counts only when it is for that user and valid ``min_validity`` more; with ``rotate`` none
    counts, so every ticket is made anew. Returns per host ``{generate, wanted_from, remove}``:
    ``generate`` is true on the cluster's CLDB speaker (``World.cldb_speaker``), only when some peer
    CLDB node needs its ticket; ``wanted_from`` lists the CLDB speakers whose tickets it must merge;
    ``remove`` the revoked peers (by cluster name) whose tickets it still holds.
    """
    needed = parse_validity(min_validity)
    speakers = dict((group, world.cldb_speaker(group)) for group in world.clusters)
    speakers = dict((group, host) for group, host in speakers.items() if host is not None and host in world.facts)
    plan = dict((host, dict(generate=False, wanted_from=[], remove=[])) for host in nodes)
    for host, node in nodes.items():
        group = world.group_of(host)
        if group is None or node.get("held") is None or host not in world.facts or not world.is_cldb(host):
            continue
        peers = [p for p in world.peers(group, "server") if p in speakers]
        users = dict((world.facts[speakers[p]]["cluster_name"], (nodes.get(speakers[p]) or {}).get("user"))
                     for p in peers)
        missing = list(users) if rotate else _missing_tickets(node["held"], users, needed, now)
        for peer in peers:
            if world.facts[speakers[peer]]["cluster_name"] in missing:
                plan[host]["wanted_from"].append(speakers[peer])
                plan.setdefault(speakers[peer], dict(generate=False, wanted_from=[], remove=[]))["generate"] = True
        held = set(t["cluster"] for t in node["held"])
        plan[host]["remove"] = [world.name(p) for p in world.peers(group, "server", "absent")
                                if p not in peers and world.name(p) in held]
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
