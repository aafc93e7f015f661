package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.bouncycastle.tls.EncryptionAlgorithm;
import org.bouncycastle.tls.TlsUtils;
import org.junit.jupiter.api.Test;

/** Which crypto serves which record cipher, and that no default suite goes missing. */
class JdkFirstTlsCryptoTest {
    private final JdkFirstTlsCrypto crypto = new JdkFirstTlsCrypto(new SecureRandom());

    @Test
    void aesGcmAndChaChaAreTheJdks() {
        for (int cipher : new int[] {EncryptionAlgorithm.AES_128_GCM, EncryptionAlgorithm.AES_256_GCM,
                EncryptionAlgorithm.CHACHA20_POLY1305}) {
            assertTrue(crypto.hasEncryptionAlgorithm(cipher), "served: " + cipher);
            assertFalse(crypto.isFallback(cipher), "from the JDK: " + cipher);
        }
    }

    @Test
    void aesCcmThatSunJceLacksComesFromBouncyCastle() {
        for (int cipher : new int[] {EncryptionAlgorithm.AES_128_CCM, EncryptionAlgorithm.AES_128_CCM_8}) {
            assertTrue(crypto.hasEncryptionAlgorithm(cipher), "served: " + cipher);
            assertTrue(crypto.isFallback(cipher), "from BouncyCastle: " + cipher);
        }
    }

    @Test
    void everyDefaultSuiteIsOffered() {
        assertArrayEquals(BcPskDtls.SUITES, TlsUtils.getSupportedCipherSuites(crypto, BcPskDtls.SUITES));
    }
}
