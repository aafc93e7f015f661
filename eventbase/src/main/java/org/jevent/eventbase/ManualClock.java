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

    public ManualClock() {
        this(0L, 1_000_000_000_000L);
    }

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

    /** Moves both clocks forward. */
    public synchronized void advance(Duration d) {
        advanceNanos(d.toNanos());
    }

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
