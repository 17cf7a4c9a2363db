#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: maprlogin
short_description: Log in to MapR clusters, generate and inspect tickets with maprlogin
version_added: 0.1.0
description:
  - Wraps the C(maprlogin) CLI for C(password), C(kerberos), C(generateticket), C(print), C(renew),
    C(authtest) and C(logout).
  - The password goes to maprlogin on standard input only, never on its command line; any message
    returned has it removed.
  - O(ticketfile) sets C(MAPR_TICKETFILE_LOCATION), so a run never touches an administrator's own
    ticket in C(/tmp/maprticket_<uid>).
  - Idempotent. C(password), C(kerberos) and C(generateticket) are skipped when a ticket for that
    cluster and user already exists (in O(ticketfile), or in O(out) for C(generateticket)) and stays
    valid for at least O(min_validity), unless O(force=true).
    C(maprlogin print) does not show a ticket's type, so the type is not compared.
  - maprlogin always runs with C(TZ=UTC), so C(print) writes its dates in UTC whatever the node's time
    zone; a date in any other named zone (a JVM given C(-Duser.timezone)) fails the task rather than
    being guessed.
options:
  command:
    description: The maprlogin command to run.
    type: str
    required: true
    choices: [password, kerberos, generateticket, print, renew, authtest, logout]
  cluster:
    description: The cluster (C(-cluster)). Defaults, as in maprlogin, to the first line of C(mapr-clusters.conf).
    type: str
  user:
    description: The user (C(-user)); for C(generateticket), the user the ticket is for.
    type: str
  password:
    description:
      - The password, for O(command=password). Sent on standard input.
      - With it the task runs only where Ansible pipelines the module (otherwise the module's arguments
        would be written into a file on the node), unless the host sets C(crosscluster_allow_module_files=true).
    type: str
  keep_ticket:
    description:
      - With V(false), C(password) and C(kerberos) log in with a ticket file in a private temporary
        directory, removed with the ticket as soon as maprlogin is done - a check that the login works
        which leaves nothing behind and never reuses an earlier ticket. Not with O(ticketfile) or O(out).
        A run killed before it could remove its directory (SIGKILL, a lost node) leaves it; the next
        run with a private directory (this, or C(generateticket) without O(out)) removes it.
    type: bool
    default: true
  ticketfile:
    description:
      - The ticket file to use and write (C(MAPR_TICKETFILE_LOCATION)).
      - For C(generateticket), the credentials maprlogin authenticates with; on a CLDB node,
        C(<mapr_home>/conf/maprserverticket) lets the cluster owner generate without a password.
    type: path
  type:
    description: The ticket type for O(command=generateticket).
    type: str
    choices: [crosscluster, service, servicewithimpersonation, tenant]
  out:
    description:
      - Where C(generateticket) (or C(kerberos)) writes the ticket.
      - Without it, C(generateticket) writes into a private temporary directory that is removed at
        once, and the ticket line is returned in RV(ticket). Register such a task with C(no_log) set.
    type: path
  duration:
    description: Ticket lifetime, in maprlogin's form C([D:]H:M) or seconds (C(-duration)).
    type: str
  renewal:
    description: Renewal lifetime, in maprlogin's form (C(-renewal)).
    type: str
  min_validity:
    description:
      - How long an existing ticket must stay valid to be reused, as seconds or a duration such as
        V(30m), V(12h), V(7d).
    type: raw
    default: 1h
  force:
    description: Run the command even when a valid ticket exists.
    type: bool
    default: false
  mapr_home:
    description: The MapR installation directory; maprlogin is C(<mapr_home>/bin/maprlogin).
    type: path
    default: /opt/mapr
  executable:
    description: Path of maprlogin, when it is not under O(mapr_home).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes
attributes:
  check_mode:
    details: C(print) runs; commands that would create, renew or remove a ticket report a change without running.
  diff_mode:
    support: none
notes:
  - O(cluster), O(user), O(duration), O(renewal) and O(min_validity) go on maprlogin's command line and
    O(password) is read as one line from standard input, so a value that holds a control character (a newline,
    carriage return, tab, NUL or any other of U+0000-U+001F, U+007F-U+009F, U+2028 and U+2029), or is longer
    than 1 KiB, is refused (for O(password) without saying where or which).
  - Run it as the user maprlogin should act for (C(become_user)); C(generateticket) needs the cluster owner.
seealso:
  - module: datafabric.crosscluster.crossclusterticket_merge
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Log in to cluster B with an isolated ticket file
  datafabric.crosscluster.maprlogin:
    command: password
    cluster: b.example.com
    user: mapr
    password: "{{ cluster_b_owner_password }}"
    ticketfile: /root/.crosscluster/ticket_b

- name: Tickets in maprserverticket that expire within a week
  datafabric.crosscluster.maprlogin:
    command: print
    ticketfile: /opt/mapr/conf/maprserverticket
  register: server_tickets

