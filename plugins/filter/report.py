# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the drift report: Ansible's variables in, module_utils/_report.py does the work."""

from ansible.errors import AnsibleFilterError

from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _report as report,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils import (
    _trust_list as trust_list,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.compat import undefined_fails
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.hostvars import cluster_inventory
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.hostvars import host_var as _var

# A node's own failure message is shown in the report; this much of it is enough to act on.
MESSAGE_LIMIT = 300


def _message(result, default):
    text = " ".join(str(result.get("msg") or default).split())
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "..."


def _read(result):
    """(the result, why it holds nothing) of a registered read that may have been skipped or failed."""
    if not result or result.get("skipped"):
        return None, None
    if result.get("unreachable"):
        return None, "cannot be reached (%s)" % _message(result, "no message")
    if result.get("failed"):
        return None, _message(result, "the task failed without a message")
    return result, None


def _scope(trusts, groups):
    problems = trust_list.shape_problems(trusts)
    if problems:
        raise AnsibleFilterError(problems[0])
    return [h for group in trust_list.groups_in(trusts) for h in groups.get(group) or []]


def _realms(trusts, hostvars, groups):
    realms = {}
    for group in trust_list.groups_in(trusts):
        realm = next((_var(hostvars, h, "kerberos_realm") for h in groups.get(group) or []
                      if _var(hostvars, h, "kerberos_realm")), None)
        if realm:
            realms[group] = realm
    return realms


def drift_principals(trusts, group, hostvars, groups):
    """The cross-realm principals ``group``'s KDC is asked about (see module_utils/_report.py)."""
    _scope(trusts, groups)
    return report.principals_to_read(trusts, group, _realms(trusts, hostvars, groups))


def drift_report(trusts, hostvars, groups, play_hosts, expiry_days=30, min_validity="7d", cldb_suffix="_cldb",
                 now=None, gathered=None, held=None, kdc=None, user=None):
    """The drift report as data, from what the report role read on every node and KDC.

    ``gathered``, ``held``, ``kdc`` and ``user`` map hosts (``by_host``) to their registered
    ``security_facts`` result, ``maprlogin print`` result, ``krb5_principal_info`` result and their
    cluster's cross-cluster user.
    """
    missing = [name for name, value in (("gathered", gathered), ("held", held), ("kdc", kdc), ("user", user))
               if value is None]
    if missing:
        raise AnsibleFilterError("drift_report needs %s: what the report role read on each node, per host "
                                 "(by_host)" % ", ".join("%s=" % name for name in missing))
    nodes = {}
    # A set: the play's hosts arrive as a list, and a lookup per host in it would cost hosts x hosts.
    in_play = set(play_hosts)
    for host in _scope(trusts, groups):
        if host not in in_play or host in nodes:
            continue
        result, error = _read(gathered.get(host))
        facts = ((result or {}).get("ansible_facts") or {}).get("mapr_security")
        tickets, tickets_error = _read(held.get(host))
        nodes[host] = dict(facts=facts, error=error if not facts else None, user=user.get(host),
                           tickets=(tickets or {}).get("tickets"), tickets_error=tickets_error)
        if not facts and not error:
            nodes[host]["error"] = "its security facts were not gathered"
    kerberos = {}
    for group, realm in _realms(trusts, hostvars, groups).items():
        reads = [_read(kdc.get(h)) for h in groups.get(group) or [] if h in in_play]
        done = next((item for item in reads if item != (None, None)), (None, None))
        kerberos[group] = dict(realm=realm, principals=(done[0] or {}).get("principals"), error=done[1])
    try:
        return report.build(trusts, groups, nodes, kerberos, now, expiry_days, min_validity, cldb_suffix,
                            cluster_inventory(trusts, hostvars, groups))
    except CrossclusterError as err:
        raise AnsibleFilterError(str(err))


def drift_markdown(data):
    """The drift report rendered as Markdown."""
    if not isinstance(data, dict) or data.get("format") != report.FORMAT:
        raise AnsibleFilterError("drift_markdown needs the report that drift_report returns, not a %s"
                                 % type(data).__name__)
    return report.markdown(data)


class FilterModule:
    def filters(self):
        return dict((name, undefined_fails(function)) for name, function in {
            "drift_report": drift_report,
            "drift_markdown": drift_markdown,
            "drift_principals": drift_principals,
        }.items())
