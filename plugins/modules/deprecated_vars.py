#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: deprecated_vars
short_description: "Internal: name the deprecated variables a play's hosts set, as Ansible deprecation warnings"
version_added: 0.2.0
description:
  - "Internal: the preflight role runs it once per run, to warn about the per-role variable names that
    C(crosscluster_mapr_home), C(crosscluster_cldb_group_suffix) and C(crosscluster_kdc_group_suffix)
    replace. Not for playbooks; its options and return values may change without deprecation."
  - An action that runs on the controller only. No connection is opened and nothing is sent to a host.
  - Each name of O(renamed) set for any host of O(hosts) (in the inventory, or with C(-e)) becomes one
    entry of the task result's standard C(deprecations), which Ansible prints as a
    C([DEPRECATION WARNING]), naming the new variable, the release that removes the old name and a
    few of the hosts. Ansible prints nothing when C(deprecation_warnings) is off.
  - Only the names of each host's variables are looked at, before templating. No value is read,
    templated or returned.
options:
  renamed:
    description: Each deprecated variable name, mapped to the name that replaces it.
    type: dict
    required: true
  hosts:
    description: The hosts whose variables are looked at, normally C(ansible_play_hosts).
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - datafabric.crosscluster.attributes.read_only
  - datafabric.crosscluster.attributes.action
attributes:
  platform:
    details: It runs on the controller; the host it is run for is not contacted.
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
# Internal: the preflight role runs it (roles/preflight/tasks/deprecated.yml).
- name: Warn about deprecated variable names
  datafabric.crosscluster.deprecated_vars:
    renamed:
      preflight_mapr_home: crosscluster_mapr_home
    hosts: "{{ ansible_play_hosts }}"
  run_once: true
"""

RETURN = r"""
names:
  description: The names of O(renamed) that at least one host of O(hosts) sets, sorted.
  returned: always
  type: list
  elements: str
"""
