package org.jevent.eventbase;

/**
 * The active events, one FIFO per priority (libevent's {@code activequeues}); queue 0 runs first.
 *
 * <p>Invariant: an event is linked into at most one queue, exactly when {@code ev.active}; it sits
 * in queue {@link #queueOf}, its priority capped by the number of queues (neither the event's
 * priority nor that number can change while it is active: {@code prioritySet} refuses an active
 * event, {@link #resize} a non-empty set of queues); {@code count} is the total number of linked
 * events. Links are
 * intrusive ({@code activePrev/activeNext} in the event), so queueing allocates nothing and
 * {@code event_del} of an active event unlinks it in O(1).
 */
final class ActiveQueues {
    private Event[] heads;
    private Event[] tails;
    private int count;

    ActiveQueues(int priorities) {
        heads = new Event[priorities];
        tails = new Event[priorities];
    }

    int priorities() {
        return heads.length;
    }

    int count() {
        return count;
    }

    /** Only when empty: libevent's event_base_priority_init has the same precondition. */
    void resize(int priorities) {
        if (count != 0) {
            throw new IllegalStateException("cannot change priorities while events are active");
        }
        heads = new Event[priorities];
        tails = new Event[priorities];
    }

    /** The queue an event with {@code priority} joins: the last one if it names a queue past it. */
    int queueOf(int priority) {
        return Math.min(priority, heads.length - 1);
    }

    /** Links {@code ev} at the tail of queue {@code priority}, which must be {@code queueOf(ev.priority)}. */
    void append(Event ev, int priority) {
        ev.active = true;
        ev.activeNext = null;
        Event t = tails[priority];
        ev.activePrev = t;
        if (t == null) {
            heads[priority] = ev;
        } else {
            t.activeNext = ev;
        }
        tails[priority] = ev;
        count++;
    }

    void remove(Event ev) {
        int p = queueOf(ev.priority);
        if (ev.activePrev == null) {
            heads[p] = ev.activeNext;
        } else {
            ev.activePrev.activeNext = ev.activeNext;
        }
        if (ev.activeNext == null) {
            tails[p] = ev.activePrev;
        } else {
            ev.activeNext.activePrev = ev.activePrev;
        }
        ev.activePrev = null;
        ev.activeNext = null;
        ev.active = false;
        count--;
    }

    Event head(int priority) {
        return heads[priority];
    }

    /** Unlinks everything (base free). */
    void clear() {
        for (int p = 0; p < heads.length; p++) {
            Event e = heads[p];
            while (e != null) {
                Event n = e.activeNext;
                e.activePrev = null;
                e.activeNext = null;
                e.active = false;
                e.activeRes = 0;
                e = n;
            }
            heads[p] = null;
            tails[p] = null;
        }
        count = 0;
    }
}
