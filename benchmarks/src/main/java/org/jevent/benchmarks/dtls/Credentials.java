package org.jevent.benchmarks.dtls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.dtls.BcPskDtls;

/**
 * What the DTLS servers of a run prove themselves with: a throw-away EC P-256 certificate in a
 * PKCS#12 file that every certificate server loads (jevent's through {@code SslContexts}, Scandium's
 * as a key and chain), and the pre-shared key of Qt's DTLS example for the PSK servers.
 */
final class Credentials {
    /** The PSK identity the load client sends (Qt's DTLS client example's). */
    static final String PSK_IDENTITY = "Qt DTLS example client";
    static final char[] PASSWORD = "dtls-bench".toCharArray();

    private Credentials() {
    }

    /** The Qt example's key, a fresh copy (bctls zeroes the array it is given). */
    static byte[] pskKey() {
        return BcPskDtls.qtExampleKey();
    }

    /**
     * Writes a new certificate and key as a PKCS#12 file, deleted when this JVM exits.
     *
     * @return the file and the certificate (the client's trust anchor)
     */
    static Written write() throws IOException {
        SelfSignedCertificate ssc = SelfSignedCertificate.generate();
        Path file = Files.createTempFile("jevent-dtls-bench", ".p12");
        file.toFile().deleteOnExit();
        try (OutputStream out = Files.newOutputStream(file)) {
            ssc.keyStore(PASSWORD).store(out, PASSWORD);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot write " + file, e);
        }
        return new Written(file, ssc.certificate());
    }

    /** A certificate file written by {@link #write()}, and its certificate. */
    record Written(Path file, X509Certificate certificate) {
    }

    /** Loads a file written by {@link #write()}. */
    static KeyStore load(Path file) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    static PrivateKey key(KeyStore ks) throws GeneralSecurityException {
        return (PrivateKey) ks.getKey(SelfSignedCertificate.KEY_STORE_ALIAS, PASSWORD);
    }

    static X509Certificate certificate(KeyStore ks) throws GeneralSecurityException {
        return (X509Certificate) ks.getCertificate(SelfSignedCertificate.KEY_STORE_ALIAS);
    }
}
