package org.jevent.dtls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * A DTLS 1.2 server on one UDP socket: Qt's DTLS server (a {@code QUdpSocket}, a {@code
 * QDtlsClientVerifier} in front, one {@code QDtls} per verified peer) on the {@link EventBase}.
 *
 * <pre>{@code
 * DtlsServer server = DtlsServer.bind(base, new InetSocketAddress(4433), JdkDtls.server(contexts),
 *         (srv, session) -> session.setCallbacks(
 *                 (s, message) -> s.write(message),                  // echo
 *                 (s, what) -> { }));                                // CONNECTED, EOF, ERROR, TIMEOUT
 * base.dispatch();
 * }</pre>
 *
 * <h2>A datagram's way</h2>
 * From a peer with a session it goes to that session. From anyone else it goes to the stateless
 * cookie verifier (RFC 6347 §4.2.1): a ClientHello without a valid cookie is answered with a
 * HelloVerifyRequest (at most {@link Builder#helloVerifyRate} per second, all peers together),
 * anything else is dropped and counted; only a ClientHello with a valid cookie makes a {@link
 * DtlsSession}, and the accept callback gets it before its handshake starts. Nothing is kept for
 * a peer before its cookie verifies, so forged source addresses cost CPU, never memory. At
 * {@link Builder#maxSessions} sessions, datagrams from unknown peers are dropped and counted.
 *
 * <p>A ClientHello from a peer that has a session is told apart by its random. A copy of the
 * hello that began the session (a retransmission, or a duplicated or late datagram) is stale
 * and dropped ({@link #getStaleHellos()}): the session's engine has it, and the session's own
 * timer resends a lost answer. A hello with another random is a restarted client (RFC 6347
 * §4.2.8): it goes through the verifier like any new peer's, and only a verified one (the peer
 * proved it receives at that address) abandons the old session, which reports {@code EOF}, and
 * starts a new one. (Measured: without the random check, one duplicated ClientHello arriving
 * after the handshake replaced a healthy session.)
 *
 * <p>The cookie secret (our HMAC's, for bctls) rotates every {@link Builder#cookieRotation}, the
 * previous one still accepted. The JDK engine's cookie is its own; see the package documentation.
 *
 * <h2>The end</h2>
 * {@link #shutdown()} sends close_notify to every established peer, then closes the socket once
 * those datagrams are out; {@link #free()} closes at once without a word. Neither calls back.
 * Both may be called from any callback of the server or its sessions, as in libevent: the accept
 * callback, {@link UnverifiedPeerCb}, a session's read or event callback, or a session's {@link
 * DtlsSession.DatagramTap}. From a tap, the tapped session's engine is in the middle of a
 * datagram, so the sessions end just after the tap returned, in the same loop turn (the server
 * is closed, and its session count 0, at once); meanwhile they get nothing (no datagram,
 * message or event).
 *
 * <p>Threading: create, use and end it on the loop thread of its base; calls from another thread
 * throw {@link IllegalStateException}.
 *
 * <p>Invariant: {@code sessions} maps each peer to its one unfinished session; a session leaves
 * the map exactly when it finishes (its owner callback), so the map never holds a finished one.
 * Once closing, no datagram is read and no session is made. {@code marked} holds the sessions
 * an end from a tap left unfinished (out of the map), and {@code afterTaps} is active while it
 * is not empty.
 */
public final class DtlsServer {
    /** Sessions at most, unless {@link Builder#maxSessions} says otherwise. */
    public static final int DEFAULT_MAX_SESSIONS = 10_000;
    /**
     * The idle timeout of a server's sessions unless {@link Builder#idleTimeout} says otherwise:
     * UDP says nothing when a peer goes, so a server must reclaim silent sessions; NAT bindings
     * of silent UDP flows last at least 2 minutes (RFC 4787 REQ-5), often not much more.
     */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** How often the cookie secret changes unless {@link Builder#cookieRotation} says otherwise. */
    public static final Duration DEFAULT_COOKIE_ROTATION = Duration.ofMinutes(5);
    /** HelloVerifyRequests per second (sustained), unless {@link Builder#helloVerifyRate} says otherwise. */
    public static final int DEFAULT_HVR_PER_SECOND = 1000;
    /** HelloVerifyRequests in a burst, unless {@link Builder#helloVerifyRate} says otherwise. */
    public static final int DEFAULT_HVR_BURST = 1000;

    /** {@code evconnlistener_cb} for a verified peer: set the session's callbacks here. */
    @FunctionalInterface
    public interface AcceptCb {
        /**
         * @param server the server
         * @param session the new session; its handshake starts when this returns (unless freed)
         */
        void call(DtlsServer server, DtlsSession session);
    }

    /**
     * What the server did with a datagram from a peer that has no session (or, for a restarted
     * client's ClientHello, no verified new one yet); {@link UnverifiedPeerCb} is told.
     */
    public enum UnverifiedPeer {
        /** A ClientHello without a valid cookie was answered with a HelloVerifyRequest (Qt's "not verified yet"). */
        HELLO_VERIFY_REQUEST_SENT,
        /** Ignored: {@link Builder#maxSessions} sessions exist ({@link #getSessionsRefused()}). */
        REFUSED_SESSION_LIMIT,
        /** Ignored: not an acceptable ClientHello; {@link #getLastMalformedReason()} says why. */
        DROPPED_MALFORMED,
        /** Ignored: a HelloVerifyRequest (or a JDK cookie check) was due, but the budget was spent ({@link Builder#helloVerifyRate}). */
        DROPPED_RATE_LIMITED
    }

    /**
     * Told, on the loop thread, what the server did with each datagram from a peer without a
     * session, the way {@code evconnlistener_set_error_cb} tells a listener's troubles: for a
     * log or for counting per peer. Nothing is kept for the peer either way. It may look at the
     * server; it is called after the HelloVerifyRequest was sent. A cookie flood calls it once
     * per forged datagram, so whatever it does should be cheap (or rate-limited by it).
     */
    @FunctionalInterface
    public interface UnverifiedPeerCb {
        /**
         * @param server the server
         * @param peer the datagram's source address and port (not proven: the cookie exchange exists for that)
         * @param what what the server did
         */
        void call(DtlsServer server, InetSocketAddress peer, UnverifiedPeer what);
    }

    /** Settings; {@link #bind} starts the server. */
    public static final class Builder extends SessionBuilder<Builder> {
        private int maxSessions = DEFAULT_MAX_SESSIONS;
        private Duration cookieRotation = DEFAULT_COOKIE_ROTATION;
        private int hvrPerSecond = DEFAULT_HVR_PER_SECOND;
        private int hvrBurst = DEFAULT_HVR_BURST;
        private int maxDatagramsPerEvent = UdpEndpoint.DEFAULT_MAX_DATAGRAMS_PER_EVENT;
        private int receiveBufferBytes;
        private UnverifiedPeerCb unverifiedPeerCb;

        private Builder(EventBase base, DtlsEngineFactory factory) {
            super(base, factory, DEFAULT_IDLE_TIMEOUT);
        }

        /**
         * Sessions at most (handshaking and established); beyond it new peers are ignored and
         * counted ({@link #getSessionsRefused()}) until one ends.
         *
         * @param sessions at least 1
         * @return this builder
         */
        public Builder maxSessions(int sessions) {
            if (sessions < 1) {
                throw new IllegalArgumentException("maxSessions must be >= 1: " + sessions);
            }
            maxSessions = sessions;
            return this;
        }

        /**
         * How often the cookie secret changes; a cookie lives at most two periods.
         *
         * @param period positive
         * @return this builder
         */
        public Builder cookieRotation(Duration period) {
            cookieRotation = requirePositive(period, "cookieRotation");
            return this;
        }

        /**
         * The budget of HelloVerifyRequests, all peers together (a token bucket); with the JDK
         * engine, each check of a cookie spends from it too, since it costs as much.
         *
         * @param perSecond sustained rate, at least 1
         * @param burst bucket size, at least 1
         * @return this builder
         */
        public Builder helloVerifyRate(int perSecond, int burst) {
            if (perSecond < 1 || burst < 1) {
                throw new IllegalArgumentException("helloVerifyRate needs perSecond and burst >= 1");
            }
            hvrPerSecond = perSecond;
            hvrBurst = burst;
            return this;
        }

        /**
         * Datagrams read per readiness event before the loop serves its other events.
         *
         * @param count at least 1
         * @return this builder
         */
        public Builder maxDatagramsPerEvent(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("maxDatagramsPerEvent must be >= 1: " + count);
            }
            maxDatagramsPerEvent = count;
            return this;
        }

        /**
         * The socket's receive buffer (SO_RCVBUF); 0 keeps the system's.
         *
         * @param bytes the size
         * @return this builder
         */
        public Builder receiveBufferBytes(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("negative receiveBufferBytes: " + bytes);
            }
            receiveBufferBytes = bytes;
            return this;
        }

        /**
         * A callback told what happens to each datagram from a peer that has no session
         * ({@link UnverifiedPeerCb}); none by default, and then nothing is called or made.
         *
         * @param cb the callback, or null for none
         * @return this builder
         */
        public Builder unverifiedPeerCb(UnverifiedPeerCb cb) {
            unverifiedPeerCb = cb;
            return this;
        }

        /**
         * Binds the socket and starts serving. On the loop thread.
         *
         * @param local the address to bind; port 0 picks a free one ({@link #getLocalAddress()})
         * @param acceptcb called for each verified peer
         * @return the server
         * @throws IOException if the socket cannot be bound
         * @throws IllegalArgumentException if the factory is a client one
         * @throws IllegalStateException off the loop thread, or if the factory serves another server
         */
        public DtlsServer bind(InetSocketAddress local, AcceptCb acceptcb) throws IOException {
            Objects.requireNonNull(local, "local");
            Objects.requireNonNull(acceptcb, "acceptcb");
            base.checkInLoopThread();
            factory.claimForServer();
            return new DtlsServer(this, local, acceptcb);
        }
    }

    private final EventBase base;
    private final DtlsEngineFactory factory;
    private final SessionSettings settings;
    private final UdpEndpoint endpoint;
    private final HelloVerifier verifier;
    private final AcceptCb acceptcb;
    private final UnverifiedPeerCb unverifiedPeerCb;
    private final int maxSessions;
    private final Map<InetSocketAddress, DtlsSession> sessions = new HashMap<>();
    /** A HelloVerifyRequest: record and handshake headers, version, a cookie of up to 255 bytes. */
    private final ByteBuffer hvrOut = ByteBuffer.allocate(25 + 3 + CookieScheme.MAX_COOKIE_LENGTH);
    private final Event rotation;
    /** A finished session leaves the table (only if it is still the one there). */
    private final DtlsSession.Owner owner = session -> sessions.remove(session.getPeer(), session);
    private boolean closing;
    /** Made when the server is ended from a session's tap: ends that session once the tap returned. */
    private Event afterTaps;
    /** Sessions left unfinished by an end of the server from a tap, out of the table, ended by {@code afterTaps}. */
    private final List<DtlsSession> marked = new ArrayList<>(1);
    private long sessionsAccepted;
    private long sessionsRefused;
    private long restarts;
    private long staleHellos;

    private DtlsServer(Builder b, InetSocketAddress local, AcceptCb acceptcb) throws IOException {
        this.base = b.base;
        this.factory = b.factory;
        this.acceptcb = acceptcb;
        this.unverifiedPeerCb = b.unverifiedPeerCb;
        this.maxSessions = b.maxSessions;
        this.settings = b.settings();
        this.verifier = new HelloVerifier(factory.cookieScheme(), new HvrRateLimiter(b.hvrPerSecond, b.hvrBurst));
        UdpEndpoint.Options options = new UdpEndpoint.Options()
                .maxDatagramSize(factory.maxDatagramSize())
                .maxDatagramsPerEvent(b.maxDatagramsPerEvent)
                .receiveBufferBytes(b.receiveBufferBytes);
        this.endpoint = UdpEndpoint.bind(base, local, options, (ep, d, from) -> onDatagram(d, from));
        CookieScheme scheme = factory.cookieScheme();
        this.rotation = new Event(base, null, Event.EV_PERSIST, (ev, what) -> scheme.rotate());
        rotation.add(b.cookieRotation);
    }

    /**
     * A server with the default settings; see {@link #builder} for the others.
     *
     * @param base the loop
     * @param local the address to bind; port 0 picks a free one
     * @param factory {@link JdkDtls#server} or {@link BcPskDtls#server()}, for this server only
     * @param acceptcb called for each verified peer
     * @return the server, serving
     * @throws IOException if the socket cannot be bound
     */
    public static DtlsServer bind(EventBase base, InetSocketAddress local, DtlsEngineFactory factory, AcceptCb acceptcb)
            throws IOException {
        return builder(base, factory).bind(local, acceptcb);
    }

    /**
     * Settings for a server on {@code base} running {@code factory}'s engines.
     *
     * @param base the loop
     * @param factory {@link JdkDtls#server} or {@link BcPskDtls#server()}, for this server only
     * @return a builder
     */
    public static Builder builder(EventBase base, DtlsEngineFactory factory) {
        return new Builder(base, factory);
    }

    // ------------------------------------------------------------------ datagrams

    private void onDatagram(ByteBuffer datagram, InetSocketAddress from) {
        if (closing) {
            return;
        }
        DtlsSession session = sessions.get(from);
        if (session != null) {
            if (DtlsRecords.startsWithClientHello(datagram)) {
                helloFromKnownPeer(session, datagram, from);
            } else {
                session.receive(datagram);
            }
            return;
        }
        if (sessions.size() >= maxSessions) {
            sessionsRefused++;
            tell(from, UnverifiedPeer.REFUSED_SESSION_LIMIT);
            return;
        }
        HelloVerifier.Verdict verdict = verifier.verify(datagram, from, base.gettimeMonotonic(), hvrOut);
        if (verdict == HelloVerifier.Verdict.VERIFIED) {
            accept(from, datagram);
        } else {
            notVerified(verdict, from);
        }
    }

    /** Sends the HelloVerifyRequest if that is the verdict (the rest is counted by the verifier), and tells. */
    private void notVerified(HelloVerifier.Verdict verdict, InetSocketAddress from) {
        UnverifiedPeer what = switch (verdict) {
            case HELLO_VERIFY_REQUEST -> {
                endpoint.send(hvrOut, from);
                yield UnverifiedPeer.HELLO_VERIFY_REQUEST_SENT;
            }
            case DROPPED_RATE_LIMITED -> UnverifiedPeer.DROPPED_RATE_LIMITED;
            default -> UnverifiedPeer.DROPPED_MALFORMED; // malformed or fragmented
        };
        tell(from, what);
    }

    private void tell(InetSocketAddress from, UnverifiedPeer what) {
        UnverifiedPeerCb cb = unverifiedPeerCb;
        if (cb != null) {
            cb.call(this, from, what);
        }
    }

    /**
     * A ClientHello from a peer that has a session. A copy of the hello that began the session
     * (same random: a retransmission, or a duplicate or late datagram of the network) is stale
     * and dropped. A hello with another random is a new
     * association from a restarted client (RFC 6347 §4.2.8): only a verified one (the peer
     * proved it receives at that address) replaces the old session.
     */
    private void helloFromKnownPeer(DtlsSession session, ByteBuffer datagram, InetSocketAddress from) {
        if (!verifier.parse(datagram)) {
            return;
        }
        ClientHelloView hello = verifier.hello();
        if (session.beganWithSameHello(hello)) {
            // The engine has it already; the session's own timer repairs a lost answer. (Measured:
            // the JDK server fails its handshake, "Unexpected handshake message: client_hello",
            // on such a copy arriving after the client's next flight.)
            staleHellos++;
            return;
        }
        HelloVerifier.Verdict verdict = verifier.verifyParsed(from, base.gettimeMonotonic(), hvrOut);
        if (verdict == HelloVerifier.Verdict.VERIFIED) {
            restarts++;
            session.abandonForRestart();
            if (!closing) {
                accept(from, datagram);
            }
        } else {
            notVerified(verdict, from); // the old association goes on
        }
    }

    /**
     * A verified ClientHello: the peer's session, made and started in this datagram's callback.
     * The engines copy what they need of the hello, so {@code hello} is unchanged for the tap.
     */
    private void accept(InetSocketAddress peer, ByteBuffer hello) {
        DtlsSession session = new DtlsSession(settings, endpoint, peer, owner, false);
        session.attach(factory.newServerEngine(settings, verifier.hello(), peer, session.engineListener()));
        session.beganWith(verifier.hello());
        sessions.put(peer, session);
        sessionsAccepted++;
        try {
            acceptcb.call(this, session);
        } catch (RuntimeException | Error e) {
            session.free();
            throw e;
        }
        session.tapFirstHello(hello);
        session.start();
    }

    // ------------------------------------------------------------------ public API

    /**
     * The bound address, with the port picked when bound to port 0.
     *
     * @return the local address
     * @throws IOException if the socket is closed
     */
    public InetSocketAddress getLocalAddress() throws IOException {
        return endpoint.localAddress();
    }

    /** @return the loop */
    public EventBase getBase() {
        return base;
    }

    /** @return sessions now, handshaking or established */
    public int getSessionCount() {
        base.checkInLoopThread();
        return sessions.size();
    }

    /**
     * The unfinished session with {@code peer}.
     *
     * @param peer an address and port
     * @return its session, or null
     */
    public DtlsSession getSession(InetSocketAddress peer) {
        base.checkInLoopThread();
        return sessions.get(peer);
    }

    /** @return the largest datagram read or written (the engine factory's) */
    public int getMaxDatagramSize() {
        return endpoint.maxDatagramSize();
    }

    /** @return sessions made for verified peers since the start */
    public long getSessionsAccepted() {
        base.checkInLoopThread();
        return sessionsAccepted;
    }

    /** @return datagrams from unknown peers ignored because {@link Builder#maxSessions} sessions existed */
    public long getSessionsRefused() {
        base.checkInLoopThread();
        return sessionsRefused;
    }

    /** @return established sessions replaced by a verified ClientHello from the same address (RFC 6347 §4.2.8) */
    public long getRestarts() {
        base.checkInLoopThread();
        return restarts;
    }

    /** @return copies of a session's own ClientHello that came after they could matter, dropped */
    public long getStaleHellos() {
        base.checkInLoopThread();
        return staleHellos;
    }

    /** @return HelloVerifyRequests sent */
    public long getHelloVerifyRequests() {
        base.checkInLoopThread();
        return verifier.helloVerifyRequests();
    }

    /** @return ClientHellos whose cookie verified */
    public long getCookiesVerified() {
        base.checkInLoopThread();
        return verifier.verified();
    }

    /** @return ClientHellos whose cookie did not verify (stale, forged, or from another address) */
    public long getBadCookies() {
        base.checkInLoopThread();
        return verifier.badCookies();
    }

    /** @return datagrams from unknown peers dropped as not an acceptable ClientHello (malformed, fragmented, not a hello) */
    public long getMalformedHellos() {
        base.checkInLoopThread();
        return verifier.droppedMalformed();
    }

    /** @return why the last such datagram was dropped, or null */
    public String getLastMalformedReason() {
        base.checkInLoopThread();
        return verifier.lastRejection();
    }

    /** @return HelloVerifyRequests (and, for the JDK engine, cookie checks) not done for lack of budget */
    public long getHellosRateLimited() {
        base.checkInLoopThread();
        return verifier.droppedRateLimited();
    }

    /** @return datagrams dropped for exceeding the maximum datagram size */
    public long getOversizedDatagrams() {
        base.checkInLoopThread();
        return endpoint.oversizedDropped();
    }

    /** @return datagrams received on the socket, from anyone */
    public long getDatagramsReceived() {
        base.checkInLoopThread();
        return endpoint.datagramsReceived();
    }

    /** @return whether {@link #shutdown()} or {@link #free()} was called */
    public boolean isClosed() {
        base.checkInLoopThread();
        return closing;
    }

    /**
     * Qt's server shutdown: close_notify to every established peer (handshaking ones are
     * dropped), then the socket closes once those datagrams are out, after {@link
     * SslBufferevent#SHUTDOWN_FLUSH_LIMIT} at the latest. No session event follows. Idempotent.
     * From a session's {@link DtlsSession.DatagramTap}, the sessions end right after the tap
     * returned (see the class comment); {@link #getSessionCount()} is 0 at once either way.
     */
    public void shutdown() {
        base.checkInLoopThread();
        if (closing) {
            return;
        }
        closing = true;
        rotation.del();
        if (endSessions(true)) {
            endAfterTaps(); // the socket closes after the tapped session's close_notify
        } else {
            endpoint.closeAfterFlush(SslBufferevent.SHUTDOWN_FLUSH_LIMIT);
        }
    }

    /** Ends every session without a word and closes the socket now. Idempotent. */
    public void free() {
        base.checkInLoopThread();
        closing = true;
        rotation.del();
        if (endSessions(false)) {
            endAfterTaps();
        } else if (afterTaps != null) {
            afterTaps.del(); // sessions a shutdown from a tap left for later were freed just now
        }
        endpoint.close(); // a marked session's engine may still send: the closed endpoint drops it
    }

    /**
     * Ends every session now; but when a tap of one of them is running (this end was called from
     * it, or from code it called), marks them all to be ended by {@link #endMarkedSessions()}
     * after it returned: that session's engine is in the middle of a datagram, and so may be
     * others' (a tap can run inside another session's read callback that wrote to its session),
     * so none is ended under a running engine call. Marked sessions leave the table at once.
     *
     * @return whether sessions were marked
     */
    private boolean endSessions(boolean closeNotify) {
        if (!aTapIsRunning()) {
            // Any marked by a shutdown from a tap are ended now too: by a free, without a word.
            for (DtlsSession s : marked) {
                end(s, closeNotify);
            }
            marked.clear();
            for (DtlsSession s : sessions.values().toArray(new DtlsSession[0])) {
                end(s, closeNotify);
            }
            return false;
        }
        for (DtlsSession s : marked) {
            s.markEnd(closeNotify); // a free after a shutdown: no close_notify
        }
        for (DtlsSession s : sessions.values()) {
            s.markEnd(closeNotify);
            marked.add(s);
        }
        sessions.clear();
        return true;
    }

    private boolean aTapIsRunning() {
        for (DtlsSession s : marked) {
            if (s.isTapping()) {
                return true;
            }
        }
        for (DtlsSession s : sessions.values()) {
            if (s.isTapping()) {
                return true;
            }
        }
        return false;
    }

    private static void end(DtlsSession s, boolean closeNotify) {
        if (closeNotify) {
            s.shutdown();
        } else {
            s.free();
        }
    }

    /**
     * Ends the marked sessions once the current callback chain returned: an active event runs
     * after the callback that activated it, and every tap runs inside some callback of the loop.
     */
    private void endAfterTaps() {
        if (afterTaps == null) {
            afterTaps = Event.timer(base, (ev, what) -> endMarkedSessions());
        }
        afterTaps.activate(Event.EV_TIMEOUT);
    }

    private void endMarkedSessions() {
        for (DtlsSession s : marked) {
            s.endAsMarked();
        }
        marked.clear();
        endpoint.closeAfterFlush(SslBufferevent.SHUTDOWN_FLUSH_LIMIT); // nothing if free() closed it already
    }

    /** The endpoint, for tests that look at its counters. */
    UdpEndpoint endpoint() {
        return endpoint;
    }

    /** The engine factory, for tests. */
    DtlsEngineFactory factory() {
        return factory;
    }

    @Override
    public String toString() {
        return "DtlsServer[" + (closing ? "closed" : endpoint.toString()) + ", " + sessions.size() + " sessions]";
    }
}
