# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Where a MapR node keeps its truststore password, for runs that are not given it, and whether it
opens the node's JKS truststore.

7.x keeps it in ``conf/store-passwords.txt``; older releases in ``conf/ssl-server.xml``. From 7.0
it is also in a Hadoop credential store, ``conf/maprtrustcreds.jceks`` (``.bcfks`` on a FIPS node),
and the vendor has administrators remove ``store-passwords.txt``: then only that store has it.

A JCEKS credential store seals each secret with PBEWithMD5AndTripleDES, and a node's Python has no
3DES: the node checks here that the store opens with Hadoop's default password (the store's digest
is JKS's, standard library only) and the controller decodes it (module_utils/_credential_store.py,
pyjks) for the writes that need the password. A BCFKS one is read on the FIPS node, whose keytool
needs the password there, by the node's JVM (module_utils/_bcfks_credential_store.py), handed in by
the caller as ``open_bcfks``. The password itself never appears in a message.
Standard library only: this runs on managed nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import os

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._hadoop_xml import parse_hadoop_xml
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import decode_text
from ansible_collections.datafabric.crosscluster.plugins.module_utils._properties import parse_properties
from ansible_collections.datafabric.crosscluster.plugins.module_utils._safe_write import read_bytes

JKS_MAGIC = b"\xfe\xed\xfe\xed"
JCEKS_MAGIC = b"\xce\xce\xce\xce"
# What Sun's JKS digest mixes in after the password (and pyjks and keytool check).
JKS_WHITENING = b"Mighty Aphrodite"
JKS_DIGEST_BYTES = 20

# Both name the password of conf/ssl_truststore; MapR writes both with the same value.
KEYS = ("ssl.server.truststore.password", "ssl.client.truststore.password")
# In the order they are tried, with their codec.
SOURCES = (("store-passwords.txt", parse_properties), ("ssl-server.xml", parse_hadoop_xml))
# Tried after SOURCES: the Hadoop credential stores of 7.x (manageSSLKeys.sh createcreds), whose
# aliases are the property names of KEYS.
JCEKS_CREDENTIAL_STORE = "maprtrustcreds.jceks"
BCFKS_CREDENTIAL_STORE = "maprtrustcreds.bcfks"
# Hadoop's credential provider opens its store with this unless HADOOP_CREDSTORE_PASSWORD or the file
# named by hadoop.security.credstore.java-keystore-provider.password-file says otherwise, which
# MapR does not set.
CREDENTIAL_STORE_PASSWORD = "none"
_NO_PASSWORD_FIX = "set mapr_truststore_password (vault it)"
CREDENTIAL_STORE_FIX = "recreate it with manageSSLKeys.sh createcreds, or %s" % _NO_PASSWORD_FIX


def read_truststore_password(conf_dir, open_bcfks=None):
    """``(password, credential_store, path it came from)``: the password of a text source, or (None,
    the bytes of ``maprtrustcreds.jceks``, its path) when only that credential store has it, which
    the controller opens (credential_store_password), or on a FIPS node (``open_bcfks(data, path)``
    given: it returns the secret or raises CrossclusterError) the password ``maprtrustcreds.bcfks``
    holds; otherwise an error naming every source and why each failed, or the credential store that
    cannot be opened."""
    why = []
    for name, parse in SOURCES:
        path = os.path.join(conf_dir, name)
        data = _read_or_why(path, why)
        if data is None:
            continue
        try:
            values = parse(decode_text(data, path), path=path)
        except CrossclusterError as err:
            why.append(str(err).split(" Fix: ", maxsplit=1)[0])
            continue
        for key in KEYS:
            if values.get(key):
                return values[key], None, path
        why.append("%s has no %s" % (path, " or ".join(KEYS)))
    jceks = os.path.join(conf_dir, JCEKS_CREDENTIAL_STORE)
    data = _read_or_why(jceks, why)
    if data is not None:
        opens = keystore_password_opens(data, CREDENTIAL_STORE_PASSWORD, JCEKS_MAGIC)
        if opens is None:
            raise CrossclusterError("is no JCEKS credential store (it does not start as one), and no other source has "
                                    "the truststore password", path=jceks,
                                    fix="%s, or recreate it with manageSSLKeys.sh createcreds" % _NO_PASSWORD_FIX)
        if not opens:
            raise credential_store_refused(jceks)
        return None, data, jceks
    bcfks = os.path.join(conf_dir, BCFKS_CREDENTIAL_STORE)
    data = _read_or_why(bcfks, why)
    if data is not None:
        if open_bcfks is not None:
            return open_bcfks(data, bcfks), None, bcfks
        # Only where keytool opens a BCFKS truststore, whose JDK and provider the JVM reading this needs.
        raise CrossclusterError(
            "is a BCFKS credential store (FIPS node), which the collection opens only for the node's BCFKS "
            "truststore (ssl_truststore.bcfks), and no other source has the truststore password (%s)"
            % "; ".join(why), path=bcfks, fix=_NO_PASSWORD_FIX)
    sources = [name for name, _parse in SOURCES] + [JCEKS_CREDENTIAL_STORE]
    raise CrossclusterError(
        "no truststore password was given and none was found on the node: %s" % "; ".join(why),
        fix="%s, or run as a user who can read %s (become)"
            % (_NO_PASSWORD_FIX, " or ".join(os.path.join(conf_dir, name) for name in sources)))


