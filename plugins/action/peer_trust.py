# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of peer_trust: the truststores and mapr-clusters.conf edited here, written in one
compare-and-swap on the node, the stores first."""

import os

from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import ClustersConf, parse_line
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_LINE,
    MAX_NAME,
    check_options,
    decode_text,
)
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.store_edit import (
    CERTIFICATE_LIMITS,
    CERTIFICATE_OPTIONS,
    REMOVE_OPTIONS,
    edit_stores,
    removals_from,
    requests_from,
    stores_result,
)
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import (
    MAPR_TRUSTSTORE,
    NodeFiles,
    TruststoreAction,
    store_layout,
)

ARGUMENT_SPEC = dict(
    mapr_home=dict(type="path", default="/opt/mapr"),
    password=dict(type="str", no_log=True),
    companion_password=dict(type="str", no_log=True),
    certificates=dict(type="list", elements="dict", default=[], options=CERTIFICATE_OPTIONS),
    certificates_remove=dict(type="list", elements="dict", default=[], options=REMOVE_OPTIONS),
    lines=dict(type="list", elements="str", default=[]),
    remove=dict(type="list", elements="str", default=[]),
    backup=dict(type="bool", default=False),
    based_on=dict(type="dict"),
)

LIMITS = dict(certificates=CERTIFICATE_LIMITS, certificates_remove=CERTIFICATE_LIMITS, lines=MAX_LINE,
              remove=MAX_NAME)


def _pem_content(value):
    # Unlike truststore_import, no controller file lookup: the peers' CAs come from facts.
    return value, "option certificates"


def edit_conf(conf_file, entries, remove, host=None):
    """``(new_bytes or None, report)`` for mapr-clusters.conf given as a NodeFile; the report's
    ``warning`` names ``host`` and the file when its line ends are CRLF (kept as they are)."""
    if not conf_file.exists:
        raise CrossclusterError("does not exist", path=conf_file.path,
                                fix="check mapr_home; the node must be a configured MapR node (configure.sh)")
    before = decode_text(conf_file.data, conf_file.path)
    conf = ClustersConf.parse(before, path=conf_file.path)
    warning = conf.crlf_warning(host)  # of the file as read, before a line is added
    own = conf.get(conf.local_cluster) if conf.local_cluster else None
    for option, names in (("lines", [e.name for e in entries if not (own and e.same_as(own))]), ("remove", remove)):
        if own and own.name in names:
            raise CrossclusterError(
                "option %s names %s, this node's own cluster (the first line); it is never changed here"
                % (option, own.name), path=conf_file.path,
                fix="list only peer clusters; change a node's own cluster with configure.sh")
    conf.update(entries, remove)
    after = conf.render()
    report = dict(path=conf_file.path, changed=after != before, clusters=conf.names(),
                  local_cluster=conf.local_cluster, before=before, after=after, warning=warning)
    return (after.encode("utf-8") if after != before else None), report


class ActionModule(TruststoreAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def work(self, args, task_vars):
        check_options(args, LIMITS)
        requests = requests_from(args["certificates"], "present", _pem_content)
        removals = removals_from(args["certificates_remove"])
        entries = [parse_line(text, path="option lines", line=number)
                   for number, text in enumerate(args["lines"], 1)]
        conf_dir = os.path.join(args["mapr_home"], "conf")
        node = NodeFiles(self, task_vars)
        layout = []
        # Empty is not given: ansible-core 2.16 templates a role's ``default(none)`` to "".
        password, source = args["password"] or None, None
        if (requests or removals) and password is None:
            # One more call on the node than with a password given: the write needs it on the controller.
            password, source = node.truststore_password(conf_dir)
        if requests or removals:
            layout = store_layout(os.path.join(conf_dir, MAPR_TRUSTSTORE), "auto", password, True,
                                  args["companion_password"])
        conf_path = os.path.join(conf_dir, "mapr-clusters.conf")

        def compute(files):
            stores, contents = edit_stores(files[:-1], requests, removals) if layout else ([], {})
            data, conf = edit_conf(files[-1], entries, args["remove"], task_vars.get("inventory_hostname"))
            if data is not None:
                contents[conf_path] = data
            return contents, (stores, conf)

        # Files are written in the order read: the certificates land before the lines that name
        # their clusters, as configure-crosscluster.sh does, so no node names a cluster it cannot verify.
        write_args = dict(backup=args["backup"], create=False, file_args=dict(mode=None, owner=None, group=None))
        (stores, conf), backups = node.converge(layout, (conf_path,), compute, self._task.check_mode, write_args,
                                                based_on=args["based_on"])
        result = self._report(stores, conf, backups)
        if source:
            result["truststore_password_source"] = source
        return result

    def _report(self, stores, conf, backups):
        diff = []
        result = dict(changed=conf["changed"])
        if stores:
            truststore = stores_result(stores, backups, self._task.diff)
            diff.extend(truststore.pop("diff", []))
            result["changed"] = result["changed"] or truststore.pop("changed")
            result["truststore"] = truststore
        result["conf"] = dict((k, v) for k, v in conf.items() if k not in ("before", "after", "warning"))
        if conf["warning"]:
            result["warnings"] = [conf["warning"]]
        if conf["path"] in backups:
            result["conf"]["backup_file"] = backups[conf["path"]]
        if self._task.diff and conf["changed"]:
            diff.append(dict(before_header=conf["path"], after_header=conf["path"],
                             before=conf["before"], after=conf["after"]))
        if self._task.diff:
            result["diff"] = diff
        return result
