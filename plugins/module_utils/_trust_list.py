# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""``crosscluster_trusts``: what is wrong with it, and the pairs it stands for.

The list holds pair entries (``clusters: [a, b]``) and mesh entries (``mesh: [a, b, c, ...]``,
every pair of the groups), each with a ``type`` and an optional ``state``. Everything else in the
collection reads the list through ``pairs()``, so a mesh and a pair mean the same thing everywhere.
An explicit pair entry overrides the same pair of a mesh: that is how one pair of a mesh is revoked
or narrowed to one kind.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

TRUST_TYPES = ("user", "server", "all")
STATES = ("present", "absent")
KEYS = ("clusters", "mesh", "type", "state")
TRUSTS_FIX = ("each entry is {clusters: [group_a, group_b], type: user|server|all} or {mesh: [group_a, group_b, "
              "...], type: ...}, with state: present (default) or absent")


def kinds_of(trust_type):
    return ("user", "server") if trust_type == "all" else (trust_type,)


def _groups_problem(where, key, groups, exactly_two):
    if (not isinstance(groups, list) or len(groups) < 2 or (exactly_two and len(groups) != 2)
            or not all(isinstance(g, str) and g for g in groups) or len(set(groups)) != len(groups)):
        if exactly_two:
            return "%s.clusters must name two different inventory groups, e.g. [cluster_a, cluster_b]" % where
        return "%s.mesh must name at least two different inventory groups, e.g. [cluster_a, cluster_b, " \
               "cluster_c]" % where
    return None


def shape_problems(trusts):
    """What is wrong with ``crosscluster_trusts`` itself, before the inventory is looked at."""
    if not isinstance(trusts, list):
        return ["crosscluster_trusts is a %s, not a list. Fix: %s" % (type(trusts).__name__, TRUSTS_FIX)]
    problems = []
    seen = {}
    for number, trust in enumerate(trusts, 1):
        where = "crosscluster_trusts[%d]" % number
        if not isinstance(trust, dict):
            problems.append("%s is a %s, not a mapping. Fix: %s" % (where, type(trust).__name__, TRUSTS_FIX))
            continue
        # YAML keys need not be strings (1:, true:): named as written, never a crash.
        unknown = sorted((str(key) for key in trust if key not in KEYS))
        if unknown:
            problems.append("%s has unknown keys %s. Fix: %s" % (where, ", ".join(unknown), TRUSTS_FIX))
        if ("clusters" in trust) == ("mesh" in trust):
            problems.append("%s needs either clusters (one pair) or mesh (every pair of its groups). Fix: %s"
                            % (where, TRUSTS_FIX))
            groups = None
        else:
            key = "clusters" if "clusters" in trust else "mesh"
            groups = trust[key]
            problem = _groups_problem(where, key, groups, key == "clusters")
            if problem:
                problems.append("%s. Fix: %s" % (problem, TRUSTS_FIX))
                groups = None
        if "type" not in trust:
            problems.append("%s has no type. Fix: say which trust to build: user, server or all (user and "
                            "server)" % where)
        elif trust["type"] not in TRUST_TYPES:
            problems.append("%s.type must be one of %s. Fix: %s" % (where, ", ".join(TRUST_TYPES), TRUSTS_FIX))
        if trust.get("state", "present") not in STATES:
            problems.append("%s.state must be present or absent. Fix: absent revokes the trust; leave state out "
                            "to build it" % where)
        for pair in _pairs_of(groups) if groups else []:
            key = (pair, "mesh" in trust)
            first = seen.get(key)
            if first is not None and not _complement(trusts[first - 1], trust):
                problems.append("%s lists %s and %s again (first in crosscluster_trusts[%d]). Fix: one entry "
                                "per pair (type all gives both kinds), or a present and an absent entry of "
                                "different kinds; a pair entry overrides the same pair of a mesh"
                                % (where, pair[0], pair[1], first))
            seen.setdefault(key, number)
    return problems


def _complement(first, second):
    """Two entries for one pair that keep one kind and revoke the other (user present, server absent)."""
    if first.get("state", "present") == second.get("state", "present"):
        return False
    if first.get("type") not in TRUST_TYPES or second.get("type") not in TRUST_TYPES:
        return True  # named by the type check already
    return not set(kinds_of(first["type"])) & set(kinds_of(second["type"]))


