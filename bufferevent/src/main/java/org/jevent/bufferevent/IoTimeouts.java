package org.jevent.bufferevent;

import java.time.Duration;
import java.util.function.Consumer;
import org.jevent.eventbase.Event;

/**
 * The read and write timeouts of one bufferevent ({@code bufferevent_set_timeouts}): a timer per
 * direction that runs while its direction runs (the write timer only while something is still to
 * be written), restarts on progress, and on expiry disables its direction and reports
 * {@code READING|TIMEOUT} or {@code WRITING|TIMEOUT}.
 *
 * <h2>Lazy restart</h2>
 * libevent re-adds its event with the full timeout after every read and every write; done that
 * way each read and write moves the timer in the heap. Here progress only records the loop's
 * time ({@code readProgressNanos}, {@code writeProgressNanos}); the timer is armed when its
 * direction starts and, when it expires, looks at the last progress: if a whole period has not
 * passed since, it re-arms itself for the rest and nothing is reported. The outcome is
 * libevent's: a timeout is reported exactly when a full period went by without progress, and
 * never earlier. The write timer is still removed when the output empties and added when it
 * fills again, as libevent does (a pending timer keeps a loop alive).
 *
 * <h2>Handshake-bound mode</h2>
 * A layer with a handshake (TLS) binds the timeouts to it ({@link #bindToHandshake}): until the
 * handshake completes the two timeouts do not run per direction; the read timeout (else the write
 * timeout) bounds the handshake as a whole, restarting whenever the timeouts are set or
 * {@link #armHandshake()} is called, and its expiry runs the layer's action once (TLS reports one
 * bare {@code TIMEOUT}, as libevent's socket variant reports a connect that timed out, never also
 * READING|TIMEOUT and WRITING|TIMEOUT). When the handshake completes, the timeouts set meanwhile
 * become the per-direction ones; when the layer ends without completing it, they are dropped.
 *
 * <p>Invariant: a per-direction timer is pending only while its timeout is set, the mode is not
 * handshake-bound, the bufferevent is not freed and its direction runs (the write timer only
 * while output is pending, as of the last progress or adjustment); a pending timer's deadline is
 * at most one period after its direction's last recorded progress, which is never earlier than
 * the moment the timer was last armed. The handshake timer is pending only in handshake-bound mode.
 */
final class IoTimeouts {
    /** Longer timeouts are treated as this (about 100 years): {@code Duration.toNanos} would overflow. */
    private static final Duration LONGEST = Duration.ofDays(36_500);

    private final Bufferevent bev;
    private Duration read;
    private Duration write;
    /** {@code read} and {@code write} in nanoseconds (0: none). */
    private long readNanos;
    private long writeNanos;
    private Event readTimer;
    private Event writeTimer;
    /** The loop's monotonic time of the last read progress, or of the read timer's arming if later. */
    private long readProgressNanos;
    /** As {@code readProgressNanos}, for writes. */
    private long writeProgressNanos;

    /** The layer's action on the handshake's expiry; non-null exactly in handshake-bound mode. */
    private Consumer<Duration> handshakeExpired;
    private Event handshakeTimer;
    /** The bound the handshake timer was last armed with (for the layer's message). */
    private Duration handshakeBound;

    IoTimeouts(Bufferevent bev) {
        this.bev = bev;
    }

    /**
     * Sets both timeouts (null or zero: none). Running timers restart from now with the new
     * values, as libevent re-adds its events; in handshake-bound mode the handshake's bound does.
     */
    void set(Duration read, Duration write) {
        if ((read != null && read.isNegative()) || (write != null && write.isNegative())) {
            throw new IllegalArgumentException("negative timeout");
        }
        this.read = read == null || read.isZero() ? null : read;
        this.write = write == null || write.isZero() ? null : write;
        this.readNanos = nanos(this.read);
        this.writeNanos = nanos(this.write);
        if (handshakeExpired != null) {
            armHandshake();
            return;
        }
        if (readTimer != null) {
            readTimer.del();
        }
        if (writeTimer != null) {
            writeTimer.del();
        }
        adjust();
    }

    Duration read() {
        return read;
    }

    Duration write() {
        return write;
    }

    /** Arms or cancels the timers to match what is running (libevent's generic_adj_timeouts). */
    void adjust() {
        if (bev.freed || handshakeExpired != null) {
            return;
        }
        if (read != null) {
            Event t = readTimer();
            if (bev.directions.readingActive()) {
                if (t.pending(Event.EV_TIMEOUT) == 0) {
                    t.add(read);
                    readProgressNanos = bev.base.gettimeMonotonic();
                }
            } else {
                t.del();
            }
        }
        adjustWrite();
    }

    /** As {@link #adjust()}, for the write timer alone. */
    void adjustWrite() {
        if (write != null && handshakeExpired == null) {
            Event t = writeTimer();
            if (bev.directions.writingActive() && bev.hasPendingOutput()) {
                if (t.pending(Event.EV_TIMEOUT) == 0) {
                    t.add(write);
                    writeProgressNanos = bev.base.gettimeMonotonic();
                }
            } else {
                t.del();
            }
        }
    }

