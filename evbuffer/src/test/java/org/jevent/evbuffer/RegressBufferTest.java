package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.b;
import static org.jevent.evbuffer.RegressSupport.contentOf;
import static org.jevent.evbuffer.RegressSupport.freeAll;
import static org.jevent.evbuffer.RegressSupport.s;
import static org.jevent.evbuffer.RegressSupport.text;
import static org.jevent.evbuffer.RegressSupport.valid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ports of the core scenarios of libevent's {@code test/regress_buffer.c}: add/drain/move,
 * remove_buffer and add_buffer with empty chains, expand, line reading, searching, pointers,
 * callbacks, prepend, peek, iovec and copyout. Each method is named after the C test (the name in
 * the {@code evbuffer_testcases} table, prefixed with {@code test_evbuffer_}).
 *
 * <p>Differences from C on purpose: a refused operation throws instead of returning -1;
 * {@code evbuffer_drain(buf, -1)} (SIZE_MAX) is {@code drain(Long.MAX_VALUE)}; where C asserts a
 * chain layout the port asserts what is observable here (content, lengths, number of peek
 * extents).
 */
@Timeout(30)
class RegressBufferTest {

    // ------------------------------------------------------------------ test_evbuffer (169)

    @Test
    void test_evbuffer() {
        EvBuffer evb = new EvBuffer();
        EvBuffer evbTwo = new EvBuffer();
        try {
            valid(evb);
            assertEquals(7, evb.addPrintf("%s/%d", "hello", 1));
            valid(evb);
            assertEquals(7, evb.getLength());
            assertEquals('h', evb.pullup(1).get(0));

            evb.addBuffer(evbTwo); // adding an empty buffer is a no-op
            valid(evb);
            assertEquals(7, evb.getLength());

            evb.drain("hello/".length());
            valid(evb);
            assertEquals(1, evb.getLength());
            assertEquals('1', evb.pullup(1).get(0));

            evbTwo.addPrintf("%s", "/hello");
            valid(evb);
            evb.addBuffer(evbTwo);
            valid(evb, evbTwo);
            assertEquals(0, evbTwo.getLength());
            assertEquals(7, evb.getLength());
            assertEquals("1/hello", s(evb.pullup(7)));

            // C adds 512 zero bytes; a pattern also checks the order of the bytes.
            byte[] buffer = new byte[512];
            for (int i = 0; i < buffer.length; i++) {
                buffer[i] = (byte) (i * 7 + 3);
            }
            evb.add(buffer);
            valid(evb);
            assertEquals(7 + 512, evb.getLength());

            ByteBuffer tmp = evb.pullup(7 + 512);
            assertNotNull(tmp);
            assertEquals(7 + 512, tmp.remaining());
            assertTrue(evb.getContiguousSpace() >= 7 + 512, "pullup made the bytes contiguous");
            byte[] got = RegressSupport.bytesOf(tmp);
            assertEquals("1/hello", s(Arrays.copyOf(got, 7)));
            assertArrayEquals(buffer, Arrays.copyOfRange(got, 7, 7 + 512));
            valid(evb);

            evb.prepend(b("something"));
            valid(evb);
            evb.prepend(b("else"));
            valid(evb);
            assertEquals("elsesomething1/hello", s(evb.pullup(4 + 9 + 7)));
            valid(evb);

            evb.drain(Long.MAX_VALUE);
            valid(evb);
            evbTwo.drain(Long.MAX_VALUE);
            valid(evb, evbTwo);
            assertEquals(0, evb.getLength());

            int i;
            for (i = 0; i < 3; ++i) {
                evbTwo.add(buffer);
                valid(evbTwo);
                evb.addBuffer(evbTwo);
                valid(evb, evbTwo);
            }
            assertEquals(0, evbTwo.getLength());
            assertEquals(i * buffer.length, evb.getLength());

            // test remove buffer
            long szTmp = (long) (buffer.length * 2.5);
            assertEquals(szTmp, evb.removeBuffer(evbTwo, szTmp));
            assertEquals(szTmp, evbTwo.getLength());
            assertEquals(buffer.length / 2, evb.getLength());
            valid(evb, evbTwo);

            byte[] three = new byte[3 * 512];
            for (int k = 0; k < 3; k++) {
                System.arraycopy(buffer, 0, three, k * 512, 512);
            }
            assertArrayEquals(Arrays.copyOfRange(three, 1280, 1536), RegressSupport.bytesOf(evb.pullup(-1)),
                    "pullup did not preserve content");
            assertArrayEquals(Arrays.copyOfRange(three, 0, 1280), RegressSupport.bytesOf(evbTwo.pullup(-1)),
                    "pullup did not preserve content");
            valid(evb, evbTwo);

            // one-vector reserve and commit
            ByteBuffer[] v = new ByteBuffer[1];
            for (i = 0; i < 3; ++i) {
                long before = evb.getLength();
                int r = evb.reserveSpace(10000, v);
                assertEquals(1, r);
                assertNotNull(v[0]);
                assertTrue(v[0].remaining() >= 10000, "one extent of at least 10000 bytes");
                valid(evb);
                int j;
                for (j = 0; j < 10000; ++j) {
                    v[0].put((byte) j);
                }
                valid(evb);
                evb.commitSpace(v, 1);
                valid(evb);
                assertTrue(evb.getLength() >= 10000);
                assertEquals(before + 10000, evb.getLength());
                EvBufferPtr p = new EvBufferPtr();
                assertTrue(evb.ptrSet(p, before, PtrHow.SET));
                byte[] back = new byte[10000];
                assertEquals(10000, evb.copyoutFrom(p, back, 0, back.length));
                for (int k = 0; k < back.length; k++) {
                    assertEquals((byte) k, back[k], "committed byte " + k);
                }

                evb.drain((long) j * 5000);
                valid(evb);
                assertEquals(0, evb.getLength());
            }
        } finally {
            freeAll(evb, evbTwo);
        }
    }

    // ------------------------------------------------------------------ remove_buffer with empty chains

