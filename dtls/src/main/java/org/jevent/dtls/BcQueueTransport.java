package org.jevent.dtls;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.TlsFatalAlert;
import org.jevent.eventbase.EventBase;

/**
 * The {@link DatagramTransport} under one bctls session: the loop thread {@link #offer}s the
 * peer's datagrams into a bounded queue, and bctls reads them with {@link #receive}.
 *
 * <p>Two modes. While the handshake runs on a pool thread, {@code receive} waits on the queue for
 * at most bctls' own wait and never past the handshake deadline, and fails at once once the
 * session is closed, so a stalled or vanished peer frees its thread by the deadline. After the
 * handshake the loop thread calls bctls itself; then {@code receive} never waits: on an empty
 * queue it throws {@link #WOULD_BLOCK}, an {@link InterruptedIOException} that bctls'
 * {@code DTLSTransport.receive} passes through without failing the connection (any other
 * exception, and bctls' own "0 means wait forever", would fail or block). Sends from the loop
 * thread go straight to the listener; sends from the handshake thread are copied and hopped onto
 * the loop.
 *
 * <p>Invariant: the queue holds at most {@code capacity} datagrams (more are dropped, as the
 * network may); after {@link #close()} nothing is delivered either way.
 */
final class BcQueueTransport implements DatagramTransport {
    /** Thrown by a non-blocking receive on an empty queue; shared, without a stack trace. */
    static final InterruptedIOException WOULD_BLOCK = new InterruptedIOException("no datagram queued") {
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    /** Where datagrams for the peer go, on the loop thread. */
    interface Sink {
        void send(ByteBuffer datagram);
    }

    private final EventBase base;
    private final Sink sink;
    private final ArrayBlockingQueue<byte[]> inbound;
    private final int mtu;
    private final long deadlineNanos;
    private volatile boolean loopMode;
    private volatile boolean closed;
    private long dropped;

    BcQueueTransport(EventBase base, Sink sink, int capacity, int mtu, long deadlineNanos) {
        this.base = base;
        this.sink = sink;
        this.inbound = new ArrayBlockingQueue<>(capacity);
        this.mtu = mtu;
        this.deadlineNanos = deadlineNanos;
    }

    /** Loop thread: queues a copy of the datagram; false if the queue was full. */
    boolean offer(ByteBuffer datagram) {
        byte[] copy = new byte[datagram.remaining()];
        datagram.get(copy);
        if (closed || !inbound.offer(copy)) {
            dropped++;
            return false;
        }
        return true;
    }

    /** From now on the loop thread calls bctls: receive never waits. */
    void switchToLoop() {
        loopMode = true;
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
        byte[] d;
        if (loopMode) {
            // Closed or empty alike: nothing to read now, and bctls must not fail the session for it
            // (after the peer's close_notify bctls closes us and then reads once more).
            d = inbound.poll();
            if (d == null) {
                throw WOULD_BLOCK;
            }
        } else {
            if (closed) {
                throw new TlsFatalAlert(AlertDescription.internal_error, "session closed");
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new TlsFatalAlert(AlertDescription.internal_error, "handshake deadline passed");
            }
            long wait = waitMillis <= 0 ? left : Math.min(left, TimeUnit.MILLISECONDS.toNanos(waitMillis));
            try {
                d = inbound.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TlsFatalAlert(AlertDescription.internal_error, "handshake thread interrupted");
            }
            if (d == null) {
                if (closed || System.nanoTime() - deadlineNanos >= 0) {
                    throw new TlsFatalAlert(AlertDescription.internal_error,
                            closed ? "session closed" : "handshake deadline passed");
                }
                return -1; // bctls' retransmission timer: it resends its flight and waits again
            }
        }
        int n = Math.min(len, d.length);
        System.arraycopy(d, 0, buf, off, n);
        return n;
    }

    @Override
    public void send(byte[] buf, int off, int len) {
        if (closed) {
            return;
        }
        if (base.isInLoopThread()) {
            sink.send(ByteBuffer.wrap(buf, off, len));
        } else {
            // Decided now, not when the task runs: bctls closes us right after queueing a fatal
            // alert, and that alert must still go out.
            ByteBuffer copy = ByteBuffer.wrap(java.util.Arrays.copyOfRange(buf, off, off + len));
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

    @Override
    public void close() {
        closed = true;
        inbound.clear();
    }
}