    /**
     * Read progress: the read timer's period starts again from now. Only the time is recorded
     * (see the class comment); the timer is armed if it is not.
     */
    void readProgress() {
        if (read != null && handshakeExpired == null && bev.directions.readingActive()) {
            readProgressNanos = bev.base.gettimeMonotonic();
            Event t = readTimer();
            if (t.pending(Event.EV_TIMEOUT) == 0) {
                t.add(read);
            }
        }
    }

    /**
     * Write progress: the write timer's period starts again from now, only recorded as for
     * reads; with nothing left to write the timer stops.
     */
    void writeProgress() {
        if (write != null && handshakeExpired == null) {
            Event t = writeTimer();
            if (bev.directions.writingActive() && bev.hasPendingOutput()) {
                writeProgressNanos = bev.base.gettimeMonotonic();
                if (t.pending(Event.EV_TIMEOUT) == 0) {
                    t.add(write);
                }
            } else {
                t.del();
            }
        }
    }

    /** On free: every timer stops. */
    void cancel() {
        if (readTimer != null) {
            readTimer.del();
        }
        if (writeTimer != null) {
            writeTimer.del();
        }
        if (handshakeTimer != null) {
            handshakeTimer.del();
        }
    }

    private Event readTimer() {
        if (readTimer == null) {
            readTimer = Event.timer(bev.base, (ev, what) -> expired(Bufferevent.EV_READ));
        }
        return readTimer;
    }

    private Event writeTimer() {
        if (writeTimer == null) {
            writeTimer = Event.timer(bev.base, (ev, what) -> expired(Bufferevent.EV_WRITE));
        }
        return writeTimer;
    }

    /**
     * A direction's timer expired: a timeout if a full period passed since its last progress,
     * else re-armed for the rest of the period. Nothing is reported for a direction that no
     * longer runs, nor for writing with nothing left to write (output that drained without a
     * progress call, e.g. a layer's transport).
     */
    private void expired(int direction) {
        boolean reading = direction == Bufferevent.EV_READ;
        if (bev.freed || (reading ? read == null || !bev.directions.readingActive()
                : write == null || !bev.directions.writingActive() || !bev.hasPendingOutput())) {
            return;
        }
        long idle = bev.base.gettimeMonotonic() - (reading ? readProgressNanos : writeProgressNanos);
        long left = (reading ? readNanos : writeNanos) - idle;
        if (left > 0) {
            (reading ? readTimer : writeTimer).add(Duration.ofNanos(left));
            return;
        }
        timedOut(direction);
    }

    /**
     * The read timer's deadline on the base's monotonic clock, or empty if it is not armed: with
     * the lazy restart it stays where it was armed while reads make progress (package tests pin that).
     */
    java.util.OptionalLong readDeadlineNanos() {
        return readTimer == null ? java.util.OptionalLong.empty() : readTimer.pendingDeadlineNanos();
    }

    private static long nanos(Duration d) {
        return d == null ? 0 : d.compareTo(LONGEST) > 0 ? LONGEST.toNanos() : d.toNanos();
    }

    private void timedOut(int direction) {
        if (bev.freed) {
            return;
        }
        EndReason reason = direction == Bufferevent.EV_READ ? EndReason.TIMEOUT_READ
                : bev.connectPending() ? EndReason.CONNECT_TIMEOUT : EndReason.TIMEOUT_WRITE;
        bev.disable(direction);
        bev.end((direction == Bufferevent.EV_READ ? Bufferevent.BEV_EVENT_READING : Bufferevent.BEV_EVENT_WRITING)
                | Bufferevent.BEV_EVENT_TIMEOUT, reason, 0);
    }

    // ------------------------------------------------------------------ handshake-bound mode

    /** Enters handshake-bound mode; {@code expired} gets the bound that ran out. */
    void bindToHandshake(Consumer<Duration> expired) {
        handshakeExpired = expired;
        if (readTimer != null) {
            readTimer.del();
        }
        if (writeTimer != null) {
            writeTimer.del();
        }
    }

    /** In handshake-bound mode: (re)starts the handshake's bound, if a timeout is set. */
    void armHandshake() {
        if (handshakeExpired == null) {
            return;
        }
        if (handshakeTimer != null) {
            handshakeTimer.del();
        }
        Duration t = read != null ? read : write;
        if (t == null) {
            return;
        }
        handshakeBound = t;
        if (handshakeTimer == null) {
            handshakeTimer = Event.timer(bev.base, (ev, what) -> {
                if (handshakeExpired != null && !bev.freed) {
                    handshakeExpired.accept(handshakeBound);
                }
            });
        }
        handshakeTimer.add(t);
    }

    /**
     * Leaves handshake-bound mode (nothing happens outside it): with {@code completed} the
     * timeouts run per direction from now, as if just set; without (the layer failed or ended
     * first) they are dropped.
     */
    void endHandshake(boolean completed) {
        if (handshakeExpired == null) {
            return;
        }
        handshakeExpired = null;
        if (handshakeTimer != null) {
            handshakeTimer.del();
        }
        if (completed) {
            set(read, write);
        } else {
            read = null;
            write = null;
            readNanos = 0;
            writeNanos = 0;
        }
    }
}
