package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.b;
import static org.jevent.evbuffer.RegressSupport.freeAll;
import static org.jevent.evbuffer.RegressSupport.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Port of libevent's {@code test_evbuffer_freeze} (regress_buffer.c:2649), run as freeze_start
 * and freeze_end. Where C expects -1 (or NULL from readln) the Java operation throws
 * {@link IllegalStateException} and leaves the buffer unchanged. The socketpair is a
 * {@link Pipe} with a non-blocking source.
 */
@Timeout(30)
class RegressBufferFreezeTest {

    private static final String STRING = // Year's End, Richard Wilbur
            "I've known the wind by water banks to shake\n"
            + "The late leaves down, which frozen where they fell\n"
            + "And held in ice as dancers in a spell\n"
            + "Fluttered all winter long into a lake...";

    @TempDir
    Path dir;

    /** Asserts that {@code op} is refused when {@code refused}, and leaves the length alone then. */
    private static void refusedIf(boolean refused, EvBuffer buf, Executable op) throws Throwable {
        if (refused) {
            long len = buf.getLength();
            assertThrows(IllegalStateException.class, op);
            assertEquals(len, buf.getLength(), "a refused operation changed the length");
            buf.checkInvariants();
        } else {
            op.execute();
            buf.checkInvariants();
        }
    }

    private void freeze(boolean start) throws Throwable {
        EvBuffer buf = new EvBuffer();
        EvBuffer bufTwo = new EvBuffer();
        EvBuffer tmpBuf = new EvBuffer();
        Pipe pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        Pipe.SinkChannel sink = pipe.sink();
        Pipe.SourceChannel source = pipe.source();
        try {
            buf.add(b(STRING));
            bufTwo.add(b("abc"));
            tmpBuf.add(b("xyz"));
            buf.freeze(start); // freeze the start or the end
            bufTwo.freeze(start);
            assertTrue(buf.isFrozen(start));
            assertFalse(buf.isFrozen(!start));

            long origLength = buf.getLength();
            boolean end = !start;

            // These all manipulate the end of buf.
            refusedIf(end, buf, () -> buf.add(b("abc"), 0, 0));
            ByteBuffer[] v = new ByteBuffer[1];
            int[] r = new int[1];
            refusedIf(end, buf, () -> r[0] = buf.reserveSpace(10, v));
            if (start) {
                assertEquals(1, r[0]);
                for (int i = 0; i < 10; i++) {
                    v[0].put((byte) 'X');
                }
            } else {
                // C commits whatever v holds and gets -1; give it a view of no reservation
                v[0] = ByteBuffer.allocate(10).position(10);
            }
            refusedIf(end, buf, () -> buf.commitSpace(v, 1));
            refusedIf(end, buf, () -> buf.addReference(b(STRING), 0, 5, null));
            refusedIf(end, buf, () -> r[0] = buf.addPrintf("Hello %s", "world"));
            if (start) {
                assertEquals(11, r[0]);
            }
            refusedIf(end, buf, () -> buf.addBuffer(tmpBuf));
            assertEquals(start ? 0 : 3, tmpBuf.getLength());

            byte[] tmpfilecontent = b("file_freeze_test_file");
            Path p = Files.createTempFile(dir, "freeze", ".txt");
            Files.write(p, tmpfilecontent);
            FileChannel fc = FileChannel.open(p, StandardOpenOption.READ);
            try {
                refusedIf(end, buf, () -> buf.addFile(fc, 0, tmpfilecontent.length));
                if (end) {
                    assertFalse(fc.isOpen(), "a refused addFile closes the channel at once");
                }
            } finally {
                if (end) {
                    fc.close();
                }
            }

            if (start) {
                tmpBuf.add(b("xyz"));
            }
            assertTrue(tmpBuf.getLength() > 0);
            long len = tmpBuf.getLength();
            assertEquals(len, tmpBuf.writeTo(sink));
            refusedIf(end, buf, () -> r[0] = buf.readFrom(source, -1));
            if (start) {
                assertEquals(len, r[0]);
            }
            if (end) {
                assertEquals(origLength, buf.getLength());
            } else {
                assertEquals(origLength + 10 + 5 + 11 + 3 + tmpfilecontent.length + len, buf.getLength());
            }

            origLength = buf.getLength();

            // These all manipulate the start of buf.
            byte[] charbuf = new byte[128];
            refusedIf(start, buf, () -> r[0] = buf.remove(charbuf, 0, 1));
            if (end) {
                assertEquals(1, r[0]);
            }
            refusedIf(start, buf, () -> buf.drain(3));
            refusedIf(start, buf, () -> buf.prepend(b("dummy")));
            String[] line = new String[1];
            refusedIf(start, buf, () -> line[0] = buf.readLine(EolStyle.LF));
            if (end) {
                assertNotNull(line[0]);
                assertEquals("dummy known the wind by water banks to shake", line[0]);
            }

            tmpBuf.add(b("xyz"));
            assertTrue(tmpBuf.getLength() > 0);
            long[] lr = new long[1];
            refusedIf(start, buf, () -> lr[0] = buf.removeBuffer(tmpBuf, 3));
            if (end) {
                assertEquals(3, lr[0]);
            }
            refusedIf(start, buf, () -> buf.drain(3));
            refusedIf(start, buf, () -> buf.prependBuffer(tmpBuf));
            if (end) {
                assertEquals(0, tmpBuf.getLength());
            }

            len = buf.getLength();
            refusedIf(start, buf, () -> lr[0] = buf.writeTo(sink));
            readAll(tmpBuf, source);
            if (end) {
                assertEquals(len, lr[0]);
            }
            len = bufTwo.getLength();
            refusedIf(start, bufTwo, () -> lr[0] = bufTwo.writeTo(sink, -1));
            readAll(tmpBuf, source);
            if (end) {
                assertEquals(len, lr[0]);
            }

            if (start) {
                assertEquals(origLength, buf.getLength());
            }
            valid(buf, bufTwo, tmpBuf);
        } finally {
            freeAll(buf, bufTwo, tmpBuf);
            pipe.sink().close();
            pipe.source().close();
        }
    }

    private static void readAll(EvBuffer into, Pipe.SourceChannel source) throws IOException {
        while (into.readFrom(source, -1) > 0) {
            // drain what the pipe holds
        }
    }

    @Test
    void test_evbuffer_freeze_start() throws Throwable {
        freeze(true);
    }

    @Test
    void test_evbuffer_freeze_end() throws Throwable {
        freeze(false);
    }
}
