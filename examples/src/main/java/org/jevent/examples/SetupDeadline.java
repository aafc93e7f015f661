package org.jevent.examples;

import java.time.Duration;
import org.jevent.eventbase.CommonTimeout;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * A one-shot deadline for one connection's set-up (its TLS handshake, a startup exchange): armed
 * once, when the connection is accepted, and only cancelled, never restarted, so a client that
 * trickles a byte now and then cannot hold the connection past it. A bufferevent's timeouts are
 * the wrong tool here: each byte read restarts them (a TLS bufferevent does bound its first
 * handshake by the timeouts set before it, but those are sized for idleness, minutes).
 *
 * <p>Connections of one server share one duration, so the timers sit in the base's common-timeout
 * queue for it ({@link EventBase#initCommonTimeout}): arming and cancelling are O(1) however
 * many connections wait. Loop thread only, like the base.
 */
final class SetupDeadline {
    private final Event timer;

    private SetupDeadline(Event timer) {
        this.timer = timer;
    }

    /**
     * Runs {@code expired} on the base's thread {@code after} from now, unless {@link #cancel()}
     * was called first. Null {@code after} (no limit) gives a deadline that never fires.
     */
    static SetupDeadline arm(EventBase base, Duration after, Runnable expired) {
        if (after == null) {
            return new SetupDeadline(null);
        }
        CommonTimeout queue = base.initCommonTimeout(after); // the same queue for the same duration
        Event t = Event.timer(base, (ev, what) -> expired.run());
        t.add(queue);
        return new SetupDeadline(t);
    }

    /** The set-up finished (or the connection ended): the deadline no longer applies. Idempotent. */
    void cancel() {
        if (timer != null) {
            timer.free();
        }
    }
}
