package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.contentOf;
import static org.jevent.evbuffer.RegressSupport.freeAll;
import static org.jevent.evbuffer.RegressSupport.valid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When memory lent with {@code addReference} is given back. libevent's
 * {@code evbuffer_remove_buffer} copies the part of a chain it splits, so the lender's cleanup
 * runs as soon as the buffer the memory was lent to lets go of its last byte; jevent shared that
 * part (at 1 KiB or more) and kept the lender's memory until the destination let go too, which a
 * differential run against libevent 2.1 saw as a pullup (or drain) after which C called the
 * cleanup and jevent only at free. Each sequence below was also run as a C program against the
 * system's libevent 2.1, which called the cleanup at the step where the test expects it.
 */
class EvBufferLentCleanupTest {
    private final EvBuffer b0 = new EvBuffer();
    private final EvBuffer b1 = new EvBuffer();
    private final byte[] lentBytes = pattern(3000);
    private final ByteBuffer lent = ByteBuffer.wrap(lentBytes.clone());
    private int cleanups;

    private void lend(EvBuffer to) {
        to.addReference(lent, data -> {
            cleanups++;
            // The lender reuses its memory at once: a buffer still reading it sees the change.
            Arrays.fill(data.array(), (byte) 0x7f);
        });
    }

    @AfterEach
    void free() {
        valid(b0, b1);
        freeAll(b0, b1);
        assertEquals(1, cleanups, "the cleanup runs exactly once");
    }

    /** C calls the cleanup at the drain: the 2,000 bytes that moved are b1's own copy. */
    @Test
    void splitByRemoveBufferDoesNotKeepTheLentMemory() {
        lend(b0);
        assertEquals(2000, b0.removeBuffer(b1, 2000));
        b0.drain(1000);
        assertEquals(1, cleanups, "no buffer holds the lent memory once b0 drained its part");
        assertArrayEquals(Arrays.copyOf(lentBytes, 2000), contentOf(b1), "b1 holds its own copy");
    }

    /**
     * The case: a pullup in the destination copies only part of what came from the
     * lent segment; the lender's memory must not live on in the rest of it. C calls the cleanup
     * at b0's drain.
     */
    @Test
    void pullupOfPartOfAMovedPieceDoesNotKeepTheLentMemory() {
        lend(b0);
        b0.removeBuffer(b1, 1500);
        b1.prepend(new byte[10]);
        assertEquals(510, b1.pullup(510).remaining());
        b0.drain(1500);
        assertEquals(1, cleanups, "b0 let go of the lent memory and b1 only holds copies");
        byte[] expected = new byte[1510];
        System.arraycopy(lentBytes, 0, expected, 10, 1500);
        assertArrayEquals(expected, contentOf(b1));
    }

    /** A pullup that copies part of the lent segment itself: the rest keeps it, until drained. */
    @Test
    void pullupOfPartOfTheLentSegmentKeepsItUntilTheRestIsDrained() {
        b0.add(new byte[10]);
        lend(b0);
        b0.pullup(1010);
        b0.drain(1009);
        assertEquals(0, cleanups, "2,000 lent bytes are still in b0");
        b0.drain(2000);
        assertEquals(0, cleanups, "one lent byte is still in b0");
        b0.drain(1);
        assertEquals(1, cleanups, "the last lent byte was drained");
    }

    /** addBufferReference shares on purpose (libevent's multicast chains do too): both decide. */
    @Test
    void aBufferReferenceKeepsTheLentMemoryUntilItLetsGo() {
        lend(b0);
        b1.addBufferReference(b0);
        b0.drain(3000);
        assertEquals(0, cleanups, "b1 still reads the lent memory");
        b1.removeBuffer(b0, 1200);
        b1.drain(1800);
        assertEquals(1, cleanups, "the part b0 got back is a copy");
        assertArrayEquals(Arrays.copyOf(lentBytes, 1200), contentOf(b0));
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }
}
