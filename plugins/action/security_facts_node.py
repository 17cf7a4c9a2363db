# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of security_facts_node: the module runs on the node through node_call."""

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import NodeModuleAction


class ActionModule(NodeModuleAction):
    # bcfks_password (a FIPS node's truststore password, for keytool there) goes only over pipelining;
    # the node's own truststore password is checked there and stays there. The reply sets no variable
    # but this namespace.
    SECRETS = ("bcfks_password",)
    NAMESPACE = "mapr_security"
