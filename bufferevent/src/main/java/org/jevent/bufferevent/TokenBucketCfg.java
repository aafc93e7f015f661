package org.jevent.bufferevent;

import java.time.Duration;
import java.util.Objects;

/**
 * Rates and bursts of a token bucket: libevent's {@code struct ev_token_bucket_cfg}. Every
 * {@code tick} the bucket gains {@code rate} tokens (bytes), up to {@code burst}; reading or
 * writing spends them, and a direction whose bucket is empty waits for the next tick.
 *
 * <p>Invariant: {@code 1 <= rate <= burst} for both directions, {@code tick} at least one
 * millisecond and at most {@code Integer.MAX_VALUE / 1000} seconds (libevent's bounds).
 */
public final class TokenBucketCfg {
    /** libevent's {@code EV_RATE_LIMIT_MAX}. */
    public static final long RATE_LIMIT_MAX = Long.MAX_VALUE / 2;
    static final long MAX_TICK_SECONDS = Integer.MAX_VALUE / 1000;

    final long readRate;
    final long readBurst;
    final long writeRate;
    final long writeBurst;
    final Duration tick;
    final long tickNanos;

    private TokenBucketCfg(long readRate, long readBurst, long writeRate, long writeBurst, Duration tick) {
        this.readRate = readRate;
        this.readBurst = readBurst;
        this.writeRate = writeRate;
        this.writeBurst = writeBurst;
        this.tick = tick;
        this.tickNanos = tick.toNanos();
    }

    /**
     * {@code ev_token_bucket_cfg_new(read_rate, read_burst, write_rate, write_burst, tick)};
     * {@code tick} null means one second. Where C returns NULL this throws
     * {@link IllegalArgumentException} saying which value is wrong.
     *
     * @param readRate read tokens (bytes) added each tick, 1 to {@code readBurst}
     * @param readBurst most read tokens the bucket holds, up to {@link #RATE_LIMIT_MAX}
     * @param writeRate write tokens (bytes) added each tick, 1 to {@code writeBurst}
     * @param writeBurst most write tokens the bucket holds, up to {@link #RATE_LIMIT_MAX}
     * @param tick how often tokens are added, 1 ms to {@code Integer.MAX_VALUE / 1000} s,
     *     truncated to whole milliseconds; null for one second
     * @return the configuration, immutable; one may serve many bufferevents and groups
     * @throws IllegalArgumentException if a rate, burst or the tick is out of range
     */
    public static TokenBucketCfg create(long readRate, long readBurst, long writeRate, long writeBurst, Duration tick) {
        Duration t = tick == null ? Duration.ofSeconds(1) : tick;
        // The upper bound first: toMillis() of a huge tick overflows (ArithmeticException).
        if (t.getSeconds() > MAX_TICK_SECONDS || (t.getSeconds() == MAX_TICK_SECONDS && t.getNano() > 0)) {
            throw new IllegalArgumentException("tick longer than " + MAX_TICK_SECONDS + " s: " + t);
        }
        if (t.isNegative() || t.toMillis() == 0) {
            throw new IllegalArgumentException("tick must be at least 1 ms: " + t);
        }
        check("read", readRate, readBurst);
        check("write", writeRate, writeBurst);
        return new TokenBucketCfg(readRate, readBurst, writeRate, writeBurst, Duration.ofMillis(t.toMillis()));
    }

    private static void check(String what, long rate, long burst) {
        if (rate < 1 || burst < 1 || rate > burst || burst > RATE_LIMIT_MAX) {
            throw new IllegalArgumentException(what + " rate " + rate + " and burst " + burst
                    + " must satisfy 1 <= rate <= burst <= " + RATE_LIMIT_MAX);
        }
    }

    /** {@return the read tokens (bytes) added each tick} */
    public long readRate() {
        return readRate;
    }

    /** {@return the most read tokens (bytes) the bucket holds} */
    public long readBurst() {
        return readBurst;
    }

    /** {@return the write tokens (bytes) added each tick} */
    public long writeRate() {
        return writeRate;
    }

    /** {@return the most write tokens (bytes) the bucket holds} */
    public long writeBurst() {
        return writeBurst;
    }

    /** {@return how often tokens are added, in whole milliseconds} */
    public Duration tick() {
        return tick;
    }

    @Override
    public String toString() {
        return "TokenBucketCfg[read " + readRate + "/" + readBurst + ", write " + writeRate + "/" + writeBurst
                + " per " + tick.toMillis() + " ms]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenBucketCfg c && c.readRate == readRate && c.readBurst == readBurst
                && c.writeRate == writeRate && c.writeBurst == writeBurst && c.tickNanos == tickNanos;
    }

    @Override
    public int hashCode() {
        return Objects.hash(readRate, readBurst, writeRate, writeBurst, tickNanos);
    }
}
