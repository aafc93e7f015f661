package org.jevent.eventbase;

/**
 * What only some events need, kept out of {@link Event} and made on first use: the timeout a
 * persistent event re-arms with, the links of a common-timeout queue, and a signal. A
 * connection's I/O events and plain timers (a bufferevent's timeouts) never make one, so they
 * stay at the size of the fields every event uses.
 *
 * <p>Invariant: {@code timerQueue != null} iff the event's timer is armed in that common queue,
 * and then {@code commonPrev}/{@code commonNext} are its links there; {@code deadline} and
 * {@code seq} are the key of the event's last arming (in the heap too, where the heap keeps its
 * own copy), read by the common queue's order and by a persistent re-arm after expiry;
 * {@code ioTimeoutNanos >= 0} iff a persistent event has a timeout to re-arm with, in
 * {@code persistQueue} when that is not null. Loop thread only.
 */
final class EventExtras {
    long deadline;
    long seq;
    /** The duration a persistent event re-arms with, -1 for none. */
    long ioTimeoutNanos = -1;
    /** The common queue a persistent event re-arms in, or null (the heap). */
    CommonTimeout persistQueue;
    /** The common queue the armed timer sits in, or null (in the heap, or no timer). */
    CommonTimeout timerQueue;
    Event commonPrev;
    Event commonNext;
    /** For a signal event, its name and whether it is added; else null. */
    SignalTarget signal;

    /** (deadline, seq) of this arming before {@code o}'s: the order of a common queue. */
    boolean before(EventExtras o) {
        return TimerHeap.less(deadline, seq, o.deadline, o.seq);
    }

    /**
     * The signal a signal event waits for. A separate object so that the two fields cost the
     * common-timeout events nothing: signal events are a handful per process.
     */
    static final class SignalTarget {
        final String name;
        /** True while registered with the base's {@link SignalEvents}. */
        boolean added;

        SignalTarget(String name) {
            this.name = name;
        }
    }
}
