# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of peer_trust: the truststores and mapr-clusters.conf edited here, written in one
compare-and-swap on the node, the stores first. A FIPS node's BCFKS store, which only the node's
keytool opens, is changed by file_snapshot on the node within that same write."""

import os

from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import ClustersConf, parse_line
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_LINE,
    MAX_NAME,
    check_options,
    decode_text,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import FIPS_PROVIDER_CLASS
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
    BCFKS,
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
    # A FIPS node: its store of record is ssl_truststore.bcfks, which the node's keytool changes.
    fips=dict(type="bool", default=False),
    provider_path=dict(type="path"),
    provider_class=dict(type="str", default=FIPS_PROVIDER_CLASS),
    keytool=dict(type="path"),
)

LIMITS = dict(certificates=CERTIFICATE_LIMITS, certificates_remove=CERTIFICATE_LIMITS, lines=MAX_LINE,
              remove=MAX_NAME, provider_class=MAX_NAME, provider_path=MAX_LINE, keytool=MAX_LINE)


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


def _bcfks_report(path, reply):
    """The node's report of its BCFKS store (file_snapshot's ``bcfks``) in edit_stores' form."""
    return dict(path=path, store_type=BCFKS, changed=reply["changed"], before=reply["before"], after=reply["after"],
                imported=reply["imported"], removed=reply["removed"], skipped=reply["already_present"])


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
        fips = args["fips"]
        node_change = None
        if fips:
            # The BCFKS store first: the node's keytool changes it within the write that replaces its
            # PEM sibling and the conf (file_snapshot's bcfks), all or none. Without a store change it
            # is only compared-and-swapped (no JVM): the lines land only if the store the plan found
            # their CAs in is still the same. Without a password given the node uses its own, which
            # never leaves it.
            bcfks = os.path.join(conf_dir, MAPR_TRUSTSTORE + "." + BCFKS)
            layout = [(bcfks, BCFKS, None, True)]
            if requests or removals:
                layout.append((os.path.join(conf_dir, MAPR_TRUSTSTORE + ".pem"), "pem", None, False))
                node_change = dict(bcfks_password=password, bcfks=dict(
                    path=bcfks, mapr_home=args["mapr_home"], provider_path=args["provider_path"],
                    provider_class=args["provider_class"], keytool=args["keytool"],
                    certificates=[dict(alias=item["alias"], pem=item["pem"]) for item in args["certificates"]],
                    remove=args["certificates_remove"]))
        elif requests or removals:
            if password is None:
                # One more call on the node than with a password given: the write needs it on the controller.
                password, source = node.truststore_password(conf_dir)
            layout = store_layout(os.path.join(conf_dir, MAPR_TRUSTSTORE), "auto", password, True,
                                  args["companion_password"])
        conf_path = os.path.join(conf_dir, "mapr-clusters.conf")

        def compute(files):
            # A FIPS node's BCFKS store (files[0]) is the node's to change: only its PEM sibling is edited here.
            stores = files[1:-1] if fips else files[:-1]
            stores, contents = edit_stores(stores, requests, removals) if stores else ([], {})
            data, conf = edit_conf(files[-1], entries, args["remove"], task_vars.get("inventory_hostname"))
            if data is not None:
                contents[conf_path] = data
            return contents, (stores, conf)

        # Files are written in the order read: the certificates land before the lines that name
        # their clusters, as configure-crosscluster.sh does, so no node names a cluster it cannot verify.
        write_args = dict(backup=args["backup"], create=False, file_args=dict(mode=None, owner=None, group=None))
        (stores, conf), backups = node.converge(layout, (conf_path,), compute, self._task.check_mode, write_args,
                                                based_on=args["based_on"], node_change=node_change)
        if node_change:
            stores = [_bcfks_report(layout[0][0], node.reply["bcfks"])] + stores
        result = self._report(stores, conf, backups)
        if node_change:
            result["truststore"]["provider"] = node.reply["bcfks"]["provider"]
            result["truststore"]["entries"] = node.reply["bcfks"]["entries"]
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
