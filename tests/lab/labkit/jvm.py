"""The JVM's view of the lab's stores: keytool and a Java TLS client (tests only; slow-ish)."""

from __future__ import annotations

import os
import re
import subprocess

from .lab import LAB_SRC
from .node.mapr_node import PROVIDER_CLASS, keytool_bcfks_argv
from .node.mapr_node import STORE_PASSWORD_ENV as _PASSWORD_ENV

TLS_PROBE = os.path.join(LAB_SRC, "TlsProbe.java")


def _env(password: str) -> dict:
    return dict(os.environ, **{_PASSWORD_ENV: password})


def keytool_list(store: str, password: str, provider_jar: str | None = None) -> dict:
    """alias -> entry type ('trustedCertEntry', 'PrivateKeyEntry') as keytool reads the store;
    with provider_jar (a FIPS node's <mapr_home>/lib/bc-fips-*.jar), a BCFKS store through it."""
    if provider_jar:
        argv = keytool_bcfks_argv(provider_jar, store, "-list")
    else:
        argv = ["keytool", "-list", "-keystore", store, "-storepass:env", _PASSWORD_ENV]
    result = subprocess.run(argv, env=_env(password), capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError("keytool -list %s failed: %s" % (store, result.stdout + result.stderr))
    entries = dict(re.findall(r"^([^,\n]+), [^,\n]+, [^,\n]+, (\w+),\s*$", result.stdout, re.M))
    count = re.search(r"Your keystore contains (\d+) entr", result.stdout)
    if count is None or int(count.group(1)) != len(entries):
        raise RuntimeError("unexpected keytool output for %s:\n%s" % (store, result.stdout))
    return entries


def keytool_import(store: str, alias: str, pem_path: str, password: str, store_type: str = "JKS") -> None:
    """``keytool -importcert`` as an administrator types it: -noprompt also imports a certificate the
    store holds under another alias already (keytool would otherwise ask)."""
    result = subprocess.run(
        ["keytool", "-importcert", "-noprompt", "-alias", alias, "-file", pem_path, "-keystore", store,
         "-storetype", store_type, "-storepass:env", _PASSWORD_ENV],
        env=_env(password), capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError("keytool -importcert %s failed: %s" % (store, result.stdout + result.stderr))


def tls_probe(address: str, port: int, store: str, password: str,
              store_type: str = "JKS", provider_jar: str | None = None) -> subprocess.CompletedProcess:
    """Connect a Java TLS client that trusts only `store`; returncode 0 ok, 2 handshake refused.
    With provider_jar, `store` is a BCFKS store the JVM opens through that provider."""
    if provider_jar:
        argv = ["java", "-cp", provider_jar, TLS_PROBE, address, str(port), store, "BCFKS", PROVIDER_CLASS]
    else:
        argv = ["java", TLS_PROBE, address, str(port), store, store_type]
    return subprocess.run(argv, env=_env(password), capture_output=True, text=True, timeout=120, check=False)
