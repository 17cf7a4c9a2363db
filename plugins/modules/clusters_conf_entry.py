#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: clusters_conf_entry
short_description: Manage one cluster's line in mapr-clusters.conf
version_added: 0.1.0
description:
  - Adds, replaces or removes the line that describes a cluster in C(mapr-clusters.conf), the file
    every MapR / HPE Data Fabric client reads to find a cluster's CLDB nodes.
  - Lines are matched by cluster name. A line that differs is replaced where it stands; a new line
    goes right after the last cluster line. Comments, blank lines and the order of the other lines
    are kept. Fields are written separated by single spaces.
  - The first cluster line is the node's own cluster (the default for every client). It is never
    replaced or removed unless O(allow_first=true).
  - Several lines can be given at once (O(lines)), so a node of a cluster mesh receives all its
    remote clusters in one module call.
options:
  path:
    description: Path of C(mapr-clusters.conf).
    type: path
    default: /opt/mapr/conf/mapr-clusters.conf
  line:
    description:
      - A whole line, as copied from another cluster's C(mapr-clusters.conf).
      - Copy remote lines whole so that C(kerberosEnable), C(cldbPrincipal) and C(cldbHttpsPort) come along.
      - Mutually exclusive with O(lines) and O(name).
    type: str
  lines:
    description:
      - Several whole lines, each handled as O(line) is, in one locked edit of the file.
      - Mutually exclusive with O(line) and O(name).
    type: list
    elements: str
  name:
    description:
      - The cluster name, when the line is built from O(secure), O(hosts) and O(options).
      - With O(state=absent), the name alone is enough.
    type: str
  secure:
    description: Whether the cluster is secure (C(secure=true)). Required with O(name) and O(state=present).
    type: bool
  hosts:
    description:
      - The CLDB nodes as C(host:port). A CLDB with several addresses is C(ip1:port;ip2:port).
      - A host without a port gets the default CLDB port 7222.
      - Required with O(name) and O(state=present).
    type: list
    elements: str
  options:
    description:
      - Further C(key=value) fields, for example C(kerberosEnable), C(cldbPrincipal) or C(cldbHttpsPort).
      - Written in the order given, after C(secure) and before the hosts.
    type: dict
    default: {}
  state:
    description: Whether the line should be in the file.
    type: str
    choices: [present, absent]
    default: present
  create:
    description:
      - Create the file when it does not exist. Without it, a missing file is an error (a node
        without C(mapr-clusters.conf) is usually not a configured node).
    type: bool
    default: false
  allow_first:
    description:
      - Allow replacing or removing the first cluster line, which names the node's own cluster.
    type: bool
    default: false
  remove:
    description:
      - Cluster names whose lines are removed in the same locked edit, after the lines asked for are set,
        so a node that gains one peer and loses another changes the file once. A name not in the file is
        no change.
      - May be given alone, without O(line), O(lines) or O(name).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - datafabric.crosscluster.files
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes
notes:
  - Each value becomes (part of) one line of the file, so a value that holds a control character (a newline,
    carriage return, tab, NUL or any other of U+0000-U+001F, U+007F-U+009F, U+2028 and U+2029) is refused,
    naming the option, the character and its position; it is never taken for a space. Limits are 64 KiB for
    O(line), each item of O(lines) and O(hosts) and each value of O(options), and 1 KiB for O(name).
  - A file whose lines end with CRLF (Windows line ends) keeps them, and a line added ends with CRLF too; the
    task then warns, naming the node (by its own host name) and the file, so it can be converted with
    C(dos2unix).
seealso:
  - module: datafabric.crosscluster.crossclusterticket_merge
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
- name: Let cluster A's clients reach cluster B (line copied whole from B)
  datafabric.crosscluster.clusters_conf_entry:
    path: "{{ mapr_home }}/conf/mapr-clusters.conf"
    line: "b.example.com secure=true cldbHttpsPort=7443 nb1.example.com:7222 nb2.example.com:7222"
    backup: true

- name: Build the line from its parts, for a Kerberos cluster with a multi-homed CLDB
  datafabric.crosscluster.clusters_conf_entry:
    name: c.example.com
    secure: true
    hosts:
      - 10.0.0.5:7222;10.1.0.5:7222
      - nc2.example.com
    options:
      kerberosEnable: true
      cldbPrincipal: mapr/c.example.com@C.EXAMPLE.COM

