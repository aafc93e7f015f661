package org.jevent.eventbase;

import java.util.Arrays;

/**
 * Binary min-heap of {@link TimerNode}s ordered by (deadline, seq), libevent's {@code minheap}.
 *
 * <p>Invariant: for every index {@code i > 0}, {@code !nodes[i].before(nodes[(i - 1) / 2])}, and
 * {@code nodes[i].heapIndex == i}. Because each node knows its index, removing an arbitrary node
 * costs O(log n), which is what makes {@code event_del} of a timer cheap.
 * Single-threaded: only the loop thread touches it.
 */
final class TimerHeap {
    private TimerNode[] nodes = new TimerNode[64];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest node, or null. */
    TimerNode peek() {
        return size == 0 ? null : nodes[0];
    }

    /** Read-only view for foreachEvent/dump: index 0..size-1. */
    TimerNode get(int i) {
        return nodes[i];
    }

    void insert(TimerNode n) {
        if (size == nodes.length) {
            nodes = Arrays.copyOf(nodes, size << 1);
        }
        int i = size++;
        siftUp(i, n);
    }

    TimerNode removeMin() {
        TimerNode min = nodes[0];
        remove(min);
        return min;
    }

    void remove(TimerNode n) {
        int i = n.heapIndex;
        n.heapIndex = -1;
        int last = --size;
        TimerNode moved = nodes[last];
        nodes[last] = null;
        if (i == last) {
            return;
        }
        // Put the last node into the hole and restore order in whichever direction it needs.
        if (i > 0 && moved.before(nodes[(i - 1) >>> 1])) {
            siftUp(i, moved);
        } else {
            siftDown(i, moved);
        }
    }

    /** Re-establish order after {@code n.deadline}/{@code n.seq} changed while in the heap. */
    void update(TimerNode n) {
        int i = n.heapIndex;
        if (i > 0 && n.before(nodes[(i - 1) >>> 1])) {
            siftUp(i, n);
        } else {
            siftDown(i, n);
        }
    }

    void clear() {
        for (int i = 0; i < size; i++) {
            nodes[i].heapIndex = -1;
            nodes[i] = null;
        }
        size = 0;
    }

    private void siftUp(int i, TimerNode n) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            TimerNode p = nodes[parent];
            if (!n.before(p)) {
                break;
            }
            nodes[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        nodes[i] = n;
        n.heapIndex = i;
    }

    private void siftDown(int i, TimerNode n) {
        int half = size >>> 1;
        while (i < half) {
            int child = (i << 1) + 1;
            TimerNode c = nodes[child];
            int right = child + 1;
            if (right < size && nodes[right].before(c)) {
                child = right;
                c = nodes[child];
            }
            if (!c.before(n)) {
                break;
            }
            nodes[i] = c;
            c.heapIndex = i;
            i = child;
        }
        nodes[i] = n;
        n.heapIndex = i;
    }

    /** For tests: throws if the heap property or an index is broken. */
    void checkInvariants() {
        for (int i = 0; i < size; i++) {
            if (nodes[i].heapIndex != i) {
                throw new IllegalStateException("heap index of " + i + " is " + nodes[i].heapIndex);
            }
            if (i > 0 && nodes[i].before(nodes[(i - 1) >>> 1])) {
                throw new IllegalStateException("heap order broken at " + i);
            }
        }
    }
}
