# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Controller-side plumbing shared by the truststore action plugins.

The node runs ``file_snapshot`` to hand over and take back bytes; everything that needs pyjks or
cryptography, and the store password, stays here on the controller.
"""

import base64
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.datafabric.crosscluster.plugins.module_utils._credential_store import credential_store_password
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import TrustStore
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.node_call import run_module
from ansible_collections.datafabric.crosscluster.plugins.plugin_utils.store_cache import recall

SNAPSHOT_MODULE = "datafabric.crosscluster.file_snapshot"
# Its options that carry a secret: the BCFKS store's password of a FIPS node's one write. ``contents``
# holds truststores and mapr-clusters.conf, certificates and cluster lines only (it is no_log for its size).
SNAPSHOT_SECRETS = ("bcfks_password",)
MAPR_TRUSTSTORE = "ssl_truststore"
# MapR 6.2+/7.x keep these siblings of ssl_truststore in step; each keeps its own format.
COMPANIONS = ((".p12", "pkcs12"), (".pem", "pem"))
# A FIPS node's store of record, which only the node's keytool opens: the controller never loads it.
BCFKS = "bcfks"
EXTENSION_TYPES = {".p12": "pkcs12", ".pfx": "pkcs12", ".pem": "pem", ".crt": "pem"}

# The options that name a store and open it, shared by every truststore action.
STORE_ARGS = dict(
    path=dict(type="path", required=True),
    store_type=dict(type="str", choices=["auto", "jks", "pkcs12", "pem"], default="auto"),
    password=dict(type="str", no_log=True),
    companion_password=dict(type="str", no_log=True),
)


# A concurrent writer makes the compare-and-swap fail; re-reading converges in one retry in
# practice, a few more cover a busy node.
ATTEMPTS = 4


class NodeFile:
    """One file as read from the node: its bytes and the SHA-256 its write must still find."""

    def __init__(self, path, exists, data, sha256):
        self.path = path
        self.exists = exists
        self.data = data
        self.sha256 = sha256


class StoreFile(NodeFile):
    """One store file as read from the node."""

    def __init__(self, path, store_type, password, exists, data, sha256, primary):
        super().__init__(path, exists, data, sha256)
        self.store_type = store_type
        self.password = password
        self.primary = primary

    def load(self, create=False):
        if self.exists:
            return TrustStore.load(self.data, self.store_type, self.password, self.path)
        if not create:
            raise CrossclusterError("does not exist", path=self.path,
                                    fix="correct the path, or set create: true to start a new store")
        return TrustStore.empty(self.new_store_type(), self.path)

    def new_store_type(self):
        if self.store_type != "auto":
            return self.store_type
        return EXTENSION_TYPES.get(os.path.splitext(self.path)[1].lower(), "jks")


def store_layout(path, store_type, password, companions, companion_password):
    """[(path, store_type, password, primary)] for ``path`` and, for MapR's store, its siblings."""
    layout = [(path, store_type, password, True)]
    if companions and os.path.basename(path) == MAPR_TRUSTSTORE:
        for suffix, kind in COMPANIONS:
            sibling_password = None if kind == "pem" else (companion_password or password)
            layout.append((path + suffix, kind, sibling_password, False))
    return layout


