package org.jevent.dtls;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.DTLSRecordCallback;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.TlsTimeoutException;
import org.jevent.eventbase.EventBase;

/**
 * {@link DtlsEngine} over bctls (PSK and ECDHE-PSK DTLS 1.2), whose DTLS API is blocking
 * ({@code DTLSServerProtocol.accept}, {@code DTLSClientProtocol.connect}).
 *
 * <p>The adapter: the handshake runs on a bounded pool thread, reading the datagrams that the
 * loop queues into a {@link BcQueueTransport}; its deadline starts when the thread takes the
 * handshake up ({@link Listener#handshakeStarted()} tells the session so), and the transport
 * never lets a stalled peer hold the thread past it. When the handshake returns, the {@link
 * DTLSTransport} is handed to the loop ({@link EventBase#execute}), and from then on the loop
 * thread calls {@code DTLSTransport.receive}/{@code send} itself, feeding one record at a time to
 * a transport that never waits; bctls answers a peer's retransmitted last flight with its own
 * from inside that receive, so a lost final flight is repaired without any thread. bctls times
 * its handshake retransmissions itself, so {@link #needsRetransmitTimer()} is false.
 *
 * <p>Dropped records: bctls discards replays and records that fail authentication silently;
 * its record callback says which records it accepted. Feeding records one by one tells which
 * were refused, and a shadow {@link ReplayWindow} (marked with accepted application records
 * only) tells a replay from a forgery, for the counters.
 *
 * <p>Threads: at most the pool's size, only for handshakes in progress; an established session
 * holds none. Buffers for decrypted and outgoing plaintext are per loop thread, shared by every
 * session on it.
 *
 * <p>Invariant: {@code transport} is non-null iff the handshake completed and the engine was not
 * freed, and is touched only by the loop thread; the pool thread touches only the bctls protocol
 * objects and {@link BcQueueTransport}. Listener calls happen on the loop thread, none after the
 * status became CLOSED or FAILED except the one {@code closed} of that transition.
 */
final class BcDtlsEngine extends AbstractDtlsEngine implements DTLSRecordCallback {
    /** Runs a blocking bctls handshake and returns its transport. */
    @FunctionalInterface
    interface Handshake {
        DTLSTransport run(BcQueueTransport transport) throws IOException;
    }

    /** Per loop thread: decrypted plaintext, and outgoing plaintext that is not in an array. */
    private static final class Scratch {
        final byte[] in = new byte[16_384];
        final ByteBuffer inView = ByteBuffer.wrap(in);
        final byte[] out = new byte[16_384];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final EventBase base;
    private final BcQueueTransport queue;
    private final Executor pool;
    private final Handshake handshake;
    private final BcPskDtls.Peer peer;
    private final long timeoutMillis;
    private DTLSTransport transport;
    private ReplayWindow shadow;
    private boolean accepted;
    private boolean freed;

    BcDtlsEngine(EventBase base, Listener listener, Executor pool, int mtu, int queueCapacity, long timeoutNanos,
            BcPskDtls.Peer peer, Handshake handshake) {
        super(listener);
        this.base = base;
        this.pool = pool;
        this.peer = peer;
        this.handshake = handshake;
        this.timeoutMillis = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
        this.queue = new BcQueueTransport(base, d -> {
            if (!freed) {
                listener.sendDatagram(d);
            }
        }, queueCapacity, mtu, timeoutNanos);
    }

    /** The server's verified ClientHello travels inside the DTLSRequest, so nothing is queued here. */
    @Override
    public void start() {
        base.checkInLoopThread();
        try {
            pool.execute(this::runHandshake);
        } catch (RejectedExecutionException e) {
            fail(new IOException("DTLS handshake pool is full: every thread busy and the backlog full", e));
        }
    }

    /** Handshake thread. */
    private void runHandshake() {
        if (queue.isClosed()) {
            return; // freed while waiting for a thread: nothing to do, nobody to tell
        }
        queue.begin();
        BcQueueTransport.post(base, this::handshakeStartedOnLoop);
        Runnable outcome;
        try {
            DTLSTransport t = handshake.run(queue);
            outcome = () -> handshakeDone(t);
        } catch (Throwable e) {
            Throwable reported = e instanceof TlsTimeoutException
                    ? DtlsHandshakeTimeoutException.after(timeoutMillis, "bctls: " + e.getMessage()) : e;
            outcome = () -> fail(reported);
        }
        BcQueueTransport.post(base, outcome);
    }

