# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of security_facts_node: the module runs on the node through node_call."""

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import NodeModuleAction


class ActionModule(NodeModuleAction):
    # No option carries a secret (the node's own truststore password is checked there and stays there);
    # the reply sets no variable but this namespace.
    NAMESPACE = "mapr_security"
