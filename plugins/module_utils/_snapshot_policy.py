# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Which files ``file_snapshot`` reads back to the controller or replaces: only those the
collection manages, so that the plumbing of the truststore actions is never a way to fetch any
file of a node (``/etc/shadow``, a private key) into Ansible's output.

The callers ask for MapR's truststore siblings and ``mapr-clusters.conf`` under
``<mapr_home>/conf`` (peer_trust), and for the store a user names to truststore_import and
truststore_info, which may be any Java or PEM truststore. The rule serves both by the file's
name, that of the path given and that of the file it resolves to, so a symlink with a store's
name that points elsewhere is refused too:

- ``mapr-clusters.conf``, Java's ``cacerts`` and ``jssecacerts``;
- a name holding ``truststore`` or ``keystore`` (``ssl_truststore``, ``node-keystore``);
- a store's extension (``.jks``, ``.p12``, ``.pem``, ...).

It must be a regular file (never a device, a FIFO, on which a read would block, or a directory),
outside ``/proc``, ``/sys`` and ``/dev``, and a file read back must not hold a PEM private key:
a key never belongs in a truststore, and read back it would show in -vvvv output.

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import excerpt
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import read_snapshot
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import refuse_block

NAMES = ("mapr-clusters.conf", "cacerts", "jssecacerts")
NAME_WORDS = ("truststore", "keystore")
EXTENSIONS = (".jks", ".p12", ".pfx", ".pem", ".crt", ".cer", ".bcfks", ".jceks", ".ks", ".ts")
SYSTEM_TREES = ("/proc", "/sys", "/dev")
_PRIVATE_KEY_RE = re.compile(br"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----")
_FIX = ("file_snapshot is the node half of truststore_import, truststore_info and peer_trust: give it a "
        "truststore (a name with truststore or keystore in it, or ending in .jks, .p12, .pfx, .pem, .crt, "
        ".cer, .bcfks, .jceks, .ks or .ts, or Java's cacerts) or mapr-clusters.conf; read other files with "
        "ansible.builtin.slurp")


def _managed_name(name):
    lower = name.lower()
    return (lower in NAMES or any(word in lower for word in NAME_WORDS)
            or os.path.splitext(lower)[1] in EXTENSIONS)


def _under(path, tree):
    return path == tree or path.startswith(tree + "/")


def check_path(path):
    """Refuse ``path`` unless it names a file the collection manages; return its ``os.stat`` (None
    when it does not exist, which a read reports and a write may create)."""
    real = os.path.realpath(path)
    for shown, name in ((path, os.path.basename(path)), (real, os.path.basename(real))):
        if not _managed_name(name):
            problem = "is not a file this collection manages"
            if shown != path:
                problem = "resolves to %s, which is not a file this collection manages" % excerpt(shown)
            raise CrossclusterError(problem, path=path, fix=_FIX)
    if any(_under(real, tree) for tree in SYSTEM_TREES):
        raise CrossclusterError("resolves to %s, under %s, which holds no truststore" % (
            excerpt(real), next(t for t in SYSTEM_TREES if _under(real, t))), path=path, fix=_FIX)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CrossclusterError("cannot be examined (%s)" % err.strerror, path=path,
                                fix="run with become: true, or as the file's owner")
    if not stat.S_ISREG(st.st_mode):
        raise CrossclusterError("is not a regular file", path=path, fix=_FIX)
    return st


def check_read(snapshot, st):
    """Refuse a file read back (``snapshot`` of _safe_write) that is not the one ``check_path``
    examined (swapped in between) or that holds a PEM private key; its content is never shown."""
    if snapshot.st is not None and (st is None or (snapshot.st.st_dev, snapshot.st.st_ino) != (st.st_dev, st.st_ino)):
        raise CrossclusterError("was replaced while it was being read", path=snapshot.path,
                                fix="re-run; if it happens again, check what else writes the file")
    found = _PRIVATE_KEY_RE.search(snapshot.data or b"")
    if found is not None:
        refuse_block(found.group(1).decode("ascii"), snapshot.path, snapshot.data.count(b"\n", 0, found.start()) + 1)


def read_managed(path):
    """``path`` read whole (a missing one too), once it passed ``check_path`` and ``check_read``."""
    st = check_path(path)
    snapshot = read_snapshot(path, create=True)
    check_read(snapshot, st)
    return snapshot
