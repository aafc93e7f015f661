package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.b;
import static org.jevent.evbuffer.RegressSupport.freeAll;
import static org.jevent.evbuffer.RegressSupport.s;
import static org.jevent.evbuffer.RegressSupport.text;
import static org.jevent.evbuffer.RegressSupport.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ports of the reserve/commit scenarios of libevent's {@code test/regress_buffer.c}: reserve2,
 * reserve_many (and its "add" and "fill" variants), reserve_with_empty,
 * reserve_invalid_last_with_datap and remove_buffer_adjust_last_with_datap_with_empty.
 *
 * <p>C compares {@code iov_base} pointers to prove that a reservation reuses the same memory.
 * Views are objects here, so the port writes a marker byte into reserved-but-uncommitted space
 * and checks that the next reservation sees it at the same place ("same memory"), and checks
 * contiguity through the number of peek extents after committing.
 */
@Timeout(30)
class RegressBufferReserveTest {

    private static final byte MARK = (byte) 0xA5;
    private static final byte MARK2 = (byte) 0x5A;

    // ------------------------------------------------------------------ reserve2 (598)

    @Test
    void test_evbuffer_reserve2() {
        EvBuffer buf = new EvBuffer();
        ByteBuffer[] v = new ByteBuffer[2];
        try {
            // The first chunk will necessarily be one chunk. Use 512 bytes of it.
            int n = buf.reserveSpace(1024, v);
            assertEquals(1, n);
            assertEquals(0, buf.getLength());
            assertNotNull(v[0]);
            assertTrue(v[0].remaining() >= 1024);
            int remaining = v[0].remaining() - 512;
            for (int i = 0; i < 512; i++) {
                v[0].put((byte) 'X');
            }
            v[0].put(512, MARK); // reserved, not committed
            valid(buf);
            buf.commitSpace(v, 1);
            assertEquals(512, buf.getLength());
            valid(buf);

            // Another same-chunk request, in the existing chunk. Use 8 bytes of it.
            n = buf.reserveSpace(32, v);
            assertEquals(1, n);
            assertEquals(remaining, v[0].remaining(), "the rest of the same chunk");
            assertEquals(MARK, v[0].get(0), "the reservation continues at +512 of the same memory");
            for (int i = 0; i < 8; i++) {
                v[0].put((byte) 'Y');
            }
            buf.commitSpace(v, 1);
            assertEquals(520, buf.getLength());
            assertEquals(1, buf.peek(-1, null, null), "still one contiguous extent");
            remaining -= 8;
            valid(buf);

            // A request that will be split. Use only one byte of it.
            n = buf.reserveSpace(remaining + 64, v);
            assertEquals(2, n);
            assertEquals(remaining, v[0].remaining());
            assertNotNull(v[1]);
            assertTrue(v[1].remaining() >= 64);
            int secondRoom = v[1].remaining();
            v[1].put(0, MARK2); // not committed
            v[0].put((byte) 'Z');
            v[0].put(1, MARK); // not committed
            buf.commitSpace(v, 1);
            assertEquals(521, buf.getLength());
            assertEquals(1, buf.peek(-1, null, null));
            remaining -= 1;
            valid(buf);

            // Split again: use some of the first part and some of the second.
            n = buf.reserveSpace(remaining + 64, v);
            valid(buf);
            assertEquals(2, n);
            assertEquals(remaining, v[0].remaining());
            assertEquals(MARK, v[0].get(0), "first extent continues at +521 of the same memory");
            assertEquals(secondRoom, v[1].remaining());
            assertEquals(MARK2, v[1].get(0), "the second extent is the same memory as before");
            assertTrue(v[1].remaining() >= 64);
            for (int i = 0; i < 400; i++) {
                v[0].put((byte) 'W');
            }
            for (int i = 0; i < 60; i++) {
                v[1].put((byte) 'x');
            }
            buf.commitSpace(v, 2);
            assertEquals(981, buf.getLength());
            valid(buf);

            // Peek to make sure stuff got made how we like.
            ByteBuffer[] p = new ByteBuffer[2];
            n = buf.peek(-1, null, p);
            assertEquals(2, n);
            assertEquals(921, p[0].remaining());
            assertEquals(60, p[1].remaining());
            byte[] cp = RegressSupport.bytesOf(p[0]);
            for (int i = 0; i < 512; ++i) {
                assertEquals('X', cp[i]);
            }
            for (int i = 512; i < 520; ++i) {
                assertEquals('Y', cp[i]);
            }
            assertEquals('Z', cp[520]);
            for (int i = 521; i < 921; ++i) {
                assertEquals('W', cp[i]);
            }
            byte[] cp2 = RegressSupport.bytesOf(p[1]);
            for (int i = 0; i < 60; ++i) {
                assertEquals('x', cp2[i]);
            }
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ reserve_many (694)

    private static void reserveMany(String mode) {
        boolean addData = "add".equals(mode);
        boolean fillFirst = "fill".equals(mode);
        EvBuffer buf = new EvBuffer();
        try {
            // When reserving the first chunk, we just allocate it.
            ByteBuffer[] v2 = new ByteBuffer[2];
            int n = buf.reserveSpace(128, v2);
            valid(buf);
            assertEquals(1, n);
            assertTrue(v2[0].remaining() >= 128);
            long sz = v2[0].remaining();
            long committed = 0;
            if (addData) {
                v2[0].put((byte) 'X');
                v2[0].put(1, MARK); // the next reservation must start right here
                buf.commitSpace(v2, 1);
                committed = 1;
            } else if (fillFirst) {
                byte[] fill = RegressSupport.repeat('X', v2[0].remaining());
                v2[0].put(fill);
                buf.commitSpace(v2, 1);
                committed = fill.length;
                n = buf.reserveSpace(128, v2);
                assertEquals(1, n);
                sz = v2[0].remaining();
                assertTrue(sz >= 128);
                v2[0].put(0, MARK);
            } else {
                v2[0].put(0, MARK);
            }

            // Make another chunk get added.
            n = buf.reserveSpace(sz + 128, v2);
            valid(buf);
            assertEquals(2, n);
            sz = v2[0].remaining() + v2[1].remaining();
            assertTrue(sz >= v2[0].remaining() + 128);
            assertEquals(MARK, v2[0].get(0), addData
                    ? "the first extent starts right after the committed byte (cp1 + 1)"
                    : "the first extent is the chunk reserved before (cp1)");
            v2[1].put(0, MARK2);
            long first = v2[0].remaining();
            long second = v2[1].remaining();

            // And a third chunk.
            ByteBuffer[] v3 = new ByteBuffer[3];
            n = buf.reserveSpace(sz + 128, v3);
            valid(buf);
            assertEquals(3, n);
            assertEquals(MARK, v3[0].get(0), "first extent unchanged");
            assertEquals(first, v3[0].remaining());
            assertEquals(MARK2, v3[1].get(0), "second extent unchanged");
            assertEquals(second, v3[1].remaining());
            sz = v3[0].remaining() + v3[1].remaining() + v3[2].remaining();

            // Now force a reallocation by asking for more space in only 2 vectors. libevent
            // answers 1 extent (a new big chain), or 2 when the first chain holds data (that
            // chain's tail plus a big one). Both are fine here as long as the space is there and
            // committing into it keeps the bytes in order.
            n = buf.reserveSpace(sz + 128, v2);
            valid(buf);
            assertTrue(n == 1 || n == 2, "n = " + n);
            if (!addData) {
                assertEquals(1, n);
            }
            long total = 0;
            for (int i = 0; i < n; i++) {
                total += v2[i].remaining();
            }
            assertTrue(total >= sz + 128, "reserved " + total + " < " + (sz + 128));
            // fill everything reserved and commit it: the data must follow what was there
            for (int i = 0; i < n; i++) {
                while (v2[i].hasRemaining()) {
                    v2[i].put((byte) ('a' + i));
                }
            }
            buf.commitSpace(v2, n);
            valid(buf);
            assertEquals(committed + total, buf.getLength());
            byte[] all = RegressSupport.contentOf(buf);
            for (int i = 0; i < committed; i++) {
                assertEquals('X', all[i]);
            }
            assertEquals('a', all[(int) committed]);
            assertEquals(n == 1 ? 'a' : 'b', all[all.length - 1]);
        } finally {
            buf.free();
        }
    }

    @Test
    void test_evbuffer_reserve_many() {
        reserveMany(null);
    }

    @Test
    void test_evbuffer_reserve_many2() {
        reserveMany("add");
    }

    @Test
    void test_evbuffer_reserve_many3() {
        reserveMany("fill");
    }

    // ------------------------------------------------------------------ reserve_with_empty (767)

    @Test
    void test_evbuffer_reserve_with_empty() {
        EvBuffer buf = new EvBuffer();
        ByteBuffer[] v = new ByteBuffer[2];
        try {
            buf.add(b("a"));
            assertEquals(2, buf.reserveSpace(1 << 12, v));
            v[0].put((byte) 'b');
            buf.commitSpace(v, 1);
            valid(buf);
            buf.add(b("c"));
            // the append goes right after the committed byte, not into the later empty chain
            assertEquals("abc", s(buf.pullup(-1)));
            valid(buf);
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ reserve_invalid_last_with_datap (791)

    @Test
    void test_evbuffer_reserve_invalid_last_with_datap() {
        EvBuffer buf = new EvBuffer();
        ByteBuffer[] vec = new ByteBuffer[2];
        try {
            // prepend with an empty chain
            buf.addReference(new byte[0], 0, 0, null);
            buf.prepend(b("foo"));
            // after an invalid last_with_datap this would create a new chain
            buf.add(new byte[0]);
            valid(buf);
            // at least 2 "used" chains
            int avec = buf.reserveSpace(1 << 12, vec);
            assertTrue(avec >= 1);
            // commit every extent with length 0
            buf.commitSpace(vec, avec);
            valid(buf);
            assertEquals(3, buf.getLength());

            // the actual problem: triggered an assert in evbuffer_expand_fast_()
            avec = buf.reserveSpace(1 << 13, vec);
            assertTrue(avec >= 1);
            valid(buf);
            long room = 0;
            for (int i = 0; i < avec; i++) {
                room += vec[i].remaining();
            }
            assertTrue(room >= 1 << 13);
            vec[0].put(b("bar"));
            buf.commitSpace(vec, 1);
            valid(buf);
            assertEquals("foobar", text(buf));
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ remove_buffer_adjust_last_with_datap_with_empty (482)

    @Test
    void test_evbuffer_remove_buffer_adjust_last_with_datap_with_empty() {
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = new EvBuffer();
        ByteBuffer[] iovecs = new ByteBuffer[2];
        try {
            buf1.add(b("aaaaaa"));

            // buf1: aaaaaab, leaving one reserved chain empty. C asks for 971 bytes, which
            // needs two chains there; here the first segment is bigger, so ask for one byte
            // more than it has left.
            assertEquals(1, buf1.reserveSpace(1, iovecs));
            int room = iovecs[0].remaining();
            assertEquals(2, buf1.reserveSpace(room + 1, iovecs));
            assertTrue(iovecs[0].remaining() >= 1);
            assertTrue(iovecs[1].remaining() >= 1);
            iovecs[0].put((byte) 'b');
            buf1.commitSpace(iovecs, 1);
            valid(buf1);
            assertEquals("aaaaaab", text(buf1));

            // buf2: dddcc
            buf2.add(b("cc"));
            buf2.prepend(b("ddd"));
            valid(buf2);

            // buf1: (empty), buf2: aaaaaabdddcc
            buf2.prependBuffer(buf1);
            valid(buf1, buf2);
            assertEquals(0, buf1.getLength());
            assertEquals("aaaaaabdddcc", text(buf2));

            // buf1: aaaaaabdddcc, buf2: (empty)
            buf1.addBuffer(buf2);
            valid(buf1, buf2);
            assertEquals("aaaaaabdddcc", text(buf1));

            // buf1: c, buf2: aaaaaabdddc
            assertEquals(11, buf1.removeBuffer(buf2, 11));
            // libevent once produced "aaaaaabcddd" here
            assertEquals("aaaaaabdddc", s(buf2.pullup(-1)));
            assertEquals("c", text(buf1));
            valid(buf1, buf2);
        } finally {
            freeAll(buf1, buf2);
        }
    }
}
