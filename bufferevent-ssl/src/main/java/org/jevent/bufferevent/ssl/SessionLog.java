package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the logs and JFR learn of one {@link SslBufferevent}'s session: handshakes (start; finish
 * with protocol, suite, duration, resumption; failure) at DEBUG and as the JFR event
 * {@code org.jevent.TlsHandshake}, and the session's other decisions worth a DEBUG line (bytes
 * refused at attach, the peer's renegotiations and key updates).
 *
 * <p>Invariant: observes only: nothing here changes the session, so a disabled logger and no JFR
 * leave exactly the same behaviour. A handshake is timed ({@link HandshakeTiming}) from its
 * first start to its end, finished or failed, and recorded to JFR once.
 */
final class SessionLog {
    /**
     * Handshakes (start; finish with protocol, suite, duration, resumption), failures and the
     * peer's handshake requests at DEBUG, on {@link SslBufferevent}'s logger (the name users
     * configure); {@link TlsPump} logs every record at TRACE and {@link SecureClose} the close,
     * each on its own logger.
     */
    private static final Logger LOG = LoggerFactory.getLogger(SslBufferevent.class);

    private final SslBufferevent session;
    private final SSLEngine engine;
    private final SslProvider provider;
    /** When the running handshake started, for the logs and the JFR event. */
    private final HandshakeTiming handshake = new HandshakeTiming();

    SessionLog(SslBufferevent session, SSLEngine engine, SslProvider provider) {
        this.session = session;
        this.engine = engine;
        this.provider = provider;
    }

    /** A handshake starts: timed from now, and logged. {@code by}: "initial", "local" or "peer". */
    void handshakeStarted(String by) {
        if (handshake.running()) {
            return;
        }
        handshake.started(by);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: TLS handshake started ({}, {}, peer {})", session.name(), by, role(),
                    HandshakeTiming.peer(engine));
        }
    }

    /** The running handshake finished: logged with what it agreed on, recorded, and no longer timed. */
    void handshakeFinished() {
        if (LOG.isDebugEnabled()) {
            SSLSession s = engine.getSession();
            LOG.debug("{}: TLS handshake finished in {} us ({}): {} {}, {} session, peer {}", session.name(),
                    handshake.elapsedNanos() / 1000, handshake.startedBy(), s.getProtocol(),
                    s.getCipherSuite(), resumed(s) ? "resumed" : "new", HandshakeTiming.peer(engine));
        }
        if (handshake.running()) {
            TlsRecorder.handshakeEnded(this, null);
        }
        handshake.stop();
    }

    /** The session failed ({@code error} null: its transport did); a running handshake is recorded as failed. */
    void sessionFailed(SslError error) {
        String why = error == null ? "the transport failed" : error.describe();
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: TLS session failed{}: {}", session.name(),
                    handshake.running() ? " in the handshake after " + handshake.elapsedNanos() / 1000 + " us" : "",
                    why);
        }
        if (handshake.running()) {
            TlsRecorder.handshakeEnded(this, why);
        }
        handshake.stop();
    }

    /** The peer asked for a renegotiation: allowed ({@code refused} null) or refused for that reason. */
    void peerRenegotiation(PeerHandshakes p, String refused) {
        if (!LOG.isDebugEnabled()) {
            return;
        }
        if (refused != null) {
            decision(refused);
        } else {
            LOG.debug("{}: the peer asks for a renegotiation (#{}): allowed{}", session.name(), p.renegotiationsAsked(),
                    engine.getUseClientMode() ? ", a client follows its server" : " (" + p.renegotiationLimit() + ")");
        }
    }

    /** A decision the session took, in its own words (a refusal, a limit reached). */
    void decision(String what) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: {}", session.name(), what);
        }
    }

    /** True if the handshake that just finished resumed an earlier session ({@link HandshakeTiming#resumed}). */
    boolean resumed(SSLSession s) {
        return handshake.resumed(s, provider.sessionTimeInSeconds);
    }

    HandshakeTiming timing() {
        return handshake;
    }

    SSLEngine engine() {
        return engine;
    }

    String name() {
        return session.name();
    }

    String role() {
        return engine.getUseClientMode() ? "client" : "server";
    }
}
