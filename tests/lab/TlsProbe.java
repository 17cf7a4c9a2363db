// A Java TLS client for the lab: does the JVM trust a CLDB with this trust store?
//
//   LAB_STORE_PASSWORD=... java TlsProbe.java HOST PORT TRUSTSTORE [JKS|PKCS12]
//   LAB_STORE_PASSWORD=... java -cp PROVIDER.jar TlsProbe.java HOST PORT TRUSTSTORE BCFKS PROVIDERCLASS
//
// A FIPS node's BCFKS store needs its provider: the jar on the class path and its class named, as
// keytool's -providerpath / -providerclass.
// The password comes from the environment, never the command line. The store is the only trust
// source (no JDK cacerts) and the host name is checked against the certificate's SANs, as a
// MapR Java client does. Prints the CLDB's /status reply; exit 0 on success, 2 when the TLS
// handshake is refused (untrusted certificate, name mismatch), 1 on any other error.

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class TlsProbe {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: java [-cp PROVIDER.jar] TlsProbe.java HOST PORT TRUSTSTORE [JKS|PKCS12|BCFKS PROVIDERCLASS]");
            System.exit(1);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String password = System.getenv("LAB_STORE_PASSWORD");
        if (password == null) {
            System.err.println("LAB_STORE_PASSWORD is not set");
            System.exit(1);
        }
        if (args.length > 4) {
            Security.addProvider((Provider) Class.forName(args[4]).getDeclaredConstructor().newInstance());
        }
        KeyStore store = KeyStore.getInstance(args.length > 3 ? args[3] : "JKS");
        try (InputStream in = new FileInputStream(args[2])) {
            store.load(in, password.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port)) {
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(("GET /status HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(reply);
            String text = reply.toString(StandardCharsets.UTF_8);
            System.out.println("connected to " + host + ":" + port + " as "
                + socket.getSession().getPeerPrincipal().getName());
            System.out.println(text.substring(text.indexOf("\r\n\r\n") + 4));
            System.exit(text.startsWith("HTTP/1.0 200") || text.startsWith("HTTP/1.1 200") ? 0 : 1);
        } catch (SSLHandshakeException e) {
            System.err.println("TLS handshake with " + host + ":" + port + " failed: " + e.getMessage());
            System.exit(2);
        }
    }
}
