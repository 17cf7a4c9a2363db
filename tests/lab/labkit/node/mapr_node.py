"""What the emulated node-side tools share: paths, mapr-clusters.conf, ticket files, the CLDB client.

Runs under the node's system Python (stdlib only): real nodes have no cryptography package, so a
ticket's claims are readable here without the cluster key, and only the issuing CLDB can check them.

Ticket blob (base64, standard alphabet, no line breaks):
    version (1 byte, =1) | nonce (12) | claims length (4, big-endian) | claims (UTF-8 JSON) | sealed
where `sealed` is AES-256-GCM under the issuing cluster's key of a random 32-byte session key, with
everything before it as associated data. So changing a claim, or presenting a blob sealed by another
cluster, fails the GCM tag check at the CLDB.
"""

from __future__ import annotations

import base64
import binascii
import glob
import http.client
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

TICKET_VERSION = 1
NONCE_LEN = 12
SEALED_LEN = 32 + 16  # session key + GCM tag
DEFAULT_CLDB_PORT = 7222
DEFAULT_CLDB_HTTPS_PORT = 7443
# FIPS nodes: stores in BCFKS, which only keytool with the Bouncy Castle provider reads. The lab's
# stand-in is Debian's bcprov (not the validated bc-fips jar, whose class is
# org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider), installed under lib/ under a bc-fips name.
BCFKS_TRUSTSTORE = "ssl_truststore.bcfks"
BCFKS_KEYSTORE = "ssl_keystore.bcfks"
PROVIDER_JAR_GLOB = "bc-fips-*.jar"
PROVIDER_CLASS = "org.bouncycastle.jce.provider.BouncyCastleProvider"
# keytool reads the store password from this variable (-storepass:env): never on its command line.
STORE_PASSWORD_ENV = "LAB_STORE_PASSWORD"
PEM_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