    @Test
    void test_evbuffer_remove_buffer_with_empty() {
        EvBuffer src = new EvBuffer();
        EvBuffer dst = new EvBuffer();
        byte[] buf = b("AA");
        try {
            valid(src, dst);
            // more data in src than we will move later
            src.addReference(buf, 0, buf.length, null);
            src.addReference(buf, 0, buf.length, null);
            // one chain in dst and an empty one at the end
            dst.add(buf);
            dst.addReference(buf, 0, 0, null);
            valid(src, dst);

            assertEquals("AAAA", s(src.pullup(-1)));
            assertEquals("AA", s(dst.pullup(-1)));

            // move three bytes over
            assertEquals(3, src.removeBuffer(dst, 3));
            valid(src, dst);

            assertEquals("A", s(src.pullup(-1)));
            assertEquals("AAAAA", s(dst.pullup(-1)));
            assertArrayEquals(b("AA"), buf, "referenced memory was never written");
        } finally {
            freeAll(src, dst);
        }
    }

    @Test
    void test_evbuffer_remove_buffer_with_empty2() {
        EvBuffer src = new EvBuffer();
        EvBuffer dst = new EvBuffer();
        EvBuffer buf = new EvBuffer();
        byte[] foo = b("foo");
        try {
            buf.add(foo);
            buf.addReference(foo, 0, 3, null);

            src.addReference(foo, 0, 3, null);
            src.addReference(new byte[0], 0, 0, null);
            src.addBuffer(buf);

            buf.add(foo);
            buf.addReference(foo, 0, 3, null);

            dst.addReference(foo, 0, 3, null);
            dst.addReference(new byte[0], 0, 0, null);
            dst.addBuffer(buf);

            assertEquals(9, src.getLength());
            assertEquals(9, dst.getLength());
            valid(src, dst);

            assertEquals("foofoofoo", s(src.pullup(-1)));
            assertEquals("foofoofoo", s(dst.pullup(-1)));

            assertEquals(8, src.removeBuffer(dst, 8));
            valid(src, dst);

            assertEquals(1, src.getLength());
            assertEquals(17, dst.getLength());
            assertEquals("o", s(src.pullup(-1)));
            assertEquals("foofoofoofoofoofo", s(dst.pullup(-1)));
        } finally {
            freeAll(src, dst, buf);
        }
    }

    @Test
    void test_evbuffer_remove_buffer_with_empty3() {
        EvBuffer src = new EvBuffer();
        EvBuffer dst = new EvBuffer();
        EvBuffer buf = new EvBuffer();
        byte[] foo = b("foo");
        try {
            buf.add(foo);
            buf.addReference(new byte[0], 0, 0, null);

            src.addReference(foo, 0, 3, null);
            src.addReference(new byte[0], 0, 0, null);
            src.prependBuffer(buf);

            buf.add(foo);
            buf.addReference(new byte[0], 0, 0, null);

            dst.addReference(foo, 0, 3, null);
            dst.addReference(new byte[0], 0, 0, null);
            dst.prependBuffer(buf);

            assertEquals(6, src.getLength());
            assertEquals(6, dst.getLength());
            valid(src, dst);

            assertEquals("foofoo", s(src.pullup(-1)));
            assertEquals("foofoo", s(dst.pullup(-1)));

            assertEquals(5, src.removeBuffer(dst, 5));
            valid(src, dst);

            assertEquals(1, src.getLength());
            assertEquals(11, dst.getLength());
            assertEquals("o", s(src.pullup(-1)));
            assertEquals("foofoofoofo", s(dst.pullup(-1)));
        } finally {
            freeAll(src, dst, buf);
        }
    }

    @Test
    void test_evbuffer_pullup_with_empty() {
        EvBuffer buf = new EvBuffer();
        try {
            buf.add(b("foo"));
            buf.addReference(new byte[0], 0, 0, null);
            valid(buf);
            assertEquals(3, buf.getLength());
            assertEquals("foo", s(buf.pullup(-1)));
        } finally {
            buf.free();
        }

        buf = new EvBuffer();
        try {
            valid(buf);
            assertEquals(0, buf.getLength());
            assertNull(buf.pullup(-1));
        } finally {
            buf.free();
        }

        buf = new EvBuffer();
        try {
            buf.add(b("foo"));
            buf.addReference(new byte[0], 0, 0, null);
            valid(buf);
            assertEquals("foo", s(buf.pullup(3)));
        } finally {
            buf.free();
        }
    }

    @Test
    void test_evbuffer_remove_buffer_with_empty_front() {
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = new EvBuffer();
        try {
            buf1.addReference(b("foo"), 0, 3, null);
            buf1.prepend(new byte[0]);
            assertEquals(1, buf1.removeBuffer(buf2, 1));
            buf1.add(b("bar"));
            assertEquals("oobar", s(buf1.pullup(-1)));
            assertEquals("f", text(buf2));
            valid(buf1, buf2);
        } finally {
            freeAll(buf1, buf2);
        }
    }

    // ------------------------------------------------------------------ add_buffer with empty chains

    @Test
    void test_evbuffer_add_buffer_with_empty() {
        EvBuffer src = new EvBuffer();
        EvBuffer dst = new EvBuffer();
        EvBuffer buf = new EvBuffer();
        byte[] foo = b("foo");
        try {
            buf.add(foo);

            src.addReference(foo, 0, 3, null);
            src.addReference(new byte[0], 0, 0, null);
            src.addBuffer(buf);

            buf.add(foo);

            dst.addReference(foo, 0, 3, null);
            dst.addReference(new byte[0], 0, 0, null);
            dst.addBuffer(buf);

            assertEquals(6, src.getLength());
            assertEquals(6, dst.getLength());
            valid(src, dst);
            assertEquals("foofoo", text(src));
            assertEquals("foofoo", text(dst));
        } finally {
            freeAll(src, dst, buf);
        }
    }

    @Test
    void test_evbuffer_add_buffer_with_empty2() {
        EvBuffer src = new EvBuffer();
        EvBuffer dst = new EvBuffer();
        EvBuffer buf = new EvBuffer();
        try {
            buf.add(b("foo"));

            src.addReference(new byte[0], 0, 0, null);
            src.addBuffer(buf);

            buf.add(b("foo"));

            dst.addReference(new byte[0], 0, 0, null);
            dst.addBuffer(buf);

            assertEquals(3, src.getLength());
            assertEquals(3, dst.getLength());
            valid(src, dst);
            assertEquals("foo", text(src));
            assertEquals("foo", text(dst));
        } finally {
            freeAll(src, dst, buf);
        }
    }

    // ------------------------------------------------------------------ expand (824), expand_overflow (898)

