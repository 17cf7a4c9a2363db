# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Reading another host's variables from a filter, where a value may be undefined or made from one."""


def host_var(hostvars, host, name):
    """``hostvars[host][name]``, or None when it is not set or is set from something undefined."""
    try:
        value = hostvars[host].get(name)
        # ansible-core 2.19 hands back a marker for a value made from something undefined, and
        # comparing the marker raises: its type is looked at first, and all of it inside the try.
        return None if value is None or "Undefined" in type(value).__name__ else value
    except Exception:  # undefined, or defined from something undefined
        return None


def gathered_facts(hostvars, host):
    """The ``mapr_security`` facts security_facts gathered on ``host``, or None.

    Read from ``ansible_facts``, never as a top-level variable: ansible-core 2.24 stops injecting
    facts as variables (INJECT_FACTS_AS_VARS).
    """
    return (host_var(hostvars, host, "ansible_facts") or {}).get("mapr_security")
