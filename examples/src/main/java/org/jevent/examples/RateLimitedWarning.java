package org.jevent.examples;

import java.time.Duration;
import java.util.function.Consumer;

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
    private long unlogged;
    private long total;
    private long lastLineNanos;
    private boolean logged;

    /**
     * {@code what} names what happened, e.g. "connection limit of 10 reached, connections
     * refused"; each line goes to {@code sink} (a logger's {@code warn}, or stderr).
     */
    RateLimitedWarning(Consumer<String> sink, String what) {
        this.sink = sink;
        this.what = what;
    }

    /** One more occurrence; {@code detail} (the latest one's) goes into the line if one is due. */
    void hit(String detail) {
        long count;
        long sum;
        synchronized (this) {
            unlogged++;
            total++;
            long now = System.nanoTime();
            if (logged && now - lastLineNanos < INTERVAL.toNanos()) {
                return;
            }
            logged = true;
            lastLineNanos = now;
            count = unlogged;
            sum = total;
            unlogged = 0;
        }
        sink.accept(what + ": " + count + " since the last warning, " + sum + " in all (latest: " + detail
                + "); next warning in " + INTERVAL.toSeconds() + " s at the earliest");
    }

    synchronized long total() {
        return total;
    }
}
