package org.jevent.examples;

import java.time.Duration;
import org.slf4j.Logger;

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

    private final Logger log;
    private final String what;
    private long unlogged;
    private long total;
    private long lastLineNanos;
    private boolean logged;

    /** {@code what} names the occurrence in the plural, e.g. "connections refused over the limit". */
    RateLimitedWarning(Logger log, String what) {
        this.log = log;
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
        log.warn("{}: {} since the last warning, {} in all (latest: {}); next warning in {} s at the earliest", what,
                count, sum, detail, INTERVAL.toSeconds());
    }

    synchronized long total() {
        return total;
    }
}
