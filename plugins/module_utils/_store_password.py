# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""Where a MapR node keeps its truststore password, for runs that are not given it, and whether it
opens the node's JKS truststore.

7.x keeps it in ``conf/store-passwords.txt``; older releases in ``conf/ssl-server.xml``. The
password itself never appears in a message, nor in anything returned to the controller.
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
# What Sun's JKS digest mixes in after the password (and pyjks and keytool check).
JKS_WHITENING = b"Mighty Aphrodite"
JKS_DIGEST_BYTES = 20

# Both name the password of conf/ssl_truststore; MapR writes both with the same value.
KEYS = ("ssl.server.truststore.password", "ssl.client.truststore.password")
# In the order they are tried, with their codec.
SOURCES = (("store-passwords.txt", parse_properties), ("ssl-server.xml", parse_hadoop_xml))


def read_truststore_password(conf_dir):
    """``(password, path it came from)``; otherwise an error naming both sources and why each failed."""
    why = []
    for name, parse in SOURCES:
        path = os.path.join(conf_dir, name)
        try:
            data = read_bytes(path)
            if data is None:
                why.append("%s does not exist" % path)
                continue
            values = parse(decode_text(data, path), path=path)
        except OSError as err:
            why.append("%s cannot be read (%s)" % (path, err.strerror))
            continue
        except CrossclusterError as err:
            why.append(str(err).split(" Fix: ", maxsplit=1)[0])
            continue
        for key in KEYS:
            if values.get(key):
                return values[key], path
        why.append("%s has no %s" % (path, " or ".join(KEYS)))
    raise CrossclusterError(
        "no truststore password was given and none was found on the node: %s" % "; ".join(why),
        fix="set mapr_truststore_password (vault it), or run as a user who can read %s (become)"
            % " or ".join(os.path.join(conf_dir, name) for name, _parse in SOURCES))


def jks_password_opens(data, password):
    """Whether ``password`` passes the integrity check of the JKS store ``data``: its last 20 bytes are
    SHA-1 over the password as UTF-16BE, ``JKS_WHITENING`` and everything before them. None when
    ``data`` is no JKS store (missing, or another format), which this cannot check."""
    if data is None or data[:4] != JKS_MAGIC or len(data) <= len(JKS_MAGIC) + JKS_DIGEST_BYTES:
        return None
    body, digest = data[:-JKS_DIGEST_BYTES], data[-JKS_DIGEST_BYTES:]
    expected = hashlib.sha1(password.encode("utf-16-be") + JKS_WHITENING + body).digest()
    return hmac.compare_digest(expected, digest)


def check_truststore_password(conf_dir, truststore="ssl_truststore"):
    """``(password_ok, source)``: whether the password MapR keeps in ``conf_dir`` opens its JKS
    ``truststore`` (None when that is no JKS store), and the file it came from. The password itself
    is dropped here; CrossclusterError as read_truststore_password when there is none."""
    password, source = read_truststore_password(conf_dir)
    try:
        data = read_bytes(os.path.join(conf_dir, truststore))
    except (OSError, CrossclusterError):
        data = None
    return jks_password_opens(data, password), source