    private void handshakeStartedOnLoop() {
        if (status == Status.HANDSHAKING && !freed) {
            listener.handshakeStarted();
        }
    }

    private void handshakeDone(DTLSTransport t) {
        if (status != Status.HANDSHAKING || freed) {
            closeQuietly(t);
            return;
        }
        transport = t;
        byte[][] early = queue.switchToLoop();
        try {
            maxPlaintext = t.getSendLimit();
        } catch (IOException e) {
            fail(e);
            return;
        }
        status = Status.ESTABLISHED;
        shadow = new ReplayWindow();
        listener.handshakeCompleted();
        for (int i = 0; i < early.length && status == Status.ESTABLISHED; i++) {
            receiveRecords(ByteBuffer.wrap(early[i]));
        }
    }

    @Override
    public void receive(ByteBuffer datagram) {
        base.checkInLoopThread();
        if (isOver()) {
            datagram.position(datagram.limit());
            return;
        }
        if (status == Status.ESTABLISHED) {
            receiveRecords(datagram);
        } else {
            queue.offer(datagram);
        }
    }

    /** Loop thread, established: record by record through bctls, counting what it refuses. */
    private void receiveRecords(ByteBuffer datagram) {
        int end = datagram.limit();
        int p = datagram.position();
        while (p < end && status == Status.ESTABLISHED) {
            int next = DtlsRecords.next(datagram, p, end);
            if (next < 0) {
                unauthenticatedDropped++; // truncated: nothing after it can be framed either
                break;
            }
            int type = DtlsRecords.type(datagram, p);
            boolean app = type == DtlsRecords.APPLICATION_DATA;
            int epoch = app ? DtlsRecords.epoch(datagram, p) : 0;
            long seq = app ? DtlsRecords.sequence(datagram, p) : 0;
            if (type < DtlsRecords.CHANGE_CIPHER_SPEC || type > DtlsRecords.APPLICATION_DATA) {
                unauthenticatedDropped++;
            } else if (app && shadow.isReplay(epoch, seq)) {
                replaysDropped++; // bctls' own window would drop it as well
            } else {
                datagram.limit(next).position(p);
                accepted = false;
                queue.feed(datagram);
                drain();
                datagram.limit(end);
                if (freed) {
                    // The read callback freed the session (free() or shutdown()): the window is gone.
                    break;
                }
                if (app) {
                    if (accepted) {
                        shadow.mark(epoch, seq);
                    } else {
                        unauthenticatedDropped++;
                    }
                }
            }
            p = next;
        }
        datagram.limit(end).position(end);
        queue.feed(null);
    }

    /** bctls accepted the record fed (it passed the replay window and authenticated). */
    @Override
    public void recordAccepted(int flags) {
        accepted = true;
    }

    /** Loop thread: lets bctls process what was fed; never waits. */
    private void drain() {
        Scratch s = SCRATCH.get();
        while (status == Status.ESTABLISHED) {
            int n;
            try {
                // Any positive wait: 0 means "forever" to bctls. Our transport never waits anyway.
                n = transport.receive(s.in, 0, s.in.length, 1, this);
            } catch (InterruptedIOException wouldBlock) {
                break;
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (n >= 0) {
                s.inView.limit(n).position(0);
                listener.received(s.inView);
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
            b = SCRATCH.get().out;
            off = 0;
            plaintext.get(plaintext.position(), b, 0, len);
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

    /** @return datagrams dropped because the handshake queue was full */
    long handshakeQueueDropped() {
        return queue.dropped();
    }

    @Override
    public void close() {
        if (isOver()) {
            return;
        }
        boolean established = status == Status.ESTABLISHED;
        status = Status.CLOSED;
        if (established) {
            closeQuietly(transport); // close_notify, sent from this (loop) thread
            transport = null;
        }
        queue.close(); // a handshake thread fails out of its next (or current) receive
    }

    @Override
    public void free() {
        freed = true;
        if (status != Status.FAILED) {
            status = Status.CLOSED;
        }
        transport = null;
        shadow = null;
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
        if (isOver() || freed) {
            return;
        }
        status = Status.FAILED;
        failure = e;
        transport = null;
        queue.close();
        listener.closed(e);
    }

    @Override
    public String toString() {
        return "BcDtlsEngine[" + status + "]";
    }
}
