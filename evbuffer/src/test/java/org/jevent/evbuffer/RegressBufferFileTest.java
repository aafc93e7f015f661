package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.b;
import static org.jevent.evbuffer.RegressSupport.freeAll;
import static org.jevent.evbuffer.RegressSupport.valid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ports of the file scenarios of libevent's {@code test/regress_buffer.c}: add_file_leak1,
 * file_segment_add_cleanup_cb and the add_file* family.
 *
 * <p>libevent's backends map to Java as follows. "sendfile": a {@link FileSegment} that stays a
 * file range and goes out with {@code transferTo}. "linear": the same range read into memory
 * first (any operation that needs the bytes does that; {@code peek} is used here). "mmap": the
 * range mapped with {@link FileChannel#map} and added as a reference. "default nosegment": the
 * older {@link EvBuffer#addFile} interface. Each is pumped through a non-blocking loopback socket
 * pair, written with {@code writeTo} and read with {@code readFrom(…, 1024)}, as in C.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegressBufferFileTest {

    @TempDir
    Path dir;

    private Path tmpFile(byte[] content) throws IOException {
        Path p = Files.createTempFile(dir, "regress", ".bin");
        Files.write(p, content);
        return p;
    }

    // ------------------------------------------------------------------ add_file_leak1 (1114)

    @Test
    void test_evbuffer_add_file_leak1() throws IOException {
        Path p = tmpFile(new byte[0]);
        long outstanding = SegmentPool.current().outstanding();
        EvBuffer buf = new EvBuffer();
        try {
            // close the channel before use, so that using it must fail
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
            ch.close();
            assertThrows(RuntimeException.class, () -> buf.addFile(ch, 0, 0));
            valid(buf);
            assertEquals(0, buf.getLength());
            assertEquals(outstanding, SegmentPool.current().outstanding(), "nothing taken from the pool");

            // an empty range on an open channel: nothing added, and the channel the buffer now
            // owns is not leaked
            FileChannel ch2 = FileChannel.open(p, StandardOpenOption.READ);
            try {
                buf.addFile(ch2, 0, 0);
            } catch (IllegalArgumentException refused) {
                // refusing is fine too (C returns -1); the channel must still be closed
            }
            valid(buf);
            assertEquals(0, buf.getLength());
            assertFalse(ch2.isOpen(), "the channel handed to addFile was leaked");
        } finally {
            buf.free();
        }
        assertEquals(outstanding, SegmentPool.current().outstanding());
    }

    // ------------------------------------------------------------------ file_segment_add_cleanup_cb (1369)

    @Test
    void test_evbuffer_file_segment_add_cleanup_cb() throws IOException {
        Path p = tmpFile(b("file_segment_test_file"));
        assertEquals(22, Files.size(p));
        Object arg = "token";
        List<Object[]> calls = new ArrayList<>();
        EvBuffer evb = new EvBuffer();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            FileSegment seg = FileSegment.create(ch, 0, -1, 0);
            assertNotNull(seg);
            assertEquals(22, seg.length());
            seg.addCleanupCallback((segment, flags) -> calls.add(new Object[] {segment, flags, arg}));

            // C passes length -1; the Java contract takes the length itself
            evb.addFileSegment(seg, 0, seg.length());
            valid(evb);
            assertEquals(22, evb.getLength());

            assertEquals(0, calls.size());
            seg.free();
            assertEquals(0, calls.size(), "the buffer still holds the segment");
            evb.free();
            assertEquals(1, calls.size());
            assertSame(seg, calls.get(0)[0]);
            assertEquals(0, calls.get(0)[1]);
            assertSame(arg, calls.get(0)[2]);
            assertTrue(seg.isReleased());
            assertTrue(ch.isOpen(), "flags 0: the channel is not closed for us");
        } finally {
            evb.free();
        }
        assertEquals(1, calls.size());
    }

    // ------------------------------------------------------------------ evbuffer_read with a large howmuch

    /**
     * Not a C test: the read half of the add_file pump with a howmuch that four segments cannot
     * hold (C's evbuffer_read then expands one chain). The bytes waiting must be read.
     */
    @Test
    void test_evbuffer_read_large_howmuch() throws IOException {
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        EvBuffer dst = new EvBuffer();
        try {
            pipe.source().configureBlocking(false);
            byte[] msg = b("ten bytes!");
            assertEquals(msg.length, pipe.sink().write(ByteBuffer.wrap(msg)));
            // (SegmentChain.reserve, r.add(s, s.capacity())) so the read gets an empty view
            int n = dst.readFrom(pipe.source(), 100_000);
            valid(dst);
            assertEquals(msg.length, n);
            assertArrayEquals(msg, RegressSupport.contentOf(dst));
        } finally {
            dst.free();
            pipe.sink().close();
            pipe.source().close();
        }
    }

    // ------------------------------------------------------------------ add_file* (1154)

    private enum Backend { SENDFILE, MMAP, LINEAR, DEFAULT }

    private static byte[] bigData() {
        // C: 512 KiB of evutil_weakrand_ bytes with a fixed seed; any fixed pseudo-random bytes do.
        byte[] data = new byte[1024 * 512];
        new Random(123456789L).nextBytes(data);
        return data;
    }

    private void addFileTest(Backend backend, boolean useSegment, boolean bigfile, boolean mapOffset,
            boolean offsetInSegment) throws Exception {
        byte[] data = bigfile ? bigData() : b("here is a relatively small string.");
        int datalen = data.length;
        Path p = tmpFile(data);

        long startingOffset = 0;
        long mappingLen = -1;
        long segmentOffset = 0;
        long segmentLen = -1;
        int expectFrom = 0;
        int expectLen = datalen;
        if (mapOffset) {
            startingOffset = datalen / 4 + 1;
            mappingLen = datalen / 2 - 1;
            expectFrom = (int) startingOffset;
            expectLen = (int) mappingLen;
        }
        if (offsetInSegment) {
            assertTrue(useSegment); // cannot be done with add_file
            segmentOffset = expectLen / 3;
            segmentLen = expectLen / 2;
            expectFrom += (int) segmentOffset;
            expectLen = (int) segmentLen;
        }
        byte[] expect = Arrays.copyOfRange(data, expectFrom, expectFrom + expectLen);

        EvBuffer src = new EvBuffer();
        EvBuffer dest = new EvBuffer();
        FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
        FileSegment seg = null;
        List<ByteBuffer> refCleanups = new ArrayList<>();
        try {
            if (backend == Backend.MMAP) {
                long mapLen = mappingLen == -1 ? datalen - startingOffset : mappingLen;
                MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, startingOffset, mapLen);
                long len = segmentLen == -1 ? mapLen - segmentOffset : segmentLen;
                ByteBuffer view = mapped.slice((int) segmentOffset, (int) len);
                src.addReference(view, refCleanups::add);
            } else if (useSegment) {
                seg = FileSegment.create(ch, startingOffset, mappingLen, 0);
                long len = segmentLen == -1 ? seg.length() - segmentOffset : segmentLen;
                src.addFileSegment(seg, segmentOffset, len);
            } else {
                src.addFile(ch, startingOffset, mappingLen);
            }
            valid(src);
            assertEquals(expectLen, src.getLength());

            if (backend == Backend.LINEAR) {
                // read the range into memory before writing
                assertTrue(src.peek(-1, null, null) >= 1);
                valid(src);
                assertTrue(src.getContiguousSpace() > 0, "the range is in memory now");
            } else if (backend != Backend.MMAP) {
                assertEquals(0, src.getContiguousSpace(), "the range is still a file range, unread");
            }

            long[] counts = pump(src, dest);
            valid(src, dest);
            assertEquals(expectLen, counts[0], "bytes written");
            assertEquals(expectLen, counts[1], "bytes read");
            assertEquals(0, src.getLength());

            ByteBuffer compare = dest.pullup(expectLen);
            assertNotNull(compare);
            assertArrayEquals(expect, RegressSupport.bytesOf(compare), "data from add_file differs");
            valid(dest);

            if (backend == Backend.MMAP) {
                assertEquals(1, refCleanups.size(), "mapping released once drained");
            } else if (useSegment) {
                assertFalse(seg.isReleased(), "the creator still holds the segment");
                seg.free();
                assertTrue(seg.isReleased(), "drained buffer must not hold the segment any more");
                seg = null;
            } else {
                assertFalse(ch.isOpen(), "addFile owns the channel and closes it once drained");
            }
        } finally {
            if (seg != null) {
                seg.free();
            }
            freeAll(src, dest);
            ch.close();
        }
    }

    /**
     * Writes src into one end of a non-blocking loopback connection and reads the other end
     * into dest, 1024 bytes per read, until everything written was read. Returns {written, read}.
     */
    private static long[] pump(EvBuffer src, EvBuffer dest) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel writer = SocketChannel.open(server.getLocalAddress());
                    SocketChannel reader = server.accept()) {
                writer.configureBlocking(false);
                reader.configureBlocking(false);
                long written = 0;
                long read = 0;
                boolean doneWriting = false;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!doneWriting || read < written) {
                    boolean progress = false;
                    while (src.getLength() > 0) {
                        long n = src.writeTo(writer);
                        src.checkInvariants();
                        if (n <= 0) {
                            break;
                        }
                        written += n;
                        progress = true;
                    }
                    if (src.getLength() == 0) {
                        doneWriting = true;
                    }
                    int r;
                    while ((r = dest.readFrom(reader, 1024)) > 0) {
                        read += r;
                        progress = true;
                    }
                    if (r < 0) {
                        fail("unexpected end of stream after " + read + " bytes");
                    }
                    if (!progress) {
                        if (System.nanoTime() > deadline) {
                            fail("no progress: written " + written + ", read " + read);
                        }
                        Thread.sleep(1);
                    }
                }
                return new long[] {written, read};
            }
        }
    }

    // add_file: "here is a relatively small string."
    @Test
    void test_evbuffer_add_file_sendfile() throws Exception {
        addFileTest(Backend.SENDFILE, true, false, false, false);
    }

    @Test
    void test_evbuffer_add_file_mmap() throws Exception {
        addFileTest(Backend.MMAP, true, false, false, false);
    }

    @Test
    void test_evbuffer_add_file_linear() throws Exception {
        addFileTest(Backend.LINEAR, true, false, false, false);
    }

    @Test
    void test_evbuffer_add_file_nosegment() throws Exception {
        addFileTest(Backend.DEFAULT, false, false, false, false);
    }

    // add_big_file: 512 KiB
    @Test
    void test_evbuffer_add_big_file_sendfile() throws Exception {
        addFileTest(Backend.SENDFILE, true, true, false, false);
    }

    @Test
    void test_evbuffer_add_big_file_mmap() throws Exception {
        addFileTest(Backend.MMAP, true, true, false, false);
    }

    @Test
    void test_evbuffer_add_big_file_linear() throws Exception {
        addFileTest(Backend.LINEAR, true, true, false, false);
    }

    @Test
    void test_evbuffer_add_big_file_nosegment() throws Exception {
        addFileTest(Backend.DEFAULT, false, true, false, false);
    }

    // add_file_offset: the segment starts and ends inside the file
    @Test
    void test_evbuffer_add_file_offset_sendfile() throws Exception {
        addFileTest(Backend.SENDFILE, true, true, true, false);
    }

    @Test
    void test_evbuffer_add_file_offset_mmap() throws Exception {
        addFileTest(Backend.MMAP, true, true, true, false);
    }

    @Test
    void test_evbuffer_add_file_offset_linear() throws Exception {
        addFileTest(Backend.LINEAR, true, true, true, false);
    }

    @Test
    void test_evbuffer_add_file_offset_nosegment() throws Exception {
        addFileTest(Backend.DEFAULT, false, true, true, false);
    }

    // add_file_offset2: a view that starts inside the segment
    @Test
    void test_evbuffer_add_file_offset2_sendfile() throws Exception {
        addFileTest(Backend.SENDFILE, true, true, false, true);
    }

    @Test
    void test_evbuffer_add_file_offset2_mmap() throws Exception {
        addFileTest(Backend.MMAP, true, true, false, true);
    }

    @Test
    void test_evbuffer_add_file_offset2_linear() throws Exception {
        addFileTest(Backend.LINEAR, true, true, false, true);
    }

    // add_file_offset3: both
    @Test
    void test_evbuffer_add_file_offset3_sendfile() throws Exception {
        addFileTest(Backend.SENDFILE, true, true, true, true);
    }

    @Test
    void test_evbuffer_add_file_offset3_mmap() throws Exception {
        addFileTest(Backend.MMAP, true, true, true, true);
    }

    @Test
    void test_evbuffer_add_file_offset3_linear() throws Exception {
        addFileTest(Backend.LINEAR, true, true, true, true);
    }
}
