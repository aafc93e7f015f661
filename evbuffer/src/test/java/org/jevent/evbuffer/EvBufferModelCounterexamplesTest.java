package org.jevent.evbuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;

import org.junit.jupiter.api.Test;

/**
 * Shrunk counterexamples found by {@link EvBufferModelProperties}, kept as plain tests so that
 * they stay fixed.
 */
class EvBufferModelCounterexamplesTest {

    /** reserveSpace with one vector must hand out at least the size asked for. */
    @Test
    void reserveOneVectorOnAnEmptyBuffer() {
        EvBuffer b = new EvBuffer();
        ByteBuffer[] vec = new ByteBuffer[1];
        assertEquals(1, b.reserveSpace(1, vec));
        assertTrue(vec[0].remaining() >= 1, "reserved view " + vec[0]);
        vec[0].put((byte) 'x');
        b.commitSpace(vec, 1);
        assertEquals(1, b.getLength());
        b.checkInvariants();
        b.free();
    }

    /** Shrunk: prepend 26, expand(4071), add 1, reserveSpace(17380, 2 vectors) gave 0 bytes. */
    @Test
    void reserveTwoVectorsThatDoNotFitTwoSegments() {
        EvBuffer b = new EvBuffer();
        b.prepend(new byte[26]);
        b.expand(4071);
        b.add(new byte[1]);
        ByteBuffer[] vec = new ByteBuffer[2];
        int n = b.reserveSpace(17380, vec);
        long room = 0;
        for (int i = 0; i < n; i++) {
            room += vec[i].remaining();
        }
        assertTrue(room >= 17380, "reserved only " + room + " bytes in " + n + " vectors");
        b.free();
    }

    /** A read larger than four large segments must still read what the channel has. */
    @Test
    void readMoreThanFourSegmentsHold() throws Exception {
        EvBuffer b = new EvBuffer();
        Pipe p = Pipe.open();
        try {
            p.sink().write(ByteBuffer.wrap(new byte[60_000]));
            int n = b.readFrom(p.source(), 80_000);
            assertTrue(n > 0, "readFrom(80000) read " + n + " though 60000 bytes were waiting");
            assertEquals(n, b.getLength());
            b.checkInvariants();
        } finally {
            b.free();
            p.sink().close();
            p.source().close();
        }
    }
}
