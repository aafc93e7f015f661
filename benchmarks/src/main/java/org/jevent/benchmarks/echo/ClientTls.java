package org.jevent.benchmarks.echo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.conscrypt.Conscrypt;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;

/**
 * The TLS side of the load generator: a throw-away EC P-256 certificate written as PEM for every
 * server of the run, and the client context (Conscrypt) that makes the client engines.
 *
 * <p>The client is a load generator, so it is made as cheap per handshake as it honestly can be,
 * leaving the CPU to the server being measured:
 * <ul>
 * <li>It trusts the server by comparing the leaf certificate with the one it wrote (a pin)
 * instead of running the JDK's PKIX path validation per handshake. BoringSSL still checks the
 * server's CertificateVerify signature, so the server does all the work of a real handshake.</li>
 * <li>Key exchange groups are pinned to {@code x25519,secp256r1} ({@link #pinNamedGroups}):
 * Conscrypt 2.9 would otherwise offer the hybrid X25519MLKEM768 first, which Conscrypt servers
 * accept and the JDK does not, so servers would not do the same key exchange. The OpenSSL 3.0
 * {@code s_time} client offers x25519 first as well.</li>
 * </ul>
 */
final class ClientTls {
    private static final String[] ALPN = {"http/1.1"};
    final Path cert;
    final Path key;
    private final SSLContext client;

    ClientTls() throws Exception {
        pinNamedGroups();
        Path dir = Files.createTempDirectory("jevent-echo-tls");
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        SelfSignedCertificate ssc = SelfSignedCertificate.generate();
        ssc.writePem(cert, key);
        cert.toFile().deleteOnExit();
        key.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        client = SSLContext.getInstance("TLS", Conscrypt.newProvider());
        client.init(null, new TrustManager[] {new Pinned(ssc.certificate())}, null);
    }

    /**
     * Sets {@code jdk.tls.namedGroups} unless the caller did; Conscrypt reads it per engine, the
     * JDK provider once, so this must run before any engine is made in this process.
     */
    static void pinNamedGroups() {
        if (System.getProperty("jdk.tls.namedGroups") == null) {
            System.setProperty("jdk.tls.namedGroups", "x25519,secp256r1");
        }
    }

    /**
     * A client engine with no host and port: no session cache, so every handshake is a full one.
     * It offers ALPN {@code http/1.1}: servers without ALPN ignore it, and Netty's Conscrypt path
     * (netty-tls-conscrypt) fails every connection where ALPN is not negotiated (Netty 4.1.118 with
     * Conscrypt 2.9: NullPointerException, "protocol" is null, in its ALPN selection).
     */
    SSLEngine engine() {
        SSLEngine e = client.createSSLEngine();
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        p.setApplicationProtocols(ALPN);
        e.setSSLParameters(p);
        return e;
    }

    /** Accepts exactly one server certificate. */
    private static final class Pinned implements X509TrustManager {
        private final X509Certificate expected;

        Pinned(X509Certificate expected) {
            this.expected = expected;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0 || !expected.equals(chain[0])) {
                throw new CertificateException("not the certificate this run wrote");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
