package org.jevent.eventbase;

import java.util.Arrays;

/**
 * Min-heap of {@link TimerNode}s ordered by (deadline, seq): libevent's {@code minheap}, made
 * 4-ary and with the keys copied into parallel {@code long[]} arrays.
 *
 * <p>Why not a plain binary heap of nodes: with a million timers a sift is a chain of cache
 * misses, and each comparison of a binary heap of objects dereferences two nodes. Here a sift
 * reads deadlines from one array (the four children of a node share a cache line or two) and
 * touches a node only to move it or to break a tie on {@code seq} (equal deadlines are rare
 * except for timers added in the same turn with the same delay), and a 4-ary heap has half the
 * levels. The JMH TimerBenchmark measures it.
 *
 * <p>Invariant: for {@code 0 <= i < size}: {@code nodes[i].heapIndex == i},
 * {@code deadlines[i] == nodes[i].deadline}, and for
 * {@code i > 0} the key at {@code i} is not before the key of its parent {@code (i - 1) / 4}.
 * Removal of any node costs O(log n) because each node knows its index. Loop thread only.
 */
final class TimerHeap {
    private TimerNode[] nodes = new TimerNode[64];
    private long[] deadlines = new long[64];
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
            int cap = size << 1;
            nodes = Arrays.copyOf(nodes, cap);
            deadlines = Arrays.copyOf(deadlines, cap);
        }
        siftUp(size++, n, n.deadline);
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
        place(i, moved, deadlines[last]);
    }

    /** Re-establish order after {@code n.deadline}/{@code n.seq} changed while in the heap. */
    void update(TimerNode n) {
        place(n.heapIndex, n, n.deadline);
    }

    private void place(int i, TimerNode n, long d) {
        if (i > 0) {
            int parent = (i - 1) >>> 2;
            if (less(d, n, deadlines[parent], nodes[parent])) {
                siftUp(i, n, d);
                return;
            }
        }
        siftDown(i, n, d);
    }

    void clear() {
        for (int i = 0; i < size; i++) {
            nodes[i].heapIndex = -1;
            nodes[i] = null;
        }
        size = 0;
    }

    /** Wrap-safe (deadline, seq) order, as System.nanoTime values may wrap; nodes are read only on a tie. */
    private static boolean less(long d1, TimerNode n1, long d2, TimerNode n2) {
        long diff = d1 - d2;
        if (diff != 0) {
            return diff < 0;
        }
        return n1.seq - n2.seq < 0;
    }

    private void siftUp(int i, TimerNode n, long d) {
        TimerNode[] ns = nodes;
        long[] ds = deadlines;
        while (i > 0) {
            int parent = (i - 1) >>> 2;
            TimerNode p = ns[parent];
            if (!less(d, n, ds[parent], p)) {
                break;
            }
            ns[i] = p;
            ds[i] = ds[parent];
            p.heapIndex = i;
            i = parent;
        }
        ns[i] = n;
        ds[i] = d;
        n.heapIndex = i;
    }

    private void siftDown(int i, TimerNode n, long d) {
        TimerNode[] ns = nodes;
        long[] ds = deadlines;
        int sz = size;
        while (true) {
            int first = (i << 2) + 1;
            if (first >= sz) {
                break;
            }
            int best = first;
            long bd = ds[first];
            int end = Math.min(first + 4, sz);
            for (int c = first + 1; c < end; c++) {
                long cd = ds[c];
                // Deadlines decide; only an exact tie looks at the nodes' seq.
                if (cd - bd < 0 || (cd == bd && ns[c].seq - ns[best].seq < 0)) {
                    best = c;
                    bd = cd;
                }
            }
            TimerNode c = ns[best];
            if (!less(bd, c, d, n)) {
                break;
            }
            ns[i] = c;
            ds[i] = bd;
            c.heapIndex = i;
            i = best;
        }
        ns[i] = n;
        ds[i] = d;
        n.heapIndex = i;
    }

    /** For tests: throws if the heap property, a key copy or an index is broken. */
    void checkInvariants() {
        for (int i = 0; i < size; i++) {
            TimerNode n = nodes[i];
            if (n.heapIndex != i) {
                throw new IllegalStateException("heap index of " + i + " is " + n.heapIndex);
            }
            if (deadlines[i] != n.deadline) {
                throw new IllegalStateException("stale deadline copy at " + i);
            }
            if (i > 0) {
                int p = (i - 1) >>> 2;
                if (less(deadlines[i], n, deadlines[p], nodes[p])) {
                    throw new IllegalStateException("heap order broken at " + i);
                }
            }
        }
    }
}
