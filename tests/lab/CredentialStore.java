// Writes a Hadoop credential store for the lab the way 7.x's maprtrustcreds.jceks is written:
// what Hadoop's JavaKeyStoreProvider does for each credential (a secret key entry whose alias is the
// property name and whose key bytes are the value in UTF-8, algorithm "AES"), with one password for
// the store and its entries.
//
//   [HADOOP_CREDSTORE_PASSWORD=...] java CredentialStore.java STORE [JCEKS|BCFKS PROVIDERCLASS]
//
// The credentials come on stdin, one alias=value a line, never on the command line. The store
// password is Hadoop's: HADOOP_CREDSTORE_PASSWORD when set, else "none". A BCFKS store needs its
// provider jar on the class path and its class named, as TlsProbe.java.

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import javax.crypto.spec.SecretKeySpec;

public class CredentialStore {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: java [-cp PROVIDER.jar] CredentialStore.java STORE [JCEKS|BCFKS PROVIDERCLASS]");
            System.exit(1);
        }
        String type = args.length > 1 ? args[1] : "JCEKS";
        if (args.length > 2) {
            Security.addProvider((Provider) Class.forName(args[2]).getDeclaredConstructor().newInstance());
        }
        String env = System.getenv("HADOOP_CREDSTORE_PASSWORD");
        char[] password = (env != null ? env : "none").toCharArray();
        KeyStore store = KeyStore.getInstance(type);
        store.load(null, password);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            byte[] value = line.substring(eq + 1).getBytes(StandardCharsets.UTF_8);
            store.setKeyEntry(line.substring(0, eq), new SecretKeySpec(value, "AES"), password, null);
        }
        try (OutputStream out = new FileOutputStream(args[0])) {
            store.store(out, password);
        }
    }
}
