# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""How the Kerberos modules reach a KDC's database: kadmin.local on the KDC, or kadmin with a keytab."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  realm:
    description:
      - The realm whose database to change (C(kadmin -r)); with O(kadmin=remote), also the realm whose
        C(admin_server) is contacted.
      - Defaults to the profile's C(default_realm), normally the KDC's own realm on a KDC host. Note that it
        is not the realm part of the principal's name. C(krbtgt/B.EXAMPLE.COM@A.EXAMPLE.COM) lives in both
        databases, so on B's KDC O(realm) is C(B.EXAMPLE.COM).
    type: str
  kadmin:
    description:
      - V(local) runs C(kadmin.local) on the KDC host (as root); V(remote) runs C(kadmin) against the
        realm's C(admin_server), authenticating with O(admin_principal) and O(admin_keytab).
      - In V(remote) mode the admin principal needs the C(e) (extract keys) privilege in C(kadm5.acl)
        besides add, modify, inquire and delete, because the keys are compared with C(ktadd -norandkey).
    type: str
    choices: [local, remote]
    default: local
  admin_principal:
    description: The admin principal for O(kadmin=remote) (C(kadmin -p)).
    type: str
  admin_keytab:
    description: The keytab holding O(admin_principal)'s keys, for O(kadmin=remote) (C(kadmin -k -t)).
    type: path
  kdc_profile:
    description: The KDC profile (C(KRB5_KDC_PROFILE)) kadmin.local reads, when not C(/etc/krb5kdc/kdc.conf).
    type: path
  krb5_config:
    description: The Kerberos profile (C(KRB5_CONFIG)) the tools read, when not C(/etc/krb5.conf).
    type: path
"""
