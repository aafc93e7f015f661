package org.jevent.eventbase;

import java.time.Duration;

/**
 * A clock that moves only when told to: for deterministic timer tests, here and in the modules
 * above (bufferevent read/write timeouts). Thread-safe (volatile), though a base reads it only
 * from its loop thread.
 *
 * <p>A base on a manual clock never sleeps towards a timer on its own: the select timeout it
 * computes is in manual time, so drive it with {@code loop(EVLOOP_NONBLOCK)} after
 * {@link #advance(Duration)}.
 */
public final class ManualClock implements EventClock {
    private volatile long nanos;
    private volatile long wallMillis;

    /** A clock at monotonic time 0 and wall-clock time 10<sup>12</sup> ms (September 2001). */
    public ManualClock() {
        this(0L, 1_000_000_000_000L);
    }

    /**
     * A clock starting at the given times.
     *
     * @param startNanos the first value of {@link #monotonicNanos()}
     * @param startWallMillis the first value of {@link #wallMillis()}, milliseconds since the
     *     epoch
     */
    public ManualClock(long startNanos, long startWallMillis) {
        this.nanos = startNanos;
        this.wallMillis = startWallMillis;
    }

    @Override
    public long monotonicNanos() {
        return nanos;
    }

    @Override
    public long wallMillis() {
        return wallMillis;
    }

    /**
     * Moves both clocks forward. Nothing runs by itself: the base sees the new time on its next
     * turn.
     *
     * @param d how far to move, not negative
     * @throws IllegalArgumentException if {@code d} is negative
     */
    public synchronized void advance(Duration d) {
        advanceNanos(d.toNanos());
    }

    /**
     * Moves both clocks forward by {@code n} nanoseconds (the wall clock by whole milliseconds
     * of it).
     *
     * @param n how far to move, in nanoseconds, not negative
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public synchronized void advanceNanos(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("a monotonic clock cannot go back: " + n);
        }
        nanos += n;
        wallMillis += n / 1_000_000L;
    }

    @Override
    public String toString() {
        return "ManualClock[" + nanos + "ns]";
    }
}
