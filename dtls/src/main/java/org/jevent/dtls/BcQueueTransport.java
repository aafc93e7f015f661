package org.jevent.dtls;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.TlsFatalAlert;
import org.jevent.eventbase.EventBase;

/**
 * The {@link DatagramTransport} under one bctls session.
 *
 * <p>Two modes. While the handshake runs on a pool thread, the loop thread {@link #offer}s the
 * peer's datagrams (copies) into a bounded queue and {@code receive} waits on it for at most
 * bctls' own wait and never past the handshake deadline. The deadline starts when the handshake
 * thread calls {@link #begin()}, not when the session was made: time spent waiting for a pool
 * thread does not eat into the handshake. Once past the deadline, or once the session is
 * {@link #close()}d (which wakes a waiting thread at once), {@code receive} throws, so a stalled
 * or vanished peer frees its thread by the deadline whatever bctls' own timers say.
 *
 * <p>After the handshake the loop thread calls bctls itself ({@link #switchToLoop()}): it
 * {@link #feed}s one record at a time and {@code receive} hands it over once, then throws
 * {@link #WOULD_BLOCK}, an {@link InterruptedIOException} that bctls' {@code DTLSTransport.receive}
 * passes through without failing the connection (any other exception, and bctls' own "0 means
 * wait forever", would fail or block). Nothing is copied or queued in this mode.
 *
 * <p>Sends from the loop thread go straight to the sink; sends from the handshake thread are
 * copied and hopped onto the loop, decided at the call (bctls closes us right after queueing a
 * fatal alert, and that alert must still go out).
 *
 * <p>Invariant: {@code inbound} holds at most its capacity (more are dropped, as the network
 * may) and is null in loop mode; {@code current} is non-null only in loop mode, between a
 * {@code feed} and the {@code receive} that takes it; after {@code close()} nothing is delivered
 * either way.
 */
