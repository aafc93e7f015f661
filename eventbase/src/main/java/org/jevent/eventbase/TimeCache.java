package org.jevent.eventbase;

/**
 * libevent's {@code tv_cache}: the time read once per loop turn, so that every callback and timer
 * of the turn sees the same "now" and the clock is not read per event. The wall clock is read
 * lazily, at most once per turn, only if someone asks ({@code gettimeofdayCached}).
 *
 * <p>Invariant: {@code valid} only between {@link #refresh()} (at the start of a turn's work)
 * and {@link #invalidate()} (before a select and when the loop ends), and never with
 * {@code EVENT_BASE_FLAG_NO_CACHE_TIME}; {@code wallValid} implies {@code valid}. Loop thread only.
 */
final class TimeCache {
    private final EventClock clock;
    private final boolean disabled;
    private long nanos;
    private boolean valid;
    private long wallMillis;
    private boolean wallValid;

    TimeCache(EventClock clock, boolean disabled) {
        this.clock = clock;
        this.disabled = disabled;
    }

    /** Reads the monotonic clock into the cache (a no-op but invalidation without caching). */
    void refresh() {
        if (disabled) {
            valid = false;
            return;
        }
        nanos = clock.monotonicNanos();
        valid = true;
        wallValid = false;
    }

    void invalidate() {
        valid = false;
    }

    /** The cached monotonic time, or the clock's when nothing is cached. */
    long nanos() {
        return valid ? nanos : clock.monotonicNanos();
    }

    /** The wall clock in milliseconds: read once per turn while cached, fresh otherwise. */
    long wallMillis() {
        if (!valid) {
            return clock.wallMillis();
        }
        if (!wallValid) {
            wallMillis = clock.wallMillis();
            wallValid = true;
        }
        return wallMillis;
    }
}
