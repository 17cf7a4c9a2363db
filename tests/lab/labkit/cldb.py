"""CLDB emulator: one HTTPS service per CLDB node, speaking a small JSON protocol.

Run by the lab as `python -m labkit.cldb --mapr-home H --bind ADDR --users FILE --lab DIR`
(`--lab` only marks the process as this lab's, for teardown). Everything about the cluster comes
from the node's own files, as for a real CLDB: the name from the first line of
conf/mapr-clusters.conf, the owner from conf/daemon.conf, the key from conf/cldb.key, and the TLS
identity from conf/ssl_keystore.pem unlocked with conf/store-passwords.txt.

Endpoints (POST, JSON body; replies {"status": "OK", ...} or {"status": "ERROR", "errors": [...]}):
  /login {user, password[, duration, renewal]}             -> ticket
  /ticket/validate {auth}                                  -> claims
  /ticket/renew {auth}                                     -> ticket, claims
  /ticket/generate {auth, type, user[, duration, renewal]} -> ticket (auth: the cluster owner or a
                                                              server ticket of this cluster)
  /dashboard/info {auth}                                   -> maprcli-like dashboard
and GET /status for TLS probes.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .node.mapr_node import (
    BCFKS_KEYSTORE,
    DEFAULT_CLDB_HTTPS_PORT,
    PEM_CERT_RE,
    Node,
    NodeError,
    bcfks_certificates,
    find_cluster,
    provider_jar,
    read_properties,
)
from .tickets import TicketRejected, make_claims, open_ticket, seal
from .users import check_password

DAY = 86400
DEFAULT_DURATION = 14 * DAY
DEFAULT_RENEWAL = 30 * DAY
MAX_BODY = 64 * 1024
# Which kinds of ticket may act for other users (real clusters: servers and impersonating services).
IMPERSONATING_TYPES = {"server", "crosscluster", "servicewithimpersonation"}


class ApiError(Exception):
    def __init__(self, http_status: int, desc: str, error_id: int = 1):
        super().__init__(desc)
        self.http_status = http_status
        self.error_id = error_id


class Cldb:
    def __init__(self, mapr_home: str, users_path: str, nodes: int):
        node = Node(mapr_home)
        self.node = node
        self.entry = find_cluster(node, None)
        self.name = self.entry.name
        with open(node.conf("cldb.key"), encoding="ascii") as fh:
            self.key = base64.b64decode(fh.read().strip())
        self.owner = read_properties(node.conf("daemon.conf"))["mapr.daemon.user"]
        passwords = node.conf("store-passwords.txt")
        if not os.path.exists(passwords):
            # A lab without it on its nodes (store_passwords=False) keeps the cluster's copy beside users.json.
            passwords = os.path.join(os.path.dirname(users_path), "conf", "store-passwords.txt")
        self.store_password = read_properties(passwords)["ssl.server.keystore.password"]
        with open(users_path, encoding="utf-8") as fh:
            self.users = json.load(fh)
        self.nodes = nodes
        self.cluster_id = str(int(hashlib.sha256(self.name.encode()).hexdigest(), 16) % 10**19)

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        pem = self.node.conf("ssl_keystore.pem")
        if os.path.exists(self.node.conf(BCFKS_KEYSTORE)):
            self._check_bcfks_keystore(pem)
        context.load_cert_chain(pem, password=self.store_password)
        return context

    def _check_bcfks_keystore(self, pem: str) -> None:
        """A FIPS node's CLDB reads its identity from ssl_keystore.bcfks through the provider.

        Python's TLS cannot use a BCFKS store, so the server key comes from the PEM sibling; keytool
        must open the BCFKS store and hold the same chain under the cluster's alias, or the CLDB
        does not start (as a real one would not with a store it cannot open).
        """
        store = self.node.conf(BCFKS_KEYSTORE)
        chain = bcfks_certificates(provider_jar(self.node.mapr_home), store, self.store_password,
                                   alias=self.name.lower())
        with open(pem, encoding="ascii") as fh:
            pem_chain = PEM_CERT_RE.findall(fh.read())
        if [_der_of(c) for c in chain] != [_der_of(c) for c in pem_chain]:
            raise NodeError("%s and %s hold different certificate chains" % (store, pem))

    # ------------------------------------------------------------ helpers

    def _user(self, name: str) -> dict:
        record = self.users.get(name)
        if record is None:
            # The real CLDB resolves users through the OS; an unknown name has no uid.
            raise ApiError(404, "failed to get uid for user %s on cluster %s: no such user"
                           % (name, self.name))
        return record

    def _claims_of(self, payload: dict) -> dict:
        blob = payload.get("auth")
        if not isinstance(blob, str):
            raise ApiError(401, "authentication required: no ticket presented", 10003)
        try:
            return open_ticket(self.key, self.name, blob)
        except TicketRejected as exc:
            raise ApiError(401, "authentication failed: %s" % exc, 10003) from None

    def _issue(self, user: str, kind: str, payload: dict, can_impersonate: bool) -> dict:
        record = self._user(user)
        claims = make_claims(self.name, user, record["uid"], record["gids"], kind,
                             _seconds(payload, "duration", DEFAULT_DURATION),
                             _seconds(payload, "renewal", DEFAULT_RENEWAL), can_impersonate)
        return {"ticket": seal(self.key, claims), "claims": claims}

    # ------------------------------------------------------------ endpoints

    def login(self, payload: dict) -> dict:
        user, password = payload.get("user"), payload.get("password")
        if not isinstance(user, str) or not isinstance(password, str):
            raise ApiError(400, "user and password are required")
        record = self.users.get(user)
        if record is None or not check_password(record, password):
            # Same answer for both, as a real authenticator gives.
            raise ApiError(401, "authentication failed for user %s on cluster %s: bad user name "
                           "or password" % (user, self.name))
        return self._issue(user, "user", payload, can_impersonate=user == self.owner)

    def validate(self, payload: dict) -> dict:
        return {"claims": self._claims_of(payload)}

    def renew(self, payload: dict) -> dict:
        claims = self._claims_of(payload)
        now = int(time.time())
        if now >= claims["renewal_till"]:
            raise ApiError(401, "ticket of user %s can no longer be renewed" % claims["user"])
        lifetime = claims["expires"] - claims["created"]
        renewed = dict(claims, created=now,
                       expires=min(now + lifetime, claims["renewal_till"]))
        return {"ticket": seal(self.key, renewed), "claims": renewed}

    def generate(self, payload: dict) -> dict:
        caller = self._claims_of(payload)
        if caller["user"] != self.owner and caller["type"] != "server":
            raise ApiError(403, "user %s may not generate tickets on cluster %s: only the cluster "
                           "owner %s may" % (caller["user"], self.name, self.owner))
        kind, user = payload.get("type"), payload.get("user")
        if kind not in ("crosscluster", "service", "servicewithimpersonation", "tenant"):
            raise ApiError(400, "unknown ticket type %r" % (kind,))
        if not isinstance(user, str):
            raise ApiError(400, "user is required")
        return self._issue(user, kind, payload, can_impersonate=kind in IMPERSONATING_TYPES)

    def dashboard(self, payload: dict) -> dict:
        self._claims_of(payload)
        now = time.time()
        return {
            "timestamp": int(now * 1000),
            "timeofday": time.strftime("%Y-%m-%d %H:%M:%S.000 GMT+0000", time.gmtime(now)),
            "total": 1,
            "data": [{
                "version": self.node.build_version(),
                "cluster": {"name": self.name, "secure": self.entry.secure,
                            "id": self.cluster_id, "nodesUsed": self.nodes,
                            "totalNodesAllowed": -1},
                "services": {"cldb": {"active": 1, "stopped": 0, "failed": 0, "total": 1}},
            }],
        }

    ROUTES = {"/login": login, "/ticket/validate": validate, "/ticket/renew": renew,
              "/ticket/generate": generate, "/dashboard/info": dashboard}


def _der_of(pem_block: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem_block)


def _seconds(payload: dict, key: str, default: int) -> int:
    value = payload.get(key, default)
    if not isinstance(value, int) or value <= 0:
        raise ApiError(400, "%s must be a positive number of seconds" % key)
    return value


class Handler(BaseHTTPRequestHandler):
    server_version = "MapR-CLDB-lab"
    timeout = 10
    cldb: Cldb

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/status":
            self._reply(200, {"status": "OK", "cluster": self.cldb.name})
        else:
            self._reply(404, {"status": "ERROR", "errors": [{"id": 1, "desc": "not found"}]})

    def do_POST(self):
        route = Cldb.ROUTES.get(self.path)
        try:
            if route is None:
                raise ApiError(404, "no such endpoint %s" % self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                raise ApiError(400, "bad request body")
            try:
                payload = json.loads(self.rfile.read(length))
            except ValueError:
                raise ApiError(400, "request body is not JSON") from None
            if not isinstance(payload, dict):
                raise ApiError(400, "request body is not a JSON object")
            self._reply(200, dict(route(self.cldb, payload), status="OK"))
        except ApiError as exc:
            self._reply(exc.http_status, {"status": "ERROR",
                                          "errors": [{"id": exc.error_id, "desc": str(exc)}]})

    def log_message(self, fmt, *args):
        # Request lines only: bodies carry passwords and tickets.
        sys.stderr.write("%s %s %s\n" % (time.strftime("%H:%M:%S"), self.client_address[0],
                                         fmt % args))


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, context: ssl.SSLContext):
        super().__init__(address, Handler)
        # The handshake happens in the request thread: a stalled client must not block accept().
        self.socket = context.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cldb")
    parser.add_argument("--mapr-home", required=True)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--users", required=True)
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    try:
        cldb = Cldb(args.mapr_home, args.users, args.nodes)
        context = cldb.tls_context()
    except (OSError, KeyError, ValueError, NodeError) as exc:
        sys.stderr.write("cldb: cannot start: %s\n" % exc)
        return 1
    Handler.cldb = cldb
    port = args.port or cldb.entry.https_port or DEFAULT_CLDB_HTTPS_PORT
    server = TlsServer((args.bind, port), context)
    # The lab waits for this line: once it is out, the port accepts connections.
    sys.stdout.write("READY %s:%d %s\n" % (args.bind, port, cldb.name))
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stderr.write("cldb of %s serving on %s:%d\n" % (cldb.name, args.bind, port))
    sys.stderr.flush()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