def _pairs_of(groups):
    return [tuple(sorted((a, b))) for i, a in enumerate(groups) for b in groups[i + 1:]]


# The pairs of the last few trust lists, by their repr: the plans ask for a group's peers once per node,
# and working the pairs out anew each time cost O(nodes x pairs) (a fleet's 16-cluster mesh is 120 pairs).
# Kept as tuples, so no caller can change what the next one gets.
_PAIRS = {}
_PAIRS_KEPT = 8


def _pairs_tuple(trusts):
    key = repr(trusts)
    found = _PAIRS.get(key)
    if found is None:
        found = tuple((tuple(item["clusters"]), item["type"], item["state"]) for item in _work_out_pairs(trusts))
        if len(_PAIRS) >= _PAIRS_KEPT:
            _PAIRS.clear()
        _PAIRS[key] = found
    return found


def pairs(trusts):
    """Every pair the list stands for: ``[{clusters: [a, b], type, state}]``, in list order.

    A mesh gives each pair of its groups in the order written; pair entries replace the same pair
    from a mesh, in the mesh's place (two of them when one keeps a kind and the other revokes one).
    Assumes ``shape_problems(trusts)`` is empty.
    """
    return [dict(clusters=list(clusters), type=kind, state=state) for clusters, kind, state in _pairs_tuple(trusts)]


def _work_out_pairs(trusts):
    explicit = {}
    for trust in trusts:
        if "clusters" in trust:
            explicit.setdefault(tuple(sorted(trust["clusters"])), []).append(trust)
    found = []
    done = set()
    for trust in trusts:
        groups = trust.get("clusters") or trust["mesh"]
        ordered = [groups] if "clusters" in trust else [[a, b] for i, a in enumerate(groups) for b in groups[i + 1:]]
        for clusters in ordered:
            key = tuple(sorted(clusters))
            if key in done:
                continue
            done.add(key)
            for entry in explicit.get(key, [trust]):
                found.append(dict(clusters=list(entry.get("clusters") or clusters), type=entry["type"],
                                  state=entry.get("state", "present")))
    return found


def pairs_any_kind(trusts):
    """One entry per pair, ``{clusters, state}``, kept when any kind of it is kept: for trust that does
    not depend on the kind (Kerberos), so a pair that keeps user trust and revokes server trust is kept."""
    found = {}
    for trust in pairs(trusts):
        key = tuple(sorted(trust["clusters"]))
        entry = found.setdefault(key, dict(clusters=trust["clusters"], state=trust["state"]))
        if trust["state"] == "present":
            entry["state"] = "present"
    return list(found.values())


def peers_of(trusts, group, kind, state="present"):
    """The groups ``group`` trusts for ``kind`` (user, server or any) with ``state`` (present, absent
    or any), both directions, in list order."""
    key = (repr(trusts), group, kind, state)
    if key not in _PEERS:
        if len(_PEERS) >= _PAIRS_KEPT * 64:
            _PEERS.clear()
        _PEERS[key] = tuple(_work_out_peers(trusts, group, kind, state))
    return list(_PEERS[key])


# peers_of's answers, by trust list, group, kind and state: asked once per node, worked out once per group.
_PEERS = {}


def _work_out_peers(trusts, group, kind, state):
    peers = []
    for (first, second), trust_type, trust_state in _pairs_tuple(trusts):
        if kind != "any" and kind not in kinds_of(trust_type) or state not in ("any", trust_state):
            continue
        peer = second if group == first else first if group == second else None
        if peer is not None and peer not in peers:
            peers.append(peer)
    return peers


def groups_in(trusts, state=None):
    """Every group named, in first-mention order; with ``state``, only those in a pair of that state."""
    found = []
    for clusters, _type, trust_state in _pairs_tuple(trusts):
        if state is not None and trust_state != state:
            continue
        for group in clusters:
            if group not in found:
                found.append(group)
    return found


def group_of(trusts, groups, host):
    """The first group named in ``trusts`` that holds ``host`` (its cluster), or None."""
    return next((g for g in groups_in(trusts) if host in (groups.get(g) or [])), None)


def group_index(trusts, groups):
    """``{host: group_of(trusts, groups, host)}`` for every host of a group named in ``trusts``, in one
    pass: for loops over every host, where group_of's scan of each group's hosts would cost O(nodes^2)."""
    index = {}
    for group in groups_in(trusts):
        for host in groups.get(group) or []:
            index.setdefault(host, group)
    return index
