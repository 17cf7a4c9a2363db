# Copyright: datafabric.crosscluster contributors
# Apache License 2.0 (see LICENSE)
"""The truststore password in a FIPS node's Hadoop credential store, ``maprtrustcreds.bcfks``, read
by the node's own JVM, for keytool on the same node: the secret never leaves it.

Hadoop's BouncyCastleFipsKeyStoreProvider keeps each credential as JavaKeyStoreProvider does (a secret
key entry whose alias is the property it stands for and whose key bytes are the value in UTF-8, one
password for the store and every entry: "none" unless HADOOP_CREDSTORE_PASSWORD or a password file is
set), in a BCFKS keystore instead of a JCEKS one. No Python library reads BCFKS, and keytool never
prints a secret key, so a small Java program (``READER_SOURCE``) does: written into keytool's private
0700 directory (``_keytool.Workspace``, removed on exit), started with the JDK's source-file launcher
(JDK 11 and later) and the provider jar on its class path, handed the credential store password and
the aliases on stdin and printing the secret on stdout: never on a command line (which every user of
the node can read in ``ps``), in a message or a result. Standard library only: this runs on managed
nodes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.datafabric.crosscluster.plugins.module_utils._errors import CrossclusterError
from ansible_collections.datafabric.crosscluster.plugins.module_utils._inputs import excerpt, scrub
from ansible_collections.datafabric.crosscluster.plugins.module_utils._keytool import (
    FIPS_PROVIDER_CLASS,
    JVM_OPTIONS,
    Workspace,
    find_keytool,
    find_provider,
)
from ansible_collections.datafabric.crosscluster.plugins.module_utils._store_password import (
    CREDENTIAL_STORE_FIX,
    CREDENTIAL_STORE_PASSWORD,
    KEYS,
    credential_store_lacks,
    credential_store_refused,
)

READER_CLASS = "CredentialRead"
# The reader's exit codes, each a reason this module words (its stderr carries no secret, and is
# shown only for a failure it does not name).
NO_PROVIDER, NO_BCFKS, REFUSED, UNREADABLE, NOT_A_CREDENTIAL, NO_ALIAS = 10, 11, 12, 13, 14, 15

# The reader prints this just before the secret, in the same call: nothing after it is ever shown.
SECRET_MARKER = "--crosscluster-credential--"

READER_SOURCE = r"""
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.UnrecoverableKeyException;
import java.util.ArrayList;
import java.util.List;

// java -cp PROVIDER.jar CredentialRead.java STORE PROVIDERCLASS < password, then one alias a line.
// Prints the first non-empty credential of those aliases on stdout, nothing else; exit codes below.
public class CredentialRead {
    public static void main(String[] args) {
        int code;
        try {
            code = run(args[0], args[1]);
        } catch (RuntimeException e) {
            System.err.println("unexpected " + e.getClass().getName());
            code = 1;
        }
        System.exit(code);
    }

    static int run(String path, String providerClass) {
        Provider provider;
        try {
            provider = (Provider) Class.forName(providerClass).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            return 10;
        }
        // Registered too: the BCFKS store looks up the key algorithm of a secret entry by provider name.
        Security.addProvider(provider);
        List<String> lines = new ArrayList<>();
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            System.err.println("stdin: " + e.getClass().getName());
            return 1;
        }
        char[] password = lines.isEmpty() ? new char[0] : lines.get(0).toCharArray();
        KeyStore store;
        try {
            store = KeyStore.getInstance("BCFKS", provider);
        } catch (GeneralSecurityException e) {
            return 11;
        }
        try (InputStream data = new FileInputStream(path)) {
            store.load(data, password);
        } catch (IOException e) {
            // Bouncy Castle words a wrong password as a failed MAC (as keytool shows it).
            boolean refused = e.getCause() instanceof UnrecoverableKeyException
                || String.valueOf(e.getMessage()).contains("MAC");
            return refused ? 12 : 13;
        } catch (GeneralSecurityException | RuntimeException e) {
            return 13;
        }
        for (String alias : lines.subList(Math.min(1, lines.size()), lines.size())) {
            try {
                if (alias.isEmpty() || !store.containsAlias(alias)) {
                    continue;
                }
                if (!store.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class)) {
                    return 14;
                }
                Key key = store.getKey(alias, password);
                byte[] value = key == null ? null : key.getEncoded();
                if (value == null) {
                    return 14;
                }
                String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(value)).toString();
                if (text.isEmpty()) {
                    continue;
                }
                PrintStream out = new PrintStream(System.out, false, "UTF-8");
                out.print("@@MARKER@@" + text);
                out.flush();
                return 0;
            } catch (CharacterCodingException | GeneralSecurityException e) {
                // Also an entry sealed with another password than the store's: not as Hadoop writes it.
                return 14;
            } catch (IOException e) {
                return 1;
            }
        }
        return 15;
    }
}
""".replace("@@MARKER@@", SECRET_MARKER)


def find_java(keytool):
    """The ``java`` of the JDK whose ``keytool`` is given: beside it, else beside the file a link
    (/usr/bin/keytool, alternatives) leads to."""
    for directory in (os.path.dirname(keytool), os.path.dirname(os.path.realpath(keytool))):
        candidate = os.path.join(directory, "java")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise CrossclusterError(
        "the JDK of this keytool has no java beside it, which reads the FIPS node's credential store "
        "maprtrustcreds.bcfks", path=keytool,
        fix="set keytool to the keytool of a full JDK (11 or later), or set mapr_truststore_password (vault it)")


def read_credential(data, path, java, provider, run_command, tmp_root=None, aliases=KEYS,
                    password=CREDENTIAL_STORE_PASSWORD):
    """The secret of the first of ``aliases`` the BCFKS credential store ``data`` (read from ``path``)
    holds, read by ``java`` with ``provider`` (``_keytool.Provider``); CrossclusterError naming ``path``
    otherwise. ``run_command(argv, data=stdin text) -> (rc, stdout, stderr)``: AnsibleModule's."""
    with Workspace(tmp_root) as work:
        source = work.file(READER_CLASS + ".java", READER_SOURCE.encode("utf-8"))
        store = work.file("credentials.bcfks", data)
        # The JVM's own temporary files, should it make any, go into the private directory too.
        argv = [java] + [option[2:] for option in JVM_OPTIONS] + [
            "-Djava.io.tmpdir=" + work.path, "-cp", provider.jar, source, store, provider.class_name]
        # The store password first, then the aliases, a line each; AnsibleModule adds the last line end.
        rc, out, err = run_command(argv, data="\n".join((password,) + tuple(aliases)))
        before, marker, secret = out.partition(SECRET_MARKER)
        if rc == 0 and marker and secret:
            return secret
        # Whatever followed the marker is the secret, even from a reader that failed after printing it:
        # only what came before (the JVM's own messages, such as a crash report) may be shown.
        raise _failure(rc, scrub(before + err, [password]).replace(work.path + os.sep, ""), path, provider, aliases)


