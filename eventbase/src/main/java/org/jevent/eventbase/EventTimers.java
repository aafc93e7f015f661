package org.jevent.eventbase;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A base's timers: the {@link TimerHeap} and the {@link CommonTimeout} queues that each stand in
 * it as one proxy, with the glue that arms, disarms, re-arms and expires an event whichever of the
 * two holds it.
 *
 * <p>Invariant: an event's timer is armed iff {@code heapIndex >= 0} (in the heap) xor
 * {@code extras.timerQueue != null} (in that common queue, whose proxy is in the heap while the
 * queue is not empty); an event with {@link EventExtras} has its last arming's key there;
 * {@code seq} only grows, so equal deadlines fire in arming order; at most one
 * {@link CommonTimeout} per duration. Loop thread only.
 */
final class EventTimers {
    /** Durations are capped so that deadline arithmetic on nanoTime can never overflow. */
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE >>> 2;
    private static final Duration MAX_TIMEOUT = Duration.ofNanos(MAX_TIMEOUT_NANOS);

    private final TimerHeap heap = new TimerHeap();
    private final List<CommonTimeout> commonTimeouts = new ArrayList<>(4);
    private long seq;

    /** {@code d} in nanoseconds, capped at about 36 years. */
    static long toNanos(Duration d) {
        return d.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT_NANOS : d.toNanos();
    }

    boolean isEmpty() {
        return heap.isEmpty();
    }

    /** For the read-only walks. */
    TimerHeap heap() {
        return heap;
    }

    /** For the read-only walks. */
    List<CommonTimeout> commonTimeouts() {
        return commonTimeouts;
    }

    /** The queue for {@code nanos}, created on first use; the same object for the same duration. */
    CommonTimeout commonTimeout(EventBase base, Duration d, long nanos) {
        for (int i = 0; i < commonTimeouts.size(); i++) {
            CommonTimeout ct = commonTimeouts.get(i);
            if (ct.durationNanos == nanos) {
                return ct;
            }
        }
        CommonTimeout ct = new CommonTimeout(base, d, nanos);
        commonTimeouts.add(ct);
        return ct;
    }

    /**
     * Arms {@code ev} (not armed) for {@code deadline}, in {@code queue} or else in the heap.
     * The key is also kept in the event's extras when it has them: a common queue orders by it,
     * a persistent re-arm after expiry reads the deadline that passed.
     */
    void arm(Event ev, long deadline, CommonTimeout queue) {
        long s = seq++;
        EventExtras x = queue != null ? ev.extras() : ev.extras;
        if (x != null) {
            x.deadline = deadline;
            x.seq = s;
        }
        if (queue != null) {
            x.timerQueue = queue;
            queue.insert(ev, heap);
        } else {
            heap.insert(ev, deadline, s);
        }
    }

    /** Disarms {@code ev}'s timer if armed. */
    void disarm(Event ev) {
        if (ev.heapIndex >= 0) {
            heap.remove(ev);
        } else {
            EventExtras x = ev.extras;
            if (x != null && x.timerQueue != null) {
                x.timerQueue.remove(ev, heap);
                x.timerQueue = null;
            }
        }
    }

    /** The deadline of {@code ev}'s armed timer. */
    long deadlineOf(Event ev) {
        return ev.heapIndex >= 0 ? heap.deadlineOf(ev) : ev.extras.deadline;
    }

    /**
     * libevent's {@code event_persist_closure}: a persistent event with a timeout runs again
     * {@code ioTimeoutNanos} after its deadline if the timeout fired, after now otherwise, and
     * from now if that moment has already passed. Such an event has its extras (they hold the
     * timeout), where {@link #arm} left the deadline.
     */
    void rearmPersistent(Event ev, int res, long now) {
        EventExtras x = ev.extras;
        long delay = x.ioTimeoutNanos;
        long runAt = ((res & Event.EV_TIMEOUT) != 0 ? x.deadline : now) + delay;
        if (runAt - now < 0) {
            runAt = now + delay;
        }
        disarm(ev);
        arm(ev, runAt, x.persistQueue);
    }

    /** Nanoseconds from {@code now} to the nearest deadline (0 if due), or -1 for none. */
    long nanosToNext(long now) {
        if (heap.isEmpty()) {
            return -1;
        }
        long d = heap.minDeadline() - now;
        return d <= 0 ? 0 : d;
    }

    /** Disarms and returns the earliest event due at {@code now}, or null when none is due. */
    Event pollExpired(long now) {
        TimerNode n = heap.peek();
        if (n == null || heap.minDeadline() - now > 0) {
            return null;
        }
        if (n instanceof CommonTimeout.Proxy) {
            CommonTimeout q = ((CommonTimeout.Proxy) n).queue();
            Event ev = q.head;
            q.remove(ev, heap);
            ev.extras.timerQueue = null;
            return ev;
        }
        Event ev = (Event) n;
        heap.remove(ev);
        return ev;
    }

    /** On free: every timer disarmed; the common queues stay known (their events are gone). */
    void clear() {
        for (int c = 0; c < commonTimeouts.size(); c++) {
            commonTimeouts.get(c).clear();
        }
        heap.clear();
    }

    /** For tests: the heap and every common queue are consistent. */
    void checkInvariants() {
        heap.checkInvariants();
        for (int c = 0; c < commonTimeouts.size(); c++) {
            commonTimeouts.get(c).checkInvariants(heap);
        }
    }
}
