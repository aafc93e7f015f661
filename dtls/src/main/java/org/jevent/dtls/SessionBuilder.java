package org.jevent.dtls;

import java.time.Duration;
import java.util.Objects;
import org.jevent.eventbase.EventBase;

/**
 * The session settings {@link DtlsServer.Builder} and {@link DtlsClient.Builder} share: handshake
 * timeout, idle timeout, the first retransmission wait and the datagram tap.
 *
 * @param <B> the concrete builder, returned by every setter
 */
abstract class SessionBuilder<B extends SessionBuilder<B>> {
    final EventBase base;
    final DtlsEngineFactory factory;
    Duration handshakeTimeout = DtlsSession.DEFAULT_HANDSHAKE_TIMEOUT;
    Duration idleTimeout;
    Duration retransmitTimeout = DtlsSession.DEFAULT_RETRANSMIT_TIMEOUT;
    DtlsSession.DatagramTap datagramTap;

    SessionBuilder(EventBase base, DtlsEngineFactory factory, Duration idleTimeout) {
        this.base = Objects.requireNonNull(base, "base");
        this.factory = Objects.requireNonNull(factory, "factory");
        this.idleTimeout = idleTimeout;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * How long a handshake may take, from when it starts (for bctls, from when a handshake thread
     * takes it up), before the session ends with {@code BEV_EVENT_TIMEOUT};
     * {@link DtlsSession#DEFAULT_HANDSHAKE_TIMEOUT} by default.
     *
     * @param timeout positive
     * @return this builder
     */
    public B handshakeTimeout(Duration timeout) {
        handshakeTimeout = requirePositive(timeout, "handshakeTimeout");
        return self();
    }

    /**
     * How long an established session may hear nothing from its peer before it sends
     * close_notify and ends with {@code BEV_EVENT_READING | BEV_EVENT_TIMEOUT}.
     *
     * @param timeout positive, or zero for none
     * @return this builder
     */
    public B idleTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "idleTimeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative idleTimeout: " + timeout);
        }
        idleTimeout = timeout;
        return self();
    }

    /**
     * The first wait before a handshake flight is sent again ({@link
     * DtlsSession#DEFAULT_RETRANSMIT_TIMEOUT}, RFC 6347 §4.2.4's value); each
     * retransmission doubles it, up to 60 s. bctls sessions hand it to bctls, which times its own.
     *
     * @param initial positive, at most 60 s
     * @return this builder
     */
    public B retransmitTimeout(Duration initial) {
        requirePositive(initial, "retransmitTimeout");
        if (initial.compareTo(SessionSettings.RETRANSMIT_CAP) > 0) {
            throw new IllegalArgumentException("retransmitTimeout above " + SessionSettings.RETRANSMIT_CAP + ": " + initial);
        }
        retransmitTimeout = initial;
        return self();
    }

    /**
     * A {@link DtlsSession.DatagramTap} every session starts with, so that it sees each session's
     * datagrams from the first: a server's from the verified ClientHello on (the accept callback
     * may change or remove it per session with {@link DtlsSession#setDatagramTap}), a client's
     * from its first flight. None by default.
     *
     * @param tap the tap, or null for none
     * @return this builder
     */
    public B datagramTap(DtlsSession.DatagramTap tap) {
        datagramTap = tap;
        return self();
    }

    /** Made on the loop thread, when the server or client starts. */
    SessionSettings settings() {
        return new SessionSettings(base, handshakeTimeout, idleTimeout, retransmitTimeout, datagramTap);
    }

    static Duration requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive: " + d);
        }
        return d;
    }
}
