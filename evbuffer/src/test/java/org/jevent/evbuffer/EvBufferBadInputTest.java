package org.jevent.evbuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input gets a clear exception and leaves the buffer exactly as it was; libevent's lenient
 * results stay lenient.
 */
class EvBufferBadInputTest {
    private static final byte[] CONTENT = "hello, world\r\nsecond line\n".getBytes(StandardCharsets.US_ASCII);

    private EvBuffer buf;
    private final List<String> changes = new ArrayList<>();

    @BeforeEach
    void fill() {
        buf = new EvBuffer();
        buf.add(CONTENT);
        buf.addCallback((b, info) -> changes.add(info.origSize() + "+" + info.nAdded() + "-" + info.nDeleted()));
    }

    @AfterEach
    void free() {
        buf.free();
    }

    private void assertRejectedUnchanged(Class<? extends Throwable> type, Executable op) {
        Throwable t = assertThrows(type, op);
        assertNotBlank(t.getMessage());
        assertUnchanged();
    }

    private static void assertNotBlank(String message) {
        if (message == null || message.isBlank()) {
            throw new AssertionError("exception without a message");
        }
    }

    private void assertUnchanged() {
        buf.checkInvariants();
        assertEquals(CONTENT.length, buf.getLength());
        byte[] now = new byte[CONTENT.length];
        assertEquals(CONTENT.length, buf.copyout(now));
        assertArrayEquals(CONTENT, now);
        assertEquals(List.of(), changes, "no callback may run for a refused operation");
    }

    @Test
    void negativeSizesAreRejected() {
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.drain(-1));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.expand(-5));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.reserveSpace(-1, new ByteBuffer[1]));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.removeBuffer(new EvBuffer(), -3));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.pullup(-2));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.peek(-2, null, new ByteBuffer[1]));
        assertRejectedUnchanged(IndexOutOfBoundsException.class, () -> buf.add(new byte[4], 2, 3));
        assertRejectedUnchanged(IndexOutOfBoundsException.class, () -> buf.remove(new byte[4], -1, 2));
        assertRejectedUnchanged(IndexOutOfBoundsException.class, () -> buf.prepend(new byte[4], 0, 5));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.setMaxRead(0));
    }

    @Test
    void positionsPastTheEndAreRejected() {
        EvBufferPtr past = new EvBufferPtr();
        assertEquals(true, buf.ptrSet(past, 3, PtrHow.SET));
        buf.add(new byte[0]); // no change, the pointer stays good
        EvBufferPtr far = new EvBufferPtr();
        // libevent's lenient answer: ptr_set past the end fails and marks the pointer invalid.
        assertEquals(false, buf.ptrSet(far, CONTENT.length + 1, PtrHow.SET));
        assertEquals(-1, far.pos());
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.copyoutFrom(far, new byte[4], 0, 4));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.search("x".getBytes(), far));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.searchEol(far, EolStyle.LF));
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.peek(1, far, new ByteBuffer[1]));
    }

    @Test
    void nullArgumentsAreRejected() {
        assertRejectedUnchanged(NullPointerException.class, () -> buf.add((byte[]) null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.add((ByteBuffer) null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.add("x", null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.addBuffer(null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.prependBuffer(null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.removeBuffer(null, 1));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.readLine(null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.search(null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.addReference((ByteBuffer) null, null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.addFile(null, 0, 1));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.addCallback(null));
        assertRejectedUnchanged(NullPointerException.class, () -> buf.ptrSet(null, 0, PtrHow.SET));
    }

    @Test
    void selfReferenceIsRejectedAndSelfMovesAreNoOps() {
        assertRejectedUnchanged(IllegalArgumentException.class, () -> buf.addBufferReference(buf));
        buf.addBuffer(buf);
        buf.prependBuffer(buf);
        assertEquals(0, buf.removeBuffer(buf, 5));
        assertUnchanged();
    }

    @Test
    void lenientResultsMatchLibevent() {
        assertNull(buf.pullup(0), "pullup(0) is NULL in libevent");
        assertNull(buf.pullup(CONTENT.length + 1), "pullup past the length is NULL in libevent");
        EvBufferPtr empty = buf.search(new byte[0]);
        assertEquals(0, empty.pos(), "an empty needle matches at the start");
        assertEquals(-1, buf.search("absent".getBytes()).pos());
        assertUnchanged();
        buf.drain(Long.MAX_VALUE); // more than the length drains everything
        assertEquals(0, buf.getLength());
        assertEquals(List.of(CONTENT.length + "+0-" + CONTENT.length), changes);
        buf.checkInvariants();
        buf.add(CONTENT);
        changes.clear();
    }

    @Test
    void aFreedBufferRefusesEverything() {
        EvBuffer b = new EvBuffer();
        b.add(CONTENT);
        b.free();
        b.free(); // twice is fine
        assertEquals(0, b.getLength());
        assertThrows(IllegalStateException.class, () -> b.add(CONTENT));
        assertThrows(IllegalStateException.class, () -> b.drain(1));
        assertThrows(IllegalStateException.class, () -> b.prepend(CONTENT));
        assertThrows(IllegalStateException.class, () -> b.readLine(EolStyle.ANY));
        assertThrows(IllegalStateException.class, () -> b.expand(10));
        assertThrows(IllegalStateException.class, () -> b.unfreeze(true));
        assertThrows(IllegalStateException.class, () -> buf.addBuffer(b));
        assertUnchanged();
    }
}
