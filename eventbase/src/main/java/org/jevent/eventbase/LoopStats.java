package org.jevent.eventbase;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Running totals of one base's loop (turns, callbacks, expired timers, cross-thread tasks), for
 * the periodic JFR {@code org.jevent.LoopStatistics} event.
 *
 * <p>Invariant: the totals only grow, are written by the loop thread alone, once per turn, with
 * opaque stores (as cheap as plain ones; they only keep each long whole and the store in place),
 * and are read with opaque loads from the JFR thread, which may see a total a turn old. The
 * {@code emitted*} fields are the JFR thread's own: the totals at its previous event.
 */
final class LoopStats {
    private static final VarHandle TURNS;
    private static final VarHandle CALLBACKS;
    private static final VarHandle TIMERS;
    private static final VarHandle TASKS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TURNS = l.findVarHandle(LoopStats.class, "turns", long.class);
            CALLBACKS = l.findVarHandle(LoopStats.class, "callbacks", long.class);
            TIMERS = l.findVarHandle(LoopStats.class, "timers", long.class);
            TASKS = l.findVarHandle(LoopStats.class, "tasks", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long turns;
    private long callbacks;
    private long timers;
    private long tasks;
    /** Set by free: the JFR side drops the entry. */
    volatile boolean closed;

    long emittedTurns;
    long emittedCallbacks;
    long emittedTimers;
    long emittedTasks;

    /**
     * Loop thread, at the end of a turn that ran {@code ran} callbacks (events and deferred);
     * nothing with the hooks compiled out ({@code -Djevent.jfr=false}: no JFR reads them).
     */
    void turn(int ran, int expired, int tasksRun) {
        if (!JfrHooks.ON) {
            return;
        }
        TURNS.setOpaque(this, turns + 1);
        if (ran > 0) {
            CALLBACKS.setOpaque(this, callbacks + ran);
        }
        if (expired > 0) {
            TIMERS.setOpaque(this, timers + expired);
        }
        if (tasksRun > 0) {
            TASKS.setOpaque(this, tasks + tasksRun);
        }
    }

    long turns() {
        return (long) TURNS.getOpaque(this);
    }

    long callbacks() {
        return (long) CALLBACKS.getOpaque(this);
    }

    long timers() {
        return (long) TIMERS.getOpaque(this);
    }

    long tasks() {
        return (long) TASKS.getOpaque(this);
    }
}
