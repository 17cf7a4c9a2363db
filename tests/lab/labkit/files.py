"""Small file helpers shared by the lab builder (controller side)."""

from __future__ import annotations

import json
import os
import tempfile


def write_file(path: str, data: bytes | str, mode: int = 0o644) -> None:
    """Write atomically with the final mode already set, so a secret is never briefly world-readable."""
    if isinstance(data, str):
        data = data.encode()
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json(path: str, obj, mode: int = 0o600) -> None:
    write_file(path, json.dumps(obj, indent=1, sort_keys=True) + "\n", mode)


def read_json(path: str):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
