# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of file_snapshot: the module runs on the node through node_call."""

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import NodeModuleAction
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import SNAPSHOT_SECRETS


class ActionModule(NodeModuleAction):
    SECRETS = SNAPSHOT_SECRETS
    # The truststore password a read brings back is for the collection's truststore actions only.
    SECRET_REPLY = {"truststore_password_from": ("truststore_password", "truststore_credential_store")}
