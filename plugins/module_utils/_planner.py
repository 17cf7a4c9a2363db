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

import operator

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin import parse_validity
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin_output import seconds_left
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import BCFKS_TRUSTSTORE
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import parse_ticket
from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import (
    alias_cluster,
    parsed_line,
    trust_alias,
    union,
)

# The stores truststore_import keeps in step; a sibling that does not exist is not wanted either.
TRUSTSTORES = ("ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem")
# A FIPS node keeps its trust in the BCFKS store instead of the JKS one (truststore_bcfks writes it).
FIPS_TRUSTSTORES = (BCFKS_TRUSTSTORE, "ssl_truststore.p12", "ssl_truststore.pem")
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


def conf_line_state(facts, name, line=None):
    """``(state, held line)`` of cluster ``name`` in the node's mapr-clusters.conf: ``ok`` (the same as
    ``line`` by meaning, or present when ``line`` is None), ``differs`` or ``missing``."""
    wanted = parsed_line(line) if line else None
    for held in (facts.get("conf_lines") or [])[1:]:
        entry = parsed_line(held)
        if entry.name == name:
            return ("ok" if wanted is None or entry.same_as(wanted) else "differs"), held
    return "missing", None


def _held_names(facts):
    return [parsed_line(line).name for line in (facts.get("conf_lines") or [])[1:]]


def is_fips(facts):
    """Whether the node keeps its truststore in BCFKS (a FIPS node: only keytool with the provider opens it)."""
    return bool(((facts.get("stores") or {}).get(BCFKS_TRUSTSTORE) or {}).get("exists"))


def truststore_names(facts):
    """The node's truststores a write keeps in step, the store of record first: ``FIPS_TRUSTSTORES`` on a
    FIPS node (it has no JKS ssl_truststore), else ``TRUSTSTORES``."""
    return FIPS_TRUSTSTORES if is_fips(facts) else TRUSTSTORES


def held_stores(facts):
    """``{store name: set of sha256}`` of the node's truststores as a write judges them, in
    ``truststore_names`` order: the store of record always (ssl_truststore, ssl_truststore.bcfks on a
    FIPS node; empty when it does not exist: the store of record must), a sibling when it exists and
    its entries were read (a PKCS12 sibling read without its password is left to the write, which
    keeps it in step); a store that could not be read holds nothing."""
    stores = facts.get("truststores") or {}
    found = {}
    names = truststore_names(facts)
    for name in names:
        store = stores.get(name) or {}
        if not store.get("exists"):
            if name == names[0]:
                found[name] = set()
            continue
        if store.get("entries") is None and not store.get("error"):
            continue
        found[name] = set(entry["sha256"] for entry in store.get("entries") or [])
    return found


def _collection_entries(facts):
    """The entries under the alias rule in any of the node's truststores (the store of record first, each
    alias and fingerprint once), by the cluster name (lower case) they are tied to. Every store counts: a
    sibling that still holds what its store of record lost must lose it too when its peer is revoked."""
    stores = facts.get("truststores") or {}
    found = {}
    seen = set()
    for name in truststore_names(facts):
        for entry in (stores.get(name) or {}).get("entries") or []:
            head = alias_cluster(entry.get("alias"), entry.get("sha256"))
            key = (entry.get("alias"), entry.get("sha256"))
            if head and key not in seen:
                seen.add(key)
                found.setdefault(head, []).append(entry)
    return found


def _short(sha256):
    return (sha256 or "")[:12]


def _present_reasons(world, node, held, ours, peer, export):
    """Why ``node`` (facts) does not yet hold what present peer ``peer`` hands over (``export``), one
    reason per item: its line (missing, or another), each certificate missing from a store, each old
    CA of the peer under its alias that is no longer in its chain. ``held`` is ``held_stores(node)``,
    ``ours`` ``_collection_entries(node)``."""
    reasons = []
    name = export["cluster_name"]
    conf, held_line = conf_line_state(node, name, export["conf_line"])
    if conf == "missing":
        reasons.append(dict(kind="user", peer=peer, item="line", state="missing",
                            message="mapr-clusters.conf lacks %s's line (%s)" % (peer, name)))
    elif conf == "differs":
        reasons.append(dict(kind="user", peer=peer, item="line", state="differs", held_line=held_line,
                            peer_line=export["conf_line"],
                            message="mapr-clusters.conf has another line for %s than %s's own first line"
                                    % (name, peer)))
    info = world.ca_info(peer)
    for cert in export["certificates"]:
        missing = [store for store, shas in held.items() if cert["sha256"] not in shas]
        if missing:
            subject = (info.get(cert["sha256"]) or {}).get("subject")
            reasons.append(dict(kind="user", peer=peer, item="certificate", state="missing", alias=cert["alias"],
                                sha256=cert["sha256"], stores=missing,
                                message="%s %s %s's CA %s (sha256 %s)" % (
                                    ", ".join(missing), "lacks" if len(missing) == 1 else "lack", peer, subject,
                                    _short(cert["sha256"]))))
    wanted = set(cert["sha256"] for cert in export["certificates"])
    for entry in ours.get(name.lower(), ()):
        if entry["sha256"] in wanted:
            continue
        # Under the peer's alias rule but not in its chain: the peer's CA changed since it was imported.
        reasons.append(dict(kind="user", peer=peer, item="certificate", state="stale", alias=entry["alias"],
                            sha256=entry["sha256"], subject=entry.get("subject"),
                            stores=[store for store, shas in held.items() if entry["sha256"] in shas],
                            message="%s holds %s, an old CA of %s (sha256 %s) no longer in its chain"
                                    % (truststore_names(node)[0], entry["alias"], peer, _short(entry["sha256"]))))
    return reasons


