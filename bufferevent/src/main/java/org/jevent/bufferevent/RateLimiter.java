package org.jevent.bufferevent;

import java.time.Duration;
import org.jevent.eventbase.Event;

/**
 * The rate limits that apply to one bufferevent: its own token bucket, its group's, or both
 * (libevent's {@code struct bufferevent_rate_limit}).
 *
 * <p>Invariant: while the own bucket's read (write) tokens are at or below zero the bufferevent is
 * suspended for reading (writing) with {@link Bufferevent#SUSPEND_BW} and {@link #refill} is
 * armed for the next tick; the group suspends its members with
 * {@link Bufferevent#SUSPEND_BW_GROUP} in the same way.
 */
final class RateLimiter {
    final Bufferevent bev;
    TokenBucket bucket;
    RateLimitGroup group;
    private Event refill;

    RateLimiter(Bufferevent bev) {
        this.bev = bev;
    }

    long now() {
        return bev.base.gettimeMonotonic();
    }

    void setCfg(TokenBucketCfg cfg) {
        if (cfg == null) {
            bucket = null;
            if (refill != null) {
                refill.del();
            }
            bev.unsuspendRead(Bufferevent.SUSPEND_BW);
            bev.unsuspendWrite(Bufferevent.SUSPEND_BW);
            return;
        }
        if (bucket == null) {
            bucket = new TokenBucket(cfg, now());
        } else {
            bucket.reconfigure(cfg);
        }
        applyOwnLimits();
    }

    /**
     * The bufferevent's limiter, if it has its own bucket ({@code bufferevent_decrement_*_limit}
     * needs one, as in libevent).
     */
    static RateLimiter withBucket(RateLimiter r) {
        if (r == null || r.bucket == null) {
            throw new IllegalStateException("no rate limit set on this bufferevent");
        }
        return r;
    }

    /** The own bucket's configuration, or null. */
    TokenBucketCfg cfg() {
        return bucket == null ? null : bucket.cfg;
    }

    /** The own bucket's read tokens now, {@code Long.MAX_VALUE} without one. */
    long ownReadLimit() {
        if (bucket == null) {
            return Long.MAX_VALUE;
        }
        bucket.refill(now());
        return bucket.readLimit;
    }

    /** The own bucket's write tokens now, {@code Long.MAX_VALUE} without one. */
    long ownWriteLimit() {
        if (bucket == null) {
            return Long.MAX_VALUE;
        }
        bucket.refill(now());
        return bucket.writeLimit;
    }

    /** Takes read tokens by hand; they may go negative. Ticks before now are owed first. */
    void decrementRead(long n) {
        bucket.refill(now());
        bucket.readLimit -= n;
        applyOwnLimits();
    }

    void decrementWrite(long n) {
        bucket.refill(now());
        bucket.writeLimit -= n;
        applyOwnLimits();
    }

    /** Joins {@code g}, leaving any other group first. */
    void joinGroup(RateLimitGroup g) {
        if (group == g) {
            return;
        }
        RateLimitGroup old = group;
        group = g; // before leaving the old one, whose remove() resumes I/O
        if (old != null) {
            old.remove(bev);
        }
        g.add(bev);
    }

    void leaveGroup() {
        if (group != null) {
            // Out of the group first: leaving resumes I/O, which must not see the group's limit.
            RateLimitGroup g = group;
            group = null;
            g.remove(bev);
        }
    }

    long maxToRead() {
        long n = Long.MAX_VALUE;
        if (bucket != null) {
            bucket.refill(now());
            n = bucket.readLimit;
        }
        if (group != null) {
            n = Math.min(n, group.readShare());
        }
        return n;
    }

    long maxToWrite() {
        long n = Long.MAX_VALUE;
        if (bucket != null) {
            bucket.refill(now());
            n = bucket.writeLimit;
        }
        if (group != null) {
            n = Math.min(n, group.writeShare());
        }
        return n;
    }

    /**
     * All the tokens there are for reading now, own bucket and group alike, without the group's
     * per-member share: a pair moves at most this much at once, so that a limited move always
     * empties a bucket, which suspends the pair until a tick resumes it (a move cut to a share
     * would leave the rest with nobody to move it).
     */
    long tokensToRead() {
        long n = Long.MAX_VALUE;
        if (bucket != null) {
            bucket.refill(now());
            n = bucket.readLimit;
        }
        if (group != null) {
            n = Math.min(n, group.getReadLimit());
        }
        return Math.max(0, n);
    }

    /** As {@link #tokensToRead()}, for writing. */
    long tokensToWrite() {
        long n = Long.MAX_VALUE;
        if (bucket != null) {
            bucket.refill(now());
            n = bucket.writeLimit;
        }
        if (group != null) {
            n = Math.min(n, group.getWriteLimit());
        }
        return Math.max(0, n);
    }

    void chargeRead(long n) {
        if (bucket != null) {
            bucket.refill(now()); // credit the ticks that passed before this charge first
            bucket.readLimit -= n;
            applyOwnLimits();
        }
        if (group != null) {
            group.chargeRead(n);
        }
    }

    void chargeWrite(long n) {
        if (bucket != null) {
            bucket.refill(now());
            bucket.writeLimit -= n;
            applyOwnLimits();
        }
        if (group != null) {
            group.chargeWrite(n);
        }
    }

    /** Suspends or resumes each direction by the own bucket's tokens; arms the refill timer if needed. */
    void applyOwnLimits() {
        if (bucket == null) {
            return;
        }
        bucket.refill(now());
        boolean waiting = false;
        if (bucket.readLimit <= 0) {
            bev.suspendRead(Bufferevent.SUSPEND_BW);
            waiting = true;
        } else {
            bev.unsuspendRead(Bufferevent.SUSPEND_BW);
        }
        if (bucket.writeLimit <= 0) {
            bev.suspendWrite(Bufferevent.SUSPEND_BW);
            waiting = true;
        } else {
            bev.unsuspendWrite(Bufferevent.SUSPEND_BW);
        }
        if (waiting && !bev.freed) {
            if (refill == null) {
                refill = Event.timer(bev.base, (ev, what) -> applyOwnLimits());
            }
            refill.add(Duration.ofNanos(bucket.nanosToNextTick(now())));
        }
    }

    /** On free: the refill timer stops and the group forgets the bufferevent. */
    void detach() {
        if (refill != null) {
            refill.del();
        }
        if (group != null) {
            group.remove(bev);
            group = null;
        }
    }
}
