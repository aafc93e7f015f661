package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The handshakes one {@link SslBufferevent} drives: the first (started once the transport is
 * connected), ours on demand ({@link SslBufferevent#renegotiate}), and the end of any handshake,
 * ours or the peer's: CONNECTED when due, the timeouts per direction from then on, and the data
 * held meanwhile let go. What the peer starts is judged by {@link PeerHandshakeGuard}.
 *
 * <p>Invariant: the first handshake starts at most once, from WAITING ({@link SessionState});
 * ours only from OPEN and never during a shutdown; a handshake that ends after a failure
 * changes nothing (FAILED is final).
 */
final class Handshakes {
    private final SslBufferevent session;
    private final SessionState state;
    private final SSLEngine engine;
    private final boolean providerRenegotiates;
    private final SessionLog log;
    private final TlsFailure failure;
    private final SecureClose close;
    private final SslErrorQueue errors;
    private final TlsPump pump;

    Handshakes(SslBufferevent session, SessionState state, SSLEngine engine, SslProvider provider, SessionLog log,
            TlsFailure failure, SecureClose close, SslErrorQueue errors, TlsPump pump) {
        this.session = session;
        this.state = state;
        this.engine = engine;
        this.providerRenegotiates = provider.renegotiates;
        this.log = log;
        this.failure = failure;
        this.close = close;
        this.errors = errors;
        this.pump = pump;
    }

    /** Starts the first handshake if the session waits for it (only a WAITING session starts one). */
    void startFirst() {
        if (!state.startHandshake()) {
            return;
        }
        log.handshakeStarted("initial");
        try {
            engine.beginHandshake();
        } catch (SSLException e) {
            failure.engineFailed(e, 0, false);
            return;
        }
        session.restartHandshakeBound(); // the bound restarts now that the handshake itself starts
        pump.run();
    }

    /** {@link SslBufferevent#renegotiate}, once the thread and the bufferevent were checked. */
    boolean renegotiate() {
        if (!providerRenegotiates || !state.isOpen() || close.isShuttingDown()) {
            return false;
        }
        try {
            engine.beginHandshake();
        } catch (SSLException | IllegalStateException e) {
            errors.add(SslError.of(e));
            return false;
        }
        boolean running = engine.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING;
        state.renegotiating(running);
        if (running) {
            log.handshakeStarted("local");
        }
        pump.run();
        return true;
    }

    /** The running handshake finished: CONNECTED if due, and data held meanwhile may go. */
    void finished() {
        if (state.failed()) {
            return; // final: a delegated task that ends after a failure changes nothing
        }
        log.handshakeFinished();
        session.handshakeCompleted(state.handshakeFinished());
        pump.again(); // data held during the handshake can go now
    }
}
