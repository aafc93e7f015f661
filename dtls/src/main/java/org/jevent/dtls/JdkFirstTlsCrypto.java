package org.jevent.dtls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.EncryptionAlgorithm;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.TlsAEADCipher;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;

/**
 * bctls crypto on the JDK's providers (AES-GCM, ChaCha20-Poly1305, SHA-2, HMAC, ECDH; AES-GCM on
 * the CPU's AES instructions), with BouncyCastle's own Java code only for the record ciphers the
 * JDK's providers lack.
 *
 * <p>Invariant: a record cipher comes from the JDK's providers whenever they have it, and from
 * {@link BcTlsCrypto} only otherwise; everything else (key exchange, PRF, hashes, secrets) is the
 * JDK's. ChaCha20-Poly1305 needs help to be found: bctls' JCA crypto asks for BouncyCastle's
 * provider names (a {@code "ChaCha7539"} cipher and a {@code "Poly1305"} MAC), which SunJCE does
 * not have, so without {@link JdkChaCha20Poly1305} the suite would vanish silently from the
 * offered list. AES-CCM (the CCM_8 suite that CoAP peers require) SunJCE does not implement at
 * all: it is the one that falls to BouncyCastle on JDK 17. A BouncyCastle cipher works on keys
 * derived by the JDK's PRF: bctls builds a record cipher from the connection's master secret,
 * whatever crypto made it. Every record cipher is wrapped in a {@link SilentDropCipher}, so that
 * a malformed record from the peer's address is dropped rather than ending the session.
 */
final class JdkFirstTlsCrypto extends JcaTlsCrypto {
    private static final int CHACHA_KEY_BYTES = 32;
    private static final int CHACHA_TAG_BYTES = 16;
    private final BcTlsCrypto fallback;
    private final boolean jdkChaCha = JdkChaCha20Poly1305.available();

    /**
     * @param random for keys; nonces and IVs get a generator of their own, as bctls' JCA provider
     *     arranges, so that one stream never shows the other
     */
    JdkFirstTlsCrypto(SecureRandom random) {
        super(new DefaultJcaJceHelper(), random, new SecureRandom());
        this.fallback = new BcTlsCrypto(random);
    }

    private boolean isJdkChaCha(int encryptionAlgorithm) {
        return encryptionAlgorithm == EncryptionAlgorithm.CHACHA20_POLY1305 && jdkChaCha;
    }

    /**
     * @param encryptionAlgorithm a bctls {@code EncryptionAlgorithm}
     * @return whether the JDK's providers lack it and BouncyCastle's Java code serves it
     */
    boolean isFallback(int encryptionAlgorithm) {
        return !isJdkChaCha(encryptionAlgorithm) && !super.hasEncryptionAlgorithm(encryptionAlgorithm)
                && fallback.hasEncryptionAlgorithm(encryptionAlgorithm);
    }

    @Override
    public boolean hasEncryptionAlgorithm(int encryptionAlgorithm) {
        return isJdkChaCha(encryptionAlgorithm) || super.hasEncryptionAlgorithm(encryptionAlgorithm)
                || fallback.hasEncryptionAlgorithm(encryptionAlgorithm);
    }

    /** Every record cipher refuses a received record the way DTLS wants: {@link SilentDropCipher}. */
    @Override
    public TlsCipher createCipher(TlsCryptoParameters cryptoParams, int encryptionAlgorithm, int macAlgorithm)
            throws IOException {
        return new SilentDropCipher(recordCipher(cryptoParams, encryptionAlgorithm, macAlgorithm));
    }

    private TlsCipher recordCipher(TlsCryptoParameters cryptoParams, int encryptionAlgorithm, int macAlgorithm)
            throws IOException {
        if (isJdkChaCha(encryptionAlgorithm)) {
            try {
                return new TlsAEADCipher(cryptoParams, new JdkChaCha20Poly1305(true), new JdkChaCha20Poly1305(false),
                        CHACHA_KEY_BYTES, CHACHA_TAG_BYTES, TlsAEADCipher.AEAD_CHACHA20_POLY1305, null);
            } catch (GeneralSecurityException e) {
                throw new TlsFatalAlert(AlertDescription.internal_error, e);
            }
        }
        if (isFallback(encryptionAlgorithm)) {
            return fallback.createCipher(cryptoParams, encryptionAlgorithm, macAlgorithm);
        }
        return super.createCipher(cryptoParams, encryptionAlgorithm, macAlgorithm);
    }
}
