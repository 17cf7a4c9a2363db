# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What the closing summary says of the run's plans: which nodes must receive or lose what, and why.

The plans (module_utils/_planner.py) carry, per node, the light form of their reasons (``changes``:
``[peer, item, state, message]`` each). On a fleet of thousands of nodes one line per node would
drown the summary, so the reasons are counted per cluster, kind, peer, item and state, with the first
few nodes and one example message: a bounded number of lines, in one pass over the plans (O(nodes x
peers)). Pure, so it is unit-tested without Ansible; the messages name clusters, users, aliases and
fingerprints, never a ticket or a password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# How many nodes a line names before it says "and N more".
EXAMPLES = 3

# How a line names each state of an item (module_utils/_planner.py sets them).
STATES = {
    "missing": "missing",
    "differs": "differs from the peer's",
    "stale": "old (no longer in the peer's chain)",
    "revoked": "of a revoked peer to remove",
    "expiring": "expiring",
    "expired": "expired",
    "other user": "for another user",
    "rotate": "made anew (rotate)",
}


def aggregate(plans, group_of):
    """``{(group, kind, peer): {(item, state): {nodes, examples, message}}}`` from ``plans``, pairs
    ``(kind, plan)`` of a kind of trust (``user``, ``server``) and a plan as the planner returns it
    (``{host: {changes, ...}}``); ``group_of(host)`` names a host's cluster group. ``nodes`` counts
    each node once however many of its items share the key (a peer's chain of two CAs); ``examples``
    are its first nodes, in the plan's order; ``message`` is the first node's."""
    found = {}
    for kind, plan in plans:
        for host, node in (plan or {}).items():
            group = None
            for peer, item, state, message in (node or {}).get("changes") or ():
                if group is None:
                    group = group_of(host)
                per = found.setdefault((group, kind, peer), {})
                entry = per.get((item, state))
                if entry is None:
                    entry = per[(item, state)] = dict(nodes=0, examples=[], message=message, last=None)
                # A node's items arrive together: comparing with the last node counted is enough.
                if entry["last"] == host:
                    continue
                entry["last"] = host
                entry["nodes"] += 1
                if len(entry["examples"]) < EXAMPLES:
                    entry["examples"].append(host)
    return found


def named(examples, count):
    """``a1, a2, a3 and 997 more``, or ``a1 and a2`` when it names them all."""
    if count > len(examples):
        return "%s and %d more" % (", ".join(examples), count - len(examples))
    if len(examples) > 1:
        return "%s and %s" % (", ".join(examples[:-1]), examples[-1])
    return examples[0] if examples else ""


def reason_lines(items, total, what="nodes"):
    """One line per item and state of one cluster, kind and peer (``items``: ``aggregate``'s value),
    ``total`` the number of ``what`` (nodes, CLDB nodes) of the cluster the summary counts."""
    lines = []
    for (item, state), entry in items.items():
        lines.append("    %s %s on %d of %d %s (%s): %s"
                     % (item, STATES.get(state, state), entry["nodes"], max(total, entry["nodes"]), what,
                        named(entry["examples"], entry["nodes"]), entry["message"]))
    return lines
