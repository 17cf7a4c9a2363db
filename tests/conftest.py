"""Make this checkout importable as ``ansible_collections.datafabric.crosscluster``.

Ansible finds collections by path, so a link under ``.cache/collections`` stands in for an
installed copy; the same tree serves ``ANSIBLE_COLLECTIONS_PATH`` in integration tests.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
_LINK = os.path.join(COLLECTIONS, "ansible_collections", "datafabric", "crosscluster")

if not os.path.islink(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    try:
        os.symlink(ROOT, _LINK)
    except FileExistsError:
        pass
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
