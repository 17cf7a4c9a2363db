"""The checks an administrator runs to see whether trust works, run against lab nodes.

Shared by the demo and the tests so both judge trust the same way: a real login over TLS, the
JVM reading the node's trust store (JKS; BCFKS through the node's provider jar on a FIPS node) and
completing a handshake with it.
"""

from __future__ import annotations

import os
import subprocess

from . import jvm
from .node.mapr_node import BCFKS_TRUSTSTORE, provider_jar


def user_login(lab, host: str, remote: str, user: str = "mapr") -> subprocess.CompletedProcess:
    """`maprlogin password -cluster <remote>` on `host` with an isolated ticket file, then logout.

    The password goes on stdin; the ticket file is removed whatever happens.
    """
    cluster = lab.cluster(remote)
    ticket = os.path.join(lab.node_root(host), "tmp", "check_ticket_%s" % cluster.letter)
    env = {"MAPR_TICKETFILE_LOCATION": lab.node_view(host, ticket)}
    password = {"mapr": cluster.owner_password, lab.CHECK_USER: cluster.check_password}.get(user, cluster.xcs_password)
    try:
        result = lab.run_on(host, ["maprlogin", "password", "-cluster", cluster.name, "-user", user],
                            env=env, input=password + "\n")
        if result.returncode == 0:
            lab.run_on(host, ["maprlogin", "logout", "-cluster", cluster.name], env=env)
        return result
    finally:
        if os.path.exists(ticket):
            os.unlink(ticket)


def server_call(lab, host: str, remote: str) -> subprocess.CompletedProcess:
    """`maprcli dashboard info -cluster <remote>` as a server of `host`'s cluster (its maprserverticket)."""
    env = {"MAPR_TICKETFILE_LOCATION": lab.mapr_home(host) + "/conf/maprserverticket"}
    return lab.run_on(host, ["maprcli", "dashboard", "info", "-cluster", lab.cluster(remote).name, "-json"],
                      env=env)


def truststore(lab, host: str) -> tuple:
    """(the store `host`'s Java clients trust, the provider jar that opens it or None): a FIPS
    node's ssl_truststore.bcfks with its lib/bc-fips-*.jar, else the JKS ssl_truststore."""
    if lab.hosts[host].fips:
        return lab.node_path(host, "conf/" + BCFKS_TRUSTSTORE), provider_jar(lab.node_path(host))
    return lab.node_path(host, "conf/ssl_truststore"), None


def jvm_handshake(lab, host: str, remote: str) -> subprocess.CompletedProcess:
    """A Java TLS client trusting only `host`'s truststore connects to `remote`'s CLDB."""
    address, port = lab.cldb_endpoint(remote)
    store, jar = truststore(lab, host)
    return jvm.tls_probe(address, port, store, lab.cluster_of(host).store_password, provider_jar=jar)


def jvm_aliases(lab, host: str) -> dict:
    """alias -> entry type in `host`'s truststore, as keytool reads it."""
    store, jar = truststore(lab, host)
    return jvm.keytool_list(store, lab.cluster_of(host).store_password, jar)
