package org.jevent.bufferevent;

import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StreamBufferevent} over a real FIFO ({@code mkfifo}), a {@link Pipe} and a child
 * process ({@code cat}): data intact and in order, EOF and errors as events, back-pressure that
 * stops the reader thread at the read high watermark, writes through the writer thread with
 * {@code flush(EV_WRITE, FINISHED)} closing the output, and {@code free()} stopping the threads.
 * Every wait is bounded by a deadline and checked by a condition, not by a sleep.
 */
@Timeout(60)
class StreamBuffereventTest extends LoopTestBase {
    private final List<String> events = new ArrayList<>();

    /** Runs the loop until {@code done}, at most 20 s. */
    private void runUntil(BooleanSupplier done) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not done in time; events " + events);
            BevTestSupport.loopFor(base, EventBase.EVLOOP_ONCE, 100);
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Bufferevent.EventCb recordEvents() {
        return (b, what) -> events.add(Bufferevent.describeEvents(what) + " " + b.getEndReason());
    }

    @Test
    void readsAFifoToItsEnd(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("event.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo is not available");
        byte[] data = randomBytes(300_000, 1);
        // The writer opens the FIFO (blocking until a reader opens it), writes, closes: the reader's EOF.
        Thread producer = new Thread(() -> {
            try (OutputStream o = new FileOutputStream(fifo.toFile())) {
                for (int off = 0; off < data.length; off += 7000) {
                    o.write(data, off, Math.min(7000, data.length - off));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "fifo-writer");
        producer.start();
        StreamBufferevent b = closeLater(Bufferevent.stream(base, new FileInputStream(fifo.toFile()), null,
                BEV_OPT_CLOSE_ON_FREE));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        b.setCallbacks(x -> got.writeBytes(BevTestSupport.drain(x.getInput())), null, recordEvents());
        b.enable(EV_READ);
        runUntil(() -> !events.isEmpty());
        assertEquals(List.of("EOF|READING EOF"), events);
        assertArrayEquals(data, got.toByteArray());
        assertEquals(data.length, b.getBytesRead());
        producer.join(10_000);
    }

    /**
     * Back-pressure: with a read high watermark and a read callback that takes nothing, the
     * reader thread stops; the pipe fills and its writer blocks; draining lets everything through.
     */
    @Test
    void aFullInputStopsTheReaderThreadAndThePipesWriter() throws Exception {
        Pipe pipe = Pipe.open();
        closeLater(pipe.sink());
        byte[] data = randomBytes(2_000_000, 2);
        AtomicLong written = new AtomicLong();
        Thread producer = new Thread(() -> {
            try (OutputStream o = Channels.newOutputStream(pipe.sink())) {
                for (int off = 0; off < data.length; off += 4096) {
                    int n = Math.min(4096, data.length - off);
                    o.write(data, off, n);
                    written.addAndGet(n);
                }
            } catch (IOException e) {
                // the test closed the pipe early on failure
            }
        }, "pipe-writer");
        producer.setDaemon(true);
        StreamBufferevent b = closeLater(Bufferevent.stream(base, Channels.newInputStream(pipe.source()), null,
                BEV_OPT_CLOSE_ON_FREE));
        b.setWatermark(EV_READ, 0, 10_000);
        b.setCallbacks(x -> { }, null, recordEvents()); // takes nothing
        b.enable(EV_READ);
        producer.start();
        runUntil(() -> b.getInput().getLength() >= 10_000);
        // Stopped: neither the input nor the producer moves any more (a kernel pipe holds 64 KiB).
        long inputThen = b.getInput().getLength();
        long writtenThen = -1;
        for (int i = 0; i < 20 && written.get() != writtenThen; i++) {
            writtenThen = written.get();
            BevTestSupport.loopFor(base, EventBase.EVLOOP_NONBLOCK, 100);
            Thread.sleep(50);
        }
        assertEquals(inputThen, b.getInput().getLength(), "the reader thread stopped at the watermark");
        assertTrue(inputThen <= 10_000, "a read never takes more than the room under the watermark: " + inputThen);
        assertTrue(written.get() < data.length, "the pipe's writer is held back: " + written.get());
        // Drain from now on: everything arrives, in order, then EOF.
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        got.writeBytes(BevTestSupport.drain(b.getInput()));
        b.setCallbacks(x -> got.writeBytes(BevTestSupport.drain(x.getInput())), null, recordEvents());
        runUntil(() -> !events.isEmpty());
        assertEquals(List.of("EOF|READING EOF"), events);
        assertArrayEquals(data, got.toByteArray());
    }

    /** A child process: what we write reaches its stdin, FINISHED closes it, its stdout comes back, then EOF. */
    @Test
    void talksToAChildProcessThroughItsStreams() throws Exception {
        Process cat;
        try {
            cat = new ProcessBuilder("cat").start();
        } catch (IOException e) {
            Assumptions.abort("no cat: " + e);
            return;
        }
        try {
            StreamBufferevent b = closeLater(Bufferevent.stream(base, cat.getInputStream(), cat.getOutputStream(),
                    BEV_OPT_CLOSE_ON_FREE));
            byte[] data = randomBytes(500_000, 3);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int[] writeCallbacks = {0};
            b.setCallbacks(x -> got.writeBytes(BevTestSupport.drain(x.getInput())), x -> writeCallbacks[0]++,
                    recordEvents());
            b.enable(EV_READ | EV_WRITE);
            b.write(data);
            assertEquals(1, b.flush(EV_WRITE, FlushMode.FINISHED));
            runUntil(() -> !events.isEmpty());
            assertEquals(List.of("EOF|READING EOF"), events);
            assertArrayEquals(data, got.toByteArray());
            assertEquals(data.length, b.getBytesWritten());
            assertTrue(writeCallbacks[0] >= 1, "the write callback ran as the output drained");
            assertTrue(cat.waitFor(10, TimeUnit.SECONDS), "cat saw the end of its stdin");
        } finally {
            cat.destroyForcibly();
        }
    }

    @Test
    void aFailingStreamIsAReadingError() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("device gone");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                throw new IOException("device gone");
            }
        };
        StreamBufferevent b = closeLater(Bufferevent.stream(base, broken, null, 0));
        b.setCallbacks(null, null, recordEvents());
        b.enable(EV_READ);
        runUntil(() -> !events.isEmpty());
        assertEquals(List.of("ERROR|READING IO_ERROR"), events);
        assertEquals("device gone", b.getLastError().getMessage());
    }

