"""Trust placed by hand, as an administrator would without the collection.

Tests use it to check the lab (a login fails before, works after) and as the expected result of
the collection's own work. Works on the controller-side paths, so it serves both modes.
"""

from __future__ import annotations

import os

from cryptography import x509

from . import fips, jvm, pki
from .node.mapr_node import parse_clusters_conf, read_ticket_lines


def first_conf_line(lab, cluster) -> str:
    """The cluster's own line, whole (its Kerberos and port fields matter)."""
    with open(lab.node_path(cluster.hosts[0], "conf/mapr-clusters.conf"), encoding="utf-8") as fh:
        return fh.readline().strip()


def add_conf_line(lab, host: str, line: str) -> None:
    path = lab.node_path(host, "conf/mapr-clusters.conf")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    name = line.split()[0]
    if any(entry.name == name for entry in parse_clusters_conf(text)):
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(("" if text.endswith("\n") or not text else "\n") + line + "\n")


def import_ca(lab, host: str, remote) -> None:
    """Import the remote cluster's CA into the host's trust stores (a FIPS node's BCFKS and PEM)."""
    if lab.hosts[host].fips:
        fips.import_ca(lab.node_path(host), "%s-ca" % remote.name, remote.ca_pem, lab.cluster_of(host).store_password)
        return
    with open(remote.ca_pem, "rb") as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    pki.add_trusted_cert(lab.node_path(host, "conf"), "%s-ca" % remote.name, cert,
                         lab.cluster_of(host).store_password)


def import_ca_by_keytool(lab, host: str, remote, alias: str) -> None:
    """The remote cluster's CA under an alias of the administrator's own, as one would add it by hand
    to a running node: keytool into the JKS and the PKCS12 store, appended to the PEM store."""
    conf = lab.node_path(host, "conf")
    password = lab.cluster_of(host).store_password
    if lab.hosts[host].fips:
        fips.import_ca(lab.node_path(host), alias, remote.ca_pem, password)
        return
    jvm.keytool_import(os.path.join(conf, "ssl_truststore"), alias, remote.ca_pem, password, "JKS")
    jvm.keytool_import(os.path.join(conf, "ssl_truststore.p12"), alias, remote.ca_pem, password, "PKCS12")
    with open(remote.ca_pem, encoding="ascii") as src, open(os.path.join(conf, "ssl_truststore.pem"), "a",
                                                            encoding="ascii") as dst:
        dst.write(src.read())


def place_user_trust(lab, local, remote) -> None:
    """What `configure-crosscluster.sh create user` does for local -> remote, on every local node."""
    line = first_conf_line(lab, remote)
    for host in local.hosts:
        add_conf_line(lab, host, line)
        import_ca(lab, host, remote)


def merge_ticket_line(lab, hosts, line: str) -> None:
    """Put a `<cluster> <ticket>` line into the hosts' maprserverticket, after their own line."""
    cluster = line.split()[0]
    for host in hosts:
        path = lab.node_path(host, "conf/maprserverticket")
        lines = [f"{c} {b}" for c, b in read_ticket_lines(path) if c != cluster]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines + [line.strip()]) + "\n")
