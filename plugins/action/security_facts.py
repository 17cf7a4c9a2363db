# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller side of security_facts: the node reads its files once; stores are opened here.

The truststore password never goes to the node: with it, the node hands over the three stores'
bytes and the controller opens them. Without it, the node checks the password it keeps against its
ssl_truststore and says only whether it opens it; that password never leaves the node, and the
controller reads the certificates of the JKS and PEM stores without it. Only a password sealed in
maprtrustcreds.jceks, which the node cannot open, is opened here, in the gather as in a write.
The cluster's own CA chain is worked out here too, from the certificates of ssl_keystore.pem (the
node never sends its key) and the truststore.
"""

import base64
import hashlib
import os

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import (
    FIPS_PROVIDER_CLASS,
    one_certificate,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._own_ca import own_ca
from ansible_collections.datafabric.crosscluster.plugins.module_utils._security_facts import (
    BCFKS_TRUSTSTORE,
    CLUSTERS_CONF,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import (
    JCEKS_CREDENTIAL_STORE,
    jks_password_opens,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import (
    Certificate,
    Entry,
    TrustStore,
    detect_store_type,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._world import short_text
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import (
    DROPPED,
    run_module,
    secrets_refused,
)
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.store_cache import remember
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.truststore_action import NodeFiles

# The node half: it reads the files; the stores are opened here.
MODULE = "datafabric.crosscluster.security_facts_node"
ARGUMENT_SPEC = dict(
    mapr_home=dict(type="path", default="/opt/mapr"),
    users=dict(type="list", elements="str", default=[]),
    truststore_password=dict(type="str", no_log=True),
    read_truststore_password=dict(type="bool", default=False),
    export_aliases=dict(type="list", elements="str", default=[]),
    fips_provider_path=dict(type="path"),
    fips_provider_class=dict(type="str", default=FIPS_PROVIDER_CLASS),
)


def _unread_check(path, source):
    return str(CrossclusterError(
        "fails its JKS integrity check with the truststore password of %s: the password "
        "is wrong or the store is damaged" % source, path=path,
        fix="correct the password in that file or restore the store from a backup; or set "
            "mapr_truststore_password (vault it)"))


def open_stores(conf_dir, store_data, password, node_check=None):
    """Each truststore as ``{exists, sha256, store_type, entries, error}``, and the trusted (alias, cert) pairs.

    Without ``password``, ``node_check`` is ``(ok, source)`` of the node's own password, checked
    there against ssl_truststore: a JKS store is then read without its password and a PKCS12 store,
    which cannot be, has ``entries`` None.
    """
    stores = {}
    trusted = []
    for name, encoded in store_data.items():
        path = os.path.join(conf_dir, name)
        data = base64.b64decode(encoded) if encoded is not None else None
        info = dict(exists=data is not None, sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
                    store_type=None, entries=[], error=None)
        if data is not None and name == "ssl_truststore" and node_check and node_check[0] is False:
            info["error"] = _unread_check(path, node_check[1])
        elif data is not None:
            try:
                if password is None and detect_store_type(data, path) == "pkcs12":
                    info.update(store_type="pkcs12", entries=None)
                    stores[name] = info
                    continue
                store = TrustStore.load(data, "auto", password, path, unchecked_jks=node_check is not None)
            except CrossclusterError as err:
                info["error"] = str(err)
            else:
                info.update(store_type=store.store_type, entries=store.describe())
                if name == "ssl_truststore":
                    trusted = [(e.alias, e.certificate) for e in store.trusted()]
        stores[name] = info
    return stores, trusted


def bcfks_store(listed):
    """The node's keytool listing of ssl_truststore.bcfks (security_facts_node's ``bcfks_truststore``)
    in the shape of the other truststores, and its trusted (alias, cert) pairs.

    The node sends the certificates as PEM; they are parsed here, so that the entries carry what the
    other stores' do (validity included) and the own CA walk can climb through them.
    """
    info = dict(exists=bool(listed.get("exists")), sha256=listed.get("sha256"), store_type="bcfks", entries=[],
                error=listed.get("error"), provider=listed.get("provider"))
    trusted = []
    if not info["exists"]:
        info.update(store_type=None, sha256=None)
        return info, trusted
    if info["error"]:
        info["entries"] = None
        return info, trusted
    for entry in listed.get("entries") or []:
        try:
            cert = Certificate(one_certificate(entry["pem"], listed["path"]).der)
        except (CrossclusterError, ValueError) as err:
            info.update(entries=None, error=str(err) if isinstance(err, CrossclusterError) else str(CrossclusterError(
                "holds a certificate that does not parse (%s)" % err, path=listed["path"],
                fix="list it with keytool -list -rfc on the node; restore the store from a backup")))
            return info, []
        described = cert.describe(entry["alias"])
        described["type"] = entry["type"]
        info["entries"].append(described)
        if entry["type"] == Entry.TRUSTED:
            trusted.append((entry["alias"], cert))
    return info, trusted


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
        # Empty is not given: ansible-core 2.16 templates a role's ``default(none)`` to "".
        password = args["truststore_password"] or None
        from_node = password is None and args["read_truststore_password"]
        # The node's own password stays there: it says only whether that opens its ssl_truststore.
        module_args = dict(mapr_home=args["mapr_home"], users=args["users"],
                           read_stores=password is not None or from_node, check_password=from_node)
        # A FIPS node's truststore is listed there by keytool: at once with the node's own password,
        # which stays there; with the controller's, only once the gather has shown the node has one.
        provider = dict(fips_provider_path=args["fips_provider_path"] or None,
                        fips_provider_class=args["fips_provider_class"] or FIPS_PROVIDER_CLASS)
        if from_node:
            module_args.update(provider, list_bcfks=True)
        try:
            gathered = run_module(self, task_vars, MODULE, module_args, namespace="mapr_security")
            store_data = gathered.pop("store_data", None)
            listed = gathered.pop("bcfks_truststore", None)
            node_facts = (gathered.get("ansible_facts") or {}).get("mapr_security") or {}
            if password is not None and ((node_facts.get("stores") or {}).get(BCFKS_TRUSTSTORE) or {}).get("exists"):
                listed = self._list_bcfks(task_vars, args, provider, password)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        node_check = None
        if password is None and from_node and node_facts.get("truststore_password_source"):
            node_check = (node_facts.get("truststore_password_ok"), node_facts["truststore_password_source"])
            if node_check[0] is None and node_check[1].endswith(JCEKS_CREDENTIAL_STORE):
                node_check = self._check_credential_store(task_vars, args, store_data, node_facts, node_check)
        if password is None and node_check is None:
            store_data = None
        conf_data = (store_data or {}).pop(CLUSTERS_CONF, None)
        if gathered.get("failed") or "ansible_facts" not in gathered:
            # A failed node sets no fact at all (see the last line).
            result.update((key, value) for key, value in gathered.items() if key != "ansible_facts")
            return result
        facts = gathered["ansible_facts"]["mapr_security"]
        # Known here, not on the node: the gate stops the run before any write when a later task
        # that carries a secret would refuse on this host.
        facts["secret_tasks_refused"] = secrets_refused(self, task_vars)
        keystore = facts.pop("keystore")
        facts["truststores"] = {}
        trusted = []
        if store_data is not None:
            facts["truststores"], trusted = open_stores(os.path.join(args["mapr_home"], "conf"), store_data,
                                                        password, node_check)
            # truststore_import and peer_trust, handed files_read (option based_on), then write from these
            # bytes without reading the files again.
            conf_dir = os.path.join(args["mapr_home"], "conf")
            facts["files_read"] = dict((os.path.join(conf_dir, name), info["sha256"])
                                       for name, info in facts["truststores"].items())
            for encoded in store_data.values():
                if encoded is not None:
                    remember(base64.b64decode(encoded))
            if conf_data is not None:
                facts["files_read"][os.path.join(conf_dir, CLUSTERS_CONF)] = remember(base64.b64decode(conf_data))
        # The truststore the own CA walk climbs through: ssl_truststore, or on a FIPS node, which has
        # none, its BCFKS one.
        trust_name = "ssl_truststore"
        # Only a node that has one gets the entry: the other nodes' facts stay as they were.
        if listed is not None and listed.get("exists") and store_data is not None:
            facts["truststores"][BCFKS_TRUSTSTORE], bcfks_trusted = bcfks_store(listed)
            facts["files_read"][listed["path"]] = listed.get("sha256")
            if not facts["truststores"]["ssl_truststore"]["exists"]:
                trust_name, trusted = BCFKS_TRUSTSTORE, bcfks_trusted
        facts["own_ca"] = dict(certificates=[], error=None)
        if store_data is not None and not facts["truststores"][trust_name]["error"]:
            try:
                facts["own_ca"]["certificates"] = own_ca(keystore, trusted, args["export_aliases"])
            except CrossclusterError as err:
                facts["own_ca"]["error"] = str(err)
        elif store_data is None:
            facts["own_ca"]["error"] = "not worked out: no truststore password was given"
        else:
            facts["own_ca"]["error"] = "not worked out: %s could not be opened" % trust_name
        # Only the collection's own namespace, rebuilt from what the node returned: a node (an altered
        # module or interpreter) must not set or override any variable, such as the mapr_cluster_name
        # its cluster's export is checked against when facts are injected as variables. What else it
        # returned is named for the preflight gate (a foreign key is itself a reason to stop).
        # run_module dropped them already; it names them so that the gate can refuse the node.
        discovered = getattr(self, "_discovered_interpreter_key", None)
        facts["foreign_facts"] = sorted(key.split(".", 1)[-1] for key in gathered.pop(DROPPED, None) or ())
        namespace = dict(mapr_security=facts)
        if discovered:  # the controller's own interpreter discovery, not the node's word
            namespace[discovered] = self._discovered_interpreter
        result.update(changed=False, ansible_facts=namespace)
        return result

    def _check_credential_store(self, task_vars, args, store_data, node_facts, node_check):
        """``node_check`` for a node whose password only its maprtrustcreds.jceks holds, which the node
        cannot open: the same read a write makes (NodeFiles.truststore_password, no_log forced), so
        that a credential store with a password of its own, or without the password, stops the run at
        the gate instead of at the first write. The password is checked against ssl_truststore's JKS
        digest here and dropped; only whether it opens it is kept."""
        try:
            password, source = NodeFiles(self, task_vars).truststore_password(os.path.join(args["mapr_home"], "conf"))
        except (AnsibleActionFail, CrossclusterError) as err:
            node_facts["truststore_password_error"] = str(err)
            return node_check
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        encoded = (store_data or {}).get("ssl_truststore")
        opens = jks_password_opens(base64.b64decode(encoded) if encoded is not None else None, password)
        del password
        node_facts["truststore_password_ok"] = opens
        return opens, source

    def _list_bcfks(self, task_vars, args, provider, password):
        """ssl_truststore.bcfks listed on the node with the controller's password, which goes there
        only as every secret does (pipelined); a refusal or failure is the store's error, for the gate."""
        path = os.path.join(args["mapr_home"], "conf", BCFKS_TRUSTSTORE)
        module_args = dict(provider, mapr_home=args["mapr_home"], list_bcfks=True, bcfks_password=password)
        try:
            reply = run_module(self, task_vars, MODULE, module_args, secrets=("bcfks_password",),
                               namespace="mapr_security")
        except AnsibleActionFail as err:
            return dict(path=path, exists=True, error=str(err))
        if reply.get("failed") or "bcfks_truststore" not in reply:
            return dict(path=path, exists=True, error="%s: keytool could not list it: %s"
                        % (path, short_text(reply.get("msg") or "no listing came back")))
        return reply["bcfks_truststore"]
