package org.jevent.eventbase;

/**
 * Something that can sit in the {@link TimerHeap}: an {@link Event} with a timeout, or the
 * proxy of a non-empty {@link CommonTimeout} queue. The node carries only its position: the
 * heap keeps each node's key (deadline, seq) in its own arrays, so that an event that never has
 * a timer pays four bytes for being able to have one.
 *
 * <p>Invariant: {@code heapIndex == -1} exactly when the node is not in a heap; otherwise
 * {@code heap.get(heapIndex) == this}.
 */
abstract class TimerNode {
    /** Position in the heap, -1 when not in it. */
    int heapIndex = -1;
}
