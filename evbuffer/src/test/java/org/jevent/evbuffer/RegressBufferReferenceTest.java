package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.b;
import static org.jevent.evbuffer.RegressSupport.freeAll;
import static org.jevent.evbuffer.RegressSupport.s;
import static org.jevent.evbuffer.RegressSupport.text;
import static org.jevent.evbuffer.RegressSupport.valid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ports of the reference scenarios of libevent's {@code test/regress_buffer.c}: reference,
 * reference2, add_reference, add_reference_with_offset, multicast and multicast_drain.
 *
 * <p>The C cleanup's {@code extra} argument is captured by the lambda; the C {@code data}/{@code
 * len} pair is the {@link ByteBuffer} handed back, checked for the same backing array, position
 * and limit.
 */
@Timeout(30)
class RegressBufferReferenceTest {

    private static final String CHUNK1 = "If you have found the answer to such a problem";
    private static final String CHUNK2 = "you ought to write it up for publication";

    /** One call of a cleanup: the C {@code extra} and the memory it got back. */
    private record Cleanup(Object arg, ByteBuffer data) {
    }

    // ------------------------------------------------------------------ reference (982)

    @Test
    void test_evbuffer_reference() {
        EvBuffer src = new EvBuffer();
        EvBuffer dst = new EvBuffer();
        byte[] data = b("this is what we add as read-only memory.");
        byte[] original = data.clone();
        List<Cleanup> calls = new ArrayList<>();
        Object arg = 0xdeadaffeL;
        ByteBuffer[] v = new ByteBuffer[1];
        try {
            src.addReference(ByteBuffer.wrap(data), d -> calls.add(new Cleanup(arg, d)));

            dst.reserveSpace(data.length, v);
            ByteBuffer into = v[0];
            into.limit(10);
            assertEquals(10, src.remove(into));
            into.limit(into.capacity());
            valid(src, dst);

            // we must not write data at the beginning of the read-only memory
            src.prepend(b("aaaaa"));
            valid(src);
            assertArrayEquals(original, data, "prepend wrote into read-only memory");
            src.drain(5);

            into.limit(data.length);
            assertEquals(data.length - 10, src.remove(into));
            assertEquals(data.length, into.position());

            dst.commitSpace(v, 1);
            valid(src, dst);

            assertEquals(1, calls.size(), "cleanup called exactly once");
            Cleanup c = calls.get(0);
            assertEquals(arg, c.arg());
            assertSame(data, c.data().array(), "cleanup gets the memory it lent");
            assertEquals(0, c.data().position());
            assertEquals(data.length, c.data().remaining());

            assertArrayEquals(data, RegressSupport.bytesOf(dst.pullup(data.length)));
            assertArrayEquals(original, data);
            valid(dst);
        } finally {
            freeAll(dst, src);
        }
        assertEquals(1, calls.size(), "no second cleanup on free");
    }

    // ------------------------------------------------------------------ reference2 (1025)

