package org.jevent.bufferevent;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventCallback;

/**
 * The read and write timeouts of one bufferevent ({@code bufferevent_set_timeouts}): a period per
 * direction that runs while its direction runs (the write period only while something is still to
 * be written), restarts on progress, and on expiry disables its direction and reports
 * {@code READING|TIMEOUT} or {@code WRITING|TIMEOUT}.
 *
 * <h2>One timer for both directions</h2>
 * libevent keeps a timer event per direction. Here one timer {@code Event} serves both: it is
 * armed for the earlier of the two directions' deadlines, and when it fires it checks each
 * direction on its own, reports the ones whose full period has passed, and re-arms itself for the
 * earliest deadline left. What the user sees is libevent's: separate periods, and
 * {@code READING|TIMEOUT} and {@code WRITING|TIMEOUT} raised separately (both, read first, when
 * both run out together; a bufferevent that defers its callbacks then reports them or-ed in one
 * call, as libevent's deferred event callback does). One event per bufferevent instead of two,
 * this object its callback instead of two lambdas, the timeouts' nanoseconds computed rather
 * than kept: about 100 bytes less per connection with timeouts.
 *
 * <h2>Lazy restart</h2>
 * libevent re-adds its event with the full timeout after every read and every write; done that
 * way each read and write moves the timer in the heap. Here progress only records the loop's
 * time ({@code readProgressNanos}, {@code writeProgressNanos}); the timer is armed when a direction
 * starts and, when it fires, looks at the last progress: if a whole period has not passed since,
 * it re-arms itself for the rest and nothing is reported. A timeout is reported exactly when a
 * full period went by without progress, and never earlier. The write period still stops when the
 * output empties and starts when it fills again, as libevent's write timer does; with neither
 * period running the timer is removed (a pending timer keeps a loop alive).
 *
 * <h2>Handshake-bound mode</h2>
 * A layer with a handshake (TLS) binds the timeouts to it ({@link #bindToHandshake}): until the
 * handshake completes the two timeouts do not run per direction; the read timeout (else the write
 * timeout) bounds the handshake as a whole, on the same timer, restarting whenever the timeouts
 * are set or {@link #armHandshake()} is called, and its expiry runs the layer's action once (TLS
 * reports one bare {@code TIMEOUT}, as libevent's socket variant reports a connect that timed out,
 * never also READING|TIMEOUT and WRITING|TIMEOUT). When the handshake completes, the timeouts set
 * meanwhile become the per-direction ones; when the layer ends without completing it, they are
 * dropped.
 *
 * <p>Invariant: a direction's period runs ({@code readRuns}, {@code writeRuns}) only while its
 * timeout is set, the mode is not handshake-bound, the bufferevent is not freed and its direction
 * runs (writing only while output is pending, as of the last progress or adjustment). Outside
 * handshake-bound mode the timer is pending exactly while a period runs, with a deadline
 * ({@code timerDeadline}) no later than the earliest running period's end (its last progress plus
 * its timeout); progress only moves a period's end later, so the timer may fire early, never late.
 * In handshake-bound mode the timer is pending only while the handshake's bound runs.
 */
final class IoTimeouts implements EventCallback {
    /** Longer timeouts are treated as this (about 100 years): {@code Duration.toNanos} would overflow. */
    private static final Duration LONGEST = Duration.ofDays(36_500);

    private final Bufferevent bev;
    private Duration read;
    private Duration write;
    /** The one timer: both directions' periods, or the handshake's bound. Made on first use. */
    private Event timer;
    /** The timer's deadline on the base's monotonic clock while it is pending for the periods. */
    private long timerDeadline;
    private boolean readRuns;
    private boolean writeRuns;
    /** The loop's monotonic time of the last read progress, or of the read period's start if later. */
    private long readProgressNanos;
    /** As {@code readProgressNanos}, for writes. */
    private long writeProgressNanos;

    /** The layer's action on the handshake's expiry; non-null exactly in handshake-bound mode. */
    private Consumer<Duration> handshakeExpired;
    /** The bound the handshake timer was last armed with (for the layer's message). */
    private Duration handshakeBound;

    IoTimeouts(Bufferevent bev) {
        this.bev = bev;
    }

    /**
     * Sets both timeouts (null or zero: none). Running periods restart from now with the new
     * values, as libevent re-adds its events; in handshake-bound mode the handshake's bound does.
     */
    void set(Duration read, Duration write) {
        if ((read != null && read.isNegative()) || (write != null && write.isNegative())) {
            throw new IllegalArgumentException("negative timeout");
        }
        this.read = read == null || read.isZero() ? null : read;
        this.write = write == null || write.isZero() ? null : write;
        if (handshakeExpired != null) {
            armHandshake();
            return;
        }
        readRuns = false;
        writeRuns = false;
        if (timer != null) {
            timer.del();
        }
        adjust();
    }

    Duration read() {
        return read;
    }

    Duration write() {
        return write;
    }

    /** Starts or stops the periods to match what is running (libevent's generic_adj_timeouts). */
    void adjust() {
        if (bev.freed || handshakeExpired != null) {
            return;
        }
        if (read != null) {
            if (bev.directions.readingActive()) {
                if (!readRuns) {
                    readRuns = true;
                    readProgressNanos = bev.base.gettimeMonotonic();
                    armFor(readProgressNanos + readNanos());
                }
            } else {
                stopRead();
            }
        }
        adjustWrite();
    }

