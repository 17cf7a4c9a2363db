# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""A secret a node hands to the controller, sealed for the trip.

At -vvvv Ansible's connection plugins print everything a module writes to standard output, so a
secret read on a node (its truststore password) must not travel there in clear. The action sends a
fresh random key with the module's arguments (on standard input, no_log), the node returns the
secret XORed with a keystream drawn from that key (SHA-256 in counter mode) and an HMAC over it,
and the action opens it. A key serves one secret only. Standard library only: this runs on nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import os

KEY_BYTES = 32


def new_key():
    """A one-time key, as the text a module argument carries."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _keystream(key, length):
    blocks = (length + 31) // 32
    return b"".join(hashlib.sha256(b"stream" + key + n.to_bytes(8, "big")).digest() for n in range(blocks))[:length]


def _mac(key, body):
    return hmac.new(hashlib.sha256(b"mac" + key).digest(), body, hashlib.sha256).digest()


def seal(secret, key_text):
    """``secret`` (str) as text that shows nothing of it without the key."""
    key = base64.b64decode(key_text)
    data = secret.encode("utf-8")
    body = bytes(a ^ b for a, b in zip(data, _keystream(key, len(data))))
    return base64.b64encode(_mac(key, body) + body).decode("ascii")


def unseal(sealed, key_text):
    """The secret ``seal`` sealed with the same key; ValueError when it was not (altered, other key)."""
    key = base64.b64decode(key_text)
    raw = base64.b64decode(sealed)
    mac, body = raw[:32], raw[32:]
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise ValueError("the sealed secret does not match its key")
    return bytes(a ^ b for a, b in zip(body, _keystream(key, len(body)))).decode("utf-8")
