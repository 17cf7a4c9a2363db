# -*- coding: utf-8 -*-
# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Which certificates a cluster may hand to its peers: its own CA chain, nothing it merely trusts.

Runs on the controller (it needs cryptography). The chain starts at the cluster's own server
certificate, the first certificate of ``ssl_keystore.pem`` (MapR writes the leaf first), and
climbs issuer by issuer, each step checked by signature, through the other certificates of that
file and then the node's truststore. What it collects is what issued the cluster's certificate;
a CA an administrator added by hand, or a cluster trusted earlier under any alias, issued nothing
of this cluster's and is never collected. The walk is the same on every node of a cluster, so the
result does not depend on which node exports. Every certificate collected must be a CA
(basicConstraints CA:true): the server certificate itself only when it is self-signed, and then it
must be a CA too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import Certificate, require_libraries

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
except ImportError:  # pragma: no cover - reported by require_libraries
    pass

# A chain longer than this is a loop or a mistake, not a PKI.
MAX_CHAIN = 10
OVERRIDE_FIX = ("put the issuing CA certificates after the server certificate in ssl_keystore.pem, or "
                "name the certificates to hand over in crosscluster_export_aliases")


def _issued_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _self_signed(cert):
    return _issued_by(cert, cert)


def _issuer(current, tiers):
    for tier in tiers:
        found = [c for c in tier if c.sha256 != current.sha256 and _issued_by(current.x509, c.x509)]
        if found:
            # Several certificates of one name and key (a CA renewed with its key): the one valid
            # longest, so that every node picks the same one whatever the order of its store.
            return max(found, key=lambda c: (c.x509.not_valid_after_utc, c.sha256))
    return None


def issuer_chain(leaf, candidates, more=()):
    """The certificates (``Certificate``) that issue ``leaf``, nearest first, up to a root.

    ``leaf`` itself when it is self-signed (a cluster whose server certificate is its own root).
    An issuer is looked for in ``candidates`` first (the keystore, the same on every node), then
    in ``more`` (the node's truststore). Raises when not even the direct issuer is found.
    """
    require_libraries()
    if _self_signed(leaf.x509):
        return [leaf]
    chain = []
    current = leaf
    while len(chain) < MAX_CHAIN:
        issuer = _issuer(current, (candidates, more))
        if issuer is None or issuer.sha256 in [c.sha256 for c in chain]:
            break
        chain.append(issuer)
        if _self_signed(issuer.x509):
            break
        current = issuer
    if not chain:
        raise CrossclusterError(
            "the CA that issued the cluster's server certificate (%s, issuer %s) is neither in "
            "ssl_keystore.pem nor in ssl_truststore" % (leaf.x509.subject.rfc4514_string(),
                                                        leaf.x509.issuer.rfc4514_string()),
            fix=OVERRIDE_FIX)
    return chain


def _is_ca(cert):
    try:
        return cert.x509.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def require_ca(certs, where):
    """``certs`` unchanged when every one is a CA certificate (basicConstraints CA:true).

    A peer imports what a cluster exports as a trust anchor; a server certificate (or any
    certificate that may not issue others) must never become one, so it is refused, not dropped:
    a chain with a hole in it would verify nothing.
    """
    for cert in certs:
        if not _is_ca(cert):
            raise CrossclusterError(
                "%s holds %s (sha256 %s), which is no CA certificate (basicConstraints lacks CA:true); only CA "
                "certificates are handed to a peer" % (where, cert.x509.subject.rfc4514_string(), cert.sha256[:16]),
                fix="issue the cluster's server certificate from a CA, or name the CA's entries in "
                    "crosscluster_export_aliases")
    return certs


def parse_pem_certificates(pems, path):
    certs = []
    for number, pem in enumerate(pems, 1):
        try:
            certs.append(Certificate.from_x509(x509.load_pem_x509_certificate(pem.encode("ascii"))))
        except ValueError:
            raise CrossclusterError("certificate %d does not parse" % number, path=path,
                                    fix="restore the file from a backup; " + OVERRIDE_FIX)
    return certs


def own_ca(keystore, trusted, export_aliases=()):
    """The certificates a cluster exports, each as ``Certificate.describe(with_pem=True)``.

    ``keystore`` is what ``security_facts`` read from ``ssl_keystore.pem`` (``path``,
    ``certificates``, ``error``); ``trusted`` the (alias, Certificate) pairs of the node's
    truststore. ``export_aliases`` overrides the chain with the truststore entries of those
    aliases, for clusters whose keystore holds no usable chain.
    """
    require_libraries()
    if export_aliases:
        wanted = [alias.lower() for alias in export_aliases]
        chosen = [(alias, cert) for alias, cert in trusted if alias in wanted]
        missing = sorted(set(wanted) - set(alias for alias, _cert in chosen))
        if missing:
            raise CrossclusterError(
                "crosscluster_export_aliases names %s, which ssl_truststore does not hold"
                % ", ".join(missing), fix="list aliases that keytool -list shows in ssl_truststore")
        require_ca([cert for _alias, cert in chosen], "crosscluster_export_aliases")
        return [cert.describe(alias, with_pem=True) for alias, cert in chosen]
    if keystore.get("error"):
        raise CrossclusterError(
            "%s, so the cluster's own CA chain is unknown" % keystore["error"], path=keystore["path"],
            fix="run as root or the cluster owner (become), or " + OVERRIDE_FIX)
    certs = parse_pem_certificates(keystore["certificates"], keystore["path"])
    # The leaf is in the chain only when it is self-signed, and then it must be a CA too.
    chain = require_ca(issuer_chain(certs[0], certs[1:], [cert for _alias, cert in trusted]),
                       "the chain of the cluster's server certificate")
    return [cert.describe(with_pem=True) for cert in chain]
