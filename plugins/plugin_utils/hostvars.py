# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Reading another host's variables from a filter, where a value may be undefined or made from one."""

from ansible_collections.datafabric.crosscluster.plugins.module_utils import _trust_list as trust_list
from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import PIN_VAR

# The inventory variables a cluster's export is checked against (module_utils/_preflight.py).
INVENTORY_VARS = ("mapr_cluster_name", PIN_VAR)


def host_var(hostvars, host, name):
    """``hostvars[host][name]``, or None when it is not set or is set from something undefined."""
    try:
        value = hostvars[host].get(name)
        # ansible-core 2.19 hands back a marker for a value made from something undefined, and
        # comparing the marker raises: its type is looked at first, and all of it inside the try.
        return None if value is None or "Undefined" in type(value).__name__ else value
    except Exception:  # undefined, or defined from something undefined
        return None


def cluster_inventory(trusts, hostvars, groups):
    """``{group: {host: {mapr_cluster_name, mapr_ca_sha256}}}`` for every host of every cluster group.

    Read from the inventory, never from what a node reported: a peer's export is checked against
    these. With fact injection on (INJECT_FACTS_AS_VARS), a fact a node returned would shadow an
    inventory variable of the same name here; this read is trustworthy only because no action of
    the collection lets a node set a fact outside its own namespace (security_facts returns
    ``mapr_security`` alone, and names anything else the node sent for the preflight gate).
    """
    found = {}
    for group in trust_list.groups_in(trusts) if not trust_list.shape_problems(trusts) else []:
        found[group] = dict((h, dict((name, host_var(hostvars, h, name)) for name in INVENTORY_VARS))
                            for h in groups.get(group) or [])
    return found
