#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_facts
short_description: Gather a MapR node's security facts (cluster, CLDBs, owner, FIPS, stores)
version_added: 0.1.0
description:
  - Reads, never changes, what cross-cluster security depends on, and sets the fact
    C(mapr_security) with it. The node's files are read in one module run.
  - With O(truststore_password), the node hands the bytes of C(ssl_truststore) and its two
    siblings to the controller, which opens them there (the password never reaches the node) and
    reports their entries, and works out the cluster's own CA chain.
  - The cluster's own CA chain is what issued its server certificate - the first certificate of
    C(ssl_keystore.pem), climbed issuer by issuer (each checked by signature) through the rest of
    that file and the truststore. Only the certificate blocks of C(ssl_keystore.pem) leave the node,
    never its key. A CA the truststore merely trusts is not part of it.
  - The cluster name, C(secure), the Kerberos fields and the CLDB hosts come from the first line of
    C(mapr-clusters.conf), which names the node's own cluster.
  - The owner and group come from C(conf/daemon.conf); the CLDB role from C(roles/cldb); the version
    from C(MapRBuildVersion); the FIPS state from the kernel and from BCFKS stores in C(conf/).
options:
  mapr_home:
    description: The MapR installation directory. Every path is built from it.
    type: path
    default: /opt/mapr
  users:
    description: Users to look up in the node's user database; RV(ansible_facts.mapr_security.users) says which exist.
    type: list
    elements: str
    default: []
  truststore_password:
    description:
      - The password of C(ssl_truststore) and C(ssl_truststore.p12). With it, the stores are opened
        on the controller and RV(ansible_facts.mapr_security.truststores) and
        RV(ansible_facts.mapr_security.own_ca) are filled in.
    type: str
  read_truststore_password:
    description:
      - Without O(truststore_password), read it on the node from where MapR keeps it -
        C(conf/store-passwords.txt) (7.x; C(ssl.server.truststore.password), else
        C(ssl.client.truststore.password)), else C(conf/ssl-server.xml) (older releases).
      - The password stays on the node. There it is checked against the JKS integrity digest of
        C(ssl_truststore) (RV(ansible_facts.mapr_security.truststore_password_ok)), and only that answer
        and the file it came from (RV(ansible_facts.mapr_security.truststore_password_source)) are
        returned; RV(ansible_facts.mapr_security.truststore_password_error) says why neither file had it.
      - The stores are then read on the controller without the password - the certificates of a JKS
        store (whose integrity the node checked) and of the PEM sibling. A PKCS12 store cannot be read
        without its password - its RV(ansible_facts.mapr_security.truststores) entries are then null;
        the write keeps it in step with C(ssl_truststore).
      - The files are readable by the cluster owner and root only, so the task needs C(become).
    type: bool
    default: false
  export_aliases:
    description:
      - Take the cluster's own CA from these C(ssl_truststore) aliases instead of the chain of
        C(ssl_keystore.pem), for clusters whose keystore holds no usable chain.
    type: list
    elements: str
    default: []
  fips_provider_path:
    description:
      - On a FIPS node (one with C(conf/ssl_truststore.bcfks)), the Bouncy Castle provider jar the node's keytool
        loads to list that store. Unset, the one C(bc-fips-*.jar) under C(<mapr_home>/lib).
      - The BCFKS store is listed on the node (one JVM start); nodes without one start none. With
        O(truststore_password), the password goes to that node (pipelined, as every task that carries a secret)
        and keytool reads it from a file of mode 0600 that is removed afterwards; with O(read_truststore_password)
        the node's own is used there - when only the Hadoop credential store C(conf/maprtrustcreds.bcfks) has it,
        the node's C(java) (beside its keytool, JDK 11 or later) reads it from that store with this provider,
        the secret on the JVM's standard input and output only.
    type: path
  fips_provider_class:
    description: The provider class of O(fips_provider_path).
    type: str
    default: org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
  - datafabric.crosscluster.attributes.read_only
attributes:
  facts:
    support: full
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Learn the node's cluster and stores
  datafabric.crosscluster.security_facts:
    mapr_home: "{{ mapr_home | default('/opt/mapr') }}"

- name: Learn the node's cluster, its truststores and its own CA chain
  datafabric.crosscluster.security_facts:
    truststore_password: "{{ mapr_truststore_password }}"
    users: [xcsuser]

