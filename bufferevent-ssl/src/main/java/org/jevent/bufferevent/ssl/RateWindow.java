package org.jevent.bufferevent.ssl;

/**
 * "At most {@code max} in any {@code period}": a sliding window over the times of the events it
 * accepted. Used for what a TLS peer may start ({@link PeerHandshakes}); loop thread only, on
 * the base's monotonic clock.
 *
 * <p>Invariant: {@code times} is null until the first event is offered with {@code max > 0}; then it
 * has {@code max} slots, of which the {@code size} from {@code head} on (cyclically) hold the
 * acceptance times of the last accepted events, oldest first, none older than one period
 * before the last {@link #tryAccept} (older ones are dropped there).
 */
final class RateWindow {
    /** The largest {@code max} accepted: the window keeps one time per event it may accept. */
    static final int MAX_EVENTS = 1000;

    private int max;
    private long periodNanos;
    private long[] times;
    private int head;
    private int size;

    RateWindow(int max, long periodNanos) {
        set(max, periodNanos);
    }

    /** A new limit; what was accepted before no longer counts. */
    void set(int max, long periodNanos) {
        if (max < 0 || max > MAX_EVENTS) {
            throw new IllegalArgumentException("limit " + max + " out of range 0.." + MAX_EVENTS);
        }
        if (max > 0 && periodNanos <= 0) {
            throw new IllegalArgumentException("the period must be positive");
        }
        this.max = max;
        this.periodNanos = periodNanos;
        this.times = null;
        this.head = 0;
        this.size = 0;
    }

    int max() {
        return max;
    }

    long periodNanos() {
        return periodNanos;
    }

    /** Accepts an event at {@code now} if fewer than {@code max} were accepted in the period before it; records it if so. */
    boolean tryAccept(long now) {
        if (max == 0) {
            return false;
        }
        if (times == null) {
            times = new long[max];
        }
        while (size > 0 && now - times[head] >= periodNanos) {
            head = (head + 1) % max;
            size--;
        }
        if (size == max) {
            return false;
        }
        times[(head + size) % max] = now;
        size++;
        return true;
    }
}
