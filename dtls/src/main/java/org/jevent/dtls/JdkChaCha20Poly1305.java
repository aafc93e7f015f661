package org.jevent.dtls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.impl.TlsAEADCipherImpl;

/**
 * One direction of a bctls ChaCha20-Poly1305 record cipher (RFC 7905) on the JDK's own AEAD
 * cipher, {@value #JDK_NAME}. bctls' JCA crypto looks for BouncyCastle's provider names instead (a
 * {@code "ChaCha7539"} cipher and a {@code "Poly1305"} MAC), which SunJCE does not have.
 *
 * <p>Invariant: {@link #init} precedes each {@link #doFinal}, one record per nonce (bctls derives
 * the nonce from the record's sequence number; the JDK refuses to encrypt twice under one nonce).
 * A record that fails to decrypt for any reason is reported as {@code bad_record_mac}, which
 * bctls' DTLS record layer drops silently.
 */
final class JdkChaCha20Poly1305 implements TlsAEADCipherImpl {
    /** The JDK's name of the combined cipher (SunJCE, JDK 11 and later). */
    static final String JDK_NAME = "ChaCha20-Poly1305";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BYTES = 16;

    private final Cipher cipher;
    private final boolean encrypting;
    private SecretKeySpec key;

    JdkChaCha20Poly1305(boolean encrypting) throws NoSuchAlgorithmException, NoSuchPaddingException {
        this.cipher = Cipher.getInstance(JDK_NAME);
        this.encrypting = encrypting;
    }

    /** @return whether the JDK's providers have {@value #JDK_NAME} */
    static boolean available() {
        try {
            Cipher.getInstance(JDK_NAME);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public void setKey(byte[] keyBytes, int offset, int length) {
        key = new SecretKeySpec(keyBytes, offset, length, "ChaCha20");
    }

    @Override
    public void init(byte[] nonce, int macSize) throws IOException {
        if (nonce.length != NONCE_BYTES || macSize != TAG_BYTES) {
            throw new TlsFatalAlert(AlertDescription.internal_error);
        }
        try {
            cipher.init(encrypting ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(AlertDescription.internal_error, e);
        }
    }

    @Override
    public int getOutputSize(int inputLength) {
        return encrypting ? inputLength + TAG_BYTES : inputLength - TAG_BYTES;
    }

    @Override
    public int doFinal(byte[] additionalData, byte[] input, int inputOffset, int inputLength, byte[] output,
            int outputOffset) throws IOException {
        try {
            if (additionalData != null && additionalData.length > 0) {
                cipher.updateAAD(additionalData);
            }
            // One call for the whole record: bctls passes the same array in and out, which the
            // JDK's Cipher allows.
            return cipher.doFinal(input, inputOffset, inputLength, output, outputOffset);
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(encrypting ? AlertDescription.internal_error : AlertDescription.bad_record_mac, e);
        }
    }
}
