package org.jevent.dtls;

import java.time.Duration;
import org.jevent.eventbase.CommonTimeout;
import org.jevent.eventbase.EventBase;

/**
 * What every session of one server (or one client) shares: its loop and its timers' durations,
 * as common timeouts so that thousands of sessions arm them in O(1) each.
 *
 * <p>Retransmission (RFC 6347 §4.2.4): the first wait is {@code retransmitInitial} (1 s by
 * default), each retransmission doubles it, up to {@link #RETRANSMIT_CAP}; {@code
 * retransmitSteps[i]} is the wait after {@code i} retransmissions, the last one repeating.
 *
 * <p>Invariant: immutable after construction; the common timeouts belong to {@code base}.
 */
final class SessionSettings {
    /** RFC 6347 §4.2.4: double the timer up to at least 60 s (RFC 6298's maximum); we stop at 60 s. */
    static final Duration RETRANSMIT_CAP = Duration.ofSeconds(60);

    final EventBase base;
    final Duration handshakeTimeout;
    final CommonTimeout handshakeDeadline;
    /** Zero: no idle timeout. */
    final Duration idleTimeout;
    final Duration retransmitInitial;
    final CommonTimeout[] retransmitSteps;
    /** The tap every session starts with, or null. */
    final DtlsSession.DatagramTap datagramTap;

    /** Must be made on the loop thread (common timeouts are the base's). */
    SessionSettings(EventBase base, Duration handshakeTimeout, Duration idleTimeout, Duration retransmitInitial,
            DtlsSession.DatagramTap datagramTap) {
        this.base = base;
        this.datagramTap = datagramTap;
        this.handshakeTimeout = handshakeTimeout;
        this.handshakeDeadline = base.initCommonTimeout(handshakeTimeout);
        this.idleTimeout = idleTimeout;
        this.retransmitInitial = retransmitInitial;
        int n = 1;
        for (Duration d = retransmitInitial; d.compareTo(RETRANSMIT_CAP) < 0; d = d.multipliedBy(2)) {
            n++;
        }
        retransmitSteps = new CommonTimeout[n];
        Duration d = retransmitInitial;
        for (int i = 0; i < n; i++) {
            retransmitSteps[i] = base.initCommonTimeout(d.compareTo(RETRANSMIT_CAP) < 0 ? d : RETRANSMIT_CAP);
            d = d.multipliedBy(2);
        }
    }

    /** @return the wait after {@code retransmissions} retransmissions of the same flight */
    CommonTimeout retransmitWait(int retransmissions) {
        return retransmitSteps[Math.min(retransmissions, retransmitSteps.length - 1)];
    }

    long handshakeTimeoutNanos() {
        return handshakeTimeout.toNanos();
    }
}