- name: A crosscluster ticket for cluster B, generated as the server (on a CLDB node of A)
  datafabric.crosscluster.maprlogin:
    command: generateticket
    type: crosscluster
    user: xcsuser
    ticketfile: /opt/mapr/conf/maprserverticket
    duration: "30:0:0"
  become: true
  become_user: mapr
  register: crossticket
  no_log: true
"""

RETURN = r"""
tickets:
  description: The tickets C(maprlogin print) shows, parsed (for O(command=print), and after a login).
  returned: when O(command) is print, password, kerberos, generateticket or renew
  type: list
  elements: dict
  contains:
    cluster:
      description: Cluster name.
      type: str
    user:
      description: User the ticket is for.
      type: str
    created:
      description: Creation time, ISO 8601 UTC (null when maprlogin printed an impossible date).
      type: str
    expires:
      description: Expiry, ISO 8601 UTC (null when maprlogin printed an impossible date).
      type: str
    renewal_till:
      description: End of renewal, ISO 8601 UTC.
      type: str
    uid:
      description: The user's uid.
      type: int
    gids:
      description: The user's gids.
      type: list
      elements: int
    can_impersonate:
      description: Whether the ticket may impersonate.
      type: bool
reused:
  description: Whether a valid ticket was found and the command was not run.
  returned: when O(command) is password, kerberos or generateticket
  type: bool
stdout:
  description: maprlogin's output, any password removed.
  returned: when maprlogin ran
  type: str
ticket:
  description:
    - The generated ticket line C(<cluster> <blob>). A secret; register the task with C(no_log).
  returned: when O(command=generateticket) without O(out)
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import refuse_bad_options
from ansible_collections.datafabric.crosscluster.plugins.module_utils._maprlogin import (
    COMMANDS,
    CREATING,
    LIMITS,
    SECRETS,
    TICKET_TYPES,
    Maprlogin,
    generate_to_memory,
    parse_validity,
    private_ticketfile,
)


def run(module, ticketfile):
    p = module.params
    login = Maprlogin(p["executable"] or "%s/bin/maprlogin" % p["mapr_home"], module.run_command,
                      ticketfile=ticketfile)
    command = p["command"]
    if command == "print":
        return dict(changed=False, tickets=login.tickets())
    if command in CREATING and not p["force"] and (command != "generateticket" or p["out"]):
        found_in = p["out"] if command == "generateticket" else p["ticketfile"]
        if login.valid_ticket(p["cluster"], p["user"], parse_validity(p["min_validity"]), found_in):
            return dict(changed=False, reused=True, tickets=login.tickets(found_in))
    if module.check_mode:
        return dict(changed=True, reused=False) if command in CREATING else dict(changed=True)
    result = dict(changed=command not in ("authtest",))
    if command == "generateticket" and not p["out"]:
        rc, out, err, ticket = generate_to_memory(login, p["cluster"], p["user"], p["type"], p["duration"],
                                                  p["renewal"])
        if ticket is not None:
            result["ticket"] = ticket
    else:
        rc, out, err = login.command(command, cluster=p["cluster"], user=p["user"], password=p["password"],
                                     ticket_type=p["type"], out=p["out"], duration=p["duration"],
                                     renewal=p["renewal"])
    if rc != 0:
        module.fail_json(msg="maprlogin %s failed (rc %d): %s" % (command, rc, (err or out).strip()),
                         rc=rc, stdout=out, stderr=err)
    result["stdout"] = out
    if command in CREATING:
        result["reused"] = False
    if command in ("password", "kerberos", "renew") or (command == "generateticket" and p["out"]):
        result["tickets"] = login.tickets(p["out"] if command == "generateticket" else None)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            command=dict(type="str", required=True, choices=list(COMMANDS)),
            cluster=dict(type="str"),
            user=dict(type="str"),
            password=dict(type="str", no_log=True),
            ticketfile=dict(type="path"),
            keep_ticket=dict(type="bool", default=True),
            type=dict(type="str", choices=list(TICKET_TYPES)),
            out=dict(type="path"),
            duration=dict(type="str"),
            renewal=dict(type="str"),
            min_validity=dict(type="raw", default="1h"),
            force=dict(type="bool", default=False),
            mapr_home=dict(type="path", default="/opt/mapr"),
            executable=dict(type="path"),
        ),
        required_if=[("command", "password", ("password",)), ("command", "generateticket", ("type", "user"))],
        supports_check_mode=True,
    )
    refuse_bad_options(module, LIMITS, SECRETS)
    p = module.params
    if not p["keep_ticket"] and (p["command"] not in ("password", "kerberos") or p["ticketfile"] or p["out"]):
        module.fail_json(msg="keep_ticket=false is for command password or kerberos, without ticketfile or out. "
                             "Fix: drop keep_ticket, or the other options")
    try:
        if p["keep_ticket"]:
            result = run(module, p["ticketfile"])
        else:
            with private_ticketfile() as ticketfile:
                result = run(module, ticketfile)
    except CrossclusterError as err:
        module.fail_json(msg=str(err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
