#!/usr/bin/python
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: file_snapshot
short_description: "Internal: the node half of the truststore actions - read files, replace them if unchanged"
version_added: 0.1.0
description:
  - "Internal: the node half of the controller-side file editors of this collection
    (M(datafabric.crosscluster.peer_trust), M(datafabric.crosscluster.truststore_import),
    M(datafabric.crosscluster.truststore_info)). Not for playbooks; its options and return values are the
    interface between those actions and the node, and may change without deprecation. Use the actions."
  - The controller reads the files, computes their new content with libraries the node does not
    need, and sends it back; this module writes it only when every file still has the content it
    had when it was read (compare-and-swap), so a concurrent change is never overwritten.
  - Both reading and replacing happen under the advisory directory lock every module of this
    collection takes, so sibling files are read and replaced as one consistent set.
  - Contents travel base64-encoded.
  - It reads and replaces only the files this collection manages - C(mapr-clusters.conf), Java's
    C(cacerts) and C(jssecacerts), and truststores by name (one holding C(truststore) or C(keystore),
    or ending in C(.jks), C(.p12), C(.pfx), C(.pem), C(.crt), C(.cer), C(.bcfks), C(.jceks), C(.ks) or C(.ts)).
    The name of the file a symlink resolves to must pass too. Anything else (C(/etc/shadow), a device,
    a FIFO, a file under C(/proc), C(/sys) or C(/dev)) fails the task, and nothing of it is read.
  - A file read that holds a PEM private key (such as C(ssl_keystore.pem)) fails the task without its
    content; a key never belongs in a truststore.
