package org.jevent.eventbase;

import java.util.Objects;

/**
 * The callback-running part of a loop turn: libevent's {@code event_process_active} (the most
 * urgent non-empty priority queue, within the {@code max_dispatch_interval} limits), then up to
 * {@code maxDeferredPerTurn} deferred callbacks, plus the running of cross-thread tasks. Every
 * callback runs through here, so that what is running is known and a throw never ends the loop.
 *
 * <p>Invariant: {@code runningPriority >= 0} only while {@link #run()} works through a queue; the
 * {@link StallWatch} knows the callback on the stack (enter/exit around each); {@code continueFlag}
 * set means "stop this queue after the current callback and rescan" and is cleared at the start of
 * every turn. Loop thread only.
 */
final class Dispatcher {
    private final EventBase base;
    private final ActiveQueues activeQueues;
    private final DeferredQueue deferred;
    private final EventTimers timers;
    private final long maxDispatchIntervalNanos;
    private final int maxCallbacks;
    private final int limitCallbacksAfterPriority;
    private final int maxDeferredPerTurn;
    private final EventClock clock;
    private final StallWatch watch;
    /** Volatile: set from any thread, read on the loop thread when a callback throws. */
    private volatile ExceptionHook hook;

    private int runningPriority = -1;
    private boolean continueFlag;

    Dispatcher(EventBase base, EventConfig config, ActiveQueues activeQueues, DeferredQueue deferred,
            EventTimers timers, StallWatch watch) {
        this.base = base;
        this.watch = watch;
        this.hook = config.exceptionHook;
        this.activeQueues = activeQueues;
        this.deferred = deferred;
        this.timers = timers;
        this.clock = config.clock;
        this.maxDispatchIntervalNanos = config.maxDispatchIntervalNanos;
        this.maxCallbacks = config.maxCallbacks;
        this.limitCallbacksAfterPriority = config.limitCallbacksAfterPriority;
        this.maxDeferredPerTurn = config.maxDeferredPerTurn;
    }

    ExceptionHook hook() {
        return hook;
    }

    void setHook(ExceptionHook hook) {
        this.hook = Objects.requireNonNull(hook, "hook");
    }

    /** {@code event_base_get_running_event}. */
    Event runningEvent() {
        return watch.runningEvent();
    }

    /** True while the callbacks of a priority queue run. */
    boolean isRunningQueue() {
        return runningPriority >= 0;
    }

    /** {@code event_base_loopcontinue}: stop the current queue after this callback and rescan. */
    void continueNow() {
        continueFlag = true;
    }

    /** An event became active at {@code priority}: more urgent than the running queue means rescan (event.c 3042-3055). */
    void activated(int priority) {
        if (priority < runningPriority) {
            continueFlag = true;
        }
    }

    void turnStarts() {
        continueFlag = false;
    }

    void loopEnded() {
        runningPriority = -1;
    }

    /** Runs the most urgent non-empty queue, then the deferred callbacks; callbacks run, or -1 on loopBreak. */
    int run() {
        int ran = processActive();
        if (ran >= 0 && !base.breakRequested()) {
            ran += runDeferred();
        }
        return ran;
    }

    private int processActive() {
        if (activeQueues.count() == 0) {
            return 0;
        }
        long endTime = maxDispatchIntervalNanos >= 0 ? clock.monotonicNanos() + maxDispatchIntervalNanos : 0;
        int c = 0;
        for (int p = 0, np = activeQueues.priorities(); p < np; p++) {
            if (activeQueues.head(p) != null) {
                runningPriority = p;
                boolean limited = p >= limitCallbacksAfterPriority;
                c = processQueue(p, limited ? maxCallbacks : Integer.MAX_VALUE,
                        limited && maxDispatchIntervalNanos >= 0, endTime);
                if (c != 0) {
                    break;
                }
            }
        }
        runningPriority = -1;
        return c;
    }

    private int processQueue(int p, int limit, boolean timed, long endTime) {
        int count = 0;
        Event ev;
        while ((ev = activeQueues.head(p)) != null) {
            runOne(ev);
            count++;
            if (base.breakRequested()) {
                return -1;
            }
            if (count >= limit) {
                return count;
            }
            if (timed && clock.monotonicNanos() - endTime >= 0) {
                return count;
            }
            if (continueFlag) {
                return count;
            }
        }
        return count;
    }

    /** Deactivates {@code ev}, ends or re-arms what it was pending for, and runs its callback. */
    private void runOne(Event ev) {
        int res = ev.activeRes;
        activeQueues.remove(ev);
        ev.activeRes = 0;
        if ((ev.events & Event.EV_PERSIST) != 0) {
            EventExtras x = ev.extras;
            if (x != null && x.ioTimeoutNanos >= 0) {
                timers.rearmPersistent(ev, res, base.now());
            }
        } else {
            base.removeInterest(ev);
            timers.disarm(ev);
        }
        watch.enter(ev);
        try {
            ev.callback.call(ev, res);
        } catch (Throwable t) {
            failed(ev, t);
        } finally {
            watch.exit();
        }
    }

    private int runDeferred() {
        int ran = 0;
        Object item;
        while (ran < maxDeferredPerTurn && (item = deferred.poll()) != null) {
            ran++;
            runTask(item instanceof DeferredCallback ? ((DeferredCallback) item).action() : (Runnable) item, item);
            if (base.breakRequested()) {
                break;
            }
        }
        return ran;
    }

    /** Runs a cross-thread task or a deferred callback ({@code what}, for the watch and the hook). */
    void runTask(Runnable task, Object what) {
        watch.enter(what);
        try {
            task.run();
        } catch (Throwable t) {
            failed(what, t);
        } finally {
            watch.exit();
        }
    }

    /**
     * Hands a callback's throwable to the hook. Every throwable, errors included: a
     * StackOverflowError or an OutOfMemoryError from one callback's oversized request leaves the
     * loop able to serve the others, and it is the hook's call (not ours) to stop the process.
     * A hook that throws is reported through the default hook, with the error it was given.
     */
    void failed(Object running, Throwable error) {
        ExceptionHook h = hook;
        try {
            h.onException(base, running, error);
        } catch (Throwable hookError) {
            if (h == LoggingExceptionHook.DEFAULT) {
                return; // the last resort failed too (out of memory while printing?): nothing left to try
            }
            try {
                LoggingExceptionHook.DEFAULT.onException(base, running, error);
                LoggingExceptionHook.DEFAULT.onException(base, h, hookError);
            } catch (Throwable ignored) {
                // as above
            }
        }
    }
}
