package org.jevent.eventbase;

/**
 * Something that can sit in the {@link TimerHeap}: an {@link Event} with a timeout, or the
 * proxy of a non-empty {@link CommonTimeout} queue.
 *
 * <p>Invariant: {@code heapIndex == -1} exactly when the node is not in a heap; otherwise
 * {@code heap[heapIndex] == this}. Nodes order by {@code (deadline, seq)}: {@code seq} is a
 * per-base insertion counter so that timers with the same deadline fire in the order they were
 * added (libevent leaves that order to the heap; FIFO is what people expect and costs nothing).
 */
abstract class TimerNode {
    /** Absolute monotonic deadline in nanoseconds; kept after expiry (persist re-arm reads it). */
    long deadline;
    /** Tie-breaker: insertion order. */
    long seq;
    /** Position in the heap, -1 when not in it. */
    int heapIndex = -1;

    /** Wrap-safe comparison of (deadline, seq), as System.nanoTime values may wrap. */
    final boolean before(TimerNode o) {
        long d = deadline - o.deadline;
        if (d != 0) {
            return d < 0;
        }
        return seq - o.seq < 0;
    }
}
