package org.jevent.eventbase;

import java.util.Arrays;

/**
 * Min-heap of {@link TimerNode}s ordered by (deadline, seq): libevent's {@code minheap}, made
 * 4-ary and with the keys kept in parallel {@code long[]} arrays rather than in the nodes.
 *
 * <p>Why not a plain binary heap of nodes: with a million timers a sift is a chain of cache
 * misses, and each comparison of a binary heap of objects dereferences two nodes. Here a sift
 * reads keys from two arrays (the four children of a node share a cache line or two) and
 * touches a node only to move it, and a 4-ary heap has half the levels. The JMH
 * TimerBenchmark measures it. Keeping the keys here rather than in the nodes also keeps them out
 * of every {@link Event}: most events (a connection's I/O events) never have a timer.
 *
 * <p>{@code seq} is a per-base arming counter: timers with the same deadline fire in the order
 * they were armed (libevent leaves that order to the heap; FIFO is what people expect and costs
 * nothing).
 *
 * <p>Invariant: for {@code 0 <= i < size}: {@code nodes[i].heapIndex == i}, and for
 * {@code i > 0} the key {@code (deadlines[i], seqs[i])} is not before the key of its parent
 * {@code (i - 1) / 4}. Removal of any node costs O(log n) because each node knows its index.
 * Loop thread only.
 */
final class TimerHeap {
    private TimerNode[] nodes = new TimerNode[64];
    private long[] deadlines = new long[64];
    private long[] seqs = new long[64];
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

    /** The earliest deadline; only when not empty. */
    long minDeadline() {
        return deadlines[0];
    }

    /** Read-only view for foreachEvent/dump: index 0..size-1. */
    TimerNode get(int i) {
        return nodes[i];
    }

    /** The deadline {@code n} (in this heap) is armed for. */
    long deadlineOf(TimerNode n) {
        return deadlines[n.heapIndex];
    }

    void insert(TimerNode n, long deadline, long seq) {
        if (size == nodes.length) {
            int cap = size << 1;
            nodes = Arrays.copyOf(nodes, cap);
            deadlines = Arrays.copyOf(deadlines, cap);
            seqs = Arrays.copyOf(seqs, cap);
        }
        siftUp(size++, n, deadline, seq);
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
        place(i, moved, deadlines[last], seqs[last]);
    }

    /** Gives {@code n}, in the heap, a new key and restores the order. */
    void update(TimerNode n, long deadline, long seq) {
        place(n.heapIndex, n, deadline, seq);
    }

    private void place(int i, TimerNode n, long d, long s) {
        if (i > 0) {
            int parent = (i - 1) >>> 2;
            if (less(d, s, deadlines[parent], seqs[parent])) {
                siftUp(i, n, d, s);
                return;
            }
        }
        siftDown(i, n, d, s);
    }

    void clear() {
        for (int i = 0; i < size; i++) {
            nodes[i].heapIndex = -1;
            nodes[i] = null;
        }
        size = 0;
    }

    /** Wrap-safe (deadline, seq) order, as System.nanoTime values may wrap. */
    static boolean less(long d1, long s1, long d2, long s2) {
        long diff = d1 - d2;
        if (diff != 0) {
            return diff < 0;
        }
        return s1 - s2 < 0;
    }

    private void siftUp(int i, TimerNode n, long d, long s) {
        TimerNode[] ns = nodes;
        long[] ds = deadlines;
        long[] ss = seqs;
        while (i > 0) {
            int parent = (i - 1) >>> 2;
            long pd = ds[parent];
            // Deadlines decide; only an exact tie reads the arming order.
            if (d - pd > 0 || (d == pd && s - ss[parent] > 0)) {
                break;
            }
            TimerNode p = ns[parent];
            ns[i] = p;
            ds[i] = pd;
            ss[i] = ss[parent];
            p.heapIndex = i;
            i = parent;
        }
        ns[i] = n;
        ds[i] = d;
        ss[i] = s;
        n.heapIndex = i;
    }

    private void siftDown(int i, TimerNode n, long d, long s) {
        TimerNode[] ns = nodes;
        long[] ds = deadlines;
        long[] ss = seqs;
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
                // Deadlines decide; only an exact tie reads the arming order.
                if (cd - bd < 0 || (cd == bd && ss[c] - ss[best] < 0)) {
                    best = c;
                    bd = cd;
                }
            }
            if (bd - d > 0 || (bd == d && ss[best] - s > 0)) {
                break;
            }
            TimerNode c = ns[best];
            ns[i] = c;
            ds[i] = bd;
            ss[i] = ss[best];
            c.heapIndex = i;
            i = best;
        }
        ns[i] = n;
        ds[i] = d;
        ss[i] = s;
        n.heapIndex = i;
    }

    /** For tests: throws if the heap property or an index is broken. */
    void checkInvariants() {
        for (int i = 0; i < size; i++) {
            TimerNode n = nodes[i];
            if (n.heapIndex != i) {
                throw new IllegalStateException("heap index of " + i + " is " + n.heapIndex);
            }
            if (i > 0) {
                int p = (i - 1) >>> 2;
                if (less(deadlines[i], seqs[i], deadlines[p], seqs[p])) {
                    throw new IllegalStateException("heap order broken at " + i);
                }
            }
        }
        for (int i = size; i < nodes.length; i++) {
            if (nodes[i] != null) {
                throw new IllegalStateException("a removed node is still referenced at " + i);
            }
        }
    }
}
