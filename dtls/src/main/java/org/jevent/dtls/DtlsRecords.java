package org.jevent.dtls;

import java.nio.ByteBuffer;

/**
 * Reading DTLS 1.2 record headers (RFC 6347 §4.1) in place, at absolute offsets of a datagram,
 * without allocating: content type, epoch, 48-bit sequence number, and where the next record
 * starts.
 */
final class DtlsRecords {
    /** type(1) version(2) epoch(2) sequence_number(6) length(2). */
    static final int HEADER = 13;
    static final int CHANGE_CIPHER_SPEC = 20;
    static final int ALERT = 21;
    static final int HANDSHAKE = 22;
    static final int APPLICATION_DATA = 23;
    private static final int CLIENT_HELLO = 1;

    private DtlsRecords() {
    }

    static int type(ByteBuffer d, int p) {
        return d.get(p) & 0xFF;
    }

    static int epoch(ByteBuffer d, int p) {
        return ((d.get(p + 3) & 0xFF) << 8) | (d.get(p + 4) & 0xFF);
    }

    static long sequence(ByteBuffer d, int p) {
        long seq = 0;
        for (int i = 5; i < 11; i++) {
            seq = (seq << 8) | (d.get(p + i) & 0xFF);
        }
        return seq;
    }

    /**
     * @return the offset after the record at {@code p}, or -1 if its header or body does not fit
     *     before {@code end} (a truncated record: nothing after it can be framed either)
     */
    static int next(ByteBuffer d, int p, int end) {
        if (p + HEADER > end) {
            return -1;
        }
        int next = p + HEADER + (((d.get(p + 11) & 0xFF) << 8) | (d.get(p + 12) & 0xFF));
        return next > end ? -1 : next;
    }

    /**
     * Whether a datagram starts with an epoch-0 handshake record carrying a ClientHello: what a
     * client sends to begin a new association (RFC 6347 §4.2.8), never part of an established one.
     */
    static boolean startsWithClientHello(ByteBuffer d) {
        int p = d.position();
        return d.limit() - p > HEADER && type(d, p) == HANDSHAKE && epoch(d, p) == 0
                && (d.get(p + HEADER) & 0xFF) == CLIENT_HELLO;
    }
}
