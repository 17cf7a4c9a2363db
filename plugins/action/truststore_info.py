# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of truststore_info: read the node's store once, parse it here."""

from ansible.plugins.action import ActionBase

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import (
    NodeFiles,
    fail_on_error,
    store_layout,
)

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    store_type=dict(type="str", choices=["auto", "jks", "pkcs12", "pem"], default="auto"),
    password=dict(type="str", no_log=True),
    companions=dict(type="bool", default=False),
    companion_password=dict(type="str", no_log=True),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            result.update(self._info(args, task_vars or {}))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    @fail_on_error
    def _info(self, args, task_vars):
        layout = store_layout(args["path"], args["store_type"], args["password"], args["companions"],
                              args["companion_password"])
        stores = []
        for item in NodeFiles(self, task_vars).read(layout):
            if not item.exists and not item.primary:
                continue
            store = item.load()
            stores.append(dict(path=item.path, store_type=store.store_type,
                               entries=store.describe(with_pem=True)))
        primary = stores[0]
        return dict(changed=False, path=primary["path"], store_type=primary["store_type"],
                    entries=primary["entries"], stores=stores)
