# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""What ``security_facts`` reports, gathered from a node's MapR files with the codecs.

Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import grp
import hashlib
import os
import pwd
import re
import stat

from ansible_collections.datafabric.crosscluster.plugins.module_utils._bcfks_credential_store import NodeCredentialStore
from ansible_collections.datafabric.crosscluster.plugins.module_utils._clusters_conf import ClustersConf
from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import decode_text, excerpt
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import (
    Keytool,
    find_keytool,
    find_provider,
    read_store,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._properties import parse_properties
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import read_bytes
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import read_truststore_password
from ansible_collections.datafabric.crosscluster.plugins.module_utils._ticket_file import TicketFile
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import store_format

STORE_FILES = (
    "ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem", "ssl_truststore.bcfks",
    "ssl_keystore", "ssl_keystore.p12", "ssl_keystore.pem", "ssl_keystore.bcfks",
)
DEFAULT_CLDB_HTTPS_PORT = 7443
# The truststore and its siblings, whose bytes go to the controller when it holds the password.
TRUSTSTORES = ("ssl_truststore", "ssl_truststore.p12", "ssl_truststore.pem")
CLUSTERS_CONF = "mapr-clusters.conf"
KEYSTORE_PEM = "ssl_keystore.pem"
# A FIPS node's truststore: only keytool with the provider reads it, so it is listed here, on the node.
BCFKS_TRUSTSTORE = "ssl_truststore.bcfks"
SERVER_TICKET = "maprserverticket"
# Only certificate blocks are taken from the keystore PEM: its private key never leaves the node.
_CERTIFICATE_BLOCK_RE = re.compile(
    r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----")


def _read_bytes(path):
    try:
        return read_bytes(path)
    except OSError as err:
        raise CrossclusterError("cannot be read: %s" % err.strerror, path=path,
                                fix="run with become: true, or as the cluster owner")


def _read_text(path):
    data = _read_bytes(path)
    return None if data is None else decode_text(data, path)


def _store(path):
    data = _read_bytes(path)
    if data is None:
        return dict(exists=False, format=None)
    return dict(exists=True, format=store_format(data))


def _port(value, conf_path):
    if value is None:
        return DEFAULT_CLDB_HTTPS_PORT
    # isdigit() alone takes '\u00b2' for a digit, which int() refuses; and int() of thousands of digits raises.
    if not (value.isascii() and value.isdigit()) or len(value) > 5 or not 0 < int(value) < 65536:
        raise CrossclusterError("the first line has cldbHttpsPort=%s, not a port number" % excerpt(value, quoted=False),
                                path=conf_path,
                                line=1, fix="set cldbHttpsPort to the CLDB's HTTPS port, e.g. 7443")
    return int(value)


def _name_of(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def keystore_certificates(conf_dir):
    """The certificate blocks of ``ssl_keystore.pem``, in file order, without its key.

    ``{"path", "certificates": [pem, ...], "error"}``; the cluster's own CA chain is worked out
    from them on the controller, which has a certificate parser.
    """
    path = os.path.join(conf_dir, KEYSTORE_PEM)
    found = dict(path=path, certificates=[], error=None)
    try:
        data = read_bytes(path)
    except OSError as err:
        found["error"] = "cannot be read (%s)" % err.strerror
        return found
    if data is None:
        found["error"] = "does not exist"
        return found
    found["certificates"] = _CERTIFICATE_BLOCK_RE.findall(data.decode("latin-1"))
    if not found["certificates"]:
        found["error"] = "holds no certificate"
    return found


def server_ticket(conf_dir):
    """Whether maprserverticket is as MapR needs it: its mode, owner and first line's cluster.

    Never the ticket itself: only the cluster name of the first line leaves the node.
    """
    path = os.path.join(conf_dir, SERVER_TICKET)
    found = dict(path=path, exists=False, mode=None, owner=None, group=None, cluster=None, error=None)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return found
    found.update(exists=True, mode="%04o" % stat.S_IMODE(st.st_mode),
                 owner=_name_of(pwd.getpwuid, st.st_uid), group=_name_of(grp.getgrgid, st.st_gid))
    try:
        data = read_bytes(path)
    except OSError as err:
        found["error"] = "cannot be read (%s)" % err.strerror
        return found
    except CrossclusterError as err:  # a link out of conf/, or not a regular file
        found["error"] = err.problem
        return found
    try:
        text = decode_text(data or b"", path)
    except CrossclusterError as err:
        # The decoder names the line and column, never the content.
        found["error"] = "line %d: %s" % (err.line, err.problem)
        return found
    try:
        cluster = TicketFile.parse(text, path=path).local_cluster
    except CrossclusterError:
        # The codec's message may quote part of a line, and every line here is a secret.
        found["error"] = "does not parse as '<cluster> <ticket>' lines"
        return found
    if cluster is None:
        found["error"] = "holds no ticket"
    found["cluster"] = cluster
    return found


def known_users(names):
    found = {}
    for name in names:
        try:
            pwd.getpwnam(name)
            found[name] = True
        except KeyError:
            found[name] = False
    return found


def store_bytes(conf_dir):
    """The truststores' bytes (base64), for the controller to open with the password, and
    mapr-clusters.conf's, so that a write of both starts from them."""
    found = {}
    for name in TRUSTSTORES + (CLUSTERS_CONF,):
        data = _read_bytes(os.path.join(conf_dir, name))
        found[name] = None if data is None else base64.b64encode(data).decode("ascii")
    return found


def node_truststore_password(path, credentials=None):
    """The truststore password MapR keeps next to the BCFKS store ``path`` (its ``conf/``), for keytool
    on the node: it never leaves the node. ``credentials`` (``NodeCredentialStore``) reads it from
    ``maprtrustcreds.bcfks`` when no text source has it. A node that keeps it only in a JCEKS credential
    store, which the controller decodes, cannot use it here: the error names the file and asks for the
    variable."""
    password, _credential_store, source = read_truststore_password(
        os.path.dirname(path), credentials.open if credentials is not None else None)
    if password is None:
        raise CrossclusterError(
            "no truststore password was given, and the node keeps it only in %s, which the node cannot "
            "open to use its BCFKS truststore" % source, path=path,
            fix="set crosscluster_truststore_password (vault it)")
    return password


def node_keytool(path, options, run_command, tmp_root, provider=None):
    """keytool on this node's BCFKS store ``path``, with ``options`` as truststore_bcfks takes them
    (``password``, ``mapr_home``, ``provider_path``, ``provider_class``, ``keytool``): the provider
    found (or ``provider``, already found), the password given or else the node's own, which never
    leaves the node. Shared by truststore_bcfks and file_snapshot's one-write replace of a FIPS node."""
    provider = provider or find_provider(options["mapr_home"], options["provider_path"], options["provider_class"])
    password = options["password"] or node_truststore_password(path, NodeCredentialStore(
        options["mapr_home"], run_command, options["provider_path"], options["provider_class"],
        options["keytool"], tmp_root))
    return Keytool(find_keytool(options["keytool"]), provider, password, path, run_command)


def bcfks_truststore(mapr_home, run_command, password=None, provider_path=None, provider_class=None,
                     keytool=None, tmp_root=None, credentials=None):
    """ssl_truststore.bcfks as the node's keytool lists it: ``{path, exists, sha256, entries, error,
    provider}``, each entry ``{alias, type, pem}`` (certificates only, which the controller parses).

    ``password`` is the one the controller was given; None: the one MapR keeps in ``conf/`` (with
    ``credentials``, a ``NodeCredentialStore``, also in ``maprtrustcreds.bcfks``), which never leaves
    the node. Either goes to keytool in a 0600 file, never on its command line. A store keytool cannot
    open is reported in ``error`` (host-side message naming the file and the fix), for the preflight
    gate to stop the run by name.
    """
    conf_dir = os.path.join(mapr_home, "conf")
    path = os.path.join(conf_dir, BCFKS_TRUSTSTORE)
    found = dict(path=path, exists=False, sha256=None, entries=[], error=None, provider=None)
    try:
        if read_bytes(path) is None:
            return found
        found["exists"] = True
        if password is None:
            password = node_truststore_password(path, credentials)
        provider = find_provider(mapr_home, provider_path or None, provider_class or None)
        found["provider"] = provider.as_dict()
        tool = Keytool(find_keytool(keytool), provider, password, path, run_command)
        found["sha256"], entries = read_store(tool, tmp_root)
    except (CrossclusterError, OSError) as err:
        found["error"] = str(err) if isinstance(err, CrossclusterError) else str(CrossclusterError(
            "cannot be read: %s" % err.strerror, path=path, fix="run with become: true, or as the cluster owner"))
        return found
    found["entries"] = [dict(alias=entry.alias, type=entry.kind, pem=entry.certificate.pem)
                        for entry in entries if entry.certificate is not None]
    return found


def gather(mapr_home, fips_flag_path, users=()):
    conf_dir = os.path.join(mapr_home, "conf")
    conf_path = os.path.join(conf_dir, CLUSTERS_CONF)
    data = _read_bytes(conf_path)
    if data is None:
        raise CrossclusterError("does not exist", path=conf_path,
                                fix="check mapr_home; the node must be a configured MapR node (configure.sh)")
    conf = ClustersConf.parse(decode_text(data, conf_path), path=conf_path)
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
        conf_lines=[entry.to_line() for entry in entries],
        conf_sha256=hashlib.sha256(data).hexdigest(),
        is_cldb=os.path.exists(os.path.join(mapr_home, "roles", "cldb")),
        owner=daemon.get("mapr.daemon.user"),
        group=daemon.get("mapr.daemon.group"),
        fips=bool(fips_reasons),
        fips_reasons=fips_reasons,
        version=version.strip().splitlines()[0] if version and version.strip() else None,
        stores=stores,
        maprlogin=maprlogin if os.access(maprlogin, os.X_OK) else None,
        server_ticket=server_ticket(conf_dir),
        users=known_users(users),
        keystore=keystore_certificates(conf_dir),
    )
