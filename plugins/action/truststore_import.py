# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of truststore_import: the store password never leaves the controller."""

from ansible.errors import AnsibleActionFail

from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import (
    MAX_NAME,
    check_options,
    excerpt,
    read_text,
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
    STORE_ARGS,
    NodeFiles,
    TruststoreAction,
)

ARGUMENT_SPEC = dict(
    STORE_ARGS,
    companions=dict(type="bool", default=True),
    certificates=dict(type="list", elements="dict", options=CERTIFICATE_OPTIONS),
    remove=dict(type="list", elements="dict", default=[], options=REMOVE_OPTIONS),
    certificate=dict(type="str"),
    alias=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    on_alias_conflict=dict(type="str", choices=["fail", "replace"], default="fail"),
    create=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
    mode=dict(type="raw"),
    owner=dict(type="str"),
    group=dict(type="str"),
    based_on=dict(type="dict"),
)

LIMITS = dict(alias=MAX_NAME, certificates=CERTIFICATE_LIMITS, remove=CERTIFICATE_LIMITS)


class ActionModule(TruststoreAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    VALIDATION = dict(
        mutually_exclusive=[("certificates", "certificate"), ("certificates", "alias")],
        required_one_of=[("certificates", "certificate", "alias", "remove")],
    )

    def _certificate_text(self, value):
        """``certificate`` is PEM content, or a controller path searched like copy's src."""
        if "-----BEGIN" in value:
            return value, "option certificate"
        try:
            path = self._find_needle("files", value)
        except Exception:
            raise AnsibleActionFail("certificate file %s was not found on the controller. Fix: give "
                                    "PEM content, or a path relative to the playbook's files/" % excerpt(value))
        return read_text(path), path

    def work(self, args, task_vars):
        check_options(args, LIMITS)
        if args["certificates"] is not None:
            items = args["certificates"]
        elif args["certificate"] is None and args["alias"] is None:
            items = []
        else:
            items = [dict(alias=args["alias"], pem=args["certificate"], sha256=None)]
        requests = requests_from(items, args["state"], self._certificate_text)
        removals = removals_from(args["remove"])

        def compute(files):
            stores, contents = edit_stores(files, requests, removals, args["state"], args["on_alias_conflict"],
                                           args["create"])
            return contents, stores

        write_args = dict(backup=args["backup"], create=args["create"],
                          file_args=dict((k, args[k]) for k in ("mode", "owner", "group")))
        stores, backups = NodeFiles(self, task_vars).converge(self.layout(args), (), compute,
                                                              self._task.check_mode, write_args,
                                                              based_on=args["based_on"])
        return stores_result(stores, backups, self._task.diff)
