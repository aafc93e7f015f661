package org.jevent.dtls;

import java.io.IOException;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsDecodeResult;
import org.bouncycastle.tls.crypto.TlsEncodeResult;

/**
 * A bctls record cipher whose refusals of a received record all read as {@code bad_record_mac}.
 *
 * <p>Why: bctls' DTLS record layer drops a record silently only when its cipher says
 * {@code bad_record_mac} (RFC 6347 §4.1.2.7: invalid records are discarded); any other alert ends
 * the session. Its ciphers refuse a record that is too short for the explicit nonce and tag
 * (AEAD) or not a whole number of blocks (CBC) with {@code decode_error} or
 * {@code decryption_failed} before any authentication, so one forged datagram from the peer's
 * address, 13 bytes of header and a few of body, would end a session. Those become
 * {@code bad_record_mac} here. Invariant: everything else passes through unchanged.
 */
final class SilentDropCipher implements TlsCipher {
    private final TlsCipher cipher;

    SilentDropCipher(TlsCipher cipher) {
        this.cipher = cipher;
    }

    @Override
    public TlsDecodeResult decodeCiphertext(long seqNo, short recordType, ProtocolVersion recordVersion, byte[] ciphertext,
            int offset, int len) throws IOException {
        try {
            return cipher.decodeCiphertext(seqNo, recordType, recordVersion, ciphertext, offset, len);
        } catch (TlsFatalAlert refused) {
            short alert = refused.getAlertDescription();
            if (alert == AlertDescription.decode_error || alert == AlertDescription.decryption_failed) {
                throw new TlsFatalAlert(AlertDescription.bad_record_mac, refused);
            }
            throw refused;
        }
    }

    @Override
    public TlsEncodeResult encodePlaintext(long seqNo, short contentType, ProtocolVersion recordVersion,
            int headerAllocation, byte[] plaintext, int offset, int len) throws IOException {
        return cipher.encodePlaintext(seqNo, contentType, recordVersion, headerAllocation, plaintext, offset, len);
    }

    @Override
    public int getCiphertextDecodeLimit(int plaintextLimit) {
        return cipher.getCiphertextDecodeLimit(plaintextLimit);
    }

    @Override
    public int getCiphertextEncodeLimit(int plaintextLimit) {
        return cipher.getCiphertextEncodeLimit(plaintextLimit);
    }

    @Override
    public int getPlaintextDecodeLimit(int ciphertextLimit) {
        return cipher.getPlaintextDecodeLimit(ciphertextLimit);
    }

    @Override
    public int getPlaintextEncodeLimit(int ciphertextLimit) {
        return cipher.getPlaintextEncodeLimit(ciphertextLimit);
    }

    @Override
    public void rekeyDecoder() throws IOException {
        cipher.rekeyDecoder();
    }

    @Override
    public void rekeyEncoder() throws IOException {
        cipher.rekeyEncoder();
    }

    @Override
    public boolean usesOpaqueRecordTypeDecode() {
        return cipher.usesOpaqueRecordTypeDecode();
    }

    @Override
    public boolean usesOpaqueRecordTypeEncode() {
        return cipher.usesOpaqueRecordTypeEncode();
    }
}