class NodeError(Exception):
    """A failure to report on stderr; `code` is the maprcli-style error id."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- paths

class Node:
    """The node an emulator runs on, found from the emulator's own location (<mapr_home>/bin/x).

    In the lab's local mode every node has its own root directory, so paths the real tools take as
    absolute (/tmp/maprticket_<uid>) are taken under the node root; with mapr_home=/opt/mapr the
    root is / and they are the real paths.
    """

    def __init__(self, mapr_home: str):
        self.mapr_home = mapr_home
        self.root = os.path.dirname(os.path.dirname(mapr_home))

    @classmethod
    def from_script(cls, script: str) -> "Node":
        return cls(os.path.dirname(os.path.dirname(os.path.abspath(script))))

    def conf(self, name: str) -> str:
        return os.path.join(self.mapr_home, "conf", name)

    def ticket_file(self) -> str:
        return os.environ.get("MAPR_TICKETFILE_LOCATION") or os.path.join(
            self.root, "tmp", "maprticket_%d" % os.getuid())

    def build_version(self) -> str:
        try:
            with open(os.path.join(self.mapr_home, "MapRBuildVersion"), encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError:
            return "unknown"


def read_properties(path: str) -> dict:
    """key=value lines (store-passwords.txt, daemon.conf), comments skipped."""
    props = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                props[key.strip()] = value.strip()
    return props


# ---------------------------------------------------------------- BCFKS stores (FIPS nodes)

def provider_jar(mapr_home: str) -> str:
    """The provider jar under <mapr_home>/lib, where MapR ships bc-fips."""
    found = sorted(glob.glob(os.path.join(mapr_home, "lib", PROVIDER_JAR_GLOB)))
    if not found:
        raise NodeError("no %s under %s: a FIPS node needs the Bouncy Castle provider to read its "
                        "BCFKS stores" % (PROVIDER_JAR_GLOB, os.path.join(mapr_home, "lib")), 10003)
    return found[-1]


def keytool_bcfks_argv(jar: str, store: str, *args: str) -> list:
    """keytool on a BCFKS store with the provider jar; the password comes from STORE_PASSWORD_ENV.

    No perf data: the JVM would otherwise leave /tmp/hsperfdata_<user> behind on the node.
    """
    return ["keytool", "-J-XX:-UsePerfData", *args, "-keystore", store, "-storetype", "BCFKS",
            *provider_args(jar), "-storepass:env", STORE_PASSWORD_ENV]


def provider_args(jar: str) -> list:
    return ["-providerpath", jar, "-providerclass", PROVIDER_CLASS]


def bcfks_certificates(jar: str, store: str, password: str, alias: str | None = None) -> list:
    """The certificates keytool lists in a BCFKS store (PEM blocks, in keytool's order): every
    trusted certificate, or with alias that entry's chain."""
    args = ["-list", "-rfc"] + (["-alias", alias] if alias else [])
    env = dict(os.environ, **{STORE_PASSWORD_ENV: password})
    try:
        result = subprocess.run(keytool_bcfks_argv(jar, store, *args), env=env, capture_output=True,
                                text=True, timeout=120, check=False)
    except OSError as exc:
        raise NodeError("cannot run keytool to read %s: %s" % (store, exc.strerror), 10003) from None
    if result.returncode != 0:
        # keytool's messages name the store and the problem, never the password.
        raise NodeError("keytool cannot read %s: %s" % (store, (result.stdout + result.stderr).strip()), 10003)
    return PEM_CERT_RE.findall(result.stdout)


# ---------------------------------------------------------------- mapr-clusters.conf

class ClusterEntry:
    def __init__(self, name: str, secure: bool, options: dict, cldbs: list):
        self.name = name
        self.secure = secure
        self.options = options
        self.cldbs = cldbs  # list of (host, port); a CLDB with several IPs gives several

    @property
    def https_port(self) -> int:
        return int(self.options.get("cldbHttpsPort", DEFAULT_CLDB_HTTPS_PORT))


def parse_clusters_conf(text: str) -> list:
    entries = []
    for raw in text.splitlines():
        fields = raw.split()
        if not fields or fields[0].startswith("#"):
            continue
        options, cldbs = {}, []
        for field in fields[1:]:
            if "=" in field:
                key, _equals, value = field.partition("=")
                options[key] = value
                continue
            for hostport in field.split(";"):
                host, _colon, port = hostport.rpartition(":")
                if not host:
                    host, port = port, str(DEFAULT_CLDB_PORT)
                cldbs.append((host, int(port)))
        entries.append(ClusterEntry(fields[0], options.get("secure") == "true", options, cldbs))
    return entries


def find_cluster(node: Node, name: str | None) -> ClusterEntry:
    path = node.conf("mapr-clusters.conf")
    try:
        with open(path, encoding="utf-8") as fh:
            entries = parse_clusters_conf(fh.read())
    except OSError as exc:
        raise NodeError("cannot read %s: %s" % (path, exc.strerror), 2) from None
    if not entries:
        raise NodeError("%s lists no cluster" % path, 2)
    if name is None:
        return entries[0]
    for entry in entries:
        if entry.name == name:
            return entry
    raise NodeError("cluster '%s' is not configured in %s: add its line (from any node of that "
                    "cluster) to this file" % (name, path), 2)


# ---------------------------------------------------------------- tickets

def pack_claims(claims: dict, nonce: bytes) -> bytes:
    """The readable, authenticated head of a ticket blob (the AES-GCM associated data)."""
    body = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    return bytes([TICKET_VERSION]) + nonce + struct.pack(">I", len(body)) + body


def split_blob(blob: str):
    """(claims, head, nonce, sealed) of a ticket blob, checking its shape but not its seal."""
    try:
        raw = base64.b64decode(blob.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NodeError("malformed ticket: not base64") from None
    head_len = 1 + NONCE_LEN + 4
    if len(raw) < head_len + SEALED_LEN or raw[0] != TICKET_VERSION:
        raise NodeError("malformed ticket: unknown version or truncated")
    (body_len,) = struct.unpack(">I", raw[1 + NONCE_LEN:head_len])
    if len(raw) != head_len + body_len + SEALED_LEN:
        raise NodeError("malformed ticket: bad length")
    try:
        claims = json.loads(raw[head_len:head_len + body_len])
    except ValueError:
        raise NodeError("malformed ticket: claims are not JSON") from None
    if not isinstance(claims, dict):
        raise NodeError("malformed ticket: claims are not an object")
    head = raw[:head_len + body_len]
    return claims, head, raw[1:1 + NONCE_LEN], raw[head_len + body_len:]


def format_date(epoch: float) -> str:
    """As Java's Date.toString() writes it (EEE MMM dd HH:mm:ss zzz yyyy) in this process's zone:
    TZ when set, else the node's /etc/localtime, as the JVM of the real maprlogin takes it. So on a
    node in Sydney the dates say AEST/AEDT, in Shanghai CST (Java's names for those zones too)."""
    local = time.localtime(epoch)
    zone = local.tm_zone
    if zone[:1] in "+-":
        # The tz database has no name for some zones ("+08" in Singapore, where Java says SGT):
        # written as Java writes a zone it has no name for.
        offset = abs(local.tm_gmtoff) // 60
        zone = "GMT%s%02d:%02d" % ("-" if local.tm_gmtoff < 0 else "+", offset // 60, offset % 60)
    return "%s %s %s" % (time.strftime("%a %b %d %H:%M:%S", local), zone, time.strftime("%Y", local))


def describe_ticket(cluster: str, claims: dict) -> str:
    """One line of `maprlogin print`."""
    return ("%s: user = %s, created = '%s', expires = '%s', RenewalTill = '%s', uid = %d, "
            "gids = %s, CanImpersonate = %s" % (
                cluster, claims["user"], format_date(claims["created"]),
                format_date(claims["expires"]), format_date(claims["renewal_till"]),
                claims["uid"], ", ".join(str(g) for g in claims["gids"]),
                "true" if claims.get("can_impersonate") else "false"))


def read_ticket_lines(path: str) -> list:
    """[(cluster, blob)] in file order; a missing file is an empty list."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise NodeError("cannot read ticket file %s: %s" % (path, exc.strerror)) from None
    lines = []
    for raw in text.splitlines():
        fields = raw.split()
        if len(fields) == 2:
            lines.append((fields[0], fields[1]))
        elif fields:
            raise NodeError("ticket file %s has a malformed line (expected '<cluster> <ticket>')"
                            % path)
    return lines


def find_ticket(path: str, cluster: str) -> str | None:
    for name, blob in read_ticket_lines(path):
        if name == cluster:
            return blob
    return None


def _write_ticket_lines(path: str, lines: list) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".maprticket-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join("%s %s\n" % line for line in lines))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def store_ticket(path: str, cluster: str, blob: str) -> None:
    """Replace the cluster's line, or add it, keeping the other clusters' tickets."""
    lines = [line for line in read_ticket_lines(path) if line[0] != cluster]
    _write_ticket_lines(path, lines + [(cluster, blob)])


def remove_ticket(path: str, cluster: str) -> bool:
    lines = read_ticket_lines(path)
    kept = [line for line in lines if line[0] != cluster]
    if len(kept) == len(lines):
        return False
    if kept:
        _write_ticket_lines(path, kept)
    else:
        os.unlink(path)
    return True


def parse_duration(text: str) -> int:
    """Seconds from the real tools' `[Days:]Hours:Minutes` or plain seconds."""
    try:
        parts = [int(p) for p in text.split(":")]
    except ValueError:
        raise NodeError("bad duration '%s': use [Days:]Hours:Minutes or seconds" % text) from None
    if len(parts) == 1:
        seconds = parts[0]
    elif len(parts) in (2, 3):
        days, hours, minutes = ([0] + parts)[-3:]
        seconds = ((days * 24 + hours) * 60 + minutes) * 60
    else:
        raise NodeError("bad duration '%s': use [Days:]Hours:Minutes or seconds" % text)
    if seconds <= 0:
        raise NodeError("bad duration '%s': must be positive" % text)
    return seconds


# ---------------------------------------------------------------- CLDB client

def _client_truststore_password(node: Node, bcfks: str) -> str:
    """ssl.client.truststore.password from store-passwords.txt, else (removed, as the vendor advises) from
    the credential store maprtrustcreds.bcfks, which the JVM reads with the provider jar."""
    passwords = node.conf("store-passwords.txt")
    credentials = node.conf("maprtrustcreds.bcfks")
    if not os.path.exists(passwords) and os.path.exists(credentials):
        reader = os.path.join(os.path.dirname(os.path.abspath(__file__)), "CredentialStore.java")
        try:
            result = subprocess.run(["java", "-XX:-UsePerfData", "-cp", provider_jar(node.mapr_home), reader,
                                     "--read", credentials, "BCFKS", PROVIDER_CLASS],
                                    input="ssl.client.truststore.password\n", capture_output=True, text=True,
                                    timeout=120, check=False)
        except OSError as exc:
            raise NodeError("cannot run java to read %s: %s" % (credentials, exc.strerror), 10003) from None
        if result.returncode != 0 or not result.stdout:
            raise NodeError("cannot read the trust store password of %s from %s: %s" % (
                bcfks, credentials, result.stderr.strip()), 10003)
        return result.stdout
    try:
        return read_properties(passwords)["ssl.client.truststore.password"]
    except (OSError, KeyError):
        raise NodeError("cannot read the trust store password of %s from %s" % (bcfks, passwords), 10003) from None


def _trust_context(node: Node):
    """(trust store path, TLS context trusting only it): the BCFKS store on a FIPS node, read
    through keytool as the real Java client reads it through the provider, else the PEM store."""
    bcfks = node.conf(BCFKS_TRUSTSTORE)
    if os.path.exists(bcfks):
        password = _client_truststore_password(node, bcfks)
        certificates = bcfks_certificates(provider_jar(node.mapr_home), bcfks, password)
        if not certificates:
            raise NodeError("trust store %s holds no certificate" % bcfks, 10003)
        try:
            return bcfks, ssl.create_default_context(cadata="\n".join(certificates))
        except ssl.SSLError as exc:
            raise NodeError("cannot load trust store %s: %s" % (bcfks, exc), 10003) from None
    truststore = node.conf("ssl_truststore.pem")
    try:
        return truststore, ssl.create_default_context(cafile=truststore)
    except (OSError, ssl.SSLError) as exc:
        raise NodeError("cannot load trust store %s: %s" % (truststore, exc), 10003) from None


def cldb_call(node: Node, entry: ClusterEntry, path: str, payload: dict, timeout: float = 10.0):
    """POST JSON to the cluster's CLDB over TLS, trusting only this node's trust store
    (ssl_truststore.bcfks on a FIPS node, else ssl_truststore.pem).

    Tries each CLDB of the entry in turn, as the real client does, and returns the decoded reply.
    """
    truststore, context = _trust_context(node)
    body = json.dumps(payload).encode()
    failures = []
    for host, _port in entry.cldbs:
        where = "%s:%d" % (host, entry.https_port)
        conn = http.client.HTTPSConnection(host, entry.https_port, timeout=timeout,
                                           context=context)
        try:
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
        except ssl.SSLCertVerificationError as exc:
            raise NodeError(
                "TLS connection to CLDB %s of cluster %s failed: certificate verify failed: %s "
                "(is that cluster's CA certificate in %s?)" % (
                    where, entry.name, exc.verify_message or exc, truststore), 10003) from None
        except (OSError, http.client.HTTPException, socket.timeout) as exc:
            failures.append("%s: %s" % (where, exc))
            continue
        finally:
            conn.close()
        try:
            reply = json.loads(data)
        except ValueError:
            failures.append("%s: not a CLDB reply (HTTP %d)" % (where, response.status))
            continue
        if reply.get("status") != "OK":
            error = (reply.get("errors") or [{}])[0]
            raise NodeError(error.get("desc", "CLDB refused the request"), error.get("id", 1))
        return reply
    raise NodeError("couldn't connect to the CLDB service of cluster %s: %s"
                    % (entry.name, "; ".join(failures) or "no CLDB listed"), 10003)


def fail(prog: str, exc: NodeError) -> int:
    sys.stderr.write("%s: error: %s\n" % (prog, exc))
    return 1
