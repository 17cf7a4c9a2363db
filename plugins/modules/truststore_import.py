#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
# The work is done by the action plugin of the same name, on the controller.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: truststore_import
short_description: Import or remove trusted certificates in Java truststores (JKS, PKCS12, PEM)
version_added: 0.1.0
description:
  - Adds trusted certificates to a Java truststore, or removes them, the way C(keytool -importcert)
    would, but idempotently. A certificate already present under any alias (same SHA-256
    fingerprint) is not added again.
  - For MapR's C(ssl_truststore) it also keeps the siblings C(ssl_truststore.p12) (PKCS12) and
    C(ssl_truststore.pem) (PEM) that exist in step, each in its own format (O(companions)).
  - Runs on the controller (an action plugin with pyjks and cryptography). The node's store is
    read, changed here and written back atomically; the write is refused if the file changed in
    between, and then retried from a fresh read. Managed nodes need only Python 3.
  - The store password never leaves the controller.
  - Aliases are stored lower-case, as Java treats them case-insensitively. Entries the task does
    not name keep their content; a private-key entry is never changed or removed.
  - PKCS12 truststores are written with cryptography's C(serialize_java_truststore), so that
    C(keytool) sees C(trustedCertEntry) items (a certs-only PKCS12 written otherwise looks empty to Java).
options:
  path:
    description: Path of the truststore on the managed node.
    type: path
    required: true
  store_type:
    description:
      - Format of O(path). V(auto) decides by content (JKS magic, PKCS12 DER, PEM text).
      - A BCFKS store (FIPS mode) and a JCEKS store are refused with a clear message.
    type: str
    choices: [auto, jks, pkcs12, pem]
    default: auto
  password:
    description: Store password. Required for JKS and PKCS12 stores.
    type: str
  companions:
    description:
      - When O(path) is named C(ssl_truststore), also apply the change to C(ssl_truststore.p12) and
        C(ssl_truststore.pem) next to it, for those that exist.
      - A sibling loses the entries under the aliases O(remove) names, except its only copy of a
        certificate O(path) still trusts under another alias, and by fingerprint the certificates
        O(path) no longer holds (removed or replaced), as it may lack their aliases (a PEM store
        without C(friendlyName)). The three stores keep trusting the same certificates.
    type: bool
    default: true
  companion_password:
    description: Password of the C(.p12) sibling, when it differs from O(password).
    type: str
  certificates:
    description:
      - The certificates to import or remove.
      - With O(state=present), each item needs O(certificates[].alias) and O(certificates[].pem).
      - With O(state=absent), an item with a certificate or a fingerprint removes every entry with that
        fingerprint, whatever its alias; an item with only an alias removes that alias.
    type: list
    elements: dict
    suboptions:
      alias:
        description: Alias of the entry (stored lower-case).
        type: str
      pem:
        description: The certificate, as PEM text or as a path on the controller.
        type: str
      sha256:
        description: SHA-256 fingerprint, plain hex or C(keytool)'s C(AB:CD:...) form (O(state=absent) only).
        type: str
  remove:
    description:
      - Entries to remove in the same write, before O(certificates) are imported, so a node that gains
        one peer's CA and loses another's rewrites each store once.
      - An item with an alias removes the entry under that alias only, never another alias that holds
        the same certificate (such as one an administrator imported by hand), which keeps it trusted.
      - With both O(remove[].alias) and O(remove[].sha256), the fingerprint is checked. When the alias holds
        another certificate the task fails naming both fingerprints and changes no store, as the store
        changed since the fingerprint was read and removing the alias would drop a certificate nobody
        asked about.
      - An item with only a fingerprint removes every entry with that fingerprint, whatever its alias.
      - Siblings follow as O(companions) says.
      - May be given alone, without O(certificates), O(certificate) or O(alias).
    type: list
    elements: dict
    default: []
    suboptions:
      alias:
        description: Alias of the entry to remove.
        type: str
      sha256:
        description:
          - SHA-256 fingerprint, plain hex or C(keytool)'s C(AB:CD:...) form. With O(remove[].alias), the
            fingerprint the alias must hold; alone, the fingerprint of the entries to remove.
        type: str
  certificate:
    description: One certificate, as PEM text or a path on the controller; use with O(alias).
    type: str
  alias:
    description: Alias for O(certificate), or the alias to remove with O(state=absent).
    type: str
  state:
    description: Whether the certificates should be trusted.
    type: str
    choices: [present, absent]
    default: present
  on_alias_conflict:
    description:
      - What to do when the alias already holds a different certificate.
      - V(fail) stops with a message naming both fingerprints; V(replace) swaps the certificate.
    type: str
    choices: [fail, replace]
    default: fail
  create:
    description:
      - Create O(path) when it does not exist. The format then comes from O(store_type), or from
        the file name (C(.p12)/C(.pfx) PKCS12, C(.pem)/C(.crt) PEM, anything else JKS).
    type: bool
    default: false
