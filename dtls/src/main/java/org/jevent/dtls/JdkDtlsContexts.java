package org.jevent.dtls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code SSLContext.getInstance("DTLS", "SunJSSE")} set up from in-memory keys: the only DTLS
 * provider on the JDK (Conscrypt has none, shared/reference 2.1). Lab stand-in until
 * {@code SslContexts} of bufferevent-ssl learns DTLS (its builder makes "TLS" contexts only and
 * its single-key manager is package-private); the key manager here is {@code SunX509}, which
 * caches the key, not {@code PKIX}, which re-decrypts it per handshake (reference 1.3).
 */
public final class JdkDtlsContexts {
    private static final char[] NO_PASSWORD = new char[0];

    private JdkDtlsContexts() {
    }

    /**
     * A server context presenting {@code chain} with {@code key}.
     *
     * @param key the private key
     * @param chain leaf first
     * @return an initialised DTLS context
     * @throws GeneralSecurityException if the key and chain are refused
     */
    public static SSLContext server(PrivateKey key, X509Certificate... chain) throws GeneralSecurityException {
        KeyStore ks = emptyStore();
        ks.setKeyEntry("key", key, NO_PASSWORD, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, NO_PASSWORD);
        return init(kmf.getKeyManagers(), null);
    }

    /**
     * A client context trusting exactly {@code anchors}.
     *
     * @param anchors trusted certificates (a self-signed server's own certificate will do)
     * @return an initialised DTLS context
     * @throws GeneralSecurityException if the trust store cannot be built
     */
    public static SSLContext client(X509Certificate... anchors) throws GeneralSecurityException {
        KeyStore ts = emptyStore();
        for (int i = 0; i < anchors.length; i++) {
            ts.setCertificateEntry("anchor" + i, anchors[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ts);
        return init(new KeyManager[0], tmf.getTrustManagers());
    }

    private static SSLContext init(KeyManager[] kms, TrustManager[] tms) throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("DTLS", "SunJSSE");
        ctx.init(kms, tms, new SecureRandom());
        return ctx;
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        return ks;
    }
}