final class BcQueueTransport implements DatagramTransport {
    /** Thrown by a loop-mode receive with nothing fed; shared, without a stack trace. */
    static final InterruptedIOException WOULD_BLOCK = new InterruptedIOException("no datagram queued") {
        private static final long serialVersionUID = 1L;

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    /** Put into the queue by close(): wakes a handshake thread waiting in receive. */
    private static final byte[] CLOSED_MARK = new byte[0];

    /** Where datagrams for the peer go, on the loop thread. */
    interface Sink {
        void send(ByteBuffer datagram);
    }

    private final EventBase base;
    private final Sink sink;
    private final int mtu;
    private final long timeoutNanos;
    /** {@code System::nanoTime}; a test's own clock makes the deadline exact. */
    private final LongSupplier clock;
    private volatile ArrayBlockingQueue<byte[]> inbound;
    private volatile long deadlineNanos;
    private volatile boolean begun;
    private volatile boolean loopMode;
    private volatile boolean closed;
    private ByteBuffer current;
    private long dropped;

    BcQueueTransport(EventBase base, Sink sink, int capacity, int mtu, long timeoutNanos) {
        this(base, sink, capacity, mtu, timeoutNanos, System::nanoTime);
    }

    BcQueueTransport(EventBase base, Sink sink, int capacity, int mtu, long timeoutNanos, LongSupplier clock) {
        this.clock = clock;
        this.base = base;
        this.sink = sink;
        this.inbound = new ArrayBlockingQueue<>(capacity);
        this.mtu = mtu;
        this.timeoutNanos = timeoutNanos;
    }

    /** Handshake thread, before bctls starts: the deadline runs from now. */
    void begin() {
        deadlineNanos = clock.getAsLong() + timeoutNanos;
        begun = true;
    }

    /** @return whether {@link #close()} was called */
    boolean isClosed() {
        return closed;
    }

    /** Loop thread, during the handshake: queues a copy of the datagram; false if dropped. */
    boolean offer(ByteBuffer datagram) {
        ArrayBlockingQueue<byte[]> q = inbound;
        byte[] copy = new byte[datagram.remaining()];
        datagram.get(copy);
        if (closed || q == null || !q.offer(copy)) {
            dropped++;
            return false;
        }
        return true;
    }

    /**
     * Loop thread, once the handshake returned: from now on receive never waits. Returns what
     * the queue still held (datagrams that arrived while the handshake thread handed over), in
     * order, and releases the queue.
     */
    byte[][] switchToLoop() {
        loopMode = true;
        ArrayBlockingQueue<byte[]> q = inbound;
        inbound = null;
        if (q == null) {
            return new byte[0][];
        }
        byte[][] left = q.toArray(new byte[0][]);
        q.clear();
        return left;
    }

    /** Loop mode: the next receive returns {@code record}'s bytes (position..limit), once. */
    void feed(ByteBuffer record) {
        current = record;
    }

    long dropped() {
        return dropped;
    }

    @Override
    public int getReceiveLimit() {
        return mtu;
    }

    @Override
    public int getSendLimit() {
        return mtu;
    }

    @Override
    public int receive(byte[] buf, int off, int len, int waitMillis) throws IOException {
        if (loopMode) {
            // Closed or nothing fed alike: nothing to read now, and bctls must not fail the session
            // for it (after the peer's close_notify bctls closes us and then reads once more).
            ByteBuffer d = current;
            if (d == null || closed) {
                throw WOULD_BLOCK;
            }
            current = null;
            int n = Math.min(len, d.remaining());
            d.get(d.position(), buf, off, n);
            return n;
        }
        return receiveDuringHandshake(buf, off, len, waitMillis);
    }

    private int receiveDuringHandshake(byte[] buf, int off, int len, int waitMillis) throws IOException {
        ArrayBlockingQueue<byte[]> q = inbound;
        if (closed || q == null) {
            throw new TlsFatalAlert(AlertDescription.user_canceled, "session closed");
        }
        if (!begun) {
            throw new IllegalStateException("receive before begin(): the deadline would not run");
        }
        long left = deadlineNanos - clock.getAsLong();
        if (left <= 0) {
            throw deadlinePassed();
        }
        long wait = waitMillis <= 0 ? left : Math.min(left, TimeUnit.MILLISECONDS.toNanos(waitMillis));
        byte[] d;
        try {
            d = q.poll(wait, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TlsFatalAlert(AlertDescription.internal_error, "handshake thread interrupted");
        }
        if (d == CLOSED_MARK || closed) {
            throw new TlsFatalAlert(AlertDescription.user_canceled, "session closed");
        }
        if (d == null) {
            if (clock.getAsLong() - deadlineNanos >= 0) {
                throw deadlinePassed();
            }
            return -1; // bctls' retransmission timer: it resends its flight and waits again
        }
        int n = Math.min(len, d.length);
        System.arraycopy(d, 0, buf, off, n);
        return n;
    }

    private DtlsHandshakeTimeoutException deadlinePassed() {
        return DtlsHandshakeTimeoutException.after(TimeUnit.NANOSECONDS.toMillis(timeoutNanos), "handshake thread deadline");
    }

    @Override
    public void send(byte[] buf, int off, int len) {
        if (closed) {
            return;
        }
        if (base.isInLoopThread()) {
            sink.send(ByteBuffer.wrap(buf, off, len));
        } else {
            ByteBuffer copy = ByteBuffer.wrap(Arrays.copyOfRange(buf, off, off + len));
            post(base, () -> sink.send(copy));
        }
    }

    /** Hops onto the loop; a loop already freed (server gone) has no one left to tell. */
    static void post(EventBase base, Runnable task) {
        try {
            base.execute(task);
        } catch (IllegalStateException freed) {
            // The base was freed while a handshake thread finished: the session is gone with it.
        }
    }

    /** Any thread: nothing more in or out; a handshake thread waiting in receive wakes and fails now. */
    @Override
    public void close() {
        closed = true;
        current = null;
        ArrayBlockingQueue<byte[]> q = inbound;
        if (q != null) {
            q.clear();
            q.offer(CLOSED_MARK);
        }
    }
}
