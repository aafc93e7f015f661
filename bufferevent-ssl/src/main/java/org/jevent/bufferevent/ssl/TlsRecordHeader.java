package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLException;

/**
 * Reads the 5-byte header of a TLS record: content type, version, length. We look at it before
 * the engine does, so that bytes that are not TLS at all (a plaintext HTTP request, random data)
 * and absurd lengths fail at once with a clear reason, instead of waiting for 60 KiB that never
 * come or, with Conscrypt, failing without an alert.
 */
final class TlsRecordHeader {
    static final int LENGTH = 5;
    /** The content type of an alert record. */
    static final int CONTENT_ALERT = 21;
    /** The content type of a handshake record (in the clear on TLS 1.2 even once encrypted; TLS 1.3 hides it). */
    static final int CONTENT_HANDSHAKE = 22;
    /** RFC 8446 5.2: a TLSCiphertext fragment is at most 2^14 + 256 bytes; TLS 1.2 allows 2^14 + 2048. */
    static final int MAX_FRAGMENT = 16384 + 2048;

    private TlsRecordHeader() {
    }

    /**
     * The whole record's length (header included) described by {@code h}, which holds the first
     * five bytes of the stream.
     *
     * @throws SSLException if these bytes cannot start a TLS record
     */
    static int recordLength(byte[] h) throws SSLException {
        int type = h[0] & 0xff;
        int major = h[1] & 0xff;
        int minor = h[2] & 0xff;
        int len = ((h[3] & 0xff) << 8) | (h[4] & 0xff);
        // change_cipher_spec 20, alert 21, handshake 22, application_data 23, heartbeat 24
        if (type < 20 || type > 24 || major != 3 || minor > 4) {
            throw new SSLException("not a TLS record: the stream starts with " + hex(h)
                    + (looksLikeText(h) ? " (\"" + text(h) + "...\", plaintext?)" : ""));
        }
        if (len == 0 || len > MAX_FRAGMENT) {
            throw new SSLException("TLS record length " + len + " out of range (1.." + MAX_FRAGMENT + ")");
        }
        return LENGTH + len;
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    private static boolean looksLikeText(byte[] b) {
        for (byte x : b) {
            if (x < 0x20 || x > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] b) {
        return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