- name: Say whether the node keeps its trust in BCFKS (a FIPS node) or in JKS, PKCS12 and PEM
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: {{ 'BCFKS' if _stores['ssl_truststore.bcfks'].exists else 'JKS' }}
      ({{ ansible_facts.mapr_security.fips_reasons | join('; ') or 'no FIPS sign' }})"
  vars:
    _stores: "{{ ansible_facts.mapr_security.stores }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    mapr_security:
      description: The node's security facts.
      type: dict
      returned: always
      contains:
        mapr_home:
          description: The installation directory read.
          type: str
        cluster_name:
          description: The node's own cluster, from the first line of C(mapr-clusters.conf).
          type: str
        conf_line:
          description: That first line, fields single-spaced; what a peer cluster copies.
          type: str
        secure:
          description: Whether the first line says C(secure=true).
          type: bool
        kerberos_enable:
          description: Whether the first line says C(kerberosEnable=true).
          type: bool
        cldb_principal:
          description: The first line's C(cldbPrincipal), or null.
          type: str
        cldb_https_port:
          description: The first line's C(cldbHttpsPort), or 7443.
          type: int
        cldb_hosts:
          description: The first line's CLDB hosts, as written.
          type: list
          elements: str
        clusters:
          description: Every cluster named in C(mapr-clusters.conf), in file order.
          type: list
          elements: str
        conf_lines:
          description: Every cluster line of C(mapr-clusters.conf), fields single-spaced, in file order.
          type: list
          elements: str
        truststore_password_source:
          description: With O(read_truststore_password), the file the truststore password was read from.
          type: str
          returned: when the password was read on the node
        truststore_password_ok:
          description:
            - With O(read_truststore_password), whether the password read on the node passes the JKS
              integrity check of C(ssl_truststore), checked there; null when C(ssl_truststore) is no JKS
              store (missing, or PKCS12), which the node cannot check, or when the password is sealed in
              C(conf/maprtrustcreds.jceks), which only the controller opens (when a write needs it).
          type: bool
          returned: when the password was read on the node
        truststore_password_error:
          description:
            - With O(read_truststore_password), why no password was found (every source named), or why the
              credential store that is the only source left cannot be opened.
          type: str
          returned: when no password was found on the node
        secret_tasks_refused:
          description:
            - Why the collection's tasks that carry a secret (passwords, tickets) would refuse to run on
              this host - pipelining is off, or cannot be used - or null when they would run (pipelined, or
              C(crosscluster_allow_module_files) is true). Worked out on the controller, for the preflight gate.
          type: str
        conf_sha256:
          description:
            - SHA-256 (hex) of C(mapr-clusters.conf) as read.
          type: str
        files_read:
          description:
            - The files whose bytes were read and kept on the controller for the rest of the run (the
              truststores and C(mapr-clusters.conf)), each path with the SHA-256 (hex) of its bytes, or
              null for a store that does not exist. Only when the stores were read (a truststore
              password given, or the node's own checked).
            - Handed to O(datafabric.crosscluster.peer_trust#module:based_on) or
              O(datafabric.crosscluster.truststore_import#module:based_on), it lets their write start
              from those bytes, without reading the node again; the user_trust role's plan carries it.
          type: dict
          returned: when the stores were read
        is_cldb:
          description: Whether C(roles/cldb) exists.
          type: bool
        owner:
          description: C(mapr.daemon.user) from C(conf/daemon.conf), or null.
          type: str
        group:
          description: C(mapr.daemon.group) from C(conf/daemon.conf), or null.
          type: str
        fips:
          description: Whether the node runs in FIPS mode (kernel FIPS flag, or a BCFKS store in C(conf/)).
          type: bool
        fips_reasons:
          description: What made RV(ansible_facts.mapr_security.fips) true.
          type: list
          elements: str
        version:
          description: The first line of C(MapRBuildVersion), or null.
          type: str
        stores:
          description:
            - For each of MapR's store files in C(conf/), whether it exists and its format
              (C(jks), C(pkcs12), C(pem), C(bcfks), C(jceks), C(empty), C(unknown)).
          type: dict
        maprlogin:
          description: Path of C(bin/maprlogin), or null when it is missing.
          type: str
        server_ticket:
          description:
            - What C(conf/maprserverticket) is like, never its content - C(path), C(exists), C(mode)
              (octal string), C(owner), C(group), C(cluster) (the cluster of its first line, the node's
              own) and C(error) (why it could not be read or parsed, or null).
          type: dict
        users:
          description: For each name in O(users), whether the node knows that user.
          type: dict
        truststores:
          description:
            - With O(truststore_password), per store file (C(ssl_truststore), C(ssl_truststore.p12),
              C(ssl_truststore.pem), and C(ssl_truststore.bcfks) on a FIPS node, listed there by keytool) -
              C(exists), C(sha256) (of the file, or null), C(store_type),
              C(entries) (alias, sha256, subject, issuer, not_before, not_after, type; null for a PKCS12 store
              read without its password, with O(read_truststore_password)) and C(error) (why it could not be
              opened, or null).
            - Empty without O(truststore_password) or O(read_truststore_password).
          type: dict
        own_ca:
          description:
            - The cluster's own CA chain, what the cluster hands to its peers - C(certificates) (each
              with sha256, subject, issuer, not_before, not_after and pem) and C(error) (why it is
              unknown, or null).
            - Only CA certificates (basicConstraints C(CA:true)); a chain that holds any other is an error.
          type: dict
        foreign_facts:
          description:
            - The names of any other facts the node returned besides C(mapr_security), which were dropped - a
              node sets no variable but this namespace (with fact injection on, it could otherwise override its
              own inventory variables). Empty for an unaltered node; the preflight gate refuses a node that
              returned any.
          type: list
          elements: str
"""
