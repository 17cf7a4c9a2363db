#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: krb5_principal
short_description: Manage a principal in an MIT Kerberos KDC, such as a cross-realm krbtgt
version_added: 0.1.0
description:
  - Creates, re-keys or deletes a principal through C(kadmin.local) on the KDC host, or through
    C(kadmin) with an admin principal and its keytab.
  - Built for cross-realm trust. C(krbtgt/B.REALM@A.REALM) must exist in BOTH realms' databases with
    the same password, the same kvno and the same enctypes; run this module once against each KDC with
    the same O(password) and O(kvno).
  - The password goes to kadmin and ktutil on standard input only, never on a command line
    (no C(-pw)), and never into a return value, a log or a file.
  - Idempotent without re-keying. For an existing principal the keys the password gives are derived
    locally with C(ktutil), the stored keys are exported with C(ktadd -norandkey) into an anonymous
    in-memory file (a private temporary directory, removed at once, where memfd is unavailable), and
    the two are compared. Only when they differ is the password changed (C(cpw)).
  - There is no default password. Unlike the fixed well-known password of some vendor scripts, each
    trust gets the password you give, which should come from a vault.
options:
  principal:
    description:
      - The principal, for example V(krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM). Without C(@REALM), O(realm)
        or the default realm of the profile applies.
    type: str
    required: true
  state:
    description: Whether the principal should exist.
    type: str
    choices: [present, absent]
    default: present
  password:
    description:
      - The password the principal's keys are derived from. Required for O(state=present); there is no
        default.
      - One line of at most 1022 bytes (kadmin cuts longer lines silently).
    type: str
  kvno:
    description:
      - The key version number the principal must have. For cross-realm trust both KDCs need the same
        kvno, so set it.
      - Without it, a new principal gets kvno 1 and every password change adds one.
      - With O(keepold=true) the kvno can only go up, one C(cpw -keepold) at a time (at most 16 above the
        current kvno). A kvno below the current one fails, and so does the current one when the keys must
        change.
    type: int
  keepold:
    description:
      - When the keys change, keep the old ones (C(cpw -keepold)), so tickets issued under the old kvno
        stay valid until they expire. The new keys get the next kvno, or O(kvno).
      - MIT's C(modprinc -kvno) would give the old keys the new kvno too, so with O(keepold=true) the kvno is
        never set that way. It is reached by C(cpw -keepold), once per step; a step past the first leaves a
        copy of the new keys at the kvno in between, which no ticket uses.
      - Old keys are never removed by this option. Remove them, once the tickets issued under them have
        expired (the maximum renewable life), with C(kadmin purgekeys -keepkvno <new kvno> <principal>).
      - Without it (the default), a change of keys drops the old keys (C(cpw)), and so does a change of
        kvno alone (C(purgekeys), then C(modprinc -kvno)).
      - For rotating a cross-realm principal, run with the same new O(password), the same O(kvno) (one
        above the current kvno of both KDCs) and O(keepold=true) against both KDCs.
    type: bool
    default: false
  enctypes:
    description:
      - The enctypes the principal's keys must have, for example V(aes256-cts-hmac-sha1-96) and
        V(aes128-cts-hmac-sha1-96). kadmin's aliases (V(aes256-cts)) and a V(:normal) salt suffix are
        accepted; other salts are not.
      - Without it, a new principal gets the KDC's C(supported_enctypes), and an existing one is compared
        on the enctypes it has at its current kvno.
      - With it, the stored keys must be exactly these; extra or missing enctypes cause a password change.
    type: list
    elements: str
  attributes:
    description:
      - kadmin flags the principal must have, each as V(+flag) or V(-flag) (for example
        V(-requires_preauth), V(+ok_as_delegate)). Flags not listed are left as they are.
      - Defaults to V(-requires_preauth) for C(krbtgt/*) principals (a cross-realm krbtgt that requires
        preauth makes the KDC refuse the ticket request) and to no flags otherwise.
    type: list
    elements: str
extends_documentation_fragment:
  - datafabric.crosscluster.kadmin
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes
attributes:
  check_mode:
    details: Everything is compared read-only (getprinc, ktadd -norandkey, ktutil); nothing changes.
  diff_mode:
    details: Shows kvno, enctypes, attributes, the kvnos of old keys kept and whether the keys match; never a
      key or the password.
notes:
  - O(principal), O(realm), O(admin_principal), O(enctypes) and O(attributes) go on kadmin's command line and
    the password is read as one line from standard input, so a value that holds a control character (a newline,
    carriage return, tab, NUL or any other of U+0000-U+001F, U+007F-U+009F, U+2028 and U+2029) is refused (for
    O(password) without saying where or which). Names are limited to 1 KiB, O(password) to 1022 bytes.
  - Needs MIT Kerberos tools on the target; C(kadmin.local) (krb5-admin-server) for O(kadmin=local),
    C(kadmin) and C(ktutil) (krb5-user) in any case. Heimdal is not supported.
  - Keys are derived with the normal salt. A principal whose keys use another salt is re-keyed with the
    normal one.
  - Keys of older kvnos (left by C(cpw -keepold)) are not compared. They are kept with O(keepold=true) and
    removed by a change without it.
  - Without pipelining Ansible writes a module's arguments, the password among them, to a private temporary
    file on the target for the duration of the task. A task with O(password) therefore refuses to run
    where the module would not be pipelined, unless the host sets C(crosscluster_allow_module_files=true).
seealso:
  - name: MIT Kerberos cross-realm authentication
    description: How cross-realm krbtgt principals work.
    link: https://web.mit.edu/kerberos/krb5-latest/doc/admin/realm_config.html#cross-realm-authentication
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Trust from realm A to realm B, in A's KDC
  datafabric.crosscluster.krb5_principal:
    principal: krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM
    password: "{{ vault_trust_a_to_b_password }}"
    kvno: 1
    enctypes: [aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96]
  delegate_to: kdc.a.example.com

- name: The same principal, same password and kvno, in B's KDC
  datafabric.crosscluster.krb5_principal:
    principal: krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM
    realm: B.EXAMPLE.COM
    password: "{{ vault_trust_a_to_b_password }}"
    kvno: 1
    enctypes: [aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96]
  delegate_to: kdc.b.example.com

- name: Through kadmind, with an admin keytab
  datafabric.crosscluster.krb5_principal:
    principal: krbtgt/A.EXAMPLE.COM@B.EXAMPLE.COM
    password: "{{ vault_trust_b_to_a_password }}"
    kvno: 1
    kadmin: remote
    admin_principal: ansible/admin@B.EXAMPLE.COM
    admin_keytab: /etc/krb5kdc/ansible-admin.keytab

- name: Rotate the trust key in both KDCs; tickets issued under the old kvno (3) stay valid
  datafabric.crosscluster.krb5_principal:
    principal: krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM
    realm: "{{ item }}"
    password: "{{ vault_trust_a_to_b_new_password }}"
    kvno: 4
    keepold: true
    enctypes: [aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96]
  delegate_to: "{{ 'kdc.a.example.com' if item == 'A.EXAMPLE.COM' else 'kdc.b.example.com' }}"
  loop: [A.EXAMPLE.COM, B.EXAMPLE.COM]

- name: Revoke the trust
  datafabric.crosscluster.krb5_principal:
    principal: krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM
    state: absent
"""

RETURN = r"""
principal:
  description: The principal, as given.
  returned: always
  type: str
  sample: krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM
changes:
  description:
    - What differed, and was changed (or would be, in check mode). V(create), V(keys) (the stored keys were
      not the ones the password gives), V(kvno <old> -> <new>), V(attributes <flags>), V(delete).
  returned: always
  type: list
  elements: str
  sample: ["keys", "kvno 2 -> 1"]
kvno:
  description: The principal's kvno after the run (in check mode, what it would be).
  returned: when O(state=present)
  type: int
  sample: 1
enctypes:
  description: The enctypes of the principal's current keys after the run (in check mode, what they would be).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96]
attributes:
  description: The attributes set on the principal after the run, named as C(getprinc) shows them.
  returned: when O(state=present)
  type: list
  elements: str
  sample: [REQUIRES_PRE_AUTH]
old_kvnos:
  description:
    - The kvnos of older keys the principal still holds after the run (in check mode, would hold), such as
      the ones O(keepold) kept. Empty when it holds only its current keys.
  returned: when O(state=present)
  type: list
  elements: int
  sample: [3]
keys_match:
  description:
    - Whether the stored keys were the ones the password gives, as found before any change (false for a
      principal that did not exist).
  returned: when O(state=present)
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import refuse_bad_options, scrub
from ansible_collections.datafabric.crosscluster.plugins.module_utils._kadmin import (
    attribute_warnings,
    default_attributes,
    describe,
    ensure_absent,
    ensure_present,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._kadmin_cli import (
    KADMIN_ARGS,
    KADMIN_LIMITS,
    KADMIN_SECRETS,
    kadmin_for,
)


def run(module):
    p = module.params
    kadmin = kadmin_for(module, with_ktutil=p["state"] == "present")
    if p["state"] == "absent":
        changed, before, after = ensure_absent(kadmin, p["principal"], check_mode=module.check_mode)
        result = dict(changed=changed, principal=p["principal"], changes=["delete"] if changed else [])
    else:
        attributes = p["attributes"] if p["attributes"] is not None else default_attributes(p["principal"])
        for warning in attribute_warnings(p["principal"], attributes):
            module.warn(warning)
        changes, before, after = ensure_present(kadmin, p["principal"], p["password"], kvno=p["kvno"],
                                                enctypes=p["enctypes"], attributes=attributes, keepold=p["keepold"],
                                                check_mode=module.check_mode)
        result = dict(changed=bool(changes), principal=p["principal"], changes=changes, kvno=after["kvno"],
                      enctypes=after["enctypes"], attributes=after["attributes"], old_kvnos=after["old_kvnos"],
                      keys_match=bool(before.get("keys_match")))
    if module._diff:
        result["diff"] = dict(before=describe(before), after=describe(after))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            principal=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            password=dict(type="str", no_log=True),
            kvno=dict(type="int"),
            enctypes=dict(type="list", elements="str"),
            attributes=dict(type="list", elements="str"),
            keepold=dict(type="bool", default=False),
            **KADMIN_ARGS
        ),
        required_if=[("state", "present", ("password",)),
                     ("kadmin", "remote", ("admin_principal", "admin_keytab"))],
        supports_check_mode=True,
    )
    refuse_bad_options(module, KADMIN_LIMITS, KADMIN_SECRETS)
    try:
        result = run(module)
    except CrossclusterError as err:
        module.fail_json(msg=scrub(str(err), (module.params["password"],)))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
