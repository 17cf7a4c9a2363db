# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of krb5_conf: the module runs on the node through node_call."""

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import NodeModuleAction


class ActionModule(NodeModuleAction):
    pass  # no option carries a secret; the reply still sets no variable
