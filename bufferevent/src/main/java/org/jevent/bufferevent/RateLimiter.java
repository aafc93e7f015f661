package org.jevent.bufferevent;

import java.time.Duration;
import org.jevent.eventbase.Event;

/**
 * How much one read or one write of a bufferevent may move: the single-I/O caps
 * ({@code bufferevent_set_max_single_read}/{@code _write}) and the rate limits that apply, its
 * own token bucket, its group's, or both (libevent's {@code struct bufferevent_rate_limit}).
 * A bufferevent makes one when a cap or a limit is first set (until then it reads and writes
 * {@link Bufferevent#DEFAULT_MAX_SINGLE_IO} at most, unlimited); the buckets exist only once a
 * limit is set.
 *
 * <p>Invariant: while the own bucket's read (write) tokens are at or below zero the bufferevent is
 * suspended for reading (writing) with {@link Bufferevent#SUSPEND_BW} and {@link #refill} is
 * armed for the next tick; the group suspends its members with
 * {@link Bufferevent#SUSPEND_BW_GROUP} in the same way.
 */
final class RateLimiter {
    final Bufferevent bev;
    int maxSingleRead = Bufferevent.DEFAULT_MAX_SINGLE_IO;
    int maxSingleWrite = Bufferevent.DEFAULT_MAX_SINGLE_IO;
    TokenBucket bucket;
    RateLimitGroup group;
    private Event refill;

    RateLimiter(Bufferevent bev) {
        this.bev = bev;
    }

    long now() {
        return bev.base.gettimeMonotonic();
    }

    /** Sets the read cap; 0 restores {@link Bufferevent#DEFAULT_MAX_SINGLE_IO}. */
    void setMaxSingleRead(int size) {
        maxSingleRead = singleIoSize(size);
        bev.input.setMaxRead(maxSingleRead);
    }

    /** Sets the write cap; 0 restores {@link Bufferevent#DEFAULT_MAX_SINGLE_IO}. */
    void setMaxSingleWrite(int size) {
        maxSingleWrite = singleIoSize(size);
    }

    private static int singleIoSize(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        return size == 0 ? Bufferevent.DEFAULT_MAX_SINGLE_IO : size;
    }

    /** Sets, changes or (with null) removes the own bucket. */
    void setCfg(TokenBucketCfg cfg) {
        if (cfg == null) {
            bucket = null;
            if (refill != null) {
                refill.del();
            }
            bev.directions.unsuspendRead(Bufferevent.SUSPEND_BW);
            bev.directions.unsuspendWrite(Bufferevent.SUSPEND_BW);
            return;
        }
        if (bucket == null) {
            bucket = new TokenBucket(cfg, now());
        } else {
            bucket.reconfigure(cfg);
        }
        applyOwnLimits();
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
        requireBucket();
        bucket.refill(now());
        bucket.readLimit -= n;
        applyOwnLimits();
    }

    void decrementWrite(long n) {
        requireBucket();
        bucket.refill(now());
        bucket.writeLimit -= n;
        applyOwnLimits();
    }

    /** {@code bufferevent_decrement_*_limit} needs an own bucket, as in libevent. */
    private void requireBucket() {
        if (bucket == null) {
            throw new IllegalStateException("no rate limit set on this bufferevent");
        }
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

    /** What one read may take now: the single-read cap, the own tokens and the group's share. */
    long maxToRead() {
        long n = maxSingleRead;
        if (bucket != null) {
            bucket.refill(now());
            n = Math.min(n, bucket.readLimit);
        }
        if (group != null) {
            n = Math.min(n, group.readShare());
        }
        return Math.max(0, n);
    }

    /** As {@link #maxToRead()}, for writing. */
    long maxToWrite() {
        long n = maxSingleWrite;
        if (bucket != null) {
            bucket.refill(now());
            n = Math.min(n, bucket.writeLimit);
        }
        if (group != null) {
            n = Math.min(n, group.writeShare());
        }
        return Math.max(0, n);
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
            bev.directions.suspendRead(Bufferevent.SUSPEND_BW);
            waiting = true;
        } else {
            bev.directions.unsuspendRead(Bufferevent.SUSPEND_BW);
        }
        if (bucket.writeLimit <= 0) {
            bev.directions.suspendWrite(Bufferevent.SUSPEND_BW);
            waiting = true;
        } else {
            bev.directions.unsuspendWrite(Bufferevent.SUSPEND_BW);
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
