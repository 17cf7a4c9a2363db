# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What the closing summary says of the run's plans: which nodes must receive or lose what, and why;
and which store formats each cluster's nodes keep their trust in (the summary and the drift report).

The plans (module_utils/_planner.py) carry, per node, the light form of their reasons (``changes``:
``[peer, item, state, message]`` each). On a fleet of thousands of nodes one line per node would
drown the summary, so the reasons are counted per cluster, kind, peer, item and state, with the first
few nodes and one example message: a bounded number of lines, in one pass over the plans (O(nodes x
peers)). Pure, so it is unit-tested without Ansible; the messages name clusters, users, aliases and
fingerprints, never a ticket or a password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils._planner import is_fips, truststore_names

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


# How the summary and the drift report name each truststore by its format.
STORE_FORMATS = {"ssl_truststore": "JKS", "ssl_truststore.p12": "PKCS12", "ssl_truststore.pem": "PEM",
                 "ssl_truststore.bcfks": "BCFKS"}


def store_format(facts):
    """``(label, stores)``: the truststores a node keeps its trust in (those of ``truststore_names`` that
    exist, the store of record first) and how a line names them, ``FIPS (BCFKS + PEM)`` on a FIPS node,
    ``JKS + PKCS12 + PEM`` on another; what the roles write there."""
    found, listed = (facts or {}).get("stores") or {}, (facts or {}).get("truststores") or {}
    stores = [name for name in truststore_names(facts) if (found.get(name) or listed.get(name) or {}).get("exists")]
    label = " + ".join(STORE_FORMATS[name] for name in stores) or "no truststore"
    return ("FIPS (%s)" % label if is_fips(facts) else label), stores


_EMPTY = {}


def store_formats(hosts, facts):
    """``[{format, fips, stores, nodes}]``: the nodes of ``hosts`` that reported ``facts`` (``{host:
    mapr_security}``), grouped by ``store_format``, in the order each format is first met.

    Each node's format is judged once per set of store files it has (a fleet has a few of them): the
    report and the summary ask for every node, and ``store_format`` per node was 6 % of the drift
    report at 16 x 1,000 nodes."""
    groups, judged = {}, {}
    for host in hosts:
        node = facts.get(host)
        if node is None:
            continue
        get = (node.get("stores") or _EMPTY).get
        key = tuple([(get(name) or _EMPTY).get("exists") for name in STORE_FORMATS])
        if key not in judged or not node.get("stores"):
            # Without the stores' facts, store_format falls back to the truststores listed: not shared.
            label, stores = store_format(node)
            judged[key] = (label, stores, is_fips(node))
        label, stores, fips = judged[key]
        entry = groups.get(label)
        if entry is None:
            entry = groups[label] = dict(format=label, fips=fips, stores=stores, nodes=[])
        entry["nodes"].append(host)
    return list(groups.values())


def formats_text(formats):
    """``FIPS (BCFKS + PEM): a2; JKS + PKCS12 + PEM: a1, a3, a4 and 997 more``: ``store_formats`` in one line."""
    return "; ".join("%s: %s" % (f["format"], named(f["nodes"][:EXAMPLES], len(f["nodes"]))) for f in formats)
