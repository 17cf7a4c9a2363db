#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tcp_probe
short_description: Try many TCP ports from the node at once
version_added: 0.2.0
description:
  - Opens one TCP connection to each target, all in parallel, and closes it again; reports which answered
    within O(timeout) seconds. The whole call takes at most one timeout, however many targets there are.
  - Preflight uses it on the node that acts for each cluster, to try every peer cluster's CLDBs in one module
    call before anything changes.
  - It never fails for a target that does not answer; the caller decides what that means.
options:
  targets:
    description:
      - What to try, each a dict with C(host) (a name or an address) and C(port) (1-65535).
      - Any other keys, for example the cluster a target belongs to, are handed back unchanged in
        RV(probes), to group the results by.
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds to wait for each connection.
    type: int
    default: 5
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes.read_only
seealso:
  - module: ansible.builtin.wait_for
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Try every CLDB of the peer clusters at once
  datafabric.crosscluster.tcp_probe:
    targets:
      - {cluster: cluster-b, host: cldb1.b.example.com, port: 7222}
      - {cluster: cluster-b, host: cldb2.b.example.com, port: 7222}
    timeout: 5
  register: reach
"""

RETURN = r"""
probes:
  description: Each target as given (all its keys), in the same order, with whether it answered.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: As given.
      type: str
    port:
      description: As given.
      type: int
    reachable:
      description: Whether a connection opened within O(timeout) seconds.
      type: bool
    error:
      description: Why not, or null.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._tcp_probe import probe


def main():
    module = AnsibleModule(
        argument_spec=dict(
            targets=dict(type="list", elements="dict", required=True),
            timeout=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    try:
        probes = probe(module.params["targets"], module.params["timeout"])
    except CrossclusterError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, probes=probes)


if __name__ == "__main__":
    main()
