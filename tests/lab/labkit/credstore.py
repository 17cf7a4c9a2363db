"""7.x's Hadoop credential store of the truststore passwords, conf/maprtrustcreds.jceks (.bcfks on a FIPS
node), written by the JDK (CredentialStore.java) as Hadoop's credential providers write it
(tests/lab/README.md)."""

from __future__ import annotations

import os
import subprocess

from .node.mapr_node import PROVIDER_CLASS

JCEKS_NAME = "maprtrustcreds.jceks"
BCFKS_NAME = "maprtrustcreds.bcfks"
# The aliases manageSSLKeys.sh createcreds puts in the trust credential store: the property names.
TRUST_ALIASES = ("ssl.server.truststore.password", "ssl.client.truststore.password")
WRITER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "CredentialStore.java")
# Hadoop's own, HADOOP_CREDSTORE_PASSWORD: which password protects the store, when not its default.
PASSWORD_ENV = "HADOOP_CREDSTORE_PASSWORD"


def write_credential_store(path: str, credentials: dict, store_password: str | None = None,
                           mode: int = 0o600, provider_jar: str | None = None) -> None:
    """A JCEKS credential store at ``path`` holding ``credentials`` ({alias: value}), or with
    ``provider_jar`` (a FIPS node's) a BCFKS one; protected with Hadoop's default password unless
    ``store_password`` is given. Values go on stdin, the store password in the environment: neither
    on a command line."""
    env = dict(os.environ)
    env.pop(PASSWORD_ENV, None)
    if store_password is not None:
        env[PASSWORD_ENV] = store_password
    text = "".join("%s=%s\n" % item for item in credentials.items())
    # A short-lived JVM starts faster without the optimising compiler.
    argv = ["java", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    if provider_jar:
        argv += ["-cp", provider_jar, WRITER, path, "BCFKS", PROVIDER_CLASS]
    else:
        argv += [WRITER, path, "JCEKS"]
    result = subprocess.run(argv, input=text.encode("utf-8"), env=env, capture_output=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError("writing the credential store %s failed: %s"
                           % (path, (result.stdout + result.stderr).decode("utf-8", "replace").strip()))
    os.chmod(path, mode)
