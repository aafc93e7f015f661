package org.jevent.examples;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jevent.evbuffer.EvBuffer;

/**
 * The little of PostgreSQL's wire protocol that a TLS-terminating proxy must understand: the
 * first message of a connection ("startup packet": int32 length including itself, int32 code,
 * body), the one-byte answers to SSLRequest/GSSENCRequest, and ErrorResponse for refusals.
 * Everything after the startup message is relayed without being parsed.
 */
final class PgWire {
    /** Request codes, as {@code pqcomm.h} defines them: 1234 in the high half, a tag in the low. */
    static final int SSL_REQUEST_CODE = 1234 << 16 | 5679; // 80877103
    static final int GSSENC_REQUEST_CODE = 1234 << 16 | 5680; // 80877104
    static final int CANCEL_REQUEST_CODE = 1234 << 16 | 5678; // 80877102
    /** The server's own bound on a startup packet ({@code MAX_STARTUP_PACKET_LENGTH}). */
    static final int MAX_STARTUP_LENGTH = 10_000;

    /** What the first message of a connection is. */
    enum Kind {
        SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST, STARTUP, UNSUPPORTED_PROTOCOL
    }

    /** A complete first message waiting at the front of a buffer: its kind, length and code. */
    record Startup(Kind kind, int length, int code) {
    }

    /** A first message the proxy will not take: its text goes into the ErrorResponse. */
    static final class Violation extends Exception {
        private static final long serialVersionUID = 1L;

        Violation(String message) {
            super(message);
        }
    }

    private PgWire() {
    }

    /**
     * Looks at the front of {@code in} without consuming anything: null until a whole first
     * message is there. The length is checked as soon as it is known, so that a hostile length
     * never makes the proxy buffer more than {@value #MAX_STARTUP_LENGTH} bytes.
     */
    static Startup peekStartup(EvBuffer in) throws Violation {
        if (in.getLength() < 8) {
            if (in.getLength() >= 4) {
                checkLength(readInt(in, 4)[0]);
            }
            return null;
        }
        int[] head = readInt(in, 8);
        int length = head[0];
        int code = head[1];
        checkLength(length);
        if (in.getLength() < length) {
            return null;
        }
        Kind kind;
        if (code == SSL_REQUEST_CODE || code == GSSENC_REQUEST_CODE) {
            if (length != 8) {
                throw new Violation("malformed " + (code == SSL_REQUEST_CODE ? "SSLRequest" : "GSSENCRequest")
                        + " of length " + length);
            }
            kind = code == SSL_REQUEST_CODE ? Kind.SSL_REQUEST : Kind.GSSENC_REQUEST;
        } else if (code == CANCEL_REQUEST_CODE) {
            if (length != 16) {
                throw new Violation("malformed CancelRequest of length " + length);
            }
            kind = Kind.CANCEL_REQUEST;
        } else {
            // A StartupMessage carries the protocol version: major in the high 16 bits. Any
            // 3.x is relayed (the server answers a newer minor with NegotiateProtocolVersion).
            kind = code >>> 16 == 3 ? Kind.STARTUP : Kind.UNSUPPORTED_PROTOCOL;
        }
        return new Startup(kind, length, code);
    }

    private static void checkLength(int length) throws Violation {
        if (length < 8 || length > MAX_STARTUP_LENGTH) {
            throw new Violation("invalid length of startup packet: " + length);
        }
    }

    private static int[] readInt(EvBuffer in, int n) {
        byte[] b = new byte[n];
        in.copyout(b);
        ByteBuffer bb = ByteBuffer.wrap(b);
        int[] out = new int[n / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getInt();
        }
        return out;
    }

    /** The 8-byte SSLRequest a client (here: the proxy towards its upstream) sends first. */
    static byte[] sslRequest() {
        return ByteBuffer.allocate(8).putInt(8).putInt(SSL_REQUEST_CODE).array();
    }

    /**
     * A FATAL ErrorResponse ('E', int32 length, fields S, V, C, M, terminator), the form in
     * which the server itself refuses a connection during startup; libpq shows its message.
     */
    static byte[] errorResponse(String sqlState, String message) {
        ByteArrayOutputStream fields = new ByteArrayOutputStream();
        field(fields, 'S', "FATAL");
        field(fields, 'V', "FATAL");
        field(fields, 'C', sqlState);
        field(fields, 'M', message);
        fields.write(0);
        byte[] body = fields.toByteArray();
        return ByteBuffer.allocate(1 + 4 + body.length).put((byte) 'E').putInt(4 + body.length).put(body).array();
    }

    private static void field(ByteArrayOutputStream out, char type, String value) {
        out.write(type);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        out.write(v, 0, v.length);
        out.write(0);
    }

    /** Names a request code for the log, in the server's terms. */
    static String describe(Startup s) {
        return switch (s.kind()) {
            case SSL_REQUEST -> "SSLRequest";
            case GSSENC_REQUEST -> "GSSENCRequest";
            case CANCEL_REQUEST -> "CancelRequest";
            case STARTUP, UNSUPPORTED_PROTOCOL -> "StartupMessage (protocol " + (s.code() >>> 16) + "."
                    + (s.code() & 0xffff) + ")";
        };
    }
}
