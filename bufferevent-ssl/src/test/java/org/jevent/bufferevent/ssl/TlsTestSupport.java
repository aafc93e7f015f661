package org.jevent.bufferevent.ssl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import org.conscrypt.Conscrypt;

/** Key material and engines for the TLS tests: a throw-away self-signed certificate made by keytool. */
final class TlsTestSupport {
    static final char[] PASSWORD = "changeit".toCharArray();
    private static KeyStore keyStore;
    private static final Provider CONSCRYPT = Conscrypt.newProvider();

    enum Impl {
        CONSCRYPT, JDK
    }

    private TlsTestSupport() {
    }

    static synchronized KeyStore keyStore() throws Exception {
        if (keyStore == null) {
            Path dir = Files.createTempDirectory("jevent-tls");
            Path ks = dir.resolve("server.p12");
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                    "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
                    "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + out);
            }
            KeyStore k = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(ks)) {
                k.load(in, PASSWORD);
            }
            Files.delete(ks);
            Files.delete(dir);
            keyStore = k;
        }
        return keyStore;
    }

    static SSLContext context(Impl impl) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(keyStore(), PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(keyStore());
        SSLContext ctx = impl == Impl.CONSCRYPT ? SSLContext.getInstance("TLS", CONSCRYPT) : SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    static SSLEngine engine(Impl impl, boolean client, String protocol) throws Exception {
        SSLEngine e = client ? context(impl).createSSLEngine("localhost", 443) : context(impl).createSSLEngine();
        e.setUseClientMode(client);
        e.setEnabledProtocols(new String[] {protocol});
        return e;
    }
}