def _certificates_to_remove(node, world, present, absent, wanted, ours):
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
    for head, entries in ours.items():
        for entry in entries:
            sha256 = entry["sha256"]
            if sha256 in wanted:
                continue
            if head in revoked_names or sha256 in revoked_chains or (head in stale and sha256 not in stale[head]):
                remove.append(dict(alias=entry["alias"], sha256=sha256))
    return remove


def _absent_reasons(world, node, peer, removing, kept_chains):
    """Why ``node`` still holds something of revoked peer ``peer``: its line, and each of its CAs the plan
    removes (``removing``: sha256 to alias); a CA of it under an alias of the administrator's own, which
    no remaining peer hands over (``kept_chains``), is named as left alone, not as a change."""
    reasons = []
    name = world.name(peer)
    if name in _held_names(node):
        reasons.append(dict(kind="user", peer=peer, item="line", state="revoked",
                            message="mapr-clusters.conf still holds the line of %s (%s), whose trust is revoked"
                                    % (peer, name)))
    chain = world.reported_chain(peer)
    seen = set()
    for _store, store in sorted((node.get("truststores") or {}).items()):
        for entry in store.get("entries") or []:
            sha = entry["sha256"]
            mine = entry.get("alias") == trust_alias(name, sha)
            if sha in seen or not (mine or sha in chain):
                continue
            seen.add(sha)
            found = dict(kind="user", peer=peer, item="certificate", alias=entry.get("alias"), sha256=sha,
                         subject=entry.get("subject"))
            if sha in removing:
                reasons.append(dict(found, state="revoked", message="still trusts %s's CA %s (sha256 %s), whose "
                                    "trust is revoked" % (peer, found["subject"], _short(sha))))
            elif sha not in kept_chains:
                reasons.append(dict(found, state="kept", message="still trusts %s's CA %s (sha256 %s) under alias "
                                    "%s, which this collection did not add and leaves alone"
                                    % (peer, found["subject"], _short(sha), found["alias"])))
    return reasons


def user_exports(world):
    """``(exports, refused)``: what each cluster some peer trusts for user trust hands over (``{group:
    export}``), and why each one whose export is refused is (``{group: why}``)."""
    exported, refused = {}, {}
    for group in world.clusters:
        if world.speaker(group) and any(group in world.peers(other, "user") for other in world.clusters):
            export, why = world.export_or_why(group)
            if export is None:
                refused[group] = why if why.startswith(group + ":") else "%s: %s" % (group, why)
            else:
                exported[group] = export
    return exported, refused


def refusal(refused):
    """The message that stops user trust when ``refused`` (``user_exports``') is not empty."""
    return "user trust refuses what a cluster would hand its peers (nothing was changed): " + "; ".join(
        refused.values())


