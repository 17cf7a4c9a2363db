"""The JVM's view of the lab's stores: keytool and a Java TLS client (tests only; slow-ish)."""

from __future__ import annotations

import os
import re
import subprocess

from .lab import LAB_SRC

TLS_PROBE = os.path.join(LAB_SRC, "TlsProbe.java")
_PASSWORD_ENV = "LAB_STORE_PASSWORD"


def _env(password: str) -> dict:
    return dict(os.environ, **{_PASSWORD_ENV: password})


def keytool_list(store: str, password: str) -> dict:
    """alias -> entry type ('trustedCertEntry', 'PrivateKeyEntry') as keytool reads the store."""
    result = subprocess.run(
        ["keytool", "-list", "-keystore", store, "-storepass:env", _PASSWORD_ENV],
        env=_env(password), capture_output=True, text=True, timeout=60, check=False)
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
              store_type: str = "JKS") -> subprocess.CompletedProcess:
    """Connect a Java TLS client that trusts only `store`; returncode 0 ok, 2 handshake refused."""
    return subprocess.run(["java", TLS_PROBE, address, str(port), store, store_type],
                          env=_env(password), capture_output=True, text=True, timeout=120, check=False)
