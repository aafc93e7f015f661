package org.jevent.dtls;

import java.io.IOException;
import java.security.SecureRandom;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;

/**
 * bctls crypto on the JDK's providers (AES-GCM, SHA-2, HMAC, ECDH on the JDK's intrinsics), with
 * BouncyCastle's own Java code for the record ciphers the JDK providers lack.
 *
 * <p>Invariant: a record cipher comes from the JDK's providers whenever they have it, and from
 * {@link BcTlsCrypto} only otherwise; everything else (key exchange, PRF, hashes, secrets) is the
 * JDK's. Two ciphers fall to BouncyCastle on JDK 17: ChaCha20-Poly1305, because bctls asks the JCA
 * for BouncyCastle's provider names, a {@code "ChaCha7539"} cipher and a {@code "Poly1305"} MAC,
 * and SunJCE has neither (it has the combined AEAD under another name, {@code
 * "ChaCha20-Poly1305"}); and AES-CCM (the CCM_8 suite that CoAP peers require), which SunJCE
 * does not implement. Without this fallback both families would vanish silently from the offered
 * suites. A BouncyCastle cipher works on keys derived by the JDK's PRF: bctls builds the cipher
 * from the connection's master secret whatever crypto made it.
 */
final class JdkFirstTlsCrypto extends JcaTlsCrypto {
    private final BcTlsCrypto fallback;

    /**
     * @param random for keys; nonces and IVs get a generator of their own, as bctls' JCA provider
     *     arranges, so that one stream never shows the other
     */
    JdkFirstTlsCrypto(SecureRandom random) {
        super(new DefaultJcaJceHelper(), random, new SecureRandom());
        this.fallback = new BcTlsCrypto(random);
    }

    /**
     * @param encryptionAlgorithm a bctls {@code EncryptionAlgorithm}
     * @return whether the JDK's providers lack it and BouncyCastle's Java code serves it
     */
    boolean isFallback(int encryptionAlgorithm) {
        return !super.hasEncryptionAlgorithm(encryptionAlgorithm) && fallback.hasEncryptionAlgorithm(encryptionAlgorithm);
    }

    @Override
    public boolean hasEncryptionAlgorithm(int encryptionAlgorithm) {
        return super.hasEncryptionAlgorithm(encryptionAlgorithm) || fallback.hasEncryptionAlgorithm(encryptionAlgorithm);
    }

    @Override
    public TlsCipher createCipher(TlsCryptoParameters cryptoParams, int encryptionAlgorithm, int macAlgorithm)
            throws IOException {
        if (isFallback(encryptionAlgorithm)) {
            return fallback.createCipher(cryptoParams, encryptionAlgorithm, macAlgorithm);
        }
        return super.createCipher(cryptoParams, encryptionAlgorithm, macAlgorithm);
    }
}
