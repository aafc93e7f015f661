package org.jevent.eventbase;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The callback-running part of a loop turn: libevent's {@code event_process_active} (the most
 * urgent non-empty priority queue, within the {@code max_dispatch_interval} limits), then up to
 * {@code maxDeferredPerTurn} deferred callbacks, plus the running of cross-thread tasks. Every
 * callback runs through here, so that what is running is known and a throw never ends the loop.
 *
 * <p>Invariant: {@code runningPriority >= 0} only while {@link #run()} works through a queue;
 * {@code runningEvent} is the event whose callback is on the stack, else null; {@code continueFlag}
 * set means "stop this queue after the current callback and rescan" and is cleared at the start of
 * every turn. Loop thread only.
 */
final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(EventBase.class);

    private final EventBase base;
    private final ActiveQueues activeQueues;
    private final DeferredQueue deferred;
    private final EventTimers timers;
    private final long maxDispatchIntervalNanos;
    private final int maxCallbacks;
    private final int limitCallbacksAfterPriority;
    private final int maxDeferredPerTurn;
    private final EventClock clock;

    private int runningPriority = -1;
    private Event runningEvent;
    private boolean continueFlag;

    Dispatcher(EventBase base, EventConfig config, ActiveQueues activeQueues, DeferredQueue deferred,
            EventTimers timers) {
        this.base = base;
        this.activeQueues = activeQueues;
        this.deferred = deferred;
        this.timers = timers;
        this.clock = config.clock;
        this.maxDispatchIntervalNanos = config.maxDispatchIntervalNanos;
        this.maxCallbacks = config.maxCallbacks;
        this.limitCallbacksAfterPriority = config.limitCallbacksAfterPriority;
        this.maxDeferredPerTurn = config.maxDeferredPerTurn;
    }

    /** {@code event_base_get_running_event}. */
    Event runningEvent() {
        return runningEvent;
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
        runningEvent = null;
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
            if (ev.ioTimeoutNanos >= 0) {
                timers.rearmPersistent(ev, res, base.now());
            }
        } else {
            base.removeInterest(ev);
            timers.disarm(ev);
        }
        runningEvent = ev;
        try {
            ev.callback.call(ev, res);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            LOG.error("callback of {} threw (what={}); the loop goes on", ev, Event.flagsToString(res), t);
        } finally {
            runningEvent = null;
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

    /** Runs a cross-thread task or a deferred callback ({@code what}, for the report); a throw is logged. */
    void runTask(Runnable task, Object what) {
        try {
            task.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            LOG.error("{} on {} threw; the loop goes on", what, base, t);
        }
    }
}
