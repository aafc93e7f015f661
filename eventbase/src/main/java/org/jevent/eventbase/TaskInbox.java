package org.jevent.eventbase;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.Selector;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscUnboundedArrayQueue;

/**
 * The one door into a base from other threads: a JCTools MPSC queue of {@link Runnable}s and
 * {@link Event}s (cross-thread activations), plus the wake-up protocol.
 *
 * <p>Wake-up protocol (Netty's {@code NioIoHandler}, JCTools lesson 4.5): the loop publishes
 * {@code SLEEPING} with a volatile store and then checks the queue before it blocks; a producer
 * offers and then CASes {@code SLEEPING -> WOKEN}. Sequential consistency of the two volatile
 * accesses means either the loop sees the item or the producer sees SLEEPING, and the CAS means
 * one {@link Selector#wakeup()} per sleep however many producers arrive: wakeup is a syscall
 * (an eventfd or pipe write), so a burst of cross-thread work costs one, not one per item.
 *
 * <p>Invariant: {@code state == SLEEPING} only between {@link #prepareToSleep()} and
 * {@link #awake()}, which the loop thread alone calls around a blocking select.
 */
final class TaskInbox {
    private static final int AWAKE = 0;
    private static final int SLEEPING = 1;
    private static final int WOKEN = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(TaskInbox.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MpscUnboundedArrayQueue<Object> queue = new MpscUnboundedArrayQueue<>(1024);
    private final Selector selector;
    @SuppressWarnings("unused")
    private volatile int state;

    TaskInbox(Selector selector) {
        this.selector = selector;
    }

    /** Any thread. */
    void offer(Object item) {
        queue.offer(item);
        wakeIfSleeping();
    }

    /** Any thread: wake the loop if it is (about to be) blocked in select. */
    void wakeIfSleeping() {
        if ((int) STATE.getVolatile(this) == SLEEPING && STATE.compareAndSet(this, SLEEPING, WOKEN)) {
            selector.wakeup();
        }
    }

    /** Loop thread, before a blocking select; afterwards check {@link #isEmpty()}. */
    void prepareToSleep() {
        STATE.setVolatile(this, SLEEPING);
    }

    /** Loop thread, after select returned. A late producer may still wake a later select once: harmless. */
    void awake() {
        STATE.setRelease(this, AWAKE);
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    /** Loop thread. */
    int drain(MessagePassingQueue.Consumer<Object> consumer, int limit) {
        return queue.drain(consumer, limit);
    }

    /**
     * A task that holds something the loop was to take over (a channel handed to it): when the
     * base is freed before the task runs, {@link #drop()} releases it instead.
     */
    interface DroppableTask extends Runnable {
        void drop();
    }

    /** Loop thread, on free: drops what is left (releasing what droppable tasks hold), returns how many. */
    int clear() {
        int n = 0;
        Object item;
        while ((item = queue.relaxedPoll()) != null) {
            if (item instanceof DroppableTask) {
                ((DroppableTask) item).drop();
            }
            n++;
        }
        return n;
    }
}
