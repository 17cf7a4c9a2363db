# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What ``security_facts`` reports, gathered from a node's MapR files with the codecs.

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.datafabric.crosscluster.plugins.module_utils.clusters_conf import ClustersConf
from ansible_collections.datafabric.crosscluster.plugins.module_utils.errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils.properties import parse_properties
from ansible_collections.datafabric.crosscluster.plugins.module_utils.truststore import store_format

STORE_FILES = (
    "ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem", "ssl_truststore.bcfks",
    "ssl_keystore", "ssl_keystore.p12", "ssl_keystore.pem", "ssl_keystore.bcfks",
)
DEFAULT_CLDB_HTTPS_PORT = 7443


def _read_text(path):
    try:
        with open(path, "r") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CrossclusterError("cannot be read: %s" % err.strerror, path=path,
                                fix="run with become: true, or as the cluster owner")


def _store(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return dict(exists=False, format=None)
    return dict(exists=True, format=store_format(data))


def _port(value, conf_path):
    if value is None:
        return DEFAULT_CLDB_HTTPS_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise CrossclusterError("the first line has cldbHttpsPort=%s, not a port number" % value, path=conf_path,
                                line=1, fix="set cldbHttpsPort to the CLDB's HTTPS port, e.g. 7443")
    return int(value)


def gather(mapr_home, fips_flag_path):
    conf_dir = os.path.join(mapr_home, "conf")
    conf_path = os.path.join(conf_dir, "mapr-clusters.conf")
    text = _read_text(conf_path)
    if text is None:
        raise CrossclusterError("does not exist", path=conf_path,
                                fix="check mapr_home; the node must be a configured MapR node (configure.sh)")
    conf = ClustersConf.parse(text, path=conf_path)
    entries = conf.entries()
    if not entries:
        raise CrossclusterError("names no cluster", path=conf_path,
                                fix="run configure.sh on the node so its own cluster is the first line")
    own = entries[0]
    options = dict(own.options)
    daemon = parse_properties(_read_text(os.path.join(conf_dir, "daemon.conf")) or "",
                              path=os.path.join(conf_dir, "daemon.conf"))
    stores = dict((name, _store(os.path.join(conf_dir, name))) for name in STORE_FILES)
    fips_reasons = ["%s is a BCFKS store" % name for name, store in sorted(stores.items())
                    if store["format"] == "bcfks"]
    if (_read_text(fips_flag_path) or "0").strip() == "1":
        fips_reasons.insert(0, "the kernel runs in FIPS mode (%s is 1)" % fips_flag_path)
    version = _read_text(os.path.join(mapr_home, "MapRBuildVersion"))
    maprlogin = os.path.join(mapr_home, "bin", "maprlogin")
    return dict(
        mapr_home=mapr_home,
        cluster_name=own.name,
        conf_line=own.to_line(),
        secure=own.secure is True,
        kerberos_enable=options.get("kerberosEnable", "false").lower() == "true",
        cldb_principal=options.get("cldbPrincipal"),
        cldb_https_port=_port(options.get("cldbHttpsPort"), conf_path),
        cldb_hosts=list(own.hosts),
        clusters=conf.names(),
        is_cldb=os.path.exists(os.path.join(mapr_home, "roles", "cldb")),
        owner=daemon.get("mapr.daemon.user"),
        group=daemon.get("mapr.daemon.group"),
        fips=bool(fips_reasons),
        fips_reasons=fips_reasons,
        version=version.strip().splitlines()[0] if version and version.strip() else None,
        stores=stores,
        maprlogin=maprlogin if os.access(maprlogin, os.X_OK) else None,
    )
