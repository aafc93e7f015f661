package org.jevent.dtls;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

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
 * <p>A JDK client drops copies of server flights it has answered, and holds back the server's
 * ChangeCipherSpec and Finished until an announced NewSessionTicket has arrived ({@link
 * JdkClientGuard}: the JDK fails the handshake otherwise in both cases), and
 * after its handshake drops the server's handshake records (a copy of its final flight: the JDK
 * server may send that flight twice in one go, and the JDK client would take the copy for a new
 * handshake). A JDK server, once established, does not answer a client that retransmits its
 * final flight because ours was lost (measured; RFC 6347 §4.2.4 says it must): this engine keeps
 * a copy of that flight until the client's first application record arrives, and sends it again
 * for each retransmitted Finished (at most {@value #MAX_FINAL_FLIGHT_RESENDS} times).
 *
 * <p>Buffers: heap (the JDK's faster path, reference 1.3), per thread, shared by every engine on
 * that thread: an idle session holds no I/O buffer of its own. While a datagram in the shared
 * buffer is shown to the listener, an engine called from there gets buffers of its own.
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
        /** {@code net} is being shown to a listener ({@link #emit}): not to be written by anyone. */
        boolean netLent;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * The thread's scratch buffers, or fresh ones when its {@code net} is lent out: a listener
     * that is shown a datagram (a session's DatagramTap) may write to, or end, another session
     * of the same thread, whose engine would otherwise wrap into the very buffer being shown
     * and sent (measured: the tapped datagram was lost). That nesting is rare, so it allocates.
     */
    private static Scratch scratch() {
        Scratch s = SCRATCH.get();
        return s.netLent ? new Scratch() : s;
    }

    private final SSLEngine engine;
    private final int maxPacketSize;
    private ByteBuffer firstDatagram;
    private ReplayWindow replay;
    private long staleHandshakeRecords;
    /** Client only, during the handshake: see {@link JdkClientGuard}. */
    private JdkClientGuard clientGuard;
    private int emittedInCall;
    /** Server, handshaking: the datagrams of the flight being sent, and whether to keep copying. */
    private byte[][] flight;
    private int flightLength;
    private boolean recordingFlight;
    /** Server, established: our final flight, until the client's first data shows it got it. */
    private byte[][] finalFlight;
    private int finalFlightResends;
    private static final int MAX_FINAL_FLIGHT_RESENDS = 8;

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
        this.clientGuard = engine.getUseClientMode() ? new JdkClientGuard() : null;
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
            } else if (clientGuard == null || clientGuard.admit(datagram)) {
                newFlight();
                emittedInCall = 0;
                unwrapWhole(datagram);
                ByteBuffer held;
                while (clientGuard != null && status == Status.HANDSHAKING && (held = clientGuard.release()) != null) {
                    pump();
                    unwrapWhole(held);
                }
                pump();
                if (clientGuard != null && emittedInCall > 0) {
                    clientGuard.answered();
                }
                return;
            } else {
                datagram.position(datagram.limit()); // stale, or held until the ticket arrives
                return;
            }
            pump();
        } catch (SSLException e) {
            datagram.position(datagram.limit());
            fail(e);
        }
    }

    /** Handshake: the JDK takes the datagram whole and keeps extra records for NEED_UNWRAP_AGAIN. */
    private void unwrapWhole(ByteBuffer datagram) throws SSLException {
        Scratch s = scratch();
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
        Scratch s = scratch();
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
                        finalFlight = null; // the client's data proves it finished: ours arrived
                    } else if (r.getStatus() == SSLEngineResult.Status.OK) {
                        unauthenticatedDropped++; // the JDK drops a record that fails its MAC silently
                    }
                    afterUnwrap(r, s);
                }
            } else if (type == DtlsRecords.ALERT) {
                afterUnwrap(unwrapRecord(datagram, p, next, end, s), s); // close_notify, fatal alerts
            } else {
                // The handshake is over, and the JDK has no DTLS renegotiation. A client sees a
                // copy of the server's final flight (the JDK server may send it twice in one go):
                // the JDK client would take it for a new handshake and fail it ("The Finished
                // message cannot be verified", measured under load). A server sees the client's
                // final flight again: the client lost ours and waits for it; the JDK server
                // ignores that (measured), so the flight we kept goes out again, once per
                // retransmitted Finished (the epoch-1 record that ends the client's flight).
                staleHandshakeRecords++;
                if (finalFlight != null && DtlsRecords.epoch(datagram, p) > 0 && finalFlightResends < MAX_FINAL_FLIGHT_RESENDS) {
                    finalFlightResends++;
                    for (byte[] d : finalFlight) {
                        listener.sendDatagram(ByteBuffer.wrap(d));
                    }
                }
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
        Scratch s = scratch();
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
                    emit(s);
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

    /** Sends {@code s.net}, lent out meanwhile ({@link #scratch()}). */
    private void emit(Scratch s) {
        ByteBuffer net = s.net;
        net.flip();
        if (net.hasRemaining()) {
            emittedInCall++;
            if (recordingFlight) {
                keepForFinalFlight(net);
            }
            boolean wasLent = s.netLent;
            s.netLent = true;
            try {
                listener.sendDatagram(net);
            } finally {
                s.netLent = wasLent;
            }
        }
    }

    /**
     * Server: copies the datagrams of the flight being sent, up to and including the first one
     * of epoch 1 (the Finished; the JDK may send the whole flight a second time right after it).
     */
    private void keepForFinalFlight(ByteBuffer net) {
        byte[] copy = new byte[net.remaining()];
        net.get(net.position(), copy);
        if (flight == null) {
            flight = new byte[4][];
        }
        if (flightLength == flight.length) {
            flight = java.util.Arrays.copyOf(flight, flightLength * 2);
        }
        flight[flightLength++] = copy;
        if (DtlsRecords.epoch(net, net.position()) > 0) {
            recordingFlight = false;
        }
    }

    /** Server, handshaking: a datagram from the client; what we send next is a new flight. */
    private void newFlight() {
        if (!engine.getUseClientMode()) {
            recordingFlight = true;
            flightLength = 0;
        }
    }

    private void established() {
        if (status != Status.HANDSHAKING) {
            return;
        }
        status = Status.ESTABLISHED;
        replay = new ReplayWindow();
        clientGuard = null;
        if (!engine.getUseClientMode() && flightLength > 0) {
            finalFlight = java.util.Arrays.copyOf(flight, flightLength);
        }
        flight = null;
        recordingFlight = false;
        // The JDK's session reports only the 16 KiB record limit, and its wrap would split a
        // longer message into several records: the room in one datagram comes from the suite.
        maxPlaintext = DtlsRecordOverhead.maxPlaintext(engine.getSession().getCipherSuite(), maxPacketSize);
        restorePacketSize();
        listener.handshakeCompleted();
    }

    /**
     * Sets the maximum packet size again. The JDK shrinks its packet size on every handshake
     * retransmission (path MTU back-off) and keeps the smaller one afterwards, while {@code
     * getSSLParameters()} still reports the configured size (measured: after three retransmitted
     * flights a 1,300-byte message went out as a 689-byte record, the rest left unsent).
     */
    private void restorePacketSize() {
        SSLParameters p = engine.getSSLParameters();
        p.setMaximumPacketSize(maxPacketSize);
        engine.setSSLParameters(p);
    }

    @Override
    public boolean send(ByteBuffer plaintext) {
        if (status != Status.ESTABLISHED) {
            return false;
        }
        int length = plaintext.remaining();
        checkFits(length);
        int start = plaintext.position();
        Scratch s = scratch();
        try {
            for (int attempt = 0; ; attempt++) {
                s.net.clear();
                SSLEngineResult r = engine.wrap(plaintext, s.net);
                if (r.bytesConsumed() == length) {
                    break;
                }
                // Cut short: never send a part of a message as if it were the whole. The record
                // made is dropped (a gap in sequence numbers is harmless) and the message wrapped again.
                plaintext.position(start);
                if (attempt == 1) {
                    throw new SSLException("the DTLS engine would split a message of " + length + " bytes");
                }
                restorePacketSize();
            }
        } catch (SSLException e) {
            fail(e);
            return false;
        }
        emit(s);
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
        Scratch s = scratch();
        newFlight();
        try {
            s.net.clear();
            engine.wrap(EMPTY, s.net);
            emit(s);
            pump();
        } catch (SSLException e) {
            fail(e);
        }
    }

    /** @return handshake records a client dropped after its handshake completed */
    long staleHandshakeRecords() {
        return staleHandshakeRecords;
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
            flushWraps(scratch()); // close_notify
        }
    }

    /** Wraps until the engine has nothing more (close_notify, alerts). */
    private void flushWraps(Scratch s) {
        try {
            for (int i = 0; i < MAX_STEPS; i++) {
                s.net.clear();
                SSLEngineResult r = engine.wrap(EMPTY, s.net);
                emit(s);
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
        clientGuard = null;
        flight = null;
        finalFlight = null;
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
        flushWraps(scratch()); // the alert, if the engine has one
        listener.closed(e);
    }

    @Override
    public String toString() {
        if (replay != null) {
            return "JdkDtlsEngine[" + (engine.getUseClientMode() ? "client" : "server") + ", " + status + ", " + replay + "]";
        }
        return "JdkDtlsEngine[" + (engine.getUseClientMode() ? "client" : "server") + ", " + status + "]";
    }
}
