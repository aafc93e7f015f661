package org.jevent.dtls;

import java.nio.ByteBuffer;

/**
 * A reusable, allocation-free view of one datagram that should hold exactly one unfragmented
 * DTLS ClientHello (RFC 6347 §4.1 record header, §4.2.2 handshake header, RFC 5246 §7.4.1.2
 * body). {@link #parse} checks every length against its container and remembers offsets; nothing
 * is copied.
 *
 * <p>Rejected (with {@link #rejection()} saying why): anything but a single epoch-0 handshake
 * record with a DTLS version (major byte 0xFE); a handshake message other than client_hello; a
 * fragment (fragment_offset != 0 or fragment_length != length: a stateless verifier cannot
 * reassemble without keeping state per peer); a body whose vectors overrun, a session_id over
 * 32 bytes, a cookie over 255 bytes (32 for DTLS 1.0), cipher suites of odd or zero length, no
 * compression method, or bytes after the extensions block.
 *
 * <p>Invariant: after {@code parse} returned true, every offset lies inside the datagram's
 * [position, limit) as it was at the call, and {@link #buffer()} is that same buffer; after it
 * returned false, no accessor but {@link #rejection()} is meaningful. The view keeps a reference
 * to the buffer, not a copy: it is valid only while the caller keeps the bytes unchanged.
 */
final class ClientHelloView {
    /** Record header: type(1) version(2) epoch(2) sequence_number(6) length(2). */
    public static final int RECORD_HEADER_LENGTH = 13;
    /** Handshake header: msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3). */
    public static final int HANDSHAKE_HEADER_LENGTH = 12;
    static final int CONTENT_TYPE_HANDSHAKE = 22;
    static final int HANDSHAKE_CLIENT_HELLO = 1;
    static final int HANDSHAKE_HELLO_VERIFY_REQUEST = 3;
    /** DTLS 1.2's on-the-wire version (one's complement of 1.2). */
    static final int DTLS_1_2 = 0xFEFD;
    static final int DTLS_1_0 = 0xFEFF;

    private ByteBuffer buf;
    private int start;
    private int recordVersion;
    private long recordSequence;
    private int messageSeq;
    private int bodyOffset;
    private int bodyLength;
    private int clientVersion;
    private int cookieLengthOffset;
    private int cookieLength;
    private String rejection;
    private long parses;

    /**
     * Parses {@code datagram} from its position to its limit; neither is changed.
     *
     * @param datagram the received datagram
     * @return true if it is one well-formed, unfragmented ClientHello
     */
    public boolean parse(ByteBuffer datagram) {
        parses++;
        buf = datagram;
        start = datagram.position();
        int end = datagram.limit();
        int len = end - start;
        if (len < RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH) {
            return reject("shorter than a record and a handshake header");
        }
        if (u8(start) != CONTENT_TYPE_HANDSHAKE) {
            return reject("not a handshake record");
        }
        recordVersion = u16(start + 1);
        if ((recordVersion >>> 8) != 0xFE) {
            return reject("not a DTLS record version");
        }
        if (u16(start + 3) != 0) {
            return reject("epoch is not 0");
        }
        recordSequence = ((long) u16(start + 5) << 32) | (u32(start + 7) & 0xFFFF_FFFFL);
        int recordLength = u16(start + 11);
        if (recordLength != len - RECORD_HEADER_LENGTH) {
            return reject("record length does not match the datagram (truncated, or more than one record)");
        }
        int hs = start + RECORD_HEADER_LENGTH;
        if (u8(hs) != HANDSHAKE_CLIENT_HELLO) {
            return reject("not a ClientHello");
        }
        int messageLength = u24(hs + 1);
        messageSeq = u16(hs + 4);
        int fragmentOffset = u24(hs + 6);
        int fragmentLength = u24(hs + 9);
        if (fragmentOffset != 0 || fragmentLength != messageLength) {
            return reject("fragmented ClientHello");
        }
        if (messageLength != recordLength - HANDSHAKE_HEADER_LENGTH) {
            return reject("handshake length does not match the record");
        }
        bodyOffset = hs + HANDSHAKE_HEADER_LENGTH;
        bodyLength = messageLength;
        return parseBody(bodyOffset, bodyOffset + bodyLength);
    }

    private boolean parseBody(int p, int end) {
        if (end - p < 2 + 32 + 1) {
            return reject("ClientHello body too short");
        }
        clientVersion = u16(p);
        p += 2 + 32;
        int sessionIdLength = u8(p);
        if (sessionIdLength > 32) {
            return reject("session_id longer than 32 bytes");
        }
        p += 1 + sessionIdLength;
        if (p >= end) {
            return reject("ClientHello ends before its cookie");
        }
        cookieLengthOffset = p;
        cookieLength = u8(p);
        if (cookieLength > (clientVersion == DTLS_1_0 ? 32 : 255)) {
            return reject("cookie too long for the version");
        }
        p += 1 + cookieLength;
        if (p + 2 > end) {
            return reject("ClientHello ends before its cipher suites");
        }
        int suitesLength = u16(p);
        if (suitesLength < 2 || (suitesLength & 1) != 0) {
            return reject("cipher_suites length is zero or odd");
        }
        p += 2 + suitesLength;
        if (p + 1 > end) {
            return reject("ClientHello ends before its compression methods");
        }
        int compressionLength = u8(p);
        if (compressionLength < 1) {
            return reject("no compression method");
        }
        p += 1 + compressionLength;
        if (p > end) {
            return reject("compression methods overrun the message");
        }
        if (p < end) {
            if (p + 2 > end || p + 2 + u16(p) != end) {
                return reject("extensions block does not end the message");
            }
        }
        rejection = null;
        return true;
    }

