"""FIPS nodes: their stores in BCFKS, written and read by the real keytool with a provider jar.

A 7.x FIPS node keeps ssl_keystore.bcfks and ssl_truststore.bcfks next to the PEM siblings, and no
JKS store (the vendor's convert procedure: JKS is not supported on a FIPS node). Debian's bcprov
(libbcprov-java) stands in for the validated bc-fips jar: it implements the BCFKS keystore type but
is not FIPS-validated and has no approved-only mode (tests/lab/README.md).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from . import credstore
from .node.mapr_node import (
    BCFKS_KEYSTORE,
    BCFKS_TRUSTSTORE,
    STORE_PASSWORD_ENV,
    keytool_bcfks_argv,
    provider_args,
    provider_jar,
)
from .pki import KEYSTORE_MODE, TRUSTSTORE_MODE

# Where Debian's libbcprov-java puts its jar (tests/tools/system-deps.sh installs it).
STANDIN_JAR = "/usr/share/java/bcprov.jar"
# The name the jar gets under <mapr_home>/lib/: MapR ships Bouncy Castle's FIPS jar as
# bc-fips-<version>.jar there; what reads the node looks for bc-fips-*.jar.
NODE_JAR = "bc-fips-1.0.2.jar"
# What a FIPS node has no longer: its stores are BCFKS (and PEM) only.
NON_FIPS_STORES = ("ssl_keystore", "ssl_keystore.p12", "ssl_truststore", "ssl_truststore.p12")


def standin_jar() -> str:
    if not os.path.isfile(STANDIN_JAR):
        raise RuntimeError("a FIPS cluster needs %s: install libbcprov-java (make system-deps, as root)"
                           % STANDIN_JAR)
    return os.path.realpath(STANDIN_JAR)


def _keytool(argv: list, password: str, what: str) -> str:
    result = subprocess.run(argv, env=dict(os.environ, **{STORE_PASSWORD_ENV: password}),
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError("keytool %s failed: %s" % (what, (result.stdout + result.stderr).strip()))
    return result.stdout + result.stderr


def _to_bcfks(jar: str, source: str, dest: str, password: str, mode: int, key_entries: bool) -> None:
    """keytool -importkeystore from a PKCS12 store into a new BCFKS store (one password for both)."""
    argv = ["keytool", "-J-XX:-UsePerfData", "-importkeystore", "-noprompt",
            "-srckeystore", source, "-srcstoretype", "PKCS12", "-srcstorepass:env", STORE_PASSWORD_ENV,
            "-destkeystore", dest, "-deststoretype", "BCFKS", "-deststorepass:env", STORE_PASSWORD_ENV,
            *provider_args(jar)]
    if key_entries:
        # BCFKS protects each private key with a password of its own; trusted certificate entries
        # have none, and keytool refuses -destkeypass for them.
        argv += ["-destkeypass:env", STORE_PASSWORD_ENV]
    output = _keytool(argv, password, "-importkeystore into %s" % dest)
    # keytool exits 0 even when it skipped entries: only its summary tells.
    if not re.search(r"\b0 entries failed", output):
        raise RuntimeError("keytool -importkeystore into %s skipped entries: %s" % (dest, output.strip()))
    os.chmod(dest, mode)


def convert_conf(conf_dir: str, password: str) -> None:
    """Turn a node conf/ as pki wrote it into a FIPS node's: the stores become BCFKS (made by
    keytool from the PKCS12 ones, so aliases and chains are the same), the JKS and PKCS12 go."""
    jar = standin_jar()
    _to_bcfks(jar, os.path.join(conf_dir, "ssl_keystore.p12"), os.path.join(conf_dir, BCFKS_KEYSTORE),
              password, KEYSTORE_MODE, key_entries=True)
    _to_bcfks(jar, os.path.join(conf_dir, "ssl_truststore.p12"), os.path.join(conf_dir, BCFKS_TRUSTSTORE),
              password, TRUSTSTORE_MODE, key_entries=False)
    for name in NON_FIPS_STORES:
        os.unlink(os.path.join(conf_dir, name))


def convert_credential_store(conf_dir: str, password: str) -> None:
    """A FIPS node's credential store: maprtrustcreds.bcfks (made with the provider jar) in place of
    the JCEKS one, holding the trust store password under the same aliases."""
    os.unlink(os.path.join(conf_dir, credstore.JCEKS_NAME))
    credstore.write_credential_store(os.path.join(conf_dir, credstore.BCFKS_NAME),
                                     dict((alias, password) for alias in credstore.TRUST_ALIASES),
                                     provider_jar=standin_jar())


def install_provider(mapr_home: str) -> str:
    """Put the provider jar under <mapr_home>/lib as MapR ships it: a regular file, not a link,
    so the node works where /usr/share/java is not what the node sees."""
    lib = os.path.join(mapr_home, "lib")
    os.makedirs(lib, exist_ok=True)
    path = os.path.join(lib, NODE_JAR)
    shutil.copyfile(standin_jar(), path)
    os.chmod(path, 0o644)
    return path


def keytool_import(mapr_home: str, alias: str, pem_path: str, password: str) -> None:
    """keytool -importcert into the node's BCFKS trust store with its own provider jar, as an
    administrator adds a CA on a FIPS node (the password in the environment, not on the command line)."""
    store = os.path.join(mapr_home, "conf", BCFKS_TRUSTSTORE)
    _keytool(keytool_bcfks_argv(provider_jar(mapr_home), store, "-importcert", "-noprompt",
                                "-alias", alias, "-file", pem_path),
             password, "-importcert into %s" % store)


def import_ca(mapr_home: str, alias: str, pem_path: str, password: str) -> None:
    """Add a CA to a FIPS node's trust stores by hand: the BCFKS store, and the PEM sibling."""
    keytool_import(mapr_home, alias, pem_path, password)
    with open(pem_path, encoding="ascii") as src, open(os.path.join(mapr_home, "conf", "ssl_truststore.pem"), "a",
                                                       encoding="ascii") as dst:
        dst.write(src.read())
