# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""The truststore password in a Hadoop credential store (JCEKS), opened on the controller.

Hadoop's JavaKeyStoreProvider keeps each credential as a secret key entry of a JCEKS keystore: the
alias is the configuration property it stands for, the key bytes are the value in UTF-8, and the
store and every entry share one password, "none" unless HADOOP_CREDSTORE_PASSWORD or a password
file is set. JCEKS seals secret keys with PBEWithMD5AndTripleDES, which a node's standard library
cannot undo: the node sends the store's bytes (module_utils/_store_password.py) and pyjks opens
them here. The secret never appears in a message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import (
    CREDENTIAL_STORE_FIX,
    CREDENTIAL_STORE_PASSWORD,
    KEYS,
    credential_store_lacks,
    credential_store_refused,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._truststore import require_libraries

try:
    import jks
except ImportError:  # pragma: no cover - require_libraries names what is missing
    jks = None

_RECREATE = CREDENTIAL_STORE_FIX


def credential_store_password(data, path, aliases=KEYS, password=CREDENTIAL_STORE_PASSWORD):
    """The secret of the first of ``aliases`` the JCEKS credential store ``data`` (read from ``path``)
    holds; CrossclusterError naming ``path`` when it cannot be opened with ``password`` or holds none."""
    require_libraries()
    try:
        store = jks.KeyStore.loads(data, password)
    except jks.util.KeystoreSignatureException:
        raise credential_store_refused(path) from None
    except (jks.util.KeystoreException, ValueError, EOFError) as err:
        # pyjks's own words name offsets and types, never a secret.
        raise CrossclusterError("is no readable JCEKS credential store (%s)" % (str(err) or type(err).__name__),
                                path=path, fix=_RECREATE) from None
    if store.store_type != "jceks":
        raise CrossclusterError("is no readable JCEKS credential store (a %s keystore)" % store.store_type.upper(),
                                path=path, fix=_RECREATE)
    for alias in aliases:
        # pyjks lowercases aliases as the JDK does; Hadoop's are lower case already.
        entry = store.secret_keys.get(alias.lower())
        if entry is None:
            continue
        try:
            entry.decrypt(password)  # a no-op when the store's password opened it already
            secret = entry.key.decode("utf-8")
        except (jks.util.KeystoreException, UnicodeDecodeError):
            raise CrossclusterError("is no readable JCEKS credential store (its entry %s is no Hadoop credential: "
                                    "UTF-8 text sealed with the store's password)" % alias, path=path,
                                    fix=_RECREATE) from None
        if secret:
            return secret
    raise credential_store_lacks(path, aliases)
