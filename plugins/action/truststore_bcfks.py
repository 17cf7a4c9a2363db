# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of truststore_bcfks: the module runs on the node through node_call."""

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import NodeModuleAction


class ActionModule(NodeModuleAction):
    SECRETS = ("password",)
