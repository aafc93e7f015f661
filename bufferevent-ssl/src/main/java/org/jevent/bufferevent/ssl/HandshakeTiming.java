package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * When the running handshake of one {@link SslBufferevent} started and who started it, and what
 * the finished handshake agreed on (protocol, suite, whether the session was resumed): the facts
 * the DEBUG log line and the JFR event of a handshake carry.
 *
 * <p>Resumption is read from the session's creation time, since {@code SSLEngine} has no
 * "reused" flag: a session created before this handshake started was resumed, one created during
 * it is new. The JDK keeps that time in milliseconds (a resumption within the millisecond of
 * the first handshake reads as new); Conscrypt in whole seconds (BoringSSL's session time), so
 * there a session must be older than a second to read as resumed. Checked for both providers,
 * in {@code JfrEventsTest}.
 *
 * <p>Invariant: {@code startNanos} is 0 exactly while no handshake is timed; one clock read per
 * handshake start and end, nothing per record.
 */
final class HandshakeTiming {
    /** {@code System.nanoTime()} at the start of the running handshake; 0 when none runs. */
    private long startNanos;
    /** Wall-clock milliseconds at the same start, compared with the session's creation time. */
    private long startMillis;
    /** Who started the running handshake: "initial", "local" (renegotiate) or "peer". */
    private String startedBy;

    /** A handshake starts now; {@code startedBy} names who started it. A second start of the same handshake keeps the first. */
    void started(String startedBy) {
        if (startNanos != 0) {
            return;
        }
        this.startNanos = System.nanoTime();
        this.startMillis = System.currentTimeMillis();
        this.startedBy = startedBy;
    }

    boolean running() {
        return startNanos != 0;
    }

    String startedBy() {
        return startedBy;
    }

    /** Nanoseconds since the start (0 if none runs). */
    long elapsedNanos() {
        return startNanos == 0 ? 0 : Math.max(1, System.nanoTime() - startNanos);
    }

    /**
     * True if the session the handshake agreed on existed before the handshake started;
     * {@code secondsClock}: the provider keeps creation times in whole seconds (BoringSSL: Conscrypt, netty-tcnative).
     */
    boolean resumed(SSLSession session, boolean secondsClock) {
        return session != null && session.getCreationTime() < startMillis - (secondsClock ? 1000 : 0);
    }

    /** The handshake ended (finished or failed): nothing is timed until the next start. */
    void stop() {
        startNanos = 0;
    }

    /** The engine's peer as the client names it (host:port), or "unknown" (a server's engine usually). */
    static String peer(SSLEngine engine) {
        String host = engine.getPeerHost();
        return host == null ? "unknown" : host + ":" + engine.getPeerPort();
    }
}