    private boolean reject(String why) {
        rejection = why;
        return false;
    }

    private int u8(int at) {
        return buf.get(at) & 0xFF;
    }

    private int u16(int at) {
        return (u8(at) << 8) | u8(at + 1);
    }

    private int u24(int at) {
        return (u8(at) << 16) | u16(at + 1);
    }

    private int u32(int at) {
        return (u16(at) << 16) | u16(at + 2);
    }

    /** @return why the last {@link #parse} returned false, or null after a success */
    public String rejection() {
        return rejection;
    }

    /** @return how many times {@link #parse} ran: identifies one parsed datagram */
    public long parseCount() {
        return parses;
    }

    /** @return the parsed buffer */
    public ByteBuffer buffer() {
        return buf;
    }

    /** @return the record layer's version field */
    public int recordVersion() {
        return recordVersion;
    }

    /** @return the 48-bit record sequence number (the HelloVerifyRequest echoes it) */
    public long recordSequence() {
        return recordSequence;
    }

    /** @return the handshake message_seq (0 for a first ClientHello, 1 after a HelloVerifyRequest) */
    public int messageSeq() {
        return messageSeq;
    }

    /** @return client_version from the body */
    public int clientVersion() {
        return clientVersion;
    }

    /** @return the cookie's length; 0 when the client sent none */
    public int cookieLength() {
        return cookieLength;
    }

    /** @return absolute index of the cookie's length byte in {@link #buffer()} */
    public int cookieLengthOffset() {
        return cookieLengthOffset;
    }

    /** @return absolute index of the message body (client_version) in {@link #buffer()} */
    public int bodyOffset() {
        return bodyOffset;
    }

    /**
     * One 8-byte word of the client's 32-byte random: what tells a copy of a ClientHello (a
     * retransmission, a duplicate, the second hello after a HelloVerifyRequest, which repeats
     * the first's random) from the ClientHello of a new association.
     *
     * @param index 0..3
     * @return bytes {@code 8*index .. 8*index+8} of the random, big-endian
     */
    public long randomWord(int index) {
        int at = bodyOffset + 2 + 8 * index;
        long w = 0;
        for (int i = 0; i < 8; i++) {
            w = (w << 8) | u8(at + i);
        }
        return w;
    }

    /** @return the body's length */
    public int bodyLength() {
        return bodyLength;
    }

    /** @return absolute index of the datagram's first byte (the record header) in {@link #buffer()} */
    public int datagramStart() {
        return start;
    }

    /** @return the datagram's length */
    public int datagramLength() {
        return RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH + bodyLength;
    }

    /**
     * Whether the cookie equals {@code expected[0..len)}, in time that does not depend on where
     * they differ.
     *
     * @param expected the cookie we would have sent
     * @param len its length
     * @return true if equal
     */
    public boolean cookieEquals(byte[] expected, int len) {
        int diff = cookieLength ^ len;
        int n = Math.min(cookieLength, len);
        int at = cookieLengthOffset + 1;
        for (int i = 0; i < n; i++) {
            diff |= (buf.get(at + i) ^ expected[i]);
        }
        return diff == 0;
    }

    /**
     * Writes this ClientHello as the client's first one would have been: without cookie,
     * message_seq 0, record sequence 0, lengths fixed. For a well-behaved client this is
     * byte-identical to its first ClientHello (shared/reference 2.2, measured with SunJSSE).
     *
     * @param dst receives {@code datagramLength() - cookieLength()} bytes at its position
     */
    public void writeWithoutCookie(ByteBuffer dst) {
        int base = dst.position();
        int cookieAt = cookieLengthOffset;
        for (int i = start; i < cookieAt; i++) {
            dst.put(buf.get(i));
        }
        dst.put((byte) 0);
        int afterCookie = cookieAt + 1 + cookieLength;
        int end = start + datagramLength();
        for (int i = afterCookie; i < end; i++) {
            dst.put(buf.get(i));
        }
        int newBody = bodyLength - cookieLength;
        for (int i = 5; i < 11; i++) {
            dst.put(base + i, (byte) 0); // record sequence number
        }
        putU16(dst, base + 11, HANDSHAKE_HEADER_LENGTH + newBody);
        int hs = base + RECORD_HEADER_LENGTH;
        putU24(dst, hs + 1, newBody);
        putU16(dst, hs + 4, 0); // message_seq
        putU24(dst, hs + 9, newBody); // fragment_length
    }

    static void putU16(ByteBuffer b, int at, int v) {
        b.put(at, (byte) (v >>> 8));
        b.put(at + 1, (byte) v);
    }

    static void putU24(ByteBuffer b, int at, int v) {
        b.put(at, (byte) (v >>> 16));
        putU16(b, at + 1, v);
    }
}
