package org.jevent.evbuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Finds bytes eight at a time (SWAR): the memchr that search and readLine are built on.
 *
 * <p>{@link #zeroBytes} marks exactly the zero bytes of a word (no false positives from
 * borrows), so the first match is found from either end, whatever the buffer's byte order.
 */
final class ByteScan {
    private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;
    private static final long ONES = 0x0101010101010101L;

    private ByteScan() {
    }

    /** First index in {@code [from, to)} holding {@code target}, or -1. */
    static int indexOf(ByteBuffer b, int from, int to, byte target) {
        int i = from;
        if (to - from >= Long.BYTES) {
            long pattern = (target & 0xFFL) * ONES;
            boolean big = b.order() == ByteOrder.BIG_ENDIAN;
            for (; i + Long.BYTES <= to; i += Long.BYTES) {
                long hits = zeroBytes(b.getLong(i) ^ pattern);
                if (hits != 0) {
                    return i + firstByte(hits, big);
                }
            }
        }
        for (; i < to; i++) {
            if (b.get(i) == target) {
                return i;
            }
        }
        return -1;
    }

    /** First index in {@code [from, to)} holding {@code t1} or {@code t2}, or -1. */
    static int indexOfEither(ByteBuffer b, int from, int to, byte t1, byte t2) {
        int i = from;
        if (to - from >= Long.BYTES) {
            long p1 = (t1 & 0xFFL) * ONES;
            long p2 = (t2 & 0xFFL) * ONES;
            boolean big = b.order() == ByteOrder.BIG_ENDIAN;
            for (; i + Long.BYTES <= to; i += Long.BYTES) {
                long w = b.getLong(i);
                long hits = zeroBytes(w ^ p1) | zeroBytes(w ^ p2);
                if (hits != 0) {
                    return i + firstByte(hits, big);
                }
            }
        }
        for (; i < to; i++) {
            byte c = b.get(i);
            if (c == t1 || c == t2) {
                return i;
            }
        }
        return -1;
    }

    /** High bit set in each byte of {@code x} that is zero, and nowhere else. */
    static long zeroBytes(long x) {
        return ~(((x & LOW7) + LOW7) | x | LOW7);
    }

    private static int firstByte(long hits, boolean bigEndian) {
        return (bigEndian ? Long.numberOfLeadingZeros(hits) : Long.numberOfTrailingZeros(hits)) >>> 3;
    }
}
