package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.contentOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, memory per connection: a socket read ({@code readFrom}) must stay in pooled
 * segments. A read of 64 KiB (the socket bufferevents' single-read size once a stream is busy)
 * into a buffer whose last segment still has a little room uses one of the four read vectors for
 * that room, and three fresh 17 KiB segments cannot hold the rest; readFrom then falls back to
 * one exact-size segment of 64 KiB, direct memory outside the pool that only a garbage
 * collection gives back. A TLS transport's input nearly always ends in such a partial record,
 * so every busy read of a TLS connection took that path: in the examples fault suite, 24
 * Conscrypt connections that write and never read cost 3.2 MiB each in RSS (the live buffers
 * were about 0.5 MiB), 1.1 MiB with reads kept in the pool.
 *
 * <p>The fix keeps libevent's promise that a read of {@code howmuch} bytes gets room for all of
 * them in at most four vectors: when the last segment's little room is what makes four too few,
 * the read passes over that room and scatters into pooled segments only.
 */
class ReadFromPoolTest {
    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Every segment came from the pool (none is an exact-size allocation). */
    private static void assertAllPooled(EvBuffer buf) {
        for (Segment s = buf.chain().head; s != null; s = s.next) {
            assertTrue(s.slab != null && s.capacity() <= SegmentPool.LARGE_SIZE,
                    "a segment of " + s.capacity() + " bytes outside the pool");
        }
    }

    private static void readAndCheck(byte[] already, int want) throws IOException {
        EvBuffer buf = new EvBuffer();
        try {
            buf.add(already);
            byte[] incoming = random(want, 2);
            EvBufferModelState.MemChannel ch = new EvBufferModelState.MemChannel(incoming, false, Integer.MAX_VALUE);
            int n = buf.readFrom(ch, want);
            assertTrue(n > 0, "read something");
            byte[] expected = Arrays.copyOf(already, already.length + n);
            System.arraycopy(incoming, 0, expected, already.length, n);
            assertArrayEquals(expected, contentOf(buf));
            assertAllPooled(buf);
            buf.checkInvariants();
        } finally {
            buf.free();
        }
    }

    @Test
    void aBusyReadIntoAnEmptyBufferStaysInThePool() throws IOException {
        readAndCheck(new byte[0], 64 * 1024);
    }

    @Test
    void aBusyReadAfterAPartialRecordStaysInThePool() throws IOException {
        // What a TLS transport's input looks like between reads: most of a segment taken by the
        // start of a record, a few bytes of room left at its end.
        readAndCheck(random(SegmentPool.LARGE_SIZE - 10, 1), 64 * 1024);
    }

    @Test
    void roomAShortReadDidNotUseGoesBackToThePool() throws IOException {
        // A busy connection asks for 64 KiB; when only a little comes, the extra segments taken
        // for the request must not stay on an idle connection.
        EvBuffer buf = new EvBuffer();
        try {
            buf.add(random(SegmentPool.LARGE_SIZE - 10, 1));
            EvBufferModelState.MemChannel ch = new EvBufferModelState.MemChannel(random(100, 3), false, Integer.MAX_VALUE);
            assertEquals(100, buf.readFrom(ch, 64 * 1024));
            assertEquals(2, buf.segmentCount(), "the data segment and the one the read landed in, nothing after");
            buf.checkInvariants();
        } finally {
            buf.free();
        }
    }
}
