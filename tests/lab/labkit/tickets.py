"""Sealing and opening ticket blobs with a cluster key (the CLDB's side; needs cryptography).

The blob layout is described in node/mapr_node.py, which reads the claims without the key.
"""

from __future__ import annotations

import base64
import os
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .node.mapr_node import NONCE_LEN, NodeError, pack_claims, split_blob

KEY_LEN = 32


class TicketRejected(Exception):
    pass


def new_cluster_key() -> bytes:
    return os.urandom(KEY_LEN)


def seal(key: bytes, claims: dict) -> str:
    nonce = os.urandom(NONCE_LEN)
    head = pack_claims(claims, nonce)
    sealed = AESGCM(key).encrypt(nonce, os.urandom(32), head)
    return base64.b64encode(head + sealed).decode("ascii")


def make_claims(cluster: str, user: str, uid: int, gids: list, kind: str, duration: int,
                renewal: int, can_impersonate: bool, now: float | None = None) -> dict:
    created = int(now if now is not None else time.time())
    expires = created + duration
    return {
        "cluster": cluster, "user": user, "uid": uid, "gids": list(gids), "type": kind,
        "created": created, "expires": expires,
        # A ticket can never be renewed past less than its own lifetime.
        "renewal_till": max(expires, created + renewal),
        "can_impersonate": bool(can_impersonate),
    }


def open_ticket(key: bytes, cluster: str, blob: str, now: float | None = None) -> dict:
    """The claims of a ticket this cluster issued and that is still valid, else TicketRejected."""
    try:
        claims, head, nonce, sealed = split_blob(blob)
    except NodeError as exc:
        raise TicketRejected(str(exc)) from None
    issuer = claims.get("cluster")
    if issuer != cluster:
        raise TicketRejected("ticket was issued for cluster %s, not %s" % (issuer, cluster))
    try:
        AESGCM(key).decrypt(nonce, sealed, head)
    except InvalidTag:
        raise TicketRejected("ticket was not issued by cluster %s (seal does not verify)"
                             % cluster) from None
    if claims["expires"] <= (now if now is not None else time.time()):
        raise TicketRejected("ticket of user %s for cluster %s has expired"
                             % (claims.get("user"), cluster))
    return claims
