package org.jevent.eventbase;

import java.io.IOException;
import org.jctools.queues.MessagePassingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One turn of {@link EventBase#loop(int)}, in the order the base's class comment gives: leave if
 * asked to or if nothing is pending, select (polling or sleeping until the nearest timer), refresh
 * the cached time, drain the cross-thread inbox, expire timers, run callbacks through the
 * {@link Dispatcher}, re-check pending connects, and decide whether ONCE or NONBLOCK is satisfied.
 *
 * <p>Invariant: holds no state of its own between turns (the structures are the base's); the
 * time cache is invalid while select runs, so a sleep never leaves a stale "now" behind. Loop
 * thread only.
 */
final class LoopTurn {
    /** What {@link #run} returns when the loop goes on; any other value is the loop's result. */
    static final int AGAIN = Integer.MIN_VALUE;

    private static final Logger LOG = LoggerFactory.getLogger(EventBase.class);

    private final EventBase base;
    private final ChannelRegistry channels;
    private final SignalEvents signals;
    private final EventTimers timers;
    private final ActiveQueues activeQueues;
    private final DeferredQueue deferred;
    private final TaskInbox inbox;
    private final TimeCache timeCache;
    private final Dispatcher dispatcher;
    private final EventClock clock;
    private final int maxTasksPerTurn;
    private final LoopStats stats;
    /** Pre-built so that draining the inbox does not allocate a lambda per turn. */
    private final MessagePassingQueue.Consumer<Object> inboxHandler = this::onInboxItem;

    LoopTurn(EventBase base, EventConfig config, ChannelRegistry channels, SignalEvents signals, EventTimers timers,
            ActiveQueues activeQueues, DeferredQueue deferred, TaskInbox inbox, TimeCache timeCache,
            Dispatcher dispatcher, LoopStats stats) {
        this.base = base;
        this.channels = channels;
        this.signals = signals;
        this.timers = timers;
        this.activeQueues = activeQueues;
        this.deferred = deferred;
        this.inbox = inbox;
        this.timeCache = timeCache;
        this.dispatcher = dispatcher;
        this.clock = config.clock;
        this.maxTasksPerTurn = config.maxTasksPerTurn;
        this.stats = stats;
    }

    /** One turn; {@link #AGAIN} or the loop's result (0 exit/break/done, 1 nothing pending, -1 failure). */
    int run(int flags) {
        dispatcher.turnStarts();
        if (base.exitRequested()) {
            return 0;
        }
        if ((flags & EventBase.EVLOOP_NO_EXIT_ON_EMPTY) == 0 && !haveEvents()) {
            return 1;
        }
        if (!waitForEvents((flags & EventBase.EVLOOP_NONBLOCK) != 0 || hasImmediateWork())) {
            return -1;
        }
        if (base.isFreed()) {
            return 0;
        }
        timeCache.refresh();
        int tasks = inbox.isEmpty() ? 0 : inbox.drain(inboxHandler, maxTasksPerTurn);
        int expired = expireTimers();
        boolean hadActive = activeQueues.count() > 0 || !deferred.isEmpty();
        int ran = hadActive ? dispatcher.run() : 0;
        channels.recheckConnects();
        stats.turn(ran, expired, tasks);
        return ends(flags, hadActive, ran, tasks) ? 0 : AGAIN;
    }

    /** Whether ONCE or NONBLOCK is satisfied by a turn that ran {@code ran} callbacks and {@code tasks} tasks. */
    private boolean ends(int flags, boolean hadActive, int ran, int tasks) {
        if (hadActive) {
            return (flags & EventBase.EVLOOP_ONCE) != 0 && activeQueues.count() == 0 && ran + tasks != 0;
        }
        if ((flags & EventBase.EVLOOP_NONBLOCK) != 0) {
            return true;
        }
        return (flags & EventBase.EVLOOP_ONCE) != 0 && tasks != 0;
    }

    private boolean haveEvents() {
        return channels.size() > 0 || !signals.isEmpty() || !timers.isEmpty() || hasImmediateWork();
    }

    private boolean hasImmediateWork() {
        return activeQueues.count() > 0 || !deferred.isEmpty() || !inbox.isEmpty();
    }

    /**
     * Selects, without blocking when {@code poll} or until the nearest timer, a cross-thread
     * wake-up or a ready channel; false (logged) when select failed or the thread was interrupted.
     */
    private boolean waitForEvents(boolean poll) {
        timeCache.invalidate();
        try {
            long timeout = poll ? 0 : timers.nanosToNext(clock.monotonicNanos());
            if (timeout == 0) {
                channels.selectNow();
            } else {
                sleepInSelect(timeout);
            }
        } catch (IOException e) {
            LOG.error("select failed on {}", base, e);
            return false;
        }
        if (Thread.currentThread().isInterrupted()) {
            // An interrupted thread's select returns at once, forever: stop instead of spinning.
            // The interrupt status is left set for the caller.
            LOG.debug("loop thread of {} interrupted; leaving the loop", base);
            return false;
        }
        return true;
    }

    /** A blocking select under the inbox's wake-up protocol (see {@link TaskInbox}). */
    private void sleepInSelect(long timeoutNanos) throws IOException {
        inbox.prepareToSleep();
        try {
            // Read after prepareToSleep: a loopBreak from another thread either is seen here or wakes the select.
            if (!inbox.isEmpty() || base.breakRequested()) {
                channels.selectNow();
            } else {
                channels.select(timeoutNanos);
            }
        } finally {
            inbox.awake();
        }
    }

    private void onInboxItem(Object item) {
        if (item instanceof Event) {
            Event ev = (Event) item;
            int res = ev.takeRemote();
            if (res != 0 && ev.base == base) {
                base.activateLocal(ev, res);
            }
        } else {
            dispatcher.runTask((Runnable) item, item);
        }
    }

    /** Moves every due timer's event to the active queues; returns how many. */
    private int expireTimers() {
        if (timers.isEmpty()) {
            return 0;
        }
        long now = base.now();
        int n = 0;
        Event ev;
        while ((ev = timers.pollExpired(now)) != null) {
            n++;
            // A non-persistent event stops being pending when it fires (timeout_process → event_del).
            if ((ev.events & Event.EV_PERSIST) == 0) {
                base.removeInterest(ev);
            }
            base.activateLocal(ev, Event.EV_TIMEOUT);
        }
        return n;
    }
}
