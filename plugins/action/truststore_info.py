# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of truststore_info: read the node's store once, parse it here."""

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import (
    STORE_ARGS,
    NodeFiles,
    TruststoreAction,
)

ARGUMENT_SPEC = dict(STORE_ARGS, companions=dict(type="bool", default=False))


class ActionModule(TruststoreAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def work(self, args, task_vars):
        stores = []
        for item in NodeFiles(self, task_vars).read(self.layout(args)):
            if not item.exists and not item.primary:
                continue
            store = item.load()
            stores.append(dict(path=item.path, store_type=store.store_type,
                               entries=store.describe(with_pem=True)))
        primary = stores[0]
        return dict(changed=False, path=primary["path"], store_type=primary["store_type"],
                    entries=primary["entries"], stores=stores)