def user_trust_plan(world, hosts, reasons=False, strict=True):
    """Per host of ``hosts`` with facts in ``world``: what user trust must add and remove there.

    ``{group, conf_lines, certificates, conf_remove, certificates_remove, conf_changes,
    truststore_changes, based_on, fips, changes}``: ``conf_lines`` and ``certificates`` are everything the node's
    present user-trust peers hand over (what one call per file must hold); ``conf_remove`` names the
    revoked peers whose lines the node still holds and ``certificates_remove`` the collection's
    certificates no peer needs any more; the ``*_changes`` flags say whether a write is needed at
    all; ``based_on`` names the files this plan was made from, each path with the SHA-256 of the
    bytes read (the facts' ``files_read``): the write starts from those bytes and its
    compare-and-swap holds the node's files to them; ``fips`` whether the node's store of record is its
    BCFKS one (``is_fips``). ``changes`` says why the node needs a write, in
    the light form of ``changes()``, for the summary.

    With ``reasons``, each node's ``reasons`` say why, one item each (``{kind, peer, item, state,
    message, ...}``): a line or certificate ``missing``, a line that ``differs``, an old CA ``stale``,
    something of a revoked peer still held (``revoked``), or left alone (``kept``, no change). The
    drift report renders these.

    Every export is checked before anything is planned, and every cluster that fails is named in
    one error; with ``strict`` false (the report), a peer whose export fails is left out instead,
    and the caller names it.
    """
    exported, refused = user_exports(world)
    if refused and strict:
        raise CrossclusterError(refusal(refused))
    plan, seen = {}, {}
    # Most nodes of a cluster hold the same lines and certificates: what a node's plan says is worked out
    # once per group and distinct content (``_plan_key``) and its lists shared by those nodes, read only,
    # as the exports' certificates already are (per node, the plans cost O(nodes x peers) in messages).
    shared = {}
    for host in hosts:
        node = world.facts.get(host)
        if node is None:
            continue
        group = world.group_of(host)
        key = _plan_key(group, node)
        item = shared.get(key) if key is not None else None
        if item is None:
            item = _node_plan(world, node, group, exported, reasons, seen)
            if key is not None:
                shared[key] = item
        plan[host] = dict(group=group, conf_lines=item["conf_lines"], certificates=item["certificates"],
                          conf_remove=item["conf_remove"], certificates_remove=item["certificates_remove"],
                          conf_changes=item["conf_changes"], truststore_changes=item["truststore_changes"],
                          based_on=dict(node.get("files_read") or {}), changes=item["changes"],
                          # The roles write a FIPS node's certificates with keytool there (truststore_bcfks).
                          fips=is_fips(node))
        if reasons:
            plan[host]["reasons"] = item["reasons"]
    return plan


# What the plan reads of a truststore entry, and all it reads.
_ENTRY_KEY = operator.itemgetter("alias", "sha256", "subject")


def _entries_key(entries):
    try:
        return tuple(map(_ENTRY_KEY, entries))
    except KeyError:  # an entry without one of them: None stands for it, as the plan's get() reads it
        return tuple((entry.get("alias"), entry.get("sha256"), entry.get("subject")) for entry in entries)


def _plan_key(group, node):
    """What of a node's facts its user-trust plan reads (besides ``files_read``): whether it is a FIPS
    node, its conf lines and every truststore's state and entries (``_ENTRY_KEY``), with its group.
    None when some value cannot be a key (the node's plan is then worked out on its own)."""
    stores = node.get("truststores") or {}
    try:
        return (group, is_fips(node), tuple(node.get("conf_lines") or ()), tuple(
            (name, store.get("exists"), bool(store.get("error")), store.get("entries") is None,
             _entries_key(store.get("entries") or ()))
            for name, store in sorted(stores.items())))
    except (AttributeError, TypeError):
        return None


def _node_plan(world, node, group, exported, reasons, seen):
    """``user_trust_plan``'s answer for one node of ``group`` (``node``: its facts), ``based_on`` aside;
    ``seen`` is the plan's table of ``changes`` entries, so equal reasons share one list."""
    present = [p for p in world.peers(group, "user") if world.speaker(p)]
    absent = [p for p in world.peers(group, "user", "absent") if world.speaker(p) and p not in present]
    imports = [exported[peer] for peer in present if peer in exported]
    lines = [item["conf_line"] for item in imports]
    certificates = [cert for item in imports for cert in item["certificates"]]
    held_names = _held_names(node)
    conf_remove = [world.name(p) for p in absent if world.name(p) in held_names]
    wanted = set(cert["sha256"] for cert in certificates)
    ours = _collection_entries(node)
    certificates_remove = _certificates_to_remove(node, world, present, absent, wanted, ours) if group else []
    held = held_stores(node)
    why = [reason for item in imports
           for reason in _present_reasons(world, node, held, ours, item["group"], item)]
    item = dict(
        conf_lines=lines,
        certificates=certificates,
        conf_remove=conf_remove,
        certificates_remove=certificates_remove,
        conf_changes=bool(conf_remove) or any(r["item"] == "line" for r in why),
        truststore_changes=bool(certificates_remove) or any(r["state"] == "missing" and r["item"] ==
                                                            "certificate" for r in why),
    )
    removing = dict((c["sha256"], c["alias"]) for c in certificates_remove)
    # Only nodes that still hold something of a revoked peer pay for naming it (revocations are rare).
    gone = [reason for peer in absent for reason in _absent_reasons(world, node, peer, removing, wanted)]
    item["changes"] = changes(why + gone, removing, seen)
    if reasons:
        item["reasons"] = why + gone
    return item


