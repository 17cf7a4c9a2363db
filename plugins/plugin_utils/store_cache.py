# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""The truststores' bytes as security_facts read them, kept on the controller for the rest of the run.

security_facts returns each file's path and SHA-256 (``files_read``); the user_trust plan carries
them as ``based_on``, and peer_trust or truststore_import handed that option start their write from
the bytes kept here instead of reading the same files from the node again, one round trip less per
node. Nothing reads this cache unless a task names what it is based on. A copy is named by its
SHA-256, so it can only ever stand for exactly the bytes it was read as, and the write's
compare-and-swap on the node still catches a file that changed since (the task then reads it anew).
The copies live in Ansible's own local temporary directory for this run (0700, removed when
ansible-playbook ends), shared by its worker processes; a truststore holds no key, only
certificates.
"""

import hashlib
import os

from ansible import constants as C

DIRECTORY = "datafabric-crosscluster-stores"


def _path(digest):
    return os.path.join(C.DEFAULT_LOCAL_TMP, DIRECTORY, digest)


def remember(data):
    """Keep ``data`` for this run; returns its SHA-256 (hex).

    Only a shortcut: when the copy cannot be written (a full or read-only disk), nothing is kept
    and truststore_import reads the node's file as it would without a gather; the gather itself
    never fails for it.
    """
    digest = hashlib.sha256(data).hexdigest()
    path = _path(digest)
    if os.path.exists(path):
        return digest
    # Written aside and renamed, so a concurrent worker never reads half a copy.
    partial = "%s.%d" % (path, os.getpid())
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except OSError:
        try:
            os.unlink(partial)
        except OSError:
            pass
    return digest


def recall(digest):
    """The bytes remembered under ``digest`` in this run, or None."""
    try:
        with open(_path(digest), "rb") as handle:
            data = handle.read()
    except (OSError, TypeError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None