def _failure(rc, text, path, provider, aliases):
    """The reader's exit code ``rc`` as a CrossclusterError on ``path``; ``text`` (its output, with no
    secret) only for a failure the code does not name."""
    if rc == REFUSED:
        return credential_store_refused(path)
    if rc == NO_ALIAS or rc == 0:
        return credential_store_lacks(path, aliases)
    if rc == NOT_A_CREDENTIAL:
        return CrossclusterError(
            "is no readable BCFKS credential store (its entry %s is no Hadoop credential the provider unseals: UTF-8 "
            "text sealed with the store's password)" % " or ".join(aliases), path=path, fix=CREDENTIAL_STORE_FIX)
    if rc == UNREADABLE:
        return CrossclusterError("is no readable BCFKS credential store (the provider %s cannot load it: not a BCFKS "
                                 "store, or truncated)" % excerpt(provider.class_name), path=path,
                                 fix=CREDENTIAL_STORE_FIX)
    if rc == NO_PROVIDER:
        return CrossclusterError(
            "cannot be read: the JVM cannot load the provider class %s from %s" % (
                excerpt(provider.class_name), provider.jar), path=path,
            fix="set provider_class (crosscluster_fips_provider_class) to the class of that jar (the Bouncy Castle "
                "FIPS jar's is %s), or set mapr_truststore_password (vault it)" % FIPS_PROVIDER_CLASS)
    if rc == NO_BCFKS:
        return CrossclusterError(
            "cannot be read: the provider %s in %s does not offer the BCFKS store type" % (
                excerpt(provider.class_name), provider.jar), path=path,
            fix="set provider_path (crosscluster_fips_provider_path) to the node's Bouncy Castle FIPS jar, or set "
                "mapr_truststore_password (vault it)")
    if "Could not find or load main class" in text or "Unrecognized option" in text:
        # JDK 8's java takes the source file for a class name: no source-file launcher before JDK 11.
        return CrossclusterError(
            "cannot be read: the node's java is older than JDK 11 and cannot run the collection's reader (a Java "
            "source file)", path=path, fix="set keytool to the keytool of a JDK 11 or later, or set "
                                           "mapr_truststore_password (vault it)")
    return CrossclusterError(
        "cannot be read: the JVM that reads it failed (exit %s): %s" % (
            rc, excerpt(" ".join(text.split()), 300, quoted=False)), path=path,
        fix="set mapr_truststore_password (vault it); check that keytool's JDK runs (java -version)")


class NodeCredentialStore:
    """``open(data, path)`` for ``_store_password.read_truststore_password`` on a FIPS node: the node's
    JDK (the one keytool belongs to) and provider jar, found when first needed, and one JVM per store
    for all of a module's callers (the gather checks the password and lists the truststore with it)."""

    def __init__(self, mapr_home, run_command, provider_path=None, provider_class=None, keytool=None,
                 tmp_root=None):
        self.mapr_home = mapr_home
        self.run_command = run_command
        self.provider_path = provider_path or None
        self.provider_class = provider_class or None
        self.keytool = keytool or None
        self.tmp_root = tmp_root
        self._read = {}

    def open(self, data, path):
        if path not in self._read:
            try:
                provider = find_provider(self.mapr_home, self.provider_path, self.provider_class)
                java = find_java(find_keytool(self.keytool))
                self._read[path] = (read_credential(data, path, java, provider, self.run_command, self.tmp_root),
                                    None)
            except CrossclusterError as err:
                self._read[path] = (None, err)
        secret, err = self._read[path]
        if err is not None:
            raise err
        return secret
