# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of krb5_principal_info: the module runs on the node through node_call."""

from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import NodeModuleAction


class ActionModule(NodeModuleAction):
    # digest_nonce keys the HMAC digests of the KDC's keys: with them, it would allow offline guessing.
    SECRETS = ("digest_nonce",)
