package org.jevent.eventbase;

import java.util.Objects;

/**
 * A reusable callback that runs on the loop thread after the active events of the current turn
 * (libevent's internal {@code event_deferred_cb}, used by bufferevents with
 * {@code BEV_OPT_DEFER_CALLBACKS} and by evbuffer callbacks).
 *
 * <p>Create one per owner (e.g. one per bufferevent) and call {@link #schedule()} as often as
 * needed: scheduling an already-scheduled callback is a no-op, so many triggers in one turn
 * coalesce into one run, and no call allocates. At most {@link EventConfig#maxDeferredPerTurn}
 * deferred callbacks run per turn (libevent: 32); the rest run in the next turn.
 *
 * <p>Invariant: {@code scheduled} implies {@code queued}; {@code queued} iff this object is in the
 * base's deferred queue exactly once. {@link #cancel()} only clears {@code scheduled}; the stale
 * queue entry is skipped when reached, so cancel is O(1) and a later schedule does not queue twice.
 * Loop thread only.
 */
public final class DeferredCallback {
    private final EventBase base;
    private final Runnable action;
    boolean queued;
    boolean scheduled;

    public DeferredCallback(EventBase base, Runnable action) {
        this.base = Objects.requireNonNull(base, "base");
        this.action = Objects.requireNonNull(action, "action");
    }

    /** Schedules a run in this turn's deferred phase; false if it was already scheduled. */
    public boolean schedule() {
        base.checkInLoopThread();
        if (scheduled) {
            return false;
        }
        scheduled = true;
        if (!queued) {
            queued = true;
            base.enqueueDeferred(this);
        }
        return true;
    }

    /** Unschedules; false if it was not scheduled. */
    public boolean cancel() {
        base.checkInLoopThread();
        boolean was = scheduled;
        scheduled = false;
        return was;
    }

    public boolean isScheduled() {
        return scheduled;
    }

    public EventBase getBase() {
        return base;
    }

    Runnable action() {
        return action;
    }

    @Override
    public String toString() {
        return "DeferredCallback[" + action + (scheduled ? ", scheduled]" : "]");
    }
}
