package org.jevent.eventbase;

import java.time.Duration;

/**
 * A libevent "common timeout": a FIFO of events that all wait the same duration, driven by one
 * entry in the base's timer heap ({@code event_base_init_common_timeout}).
 *
 * <p>Obtain one with {@link EventBase#initCommonTimeout(Duration)} and pass it to
 * {@link Event#add(CommonTimeout)}. Adding or removing an event costs O(1) (a heap operation
 * only when the queue's head changes), whatever the number of events sharing it: this is what
 * lets ten thousand connections share an idle timeout cheaply.
 *
 * <p>Invariant: the queue is sorted by (deadline, seq); {@code size > 0} exactly when the proxy
 * is in the heap, and then the proxy carries the head's deadline and seq. Events are appended
 * with {@code now + duration} and the base's "now" never goes backwards, so an append lands at
 * the tail; only a persist re-arm with an older absolute deadline walks back from the tail.
 */
public final class CommonTimeout {
    final EventBase base;
    final long durationNanos;
    private final Duration duration;

    Event head;
    Event tail;
    int size;

    /** The one heap entry standing for the whole queue. */
    final Proxy proxy = new Proxy();

    final class Proxy extends TimerNode {
        CommonTimeout queue() {
            return CommonTimeout.this;
        }
    }

    CommonTimeout(EventBase base, Duration duration, long durationNanos) {
        this.base = base;
        this.duration = duration;
        this.durationNanos = durationNanos;
    }

    /** {@return the duration every event in this queue waits} */
    public Duration duration() {
        return duration;
    }

    /** {@return the base this queue belongs to} */
    public EventBase base() {
        return base;
    }

    /** {@return the number of events now waiting in this queue} */
    public int size() {
        return size;
    }

    /** Insert {@code ev} (deadline and seq already set) in order, normally at the tail. */
    void insert(Event ev, TimerHeap heap) {
        Event after = tail;
        while (after != null && ev.before(after)) {
            after = after.commonPrev;
        }
        ev.commonPrev = after;
        if (after == null) {
            ev.commonNext = head;
            if (head != null) {
                head.commonPrev = ev;
            } else {
                tail = ev;
            }
            head = ev;
        } else {
            ev.commonNext = after.commonNext;
            if (after.commonNext != null) {
                after.commonNext.commonPrev = ev;
            } else {
                tail = ev;
            }
            after.commonNext = ev;
        }
        size++;
        if (head == ev) {
            headChanged(heap);
        }
    }

    void remove(Event ev, TimerHeap heap) {
        boolean wasHead = head == ev;
        if (ev.commonPrev != null) {
            ev.commonPrev.commonNext = ev.commonNext;
        } else {
            head = ev.commonNext;
        }
        if (ev.commonNext != null) {
            ev.commonNext.commonPrev = ev.commonPrev;
        } else {
            tail = ev.commonPrev;
        }
        ev.commonPrev = null;
        ev.commonNext = null;
        size--;
        if (wasHead) {
            headChanged(heap);
        }
    }

    private void headChanged(TimerHeap heap) {
        if (head == null) {
            if (proxy.heapIndex >= 0) {
                heap.remove(proxy);
            }
            return;
        }
        proxy.deadline = head.deadline;
        proxy.seq = head.seq;
        if (proxy.heapIndex >= 0) {
            heap.update(proxy);
        } else {
            heap.insert(proxy);
        }
    }

    void clear() {
        Event e = head;
        while (e != null) {
            Event n = e.commonNext;
            e.commonPrev = null;
            e.commonNext = null;
            e.timerQueue = null;
            e = n;
        }
        head = null;
        tail = null;
        size = 0;
    }

    /** For tests: sorted, counted, proxy in sync. */
    void checkInvariants() {
        int n = 0;
        Event prev = null;
        for (Event e = head; e != null; e = e.commonNext) {
            if (e.commonPrev != prev) {
                throw new IllegalStateException("broken back link in common queue");
            }
            if (prev != null && e.before(prev)) {
                throw new IllegalStateException("common queue out of order");
            }
            if (e.timerQueue != this) {
                throw new IllegalStateException("event in queue does not point to it");
            }
            prev = e;
            n++;
        }
        if (n != size || prev != tail) {
            throw new IllegalStateException("common queue size/tail mismatch");
        }
        if ((size > 0) != (proxy.heapIndex >= 0)) {
            throw new IllegalStateException("common queue proxy out of sync");
        }
        if (size > 0 && (proxy.deadline != head.deadline || proxy.seq != head.seq)) {
            throw new IllegalStateException("common queue proxy key stale");
        }
    }

    @Override
    public String toString() {
        return "CommonTimeout[" + duration + ", size=" + size + "]";
    }
}
