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
 * <p>Driving rules (measured in shared/reference 2.1 and the lab): one {@code wrap} is one
 * datagram, the maximum packet size is the MTU so handshake messages are fragmented to it;
 * besides NEED_TASK (run inline: the JDK's tasks are the handshake's public-key work) the engine
 * asks for NEED_UNWRAP_AGAIN when it buffered records of a datagram (unwrap again with an empty
 * source); NEED_WRAP may come at any time, also after the handshake (the server answers a
 * client's retransmitted last flight with its own), so {@link #pump()} runs after every unwrap.
 * Retransmission is the session's timer calling {@link #onRetransmitTimeout()}: a wrap while the
 * engine waits for the peer makes the JDK resend its last flight.
 *
 * <p>Replay: the JDK has no anti-replay window for application records (its input record only
 * orders handshake messages; measured: a replayed record is decrypted and delivered again), so
 * after the handshake each application record passes our {@link ReplayWindow} first and is
 * marked only once the engine produced its plaintext. An application record that yields nothing
 * failed authentication (the JDK drops such records silently, RFC 6347 §4.1.2.7) and is counted.
 *
 * <p>Buffers: heap (the JDK's faster path, reference 1.3), per thread, shared by every engine on
 * that thread: an idle session holds no I/O buffer of its own.
 *
 * <p>Invariant: {@code status} moves HANDSHAKING → ESTABLISHED → CLOSED, or to FAILED from
 * HANDSHAKING or ESTABLISHED; the listener's {@code handshakeCompleted} and {@code closed} are each
 * called at most once, in that order, and nothing reaches the listener once the status is CLOSED
 * or FAILED except the alert or close_notify of that transition. {@code replay} is non-null iff
 * the handshake completed. Loop thread only.
 */
final class JdkDtlsEngine extends AbstractDtlsEngine {
    private static final int MAX_STEPS = 64;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** Per-thread heap buffers, sized for the largest DTLS record the JDK produces. */
    private static final class Scratch {
        final ByteBuffer net = ByteBuffer.allocate(17 * 1024);
        final ByteBuffer app = ByteBuffer.allocate(17 * 1024);
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final SSLEngine engine;
    private final int maxPacketSize;
    private ByteBuffer firstDatagram;
    private ReplayWindow replay;

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
        listener.handshakeStarted();
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
        if (isOver()) {
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
        for (int i = 0; i < MAX_STEPS && datagram.hasRemaining() && !isOver(); i++) {
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
        while (p < end && status == Status.ESTABLISHED) {
            int next = DtlsRecords.next(datagram, p, end);
            if (next < 0) {
                unauthenticatedDropped++; // truncated: nothing after it can be framed either
                break;
            }
            int type = DtlsRecords.type(datagram, p);
            if (type < DtlsRecords.CHANGE_CIPHER_SPEC || type > DtlsRecords.APPLICATION_DATA) {
                unauthenticatedDropped++; // not a DTLS 1.2 content type
            } else if (type == DtlsRecords.APPLICATION_DATA) {
                int epoch = DtlsRecords.epoch(datagram, p);
                long seq = DtlsRecords.sequence(datagram, p);
                if (replay.isReplay(epoch, seq)) {
                    replaysDropped++;
                } else {
                    SSLEngineResult r = unwrapRecord(datagram, p, next, end, s);
                    if (r.bytesProduced() > 0) {
                        replay.mark(epoch, seq);
                    } else if (r.getStatus() == SSLEngineResult.Status.OK) {
                        unauthenticatedDropped++; // the JDK drops a record that fails its MAC silently
                    }
                    afterUnwrap(r, s);
                }
            } else {
                afterUnwrap(unwrapRecord(datagram, p, next, end, s), s);
            }
            p = next;
        }
        datagram.limit(end).position(end);
    }

    private SSLEngineResult unwrapRecord(ByteBuffer datagram, int from, int to, int end, Scratch s)
            throws SSLException {
        datagram.limit(to).position(from);
        s.app.clear();
        try {
            return engine.unwrap(datagram, s.app);
        } finally {
            datagram.limit(end);
        }
    }

    private void afterUnwrap(SSLEngineResult r, Scratch s) {
        if (r.bytesProduced() > 0 && status == Status.ESTABLISHED) {
            s.app.flip();
            listener.received(s.app);
        }
        if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
            established();
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED && !isOver()) {
            // The peer's close_notify: the JDK answers with ours on the next wrap (duplex close).
            status = Status.CLOSED;
            flushWraps(s);
            listener.closed(null);
        }
    }

    /** Runs tasks, buffered unwraps and wraps until the engine waits for the peer. */
    private void pump() throws SSLException {
        Scratch s = SCRATCH.get();
        for (int i = 0; i < MAX_STEPS && !isOver(); i++) {
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
        replay = new ReplayWindow();
        // The JDK's session reports only the 16 KiB record limit, and its wrap would split a
        // longer message into several records: the room in one datagram comes from the suite.
        maxPlaintext = DtlsRecordOverhead.maxPlaintext(engine.getSession().getCipherSuite(), maxPacketSize);
        listener.handshakeCompleted();
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
        // on regardless would relaunch the flight again on every call (measured: 93,000
        // datagrams in 60 s).
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
        if (isOver()) {
            return;
        }
        boolean wasEstablished = status == Status.ESTABLISHED;
        status = Status.CLOSED;
        engine.closeOutbound();
        if (wasEstablished) {
            flushWraps(SCRATCH.get()); // close_notify
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
        firstDatagram = null;
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (SSLException e) {
            // Expected without the peer's close_notify.
        }
    }

    private void fail(Throwable e) {
        if (isOver()) {
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