- name: All remote clusters of a mesh in one call
  datafabric.crosscluster.clusters_conf_entry:
    lines: "{{ remote_cluster_lines }}"

- name: Forget cluster B
  datafabric.crosscluster.clusters_conf_entry:
    name: b.example.com
    state: absent

- name: Add cluster C and forget cluster B in one edit
  datafabric.crosscluster.clusters_conf_entry:
    lines: ["c.example.com secure=true nc1.example.com:7222"]
    remove: [b.example.com]
"""

RETURN = r"""
entry:
  description: The line asked for, parsed (the last one when O(lines) is used).
  returned: when O(line), O(lines) or O(name) is given
  type: dict
  sample:
    name: b.example.com
    secure: true
    options: {cldbHttpsPort: "7443"}
    hosts: [nb1.example.com:7222]
    line: b.example.com secure=true cldbHttpsPort=7443 nb1.example.com:7222
entries:
  description: Every line asked for, parsed, in the order given.
  returned: always
  type: list
  elements: dict
clusters:
  description: The cluster names in the file after the change, in file order.
  returned: always
  type: list
  elements: str
  sample: [a.example.com, b.example.com]
local_cluster:
  description: The name on the first cluster line, the node's own cluster.
  returned: always
  type: str
  sample: a.example.com
backup_file:
  description: Where the previous file was kept.
  returned: when O(backup=true) and the file changed
  type: str
"""

import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import (
    ClustersConf,
    build_entry,
    parse_line,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_LINE,
    MAX_NAME,
    excerpt,
    refuse_bad_options,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._text_module import (
    KEYED_FILE_ARGS,
    run_text_edit,
)

# Each value ends up on one line of the file.
LIMITS = dict(line=MAX_LINE, lines=MAX_LINE, name=MAX_NAME, hosts=MAX_LINE, options=MAX_LINE, remove=MAX_NAME)


def requested_entries(params):
    """The entries the task asks for, or (for a removal by name) just the names."""
    if params["line"] is not None:
        return [parse_line(params["line"], path="option line")]
    if params["lines"] is not None:
        return [parse_line(text, path="option lines", line=i + 1) for i, text in enumerate(params["lines"])]
    if params["name"] is None:
        return []
    if params["state"] == "absent":
        return [params["name"]]
    if params["secure"] is None or not params["hosts"]:
        raise CrossclusterError("name %s needs secure and hosts to build its line" % excerpt(params["name"]),
                                fix="set secure and hosts, or give the whole line")
    return [build_entry(params["name"], params["secure"], params["hosts"], params["options"], path="options")]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/opt/mapr/conf/mapr-clusters.conf"),
            line=dict(type="str"),
            lines=dict(type="list", elements="str"),
            name=dict(type="str"),
            secure=dict(type="bool"),
            hosts=dict(type="list", elements="str"),
            options=dict(type="dict", default={}),
            **KEYED_FILE_ARGS
        ),
        mutually_exclusive=[("line", "lines", "name")],
        required_one_of=[("line", "lines", "name", "remove")],
        supports_check_mode=True,
    )
    refuse_bad_options(module, LIMITS)
    params = module.params
    path = params["path"]
    try:
        wanted = requested_entries(params)
    except CrossclusterError as err:
        module.fail_json(msg=str(err), path=path)

    warned = []

    def edit(text):
        conf = ClustersConf.parse(text, path=path)
        # Named by the node's own name: Ansible prints a module's warning without the host, and a
        # module does not know its inventory name.
        warning = conf.crlf_warning(platform.node())
        if warning and warning not in warned:
            warned.append(warning)
            module.warn(warning)
        if params["state"] == "present":
            conf.update(wanted, params["remove"], allow_first=params["allow_first"])
        else:
            conf.update((), [getattr(item, "name", item) for item in wanted] + params["remove"],
                        allow_first=params["allow_first"])
        parsed = [item.as_dict() for item in wanted if not isinstance(item, str)]
        facts = dict(
            entries=parsed,
            clusters=conf.names(),
            local_cluster=conf.local_cluster,
        )
        if wanted:
            facts["entry"] = parsed[-1] if parsed else {"name": wanted[-1]}
        return conf.render(), facts

    run_text_edit(module, path, edit, default_mode=0o644, create=params["create"])


if __name__ == "__main__":
    main()
