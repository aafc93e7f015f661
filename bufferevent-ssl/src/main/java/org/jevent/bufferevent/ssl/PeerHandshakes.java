package org.jevent.bufferevent.ssl;

import java.time.Duration;
import javax.net.ssl.SSLEngine;

/**
 * What the peer of one TLS session may start, and what it did: renegotiations (TLS 1.2: a
 * client's ClientHello once the session is established, or a server's HelloRequest) and key
 * update requests (TLS 1.3: a KeyUpdate asking for ours, which costs this end a wrap). Each kind
 * has a limit, "at most n in any period" ({@link RateWindow}); this class decides, counts, and
 * sets the engine up to refuse a renegotiation; {@link PeerHandshakeGuard} ends the session and
 * reports it (see {@link SslBufferevent#setRenegotiationLimit}).
 *
 * <p>Made only when first needed (a limit set, or the first handshake the peer starts), so that
 * a session whose peer never does either carries one null field.
 *
 * <p>Invariant: the counts only grow; {@code protocol} is 0 until the session's protocol was
 * read, then fixed (a renegotiation cannot change it); {@code refusal} is set at most once, and
 * then the session is ending.
 */
final class PeerHandshakes {
    private static final byte UNKNOWN = 0;
    private static final byte TLS13 = 1;
    private static final byte BEFORE_TLS13 = 2;

    /**
     * The only cipher suite left enabled on a JDK engine that is to refuse the renegotiation it
     * is about to read: the signalling value negotiates no key exchange, so the engine's own
     * negotiation fails at once, before any key is made or signed, with a fatal handshake_failure
     * (the alert the JDK sends when it refuses client renegotiation itself).
     */
    private static final String NOTHING_NEGOTIABLE = "TLS_EMPTY_RENEGOTIATION_INFO_SCSV";

    private final SSLEngine engine;
    private final SslProvider provider;
    private final RateWindow renegotiations = new RateWindow(0, 0);
    private final RateWindow keyUpdates = new RateWindow(SslBufferevent.DEFAULT_KEY_UPDATE_LIMIT,
            SslBufferevent.DEFAULT_KEY_UPDATE_PERIOD.toNanos());
    private int renegotiationsAsked;
    private int keyUpdatesAsked;
    private byte protocol = UNKNOWN;
    /** Why the peer's renegotiation is being refused; null unless it is. */
    private String refusal;
    /** The alert the engine was set up to refuse with; null if it could not be. */
    private String refusalAlert;

    PeerHandshakes(SSLEngine engine, SslProvider provider) {
        this.engine = engine;
        this.provider = provider;
    }

    void limitRenegotiations(int max, long periodNanos) {
        renegotiations.set(max, periodNanos);
    }

    void limitKeyUpdates(int max, long periodNanos) {
        keyUpdates.set(max, periodNanos);
    }

    int renegotiationsAsked() {
        return renegotiationsAsked;
    }

    int keyUpdatesAsked() {
        return keyUpdatesAsked;
    }

    /** True if the session runs TLS 1.3 (read from the engine once, the first time it is asked). */
    boolean tls13() {
        if (protocol == UNKNOWN) {
            protocol = "TLSv1.3".equals(engine.getSession().getProtocol()) ? TLS13 : BEFORE_TLS13;
        }
        return protocol == TLS13;
    }

    /**
     * The peer asks for a renegotiation at {@code now} (the session is TLS 1.2 or older):
     * counted. Returns null if it may go on: this end is a client that can follow its server
     * ({@link SslProvider#serverRenegotiationsFollowed}), or a server within its limit on a
     * provider that renegotiates. Otherwise returns why it is refused, having set the engine up
     * to refuse it ({@link #engineRefuses()}).
     */
    String renegotiationAsked(long now) {
        renegotiationsAsked++;
        if (engine.getUseClientMode()) {
            int followed = provider.serverRenegotiationsFollowed();
            if (renegotiationsAsked <= followed) {
                return null;
            }
            refusal = "server-initiated renegotiation refused (request #" + renegotiationsAsked + "): a " + provider
                    + " client follows " + followed + " per connection (Netty runs BoringSSL's renegotiate-once mode"
                    + " for its clients)";
            refusalAlert = "no_renegotiation"; // BoringSSL's own, which the engine sends
            return refusal;
        }
        if (provider.renegotiates && renegotiations.tryAccept(now)) {
            return null;
        }
        refusal = "client-initiated renegotiation refused (request #" + renegotiationsAsked + "; "
                + (!provider.renegotiates ? "BoringSSL servers (" + provider + ") never renegotiate"
                        : "renegotiations " + describe(renegotiations)) + ")";
        refusalAlert = armRefusal();
        return refusal;
    }

    /** "at most 2 per PT10M", or "none allowed": the renegotiation limit, for a log line. */
    String renegotiationLimit() {
        return describe(renegotiations);
    }

    /** Why the peer's renegotiation is being refused, or null: the engine's next failure is that refusal. */
    String refusal() {
        return refusal;
    }

    /** The alert the engine will refuse the renegotiation with. */
    String refusalAlert() {
        return refusalAlert;
    }

    /** False if the engine could not be set up to refuse: the session must end without reading the request. */
    boolean engineRefuses() {
        return refusalAlert != null;
    }

    /**
     * Sets the engine up to refuse the renegotiation it is about to read; returns the alert it
     * will send, or null if it cannot be. A provider that does not renegotiate (Conscrypt's
     * BoringSSL) refuses by itself, with a fatal no_renegotiation. A JDK engine is left nothing it can negotiate
     * ({@link #NOTHING_NEGOTIABLE}), so its own negotiation ends in a fatal handshake_failure
     * without making or signing a key; the session is ending, so the suites need no restoring.
     * An engine that takes neither that nor an empty list (some other provider) cannot be made to
     * refuse.
     */
    private String armRefusal() {
        if (!provider.renegotiates) {
            return "no_renegotiation"; // a BoringSSL server's own refusal
        }
        try {
            engine.setEnabledCipherSuites(new String[] {NOTHING_NEGOTIABLE});
            return "handshake_failure";
        } catch (IllegalArgumentException notAccepted) {
            // not a suite this engine knows; try the empty list
        }
        try {
            engine.setEnabledCipherSuites(new String[0]);
            return "internal_error"; // the JDK's answer to a handshake it has no protocol for
        } catch (IllegalArgumentException notAccepted) {
            return null;
        }
    }

    /**
     * The peer requests a key update at {@code now} (TLS 1.3): counted. Returns null if the
     * limit allows it, else why the session ends.
     */
    String keyUpdateAsked(long now) {
        keyUpdatesAsked++;
        if (keyUpdates.tryAccept(now)) {
            return null;
        }
        return "key update request #" + keyUpdatesAsked + " from the peer is over the limit ("
                + describe(keyUpdates) + "): session ended";
    }

    private static String describe(RateWindow w) {
        return w.max() == 0 ? "none allowed" : "at most " + w.max() + " per " + Duration.ofNanos(w.periodNanos());
    }
}
