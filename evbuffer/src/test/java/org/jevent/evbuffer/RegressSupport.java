package org.jevent.evbuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Helpers shared by the ports of libevent's {@code test/regress_buffer.c}. Strings are Latin-1 so
 * that every char is exactly one byte, NUL and CR included.
 */
final class RegressSupport {
    private RegressSupport() {
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** The remaining bytes of a view, without moving its position. */
    static byte[] bytesOf(ByteBuffer view) {
        byte[] out = new byte[view.remaining()];
        view.duplicate().get(out);
        return out;
    }

    static String s(ByteBuffer view) {
        return s(bytesOf(view));
    }

    /** Every byte of the buffer, read through peek so that the layout is not changed. */
    static byte[] contentOf(EvBuffer buf) {
        int n = buf.peek(-1, null, null);
        ByteBuffer[] v = new ByteBuffer[n];
        buf.peek(-1, null, v);
        byte[] out = new byte[Math.toIntExact(buf.getLength())];
        int at = 0;
        for (ByteBuffer view : v) {
            int k = view.remaining();
            view.duplicate().get(out, at, k);
            at += k;
        }
        assertEquals(out.length, at, "peek views cover the whole length");
        return out;
    }

    static String text(EvBuffer buf) {
        return s(contentOf(buf));
    }

    /** The twin of evbuffer_validate: every buffer's invariant holds. */
    static void valid(EvBuffer... bufs) {
        for (EvBuffer b : bufs) {
            b.checkInvariants();
        }
    }

    static void freeAll(EvBuffer... bufs) {
        for (EvBuffer b : bufs) {
            if (b != null) {
                b.free();
            }
        }
    }

    static byte[] repeat(char c, int n) {
        byte[] out = new byte[n];
        java.util.Arrays.fill(out, (byte) c);
        return out;
    }
}
