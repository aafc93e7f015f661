package org.jevent.dtls;

/**
 * A token bucket on HelloVerifyRequests sent, all peers together: with spoofed source addresses a
 * server could otherwise be made to send one HelloVerifyRequest per forged ClientHello to third
 * parties. The bucket holds up to {@code burst} tokens and refills at {@code perSecond}; each HVR
 * takes one. Time is passed in (nanoseconds, monotonic), so the loop's cached time serves.
 *
 * <p>Invariant: 0 <= tokens <= burst, as a fixed-point count in 1/1,000,000 of a token.
 */
final class HvrRateLimiter {
    private static final long UNIT = 1_000_000L;
    private final long burstUnits;
    private final long perSecond;
    private final long fullRefillNanos;
    private long tokens;
    private long lastNanos;
    private boolean started;

    /**
     * @param perSecond sustained HelloVerifyRequests per second, at least 1
     * @param burst bucket size, at least 1
     */
    public HvrRateLimiter(int perSecond, int burst) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("perSecond and burst must be >= 1");
        }
        this.burstUnits = burst * UNIT;
        this.perSecond = perSecond;
        // At most 2^31 * 10^9: fits a long, and so does gap * perSecond below for gap <= this.
        this.fullRefillNanos = burst * 1_000_000_000L / perSecond + 1;
        this.tokens = burstUnits;
    }

    /**
     * Takes a token if there is one.
     *
     * @param nowNanos monotonic time
     * @return true if an HVR may be sent now
     */
    public boolean tryAcquire(long nowNanos) {
        if (!started) {
            started = true;
            lastNanos = nowNanos;
        }
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            // Units gained: gap[ns] * perSecond * UNIT / 10^9 = gap * perSecond / 1000. The gap is
            // capped at one full refill so the product cannot overflow after a long idle time.
            long gap = Math.min(elapsed, fullRefillNanos);
            tokens = Math.min(burstUnits, tokens + gap * perSecond / 1000);
            lastNanos = nowNanos;
        }
        if (tokens >= UNIT) {
            tokens -= UNIT;
            return true;
        }
        return false;
    }
}
