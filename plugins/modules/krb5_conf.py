#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: krb5_conf
short_description: Manage a Kerberos realm's KDCs, domain mappings and capaths in krb5.conf
version_added: 0.1.0
description:
  - Edits an MIT Kerberos C(krb5.conf) so that clients find a realm's KDCs and admin server
    (C([realms])), map host names to the realm (C([domain_realm])) and know the authentication
    path between realms (C([capaths])). This is the client half of a cross-realm trust.
  - Only the lines the task names are written. Comments, blank lines, C(include) and
    C(includedir) directives, other realms, other sections and the file's indentation are kept;
    a file with nothing to change is not rewritten.
  - A tag that already has lines (for example the realm's C(kdc) lines) is rewritten where its
    first line stands. New lines follow the last relation of their subsection, a new realm goes
    at the end of C([realms]), and a missing section is added at the end of the file. New lines
    are indented like their neighbours, else like the rest of the file, else 4 spaces per level.
  - The file is parsed the way MIT's library parses it. A syntax error MIT would report (an
    unbalanced brace, a line that is no C(tag = value), a C(tag =) not followed by C({)) fails
    the task with the file, the line and the fix, and leaves the file as it was. So do text
    before the first section and a subsection that is never closed, which MIT silently ignores
    or misreads.
options:
  path:
    description: Path of C(krb5.conf).
    type: path
    default: /etc/krb5.conf
  realm:
    description:
      - The realm to manage, for example the peer cluster's realm C(B.EXAMPLE.COM). Realm names
        are case-sensitive and written as given.
      - Give O(realm) with O(kdcs), O(admin_server), O(domains) and O(auth_to_local), or O(realms).
    type: str
  realms:
    description:
      - Several realms in one locked edit of the file, each with the meaning O(realm) and its options
        have, so a node of a mesh learns all its peer realms (and its own realm's rules) in one call.
      - Mutually exclusive with O(realm), O(kdcs), O(admin_server), O(domains) and O(auth_to_local).
    type: list
    elements: dict
    suboptions:
      realm:
        description: The realm.
        type: str
        required: true
      kdcs:
        description: Its KDCs, as O(kdcs).
        type: list
        elements: str
      admin_server:
        description: Its admin server, as O(admin_server).
        type: str
      domains:
        description: Names mapped to it, as O(domains).
        type: list
        elements: str
        default: []
      auth_to_local:
        description: Rules in its entry, as O(auth_to_local).
        type: list
        elements: str
  kdcs:
    description:
      - The realm's KDCs as C(host) or C(host:port), in the order clients should try them.
      - They replace every C(kdc) line of the realm's subsection. When the realm has no subsection
        in C([realms]), one is added.
      - Omit to leave the realm's C(kdc) lines as they are; an empty list removes them (clients
        then look the KDCs up in DNS, if C(dns_lookup_kdc) allows).
      - Not allowed with O(state=absent), which removes the realm's whole subsection.
    type: list
    elements: str
  admin_server:
    description:
      - The host (or C(host:port)) of the realm's C(kadmind). Replaces the realm's
        C(admin_server) line. Omit to leave it as it is.
      - Not allowed with O(state=absent).
    type: str
  domains:
    description:
      - DNS names whose hosts belong to O(realm), written to C([domain_realm]) as
        C(name = REALM). A name that starts with a dot (C(.b.example.com)) maps every host of that
        domain; a name without it maps that one host (list both to cover the domain's own name).
      - Names are written in lower case, because MIT looks host names up in lower case.
      - With O(state=absent), each name's line is removed only when it maps to O(realm).
    type: list
    elements: str
    default: []
  capaths:
    description:
      - Authentication paths, written to C([capaths]) as C(CLIENT = { SERVER = ... }).
      - For a direct trust between two realms give both directions, each with no O(capaths[].via).
      - With O(state=absent), the path from O(capaths[].client_realm) to O(capaths[].server_realm)
        is removed whatever its O(capaths[].via), and a client subsection left empty goes too.
    type: list
    elements: dict
    default: []
    suboptions:
      client_realm:
        description: The realm of the clients that follow this path.
        type: str
        required: true
      server_realm:
        description: The realm of the services they reach.
        type: str
        required: true
      via:
        description:
          - The intermediate realms, in order from the client's side. Empty (the default) means
            the two realms trust each other directly, which krb5.conf writes as C(SERVER = .).
        type: list
        elements: str
        default: []
  auth_to_local:
    description:
      - C(auth_to_local) rules to have in O(realm)'s entry, for example a C(RULE) that maps users of a
        trusted peer realm to local names (see EXAMPLES). Set them on the node's own realm.
      - Rules already there are kept; new rules go before a trailing C(DEFAULT), since MIT tries
        rules in order and C(DEFAULT) matches every principal of the realm.
      - With O(state=absent), only these rules are removed and the realm's entry stays.
    type: list
    elements: str
  state:
    description:
      - With V(present), the realm's KDCs and admin server, the domain mappings and the capaths
        are made as given.
      - With V(absent), the realm's subsection in C([realms]), the mappings of the listed domains
        to the realm and the listed capaths are removed; a section left empty goes too, so that
        removing what a task added restores the file. Nothing else is touched.
    type: str
    choices: [present, absent]
    default: present
  remove:
    description:
      - Realms and capaths removed in the same edit, as O(state=absent) removes them, after the
        change asked for; so a node that keeps one peer realm and loses another writes the file once.
      - May be given with an empty O(realms).
    type: dict
    default: {}
    suboptions:
      realms:
        description: Realms whose subsection goes, each with the names whose mapping to it goes.
        type: list
        elements: dict
        default: []
        suboptions:
          realm:
            description: The realm.
            type: str
            required: true
          domains:
            description: Names whose C([domain_realm]) mapping to the realm is removed.
            type: list
            elements: str
            default: []
      capaths:
        description: Paths removed from C([capaths]).
        type: list
        elements: dict
        default: []
        suboptions:
          client_realm:
            description: The client realm.
            type: str
            required: true
          server_realm:
            description: The server realm.
            type: str
            required: true
  create:
    description:
      - Create the file when it does not exist. Without it, a missing file is an error (a node
        without C(krb5.conf) usually lacks the Kerberos client packages).
    type: bool
    default: false
extends_documentation_fragment:
  - datafabric.crosscluster.files
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes
notes:
  - Every realm name, KDC, admin server, domain, capath realm and auth_to_local rule becomes (part of) one line
    of C(krb5.conf), so a value that holds a control character (a newline, carriage return, tab, NUL or any
    other of U+0000-U+001F, U+007F-U+009F, U+2028 and U+2029) is refused, naming the option, the character and
    its position. Names are limited to 1 KiB, auth_to_local rules to 64 KiB.
  - Files named by C(include) and C(includedir) are neither read nor changed. A realm defined in
    an included file as well as in O(path) is merged by MIT's library, so keep each realm in one
    place.
  - Programs read C(krb5.conf) when they start; running KDCs and services do not need a restart
    for the client side of a trust, but long-running clients may.
seealso:
  - name: krb5.conf (MIT Kerberos documentation)
    description: The format and every relation of C(krb5.conf), including C([capaths]).
    link: https://web.mit.edu/kerberos/krb5-latest/doc/admin/conf_files/krb5_conf.html
  - module: datafabric.crosscluster.clusters_conf_entry
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Map users of the peer realm B.EXAMPLE.COM to local names on A's nodes
  datafabric.crosscluster.krb5_conf:
    realm: A.EXAMPLE.COM
    auth_to_local:
      - 'RULE:[1:$1@$0](.*@B\.EXAMPLE\.COM)s/@.*//'

- name: Let clients of A.EXAMPLE.COM use services of B.EXAMPLE.COM (and the other way round)
  datafabric.crosscluster.krb5_conf:
    realm: B.EXAMPLE.COM
    kdcs:
      - kdc1.b.example.com
      - kdc2.b.example.com:88
    admin_server: kdc1.b.example.com
    domains:
      - .b.example.com
      - b.example.com
    capaths:
      - client_realm: A.EXAMPLE.COM
        server_realm: B.EXAMPLE.COM
      - client_realm: B.EXAMPLE.COM
        server_realm: A.EXAMPLE.COM
    backup: true

- name: Reach C.EXAMPLE.COM through the corporate realm
  datafabric.crosscluster.krb5_conf:
    realm: C.EXAMPLE.COM
    kdcs: [kdc.c.example.com]
    capaths:
      - client_realm: A.EXAMPLE.COM
        server_realm: C.EXAMPLE.COM
        via: [CORP.EXAMPLE.COM]

- name: Start a krb5.conf on a node that has none
  datafabric.crosscluster.krb5_conf:
    path: /etc/krb5.conf
    realm: A.EXAMPLE.COM
    kdcs: [kdc1.a.example.com]
    create: true
    mode: "0644"

- name: Revoke the trust with B.EXAMPLE.COM
  datafabric.crosscluster.krb5_conf:
    realm: B.EXAMPLE.COM
    domains: [.b.example.com, b.example.com]
    capaths:
      - client_realm: A.EXAMPLE.COM
        server_realm: B.EXAMPLE.COM
      - client_realm: B.EXAMPLE.COM
        server_realm: A.EXAMPLE.COM
    state: absent
"""

RETURN = r"""
realm_entry:
  description: The realm's subsection in C([realms]) after the change, as MIT reads it (with O(realms), the last one).
  returned: when a realm is asked for or removed
  type: dict
  contains:
    realm:
      description: The realm's name.
      type: str
      sample: B.EXAMPLE.COM
    present:
      description: Whether C([realms]) has a subsection for the realm.
      type: bool
      sample: true
    kdcs:
      description: Its C(kdc) values, in order.
      type: list
      elements: str
      sample: [kdc1.b.example.com, kdc2.b.example.com:88]
    admin_server:
      description: Its first C(admin_server) value, or null.
      type: str
      sample: kdc1.b.example.com
    relations:
      description: Every relation of the subsection, managed or not, as a list of values per tag.
      type: dict
      sample: {kdc: [kdc1.b.example.com], admin_server: [kdc1.b.example.com], default_domain: [b.example.com]}
domains:
  description:
    - Every name that C([domain_realm]) maps to the realm after the change, in file order.
    - With O(realms), for the last realm.
  returned: always
  type: list
  elements: str
  sample: [.b.example.com, b.example.com]
realm_entries:
  description: RV(realm_entry) for every realm asked for, in order, then for every realm of O(remove).
  returned: always
  type: list
  elements: dict
capaths:
  description: Every path in C([capaths]) after the change (not only the realm's); C(via) is empty for a direct path.
  returned: always
  type: list
  elements: dict
  sample:
    - {client_realm: A.EXAMPLE.COM, server_realm: B.EXAMPLE.COM, via: []}
    - {client_realm: B.EXAMPLE.COM, server_realm: A.EXAMPLE.COM, via: []}
backup_file:
  description: Where the previous file was kept.
  returned: when O(backup=true) and the file changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_LINE,
    MAX_NAME,
    refuse_bad_options,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._krb5_conf_edit import edit_realms
from ansible_collections.datafabric.crosscluster.plugins.module_utils._text_module import FILE_ARGS, run_text_edit

# Every value becomes (part of) one line of krb5.conf; a rule may be long, names are short.
_REALM_LIMITS = dict(realm=MAX_NAME, kdcs=MAX_NAME, admin_server=MAX_NAME, domains=MAX_NAME, auth_to_local=MAX_LINE)
_CAPATH_LIMITS = dict(client_realm=MAX_NAME, server_realm=MAX_NAME, via=MAX_NAME)
LIMITS = dict(_REALM_LIMITS, realms=_REALM_LIMITS, capaths=_CAPATH_LIMITS,
              remove=dict(realms=_REALM_LIMITS, capaths=_CAPATH_LIMITS))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/krb5.conf"),
            realm=dict(type="str"),
            realms=dict(type="list", elements="dict", options=dict(
                realm=dict(type="str", required=True),
                kdcs=dict(type="list", elements="str"),
                admin_server=dict(type="str"),
                domains=dict(type="list", elements="str", default=[]),
                auth_to_local=dict(type="list", elements="str"),
            )),
            kdcs=dict(type="list", elements="str"),
            admin_server=dict(type="str"),
            domains=dict(type="list", elements="str", default=[]),
            capaths=dict(type="list", elements="dict", default=[], options=dict(
                client_realm=dict(type="str", required=True),
                server_realm=dict(type="str", required=True),
                via=dict(type="list", elements="str", default=[]),
            )),
            auth_to_local=dict(type="list", elements="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            remove=dict(type="dict", default={}, options=dict(
                realms=dict(type="list", elements="dict", default=[], options=dict(
                    realm=dict(type="str", required=True),
                    domains=dict(type="list", elements="str", default=[]),
                )),
                capaths=dict(type="list", elements="dict", default=[], options=dict(
                    client_realm=dict(type="str", required=True),
                    server_realm=dict(type="str", required=True),
                )),
            )),
            create=dict(type="bool", default=False),
            **FILE_ARGS
        ),
        required_one_of=[("realm", "realms", "remove")],
        mutually_exclusive=[("realm", "realms")],
        supports_check_mode=True,
    )
    refuse_bad_options(module, LIMITS)
    params = module.params
    path = params["path"]
    single = ("kdcs", "admin_server", "domains", "auth_to_local")
    if params["realms"] is not None and any(params[name] for name in single):
        module.fail_json(msg="realms lists each realm with its own options; %s belong to realm" % ", ".join(single),
                         path=path)
    realms = params["realms"] if params["realms"] is not None else [
        dict((name, params[name]) for name in ("realm",) + single)]

    def edit(text):
        new_text, facts = edit_realms(text, path, realms, state=params["state"], capaths=params["capaths"],
                                      remove=params["remove"])
        return new_text, dict(facts[-1] if facts else {}, realm_entries=[item["realm_entry"] for item in facts])

    # krb5.conf is read by every Kerberos client on the node, whoever runs it.
    run_text_edit(module, path, edit, default_mode=0o644, create=params["create"])


if __name__ == "__main__":
    main()
