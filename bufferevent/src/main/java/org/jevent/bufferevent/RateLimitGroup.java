package org.jevent.bufferevent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * A token bucket shared by many bufferevents: libevent's {@code bufferevent_rate_limit_group}.
 * Each member may move at most its share per read or write, the group's tokens divided by the
 * number of members but never less than the minimum share (64 bytes by default), so that one busy
 * member cannot take a whole tick's tokens from the others. When the group's tokens run out every
 * member waits for the next tick; members are then resumed starting from a random one, as
 * libevent does, so that none is always first.
 *
 * <p>Invariant: {@code readSuspended} is true exactly while every member is suspended with
 * {@code SUSPEND_BW_GROUP} for reading (likewise for writing); the tick timer runs
 * while the group has members.
 */
public final class RateLimitGroup {
    /** The default minimum share per member and operation, as libevent's. */
    public static final long DEFAULT_MIN_SHARE = 64;

    private final EventBase base;
    private final TokenBucket bucket;
    private final List<Bufferevent> members = new ArrayList<>();
    private final Event tick;
    private long minShare = DEFAULT_MIN_SHARE;
    private boolean readSuspended;
    private boolean writeSuspended;
    private long totalRead;
    private long totalWritten;
    private boolean freed;

    private RateLimitGroup(EventBase base, TokenBucketCfg cfg) {
        this.base = base;
        this.bucket = new TokenBucket(cfg, base.gettimeMonotonic());
        this.tick = Event.timer(base, (ev, what) -> onTick());
    }

