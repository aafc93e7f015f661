package org.jevent.dtls;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_EOF;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_ERROR;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_TIMEOUT;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_WRITING;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.ssl.SslError;
import org.jevent.bufferevent.ssl.SslErrorQueue;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * One DTLS association with one peer: a server's session with a client ({@link DtlsServer}), or
 * a client's session with its server ({@link DtlsClient}). It delivers and sends whole messages,
 * one datagram each, so it is not a bufferevent, but it keeps the libevent look: a read callback
 * and an event callback ({@link #setCallbacks}), the event flags of {@code bufferevent.h}, an
 * error queue ({@link #getSslError()}), {@link #free()}.
 *
 * <h2>Events</h2>
 * The event callback gets {@code Bufferevent.BEV_EVENT_*} flags, the same values and meanings
 * as for a TLS bufferevent, so one handler serves both:
 * <ul>
 * <li>{@code BEV_EVENT_CONNECTED}: the handshake completed; {@link #write} works from now on.</li>
 * <li>{@code BEV_EVENT_READING | BEV_EVENT_EOF}: the peer ended the association: its close_notify
 * arrived (ours answered it), or it started a new one from the same address and port (RFC 6347
 * §4.2.8; an entry in the error queue says so).</li>
 * <li>{@code BEV_EVENT_READING | BEV_EVENT_ERROR} (or {@code WRITING} when it arose in {@link
 * #write}): a fatal DTLS error, an alert either way; the error queue holds it.</li>
 * <li>{@code BEV_EVENT_TIMEOUT}: the handshake did not complete in time (the error queue says
 * how long); {@code BEV_EVENT_READING | BEV_EVENT_TIMEOUT}: nothing came from the peer for the
 * idle timeout (we sent close_notify).</li>
 * </ul>
 * Every event but CONNECTED finishes the session: it is dropped from its server and freed once
 * the callback returns, and its peer may connect again. Nothing calls back for what the
 * application does itself ({@link #shutdown()}, {@link #free()}, a server's shutdown).
 *
 * <h2>What the session does on its own</h2>
 * Retransmits its handshake flights when the engine needs a timer for it (the JDK's): after
 * 1 s, doubling each time, at most 60 s apart (RFC 6347 §4.2.4; bctls does the same inside);
 * bounds the handshake by the handshake timeout, counted from when it starts (for bctls, when a
 * handshake thread takes it up); ends an established session that heard nothing for the idle
 * timeout; drops, without ending the session, records that repeat one already received ({@link
 * #getReplayedRecords()}) or fail authentication or framing ({@link #getUnauthenticatedRecords()}).
 *
 * <p>Threading: the loop thread of its server or client only; any call from another thread
 * throws {@link IllegalStateException}, as everywhere in jevent.
 *
 * <p>Invariant: the phase moves NEW → HANDSHAKING → CONNECTED → FINISHED, or to FINISHED from any
 * earlier phase, never back; in FINISHED the engine is freed, no timer is pending, the owner was
 * told once, and no callback runs any more. {@code endMarked} is set only by a server ended from a
 * tap, and from then on no timer is pending and no callback runs until the server ends the
 * session, after the tap returned. {@code tapping} is true only while the tap runs, and
 * {@code tapIn}/{@code tapOut} are non-null once a tap was set. {@code retransmit} is non-null only while
 * handshaking with an engine that needs it.
 */
public final class DtlsSession {
    /** libevent's {@code bufferevent_data_cb}, for a message: valid only during the call. */
    @FunctionalInterface
    public interface MessageCb {
        /**
         * @param session the session
         * @param message one decrypted datagram, position..limit; the buffer is reused after the call
         */
        void call(DtlsSession session, ByteBuffer message);
    }

    /** libevent's {@code bufferevent_event_cb}: {@code what} combines {@code Bufferevent.BEV_EVENT_*} flags. */
    @FunctionalInterface
    public interface EventCb {
        /**
         * One event; every one but {@code BEV_EVENT_CONNECTED} is the session's last.
         *
         * @param session the session
         * @param what {@code BEV_EVENT_CONNECTED}; {@code BEV_EVENT_READING | BEV_EVENT_EOF};
         *     {@code BEV_EVENT_READING} or {@code BEV_EVENT_WRITING} with {@code BEV_EVENT_ERROR};
         *     {@code BEV_EVENT_TIMEOUT}, with {@code BEV_EVENT_READING} for the idle timeout
         */
        void call(DtlsSession session, int what);
    }

    /**
     * Sees the session's DTLS datagrams as they are on the wire, encrypted: for a log, a capture,
     * or a window that prints each datagram in hex beside its plain text, as Qt's DTLS examples
     * do. It observes only: a datagram is not changed, dropped or delayed by it. Set it with
     * {@link #setDatagramTap}, or for every session of a server or client with the builder's
     * {@code datagramTap} (then the first flights are seen too).
     *
     * <p>Called on the loop thread, for every datagram from the peer before the engine decrypts
     * it (the engine decrypts in place; replayed, forged or garbage datagrams included: the tap
     * sees what arrived, the counters say what was dropped), and for every datagram to the peer
     * as it is handed to the socket (handshake flights and their retransmissions, application
     * records, alerts, close_notify). A server session's tap also sees the verified ClientHello
     * that made the session, once its accept callback returned. Datagrams the server's cookie
     * verifier handles before a session exists are not a session's ({@link
     * DtlsServer.Builder#unverifiedPeerCb} tells of those).
     *
     * <p>Cost: with no tap, none. With one, the view is made once per buffer and then only
     * re-windowed: incoming datagrams all come through the socket's one receive buffer, and the
     * JDK engine sends from one scratch buffer; bctls hands each datagram it sends in a buffer of
     * its own, so a tapped bctls session makes one small view object per datagram it sends.
     */
    @FunctionalInterface
    public interface DatagramTap {
        /**
         * One datagram. The tap may read it and look at the session, but not {@link #write},
         * {@link #shutdown()} or {@link #free()} it (those throw {@link IllegalStateException}
         * here): the engine is in the middle of the datagram. It may end the session's server
         * ({@link DtlsServer#shutdown()}, {@link DtlsServer#free()}): its sessions end right after
         * the tap returned, and get nothing more meanwhile (an incoming datagram that was tapped
         * is not decrypted, no message or event follows); an outgoing one still leaves, before
         * the close_notify. What the tap throws goes to the loop's exception hook (with the tap
         * as what was running), as from any callback, and the datagram goes on as if the tap had
         * returned: it is still sent, or still decrypted.
         *
         * @param session the session
         * @param datagram a read-only view of the datagram, position..limit, valid only during
         *     the call: the buffer behind it is reused for the next datagram (copy what you keep)
         * @param direction {@code Bufferevent.BEV_EVENT_READING} for a datagram from the peer,
         *     {@code Bufferevent.BEV_EVENT_WRITING} for one to it
         */
        void call(DtlsSession session, ByteBuffer datagram, int direction);
    }

    /**
     * The handshake timeout unless a builder says otherwise: with RFC 6347's doubling timer it
     * leaves room for four retransmissions of a flight (after 1, 3, 7 and 15 s) and the answer to
     * the last.
     */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    /** The first retransmission wait unless a builder says otherwise: RFC 6347 §4.2.4's 1 s. */
    public static final Duration DEFAULT_RETRANSMIT_TIMEOUT = Duration.ofSeconds(1);

    /** Who owns the session's socket and table entry: told once, when the session finishes. */
    interface Owner {
        void sessionFinished(DtlsSession session);
    }

    private static final int NEW = 0;
    private static final int HANDSHAKING = 1;
    private static final int CONNECTED = 2;
    private static final int FINISHED = 3;

    private static final int END_SHUTDOWN = 1;
    private static final int END_FREE = 2;

    private final SessionSettings settings;
    private final UdpEndpoint endpoint;
    private final InetSocketAddress peer;
    private final Owner owner;
    private final boolean client;
    private final EngineEvents events = new EngineEvents();
    private final SslErrorQueue errors = new SslErrorQueue();
    private DtlsEngine engine;
    private MessageCb readcb;
    private EventCb eventcb;
    private DatagramTap tap;
    /** Made when a tap is first set: no tap, no views. */
    private ReadOnlyView tapIn;
    private ReadOnlyView tapOut;
    /** A tap is running: the session may not be written to or ended. */
    private boolean tapping;
    /**
     * Its server was ended from a tap ({@link #markEnd}): {@code END_SHUTDOWN} or {@code
     * END_FREE}, done by {@link #endAsMarked()} once the tap returned; until then the session has
     * no timer, calls back nothing and gets no datagram.
     */
    private int endMarked;
    private int phase = NEW;
    /** The handshake deadline, then the idle check. */
    private Event deadline;
    private Event retransmit;
    private int retransmissions;
    private long retransmittedFlights;
    private int sentInCall;
    private long lastHeardNanos;
    private boolean writing;
    private boolean lastSendTaken;
    /** Server side: two words of the random of the ClientHello that began this association. */
    private long helloRandom1;
    private long helloRandom3;

    DtlsSession(SessionSettings settings, UdpEndpoint endpoint, InetSocketAddress peer, Owner owner, boolean client) {
        this.settings = settings;
        this.endpoint = endpoint;
        this.peer = peer;
        this.owner = owner;
        this.client = client;
        if (settings.datagramTap != null) {
            useTap(settings.datagramTap);
        }
    }

    /** The listener the engine is made with; {@link #attach} follows. */
    DtlsEngine.Listener engineListener() {
        return events;
    }

    void attach(DtlsEngine engine) {
        this.engine = engine;
    }

    /** Starts the handshake, unless the application freed the session in its accept callback. */
    void start() {
        if (phase != NEW || endMarked != 0) {
            return;
        }
        phase = HANDSHAKING;
        sentInCall = 0;
        engine.start();
        if (phase == HANDSHAKING && sentInCall > 0) {
            armRetransmit(0);
        }
    }

    /**
     * Server side: shows the tap, if the accept callback left one, the verified ClientHello that
     * made this session (the engine was given a copy of it, not this datagram).
     */
    void tapFirstHello(ByteBuffer datagram) {
        if (tap != null && phase == NEW) {
            showTap(tapIn, datagram, BEV_EVENT_READING);
        }
    }

    /**
     * Shows the tap one datagram. What the tap throws goes to the loop's exception hook here, not
     * up the stack: thrown through the engine, it would drop an outgoing datagram (the JDK engine)
     * or turn into an internal_error alert that ends the session (bctls), and an incoming one
     * would never be decrypted. The tap only observes, so the datagram goes on either way.
     */
    private void showTap(ReadOnlyView view, ByteBuffer datagram, int direction) {
        tapping = true;
        try {
            tap.call(this, view.of(datagram), direction);
        } catch (Throwable t) {
            settings.base.reportException(tap, t);
        } finally {
            tapping = false;
        }
    }

    private void useTap(DatagramTap newTap) {
        if (newTap != null && tapIn == null) {
            tapIn = new ReadOnlyView();
            tapOut = new ReadOnlyView();
        }
        tap = newTap;
    }

    /** Server side: remembers the ClientHello that began this association. */
    void beganWith(ClientHelloView hello) {
        helloRandom1 = hello.randomWord(1);
        helloRandom3 = hello.randomWord(3);
    }

    /** Server side: whether {@code hello} is a copy of the ClientHello that began this association. */
    boolean beganWithSameHello(ClientHelloView hello) {
        return hello.randomWord(1) == helloRandom1 && hello.randomWord(3) == helloRandom3;
    }

    /** A datagram from the peer. */
    void receive(ByteBuffer datagram) {
        if ((phase != HANDSHAKING && phase != CONNECTED) || endMarked != 0) {
            return;
        }
        if (tap != null) {
            showTap(tapIn, datagram, BEV_EVENT_READING);
            if (endMarked != 0) {
                return; // the tap ended the server: the session takes nothing more
            }
        }
        sentInCall = 0;
        engine.receive(datagram);
        if (phase == HANDSHAKING && sentInCall > 0) {
            // The peer answered: our next flight went out, its timer starts again at the initial value.
            armRetransmit(0);
        }
    }

    /** The peer restarted (RFC 6347 §4.2.8): a verified ClientHello replaces this association. */
    void abandonForRestart() {
        errors.add(new SslError(new SSLException("the peer began a new association from the same address and port"
                + " (RFC 6347 4.2.8); this one is abandoned"), null, true));
        finish(BEV_EVENT_READING | BEV_EVENT_EOF);
    }

    /**
     * Marks this session to be ended by its server after the running tap returned ({@link
     * #endAsMarked()}): {@link #shutdown()} ({@code closeNotify}) or {@link #free()}, a free
     * overriding a shutdown. A tap runs while an engine is in the middle of a datagram (an
     * outgoing one inside the engine's send), so closing that engine there would pull state
     * from under it. Marked, the session stops its timers and calls back nothing more (no
     * message, no event) until it ends.
     */
    void markEnd(boolean closeNotify) {
        if (phase == FINISHED) {
            return;
        }
        endMarked = Math.max(endMarked, closeNotify ? END_SHUTDOWN : END_FREE);
        stopTimers();
    }

    /** @return whether this session's tap is running */
    boolean isTapping() {
        return tapping;
    }

    /** Ends the session as {@link #markEnd} marked it; nothing if not marked. Not from a tap. */
    void endAsMarked() {
        if (endMarked == END_FREE) {
            free();
        } else if (endMarked == END_SHUTDOWN) {
            shutdown();
        }
    }

    // ------------------------------------------------------------------ public API

    /**
     * {@code bufferevent_setcb}: the read callback gets each decrypted message, the event callback
     * the events above. Either may be null (messages are then dropped, events unreported).
     *
     * @param readcb called for every message
     * @param eventcb called for every event
     */
    public void setCallbacks(MessageCb readcb, EventCb eventcb) {
        checkLoopThread();
        this.readcb = readcb;
        this.eventcb = eventcb;
    }

    /**
     * Shows {@code tap} every DTLS datagram of this session from now on, both ways, before
     * decryption and after encryption ({@link DatagramTap}); null removes it. With no tap set,
     * a datagram costs nothing more than before: no call, no view, no allocation.
     *
     * @param tap the tap, or null
     * @throws IllegalStateException off the loop thread
     */
    public void setDatagramTap(DatagramTap tap) {
        checkLoopThread();
        useTap(tap);
    }

    /** @return the tap set by {@link #setDatagramTap} or the builder, or null */
    public DatagramTap getDatagramTap() {
        return tap;
    }

    /**
     * Encrypts {@code message} into one datagram and sends it. DTLS does not retransmit
     * application data: like any datagram it may be lost, duplicated (the copy is dropped by the
     * peer's replay window) or reordered.
     *
     * @param message position..limit; consumed when sent
     * @return true if the datagram was handed to the socket (or its send queue), false if the
     *     socket refused it (its send queue full, or a send error: counted by the endpoint)
     * @throws IllegalArgumentException if the message does not fit one datagram
     *     ({@link #getMaxMessageSize()}); nothing is sent
     * @throws IllegalStateException before {@code BEV_EVENT_CONNECTED}, after the session
     *     finished, or off the loop thread
     */
    public boolean write(ByteBuffer message) {
        checkLoopThread();
        checkNotTapping("write");
        Objects.requireNonNull(message, "message");
        if (phase != CONNECTED) {
            throw new IllegalStateException(phase == FINISHED ? "the DTLS session is finished: " + this
                    : "the DTLS handshake has not completed: write after BEV_EVENT_CONNECTED");
        }
        writing = true;
        lastSendTaken = false;
        boolean sent;
        try {
            sent = engine.send(message);
        } finally {
            writing = false;
        }
        return sent && lastSendTaken;
    }

    /**
     * {@link #write(ByteBuffer)} of {@code data[off .. off+len)}.
     *
     * @param data the bytes
     * @param off first byte
     * @param len number of bytes
     * @return as {@link #write(ByteBuffer)}
     */
    public boolean write(byte[] data, int off, int len) {
        return write(ByteBuffer.wrap(data, off, len));
    }

    /**
     * The secure end: sends close_notify if the handshake completed, then frees the session (a
     * datagram association has nothing to wait for: the peer answers or not, RFC 5246 §7.2.1).
     * No event follows. Idempotent.
     */
    public void shutdown() {
        checkLoopThread();
        checkNotTapping("shutdown");
        if (phase == CONNECTED) {
            engine.close();
        }
        finishQuietly();
    }

    /**
     * {@code bufferevent_free}: ends the session without a word to the peer, stops its timers,
     * releases its engine and, for a client, its socket. No event follows. Idempotent.
     */
    public void free() {
        checkLoopThread();
        checkNotTapping("free");
        finishQuietly();
    }

    /**
     * {@code bufferevent_get_openssl_error}: removes and returns the oldest queued error, or null.
     *
     * @return the oldest error: an alert sent or received, a handshake timeout, a restart
     */
    public SslError getSslError() {
        checkLoopThread();
        return errors.poll();
    }

    /**
     * Every queued error, oldest first, without removing them.
     *
     * @return a copy
     */
    public List<SslError> getSslErrors() {
        checkLoopThread();
        return errors.snapshot();
    }

    /** @return the peer's address and port */
    public InetSocketAddress getPeer() {
        return peer;
    }

    /**
     * The address and port this session's datagrams leave from and arrive at: for a server's
     * session, the server's bound address ({@link DtlsServer#getLocalAddress()}); for a client's,
     * the address its own socket is bound to. That is a wildcard address ({@code 0.0.0.0} or
     * {@code ::}, with the real port) when the socket was bound to one, as a client's is by
     * default, unless the client's socket is connected ({@link DtlsClient.Builder#connectedSocket}),
     * which makes it the source address the peer sees. Still known after the session finished.
     *
     * @return the local address
     */
    public InetSocketAddress getLocalAddress() {
        return endpoint.boundAddress();
    }

    /** @return the loop this session runs on */
    public EventBase getBase() {
        return settings.base;
    }

    /** @return true between {@code BEV_EVENT_CONNECTED} and the end */
    public boolean isConnected() {
        return phase == CONNECTED;
    }

    /** @return true while the handshake runs (or has yet to start) */
    public boolean isHandshaking() {
        return phase == NEW || phase == HANDSHAKING;
    }

    /** @return true once the session ended (an event, {@link #shutdown()} or {@link #free()}) */
    public boolean isFinished() {
        return phase == FINISHED;
    }

    /** @return the negotiated suite's standard name, or null before the handshake completed */
    public String getCipherSuite() {
        checkLoopThread();
        return engine.cipherSuite();
    }

    /**
     * The largest message {@link #write} takes: the maximum datagram size minus the record
     * header and the negotiated suite's protection.
     *
     * @return bytes, or 0 before the handshake completed
     */
    public int getMaxMessageSize() {
        checkLoopThread();
        return engine.maxPlaintext();
    }

    /** @return records dropped because they repeated one already received (RFC 6347 §4.1.2.6) */
    public long getReplayedRecords() {
        checkLoopThread();
        return engine.replaysDropped();
    }

    /** @return records dropped because they failed authentication or could not be framed */
    public long getUnauthenticatedRecords() {
        checkLoopThread();
        return engine.unauthenticatedDropped();
    }

    /** @return handshake flights this session retransmitted on its own timer (0 for bctls, which times its own) */
    public long getRetransmissions() {
        checkLoopThread();
        return retransmittedFlights;
    }

    /** The engine, for tests. */
    DtlsEngine engine() {
        return engine;
    }

    /** The socket the session sends through, for tests that speak from the peer's address. */
    UdpEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public String toString() {
        String[] names = {"new", "handshaking", "connected", "finished"};
        return "DtlsSession[" + (client ? "client to " : "server for ") + peer + ", " + names[phase] + "]";
    }

    // ------------------------------------------------------------------ timers and the end

    private void checkLoopThread() {
        settings.base.checkInLoopThread();
    }

    private void checkNotTapping(String call) {
        if (tapping) {
            throw new IllegalStateException(call + "() from a DatagramTap: the tap only observes; end or write to"
                    + " the session from its read or event callback, or from a later loop turn");
        }
    }

    private void armRetransmit(int afterRetransmissions) {
        if (!engine.needsRetransmitTimer() || endMarked != 0) {
            return;
        }
        retransmissions = afterRetransmissions;
        if (retransmit == null) {
            retransmit = Event.timer(settings.base, (ev, what) -> retransmitDue());
        }
        retransmit.add(settings.retransmitWait(afterRetransmissions));
    }

    private void retransmitDue() {
        if (phase != HANDSHAKING) {
            return;
        }
        sentInCall = 0;
        engine.onRetransmitTimeout();
        if (phase == HANDSHAKING && sentInCall > 0) {
            retransmittedFlights++;
            armRetransmit(retransmissions + 1);
        }
    }

    private void deadlineDue() {
        if (phase == HANDSHAKING) {
            timedOut();
        } else if (phase == CONNECTED) {
            long quiet = settings.base.gettimeMonotonic() - lastHeardNanos;
            long idle = settings.idleTimeout.toNanos();
            if (quiet >= idle) {
                engine.close(); // close_notify: the peer may only be quiet, not gone
                finish(BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
            } else {
                deadline.add(Duration.ofNanos(idle - quiet));
            }
        }
    }

    private void timedOut() {
        errors.add(DtlsErrors.of(DtlsHandshakeTimeoutException.after(settings.handshakeTimeout.toMillis(), "")));
        finish(BEV_EVENT_TIMEOUT);
    }

    private void stopTimers() {
        if (deadline != null) {
            deadline.del();
        }
        if (retransmit != null) {
            retransmit.del();
            retransmit = null;
        }
    }

    /** Ends the session and reports {@code what}. */
    private void finish(int what) {
        if (!finishQuietly() || endMarked != 0) {
            return; // ended by its server meanwhile: no event follows a server's end
        }
        EventCb cb = eventcb;
        if (cb != null) {
            cb.call(this, what);
        }
    }

    /** Ends the session without an event; false if it had ended already. */
    private boolean finishQuietly() {
        if (phase == FINISHED) {
            return false;
        }
        phase = FINISHED;
        stopTimers();
        if (engine != null) {
            engine.free();
        }
        owner.sessionFinished(this);
        return true;
    }

    /** What the engine tells the session; a separate object so that none of it is public API. */
    private final class EngineEvents implements DtlsEngine.Listener {
        @Override
        public void sendDatagram(ByteBuffer datagram) {
            sentInCall++;
            if (tap != null) {
                showTap(tapOut, datagram, BEV_EVENT_WRITING);
            }
            if (!endpoint.isClosed()) {
                lastSendTaken = endpoint.send(datagram, peer);
            }
        }

        @Override
        public void handshakeStarted() {
            if (phase != HANDSHAKING || endMarked != 0) {
                return;
            }
            if (deadline == null) {
                deadline = Event.timer(settings.base, (ev, what) -> deadlineDue());
            }
            deadline.add(settings.handshakeDeadline);
        }

        @Override
        public void received(ByteBuffer plaintext) {
            if (endMarked != 0) {
                return; // the server ended from a tap in this very datagram
            }
            lastHeardNanos = settings.base.gettimeMonotonic();
            MessageCb cb = readcb;
            if (cb != null) {
                cb.call(DtlsSession.this, plaintext);
            }
        }

        @Override
        public void handshakeCompleted() {
            if (phase != HANDSHAKING) {
                return;
            }
            phase = CONNECTED;
            if (retransmit != null) {
                retransmit.del();
                retransmit = null;
            }
            if (endMarked != 0) {
                return; // connected, so the marked shutdown sends close_notify; no timer, no event
            }
            lastHeardNanos = settings.base.gettimeMonotonic();
            if (!settings.idleTimeout.isZero()) {
                if (deadline == null) {
                    deadline = Event.timer(settings.base, (ev, what) -> deadlineDue());
                }
                deadline.add(settings.idleTimeout);
            } else if (deadline != null) {
                deadline.del();
            }
            EventCb cb = eventcb;
            if (cb != null) {
                cb.call(DtlsSession.this, BEV_EVENT_CONNECTED);
            }
        }

        @Override
        public void closed(Throwable error) {
            if (phase == FINISHED) {
                return;
            }
            if (error == null) {
                finish(BEV_EVENT_READING | BEV_EVENT_EOF);
            } else if (error instanceof DtlsHandshakeTimeoutException) {
                errors.add(DtlsErrors.of(error));
                finish(BEV_EVENT_TIMEOUT);
            } else {
                errors.add(DtlsErrors.of(error));
                finish((writing ? BEV_EVENT_WRITING : BEV_EVENT_READING) | BEV_EVENT_ERROR);
            }
        }
    }
}