def changes(reasons, removing=(), shared=None):
    """The reasons that change something, in the light form every plan carries for the summary:
    ``[peer, item, state, message]`` each. Left out: what is left alone (``kept``) and an old CA
    (``stale``) the plan does not remove yet (``removing``: the sha256 it removes), since it waits for
    every node of the peer to show the new chain.

    Lists of four rather than the full reasons, and one list for every node with the same reason
    (``shared``: a dict kept for one plan): at 16 clusters x 1,000 nodes on a first run, 480,000
    reasons, the full reasons of both plans take about 190 MiB on the controller, these about 5 MiB
    (once ansible-core 2.16 has copied the fact, which undoes the sharing, about 186 MiB against 382).
    """
    shared = {} if shared is None else shared
    found = []
    for r in reasons:
        if r["state"] == "kept" or (r["state"] == "stale" and r["sha256"] not in removing):
            continue
        key = (r["peer"], r["item"], r["state"], r["message"])
        found.append(shared.get(key) or shared.setdefault(key, list(key)))
    return found


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


# Why a CLDB node needs a peer's ticket (ticket_state), as the plan's reasons and the drift report say it.
TICKET_MESSAGES = {
    "expiring": "the ticket for %(cluster)s (user %(user)s) in maprserverticket expires within %(validity)s; the "
                "main playbook replaces it",
    "expired": "the ticket for %(cluster)s (user %(user)s) in maprserverticket has expired",
    "other user": "maprserverticket holds a ticket for %(cluster)s, but not for its cross-cluster user %(user)s",
    "missing": "maprserverticket has no ticket for %(cluster)s (user %(user)s)",
    "rotate": "the ticket for %(cluster)s (user %(user)s) is made anew (rotate)",
}


def validity_text(min_validity):
    """``min_validity`` as a message names it."""
    return "%d seconds" % min_validity if isinstance(min_validity, int) else str(min_validity)


def server_trust_plan(world, nodes, min_validity, now=None, rotate=False, reasons=False):
    """Which CLDB node generates its cluster's ticket, and which peers' tickets each CLDB node needs.

    ``nodes`` maps each host to ``{user, held}``: its cluster's cross-cluster user, and the tickets
    ``maprlogin print`` showed in its maprserverticket (None when it did not read it). A cluster's
    ticket is for its own cross-cluster user (the seed's -localcrossclusteruser), so a peer's ticket
    counts only when it is for that user and valid ``min_validity`` more; with ``rotate`` none
    counts, so every ticket is made anew. Returns per host ``{generate, wanted_from, remove, changes}``:
    ``generate`` is true on the cluster's CLDB speaker (``World.cldb_speaker``), only when some peer
    CLDB node needs its ticket; ``wanted_from`` lists the CLDB speakers whose tickets it must merge;
    ``remove`` the revoked peers (by cluster name) whose tickets it still holds; ``changes`` why, in
    the light form of ``changes()`` (every CLDB node's reason is a change). With ``reasons``,
    each CLDB node's ``reasons`` say why, one per peer (``{kind, peer, item, state, user, message}``:
    a ticket ``missing``, ``expiring``, ``expired``, for an ``other user``, made anew with ``rotate``,
    or one of a revoked peer still held, ``revoked``).
    """
    needed = parse_validity(min_validity)
    speakers = dict((group, world.cldb_speaker(group)) for group in world.clusters)
    speakers = dict((group, host) for group, host in speakers.items() if host is not None and host in world.facts)
    plan = dict((host, dict(generate=False, wanted_from=[], remove=[], changes=[])) for host in nodes)
    shared = {}
    for host, node in nodes.items():
        group = world.group_of(host)
        if group is None or node.get("held") is None or host not in world.facts or not world.is_cldb(host):
            continue
        why = []
        for peer in [p for p in world.peers(group, "server") if p in speakers]:
            name = world.facts[speakers[peer]]["cluster_name"]
            user = (nodes.get(speakers[peer]) or {}).get("user")
            state = "rotate" if rotate else ticket_state(node["held"], name, user, needed, now)
            if state == "ok":
                continue
            plan[host]["wanted_from"].append(speakers[peer])
            plan.setdefault(speakers[peer], dict(generate=False, wanted_from=[], remove=[],
                                                 changes=[]))["generate"] = True
            why.append(dict(kind="server", peer=peer, item="ticket", state=state, user=user,
                            message=TICKET_MESSAGES[state] % dict(cluster=name, user=user,
                                                                  validity=validity_text(min_validity))))
        held = set(t["cluster"] for t in node["held"])
        present = [p for p in world.peers(group, "server") if p in speakers]
        for peer in world.peers(group, "server", "absent"):
            name = world.name(peer)
            if peer in present or name not in held:
                continue
            plan[host]["remove"].append(name)
            why.append(dict(kind="server", peer=peer, item="ticket", state="revoked",
                            message="maprserverticket still holds a ticket for %s (%s), whose trust is revoked"
                                    % (name, peer)))
        plan[host]["changes"] = changes(why, shared=shared)
        if reasons:
            plan[host]["reasons"] = why
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