    @Test
    void test_evbuffer_expand() {
        byte[] data = RegressSupport.repeat('X', 4096);
        ByteBuffer[] v = new ByteBuffer[2];

        // expand() works on an empty buffer: one empty chain, big enough, nothing wasted
        EvBuffer buf = new EvBuffer();
        try {
            buf.expand(20000);
            valid(buf);
            assertEquals(0, buf.getLength());
            assertEquals(1, buf.segmentCount(), "exactly one (empty) segment after expand");
            // the expanded space is usable in one piece, without another allocation
            assertEquals(1, buf.reserveSpace(20000, v));
            assertTrue(v[0].remaining() >= 20000);
            assertEquals(1, buf.segmentCount());
            valid(buf);

            // expand() is a no-op when there is enough contiguous space already
            buf.add(data, 0, 1024);
            assertEquals(1, buf.segmentCount());
            buf.expand(1024);
            assertEquals(1, buf.segmentCount(), "expand with room left must not add a segment");
            assertEquals(1, buf.peek(-1, null, null));
            buf.add(data, 0, 1024);
            assertEquals(1, buf.peek(-1, null, null), "the expanded space was used in place");
            valid(buf);
        } finally {
            buf.free();
        }

        // expand() moves misaligned data when that makes sense
        buf = new EvBuffer();
        try {
            buf.add(data, 0, 400);
            assertEquals(1, buf.reserveSpace(1, v));
            int free = v[0].remaining();
            int n = free - 1;
            assertTrue(n < data.length);
            buf.add(data, 0, n);
            assertEquals(1, buf.segmentCount());
            long len = buf.getLength();
            buf.drain(len - 1);
            assertEquals(1, buf.getLength());
            assertEquals(1, buf.reserveSpace(1, v));
            assertEquals(1, v[0].remaining(), "one byte of room left at the end, the rest is in front");
            buf.expand(40);
            assertEquals(1, buf.segmentCount(), "realigned in place, no new segment");
            assertEquals(1, buf.getLength());
            assertEquals('X', buf.pullup(1).get(0));
            assertEquals(1, buf.reserveSpace(1, v));
            assertEquals(free + 400 - 1, v[0].remaining(), "data moved to the front of its segment");
            valid(buf);
        } finally {
            buf.free();
        }

        // add, expand, pull-up: this used to crash libevent
        buf = new EvBuffer();
        try {
            buf.add(data);
            buf.add(data);
            buf.add(data);
            valid(buf);
            buf.expand(1024);
            valid(buf);
            ByteBuffer all = buf.pullup(-1);
            valid(buf);
            assertNotNull(all);
            assertArrayEquals(RegressSupport.repeat('X', 3 * 4096), RegressSupport.bytesOf(all));
        } finally {
            buf.free();
        }
    }

