#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
# The work is done by the action plugin of the same name, on the controller.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: peer_trust
short_description: Trust peer clusters on a node in one write, their CA certificates and mapr-clusters.conf lines
version_added: 0.1.0
description:
  - What C(configure-crosscluster.sh create user) does to a node, for any number of peer clusters
    at once, and what a revoke undoes - the peers' CA certificates in C(ssl_truststore) and its
    siblings C(ssl_truststore.p12) and C(ssl_truststore.pem), and the peers' lines in
    C(mapr-clusters.conf).
  - The stores are edited as M(datafabric.crosscluster.truststore_import) does and
    C(mapr-clusters.conf) as M(datafabric.crosscluster.clusters_conf_entry) does, on the controller.
    All the files that change are written in one call on the node, only if none of them changed
    since it was read (compare-and-swap, retried from a fresh read). Everything is staged before
    the first file is replaced, and the stores are replaced before C(mapr-clusters.conf), so a
    node never names a cluster whose certificate it cannot verify.
  - When M(datafabric.crosscluster.security_facts) read the node earlier in the run (with the
    truststore password), the write starts from those bytes - one module call on the node.
  - The node's own cluster (the first line of C(mapr-clusters.conf)) is never changed or removed.
  - Use the two single-file modules for anything else (another store, a line built from fields,
    O(datafabric.crosscluster.truststore_import#module:on_alias_conflict)).
options:
  mapr_home:
    description: The MapR installation directory; the files are in its C(conf) directory.
    type: path
    default: /opt/mapr
  password:
    description:
      - The truststore password.
      - When omitted and the stores are to change, it is read on the node from where MapR keeps it
        (C(conf/store-passwords.txt), else C(conf/ssl-server.xml), else the Hadoop credential store
        C(conf/maprtrustcreds.jceks), which the controller decodes), which costs one more call on the
        node; RV(truststore_password_source) names the file. The task then needs C(become).
      - That password comes to the controller in that one call only, run with C(no_log) whatever the
        task says (no connection plugin prints its reply, even at -vvvv), and is never returned.
    type: str
  companion_password:
    description: Password of C(ssl_truststore.p12), when it differs from O(password).
    type: str
  certificates:
    description:
      - The peers' CA certificates to trust. One already present (same SHA-256) is not added again;
        an alias that holds a different certificate fails the task.
      - The stores are read only when this or O(certificates_remove) is given.
    type: list
    elements: dict
    default: []
    suboptions:
      alias:
        description: Alias of the entry (stored lower-case). Needed.
        type: str
      pem:
        description: The certificate, PEM text. Needed.
        type: str
      sha256:
        description: Its SHA-256 fingerprint, as a plan may carry it; optional.
        type: str
  certificates_remove:
    description:
      - Entries to remove before O(certificates) are added, as
        O(datafabric.crosscluster.truststore_import#module:remove) of truststore_import.
      - By alias - another alias holding the same certificate, such as one an administrator imported by
        hand, stays, and the certificate stays trusted in all three stores. With O(certificates_remove[].sha256)
        the fingerprint is checked; an alias that holds another certificate fails the task and changes
        no file (the store changed since it was read; a re-run plans from a fresh read).
    type: list
    elements: dict
    default: []
    suboptions:
      alias:
        description: Alias of the entry to remove.
        type: str
      sha256:
        description:
          - With O(certificates_remove[].alias), the fingerprint the alias must hold; alone, the fingerprint of the
            entries to remove, whatever their alias.
        type: str
  lines:
    description:
      - Whole C(mapr-clusters.conf) lines of the peers, as their nodes hold them as their first line.
        A peer's line that differs replaces the old one where it stands; a new one goes after the
        last cluster line.
    type: list
    elements: str
    default: []
  remove:
    description: Names of clusters whose lines go from C(mapr-clusters.conf), after O(lines) are set.
    type: list
    elements: str
    default: []
  backup:
    description: Keep each replaced file as a timestamped hard link next to it.
    type: bool
    default: false
  fips:
    description:
      - Whether the node's truststore of record is C(conf/ssl_truststore.bcfks) (a FIPS node), which only the
        node's C(keytool) with the Bouncy Castle FIPS provider opens.
      - Then O(certificates) and O(certificates_remove) go into that store, as
        M(datafabric.crosscluster.truststore_bcfks) puts them, and into its sibling C(ssl_truststore.pem) when
        it exists, edited here; C(ssl_truststore) and C(ssl_truststore.p12) are not read. keytool changes a
        private copy of the store on the node within the same write as the PEM store and C(mapr-clusters.conf);
        every file is staged, checked against the bytes read, and replaced (the BCFKS store first) or none is.
      - O(password), when given, goes to the node (in a file of mode 0600 for keytool, never on a command line);
        when omitted, the node uses its own (C(store-passwords.txt), C(ssl-server.xml) or
        C(maprtrustcreds.bcfks)), which never leaves it.
    type: bool
    default: false
  provider_path:
    description:
      - With O(fips=true), the provider jar. When omitted, the one C(bc-fips-*.jar) under C(<mapr_home>/lib).
    type: path
  provider_class:
    description: With O(fips=true), the provider class in O(provider_path).
    type: str
    default: org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider
  keytool:
    description:
      - With O(fips=true), the keytool to run on the node. When omitted, C(keytool) on the PATH, else
        C($JAVA_HOME/bin/keytool).
    type: path
extends_documentation_fragment:
  - datafabric.crosscluster.files.based_on
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - datafabric.crosscluster.attributes
  - datafabric.crosscluster.attributes.action
attributes:
  diff_mode:
    details:
      - One diff per changed file - each store's entries (alias, type, SHA-256, subject), and the
        text of C(mapr-clusters.conf).
notes:
  - The files keep their mode and owner. C(mapr-clusters.conf) and the primary store must exist; a
    missing sibling store is left missing.
  - O(password), when given, never leaves the controller - the node hands over the stores' bytes and
    the controller edits them. Without O(password), the node reads its own password (C(conf/store-passwords.txt),
    else C(conf/ssl-server.xml), else C(conf/maprtrustcreds.jceks), which the controller decodes) in one
    M(datafabric.crosscluster.file_snapshot) call run with C(no_log), and that call's reply brings it to the
    controller, which opens and edits the stores with it; it is never sent back to the node and never returned.
  - A C(mapr-clusters.conf) whose lines end with CRLF (Windows line ends) keeps them, and a line added ends
    with CRLF too; the task then warns, naming the inventory host and the file, so it can be converted with
    C(dos2unix).
  - With O(fips=true), a change of the store costs a few C(keytool) JVMs on the node (see
    M(datafabric.crosscluster.truststore_bcfks)); a listing alone when nothing is to change, none when neither
    O(certificates) nor O(certificates_remove) is given.
requirements:
  - pyjks and cryptography >= 45 on the controller.
  - With O(fips=true), keytool (a JDK) and the Bouncy Castle FIPS provider jar on the node.
seealso:
  - module: datafabric.crosscluster.truststore_import
  - module: datafabric.crosscluster.clusters_conf_entry
  - module: datafabric.crosscluster.security_facts
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Trust cluster B on every node of cluster A
  datafabric.crosscluster.peer_trust:
    password: "{{ mapr_truststore_password }}"
    certificates:
      - alias: b.example.com-5d1f0a6c2b9e
        pem: "{{ cluster_b_ca_pem }}"
    lines:
      - "b.example.com secure=true cldb-b1:7222 cldb-b2:7222"
    backup: true

- name: Stop trusting cluster C (its line and its CA)
  datafabric.crosscluster.peer_trust:
    password: "{{ mapr_truststore_password }}"
    certificates_remove:
      - alias: c.example.com-0a1b2c3d4e5f
    remove: [c.example.com]
"""

RETURN = r"""
truststore:
  description:
    - What changed in the stores, as M(datafabric.crosscluster.truststore_import) returns it
      (C(path), C(store_type), C(imported), C(removed), C(already_present), C(stores)).
    - With O(fips=true), C(path) is the BCFKS store's (C(store_type=bcfks)), and C(entries) and C(provider)
      are as M(datafabric.crosscluster.truststore_bcfks) returns them.
  returned: when O(certificates) or O(certificates_remove) is given
  type: dict
truststore_password_source:
  description: Without O(password), the file on the node the password was read from.
  returned: when the password was read on the node
  type: str
conf:
  description: C(mapr-clusters.conf) after the edit.
  returned: always
  type: dict
  contains:
    path:
      description: Its path.
      type: str
    changed:
      description: Whether it changed.
      type: bool
    clusters:
      description: Every cluster it names, in file order.
      type: list
      elements: str
    local_cluster:
      description: The node's own cluster, its first line.
      type: str
    backup_file:
      description: Where its previous content was kept, with O(backup=true).
      type: str
      returned: when backed up
"""
