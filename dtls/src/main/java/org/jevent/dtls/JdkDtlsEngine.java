package org.jevent.dtls;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * {@link DtlsEngine} over the JDK's DTLS {@link SSLEngine} (DTLS 1.2, certificates), driven
 * entirely on the loop thread.
 *
 * <p>Driving rules (measured in shared/reference 2.1 and here): one {@code wrap} is one datagram,
 * the maximum packet size is set to the MTU so handshake messages are fragmented to it; besides
 * NEED_TASK (run inline: the JDK's tasks are the handshake's public-key work) the engine asks for
 * NEED_UNWRAP_AGAIN when it buffered records of a datagram (unwrap again with an empty source);
 * NEED_WRAP may come at any time, also after the handshake (the server answers a client's
 * retransmitted last flight with its own), so {@link #pump()} runs after every unwrap.
 * Retransmission is the session's timer calling {@link #onRetransmitTimeout()}: a wrap while the
 * engine waits for the peer makes the JDK resend its last flight.
 *
 * <p>Replay: the JDK has no anti-replay window for application records (its input record only
 * orders handshake messages); after the handshake each record passes our {@link ReplayWindow}
 * first.
 *
 * <p>Buffers: heap (the JDK's faster path, reference 1.3), per thread, shared by every engine on
 * that thread: an idle session holds no I/O buffer of its own.
 *
 * <p>Invariant: {@code status} moves HANDSHAKING → ESTABLISHED → CLOSED, or to FAILED from any
 * state; the listener's {@code handshakeCompleted} and {@code closed} are each called at most once,
 * in that order. Loop thread only.
 */
public final class JdkDtlsEngine extends AbstractDtlsEngine {
    private static final int MAX_STEPS = 64;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int CONTENT_APPLICATION_DATA = 23;

    /** Per-thread heap buffers, sized for the largest DTLS record the JDK produces. */
    private static final class Scratch {
        final ByteBuffer net = ByteBuffer.allocate(17 * 1024);
        final ByteBuffer app = ByteBuffer.allocate(17 * 1024);
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final SSLEngine engine;
    private final int maxPacketSize;
    private ByteBuffer firstDatagram;
    private final ReplayWindow replay = new ReplayWindow();
    private long replaysDropped;

    /**
     * @param engine a configured engine (role, protocols, maximum packet size); for a server,
     *     already primed by {@link JdkCookieScheme} with the cookie-less first ClientHello
     * @param listener receives output
     * @param maxPacketSize the MTU the engine was configured with
     * @param firstDatagram for a server, a copy of the verified ClientHello datagram; null for a client
     */
    JdkDtlsEngine(SSLEngine engine, Listener listener, int maxPacketSize, ByteBuffer firstDatagram) {
        super(listener);
        this.engine = engine;
        this.maxPacketSize = maxPacketSize;
        this.firstDatagram = firstDatagram;
    }

    @Override
    public void start() {
        try {
            if (engine.getUseClientMode()) {
                engine.beginHandshake();
                pump();
            } else {
                ByteBuffer hello = firstDatagram;
                firstDatagram = null;
                receive(hello);
            }
        } catch (SSLException e) {
            fail(e);
        }
    }

    @Override
    public void receive(ByteBuffer datagram) {
        if (status == Status.FAILED || status == Status.CLOSED) {
            datagram.position(datagram.limit());
            return;
        }
        try {
            if (status == Status.ESTABLISHED) {
                receiveRecords(datagram);
            } else {
                unwrapWhole(datagram);
            }
            pump();
        } catch (SSLException e) {
            datagram.position(datagram.limit());
            fail(e);
        }
    }

    /** Handshake: the JDK takes the datagram whole and keeps extra records for NEED_UNWRAP_AGAIN. */
    private void unwrapWhole(ByteBuffer datagram) throws SSLException {
        Scratch s = SCRATCH.get();
        for (int i = 0; i < MAX_STEPS && datagram.hasRemaining() && status != Status.FAILED; i++) {
            s.app.clear();
            SSLEngineResult r = engine.unwrap(datagram, s.app);
            afterUnwrap(r, s);
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
        datagram.position(datagram.limit());
    }

    /**
     * After the handshake: record by record, so that application records pass our replay window
     * (the JDK has none) and are marked only once the engine has authenticated them.
     */
    private void receiveRecords(ByteBuffer datagram) throws SSLException {
        Scratch s = SCRATCH.get();
        int end = datagram.limit();
        int p = datagram.position();
        while (p + DtlsRecordOverhead.RECORD_HEADER <= end && status == Status.ESTABLISHED) {
            int type = datagram.get(p) & 0xFF;
            int epoch = ((datagram.get(p + 3) & 0xFF) << 8) | (datagram.get(p + 4) & 0xFF);
            long seq = 0;
            for (int i = 5; i < 11; i++) {
                seq = (seq << 8) | (datagram.get(p + i) & 0xFF);
            }
            int next = p + DtlsRecordOverhead.RECORD_HEADER + (((datagram.get(p + 11) & 0xFF) << 8) | (datagram.get(p + 12) & 0xFF));
            if (next > end) {
                break; // truncated record: nothing after it can be framed either
            }
            if (type == CONTENT_APPLICATION_DATA && replay.isReplay(epoch, seq)) {
                replaysDropped++;
            } else {
                datagram.limit(next).position(p);
                s.app.clear();
                SSLEngineResult r = engine.unwrap(datagram, s.app);
                if (type == CONTENT_APPLICATION_DATA && r.bytesProduced() > 0) {
                    replay.mark(epoch, seq);
                }
                afterUnwrap(r, s);
                datagram.limit(end);
            }
            p = next;
        }
        datagram.limit(end).position(end);
    }

    private void afterUnwrap(SSLEngineResult r, Scratch s) {
        if (r.bytesProduced() > 0 && status == Status.ESTABLISHED) {
            s.app.flip();
            listener.received(s.app);
        }
        if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
            established();
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED && status != Status.CLOSED) {
            // The peer's close_notify: the JDK answers with ours on the next wrap (duplex close).
            status = Status.CLOSED;
            flushWraps(s);
            listener.closed(null);
        }
    }

    /** Runs tasks, buffered unwraps and wraps until the engine waits for the peer. */
    private void pump() throws SSLException {
        Scratch s = SCRATCH.get();
        for (int i = 0; i < MAX_STEPS && status != Status.FAILED; i++) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            switch (hs) {
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                }
                case NEED_UNWRAP_AGAIN -> {
                    s.app.clear();
                    afterUnwrap(engine.unwrap(EMPTY, s.app), s);
                }
                case NEED_WRAP -> {
                    s.net.clear();
                    SSLEngineResult r = engine.wrap(EMPTY, s.net);
                    emit(s.net);
                    if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                        established();
                    }
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        return;
                    }
                }
                default -> {
                    // NEED_UNWRAP: waiting for the peer; NOT_HANDSHAKING: nothing to do.
                    if (hs == HandshakeStatus.NOT_HANDSHAKING && status == Status.HANDSHAKING) {
                        established();
                    }
                    return;
                }
            }
        }
    }

    private void emit(ByteBuffer net) {
        net.flip();
        if (net.hasRemaining()) {
            listener.sendDatagram(net);
        }
    }

    private void established() {
        if (status != Status.HANDSHAKING) {
            return;
        }
        status = Status.ESTABLISHED;
        maxPlaintext = computeMaxPlaintext();
        listener.handshakeCompleted();
    }

    /**
     * The largest message that still fits one datagram of {@code maxPacketSize}. The JDK's
     * session reports only the 16 KiB record limit, and its wrap would split a longer message
     * into several records, so the room is computed from the suite.
     */
    private int computeMaxPlaintext() {
        return DtlsRecordOverhead.maxPlaintext(engine.getSession().getCipherSuite(), maxPacketSize);
    }

    @Override
    public boolean send(ByteBuffer plaintext) {
        if (status != Status.ESTABLISHED) {
            return false;
        }
        checkFits(plaintext.remaining());
        Scratch s = SCRATCH.get();
        s.net.clear();
        try {
            engine.wrap(plaintext, s.net);
        } catch (SSLException e) {
            fail(e);
            return false;
        }
        emit(s.net);
        return true;
    }

    @Override
    public void onRetransmitTimeout() {
        if (status != Status.HANDSHAKING || engine.getHandshakeStatus() != HandshakeStatus.NEED_UNWRAP) {
            return;
        }
        // A wrap while the engine waits for the peer makes the JDK relaunch its last flight; it
        // then asks for NEED_WRAP until the whole flight is out, which pump() follows. Wrapping
        // on regardless would relaunch the flight again on every call.
        Scratch s = SCRATCH.get();
        try {
            s.net.clear();
            engine.wrap(EMPTY, s.net);
            emit(s.net);
            pump();
        } catch (SSLException e) {
            fail(e);
        }
    }

    /** @return application records dropped by our replay window */
    public long replaysDropped() {
        return replaysDropped;
    }

    @Override
    public boolean needsRetransmitTimer() {
        return true;
    }

    @Override
    public String cipherSuite() {
        return status == Status.HANDSHAKING ? null : engine.getSession().getCipherSuite();
    }

    @Override
    public void close() {
        if (status == Status.CLOSED || status == Status.FAILED) {
            return;
        }
        boolean wasEstablished = status == Status.ESTABLISHED;
        status = Status.CLOSED;
        engine.closeOutbound();
        if (wasEstablished) {
            flushWraps(SCRATCH.get());
        }
    }

    /** Wraps until the engine has nothing more (close_notify, alerts). */
    private void flushWraps(Scratch s) {
        try {
            for (int i = 0; i < MAX_STEPS; i++) {
                s.net.clear();
                SSLEngineResult r = engine.wrap(EMPTY, s.net);
                emit(s.net);
                if (r.bytesProduced() == 0) {
                    break;
                }
            }
        } catch (SSLException e) {
            // Closing anyway: nothing more can be said to the peer.
        }
    }

    @Override
    public void free() {
        if (status != Status.FAILED) {
            status = Status.CLOSED;
        }
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (SSLException e) {
            // Expected without the peer's close_notify.
        }
    }

    private void fail(Throwable e) {
        if (status == Status.FAILED) {
            return;
        }
        status = Status.FAILED;
        failure = e;
        flushWraps(SCRATCH.get()); // the alert, if the engine has one
        listener.closed(e);
    }

    @Override
    public String toString() {
        return "JdkDtlsEngine[" + (engine.getUseClientMode() ? "client" : "server") + ", " + status + "]";
    }
}
