#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: krb5_principal_info
short_description: Read principals of an MIT KDC, optionally with digests of their keys
version_added: 0.1.0
description:
  - Reports whether principals exist in a KDC's database, with their kvno, enctypes and attributes.
  - With O(digest_nonce), also an HMAC-SHA256 of each stored key at the current kvno. Two KDCs asked
    with the same nonce give equal digests exactly when they hold the same keys, which is what
    cross-realm trust needs (C(krbtgt/B@A) equal in both KDCs), and no key or password leaves the host.
    The keys are exported with C(ktadd -norandkey) into memory; nothing is re-keyed.
options:
  principals:
    description: The principals to read, for example C(krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM).
    type: list
    elements: str
    required: true
  digest_nonce:
    description:
      - A random value chosen for this comparison; when set, RV(principals.key_digests) is returned.
      - Use a new one per run, so that digests cannot be matched across runs.
      - A secret (C(no_log)) - with the digests it returns, it would allow guessing a weak key's password
        offline. It never leaves the module - it keys an HMAC computed in Python - and is never shown, not
        even in the message that refuses it.
    type: str
extends_documentation_fragment:
  - datafabric.crosscluster.kadmin
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes.read_only
notes:
  - Each of O(principals), O(realm) and O(admin_principal) goes on kadmin's command line, so a value that holds
    a control character (a newline, carriage return, tab, NUL or any other of U+0000-U+001F, U+007F-U+009F,
    U+2028 and U+2029), or is longer than 1 KiB, is refused. O(digest_nonce) goes on no command line; it is
    held to the same limits, and its refusal does not show it.
seealso:
  - module: datafabric.crosscluster.krb5_principal
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Do both KDCs hold the same krbtgt/B@A?
  datafabric.crosscluster.krb5_principal_info:
    principals: [krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM]
    realm: A.EXAMPLE.COM
    digest_nonce: "{{ nonce }}"
  register: kdc_a
"""

RETURN = r"""
principals:
  description: For each principal asked for, what the KDC holds.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the principal exists.
      type: bool
    kvno:
      description: Its key version number.
      type: int
    enctypes:
      description: The enctypes of its current keys.
      type: list
      elements: str
    attributes:
      description: Its attributes, as C(getprinc) names them.
      type: list
      elements: str
    key_digests:
      description: With O(digest_nonce), enctype mapped to an HMAC-SHA256 (keyed by the nonce) of the stored key.
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import refuse_bad_options
from ansible_collections.datafabric.crosscluster.plugins.module_utils._kadmin import principal_info
from ansible_collections.datafabric.crosscluster.plugins.module_utils._kadmin_cli import (
    KADMIN_ARGS,
    KADMIN_LIMITS,
    KADMIN_SECRETS,
    kadmin_for,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            principals=dict(type="list", elements="str", required=True),
            digest_nonce=dict(type="str", no_log=True),
            **KADMIN_ARGS
        ),
        required_if=[("kadmin", "remote", ("admin_principal", "admin_keytab"))],
        supports_check_mode=True,
    )
    refuse_bad_options(module, KADMIN_LIMITS, KADMIN_SECRETS)
    try:
        kadmin = kadmin_for(module)
        found = dict((name, principal_info(kadmin, name, module.params["digest_nonce"]))
                     for name in module.params["principals"])
    except CrossclusterError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, principals=found)


if __name__ == "__main__":
    main()
