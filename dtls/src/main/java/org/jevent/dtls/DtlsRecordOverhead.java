package org.jevent.dtls;

/**
 * How much of a datagram a DTLS 1.2 record's protection takes, per cipher suite, so that a
 * session can refuse a message that would not fit one datagram before the engine splits it (the
 * JDK's engine silently cuts a large {@code wrap} into several records; bctls refuses). Neither
 * engine has public API for it.
 *
 * <p>Record header 13 bytes (RFC 6347 §4.1), then: AES-GCM and AES-CCM an 8-byte explicit nonce
 * and a 16-byte tag (8 for CCM_8); ChaCha20-Poly1305 a 16-byte tag (RFC 7905, no explicit nonce);
 * CBC a 16-byte explicit IV, the MAC, and padding to the 16-byte block with its length byte.
 */
final class DtlsRecordOverhead {
    /** DTLS record header. */
    public static final int RECORD_HEADER = 13;

    private DtlsRecordOverhead() {
    }

    /**
     * The largest plaintext that one record of at most {@code datagram} bytes carries.
     *
     * @param cipherSuite the negotiated suite's standard (IANA) name
     * @param datagram the datagram size limit
     * @return bytes of plaintext, possibly 0 or less for an absurdly small datagram
     */
    public static int maxPlaintext(String cipherSuite, int datagram) {
        int room = datagram - RECORD_HEADER;
        if (cipherSuite.contains("_GCM_")) {
            return room - 8 - 16;
        }
        if (cipherSuite.contains("CHACHA20_POLY1305")) {
            return room - 16;
        }
        if (cipherSuite.endsWith("_CCM_8")) {
            return room - 8 - 8;
        }
        if (cipherSuite.endsWith("_CCM")) {
            return room - 8 - 16;
        }
        int mac = cipherSuite.endsWith("_SHA384") ? 48 : cipherSuite.endsWith("_SHA256") ? 32
                : cipherSuite.endsWith("_SHA") ? 20 : 64;
        // IV, then whole blocks holding plaintext + MAC + at least the padding-length byte.
        return ((room - 16) / 16) * 16 - mac - 1;
    }
}
