package org.jevent.bufferevent.ssl;

import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.EndReason;
import org.jevent.eventbase.EventBase;

/**
 * What one {@link SslBufferevent} does when its peer starts a handshake on an established
 * session: {@link PeerHandshakes} counts it and decides; this class logs the decision and, on a
 * refusal, ends the session through {@link TlsFailure} (see
 * {@link SslBufferevent#setRenegotiationLimit} and {@link SslBufferevent#setKeyUpdateLimit}).
 *
 * <p>Invariant: {@code peer} stays null until a limit is set or the peer starts a handshake, so
 * a session whose peer never does carries no counters; a refusal ends the session once, with
 * the reason of what was refused.
 */
final class PeerHandshakeGuard {
    private final EventBase base;
    private final SSLEngine engine;
    private final SslProvider provider;
    private final SessionLog log;
    private final TlsFailure failure;
    /** What the peer may start and did; null until first needed. */
    private PeerHandshakes peer;

    PeerHandshakeGuard(EventBase base, SSLEngine engine, SslProvider provider, SessionLog log, TlsFailure failure) {
        this.base = base;
        this.engine = engine;
        this.provider = provider;
        this.log = log;
        this.failure = failure;
    }

    void limitRenegotiations(int handshakes, Duration period) {
        long nanos = periodNanos(handshakes, period);
        peer().limitRenegotiations(handshakes, nanos);
    }

    void limitKeyUpdates(int updates, Duration period) {
        long nanos = periodNanos(updates, period);
        peer().limitKeyUpdates(updates, nanos);
    }

    int renegotiationsAsked() {
        return peer == null ? 0 : peer.renegotiationsAsked();
    }

    int keyUpdatesAsked() {
        return peer == null ? 0 : peer.keyUpdatesAsked();
    }

    private static long periodNanos(int limit, Duration period) {
        int max = SslBufferevent.MAX_PEER_HANDSHAKE_LIMIT;
        if (limit < 0 || limit > max) {
            throw new IllegalArgumentException("limit " + limit + " out of range 0.." + max);
        }
        if (limit == 0) {
            return 0;
        }
        Objects.requireNonNull(period, "period");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("the period must be positive: " + period);
        }
        return period.compareTo(Duration.ofDays(36_500)) > 0 ? Duration.ofDays(36_500).toNanos() : period.toNanos();
    }

    private PeerHandshakes peer() {
        if (peer == null) {
            peer = new PeerHandshakes(engine, provider);
        }
        return peer;
    }

    /**
     * The pump found a handshake record at the head of the input of an established session,
     * before unwrapping it: on TLS 1.2 the peer asks for a renegotiation (a client's ClientHello,
     * or a server's HelloRequest to this client), which {@link PeerHandshakes} counts and allows
     * or refuses. The pump unwraps the record either way: an allowed renegotiation goes on, a
     * refused one makes the engine fail with its alert, reported by {@link TlsFailure#engineFailed} as the
     * refusal. Only an engine that cannot be set up to refuse makes this end the session itself
     * (unread request and all, our close_notify the only word to the peer), and the pump stops.
     */
    void handshakeRecord() {
        PeerHandshakes p = peer();
        if (p.tls13()) {
            return; // TLS 1.3 has no renegotiation: the engine rejects such a record itself
        }
        String refused = p.renegotiationAsked(base.gettimeMonotonic());
        log.peerRenegotiation(p, refused);
        if (refused == null) {
            return;
        }
        log.handshakeStarted("peer"); // timed, and recorded (JFR) as a failed handshake the peer started
        failure.refusingRenegotiation(p);
        if (!p.engineRefuses()) {
            engine.closeOutbound();
            failure.renegotiationRefused(null);
        }
    }

    /**
     * The engine started a handshake on an established session without us asking: the peer
     * started it. On TLS 1.3 that is a key update request (the engine wants to answer it),
     * counted and limited by {@link SslBufferevent#setKeyUpdateLimit}; one over the limit ends the
     * session. A TLS 1.2 renegotiation was counted when its first record arrived.
     */
    void handshakeStarted() {
        log.handshakeStarted("peer");
        PeerHandshakes p = peer();
        if (!p.tls13()) {
            return;
        }
        String refused = p.keyUpdateAsked(base.gettimeMonotonic());
        if (refused == null) {
            return;
        }
        log.decision(refused);
        engine.closeOutbound(); // the one alert an engine sends on demand: close_notify
        failure.refuse(new SslError(new TlsEndException(refused), null, false), EndReason.KEY_UPDATE_LIMIT);
    }
}