    /** As {@link #adjust()}, for the write period alone. */
    void adjustWrite() {
        if (write != null && handshakeExpired == null) {
            if (bev.directions.writingActive() && bev.hasPendingOutput()) {
                if (!writeRuns) {
                    writeRuns = true;
                    writeProgressNanos = bev.base.gettimeMonotonic();
                    armFor(writeProgressNanos + writeNanos());
                }
            } else {
                stopWrite();
            }
        }
    }

    /**
     * Read progress: the read period starts again from now. Only the time is recorded (see the
     * class comment); the period starts if it was not running.
     */
    void readProgress() {
        if (read != null && handshakeExpired == null && bev.directions.readingActive()) {
            readProgressNanos = bev.base.gettimeMonotonic();
            if (!readRuns) {
                readRuns = true;
                armFor(readProgressNanos + readNanos());
            }
        }
    }

    /**
     * Write progress: the write period starts again from now, only recorded as for reads; with
     * nothing left to write the period stops.
     */
    void writeProgress() {
        if (write != null && handshakeExpired == null) {
            if (bev.directions.writingActive() && bev.hasPendingOutput()) {
                writeProgressNanos = bev.base.gettimeMonotonic();
                if (!writeRuns) {
                    writeRuns = true;
                    armFor(writeProgressNanos + writeNanos());
                }
            } else {
                stopWrite();
            }
        }
    }

    /** On free: the timer stops. */
    void cancel() {
        readRuns = false;
        writeRuns = false;
        if (timer != null) {
            timer.del();
        }
    }

    private void stopRead() {
        if (readRuns) {
            readRuns = false;
            if (!writeRuns) {
                timer.del();
            }
        }
    }

    private void stopWrite() {
        if (writeRuns) {
            writeRuns = false;
            if (!readRuns) {
                timer.del();
            }
        }
    }

    /** Makes the timer fire no later than {@code deadline}; one already due earlier stays as it is. */
    private void armFor(long deadline) {
        if (timer == null) {
            timer = Event.timer(bev.base, this);
        } else if (timer.pending(Event.EV_TIMEOUT) != 0 && timerDeadline <= deadline) {
            return;
        }
        long wait = Math.max(0, deadline - bev.base.gettimeMonotonic());
        timerDeadline = deadline;
        // A period that starts now is armed with its own Duration: no allocation per period.
        timer.add(read != null && wait == readNanos() ? read
                : write != null && wait == writeNanos() ? write : Duration.ofNanos(wait));
    }

    /**
     * The timer fired. In handshake-bound mode: the handshake's bound ran out. Otherwise each
     * running period whose end has come is a timeout (read first), and the timer re-arms itself
     * for the earliest end left. Nothing is reported for a direction that no longer runs, nor for
     * writing with nothing left to write (output that drained without a progress call, e.g. a
     * layer's transport).
     */
    @Override
    public void call(Event ev, int what) {
        if (bev.freed) {
            return;
        }
        if (handshakeExpired != null) {
            handshakeExpired.accept(handshakeBound);
            return;
        }
        long now = bev.base.gettimeMonotonic();
        if (readRuns && (read == null || !bev.directions.readingActive())) {
            readRuns = false;
        }
        if (readRuns && now - readProgressNanos >= readNanos()) {
            readRuns = false;
            timedOut(Bufferevent.EV_READ);
        }
        // Checked after the read timeout's callback, which may have freed the bufferevent, set
        // new timeouts (a write period that starts again now) or stopped writing.
        if (writeRuns && (bev.freed || write == null || !bev.directions.writingActive() || !bev.hasPendingOutput())) {
            writeRuns = false;
        }
        if (writeRuns && now - writeProgressNanos >= writeNanos()) {
            writeRuns = false;
            timedOut(Bufferevent.EV_WRITE);
        }
        // The callbacks above may have freed the bufferevent, set new timeouts or re-enabled a
        // direction (which started its period and armed the timer): re-arm only for what runs.
        if (bev.freed || handshakeExpired != null || timer.pending(Event.EV_TIMEOUT) != 0) {
            return;
        }
        long next = Long.MAX_VALUE;
        if (readRuns) {
            next = readProgressNanos + readNanos();
        }
        if (writeRuns) {
            next = Math.min(next, writeProgressNanos + writeNanos());
        }
        if (next != Long.MAX_VALUE) {
            armFor(next);
        }
    }

    /**
     * The read period's timer deadline on the base's monotonic clock, or empty if the read period
     * does not run: with the lazy restart it stays where it was armed while reads make progress
     * (package tests pin that).
     */
    OptionalLong readDeadlineNanos() {
        return readRuns ? timer.pendingDeadlineNanos() : OptionalLong.empty();
    }

    /** {@code read} in nanoseconds, 0 for none (computed when a period starts or ends, not kept: 16 bytes less). */
    private long readNanos() {
        return nanos(read);
    }

    private long writeNanos() {
        return nanos(write);
    }

    private static long nanos(Duration d) {
        return d == null ? 0 : d.compareTo(LONGEST) > 0 ? LONGEST.toNanos() : d.toNanos();
    }

    private void timedOut(int direction) {
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
        cancel();
    }

    /** In handshake-bound mode: (re)starts the handshake's bound, if a timeout is set. */
    void armHandshake() {
        if (handshakeExpired == null) {
            return;
        }
        if (timer != null) {
            timer.del();
        }
        Duration t = read != null ? read : write;
        if (t == null) {
            return;
        }
        handshakeBound = t;
        if (timer == null) {
            timer = Event.timer(bev.base, this);
        }
        timer.add(t);
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
        if (timer != null) {
            timer.del();
        }
        if (completed) {
            set(read, write);
        } else {
            read = null;
            write = null;
        }
    }
}
