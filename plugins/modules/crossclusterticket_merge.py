#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: crossclusterticket_merge
short_description: Manage one cluster's ticket line in maprserverticket or mapruserticket
version_added: 0.1.0
description:
  - Merges a crosscluster ticket (the output of C(maprlogin generateticket -type crosscluster) on
    another cluster) into C(maprserverticket), or removes it. This is the server half of
    cross-cluster trust; the seed utility C(configure-crosscluster.sh) does it with scp and sed.
  - The file holds one line per cluster, C(<cluster> <base64 blob>). A line that changes is
    replaced where it stands; a new line is appended.
  - The first line is the node's own server ticket. It is never replaced or removed unless
    O(allow_first=true).
  - The blob is a secret. It is validated as base64 without ever being printed, and it never
    appears in a return value, a log or a diff; diffs show each cluster with a short SHA-256
    prefix of its blob instead.
options:
  path:
    description: Path of the ticket file.
    type: path
    default: /opt/mapr/conf/maprserverticket
  ticket:
    description:
      - The whole line C(<cluster> <blob>) as written by C(maprlogin generateticket), or the blob
        alone together with O(cluster).
      - Mutually exclusive with O(tickets).
      - With O(ticket) or O(tickets) the task runs only where Ansible pipelines the module (otherwise the
        module's arguments would be written into a file on the node), unless the host sets
        C(crosscluster_allow_module_files=true).
    type: str
  tickets:
    description:
      - Several whole lines, merged in one locked edit (a CLDB node of a cluster mesh receives all
        its crosscluster tickets in one call).
      - Mutually exclusive with O(ticket) and O(cluster).
    type: list
    elements: str
  cluster:
    description:
      - The cluster the ticket belongs to. Needed when O(ticket) is the blob alone; checked
        against the line otherwise.
      - With O(state=absent), the name alone is enough.
    type: str
  state:
    description: Whether the cluster's line should be in the file. V(absent) matches by cluster.
    type: str
    choices: [present, absent]
    default: present
  create:
    description: Create the file (mode C(0600) unless O(mode) says otherwise) when it does not exist.
    type: bool
    default: false
  allow_first:
    description: Allow replacing or removing the first line, the node's own server ticket.
    type: bool
    default: false
  remove:
    description:
      - Clusters whose lines are removed in the same locked edit, after the tickets asked for are merged,
        so a CLDB node that gains one peer and loses another writes the file once. A cluster not in the
        file is no change.
      - May be given alone, without O(ticket), O(tickets) or O(cluster).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - datafabric.crosscluster.files
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes
attributes:
  diff_mode:
    details: Blobs are shown as C(sha256:<12 hex digits>), never in clear.
notes:
  - A ticket is one line of the file, so O(ticket) or an item of O(tickets) that holds a control character (a
    newline, carriage return, tab, NUL or any other of U+0000-U+001F, U+007F-U+009F, U+2028 and U+2029) (a
    trailing newline included) is refused without showing the ticket, as is one longer than 64 KiB; O(cluster)
    is refused likewise and limited to 1 KiB.
  - MapR expects the file to be mode C(0600) and owned by the cluster owner; set O(owner) and O(group)
    when the module runs as root and the file is new.
seealso:
  - module: datafabric.crosscluster.clusters_conf_entry
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Accept cluster A's crosscluster ticket on every CLDB node of cluster B
  datafabric.crosscluster.crossclusterticket_merge:
    path: "{{ mapr_home }}/conf/maprserverticket"
    ticket: "{{ cluster_a_crossticket }}"
    owner: mapr
    group: mapr
    backup: true
  no_log: true

- name: Revoke cluster A's ticket
  datafabric.crosscluster.crossclusterticket_merge:
    cluster: a.example.com
    state: absent

- name: Take cluster C's ticket and drop cluster A's in one edit
  datafabric.crosscluster.crossclusterticket_merge:
    tickets: ["{{ cluster_c_crossticket }}"]
    remove: [a.example.com]
  no_log: true
"""

RETURN = r"""
cluster:
  description: The cluster whose line was asked for (the last one when O(tickets) is used).
  returned: when O(ticket), O(tickets) or O(cluster) is given
  type: str
  sample: a.example.com
clusters:
  description: The clusters in the file after the change, in file order.
  returned: always
  type: list
  elements: str
  sample: [b.example.com, a.example.com]
digests:
  description: For each cluster in the file, C(sha256:) and the first 12 hex digits of its blob's SHA-256.
  returned: always
  type: dict
  sample: {a.example.com: "sha256:0c1f2a9b7e11"}
backup_file:
  description: Where the previous file was kept (with the same mode and owner).
  returned: when O(backup=true) and the file changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_LINE,
    MAX_NAME,
    refuse_bad_options,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._text_module import (
    KEYED_FILE_ARGS,
    removals,
    run_text_edit,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import (
    TicketFile,
    blob_digest,
    parse_ticket,
    validate_blob,
)

# A ticket is one line of the file; it is a credential, so it is never shown.
LIMITS = dict(ticket=MAX_LINE, tickets=MAX_LINE, cluster=MAX_NAME, remove=MAX_NAME)
SECRETS = ("ticket", "tickets")


def requested_tickets(params):
    """[(cluster, blob or None)] from the options; blobs are validated before the file is read."""
    if params["tickets"] is not None:
        wanted = [parse_ticket(line) for line in params["tickets"]]
    elif params["ticket"] is not None:
        wanted = [parse_ticket(params["ticket"], cluster=params["cluster"])]
    elif params["cluster"] is None:
        wanted = []
    elif params["state"] == "absent":
        wanted = [(params["cluster"], None)]
    else:
        raise CrossclusterError("state present needs the ticket", fix="set ticket (or tickets)")
    for cluster, blob in wanted:
        if blob is not None:
            validate_blob(blob, path="option ticket of cluster %s" % cluster)
    return wanted


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/opt/mapr/conf/maprserverticket"),
            ticket=dict(type="str", no_log=True),
            tickets=dict(type="list", elements="str", no_log=True),
            cluster=dict(type="str"),
            **KEYED_FILE_ARGS
        ),
        mutually_exclusive=[("ticket", "tickets"), ("tickets", "cluster")],
        required_one_of=[("ticket", "tickets", "cluster", "remove")],
        supports_check_mode=True,
    )
    refuse_bad_options(module, LIMITS, SECRETS)
    params = module.params
    path = params["path"]
    try:
        wanted = requested_tickets(params)
    except CrossclusterError as err:
        module.fail_json(msg=str(err), path=path)

    def edit(text):
        tickets = TicketFile.parse(text, path=path)
        for cluster, blob in wanted:
            if params["state"] == "present":
                tickets.set(cluster, blob, allow_first=params["allow_first"])
            else:
                tickets.remove(cluster, allow_first=params["allow_first"])
        removals(module, tickets)
        facts = dict(
            clusters=tickets.clusters(),
            digests=dict((name, blob_digest(tickets.get(name))) for name in tickets.clusters()),
        )
        if wanted:
            facts["cluster"] = wanted[-1][0]
        return tickets.render(), facts

    def redact(text):
        return TicketFile.parse(text, path=path).redacted() if text else text

    run_text_edit(module, path, edit, default_mode=0o600, create=params["create"], redact=redact)


if __name__ == "__main__":
    main()
