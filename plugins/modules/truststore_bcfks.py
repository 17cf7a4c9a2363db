#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: truststore_bcfks
short_description: Import or remove trusted certificates in a FIPS node's BCFKS truststore, with the node's keytool
version_added: 0.2.0
description:
  - Adds trusted certificates to a BCFKS truststore (C(ssl_truststore.bcfks) of a FIPS-enabled node), or removes
    them, idempotently. A certificate already present under any alias (same SHA-256 fingerprint) is not added again.
  - Runs on the node. No Python library reads BCFKS, so the node's C(keytool) does, with the Bouncy Castle
    FIPS provider jar MapR ships under C(<mapr_home>/lib) (C(bc-fips-*.jar)), or the one O(provider_path) names.
  - The store password reaches keytool in a file of mode 0600 in a private directory removed afterwards
    (C(-storepass:file)), never on a command line, in a message or in the result.
  - keytool changes a copy of the store in that private directory; the new bytes then replace the store
    atomically under the directory lock, and only if the store did not change since it was read. A keytool
    that fails half-way leaves the store as it was.
  - The same rules as M(datafabric.crosscluster.truststore_import). Aliases are stored lower-case, an alias
    holding another certificate is an error unless O(on_alias_conflict=replace), key entries are never changed,
    O(remove) is applied before O(certificates).
  - With neither O(certificates) nor O(remove), it only lists the store in RV(entries).
  - This module changes only the BCFKS store; the PEM sibling C(ssl_truststore.pem) is
    M(datafabric.crosscluster.truststore_import)'s. M(datafabric.crosscluster.peer_trust) with
    O(datafabric.crosscluster.peer_trust#module:fips=true) changes the BCFKS store (with this module's code), its
    PEM sibling and C(mapr-clusters.conf) in one write, as the role user_trust does.
options:
  path:
    description: Path of the BCFKS truststore on the node, such as C(/opt/mapr/conf/ssl_truststore.bcfks).
    type: path
    required: true
  password:
    description:
      - The store password (C(ssl.client.truststore.password) of C(store-passwords.txt)).
      - When omitted, the one MapR keeps in the store's directory (C(store-passwords.txt), else
        C(ssl-server.xml), else the Hadoop credential store C(maprtrustcreds.bcfks), which the node's
        C(java) beside O(keytool) reads with the provider jar) is read on the node and never leaves it.
    type: str
  certificates:
    description: Certificates the store must trust, each with its alias.
    type: list
    elements: dict
    default: []
    suboptions:
      alias:
        description: Alias of the entry (stored lower-case).
        type: str
        required: true
      pem:
        description: The certificate, as PEM text (one C(CERTIFICATE) block; a private key block is refused).
        type: str
        required: true
  remove:
    description:
      - Entries to remove, before O(certificates) are imported.
      - An item with an alias removes the entry under that alias only. With O(remove[].sha256) as well, the
        alias must hold that certificate, else the task fails and changes nothing.
      - An item with only a fingerprint removes every entry with that fingerprint, whatever its alias.
    type: list
    elements: dict
    default: []
    suboptions:
      alias:
        description: Alias of the entry to remove.
        type: str
      sha256:
        description: SHA-256 fingerprint, plain hex or C(keytool)'s C(AB:CD:...) form.
        type: str
  on_alias_conflict:
    description:
      - What to do when the alias already holds a different certificate.
      - V(fail) stops with a message naming both fingerprints; V(replace) swaps the certificate.
    type: str
    choices: [fail, replace]
    default: fail
  mapr_home:
    description: The MapR installation directory, whose C(lib) holds the provider jar.
    type: path
    default: /opt/mapr
  provider_path:
    description:
      - The provider jar. When omitted, the one C(bc-fips-*.jar) under C(<mapr_home>/lib); none or several
        there is an error naming the directory.
    type: path
  provider_class:
    description: The provider class in O(provider_path).
    type: str
    default: org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider
  keytool:
    description: The keytool to run. When omitted, C(keytool) on the PATH, else C($JAVA_HOME/bin/keytool).
    type: path
  based_on:
    description:
      - "The files a plan was made from, as M(datafabric.crosscluster.security_facts) returns them in
        C(files_read): each path with the SHA-256 of its bytes."
      - When O(path) is named and the store's bytes now have another SHA-256, the task fails with
        RV(conflict) and changes nothing, so a plan made from other bytes is never applied.
    type: dict
extends_documentation_fragment:
  - datafabric.crosscluster.files
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes
attributes:
  check_mode:
    details: keytool only lists a copy of the store; nothing is written.
  diff_mode:
    details: The diff lists the store's entries as alias, type, SHA-256 and subject, before and after.
