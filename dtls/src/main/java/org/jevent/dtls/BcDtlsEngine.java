package org.jevent.dtls;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.bouncycastle.tls.DTLSTransport;
import org.jevent.eventbase.EventBase;

/**
 * {@link DtlsEngine} over bctls (PSK and ECDHE-PSK DTLS 1.2), whose DTLS API is blocking
 * ({@code DTLSServerProtocol.accept}, {@code DTLSClientProtocol.connect}).
 *
 * <p>The adapter: the handshake runs on a bounded pool thread, reading the datagrams that the
 * loop queues into a {@link BcQueueTransport}; a deadline bounds how long a stalled peer can hold
 * that thread (bctls' own handshake timeout and the transport's). When the handshake returns, the
 * {@link DTLSTransport} is handed to the loop ({@link EventBase#execute}), and from then on the
 * loop thread calls {@code DTLSTransport.receive}/{@code send} itself, with a transport whose
 * receive never waits; bctls answers a peer's retransmitted last flight with its own from inside
 * that receive, so a lost final flight is repaired without any thread. bctls times its handshake
 * retransmissions itself, so {@link #needsRetransmitTimer()} is false.
 *
 * <p>Threads: at most the pool's size, only for handshakes in progress; an established session
 * holds none.
 *
 * <p>Invariant: {@code transport} is non-null iff status is ESTABLISHED or CLOSED after an
 * established session, and is touched only by the loop thread; the pool thread touches only the
 * bctls protocol objects and {@link BcQueueTransport}. Listener calls happen on the loop thread.
 */
public final class BcDtlsEngine extends AbstractDtlsEngine {
    /** Runs a blocking bctls handshake and returns its transport. */
    @FunctionalInterface
    interface Handshake {
        DTLSTransport run(BcQueueTransport transport) throws IOException;
    }

    private final EventBase base;
    private final BcQueueTransport queue;
    private final Executor pool;
    private final Handshake handshake;
    private final byte[] plain;
    private final BcPskDtls.Peer peer;
    private DTLSTransport transport;
    private long decryptFailures;
    private boolean freed;

    BcDtlsEngine(EventBase base, Listener listener, Executor pool, int mtu, int queueCapacity, long deadlineNanos,
            BcPskDtls.Peer peer, Handshake handshake) {
        super(listener);
        this.base = base;
        this.pool = pool;
        this.peer = peer;
        this.handshake = handshake;
        this.plain = new byte[mtu];
        this.queue = new BcQueueTransport(base, d -> {
            if (!freed) {
                listener.sendDatagram(d);
            }
        }, queueCapacity, mtu, deadlineNanos);
    }

    /** The server's verified ClientHello travels inside the DTLSRequest, so nothing is queued here. */
    @Override
    public void start() {
        base.checkInLoopThread();
        try {
            pool.execute(this::runHandshake);
        } catch (RejectedExecutionException e) {
            fail(new IOException("DTLS handshake pool is full", e));
        }
    }

    private void runHandshake() {
        Runnable outcome;
        try {
            DTLSTransport t = handshake.run(queue);
            outcome = () -> handshakeDone(t);
        } catch (Throwable e) {
            outcome = () -> fail(e);
        }
        BcQueueTransport.post(base, outcome);
    }

    private void handshakeDone(DTLSTransport t) {
        if (status != Status.HANDSHAKING) {
            closeQuietly(t);
            return;
        }
        transport = t;
        queue.switchToLoop();
        try {
            maxPlaintext = t.getSendLimit();
        } catch (IOException e) {
            fail(e);
            return;
        }
        status = Status.ESTABLISHED;
        listener.handshakeCompleted();
        drain(); // datagrams that arrived while the pool thread handed over
    }

    @Override
    public void receive(ByteBuffer datagram) {
        base.checkInLoopThread();
        if (status == Status.CLOSED || status == Status.FAILED) {
            datagram.position(datagram.limit());
            return;
        }
        queue.offer(datagram);
        if (status == Status.ESTABLISHED) {
            drain();
        }
    }

    /** Loop thread: feeds bctls every queued datagram; never waits. */
    private void drain() {
        while (status == Status.ESTABLISHED) {
            int n;
            try {
                // Any positive wait: 0 means "forever" to bctls. Our transport never waits anyway.
                n = transport.receive(plain, 0, plain.length, 1);
            } catch (InterruptedIOException wouldBlock) {
                break;
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (n >= 0) {
                listener.received(ByteBuffer.wrap(plain, 0, n));
            } else if (!peer.closeNotifyReceived) {
                decryptFailures++; // replayed, unauthenticated or stale record: dropped by bctls
            }
        }
        if (peer.closeNotifyReceived && status == Status.ESTABLISHED) {
            // bctls has answered with its own close_notify already (RFC 5246 §7.2.1).
            status = Status.CLOSED;
            listener.closed(null);
        }
    }

    @Override
    public boolean send(ByteBuffer plaintext) {
        base.checkInLoopThread();
        if (status != Status.ESTABLISHED) {
            return false;
        }
        int len = plaintext.remaining();
        checkFits(len);
        byte[] b;
        int off;
        if (plaintext.hasArray()) {
            b = plaintext.array();
            off = plaintext.arrayOffset() + plaintext.position();
        } else {
            b = plain;
            off = 0;
            plaintext.duplicate().get(b, 0, len);
        }
        try {
            transport.send(b, off, len);
        } catch (IOException e) {
            fail(e);
            return false;
        }
        plaintext.position(plaintext.limit());
        return true;
    }

    @Override
    public void onRetransmitTimeout() {
        // bctls retransmits on its own timers (handshake thread) and from receive (final flight).
    }

    @Override
    public boolean needsRetransmitTimer() {
        return false;
    }

    @Override
    public String cipherSuite() {
        return peer.cipherSuiteName;
    }

    /** @return records that failed authentication and were dropped (bctls returns -1 for them) */
    public long decryptFailures() {
        return decryptFailures;
    }

    @Override
    public void close() {
        if (status == Status.CLOSED || status == Status.FAILED) {
            return;
        }
        boolean established = status == Status.ESTABLISHED;
        status = Status.CLOSED;
        if (established) {
            closeQuietly(transport); // close_notify, sent from this (loop) thread
        } else {
            queue.close(); // the handshake thread fails out of its next receive
        }
    }

    @Override
    public void free() {
        freed = true;
        if (status != Status.FAILED) {
            status = Status.CLOSED;
        }
        queue.close();
    }

    private static void closeQuietly(DTLSTransport t) {
        try {
            t.close();
        } catch (IOException e) {
            // The session ends either way; the peer may miss our close_notify, as on any loss.
        }
    }

    private void fail(Throwable e) {
        if (status == Status.FAILED || status == Status.CLOSED) {
            return;
        }
        status = Status.FAILED;
        failure = e;
        queue.close();
        listener.closed(e);
    }

    @Override
    public String toString() {
        return "BcDtlsEngine[" + status + "]";
    }
}