    @Test
    void test_evbuffer_reference2() {
        EvBuffer buf = new EvBuffer();
        int dataLen = SegmentPool.SMALL_SIZE - 10; // C: MIN_BUFFER_SIZE - EVBUFFER_CHAIN_SIZE - 10
        byte[] data = RegressSupport.repeat('P', 4096);
        try {
            buf.add(data, 0, dataLen);
            valid(buf);
            buf.expand(100);
            valid(buf);
            buf.addReference(b("2"), 0, 1, null);
            valid(buf);
            buf.addPrintf("3");
            valid(buf);

            long len = buf.getLength();
            assertEquals(dataLen + 2, len);
            byte[] str = RegressSupport.bytesOf(buf.pullup(-1));
            assertEquals('P', str[(int) len - 3]);
            assertEquals('2', str[(int) len - 2]);
            assertEquals('3', str[(int) len - 1]);
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ add_reference (2099)

    @Test
    void test_evbuffer_add_reference() {
        byte[] chunk1 = b(CHUNK1);
        byte[] chunk2 = b(CHUNK2);
        int len1 = chunk1.length;
        int len2 = chunk2.length;
        byte[] tmp = new byte[16];
        List<Cleanup> calls = new ArrayList<>();
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = null;
        try {
            buf1.addReference(ByteBuffer.wrap(chunk1), d -> calls.add(new Cleanup(111, d)));
            buf1.add(b(", "));
            buf1.addReference(ByteBuffer.wrap(chunk2), d -> calls.add(new Cleanup(222, d)));
            assertEquals(len1 + len2 + 2, buf1.getLength());
            valid(buf1);

            // drain a little from a reference
            assertEquals(6, buf1.remove(tmp, 0, 6));
            assertEquals("If you", s(Arrays.copyOf(tmp, 6)));
            assertEquals(5, buf1.remove(tmp, 0, 5));
            assertEquals(" have", s(Arrays.copyOf(tmp, 5)));

            // prepending does not meddle with immutable data
            buf1.prepend(b("I have "));
            assertArrayEquals(b(CHUNK1), chunk1);
            valid(buf1);

            // when the chunk is over, the callback is invoked
            buf1.drain(7); // the prepended bytes
            buf1.drain(len1 - 11 - 1); // all but one byte of chunk1
            assertEquals(0, calls.size());
            assertEquals(1, buf1.remove(tmp, 0, 1));
            assertEquals('m', tmp[0]);
            assertEquals(1, calls.size());
            assertEquals(111, calls.get(0).arg());
            assertSame(chunk1, calls.get(0).data().array());
            assertEquals(0, calls.get(0).data().position());
            assertEquals(len1, calls.get(0).data().remaining());
            valid(buf1);

            // drain some of the remaining chunk, then add it to another buffer
            buf1.drain(6); // ", you "
            buf2 = new EvBuffer();
            assertEquals(1, calls.size());
            buf2.add(b("I "));

            buf2.addBuffer(buf1);
            valid(buf1, buf2);
            assertEquals(1, calls.size());
            assertEquals(16, buf2.remove(tmp, 0, 16));
            assertEquals("I ought to write", s(tmp));
            buf2.drain(buf2.getLength());
            assertEquals(2, calls.size());
            assertEquals(222, calls.get(1).arg());
            assertSame(chunk2, calls.get(1).data().array());
            assertEquals(len2, calls.get(1).data().remaining());
            valid(buf2);

            // more in buf1; the reference is released when buf1 is freed
            buf1.add(b("You shake and shake the "));
            buf1.addReference(b("ketchup bottle"), 0, 14, d -> calls.add(new Cleanup(3333, d)));
            buf1.add(b(". Nothing comes and then a lot'll."));
            valid(buf1);
            assertEquals(2, calls.size());
            buf1.free();
            buf1 = null;
            assertEquals(3, calls.size());
            assertEquals(3333, calls.get(2).arg());
            assertArrayEquals(b(CHUNK1), chunk1);
            assertArrayEquals(b(CHUNK2), chunk2);
        } finally {
            freeAll(buf1, buf2);
        }
        assertEquals(3, calls.size(), "each cleanup exactly once");
    }

    // ------------------------------------------------------------------ add_reference_with_offset (2182)

    @Test
    void test_evbuffer_add_reference_with_offset() {
        String prefix = "|prefix| ";
        byte[] content1 = b(prefix + CHUNK1);
        byte[] content2 = b(prefix + CHUNK2);
        int prefixLen = prefix.length();
        int len1 = content1.length - prefixLen;
        int len2 = content2.length - prefixLen;
        byte[] tmp = new byte[16];
        List<Cleanup> calls = new ArrayList<>();
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = null;
        try {
            // evbuffer_add_reference_with_offset(buf1, content1, prefix_len, len1, cb, len1 + prefix_len)
            buf1.addReference(ByteBuffer.wrap(content1).position(prefixLen),
                    d -> calls.add(new Cleanup(len1 + prefixLen, d)));
            buf1.add(b(", "));
            buf1.addReference(ByteBuffer.wrap(content2).position(prefixLen),
                    d -> calls.add(new Cleanup(len2 + prefixLen, d)));
            assertEquals(len1 + len2 + 2, buf1.getLength());
            assertEquals(CHUNK1 + ", " + CHUNK2, text(buf1));

            assertEquals(6, buf1.remove(tmp, 0, 6));
            assertEquals("If you", s(Arrays.copyOf(tmp, 6)));
            assertEquals(5, buf1.remove(tmp, 0, 5));
            assertEquals(" have", s(Arrays.copyOf(tmp, 5)));

            // prepending does not meddle with immutable data (nor with the prefix in front of it)
            buf1.prepend(b("I have "));
            assertArrayEquals(b(prefix + CHUNK1), content1);
            valid(buf1);

            buf1.drain(7);
            buf1.drain(len1 - 11 - 1);
            assertEquals(0, calls.size());
            assertEquals(1, buf1.remove(tmp, 0, 1));
            assertEquals('m', tmp[0]);
            valid(buf1);
            // the cleanup sees the whole lent memory: data + offset, len = offset + length
            assertEquals(1, calls.size());
            ByteBuffer d1 = calls.get(0).data();
            assertSame(content1, d1.array());
            assertEquals(calls.get(0).arg(), d1.limit(), "len = prefix + len1");
            assertEquals(prefixLen, d1.position());

            buf1.drain(6); // ", you "
            buf2 = new EvBuffer();
            buf2.add(b("I "));
            buf2.addBuffer(buf1);
            assertEquals(16, buf2.remove(tmp, 0, 16));
            assertEquals("I ought to write", s(tmp));
            buf2.drain(buf2.getLength());
            valid(buf2);
            assertEquals(2, calls.size());
            ByteBuffer d2 = calls.get(1).data();
            assertSame(content2, d2.array());
            assertEquals(calls.get(1).arg(), d2.limit());
            assertEquals(prefixLen, d2.position());

            // more stuff in buf1, released on free
            buf1.add(b("You shake and shake the "));
            buf1.addReference(b("ketchup bottle"), 0, 14, d -> calls.add(new Cleanup(3333, d)));
            buf1.add(b(". Nothing comes and then a lot'll."));
            buf1.free();
            buf1 = null;
            assertEquals(3, calls.size());
            assertEquals(3333, calls.get(2).arg());
        } finally {
            freeAll(buf1, buf2);
        }
    }

    // ------------------------------------------------------------------ multicast (2250)

    @Test
    void test_evbuffer_multicast() {
        String full = CHUNK1 + ", " + CHUNK2;
        byte[] tmp = new byte[16];
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = new EvBuffer();
        try {
            buf1.add(b(CHUNK1));
            buf1.add(b(", "));
            buf1.add(b(CHUNK2));
            assertEquals(full.length(), buf1.getLength());

            buf2.addBufferReference(buf1);
            valid(buf1, buf2);
            // a buffer cannot reference itself
            EvBuffer self = buf2;
            assertThrows(IllegalArgumentException.class, () -> self.addBufferReference(self));
            valid(buf2);
            // C also refuses evbuffer_add_buffer_reference(buf1, buf2) (its multicast chains
            // cannot nest); the Java contract allows nesting, so it is not asserted here.

            // both buffers contain the same data
            assertEquals(buf1.getLength(), buf2.getLength());
            assertEquals(full, text(buf2));

            // drain a little from the first buffer
            assertEquals(6, buf1.remove(tmp, 0, 6));
            assertEquals("If you", s(Arrays.copyOf(tmp, 6)));
            assertEquals(5, buf1.remove(tmp, 0, 5));
            assertEquals(" have", s(Arrays.copyOf(tmp, 5)));

            // prepending does not meddle with the shared memory
            buf1.prepend(b("I have "));
            valid(buf1);
            assertEquals("I have " + full.substring(11), text(buf1));
            assertEquals(full, text(buf2), "buf1's prepend changed what buf2 sees");

            // drain a little from the second buffer
            assertEquals(6, buf2.remove(tmp, 0, 6));
            assertEquals("If you", s(Arrays.copyOf(tmp, 6)));
            assertEquals(5, buf2.remove(tmp, 0, 5));
            assertEquals(" have", s(Arrays.copyOf(tmp, 5)));

            buf2.prepend(b("I have "));
            valid(buf2);
            assertEquals("I have " + full.substring(11), text(buf2));
            assertEquals("I have " + full.substring(11), text(buf1), "buf2's prepend changed what buf1 sees");

            // appending to either does not show in the other
            buf1.add(b(" [buf1]"));
            buf2.add(b(" [buf2]"));
            assertEquals("I have " + full.substring(11) + " [buf1]", text(buf1));
            assertEquals("I have " + full.substring(11) + " [buf2]", text(buf2));

            // the data can still be read from the second buffer when the first is freed
            buf1.free();
            buf1 = null;

            assertEquals(6, buf2.remove(tmp, 0, 6));
            assertEquals("I have", s(Arrays.copyOf(tmp, 6)));
            assertEquals(6, buf2.remove(tmp, 0, 6));
            assertEquals("  foun", s(Arrays.copyOf(tmp, 6)));
            assertEquals(full.substring(16) + " [buf2]", text(buf2));
            valid(buf2);
        } finally {
            freeAll(buf1, buf2);
        }
    }

    // ------------------------------------------------------------------ multicast_drain (2319)

    @Test
    void test_evbuffer_multicast_drain() {
        String full = CHUNK1 + ", " + CHUNK2;
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = new EvBuffer();
        try {
            buf1.add(b(CHUNK1));
            buf1.add(b(", "));
            buf1.add(b(CHUNK2));
            assertEquals(full.length(), buf1.getLength());

            buf2.addBufferReference(buf1);
            assertEquals(full.length(), buf2.getLength());
            buf1.drain(buf1.getLength());
            assertEquals(0, buf1.getLength());
            assertEquals(full.length(), buf2.getLength());
            assertEquals(full, text(buf2));
            buf2.drain(buf2.getLength());
            assertEquals(0, buf2.getLength());
            valid(buf1, buf2);
        } finally {
            freeAll(buf1, buf2);
        }
    }
}
