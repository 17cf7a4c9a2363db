#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
# The work is done by the action plugin of the same name, on the controller.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: truststore_info
short_description: List the certificates in a Java truststore (JKS, PKCS12 or PEM)
version_added: 0.1.0
description:
  - Reads a truststore on the managed node and lists its entries with their fingerprints and
    validity, for reports, expiry checks and drift between MapR's sibling stores.
  - Runs on the controller (an action plugin with pyjks and cryptography); the node only hands
    over the file. The store password never leaves the controller.
options:
  path:
    description: Path of the store on the managed node.
    type: path
    required: true
  store_type:
    description: Format of O(path); V(auto) decides by content.
    type: str
    choices: [auto, jks, pkcs12, pem]
    default: auto
  password:
    description: Store password. Required for JKS and PKCS12 stores.
    type: str
  companions:
    description: When O(path) is named C(ssl_truststore), also list C(ssl_truststore.p12) and C(ssl_truststore.pem).
    type: bool
    default: false
  companion_password:
    description: Password of the C(.p12) sibling, when it differs from O(password).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - datafabric.crosscluster.attributes.read_only
  - datafabric.crosscluster.attributes.action
notes:
  - A PEM store that holds a private key is refused with an error naming the file and line (a truststore
    holds certificates only; the key is never shown). Point O(path) at truststores, not keystores.
  - A PEM store that is not UTF-8 is refused, naming the file and the line of the first bad byte.
requirements:
  - pyjks and cryptography >= 45 on the controller.
seealso:
  - module: datafabric.crosscluster.truststore_import
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Certificates that expire within 30 days
  datafabric.crosscluster.truststore_info:
    path: "{{ mapr_home }}/conf/ssl_truststore"
    password: "{{ mapr_truststore_password }}"
  register: trust

- name: Show them
  ansible.builtin.debug:
    msg: "{{ trust.entries | selectattr('not_after', '<', soon) | map(attribute='alias') }}"
  vars:
    soon: "{{ '%Y-%m-%dT%H:%M:%S' | strftime(now().timestamp() + 30 * 86400) }}"
"""

RETURN = r"""
entries:
  description: The entries of O(path) that carry a certificate, in store order.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias (null for a PEM block without a friendlyName).
      type: str
    type:
      description: C(trusted) or C(private_key).
      type: str
    sha256:
      description: SHA-256 fingerprint, lower-case hex.
      type: str
    subject:
      description: Subject, RFC 4514.
      type: str
    issuer:
      description: Issuer, RFC 4514.
      type: str
    not_before:
      description: Start of validity, ISO 8601 UTC.
      type: str
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
    pem:
      description: The certificate in PEM.
      type: str
store_type:
  description: Format of O(path).
  returned: always
  type: str
stores:
  description: With O(companions), one item per store found, each with C(path), C(store_type) and C(entries).
  returned: always
  type: list
  elements: dict
"""
