# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of security_facts: the node reads its files once; stores are opened here.

The truststore password never goes to the node: with it, the node hands over the three stores'
bytes and the controller opens them. The cluster's own CA chain is worked out here too, from the
certificates of ssl_keystore.pem (the node never sends its key) and the truststore.
"""

import base64
import hashlib
import os

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._own_ca import own_ca
from ansible_collections.datafabric.crosscluster.plugins.module_utils._sealed import new_key, unseal
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import CLUSTERS_CONF
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import TrustStore
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.store_cache import remember

MODULE = "datafabric.crosscluster.security_facts"
ARGUMENT_SPEC = dict(
    mapr_home=dict(type="path", default="/opt/mapr"),
    users=dict(type="list", elements="str", default=[]),
    truststore_password=dict(type="str", no_log=True),
    read_truststore_password=dict(type="bool", default=False),
    export_aliases=dict(type="list", elements="str", default=[]),
)


def open_stores(conf_dir, store_data, password):
    """Each truststore as ``{exists, sha256, store_type, entries, error}``, and the trusted (alias, cert) pairs."""
    stores = {}
    trusted = []
    for name, encoded in store_data.items():
        path = os.path.join(conf_dir, name)
        data = base64.b64decode(encoded) if encoded is not None else None
        info = dict(exists=data is not None, sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
                    store_type=None, entries=[], error=None)
        if data is not None:
            try:
                store = TrustStore.load(data, "auto", password, path)
            except CrossclusterError as err:
                info["error"] = str(err)
            else:
                info.update(store_type=store.store_type, entries=store.describe())
                if name == "ssl_truststore":
                    trusted = [(e.alias, e.certificate) for e in store.trusted()]
        stores[name] = info
    return stores, trusted


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        try:
            result.update(self._gather(task_vars))
        except AnsibleConnectionFailure:
            raise  # unreachable, which preflight tells apart from a failure
        except Exception as err:  # a message, not a traceback, for the preflight gate to report
            result.update(failed=True, msg="security_facts: %s" % (str(err) or type(err).__name__))
        return result

    def _gather(self, task_vars):
        result = {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        password = args["truststore_password"]
        from_node = password is None and args["read_truststore_password"]
        module_args = dict(mapr_home=args["mapr_home"], users=args["users"],
                           read_stores=password is not None or from_node, read_password=from_node)
        if from_node:
            module_args["seal_key"] = key = new_key()
        try:
            gathered = self._execute_module(module_name=MODULE, task_vars=task_vars, module_args=module_args)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        # The node's own password, when it was asked for: it opens the stores here and goes no further.
        sealed = gathered.pop("store_password", None)
        if from_node and sealed is not None:
            password = unseal(sealed, key)
        store_data = gathered.pop("store_data", None)
        if password is None:
            store_data = None
        conf_data = (store_data or {}).pop(CLUSTERS_CONF, None)
        if gathered.get("failed") or "ansible_facts" not in gathered:
            # A failed node sets no fact at all (see the last line).
            result.update((key, value) for key, value in gathered.items() if key != "ansible_facts")
            return result
        facts = gathered["ansible_facts"]["mapr_security"]
        keystore = facts.pop("keystore")
        facts["truststores"] = {}
        trusted = []
        if store_data is not None:
            facts["truststores"], trusted = open_stores(os.path.join(args["mapr_home"], "conf"), store_data,
                                                        password)
            # truststore_import and peer_trust then write from these bytes without reading the files again.
            for encoded in list(store_data.values()) + [conf_data]:
                if encoded is not None:
                    remember(base64.b64decode(encoded))
        facts["own_ca"] = dict(certificates=[], error=None)
        if store_data is not None and not facts["truststores"]["ssl_truststore"]["error"]:
            try:
                facts["own_ca"]["certificates"] = own_ca(keystore, trusted, args["export_aliases"])
            except CrossclusterError as err:
                facts["own_ca"]["error"] = str(err)
        elif store_data is None:
            facts["own_ca"]["error"] = "not worked out: no truststore password was given"
        else:
            facts["own_ca"]["error"] = "not worked out: ssl_truststore could not be opened"
        # Only the collection's own namespace, rebuilt from what the node returned: a node (an altered
        # module or interpreter) must not set or override any variable, such as the mapr_cluster_name
        # its cluster's export is checked against when facts are injected as variables. What else it
        # returned is named for the preflight gate (a foreign key is itself a reason to stop).
        discovered = getattr(self, "_discovered_interpreter_key", None)
        facts["foreign_facts"] = sorted(str(key) for key in gathered["ansible_facts"]
                                        if key not in ("mapr_security", discovered))
        namespace = dict(mapr_security=facts)
        if discovered:  # the controller's own interpreter discovery, not the node's word
            namespace[discovered] = self._discovered_interpreter
        result.update(changed=False, ansible_facts=namespace)
        return result
