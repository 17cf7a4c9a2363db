"""A cluster's CA renewed, as an administrator does it: a new CA and server certificate, new keystores on
every node, the cluster's own CA replaced in its truststores (what it trusts of its peers stays), and its
CLDBs restarted so they serve the new certificate. Peers keep trusting the old CA until told otherwise.
"""

from __future__ import annotations

import os

from . import pki, procs
from .files import write_file


def renew_ca(lab, cluster, issuer: pki.ClusterPki | None = None) -> pki.ClusterPki:
    """Give ``cluster`` (a Cluster, or its letter, group or name) a new CA, or with ``issuer`` another
    cluster's (as returned here), so that both sit under one CA; returns the new material."""
    if isinstance(cluster, str):
        cluster = lab.cluster(cluster)
    hosts = [lab.hosts[h] for h in cluster.hosts]
    material = pki.make_cluster_pki(cluster.name, [n for h in hosts for n in (h.name, h.fqdn)],
                                    [h.address for h in hosts], issuer=issuer)
    password = cluster.store_password
    own_alias = "%s-ca" % cluster.name
    # The cluster's template conf and ca.pem too, so a node built or trusted by hand later gets the new CA.
    template = os.path.join(cluster.dir, "conf")
    pki.write_keystores(template, cluster.name, material, password)
    pki.write_truststores(template, {own_alias: material.ca_cert}, password)
    write_file(cluster.ca_pem, material.ca_pem)
    for host in cluster.hosts:
        conf = lab.node_path(host, "conf")
        pki.write_keystores(conf, cluster.name, material, password)
        pki.add_trusted_cert(conf, own_alias, material.ca_cert, password)
    restart_cldbs(lab, cluster)
    return material


def restart_cldbs(lab, cluster) -> None:
    """Stop and start the cluster's CLDB emulators (they read their certificate when they start)."""
    mine = [p for p in lab.resources["procs"] if p["role"] == "cldb" and p["host"] in cluster.hosts]
    procs.terminate([p["pid"] for p in mine])
    lab.resources["procs"] = [p for p in lab.resources["procs"] if p not in mine]
    try:
        lab._start_cldbs(cluster.cldb_hosts)
    finally:
        # Starting records the processes and marks the lab as building; the lab has been up all along.
        lab._save("up")