    @Test
    void test_evbuffer_expand_overflow() {
        EvBuffer buf = new EvBuffer();
        try {
            buf.add(b("1"));
            // EVBUFFER_CHAIN_MAX and EV_SIZE_MAX: refused cleanly, the buffer stays usable
            assertThrows(IllegalArgumentException.class, () -> buf.expand(Integer.MAX_VALUE));
            valid(buf);
            assertThrows(IllegalArgumentException.class, () -> buf.expand(Integer.MAX_VALUE - 1));
            valid(buf);
            assertEquals(1, buf.getLength());
            assertEquals("1", text(buf));
            buf.add(b("2"));
            assertEquals("12", text(buf));
            valid(buf);
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ add1 (915), add2 (940)

    @Test
    void test_evbuffer_add1() {
        EvBuffer buf = new EvBuffer();
        try {
            buf.add(b("1"));
            valid(buf);
            buf.expand(2048);
            valid(buf);
            buf.add(b("2"));
            valid(buf);
            buf.addPrintf("3");
            valid(buf);

            assertEquals(3, buf.getLength());
            assertEquals("123", s(buf.pullup(-1)));
        } finally {
            buf.free();
        }
    }

    @Test
    void test_evbuffer_add2() {
        EvBuffer buf = new EvBuffer();
        // C: MIN_BUFFER_SIZE - EVBUFFER_CHAIN_SIZE - 10, i.e. a first chain filled but for 10 bytes
        int dataLen = SegmentPool.SMALL_SIZE - 10;
        byte[] data = RegressSupport.repeat('P', 4096);
        try {
            buf.add(data, 0, dataLen);
            valid(buf);
            buf.expand(100);
            valid(buf);
            buf.add(b("2"));
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

    // ------------------------------------------------------------------ iterative (1735)

    @Test
    void test_evbuffer_iterative() {
        EvBuffer buf = new EvBuffer();
        String abc = "abcdefghijklmnopqrstvuwxyzabcdefghijklmnopqrstvuwxyzabcdefghijklmnopqrstvuwxyzabcdefghijklmnopqrstvuwxyz";
        try {
            long sum = 0;
            int n = 0;
            for (int i = 0; i < 1000; ++i) {
                for (int j = 1; j < abc.length(); ++j) {
                    // C: "%j.js"
                    buf.addPrintf("%" + j + "." + j + "s", abc);
                    if ((n % 337) == 0) {
                        valid(buf);
                    }
                    sum += j;
                    n++;
                }
            }
            valid(buf);
            assertEquals(sum, buf.getLength());

            // Fragmentation bound, as evbuffer_get_waste: free room in the middle of the chain
            // (in front of and after the data of every segment but the last) over the memory held.
            int count = buf.peek(-1, null, null);
            ByteBuffer[] v = new ByteBuffer[count];
            assertEquals(count, buf.peek(-1, null, v));
            long allocated = 0;
            long wasted = 0;
            long used = 0;
            for (int k = 0; k < count; k++) {
                allocated += v[k].capacity();
                used += v[k].remaining();
                if (k > 0) {
                    wasted += v[k].position();
                }
                if (k < count - 1) {
                    wasted += v[k].capacity() - v[k].limit();
                }
            }
            assertEquals(sum, used);
            assertTrue((double) wasted / allocated < .125,
                    "wasted " + wasted + " of " + allocated + " bytes in " + count + " segments");
            // the content itself
            byte[] all = contentOf(buf);
            int at = 0;
            for (int j = 1; j < abc.length(); ++j) {
                assertEquals(abc.substring(0, j), s(Arrays.copyOfRange(all, at, at + j)));
                at += j;
            }
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ readln (1436)

    private static void lineEq(String want, String got) {
        assertNotNull(got, "wanted \"" + want + "\", got no line");
        assertEquals(want, got);
    }

    @Test
    void test_evbuffer_readln() {
        EvBuffer evb = new EvBuffer();
        EvBuffer evbTmp = new EvBuffer();
        java.nio.charset.Charset l1 = java.nio.charset.StandardCharsets.ISO_8859_1;
        try {
            // EOL_ANY
            evb.add(b("complex silly newline\r\n\n\r\n\n\rmore\0\n"));
            valid(evb);
            lineEq("complex silly newline", evb.readLine(EolStyle.ANY, l1));
            valid(evb);
            byte[] cp = evb.readLineBytes(EolStyle.ANY);
            assertNotNull(cp);
            assertEquals(5, cp.length);
            assertArrayEquals(b("more\0"), cp);
            assertEquals(0, evb.getLength());
            valid(evb);
            evb.add(b("\nno newline"));
            valid(evb);
            lineEq("", evb.readLine(EolStyle.ANY, l1));
            valid(evb);
            assertNull(evb.readLine(EolStyle.ANY, l1));
            assertEquals("no newline", text(evb), "a failed readln leaves the buffer as it was");
            valid(evb);
            evb.drain(evb.getLength());
            assertEquals(0, evb.getLength());
            valid(evb);

            // EOL_CRLF
            evb.add(b("Line with\rin the middle\nLine with good crlf\r\n\nfinal\n"));
            valid(evb);
            lineEq("Line with\rin the middle", evb.readLine(EolStyle.CRLF, l1));
            valid(evb);
            lineEq("Line with good crlf", evb.readLine(EolStyle.CRLF, l1));
            valid(evb);
            lineEq("", evb.readLine(EolStyle.CRLF, l1));
            valid(evb);
            lineEq("final", evb.readLine(EolStyle.CRLF, l1));
            valid(evb);
            evb.add(b("x"));
            valid(evb);
            assertNull(evb.readLine(EolStyle.CRLF, l1));
            valid(evb);

            // EOL_CRLF_STRICT
            evb.add(b(" and a bad crlf\nand a good one\r\n\r\nMore\r"));
            valid(evb);
            lineEq("x and a bad crlf\nand a good one", evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            lineEq("", evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            assertNull(evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            evb.add(b("\n"));
            valid(evb);
            lineEq("More", evb.readLine(EolStyle.CRLF_STRICT, l1));
            assertEquals(0, evb.getLength());
            valid(evb);

            evb.add(b("An internal CR\r is not an eol\r\nNor is a lack of one"));
            lineEq("An internal CR\r is not an eol", evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            assertNull(evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            evb.add(b("\r\n"));
            valid(evb);
            lineEq("Nor is a lack of one", evb.readLine(EolStyle.CRLF_STRICT, l1));
            assertEquals(0, evb.getLength());
            valid(evb);

            // EOL_LF
            evb.add(b("An\rand a nl\n\nText"));
            valid(evb);
            lineEq("An\rand a nl", evb.readLine(EolStyle.LF, l1));
            valid(evb);
            lineEq("", evb.readLine(EolStyle.LF, l1));
            valid(evb);
            assertNull(evb.readLine(EolStyle.LF, l1));
            evb.add(b("\n"));
            valid(evb);
            lineEq("Text", evb.readLine(EolStyle.LF, l1));
            valid(evb);

            // EOL_NUL
            assertEquals(0, evb.getLength());
            // all but the final NUL of the C array
            evb.add(b("NUL\n\0\0The all-zeros character which may serve\0to accomplish time fill\0and media fill"));
            lineEq("NUL\n", evb.readLine(EolStyle.NUL, l1));
            lineEq("", evb.readLine(EolStyle.NUL, l1));
            lineEq("The all-zeros character which may serve", evb.readLine(EolStyle.NUL, l1));
            lineEq("to accomplish time fill", evb.readLine(EolStyle.NUL, l1));
            assertNull(evb.readLine(EolStyle.NUL, l1));
            evb.drain(Long.MAX_VALUE);
            valid(evb);

            // EOL_CRLF_STRICT across boundaries
            evbTmp.add(b(" and a bad crlf\nand a good one\r"));
            valid(evb);
            evb.addBuffer(evbTmp);
            valid(evb);
            evbTmp.add(b("\n\r"));
            valid(evb);
            evb.addBuffer(evbTmp);
            valid(evb);
            evbTmp.add(b("\nMore\r"));
            valid(evb);
            evb.addBuffer(evbTmp);
            valid(evb);

            lineEq(" and a bad crlf\nand a good one", evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            lineEq("", evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            assertNull(evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            evb.add(b("\n"));
            valid(evb);
            lineEq("More", evb.readLine(EolStyle.CRLF_STRICT, l1));
            valid(evb);
            assertEquals(0, evb.getLength());

            // CR and LF really in different segments (references are never merged)
            evb.addReference(b("split\r"), 0, 6, null);
            evb.addReference(b("\nrest"), 0, 5, null);
            assertEquals(2, evb.peek(-1, null, null));
            lineEq("split", evb.readLine(EolStyle.CRLF_STRICT, l1));
            assertEquals("rest", text(evb));
            evb.drain(Long.MAX_VALUE);
            valid(evb);

            // "memory problem": the OOM half (failing malloc) has no Java twin; the lines
            // must come back in order.
            evbTmp.add(b("one line\ntwo line\nblue line"));
            valid(evb);
            evb.addBuffer(evbTmp);
            valid(evb);
            lineEq("one line", evb.readLine(EolStyle.LF, l1));
            valid(evb);
            lineEq("two line", evb.readLine(EolStyle.LF, l1));
            valid(evb);
            assertEquals("blue line", text(evb));
        } finally {
            freeAll(evb, evbTmp);
        }
    }

    // ------------------------------------------------------------------ search_eol (1678)

    @Test
    void test_evbuffer_search_eol() {
        EvBuffer buf = new EvBuffer();
        try {
            buf.add(b("string! \r\n\r\nx\n"));
            EvBufferPtr ptr1 = buf.searchEol(null, EolStyle.CRLF);
            assertEquals(8, ptr1.pos());
            assertEquals(2, ptr1.matchLength());

            EvBufferPtr ptr2 = buf.searchEol(ptr1, EolStyle.CRLF);
            assertEquals(8, ptr2.pos());
            assertEquals(2, ptr2.matchLength());

            assertTrue(buf.ptrSet(ptr1, 1, PtrHow.ADD));
            ptr2 = buf.searchEol(ptr1, EolStyle.CRLF);
            assertEquals(9, ptr2.pos());
            assertEquals(1, ptr2.matchLength());

            ptr2 = buf.searchEol(ptr1, EolStyle.CRLF_STRICT);
            assertEquals(10, ptr2.pos());
            assertEquals(2, ptr2.matchLength());

            ptr1 = buf.searchEol(null, EolStyle.LF);
            assertEquals(9, ptr1.pos());
            assertEquals(1, ptr1.matchLength());

            ptr2 = buf.searchEol(ptr1, EolStyle.LF);
            assertEquals(9, ptr2.pos());
            assertEquals(1, ptr2.matchLength());

            assertTrue(buf.ptrSet(ptr1, 1, PtrHow.ADD));
            ptr2 = buf.searchEol(ptr1, EolStyle.LF);
            assertEquals(11, ptr2.pos());
            assertEquals(1, ptr2.matchLength());

            assertTrue(buf.ptrSet(ptr1, buf.getLength(), PtrHow.SET));
            ptr2 = buf.searchEol(ptr1, EolStyle.LF);
            assertEquals(-1, ptr2.pos());
            assertEquals(0, ptr2.matchLength());
            valid(buf);
            assertEquals(14, buf.getLength(), "searching does not consume");
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ find (1779)

    @Test
    void test_evbuffer_find() {
        EvBuffer buf = new EvBuffer();
        try {
            // find must not match past the end of the buffer
            buf.add(b("1234567890\r\n"));
            valid(buf);
            buf.drain(12);
            valid(buf);
            buf.add(b("1234567890\r"));
            valid(buf);
            assertEquals(-1, buf.find(b("\r\n")));

            // drain and find again; in r309 this read past the allocated buffer
            buf.drain(11);
            valid(buf);
            byte[] test3 = RegressSupport.repeat('a', 256);
            test3[255] = 'x';
            buf.add(test3);
            valid(buf);
            assertEquals(-1, buf.find(b("xy")));

            // match at the very end
            long p = buf.find(b("ax"));
            assertEquals(254, p);
            EvBufferPtr ptr = new EvBufferPtr();
            assertTrue(buf.ptrSet(ptr, p, PtrHow.SET));
            byte[] two = new byte[2];
            assertEquals(2, buf.copyoutFrom(ptr, two, 0, 2));
            assertEquals("ax", s(two));
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ ptr_set (1826)

    @Test
    void test_evbuffer_ptr_set() {
        EvBuffer buf = new EvBuffer();
        EvBuffer tmp = new EvBuffer();
        EvBufferPtr pos = new EvBufferPtr();
        ByteBuffer[] v = new ByteBuffer[1];
        try {
            assertEquals(0, buf.getLength());
            assertTrue(buf.ptrSet(pos, 0, PtrHow.SET));
            assertEquals(0, pos.pos());
            assertFalse(buf.ptrSet(pos, 1, PtrHow.ADD));
            assertEquals(-1, pos.pos());
            assertFalse(buf.ptrSet(pos, 1, PtrHow.SET));
            assertEquals(-1, pos.pos());

            // some chains: reserve/commit as in C, each in its own segment (moved in with addBuffer)
            int[] sizes = {5000, 4000, 3000};
            for (int i = 0; i < sizes.length; i++) {
                assertEquals(1, tmp.reserveSpace(sizes[i], v));
                byte[] fill = new byte[sizes[i]];
                Arrays.fill(fill, (byte) (i + 1));
                v[0].put(fill);
                tmp.commitSpace(v, 1);
                valid(tmp);
                buf.addBuffer(tmp);
                valid(buf);
            }
            assertEquals(12000, buf.getLength());
            assertEquals(3, buf.peek(-1, null, null), "three chains");

            assertFalse(buf.ptrSet(pos, 13000, PtrHow.SET));
            assertEquals(-1, pos.pos());
            assertTrue(buf.ptrSet(pos, 0, PtrHow.SET));
            assertEquals(0, pos.pos());
            assertFalse(buf.ptrSet(pos, 13000, PtrHow.ADD));

            assertTrue(buf.ptrSet(pos, 0, PtrHow.SET));
            assertEquals(0, pos.pos());
            assertTrue(buf.ptrSet(pos, 10000, PtrHow.ADD));
            assertEquals(10000, pos.pos());
            assertTrue(buf.ptrSet(pos, 1000, PtrHow.ADD));
            assertEquals(11000, pos.pos());
            assertTrue(buf.ptrSet(pos, 1000, PtrHow.ADD));
            assertEquals(12000, pos.pos());
            assertFalse(buf.ptrSet(pos, 1000, PtrHow.ADD));
            assertEquals(-1, pos.pos());

            // the pointers really point where they say
            byte[] one = new byte[1];
            for (long at : new long[] {0, 4999, 5000, 8999, 9000, 11999}) {
                assertTrue(buf.ptrSet(pos, at, PtrHow.SET));
                assertEquals(1, buf.copyoutFrom(pos, one, 0, 1));
                assertEquals(at < 5000 ? 1 : at < 9000 ? 2 : 3, one[0], "byte at " + at);
            }
        } finally {
            freeAll(buf, tmp);
        }
    }

    // ------------------------------------------------------------------ search (1886)

    @Test
    void test_evbuffer_search() {
        EvBuffer buf = new EvBuffer();
        EvBuffer tmp = new EvBuffer();
        EvBufferPtr pos = new EvBufferPtr();
        EvBufferPtr end = new EvBufferPtr();
        try {
            assertEquals(-1, buf.search(b("x"), null).pos());
            assertTrue(buf.ptrSet(pos, 0, PtrHow.SET));
            assertEquals(-1, buf.search(b("x"), pos).pos());
            assertTrue(buf.ptrSet(pos, 0, PtrHow.SET));
            assertEquals(-1, buf.searchRange(b("x"), pos, pos).pos());
            assertTrue(buf.ptrSet(pos, 0, PtrHow.SET));
            assertEquals(-1, buf.searchRange(b("x"), pos, null).pos());

            // set up our chains
            tmp.addPrintf("hello"); // 5 chars
            buf.addBuffer(tmp);
            tmp.addPrintf("foo"); // 3 chars
            buf.addBuffer(tmp);
            tmp.addPrintf("cat"); // 3 chars
            buf.addBuffer(tmp);
            tmp.addPrintf("attack");
            buf.addBuffer(tmp);
            valid(buf);

            assertEquals(11, buf.search(b("attack"), null).pos());
            assertEquals(-1, buf.search(b("attacker"), null).pos());

            // continuing search
            pos = buf.search(b("oc"), null);
            assertEquals(7, pos.pos());
            pos = buf.search(b("cat"), pos);
            assertEquals(8, pos.pos());
            pos = buf.search(b("tacking"), pos);
            assertEquals(-1, pos.pos());

            assertTrue(buf.ptrSet(pos, 5, PtrHow.SET));
            pos = buf.search(b("foo"), pos);
            assertEquals(5, pos.pos());

            assertTrue(buf.ptrSet(pos, 2, PtrHow.ADD));
            pos = buf.search(b("tat"), pos);
            assertEquals(10, pos.pos());

            // bounded search: "end" at the first t in "attack"
            assertTrue(buf.ptrSet(end, 12, PtrHow.SET));
            assertEquals(5, buf.searchRange(b("foo"), null, end).pos());
            assertEquals(5, buf.searchRange(b("foocata"), null, end).pos());
            assertEquals(-1, buf.searchRange(b("foocatat"), null, end).pos());
            assertEquals(-1, buf.searchRange(b("ack"), null, end).pos());

            // "end" after the last byte
            assertTrue(buf.ptrSet(end, 17, PtrHow.SET));
            assertEquals(11, buf.searchRange(b("attack"), null, end).pos());
            assertTrue(buf.ptrSet(pos, 11, PtrHow.SET));
            assertEquals(11, buf.searchRange(b("attack"), pos, end).pos());
            assertTrue(buf.ptrSet(pos, 17, PtrHow.SET));
            assertEquals(-1, buf.searchRange(b("attack"), pos, end).pos());
            assertTrue(buf.ptrSet(pos, 17, PtrHow.SET));
            assertEquals(-1, buf.searchRange(b("attack"), pos, null).pos());
            valid(buf);
            assertEquals("hellofoocatattack", text(buf));
        } finally {
            freeAll(buf, tmp);
        }
    }

    // ------------------------------------------------------------------ callbacks (1993)

    private static EvBufferCallback logChangeTo(EvBuffer out) {
        return (buffer, info) -> {
            long oldLen = info.origSize();
            long newLen = oldLen + info.nAdded() - info.nDeleted();
            out.addPrintf("%d->%d; ", oldLen, newLen);
        };
    }

    @Test
    void test_evbuffer_callbacks() {
        EvBuffer buf = new EvBuffer();
        EvBuffer bufOut1 = new EvBuffer();
        EvBuffer bufOut2 = new EvBuffer();
        try {
            EvBufferCallback log1 = logChangeTo(bufOut1);
            EvBufferCallback log2 = logChangeTo(bufOut2);
            CallbackEntry cb1 = buf.addCallback(log1);
            CallbackEntry cb2 = buf.addCallback(log2);

            // size: 0 -> 36
            assertEquals(36, buf.addPrintf("The %d magic words are spotty pudding", 2));
            valid(buf);
            buf.callbackClearFlags(cb2, EvBuffer.EVBUFFER_CB_ENABLED);
            buf.drain(10); // 36 -> 26
            valid(buf);
            buf.prepend(b("Hello")); // 26 -> 31
            buf.callbackSetFlags(cb2, EvBuffer.EVBUFFER_CB_ENABLED);
            buf.addReference(b("Goodbye"), 0, 7, null); // 31 -> 38
            buf.removeCallbackEntry(cb1);
            valid(buf);
            buf.drain(buf.getLength()); // 38 -> 0
            // C: evbuffer_remove_cb(buf, log_change_callback, NULL): same function, other argument
            assertFalse(buf.removeCallback(logChangeTo(null)));
            buf.add(b("X")); // 0 -> 1
            assertTrue(buf.removeCallback(log2));
            valid(buf);

            assertEquals("0->36; 36->26; 26->31; 31->38; ", s(bufOut1.pullup(-1)));
            assertEquals("0->36; 31->38; 38->0; 0->1; ", s(bufOut2.pullup(-1)));
            bufOut1.drain(bufOut1.getLength());
            bufOut2.drain(bufOut2.getLength());

            // the obsolete evbuffer_setcb replaces every callback
            cb1 = buf.addCallback(log1);
            assertNotNull(cb1);
            cb2 = buf.addCallback(log2);
            assertNotNull(cb2);
            buf.drain(buf.getLength());
            bufOut1.drain(bufOut1.getLength());
            bufOut2.drain(bufOut2.getLength());
            buf.setCallback((buffer, info) -> {
                long oldLen = info.origSize();
                long newLen = oldLen + info.nAdded() - info.nDeleted();
                if (newLen > oldLen) {
                    buffer.drain(newLen);
                }
            });
            buf.addPrintf("This should get drained right away.");
            assertEquals(0, buf.getLength());
            assertEquals(0, bufOut1.getLength());
            assertEquals(0, bufOut2.getLength());
            buf.setCallback(null);
            buf.addPrintf("This will not.");
            assertEquals("This will not.", s(buf.pullup(-1)));
            valid(buf);
            buf.drain(buf.getLength());
            valid(buf);
            assertEquals(0, bufOut1.getLength());
            assertEquals(0, bufOut2.getLength());
        } finally {
            freeAll(buf, bufOut1, bufOut2);
        }
    }

    // ------------------------------------------------------------------ prepend (2367)

    @Test
    void test_evbuffer_prepend() {
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = new EvBuffer();
        byte[] tmp = new byte[128];
        try {
            // case 0: the buffer is entirely empty
            buf1.prepend(b("This string has 29 characters"));
            valid(buf1);

            // case 1: prepend goes entirely in a new chunk
            buf1.prepend(b("Short."));
            valid(buf1);

            // case 2: prepend goes entirely in the first chunk
            buf1.drain(6 + 11);
            int before = buf1.peek(-1, null, null);
            buf1.prepend(b("it"));
            valid(buf1);
            assertEquals(before, buf1.peek(-1, null, null), "\"it\" went into the first chunk's free front");
            ByteBuffer[] first = new ByteBuffer[1];
            buf1.peek(-1, null, first);
            assertTrue(s(first[0]).startsWith("it has"), s(first[0]));

            // case 3: prepend split over several chunks
            buf1.prepend(b("It is no longer true to say "));
            valid(buf1);
            int n = buf1.remove(tmp, 0, tmp.length - 1);
            assertEquals("It is no longer true to say it has 29 characters", s(Arrays.copyOf(tmp, n)));

            // case 4: prepend a buffer to an empty buffer
            n = 999;
            buf1.addPrintf("Here is string %d. ", n++);
            buf2.prependBuffer(buf1);
            valid(buf2);

            // case 5: prepend a buffer to a nonempty buffer
            buf1.addPrintf("Here is string %d. ", n++);
            buf2.prependBuffer(buf1);
            valid(buf2, buf1);
            n = buf2.remove(tmp, 0, tmp.length - 1);
            assertEquals("Here is string 1000. Here is string 999. ", s(Arrays.copyOf(tmp, n)));

            // case 6: prepend needs a new buffer, with callbacks
            byte[] buffer = RegressSupport.repeat('A', 8096);
            buf2.free();
            buf2 = new EvBuffer();
            buf2.prepend(b("foo"));
            List<String> seen = new ArrayList<>();
            EvBufferCallback checkPrepend = (b, info) ->
                    seen.add(info.origSize() + "/" + info.nAdded() + "/" + info.nDeleted());
            buf2.addCallback(checkPrepend);
            buf2.prepend(buffer);
            assertTrue(buf2.removeCallback(checkPrepend));
            valid(buf2);
            assertEquals(List.of("3/8096/0"), seen, "check_prepend: orig 3, added 8096, deleted 0");
            assertArrayEquals(buffer, RegressSupport.bytesOf(buf2.pullup(8096)));
            buf2.drain(8096);
            assertEquals("foo", s(buf2.pullup(3)));
            buf2.drain(3);
            valid(buf2);
        } finally {
            freeAll(buf1, buf2);
        }
    }

    @Test
    void test_evbuffer_empty_reference_prepend() {
        EvBuffer buf = new EvBuffer();
        try {
            // an empty chain could leave an invalid last_with_datap
            buf.addReference(new byte[0], 0, 0, null);
            valid(buf);
            buf.prepend(b("foo"));
            valid(buf);
            assertEquals("foo", s(buf.pullup(-1)));
            valid(buf);
        } finally {
            buf.free();
        }
    }

    @Test
    void test_evbuffer_empty_reference_prepend_buffer() {
        EvBuffer buf1 = new EvBuffer();
        EvBuffer buf2 = new EvBuffer();
        try {
            buf1.addReference(new byte[0], 0, 0, null);
            valid(buf1);
            buf2.add(b("foo"));
            valid(buf2);
            buf2.prependBuffer(buf1);
            valid(buf2);
            assertEquals("foo", s(buf2.pullup(-1)));
            valid(buf2);
            assertNull(buf1.pullup(-1));
            valid(buf1, buf2);
        } finally {
            freeAll(buf1, buf2);
        }
    }

    // ------------------------------------------------------------------ peek (2531), peek_first_gt (2495)

    /**
     * Appends {@code text} as its own chunk. C relies on add_buffer keeping each printf in its
     * own chain; here short pooled segments are folded together on purpose, so each chunk is a
     * reference (never folded) moved in with addBuffer.
     */
    private static void addChunk(EvBuffer buf, EvBuffer tmp, String text) {
        byte[] bytes = b(text);
        tmp.addReference(bytes, 0, bytes.length, null);
        buf.addBuffer(tmp);
    }

    @Test
    void test_evbuffer_peek_first_gt() {
        EvBuffer buf = new EvBuffer();
        EvBuffer tmpBuf = new EvBuffer();
        ByteBuffer[] v = new ByteBuffer[2];
        try {
            addChunk(buf, tmpBuf, "Contents of chunk 100\n");
            addChunk(buf, tmpBuf, "Contents of chunk 1\n");
            valid(buf);

            EvBufferPtr ptr = new EvBufferPtr();
            assertTrue(buf.ptrSet(ptr, 0, PtrHow.SET));
            // the only case that matters
            assertEquals(2, buf.peek(-1, ptr, null));
            // just in case
            assertEquals(2, buf.peek(-1, ptr, v));

            assertTrue(buf.ptrSet(ptr, 20, PtrHow.ADD));
            assertEquals(2, buf.peek(-1, ptr, null));
            assertEquals(2, buf.peek(-1, ptr, v));
            assertEquals("0\n", s(v[0]));
            assertEquals("Contents of chunk 1\n", s(v[1]));
            assertEquals(1, buf.peek(2, ptr, null));
            assertEquals(1, buf.peek(2, ptr, v));
            assertEquals(2, buf.peek(3, ptr, null));
            assertEquals(2, buf.peek(3, ptr, v));
        } finally {
            freeAll(buf, tmpBuf);
        }
    }

    @Test
    void test_evbuffer_peek() {
        EvBuffer buf = new EvBuffer();
        EvBuffer tmpBuf = new EvBuffer();
        try {
            // a very fragmented buffer
            for (int i = 0; i < 16; ++i) {
                addChunk(buf, tmpBuf, "Contents of chunk [" + i + "]\n");
            }
            valid(buf);

            // how many chunks for everything?
            assertEquals(16, buf.peek(-1, null, null));

            // simple peek: everything
            ByteBuffer[] v = new ByteBuffer[20];
            assertEquals(16, buf.peek(-1, null, v));
            assertEquals("Contents of chunk [0]\n", s(v[0]));
            assertEquals("Contents of chunk [3]\n", s(v[3]));
            assertEquals("Contents of chunk [12]\n", s(v[12]));
            assertEquals("Contents of chunk [15]\n", s(v[15]));

            // one chunk's worth: C passes n_vec = 1 with len -1 and gets 1 (libevent stops at
            // the last vector when no length is given)
            ByteBuffer[] one = new ByteBuffer[1];
            assertEquals(1, buf.peek(-1, null, one));
            assertEquals("Contents of chunk [0]\n", s(one[0]));

            // at least the first 40 bytes
            v = new ByteBuffer[16];
            assertEquals(2, buf.peek(40, null, v));
            assertEquals("Contents of chunk [0]\n", s(v[0]));
            assertEquals("Contents of chunk [1]\n", s(v[1]));
            assertNull(v[2]);

            // how many chunks for 100 bytes?
            assertEquals(5, buf.peek(100, null, null));

            // more bytes than we provide vectors for
            one = new ByteBuffer[1];
            assertEquals(3, buf.peek(60, null, one));
            assertEquals("Contents of chunk [0]\n", s(one[0]));

            // more bytes than the buffer has
            v = new ByteBuffer[20];
            assertEquals(16, buf.peek(65536, null, v));
            assertEquals("Contents of chunk [0]\n", s(v[0]));
            assertEquals("Contents of chunk [3]\n", s(v[3]));
            assertEquals("Contents of chunk [12]\n", s(v[12]));
            assertEquals("Contents of chunk [15]\n", s(v[15]));
            assertNull(v[16]);

            // an empty buffer
            v = new ByteBuffer[20];
            assertEquals(0, tmpBuf.peek(-1, null, v));
            assertNull(v[0]);
            assertEquals(0, tmpBuf.peek(50, null, v));
            assertNull(v[0]);

            // fun with pointers
            v = new ByteBuffer[20];
            EvBufferPtr ptr = new EvBufferPtr();
            assertTrue(buf.ptrSet(ptr, 30, PtrHow.SET));
            assertEquals(3, buf.peek(50, ptr, v));
            assertEquals(" of chunk [1]\n", s(v[0]));
            assertEquals("Contents of chunk [2]\n", s(v[1]));
            assertEquals("Contents of chunk [3]\n", s(v[2])); // more than we asked for

            // advance to the start of another chain
            v = new ByteBuffer[20];
            assertTrue(buf.ptrSet(ptr, 14, PtrHow.ADD));
            assertEquals(2, buf.peek(44, ptr, v));
            assertEquals("Contents of chunk [2]\n", s(v[0]));
            assertEquals("Contents of chunk [3]\n", s(v[1])); // more than we asked for

            // peek at the end of the buffer
            v = new ByteBuffer[20];
            assertTrue(buf.ptrSet(ptr, buf.getLength(), PtrHow.SET));
            assertEquals(0, buf.peek(44, ptr, v));
            assertNull(v[0]);
            valid(buf);

            // peeked views are read-only: nobody writes into the buffer through them
            ByteBuffer[] w = new ByteBuffer[1];
            buf.peek(-1, null, w);
            assertTrue(w[0].isReadOnly());
        } finally {
            freeAll(buf, tmpBuf);
        }
    }

    // ------------------------------------------------------------------ add_iovec (2787)

    @Test
    void test_evbuffer_add_iovec() {
        EvBuffer buf = new EvBuffer();
        String[] data = {
            "Guilt resembles a sword with two edges.",
            "On the one hand, it cuts for Justice, imposing practical morality upon those who fear it.",
            "Conscience does not always adhere to rational judgment.",
            "Guilt is always a self-imposed burden, but it is not always rightly imposed."
        };
        try {
            ByteBuffer[] vec = new ByteBuffer[4];
            long expectedLength = 0;
            for (int i = 0; i < 4; i++) {
                vec[i] = ByteBuffer.wrap(b(data[i]));
                expectedLength += data[i].length();
            }
            long returnedLength = buf.addIovec(vec);
            valid(buf);
            assertEquals(returnedLength, buf.getLength());
            assertEquals(expectedLength, buf.getLength());

            for (int i = 0; i < 4; i++) {
                byte[] charbuf = new byte[1024];
                int n = buf.remove(charbuf, 0, data[i].length());
                assertEquals(data[i], s(Arrays.copyOf(charbuf, n)));
            }
            assertEquals(0, buf.getLength());
            valid(buf);
        } finally {
            buf.free();
        }
    }

    // ------------------------------------------------------------------ copyout (2833)

    @Test
    void test_evbuffer_copyout() {
        String string = "Still they skirmish to and fro, men my messmates on the snow "
                + "When we headed off the aurochs turn for turn; "
                + "When the rich Allobrogenses never kept amanuenses, "
                + "And our only plots were piled in lakes at Berne.";
        byte[] str = b(string);
        EvBuffer buf = new EvBuffer();
        try {
            assertEquals(206, str.length);

            // separate chains
            buf.addReference(str, 0, 80, null);
            buf.addReference(str, 80, 80, null);
            buf.add(str, 160, str.length - 160);
            valid(buf);
            assertEquals(206, buf.getLength());

            byte[] tmp = new byte[1024];
            assertEquals(10, buf.copyout(tmp, 0, 10));
            assertEquals("Still they", s(Arrays.copyOf(tmp, 10)));

            tmp = new byte[1024];
            assertEquals(100, buf.copyout(tmp, 0, 100));
            assertArrayEquals(Arrays.copyOf(str, 100), Arrays.copyOf(tmp, 100));

            // too much: truncated
            tmp = new byte[1024];
            assertEquals(206, buf.copyout(tmp, 0, 230));
            assertArrayEquals(str, Arrays.copyOf(tmp, 206));

            // nondestructive
            assertEquals(206, buf.getLength());

            // copyout_from, starting in the first chain
            EvBufferPtr ptr = new EvBufferPtr();
            assertTrue(buf.ptrSet(ptr, 15, PtrHow.SET));
            tmp = new byte[1024];
            assertEquals(10, buf.copyoutFrom(ptr, tmp, 0, 10));
            assertEquals("mish to an", s(Arrays.copyOf(tmp, 10)));

            // right up to the end of the first chain
            tmp = new byte[1024];
            assertEquals(65, buf.copyoutFrom(ptr, tmp, 0, 65));
            assertArrayEquals(Arrays.copyOfRange(str, 15, 80), Arrays.copyOf(tmp, 65));

            // into the second chain
            tmp = new byte[1024];
            assertEquals(90, buf.copyoutFrom(ptr, tmp, 0, 90));
            assertArrayEquals(Arrays.copyOfRange(str, 15, 105), Arrays.copyOf(tmp, 90));

            // into the third chain
            tmp = new byte[1024];
            assertEquals(160, buf.copyoutFrom(ptr, tmp, 0, 160));
            assertArrayEquals(Arrays.copyOfRange(str, 15, 175), Arrays.copyOf(tmp, 160));

            // overrun
            tmp = new byte[1024];
            assertEquals(206 - 15, buf.copyoutFrom(ptr, tmp, 0, 999));
            assertArrayEquals(Arrays.copyOfRange(str, 15, 206), Arrays.copyOf(tmp, 206 - 15));

            // nondestructive too
            assertEquals(206, buf.getLength());
            valid(buf);
        } finally {
            buf.free();
        }
    }
}
