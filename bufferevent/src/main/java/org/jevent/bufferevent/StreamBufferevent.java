package org.jevent.bufferevent;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bufferevent over blocking streams: stdin, a FIFO, a pipe, a child process, a serial device,
 * anything Java cannot hand to a Selector. libevent's {@code bufferevent_socket_new(base, fd, 0)}
 * on a descriptor such as 0 or a FIFO ({@code sample/event-read-fifo.c}); Java reaches those
 * through an {@link InputStream} and an {@link OutputStream}, whose reads and writes block, so
 * each runs on a thread of its own and hands its results to the loop with
 * {@link EventBase#execute}. Everything else is a bufferevent like the others: read and write
 * callbacks, watermarks, timeouts, {@code READING|EOF} at the end of the input, {@code
 * READING|ERROR} and {@code WRITING|ERROR} with the exception in {@link #getLastError()}.
 *
 * <ul>
 * <li><b>Reading</b> (a thread named {@code jevent-stream-reader}): one blocking read of at most
 * {@link #getMaxSingleRead()} bytes at a time, and only while this bufferevent reads (EV_READ
 * enabled, not suspended) with room under its read high watermark: a full input stops the
 * thread, so a slow consumer slows the producer down (a pipe's writer then blocks) instead of
 * filling memory. A read under way when reading stops is kept until it resumes, so the input
 * goes over the high watermark by at most nothing.</li>
 * <li><b>Writing</b> (a thread named {@code jevent-stream-writer}): output is handed over in
 * pieces of at most {@link #getMaxSingleWrite()} bytes, one at a time, each written and flushed
 * before the next; the write callback runs as the output drains, as for a socket.
 * {@code flush(EV_WRITE, FINISHED)} closes the output stream once everything written so far has
 * left (a child process then sees the end of its stdin).</li>
 * <li>While reading runs, or a write is under way, the loop does not run out of events (a far
 * timer keeps it, as the socket's registered channel does).</li>
 * <li>{@link #free()} stops both threads: a thread waiting for its turn ends at once; a read or
 * write blocked in the stream ends when the stream returns, and its result is dropped. With
 * {@link #BEV_OPT_CLOSE_ON_FREE} both streams are closed, which also ends a blocked read on the
 * streams that support it ({@code Channels.newInputStream} of a pipe, a process's streams); the
 * reader is interrupted too. A null stream means that direction does nothing.</li>
 * </ul>
 *
 * <p>Each read allocates its chunk (the thread cannot read into the loop's buffers); this is
 * for streams, not for a socket's hot path.
 *
 * <p>Invariant: at most one read result waits in {@code readResult} (the reader reads only with a
 * permit, granted by the loop only when that slot is empty, reading runs and there is room);
 * at most one piece is with the writer ({@code writing}); the keep-alive timer is pending exactly
 * while reading runs or a piece is with the writer; after free no result reaches the buffers.
 */
public final class StreamBufferevent extends Bufferevent {
    private static final Logger LOG = LoggerFactory.getLogger(StreamBufferevent.class);
    /** What the reader posts at end of stream. */
    private static final Object EOF = new Object();

    private final InputStream in;
    private final OutputStream out;
    private final Thread reader;
    private final Thread writer;

    /** The reader reads once per permit, at most {@code readSize} bytes. */
    private final Semaphore readPermit = new Semaphore(0);
    private volatile int readSize;
    /** A permit was granted and its read has not come back yet (loop thread only). */
    private boolean readGranted;
    /** The reader's result: a byte[] chunk, {@link #EOF}, or the IOException; null when none waits. */
    private final AtomicReference<Object> readResult = new AtomicReference<>();
    private final Runnable readArrived = this::readArrived;
    private boolean inputEnded;

    /** The piece the writer writes next, handed over by the loop; null when it has none. */
    private final AtomicReference<byte[]> toWrite = new AtomicReference<>();
    private final Semaphore writePermit = new Semaphore(0);
    /** The writer's result: the Long count written or the IOException; null while none waits. */
    private final AtomicReference<Object> writeResult = new AtomicReference<>();
    private final Runnable writeArrived = this::writeArrived;
    /** A piece is with the writer (loop thread only). */
    private boolean writing;
    /** flush(EV_WRITE, FINISHED) was asked: close the output once everything has left. */
    private boolean finishOutput;
    /** Asks the writer to close the output stream (a null piece with this set). */
    private volatile boolean closeOutputNow;
    private boolean outputClosed;

    private volatile boolean stopped;
    private final Event keepAlive;

    private StreamBufferevent(EventBase base, InputStream in, OutputStream out, int options) {
        super(base, options);
        this.in = in;
        this.out = out;
        this.keepAlive = Event.timer(base, (ev, what) -> ev.add(Duration.ofDays(1)));
        this.reader = in == null ? null : daemon(this::readLoop, "jevent-stream-reader");
        this.writer = out == null ? null : daemon(this::writeLoop, "jevent-stream-writer");
    }

    /**
     * {@code bufferevent_socket_new(base, fd, options)} for a descriptor the Selector cannot
     * watch: a bufferevent reading {@code in} and writing {@code out} (either may be null), each
     * on a thread of its own. As for a socket, EV_WRITE starts enabled and EV_READ does not.
     * {@link #BEV_OPT_CLOSE_ON_FREE} closes both streams on free. Must be called on the base's
     * loop thread.
     *
     * @param base the base whose loop runs the callbacks
     * @param in read on a daemon thread of its own and fed to the loop; null for none
     * @param out written on a daemon thread of its own from the output; null for none
     * @param options {@code BEV_OPT_*} flags, or-ed
     * @return the new bufferevent, its threads started
     * @throws IllegalArgumentException if both streams are null, or {@code options} has an
     *     unknown bit
     * @throws IllegalStateException if called off the base's loop thread
     */
    public static StreamBufferevent create(EventBase base, InputStream in, OutputStream out, int options) {
        if (in == null && out == null) {
            throw new IllegalArgumentException("neither an input nor an output stream");
        }
        StreamBufferevent b = new StreamBufferevent(base, in, out, options);
        if (b.reader != null) {
            b.reader.start();
        }
        if (b.writer != null) {
            b.writer.start();
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: over {}{}", b.logName(), in == null ? "no input" : in.getClass().getSimpleName(),
                    out == null ? ", no output" : " and " + out.getClass().getSimpleName());
        }
        return b;
    }

    private static Thread daemon(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------ the reader thread

    private void readLoop() {
        try {
            while (true) {
                readPermit.acquire();
                if (stopped) {
                    return;
                }
                Object result;
                try {
                    byte[] buf = new byte[readSize];
                    int n = in.read(buf);
                    result = n < 0 ? EOF : Arrays.copyOf(buf, n);
                } catch (IOException e) {
                    result = e;
                }
                if (stopped) {
                    return;
                }
                readResult.set(result);
                base.execute(readArrived);
                if (!(result instanceof byte[])) {
                    return; // end of stream or failure: nothing more to read
                }
            }
        } catch (InterruptedException | IllegalStateException stop) {
            // free() interrupted us, or the base was freed: nobody waits for our reads any more.
        }
    }

    /** Loop thread: the reader's result came (or a delivery was asked for: then the slot may be empty). */
    private void readArrived() {
        if (freed) {
            return;
        }
        if (readResult.get() != null) {
            readGranted = false; // a result means the permit was used
        }
        deliverRead();
        grantRead();
    }

    /** Moves a waiting read result into the input while reading runs; reports its end. */
    private void deliverRead() {
        if (!directions.readingActive()) {
            return; // kept until reading resumes
        }
        Object r = readResult.getAndSet(null);
        if (r == null) {
            return;
        }
        if (r instanceof byte[] chunk) {
            input.add(chunk);
            bytesRead += chunk.length;
            if (LOG.isTraceEnabled()) {
                LOG.trace("{}: read {} bytes, input {}", logName(), chunk.length, input.getLength());
            }
            timeouts.readProgress();
            if (input.getLength() >= wm.readLow) {
                callbacks.runRead(0);
            }
            return;
        }
        inputEnded = true;
        updateKeepAlive();
        disable(EV_READ);
        if (r == EOF) {
            end(BEV_EVENT_READING | BEV_EVENT_EOF, EndReason.EOF, 0);
        } else {
            fail(BEV_EVENT_READING, (IOException) r);
        }
    }

    /** Lets the reader read once more, if reading runs, there is room and no result waits. */
    private void grantRead() {
        if (reader == null || freed || inputEnded || readGranted || readResult.get() != null
                || !directions.readingActive() || wm.readRoom() == 0) {
            return;
        }
        long room = wm.readRoom();
        readSize = (int) Math.max(1, room < 0 ? rateLimiter.maxSingleRead : Math.min(room, rateLimiter.maxSingleRead));
        readGranted = true;
        readPermit.release();
    }

    // ------------------------------------------------------------------ the writer thread

    private void writeLoop() {
        try {
            while (true) {
                writePermit.acquire();
                if (stopped) {
                    return;
                }
                byte[] piece = toWrite.getAndSet(null);
                Object result;
                try {
                    if (piece != null) {
                        out.write(piece);
                        out.flush();
                        result = (long) piece.length;
                    } else if (closeOutputNow) {
                        out.close();
                        result = 0L;
                    } else {
                        continue;
                    }
                } catch (IOException e) {
                    result = e;
                }
                if (stopped) {
                    return;
                }
                writeResult.set(result);
                base.execute(writeArrived);
            }
        } catch (InterruptedException | IllegalStateException stop) {
            // free() interrupted us, or the base was freed.
        }
    }

    /** Loop thread: the writer finished a piece (or closing the output). */
    private void writeArrived() {
        if (freed) {
            return;
        }
        Object r = writeResult.getAndSet(null);
        writing = false;
        updateKeepAlive();
        if (r instanceof IOException e) {
            disable(EV_WRITE);
            fail(BEV_EVENT_WRITING, e);
            return;
        }
        long n = r == null ? 0 : (Long) r;
        bytesWritten += n;
        if (LOG.isTraceEnabled()) {
            LOG.trace("{}: wrote {} bytes, {} left", logName(), n, output.getLength());
        }
        timeouts.writeProgress();
        if (n > 0 && output.getLength() <= wm.writeLow) {
            callbacks.runWrite(0);
        }
        if (!freed) {
            handOver();
        }
    }

    /** Gives the writer its next piece, if it is idle and there is something (or the close) to give. */
    private void handOver() {
        if (writer == null || freed || writing || outputClosed) {
            return;
        }
        if (output.getLength() > 0 && directions.writingActive()) {
            byte[] piece = new byte[(int) Math.min(output.getLength(), Math.max(1, rateLimiter.maxSingleWrite))];
            output.remove(piece);
            toWrite.set(piece);
        } else if (finishOutput && output.getLength() == 0) {
            outputClosed = true;
            closeOutputNow = true;
        } else {
            return;
        }
        writing = true;
        updateKeepAlive();
        writePermit.release();
    }

    // ------------------------------------------------------------------ Bufferevent's transport hooks

    /** A read that waits is delivered from the loop's next turn, not inside the call that resumed reading. */
    @Override
    void startReading() {
        if (readResult.get() != null) {
            base.execute(readArrived);
        } else {
            grantRead();
        }
        updateKeepAlive();
    }

    @Override
    void stopReading() {
        updateKeepAlive(); // a read under way is kept until reading resumes
    }

    @Override
    void startWriting() {
        handOver();
    }

    @Override
    void stopWriting() {
        // The piece with the writer finishes; nothing more is handed over.
    }

    /** Something is still to be written while the output holds bytes or a piece is with the writer. */
    @Override
    boolean hasPendingOutput() {
        return output.getLength() > 0 || writing;
    }

    /**
     * {@code flush(EV_WRITE, FINISHED)}: closes the output stream once everything written so far
     * has left (the reader of a pipe or a child's stdin sees its end); other flushes have nothing
     * to push, the writer takes what it can as it can.
     */
    @Override
    int onFlush(int iotype, FlushMode mode) {
        if ((iotype & EV_WRITE) == 0 || mode != FlushMode.FINISHED || writer == null || outputClosed) {
            return 0;
        }
        finishOutput = true;
        handOver();
        return 1;
    }

    private void updateKeepAlive() {
        boolean needed = !freed && (writing || (reader != null && !inputEnded && directions.readingActive()));
        if (needed) {
            if (keepAlive.pending(Event.EV_TIMEOUT) == 0) {
                keepAlive.add(Duration.ofDays(1));
            }
        } else {
            keepAlive.del();
        }
    }

    @Override
    void onFree() {
        stopped = true;
        keepAlive.del();
        readPermit.release();
        writePermit.release();
        if (reader != null) {
            reader.interrupt(); // unblocks a read on an interruptible channel's stream
        }
        if ((options & BEV_OPT_CLOSE_ON_FREE) != 0) {
            closeQuietly(in);
            closeQuietly(out);
        }
    }

    private static void closeQuietly(Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException ignored) {
            // Closing is all that is left to do; there is nobody to tell.
        }
    }

    /** The reader thread, for tests that check free() stops it (null without an input stream). */
    Thread readerThread() {
        return reader;
    }
}
