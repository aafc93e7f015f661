package org.jevent.eventbase;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The deferred work of a base, run after the active events of a turn: {@link DeferredCallback}s
 * (reusable, coalescing) and plain {@link Runnable}s; it is also the {@link Executor} that
 * {@link EventBase#deferredExecutor()} hands out.
 *
 * <p>Invariant: a {@link DeferredCallback} is in the queue exactly when its {@code queued} is set,
 * at most once; one whose {@code scheduled} was cleared by {@code cancel} stays queued until
 * {@link #poll()} reaches and skips it. Loop thread only.
 */
final class DeferredQueue implements Executor {
    private final EventBase base;
    private final ArrayDeque<Object> items = new ArrayDeque<>();

    DeferredQueue(EventBase base) {
        this.base = base;
    }

    /** On the loop thread: run in this turn's deferred phase; from another thread: {@code base.execute}. */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (base.isInLoopThread()) {
            base.checkOpen();
            items.add(task);
        } else {
            base.execute(task);
        }
    }

    /** A {@link DeferredCallback} (caller sets {@code queued}) or a {@link Runnable}. */
    void add(Object item) {
        items.add(item);
    }

    boolean isEmpty() {
        return items.isEmpty();
    }

    int size() {
        return items.size();
    }

    /**
     * Takes the next thing to run, skipping cancelled callbacks: a {@link DeferredCallback}
     * (now unscheduled, to be run through {@code action()}) or a {@link Runnable}; null when empty.
     */
    Object poll() {
        Object item;
        while ((item = items.poll()) != null) {
            if (!(item instanceof DeferredCallback)) {
                return item;
            }
            DeferredCallback d = (DeferredCallback) item;
            d.queued = false;
            if (d.scheduled) {
                d.scheduled = false;
                return d;
            }
        }
        return null;
    }

    /** On free: drops everything; the callbacks can be scheduled again on another base's terms. */
    void clear() {
        for (Object o : items) {
            if (o instanceof DeferredCallback) {
                ((DeferredCallback) o).queued = false;
                ((DeferredCallback) o).scheduled = false;
            }
        }
        items.clear();
    }
}
