#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_facts_node
short_description: "Internal: the node half of security_facts - read a MapR node's files once"
version_added: 0.1.0
description:
  - "Internal: the node half of M(datafabric.crosscluster.security_facts), whose action runs this module on the
    node and does the rest on the controller. Not for playbooks; its options and return values are the
    interface between the two, and may change without deprecation. Use M(datafabric.crosscluster.security_facts)."
  - Reads, never changes, the node's C(mapr-clusters.conf), C(daemon.conf), C(roles/cldb),
    C(MapRBuildVersion), the FIPS flag of the kernel, the store formats in C(conf/), C(maprserverticket)'s
    attributes, the named users and the certificate blocks of C(ssl_keystore.pem) (never its key).
  - With O(read_stores), it also hands over the bytes of the three truststores and of
    C(mapr-clusters.conf), for the controller to open them; it never gets a truststore password.
  - With O(check_password), it checks the truststore password MapR keeps in C(conf/) against the JKS
    integrity digest of C(ssl_truststore) here, and returns only whether it opens it and where it was
    read from; the password never leaves the node.
options:
  mapr_home:
    description: The MapR installation directory. Every path is built from it.
    type: path
    default: /opt/mapr
  users:
    description: Users to look up in the node's user database.
    type: list
    elements: str
    default: []
  read_stores:
    description:
      - Also return the bytes of C(ssl_truststore), its two siblings and C(mapr-clusters.conf), in RV(store_data).
    type: bool
    default: false
  check_password:
    description:
      - Check the truststore password MapR keeps in C(conf/) (C(store-passwords.txt), else C(ssl-server.xml))
        against C(ssl_truststore), on the node. Only the answer and the file it came from are returned.
      - The files are readable by the cluster owner and root only, so the task needs C(become).
    type: bool
    default: false
  list_bcfks:
    description:
      - List C(ssl_truststore.bcfks), when the node has one (a FIPS node), with the node's keytool and the
        Bouncy Castle provider, in RV(bcfks_truststore). A node without one starts no JVM.
      - The password is O(bcfks_password), else the one MapR keeps in C(conf/) (as for O(check_password)); keytool
        reads it from a file of mode 0600 that is removed afterwards, never from its command line.
    type: bool
    default: false
  bcfks_password:
    description: The password of C(ssl_truststore.bcfks), for O(list_bcfks). Unset, the node's own is read in C(conf/).
    type: str
  fips_provider_path:
    description:
      - The provider jar keytool loads for O(list_bcfks). Unset, the one C(bc-fips-*.jar) under C(<mapr_home>/lib).
    type: path
  fips_provider_class:
    description: The provider class of O(fips_provider_path) for O(list_bcfks).
    type: str
    default: org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
  - datafabric.crosscluster.attributes.read_only
attributes:
  facts:
    support: full
seealso:
  - module: datafabric.crosscluster.security_facts
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
# Internal: playbooks use datafabric.crosscluster.security_facts, which runs this on the node.
- name: What the gather reads on the node, without the stores
  datafabric.crosscluster.security_facts_node:
    mapr_home: /opt/mapr
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    mapr_security:
      description:
        - The node's part of M(datafabric.crosscluster.security_facts)' fact of the same name (see there
          for each field) - all of it but C(truststores), C(own_ca), C(secret_tasks_refused) and
          C(foreign_facts), which the controller works out.
        - And C(keystore) - C(path), C(certificates) (the certificate blocks of C(ssl_keystore.pem), in
          file order, never its key) and C(error) - which the controller turns into C(own_ca) and drops.
      type: dict
      returned: always
store_data:
  description:
    - With O(read_stores), each of C(ssl_truststore), C(ssl_truststore.p12), C(ssl_truststore.pem) and
      C(mapr-clusters.conf), base64-encoded, or null when the file does not exist.
  returned: when O(read_stores) is true
  type: dict
bcfks_truststore:
  description:
    - With O(list_bcfks), C(ssl_truststore.bcfks) as keytool lists it - C(path), C(exists), C(sha256) of its bytes,
      C(entries) (each C(alias), C(type) and C(pem), the certificate only), C(error) (why keytool cannot open it)
      and C(provider) (C(path) and C(class)).
  returned: when O(list_bcfks) is true
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._bcfks_credential_store import NodeCredentialStore
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import FIPS_PROVIDER_CLASS
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import (
    bcfks_truststore,
    gather,
    store_bytes,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import check_truststore_password


def main():
    # The action plugin security_facts calls this and opens the stores on the controller.
    module = AnsibleModule(
        argument_spec=dict(
            mapr_home=dict(type="path", default="/opt/mapr"),
            users=dict(type="list", elements="str", default=[]),
            read_stores=dict(type="bool", default=False),
            # Whether the password MapR keeps here opens ssl_truststore; the password stays here.
            check_password=dict(type="bool", default=False),
            # Only keytool with the provider opens a FIPS node's truststore, so it is listed here.
            list_bcfks=dict(type="bool", default=False),
            bcfks_password=dict(type="str", no_log=True),
            fips_provider_path=dict(type="path"),
            fips_provider_class=dict(type="str", default=FIPS_PROVIDER_CLASS),
        ),
        supports_check_mode=True,
    )
    home = module.params["mapr_home"]
    try:
        facts = gather(home, fips_flag_path="/proc/sys/crypto/fips_enabled", users=module.params["users"])
    except CrossclusterError as err:
        module.fail_json(msg=str(err))
    extra = {}
    # A FIPS node's maprtrustcreds.bcfks, read by its JVM when no text source has the password: once for
    # the password check and the listing, and only on a node whose truststore keytool lists.
    credentials = NodeCredentialStore(home, module.run_command, module.params["fips_provider_path"],
                                      module.params["fips_provider_class"], tmp_root=module.tmpdir)
    open_bcfks = credentials.open if module.params["list_bcfks"] and facts["fips"] else None
    if module.params["read_stores"]:
        extra["store_data"] = store_bytes(os.path.join(home, "conf"))
    if module.params["check_password"]:
        try:
            facts["truststore_password_ok"], facts["truststore_password_source"] = check_truststore_password(
                os.path.join(home, "conf"), open_bcfks=open_bcfks)
        except CrossclusterError as err:
            facts["truststore_password_error"] = str(err)
    if module.params["list_bcfks"]:
        extra["bcfks_truststore"] = bcfks_truststore(
            home, module.run_command, module.params["bcfks_password"], module.params["fips_provider_path"],
            module.params["fips_provider_class"], tmp_root=module.tmpdir,
            credentials=credentials if open_bcfks else None)
    module.exit_json(changed=False, ansible_facts=dict(mapr_security=facts), **extra)


if __name__ == "__main__":
    main()