class NodeFiles:
    """Reads and compare-and-swap writes of store files through ``file_snapshot``."""

    def __init__(self, action, task_vars):
        self.action = action
        self.task_vars = task_vars
        self.reply = None  # the last replace's, for a node_change's own report

    def _run(self, args, secret_reply=False):
        return run_module(self.action, self.task_vars, SNAPSHOT_MODULE, args, secrets=SNAPSHOT_SECRETS,
                          secret_reply=secret_reply)

    @staticmethod
    def _failure(result, doing, paths):
        """The node module's failure, naming the files; when it died without a word (killed, out of
        memory) Ansible's own message says only that no JSON came, so its exit status and stderr
        are what tells the user what happened."""
        details = []
        rc = result.get("rc")
        if isinstance(rc, int) and rc > 128:
            details.append("exit status %d: killed by signal %d" % (rc, rc - 128))
        elif rc:
            details.append("exit status %s" % rc)
        stderr = (result.get("module_stderr") or "").strip()
        if stderr:
            details.append("stderr: %s" % stderr[-300:])
        msg = "%s %s on the node failed: %s" % (doing, ", ".join(paths), result.get("msg") or "no message")
        if details:
            # Files are replaced by rename, one at a time: each is whole, either as before or new.
            msg += " (%s). Fix: re-run; each file was left either as it was or fully written" % "; ".join(details)
        return AnsibleActionFail(msg)

    def read_paths(self, paths):
        """The files at ``paths``, read in one call under the node's directory lock."""
        result = self._run(dict(paths=list(paths), state="read"))
        if result.get("failed"):
            raise self._failure(result, "reading", list(paths))
        return [NodeFile(path, item["exists"], base64.b64decode(item["content"]) if item["exists"] else None,
                         item["sha256"]) for path, item in zip(paths, result["files"])]

    def truststore_password(self, conf_dir):
        """``(password, source path)`` MapR keeps in ``conf_dir`` on the node; never returned to the user.

        Only the writes need it (the gather never reads it), and only for a JKS or PKCS12 store they
        change: it comes back in this one call's reply, which runs with no_log (see run_module), or
        the node's maprtrustcreds.jceks does, which is opened here. CrossclusterError when it cannot be.
        """
        result = self._run(dict(paths=[], state="read", truststore_password_from=conf_dir), secret_reply=True)
        password = result.pop("truststore_password", None)
        credential_store = result.pop("truststore_credential_store", None)
        if not result.get("failed") and password is None and credential_store is not None:
            # Only maprtrustcreds.jceks has it: sealed with Triple DES, which only this side can undo.
            password = credential_store_password(base64.b64decode(credential_store),
                                                 result["truststore_password_source"])
        if result.get("failed") or password is None:
            raise AnsibleActionFail(result.get("msg") or "reading the truststore password on the node failed")
        return password, result["truststore_password_source"]

    def read(self, layout, extra=()):
        """The stores of ``layout`` (see store_layout), then the plain files at ``extra``."""
        files = self.read_paths([item[0] for item in layout] + list(extra))
        stores = [StoreFile(path, store_type, password, f.exists, f.data, f.sha256, primary)
                  for (path, store_type, password, primary), f in zip(layout, files)]
        return stores + files[len(layout):]

    @staticmethod
    def _based_on(path, based_on, sha256_only=False):
        """(exists, data, sha256) of ``path`` as ``based_on`` names it, or None when it does not or
        the bytes of that SHA-256 were not kept on the controller in this run. ``sha256_only``: a
        file whose bytes only the node works on (a BCFKS store, keytool's), data None."""
        path = os.path.normpath(path)
        found = dict((os.path.normpath(k), v) for k, v in based_on.items())
        if path not in found:
            return None
        if found[path] is None:  # did not exist when it was read
            return False, None, None
        data = None if sha256_only else recall(found[path])
        return None if data is None and not sha256_only else (True, data, found[path])

    def as_gathered(self, layout, extra=(), based_on=None):
        """The files of ``read(layout, extra)`` as ``based_on`` names them (``{path: SHA-256, or None
        for a file that did not exist}``: security_facts' ``files_read``, which the plan carries), with
        the bytes security_facts kept on the controller (plugin_utils/store_cache.py), or None when
        one of them is not named or not kept. The write's compare-and-swap still checks that none
        changed since."""
        if not based_on:
            return None
        files = []
        for path, store_type, password, primary in layout:
            found = self._based_on(path, based_on, store_type == BCFKS)
            if found is None:
                return None
            files.append(StoreFile(path, store_type, password, found[0], found[1], found[2], primary))
        for path in extra:
            found = self._based_on(path, based_on)
            if found is None:
                return None
            files.append(NodeFile(path, *found))
        return files

    def converge(self, layout, extra, compute, check_mode, write_args, based_on=None, node_change=None):
        """Read the files (first from the bytes ``based_on`` names, when they were kept),
        ``compute(files) -> (contents, report)`` and write ``contents`` ({path: bytes}) only if no
        file changed since the read; when one did, read again and recompute. Returns ``(report,
        backup_files)``.

        ``node_change``: more options of the node's replace, a change the node itself works out in
        the same compare-and-swap (a FIPS node's BCFKS store, ``bcfks``). That call then runs even
        with no ``contents`` and in check mode (where the node only lists), and its reply is
        ``self.reply``."""
        gathered = self.as_gathered(layout, extra, based_on)
        for attempt in range(ATTEMPTS):
            files = gathered if attempt == 0 and gathered is not None else self.read(layout, extra)
            # A missing sibling store is neither read nor created; a missing primary is the
            # caller's to refuse or create.
            files = [f for f in files if f.exists or getattr(f, "primary", True)]
            contents, report = compute(files)
            backups = {}
            if node_change or (contents and not check_mode):
                written, backups = self.replace(files, contents, node_change=node_change, **write_args)
                if not written:
                    continue
            return report, backups
        raise AnsibleActionFail("%s kept changing while this task ran (%d attempts). Fix: re-run when "
                                "no other job writes them" % (", ".join([item[0] for item in layout] + list(extra)),
                                                              ATTEMPTS))

    def replace(self, files, contents, backup, file_args, create, node_change=None):
        # Files are written in the order of ``files``: a caller lists first what must land first.
        """Write ``contents`` ({path: bytes}) and what ``node_change`` asks the node to work out;
        returns (written, backup_files), written False on conflict."""
        args = dict(
            paths=[f.path for f in files],
            state="replace",
            contents=dict((path, base64.b64encode(data).decode("ascii")) for path, data in contents.items()),
            expected=dict((f.path, f.sha256) for f in files),
            backup=backup,
            create=create,
            **file_args
        )
        args.update(node_change or {})
        result = self._run(args)
        self.reply = result
        if result.get("conflict"):
            return False, {}
        if result.get("failed"):
            raise self._failure(result, "writing", sorted(contents) or [f.path for f in files])
        return True, result.get("backup_files", {})


class TruststoreAction(ActionBase):
    """What every truststore action does around its work: validate, translate errors, clean up.

    Subclasses set ARGUMENT_SPEC (and VALIDATION, the spec's cross-option rules) and implement
    ``work(args, task_vars) -> result``.
    """

    TRANSFERS_FILES = False
    _requires_connection = True
    ARGUMENT_SPEC = {}
    VALIDATION = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC, **self.VALIDATION)
        try:
            result.update(self.work(args, task_vars or {}))
        except CrossclusterError as err:
            raise AnsibleActionFail(str(err))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def layout(self, args):
        return store_layout(args["path"], args["store_type"], args["password"], args["companions"],
                            args["companion_password"])

    def work(self, args, task_vars):
        raise NotImplementedError