    @Test
    void aFailingOutputIsAWritingError() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int x) throws IOException {
                throw new IOException("disk full");
            }
        };
        StreamBufferevent b = closeLater(Bufferevent.stream(base, null, broken, 0));
        b.setCallbacks(null, null, recordEvents());
        b.write(new byte[100]);
        runUntil(() -> !events.isEmpty());
        assertEquals(List.of("ERROR|WRITING IO_ERROR"), events);
    }

    /** free() ends the reader thread even while it is blocked in a read of a pipe nobody writes. */
    @Test
    void freeStopsTheReaderThread() throws Exception {
        Pipe pipe = Pipe.open();
        closeLater(pipe.sink());
        StreamBufferevent b = Bufferevent.stream(base, Channels.newInputStream(pipe.source()), null, BEV_OPT_CLOSE_ON_FREE);
        b.setCallbacks(x -> { }, null, recordEvents());
        b.enable(EV_READ);
        BevTestSupport.loopFor(base, EventBase.EVLOOP_NONBLOCK, 100);
        Thread t = b.readerThread();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (t.getState() != Thread.State.RUNNABLE && t.getState() != Thread.State.BLOCKED
                && System.nanoTime() < deadline) {
            Thread.sleep(5); // until it is inside the read
        }
        b.free();
        t.join(10_000);
        assertFalse(t.isAlive(), "the reader thread ended");
        assertFalse(pipe.source().isOpen(), "CLOSE_ON_FREE closed the stream");
        assertEquals(List.of(), events, "no callback after free");
        assertThrows(IllegalStateException.class, () -> b.enable(EV_READ));
    }

    /** A stream bufferevent keeps the loop alive while it reads, as a socket's registered channel does. */
    @Test
    void dispatchWaitsForTheStream() throws Exception {
        Pipe pipe = Pipe.open();
        StreamBufferevent b = closeLater(Bufferevent.stream(base, Channels.newInputStream(pipe.source()), null,
                BEV_OPT_CLOSE_ON_FREE));
        byte[] got = new byte[3];
        b.setCallbacks(x -> x.read(got), null, recordEvents());
        b.enable(EV_READ);
        Thread later = new Thread(() -> {
            try {
                Thread.sleep(200);
                pipe.sink().write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
                pipe.sink().close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        later.start();
        BevTestSupport.dispatchBounded(base, 30_000); // returns by itself once the EOF disabled reading
        assertArrayEquals(new byte[] {1, 2, 3}, got);
        assertEquals(List.of("EOF|READING EOF"), events);
        later.join();
    }
}