notes:
  - Each keytool call starts a JVM (about a second); a change costs a listing, one call per removed or
    imported entry and a last listing that checks keytool's result against the plan.
  - The task needs C(become) when the store or its directory belongs to another user (C(mapr)).
requirements:
  - keytool (a JDK) and the Bouncy Castle provider jar on the node.
seealso:
  - module: datafabric.crosscluster.truststore_import
  - module: datafabric.crosscluster.security_facts
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Trust cluster B's CA in a FIPS node's BCFKS truststore
  datafabric.crosscluster.truststore_bcfks:
    path: /opt/mapr/conf/ssl_truststore.bcfks
    password: "{{ mapr_truststore_password }}"
    certificates:
      - alias: b.example.com-5d1f0a6c2b9e
        pem: "{{ cluster_b_ca_pem }}"
    backup: true
  become: true

- name: Stop trusting an old CA by fingerprint, whatever its alias
  datafabric.crosscluster.truststore_bcfks:
    path: /opt/mapr/conf/ssl_truststore.bcfks
    password: "{{ mapr_truststore_password }}"
    remove:
      - sha256: "5D:1F:0A:6C:2B:9E:..."
  become: true
"""

RETURN = r"""
imported:
  description: Certificates added, each with C(alias), C(sha256), C(subject) and C(issuer).
  returned: success
  type: list
  elements: dict
removed:
  description: Certificates removed (also those replaced under O(on_alias_conflict=replace)).
  returned: success
  type: list
  elements: dict
already_present:
  description: Certificates of O(certificates) already in the store (same fingerprint), each with a C(reason).
  returned: success
  type: list
  elements: dict
entries:
  description:
    - The store's entries after the change (in check mode, as they would be).
    - Each with C(alias), C(type), C(sha256), C(subject) and C(issuer).
  returned: success
  type: list
  elements: dict
backup_file:
  description: Where the previous store was kept, with O(backup=true) and a change.
  returned: success
  type: str
provider:
  description: The provider keytool loaded, as C(path) and C(class).
  returned: always
  type: dict
conflict:
  description: Whether the store had changed since it was read (or since O(based_on)), so nothing was written.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_LINE,
    MAX_NAME,
    MAX_SECRET,
    refuse_bad_options,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import (
    FIPS_PROVIDER_CLASS,
    Change,
    StoreChanged,
    find_provider,
    requests,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import Attributes
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import node_keytool
from ansible_collections.datafabric.crosscluster.plugins.module_utils._text_module import FILE_ARGS

LIMITS = dict(password=MAX_SECRET, certificates=dict(alias=MAX_NAME), remove=dict(alias=MAX_NAME, sha256=MAX_NAME),
              provider_class=MAX_NAME, path=MAX_LINE, provider_path=MAX_LINE, keytool=MAX_LINE)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            password=dict(type="str", no_log=True),
            certificates=dict(type="list", elements="dict", default=[], options=dict(
                alias=dict(type="str", required=True),
                pem=dict(type="str", required=True),
            )),
            remove=dict(type="list", elements="dict", default=[], options=dict(
                alias=dict(type="str"),
                sha256=dict(type="str"),
            )),
            on_alias_conflict=dict(type="str", choices=["fail", "replace"], default="fail"),
            mapr_home=dict(type="path", default="/opt/mapr"),
            provider_path=dict(type="path"),
            provider_class=dict(type="str", default=FIPS_PROVIDER_CLASS),
            keytool=dict(type="path"),
            based_on=dict(type="dict"),
            **FILE_ARGS
        ),
        supports_check_mode=True,
    )
    refuse_bad_options(module, LIMITS, secrets=("password",))
    params = module.params
    provider = None
    try:
        provider = find_provider(params["mapr_home"], params["provider_path"], params["provider_class"])
        keytool = node_keytool(params["path"], params, module.run_command, module.tmpdir, provider)
        imports, removals = requests(params["certificates"], params["remove"])
        change = Change(keytool, imports, removals, params["on_alias_conflict"], params["based_on"],
                        Attributes(params["mode"], params["owner"], params["group"]), params["backup"],
                        module.check_mode, tmp_root=module.tmpdir).run()
    except CrossclusterError as err:
        module.fail_json(msg=str(err), conflict=isinstance(err, StoreChanged),
                         provider=provider.as_dict() if provider else None)
    result = dict(change.result(), provider=provider.as_dict(), conflict=False)
    if module._diff:
        result["diff"] = change.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