def credential_store_refused(path):
    """The error for a JCEKS credential store that Hadoop's default password does not open (checked on
    the node, and again by the controller that decodes it)."""
    return CrossclusterError(
        "does not open with Hadoop's default credential store password: it is protected with a password of its own "
        "(HADOOP_CREDSTORE_PASSWORD or a password file), which the collection does not have, or it is damaged; no "
        "other source has the truststore password", path=path, fix=_NO_PASSWORD_FIX)


def credential_store_lacks(path, aliases=KEYS):
    """The error for a credential store (JCEKS or BCFKS) that opens but holds none of ``aliases``."""
    return CrossclusterError("holds no %s" % " or ".join(aliases), path=path, fix=CREDENTIAL_STORE_FIX)


def _read_or_why(path, why):
    """The bytes of ``path``, or None with the reason appended to ``why``."""
    try:
        data = read_bytes(path)
    except OSError as err:
        why.append("%s cannot be read (%s)" % (path, err.strerror))
        return None
    except CrossclusterError as err:
        why.append(str(err).split(" Fix: ", maxsplit=1)[0])
        return None
    if data is None:
        why.append("%s does not exist" % path)
    return data


def jks_password_opens(data, password):
    """Whether ``password`` passes the integrity check of the JKS store ``data``: its last 20 bytes are
    SHA-1 over the password as UTF-16BE, ``JKS_WHITENING`` and everything before them. None when
    ``data`` is no JKS store (missing, or another format), which this cannot check."""
    return keystore_password_opens(data, password, JKS_MAGIC)


def keystore_password_opens(data, password, magic):
    """jks_password_opens for a store that starts with ``magic``: JCEKS has JKS's digest too."""
    if data is None or data[:4] != magic or len(data) <= len(magic) + JKS_DIGEST_BYTES:
        return None
    body, digest = data[:-JKS_DIGEST_BYTES], data[-JKS_DIGEST_BYTES:]
    expected = hashlib.sha1(password.encode("utf-16-be") + JKS_WHITENING + body).digest()
    return hmac.compare_digest(expected, digest)


def check_truststore_password(conf_dir, truststore="ssl_truststore", open_bcfks=None):
    """``(password_ok, source)``: whether the password MapR keeps in ``conf_dir`` opens its JKS
    ``truststore`` (None when that is no JKS store, or when the password is sealed in a JCEKS credential
    store, which only the controller opens), and the file it came from. The password itself is
    dropped here; CrossclusterError as read_truststore_password (with ``open_bcfks``) when there is none."""
    password, _credential_store, source = read_truststore_password(conf_dir, open_bcfks)
    if password is None:
        return None, source
    try:
        data = read_bytes(os.path.join(conf_dir, truststore))
    except (OSError, CrossclusterError):
        data = None
    return jks_password_opens(data, password), source
