package org.jevent.bufferevent;

/**
 * The current tokens of one bucket (libevent's {@code struct ev_token_bucket}), refilled lazily
 * from the number of whole ticks since the last refill.
 *
 * <p>Invariant: {@code readLimit <= cfg.readBurst} and {@code writeLimit <= cfg.writeBurst};
 * either may be negative after a manual decrement or an overrun, and then earns its way back.
 * Every change of the tokens is preceded by {@link #refill}, so that the ticks that passed before
 * a charge or decrement are credited before it, never after it.
 */
final class TokenBucket {
    TokenBucketCfg cfg;
    long readLimit;
    long writeLimit;
    private long lastTick;

    TokenBucket(TokenBucketCfg cfg, long nowNanos) {
        this.cfg = cfg;
        this.readLimit = cfg.readRate;
        this.writeLimit = cfg.writeRate;
        this.lastTick = nowNanos / cfg.tickNanos;
    }

    /** Adds the tokens of every whole tick since the last refill; true if a tick passed. */
    boolean refill(long nowNanos) {
        long tick = nowNanos / cfg.tickNanos;
        long ticks = tick - lastTick;
        if (ticks <= 0) {
            return false;
        }
        lastTick = tick;
        readLimit = add(readLimit, ticks, cfg.readRate, cfg.readBurst);
        writeLimit = add(writeLimit, ticks, cfg.writeRate, cfg.writeBurst);
        return true;
    }

    private static long add(long limit, long ticks, long rate, long burst) {
        if (ticks >= (burst - limit) / rate + 1) {
            return burst;
        }
        return Math.min(burst, limit + ticks * rate);
    }

    /** Nanoseconds from {@code nowNanos} to the next tick boundary. */
    long nanosToNextTick(long nowNanos) {
        long next = (nowNanos / cfg.tickNanos + 1) * cfg.tickNanos;
        return Math.max(1, next - nowNanos);
    }

    /** A new configuration keeps the tokens, clamped to the new bursts (as libevent does). */
    void reconfigure(TokenBucketCfg c) {
        cfg = c;
        readLimit = Math.min(readLimit, c.readBurst);
        writeLimit = Math.min(writeLimit, c.writeBurst);
    }
}