    /**
     * {@code bufferevent_rate_limit_group_new(base, cfg)}: an empty group with a full bucket.
     * Loop thread only.
     *
     * @param base the base whose loop runs the group's refill timer
     * @param cfg the group's rates, bursts and tick, shared by all members
     * @return the new group; add members with {@link Bufferevent#addToRateLimitGroup}
     * @throws IllegalStateException if called off the base's loop thread
     */
    public static RateLimitGroup create(EventBase base, TokenBucketCfg cfg) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(cfg, "cfg");
        base.checkInLoopThread();
        return new RateLimitGroup(base, cfg);
    }

    /**
     * {@code bufferevent_rate_limit_group_set_cfg}: tokens are kept, clamped to the new bursts.
     * Loop thread only.
     *
     * @param cfg the new rates, bursts and tick
     * @throws IllegalStateException if called off the base's loop thread
     */
    public void setCfg(TokenBucketCfg cfg) {
        Objects.requireNonNull(cfg, "cfg");
        base.checkInLoopThread();
        bucket.reconfigure(cfg);
        if (!members.isEmpty()) {
            armTick();
        }
        apply();
    }

    /**
     * {@code bufferevent_rate_limit_group_set_min_share}: the least a member may move per read
     * or write, however many members share the tokens; default {@link #DEFAULT_MIN_SHARE}.
     *
     * @param share the floor in bytes; 0 turns it off
     * @throws IllegalArgumentException if {@code share} is negative
     */
    public void setMinShare(long share) {
        if (share < 0) {
            throw new IllegalArgumentException("negative share: " + share);
        }
        this.minShare = share;
    }

    /**
     * {@code bufferevent_rate_limit_group_free}: only an empty group can be freed, as in libevent.
     * Loop thread only.
     *
     * @throws IllegalStateException if the group still has members, or called off the loop
     *     thread
     */
    public void free() {
        base.checkInLoopThread();
        if (!members.isEmpty()) {
            throw new IllegalStateException("the group still has " + members.size() + " members");
        }
        tick.del();
        freed = true;
    }

    /**
     * {@return the group's read tokens left this tick, in bytes} May be negative after
     * {@link #decrementReadLimit}. ({@code bufferevent_rate_limit_group_get_read_limit})
     */
    public long getReadLimit() {
        bucket.refill(base.gettimeMonotonic());
        return bucket.readLimit;
    }

    /**
     * {@return the group's write tokens left this tick, in bytes}
     * ({@code bufferevent_rate_limit_group_get_write_limit})
     */
    public long getWriteLimit() {
        bucket.refill(base.gettimeMonotonic());
        return bucket.writeLimit;
    }

    /**
     * {@code bufferevent_rate_limit_group_decrement_read}: takes read tokens from the group by
     * hand; they may go negative, which pauses every member's reading until the refills pay the
     * debt. Loop thread only.
     *
     * @param n the tokens (bytes) to take; negative gives tokens back
     * @throws IllegalStateException if called off the loop thread
     */
    public void decrementReadLimit(long n) {
        base.checkInLoopThread();
        bucket.refill(base.gettimeMonotonic()); // ticks before now are owed before the decrement
        bucket.readLimit -= n;
        apply();
    }

    /**
     * {@code bufferevent_rate_limit_group_decrement_write}: takes write tokens from the group by
     * hand, as {@link #decrementReadLimit} does for reading. Loop thread only.
     *
     * @param n the tokens (bytes) to take; negative gives tokens back
     * @throws IllegalStateException if called off the loop thread
     */
    public void decrementWriteLimit(long n) {
        base.checkInLoopThread();
        bucket.refill(base.gettimeMonotonic());
        bucket.writeLimit -= n;
        apply();
    }

    /**
     * {@code bufferevent_rate_limit_group_get_totals}.
     *
     * @return a new array {read, written}: the bytes all members moved since the group was made
     *     or {@link #resetTotals()} last ran
     */
    public long[] getTotals() {
        return new long[] {totalRead, totalWritten};
    }

    /** {@code bufferevent_rate_limit_group_reset_totals}: sets both totals back to 0. */
    public void resetTotals() {
        totalRead = 0;
        totalWritten = 0;
    }

    /** {@return the number of bufferevents in the group} */
    public int memberCount() {
        return members.size();
    }

    void add(Bufferevent bev) {
        if (freed) {
            throw new IllegalStateException("the group was freed");
        }
        if (members.isEmpty()) {
            armTick(); // re-armed by onTick while there are members
        }
        members.add(bev);
        if (readSuspended) {
            bev.directions.suspendRead(Bufferevent.SUSPEND_BW_GROUP);
        }
        if (writeSuspended) {
            bev.directions.suspendWrite(Bufferevent.SUSPEND_BW_GROUP);
        }
    }

    void remove(Bufferevent bev) {
        if (members.remove(bev)) {
            bev.directions.unsuspendRead(Bufferevent.SUSPEND_BW_GROUP);
            bev.directions.unsuspendWrite(Bufferevent.SUSPEND_BW_GROUP);
            if (members.isEmpty()) {
                tick.del();
            }
        }
    }

    long readShare() {
        bucket.refill(base.gettimeMonotonic());
        return share(bucket.readLimit, readSuspended);
    }

    long writeShare() {
        bucket.refill(base.gettimeMonotonic());
        return share(bucket.writeLimit, writeSuspended);
    }

    private long share(long limit, boolean suspended) {
        if (suspended || limit <= 0) {
            return 0;
        }
        long s = limit / Math.max(1, members.size());
        return Math.min(limit, Math.max(s, minShare));
    }

    void chargeRead(long n) {
        totalRead += n;
        bucket.refill(base.gettimeMonotonic());
        bucket.readLimit -= n;
        if (bucket.readLimit <= 0 && !readSuspended) {
            apply();
        }
    }

    void chargeWrite(long n) {
        totalWritten += n;
        bucket.refill(base.gettimeMonotonic());
        bucket.writeLimit -= n;
        if (bucket.writeLimit <= 0 && !writeSuspended) {
            apply();
        }
    }

    private void onTick() {
        if (members.isEmpty()) {
            return;
        }
        armTick();
        apply();
    }

    /** Suspends or resumes all members to match the tokens. */
    private void apply() {
        bucket.refill(base.gettimeMonotonic());
        boolean readEmpty = bucket.readLimit <= 0;
        boolean writeEmpty = bucket.writeLimit <= 0;
        int n = members.size();
        int start = n == 0 ? 0 : ThreadLocalRandom.current().nextInt(n);
        // Copy: a member's callback may leave the group while we walk it.
        Bufferevent[] snapshot = members.toArray(new Bufferevent[0]);
        if (readEmpty != readSuspended) {
            readSuspended = readEmpty;
            for (int i = 0; i < n; i++) {
                Bufferevent b = snapshot[(start + i) % n];
                if (readEmpty) {
                    b.directions.suspendRead(Bufferevent.SUSPEND_BW_GROUP);
                } else {
                    b.directions.unsuspendRead(Bufferevent.SUSPEND_BW_GROUP);
                }
            }
        }
        if (writeEmpty != writeSuspended) {
            writeSuspended = writeEmpty;
            for (int i = 0; i < n; i++) {
                Bufferevent b = snapshot[(start + i) % n];
                if (writeEmpty) {
                    b.directions.suspendWrite(Bufferevent.SUSPEND_BW_GROUP);
                } else {
                    b.directions.unsuspendWrite(Bufferevent.SUSPEND_BW_GROUP);
                }
            }
        }
    }

    /**
     * The timer fires at the bucket's next tick boundary (the buckets count ticks of the
     * monotonic clock), so that suspended members resume as soon as tokens are due, not up to a
     * whole tick later.
     */
    private void armTick() {
        tick.add(Duration.ofNanos(bucket.nanosToNextTick(base.gettimeMonotonic())));
    }

    Duration tickLength() {
        return bucket.cfg.tick;
    }
}
