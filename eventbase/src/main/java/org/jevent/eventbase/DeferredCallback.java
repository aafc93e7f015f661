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

    /**
     * A callback that is not yet scheduled.
     *
     * @param base the base whose loop runs it; {@link #schedule()} and {@link #cancel()} must be
     *     called on its loop thread
     * @param action what runs, once per scheduling; a throwable it throws goes to the base's
     *     {@link ExceptionHook}
     */
    public DeferredCallback(EventBase base, Runnable action) {
        this.base = Objects.requireNonNull(base, "base");
        this.action = Objects.requireNonNull(action, "action");
    }

    /**
     * Schedules a run in this turn's deferred phase (or the next turn's, past the per-turn cap).
     *
     * @return true if it was scheduled now, false if it already was
     * @throws IllegalStateException if called off the loop thread or the base was freed
     */
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

    /**
     * Unschedules, so that the pending run does not happen; O(1).
     *
     * @return true if a run was scheduled, false if none was
     * @throws IllegalStateException if called off the loop thread
     */
    public boolean cancel() {
        base.checkInLoopThread();
        boolean was = scheduled;
        scheduled = false;
        return was;
    }

    /** {@return true while a run is scheduled and has not started} */
    public boolean isScheduled() {
        return scheduled;
    }

    /** {@return the base whose loop runs this callback} */
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