options:
  paths:
    description: The files to read (V(read)) or to check and replace (V(replace)).
    type: list
    elements: path
    required: true
  state:
    description:
      - V(read) returns each file's content, checksum and attributes; it never changes anything.
      - V(replace) writes O(contents), after checking O(expected) under the lock.
    type: str
    choices: [read, replace]
    default: read
  contents:
    description:
      - V(replace) only. For each path to write, its new content, base64-encoded.
      - Every path in O(contents) must be in O(paths).
    type: dict
  expected:
    description:
      - V(replace) only. For each path in O(paths), the SHA-256 (hex) it must still have, or
        V(null) when it must still be missing. When any file differs, nothing is written and the
        module fails with RV(conflict=true).
    type: dict
    default: {}
  create:
    description: With V(replace), whether a file in O(contents) that does not exist may be created.
    type: bool
    default: false
  bcfks:
    description:
      - V(replace) only. A FIPS node's BCFKS truststore to change in the same write, with the node's keytool
        (see M(datafabric.crosscluster.truststore_bcfks)) - keytool changes a private copy of the bytes checked
        against O(expected), and those new bytes are staged with the files of O(contents) and renamed in the
        order of O(paths), all or none. Its O(bcfks.path) must be in O(paths) and not in O(contents).
      - Nothing is written when keytool fails, and in check mode keytool only lists the copy.
    type: dict
    suboptions:
      path:
        description: The BCFKS store, such as C(/opt/mapr/conf/ssl_truststore.bcfks).
        type: path
        required: true
      certificates:
        description: Certificates to import, each with C(alias) and C(pem).
        type: list
        elements: dict
        default: []
      remove:
        description: Entries to remove first, each with C(alias), C(sha256) or both.
        type: list
        elements: dict
        default: []
      mapr_home:
        description: The MapR installation directory, whose C(lib) holds the provider jar.
        type: path
        default: /opt/mapr
      provider_path:
        description: The provider jar; when omitted, the one C(bc-fips-*.jar) under C(<mapr_home>/lib).
        type: path
      provider_class:
        description: The provider class.
        type: str
        default: org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider
      keytool:
        description: The keytool to run; when omitted, C(keytool) on the PATH, else C($JAVA_HOME/bin/keytool).
        type: path
  bcfks_password:
    description:
      - The password of O(bcfks.path). When omitted, the one MapR keeps next to it, read on the node.
      - It reaches keytool in a file of mode 0600 removed afterwards, never a command line.
    type: str
  truststore_password_from:
    description:
      - With V(read), also read the truststore password MapR keeps in this C(conf) directory
        (C(store-passwords.txt), else C(ssl-server.xml)), for the action that called it; when neither has
        it, the Hadoop credential store C(maprtrustcreds.jceks), whose bytes the controller opens (its
        secrets are sealed with Triple DES, which the node's Python lacks).
      - The reply then holds the password. The collection's actions ask for it only when they write a
        store without a password given, run that one call with C(no_log) (so that no connection plugin
        prints the reply, even at -vvvv), take it out of the reply and never return it.
    type: path
extends_documentation_fragment:
  - datafabric.crosscluster.files
  - ansible.builtin.action_common_attributes
  - datafabric.crosscluster.attributes
attributes:
  check_mode:
    details: V(read) runs in check mode; V(replace) reports what it would write and writes nothing.
  diff_mode:
    support: none
author:
  - Seed 617f9c48 maintainers (@maintainers)
"""

EXAMPLES = r"""
# Internal: playbooks use datafabric.crosscluster.peer_trust, truststore_import or truststore_info,
# which run this on the node.
- name: Read the three truststore siblings as one set
  datafabric.crosscluster.file_snapshot:
    paths:
      - /opt/mapr/conf/ssl_truststore
      - /opt/mapr/conf/ssl_truststore.p12
      - /opt/mapr/conf/ssl_truststore.pem
  register: stores
"""

RETURN = r"""
files:
  description: With V(read), one item per path in O(paths).
  returned: state is read
  type: list
  elements: dict
  contains:
    path:
      description: The path.
      type: str
    exists:
      description: Whether the file exists.
      type: bool
    sha256:
      description: SHA-256 of the content, or null when missing.
      type: str
    content:
      description: The content, base64-encoded (empty when missing).
      type: str
    mode:
      description: The file's permission bits in octal, or null.
      type: str
truststore_password:
  description:
    - With O(truststore_password_from), the password itself, for the collection's actions only. A task
      that calls this module directly runs that call with C(no_log) and never returns it.
  returned: never to a task; to the collection's actions when O(truststore_password_from) is given
  type: str
truststore_credential_store:
  description:
    - With O(truststore_password_from), when only C(maprtrustcreds.jceks) has the password, that store's
      bytes, base64-encoded, instead of RV(truststore_password), for the collection's actions only and
      kept as secret as the password itself (the store opens with Hadoop's default password).
  returned: never to a task; to the collection's actions when O(truststore_password_from) is given
  type: str
truststore_password_source:
  description: With O(truststore_password_from), the file the password was read from.
  returned: when O(truststore_password_from) is given
  type: str
conflict:
  description: Whether a file had changed since it was read, so nothing was written.
  returned: state is replace
  type: bool
backup_files:
  description: For each replaced file with O(backup=true), where its previous content was kept.
  returned: state is replace
  type: dict
bcfks:
  description:
    - With O(bcfks), what keytool found and did, as M(datafabric.crosscluster.truststore_bcfks) returns it
      (C(changed), C(imported), C(removed), C(already_present), C(entries)), with C(before) and C(after), the
      store's entries as summary lines, and C(provider).
  returned: when O(bcfks) is given
  type: dict
"""

import base64
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import (
    FIPS_PROVIDER_CLASS,
    Change,
    requests,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import (
    Attributes,
    locked_all,
    read_snapshot,
    write_files,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import node_keytool
from ansible_collections.datafabric.crosscluster.plugins.module_utils._snapshot_policy import check_path, read_managed
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import read_truststore_password
from ansible_collections.datafabric.crosscluster.plugins.module_utils._text_module import FILE_ARGS


def describe(snapshot):
    return dict(
        path=snapshot.path,
        exists=snapshot.exists,
        sha256=snapshot.sha256,
        content=base64.b64encode(snapshot.data).decode("ascii") if snapshot.exists else "",
        mode="%04o" % stat.S_IMODE(snapshot.st.st_mode) if snapshot.st is not None else None,
    )


def _conflict(moved):
    return dict(changed=False, failed=True, conflict=True, backup_files={},
                msg="%s changed since it was read; nothing was written. Fix: re-run (the "
                    "new content is computed from the current file)" % ", ".join(moved))


def bcfks_change(module, snapshot):
    """``(new bytes or None, result)`` of O(bcfks) applied to ``snapshot``, the store as read under
    the lock and checked against ``expected``: keytool works on a private copy, nothing is written."""
    options = dict(module.params["bcfks"], password=module.params["bcfks_password"])
    keytool = node_keytool(snapshot.path, options, module.run_command, module.tmpdir)
    imports, removals = requests(options["certificates"], options["remove"])
    change = Change(keytool, imports, removals, check_mode=module.check_mode, tmp_root=module.tmpdir)
    data = change.new_bytes(snapshot)
    result = dict(change.result(), provider=keytool.provider.as_dict(),
                  before=change.before.summary_lines(), after=change.after.summary_lines())
    result.pop("backup_file")
    return (None if module.check_mode else data), result


def replace(module):
    """Write ``contents`` (and O(bcfks)'s new store) if every file still matches ``expected``;
    returns the module result."""
    params, check_mode = module.params, module.check_mode
    paths = params["paths"]
    contents = params["contents"] or {}
    unknown = sorted(set(contents) - set(paths))
    if unknown:
        raise CrossclusterError("contents names %s, which is not in paths" % ", ".join(unknown),
                                fix="list every file to write in paths")
    bcfks = params["bcfks"]["path"] if params["bcfks"] else None
    if bcfks is not None and (bcfks not in paths or bcfks in contents):
        raise CrossclusterError("bcfks names %s, which is not in paths or is also in contents" % bcfks,
                                fix="list the BCFKS store in paths, and its new content nowhere: keytool makes it")
    attributes = Attributes(params["mode"], params["owner"], params["group"], default_mode=0o644)
    for path in paths:
        check_path(path)
    with locked_all(paths):
        snapshots = [read_snapshot(path, create=True) for path in paths]
        moved = [s.path for s in snapshots if s.path in params["expected"]
                 and s.sha256 != params["expected"][s.path]]
        if moved:
            return _conflict(moved)
        changes = []
        result = {}
        for snapshot in snapshots:
            if snapshot.path == bcfks:
                # keytool runs under the lock, so the bytes it changes are those checked against expected.
                data, result["bcfks"] = bcfks_change(module, snapshot)
                if data is not None:
                    changes.append((snapshot, data, attributes))
                continue
            if snapshot.path not in contents:
                continue
            if not snapshot.exists and not params["create"]:
                raise CrossclusterError("does not exist", path=snapshot.path,
                                        fix="set create: true to start a new file")
            data = base64.b64decode(contents[snapshot.path])
            if data != snapshot.data:
                changes.append((snapshot, data, attributes))
        if bcfks is not None and changes and not check_mode:
            # keytool took seconds, and MapR's own tools write these files without the lock: a file
            # changed meanwhile is a conflict, and nothing is written.
            moved = [s.path for s in snapshots if read_snapshot(s.path, create=True).sha256 != s.sha256]
            if moved:
                return _conflict(moved)
        backups = {} if check_mode or not changes else write_files(changes, backup=params["backup"])
    return dict(result, changed=bool(changes) or bool(result.get("bcfks", {}).get("changed")), conflict=False,
                backup_files=backups)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", required=True),
            state=dict(type="str", choices=["read", "replace"], default="read"),
            # Not secret, but large: keeping it out of logs keeps -vvvv output readable.
            contents=dict(type="dict", no_log=True),
            expected=dict(type="dict", default={}),
            create=dict(type="bool", default=False),
            bcfks=dict(type="dict", options=dict(
                path=dict(type="path", required=True),
                certificates=dict(type="list", elements="dict", default=[]),
                remove=dict(type="list", elements="dict", default=[]),
                mapr_home=dict(type="path", default="/opt/mapr"),
                provider_path=dict(type="path"),
                provider_class=dict(type="str", default=FIPS_PROVIDER_CLASS),
                keytool=dict(type="path"),
            )),
            bcfks_password=dict(type="str", no_log=True),
            truststore_password_from=dict(type="path"),
            **FILE_ARGS
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        if params["state"] == "read":
            # Refused before any file or directory is opened or locked.
            for path in params["paths"]:
                check_path(path)
            with locked_all(params["paths"]):
                files = [describe(read_managed(path)) for path in params["paths"]]
            extra = {}
            if params["truststore_password_from"]:
                password, credential_store, extra["truststore_password_source"] = read_truststore_password(
                    params["truststore_password_from"])
                if password is None:
                    extra["truststore_credential_store"] = base64.b64encode(credential_store).decode("ascii")
                else:
                    extra["truststore_password"] = password
            module.exit_json(changed=False, files=files, **extra)
        result = replace(module)
    except CrossclusterError as err:
        module.fail_json(msg=str(err))
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
