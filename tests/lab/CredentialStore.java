// Writes a Hadoop credential store for the lab the way 7.x's maprtrustcreds.jceks (.bcfks on a FIPS
// node) is written: what Hadoop's JavaKeyStoreProvider (BouncyCastleFipsKeyStoreProvider) does for each
// credential (a secret key entry whose alias is the property name and whose key bytes are the value in
// UTF-8), with one password for the store and its entries. The entry's algorithm is "AES" in both:
// Hadoop's BCFKS provider names "HMACSHA512", but Debian's bcprov (the lab's stand-in for bc-fips)
// stores such an entry and then cannot unseal it ("no such algorithm: 1.2.840.113549.2.11 for
// provider BC"); the reader of the collection does not depend on the algorithm.
//
//   [HADOOP_CREDSTORE_PASSWORD=...] java CredentialStore.java STORE [JCEKS|BCFKS PROVIDERCLASS]
//   java CredentialStore.java --read STORE [JCEKS|BCFKS PROVIDERCLASS] < ALIAS
//
// --read prints the value of the alias given on stdin, as the lab's FIPS node client reads its
// truststore password when the node has no store-passwords.txt.
//
// The credentials come on stdin, one alias=value a line, never on the command line. The store
// password is Hadoop's: HADOOP_CREDSTORE_PASSWORD when set, else "none". A BCFKS store needs its
// provider jar on the class path and its class named, as TlsProbe.java.

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import javax.crypto.spec.SecretKeySpec;

public class CredentialStore {
    public static void main(String[] args) throws Exception {
        boolean read = args.length > 0 && args[0].equals("--read");
        if (read) {
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        }
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
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (read) {
            try (InputStream data = new FileInputStream(args[0])) {
                store.load(data, password);
            }
            System.out.print(new String(store.getKey(in.readLine(), password).getEncoded(), StandardCharsets.UTF_8));
            return;
        }
        store.load(null, password);
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
