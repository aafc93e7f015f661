package org.jevent.examples;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A WARN line that a flood cannot turn into a flood of lines: the first occurrence is logged at
 * once, later ones at most once per {@link #INTERVAL}, each line saying how many it stands for.
 * Used for refused connections and failed accepts, where an attacker decides how often they
 * happen.
 *
 * <p>Invariant: {@code unlogged} counts the occurrences since the last line; {@code total} all of
 * them. Thread-safe (echo-server's loops share one), by a lock held for a few field updates.
 */
final class RateLimitedWarning {
    /** Time between two lines of the same warning. */
    static final Duration INTERVAL = Duration.ofSeconds(10);

    private final Consumer<String> sink;
    private final String what;
    private final LongSupplier clock;
    private long unlogged;
    private long total;
    private long lastLineNanos;
    private boolean logged;

    /**
     * {@code what} names what happened, e.g. "connection limit of 10 reached, connections
     * refused"; each line goes to {@code sink} (a logger's {@code warn}, or stderr).
     */
    RateLimitedWarning(Consumer<String> sink, String what) {
        this(sink, what, System::nanoTime);
    }

    /** With {@code clock} (nanoseconds) instead of {@link System#nanoTime}: for tests. */
    RateLimitedWarning(Consumer<String> sink, String what, LongSupplier clock) {
        this.sink = sink;
        this.what = what;
        this.clock = clock;
    }

    /** One more occurrence; {@code detail} (the latest one's) goes into the line if one is due. */
    void hit(String detail) {
        long count;
        long sum;
        boolean first;
        synchronized (this) {
            unlogged++;
            total++;
            long now = clock.getAsLong();
            if (logged && now - lastLineNanos < INTERVAL.toNanos()) {
                return;
            }
            first = !logged;
            logged = true;
            lastLineNanos = now;
            count = unlogged;
            sum = total;
            unlogged = 0;
        }
        sink.accept(first
                ? what + " (" + detail + "); more are counted and reported at most every " + INTERVAL.toSeconds() + " s"
                : what + ": " + count + " since the last report, " + sum + " in all (latest: " + detail + ")");
    }

    synchronized long total() {
        return total;
    }
}
