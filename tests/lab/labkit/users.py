"""The lab's user database: what the CLDB checks passwords against (salted PBKDF2, never plain)."""

from __future__ import annotations

import hashlib
import hmac
import os

# Cheap on purpose: the lab hashes a few passwords per `up`, and these guard nothing real.
ITERATIONS = 20000


def hash_password(password: str) -> dict:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return {"salt": salt.hex(), "hash": digest.hex(), "iterations": ITERATIONS}


def check_password(record: dict, password: str) -> bool:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(record["salt"]),
                                 record["iterations"])
    return hmac.compare_digest(digest.hex(), record["hash"])