extends_documentation_fragment:
  - datafabric.crosscluster.files
  - datafabric.crosscluster.files.based_on
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - datafabric.crosscluster.attributes
  - datafabric.crosscluster.attributes.action
attributes:
  diff_mode:
    details: The diff lists each changed store's entries as alias, type, SHA-256 and subject.
notes:
  - A certificate given in O(certificate) or O(certificates[].pem) that holds a private key block, and a PEM
    store (such as C(ssl_truststore.pem)) that holds one, are refused with an error naming the file and line;
    the key is never shown, kept in a rewrite or dropped silently. A key belongs in the keystore.
  - A PEM file that is not UTF-8 is refused, naming the file and the line of the first bad byte.
  - When M(datafabric.crosscluster.security_facts) read the same stores earlier in the run (with a truststore
    password), the import starts from those bytes and sends only its write, one module call on the node instead
    of two. The controller keeps the bytes in Ansible's local temporary directory for the run, named by their
    SHA-256. The write still refuses a file that changed since it was read; the import then reads it anew.
requirements:
  - pyjks and cryptography >= 45 on the controller.
seealso:
  - module: datafabric.crosscluster.truststore_info
  - module: datafabric.crosscluster.file_snapshot
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Trust cluster B's CA on every node of cluster A (all three sibling stores)
  datafabric.crosscluster.truststore_import:
    path: "{{ mapr_home }}/conf/ssl_truststore"
    password: "{{ mapr_truststore_password }}"
    certificates:
      - alias: b.example.com-5d1f0a6c2b9e
        pem: "{{ cluster_b_ca_pem }}"
    backup: true

- name: Import a CA from a file next to the playbook
  datafabric.crosscluster.truststore_import:
    path: /opt/mapr/conf/ssl_truststore
    password: "{{ mapr_truststore_password }}"
    certificate: files/partner-ca.pem
    alias: partner-ca

- name: Stop trusting a certificate by fingerprint, whatever its alias
  datafabric.crosscluster.truststore_import:
    path: /opt/mapr/conf/ssl_truststore
    password: "{{ mapr_truststore_password }}"
    state: absent
    certificates:
      - sha256: "5D:1F:0A:6C:2B:9E:..."
"""

RETURN = r"""
imported:
  description: Certificates added to O(path).
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias.
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
removed:
  description: Certificates removed from O(path) (also those replaced under O(on_alias_conflict=replace)).
  returned: always
  type: list
  elements: dict
already_present:
  description:
    - Certificates already present (same fingerprint), each with a C(reason).
    - Not called C(skipped), which Ansible reserves for skipped tasks.
  returned: always
  type: list
  elements: dict
store_type:
  description: Format of O(path).
  returned: always
  type: str
  sample: jks
stores:
  description:
    - One item per store handled (O(path), then its companions), each with C(path), C(store_type),
      C(changed), C(imported), C(removed), C(skipped) (certificates already present) and, when
      backed up, C(backup_file).
  returned: always
  type: list
  elements: dict
"""
