package org.jevent.eventbase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jctools.queues.MessagePassingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libevent's {@code struct event_base}: a single-threaded reactor over a {@link Selector}.
 *
 * <p>One turn of {@link #loop(int)} is: (1) leave if an exit or break was requested, or if
 * nothing is pending (unless {@link #EVLOOP_NO_EXIT_ON_EMPTY}); (2) select, blocking until the
 * nearest timer unless work is already waiting; (3) refresh the cached time; (4) drain the
 * cross-thread inbox; (5) move expired timers to the active queues; (6) run the callbacks of the
 * most urgent non-empty priority queue (libevent runs one priority per turn and then rescans, so
 * a busy high priority starves lower ones, as in C); (7) run up to 32 deferred callbacks.
 *
 * <p>Invariant: every field is read and written by the owner thread only, except the
 * {@link TaskInbox}, {@code gotBreak}/{@code owner}/{@code closed} (volatile) and each event's
 * {@code remoteRes}.
 * The owner is the creating thread until a {@code loop} is entered, which makes the entering
 * thread the owner (so a base may be built on one thread and run on another); once an owner
 * thread has terminated, the next thread to touch the base adopts it (to inspect or free it). {@code ioEvents}
 * counts the events inserted into channel registrations, {@code signalEvents} those added for
 * signals; the timer heap holds every heap-timed event and one proxy per non-empty
 * {@link CommonTimeout}.
 *
 * <p>Threading: {@link #execute(Runnable)}, {@link Event#activate(int)}, {@link #loopExit},
 * {@link #loopBreak()}, {@link #isInLoopThread()} and {@link #checkInLoopThread()} may be called
 * from any thread; every other method that reads or changes events or loop state throws
 * {@link IllegalStateException} naming the owner. Getters of fixed properties
 * ({@code getNpriorities}, {@code getMethod}, {@code getClock}, {@code getOwnerThread},
 * {@code isFreed}, {@code deferredExecutor}) answer anywhere.
 */
public final class EventBase implements AutoCloseable {
    /** Block until some events are active, run them, return. */
    public static final int EVLOOP_ONCE = 0x01;
    /** Do not block: run what is active now (and what a non-blocking poll finds), return. */
    public static final int EVLOOP_NONBLOCK = 0x02;
    /** Keep looping when no events are pending, until loopExit/loopBreak. */
    public static final int EVLOOP_NO_EXIT_ON_EMPTY = 0x04;

    /** Flags of {@link #getNumEvents(int)}. */
    public static final int EVENT_BASE_COUNT_ACTIVE = 1;
    public static final int EVENT_BASE_COUNT_VIRTUAL = 2;
    public static final int EVENT_BASE_COUNT_ADDED = 4;

    private static final Logger LOG = LoggerFactory.getLogger(EventBase.class);
    /** Durations are capped so that deadline arithmetic on nanoTime can never overflow. */
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE >>> 2;
    private static final Duration MAX_TIMEOUT = Duration.ofNanos(MAX_TIMEOUT_NANOS);

    private final Selector selector;
    private final EventClock clock;
    private final TaskInbox inbox;
    private final TimerHeap timers = new TimerHeap();
    private final ActiveQueues activeQueues;
    private final ArrayDeque<Object> deferred = new ArrayDeque<>();
    private final List<CommonTimeout> commonTimeouts = new ArrayList<>(4);
    private final List<Event> signalEvents = new ArrayList<>(2);
    private final List<ChannelRegistration> connectWatch = new ArrayList<>(2);
    private final EventWalk walk;
    private final long maxDispatchIntervalNanos;
    private final int maxCallbacks;
    private final int limitCallbacksAfterPriority;
    private final int maxDeferredPerTurn;
    private final int maxTasksPerTurn;
    private final boolean noCacheTime;

    /** Pre-built so that neither select nor drain allocates a lambda per turn. */
    private final Consumer<SelectionKey> keyHandler = this::onSelected;
    private final MessagePassingQueue.Consumer<Object> inboxHandler = this::onInboxItem;
    private final Executor deferredExecutor = this::executeDeferred;

    private volatile Thread owner;
    private volatile boolean gotBreak;
    private boolean gotTerm;
    private boolean continueFlag;
    private boolean running;
    /** Volatile: execute() and activate() read it from other threads. */
    private volatile boolean closed;
    private int visiting;
    private int runningPriority = -1;
    private Event runningEvent;
    private int ioEvents;
    private long timerSeq;

    private long cachedNanos;
    private boolean cacheValid;
    private long cachedWallMillis;
    private boolean wallValid;

    /** {@code event_base_new()}: one priority, system clock. */
    public EventBase() {
        this(new EventConfig());
    }

    /** {@code event_base_new_with_config(cfg)}. */
    public EventBase(EventConfig config) {
        Objects.requireNonNull(config, "config");
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a Selector", e);
        }
        this.clock = config.clock;
        this.inbox = new TaskInbox(selector);
        this.activeQueues = new ActiveQueues(config.priorities);
        this.maxDispatchIntervalNanos = config.maxDispatchIntervalNanos;
        this.maxCallbacks = config.maxCallbacks;
        this.limitCallbacksAfterPriority = config.limitCallbacksAfterPriority;
        this.maxDeferredPerTurn = config.maxDeferredPerTurn;
        this.maxTasksPerTurn = config.maxTasksPerTurn;
        this.noCacheTime = config.noCacheTime;
        this.walk = new EventWalk(this, selector, signalEvents, timers, commonTimeouts, activeQueues);
        this.owner = Thread.currentThread();
    }

    // ------------------------------------------------------------------ threads

    /** True when called on the thread that owns this base (the one running or about to run its loop). */
    public boolean isInLoopThread() {
        return Thread.currentThread() == owner;
    }

    /** Throws {@link IllegalStateException} naming the owner unless called on it. */
    public void checkInLoopThread() {
        Thread o = owner;
        Thread me = Thread.currentThread();
        if (me != o && !adoptFromDeadOwner(o, me)) {
            throw new IllegalStateException("EventBase is owned by thread \"" + o.getName()
                    + "\"; called from thread \"" + me.getName()
                    + "\" (use execute(Runnable) to hop onto the loop thread)");
        }
    }

    /**
     * A base whose owner thread has terminated (a loop thread that ran its loop and ended) passes
     * to the first thread that touches it, so that it can still be inspected and freed. A live
     * owner is never displaced this way.
     */
    private synchronized boolean adoptFromDeadOwner(Thread o, Thread me) {
        if (owner == o && !o.isAlive() && !running) {
            owner = me;
            return true;
        }
        return owner == me;
    }

    /** The thread that owns this base. */
    public Thread getOwnerThread() {
        return owner;
    }

    /**
     * Runs {@code task} on the loop thread at the start of a coming turn, in submission order.
     * Any thread; a sleeping loop is woken once per sleep, not once per task. Tasks submitted
     * before a {@link #free()} that have not run are dropped.
     */
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (closed) {
            throw new IllegalStateException("EventBase is freed");
        }
        inbox.offer(task);
    }

    /**
     * An {@link Executor} over the deferred queue: on the loop thread a task runs in this
     * turn's deferred phase (after the active events; at most 32 per turn in total with the
     * {@link DeferredCallback}s); from another thread it goes through {@link #execute}.
     * For evbuffer callbacks and other deferred work handed in as a plain Executor.
     */
    public Executor deferredExecutor() {
        return deferredExecutor;
    }

    private void executeDeferred(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (isInLoopThread()) {
            checkOpen();
            deferred.add(task);
        } else {
            execute(task);
        }
    }

    void enqueueDeferred(DeferredCallback cb) {
        checkOpen();
        deferred.add(cb);
    }

    // ------------------------------------------------------------------ loop

    /** {@code event_base_dispatch}: {@code loop(0)}. */
    public int dispatch() {
        return loop(0);
    }

    /**
     * {@code event_base_loop(base, flags)}. Returns 0 when it exited normally (exit, break,
     * ONCE/NONBLOCK done), 1 when it stopped because no events were pending, -1 on error, when
     * the loop thread was interrupted (the interrupt status stays set), or when called
     * re-entrantly from one of this base's callbacks.
     */
    public int loop(int flags) {
        if (running) {
            if (isInLoopThread()) {
                LOG.warn("event_base_loop: reentrant invocation; only one loop may run on a base at once");
                return -1;
            }
            checkInLoopThread();
        }
        checkOpen();
        // Entering the loop makes this thread the owner: a base may be set up on one thread and run on another.
        owner = Thread.currentThread();
        running = true;
        gotTerm = false;
        gotBreak = false;
        cacheValid = false;
        int ret = 0;
        try {
            while (true) {
                continueFlag = false;
                if (gotTerm || gotBreak) {
                    break;
                }
                if ((flags & EVLOOP_NO_EXIT_ON_EMPTY) == 0 && !haveEvents()) {
                    ret = 1;
                    break;
                }
                long timeout = (flags & EVLOOP_NONBLOCK) != 0 || hasImmediateWork() ? 0 : nextTimeoutNanos();
                cacheValid = false;
                try {
                    select(timeout);
                } catch (IOException e) {
                    LOG.error("select failed on {}", this, e);
                    ret = -1;
                    break;
                }
                if (closed) {
                    break;
                }
                if (Thread.currentThread().isInterrupted()) {
                    // An interrupted thread's select returns at once, forever: stop instead of spinning.
                    // The interrupt status is left set for the caller.
                    LOG.debug("loop thread of {} interrupted; leaving the loop", this);
                    ret = -1;
                    break;
                }
                updateTimeCache();
                int tasks = inbox.isEmpty() ? 0 : inbox.drain(inboxHandler, maxTasksPerTurn);
                processTimeouts();
                boolean hadActive = activeQueues.count() > 0 || !deferred.isEmpty();
                int n = 0;
                if (hadActive) {
                    n = processActive();
                    if (n >= 0 && !gotBreak) {
                        n += runDeferred();
                    }
                }
                if (!connectWatch.isEmpty()) {
                    // A callback may have completed a connect: EV_WRITE must mean OP_WRITE from now on.
                    recheckConnects();
                }
                if (hadActive) {
                    if ((flags & EVLOOP_ONCE) != 0 && activeQueues.count() == 0 && n + tasks != 0) {
                        break;
                    }
                } else if ((flags & EVLOOP_NONBLOCK) != 0) {
                    break;
                } else if ((flags & EVLOOP_ONCE) != 0 && tasks != 0) {
                    break;
                }
            }
        } finally {
            cacheValid = false;
            running = false;
            runningPriority = -1;
            runningEvent = null;
        }
        return ret;
    }

    private boolean haveEvents() {
        return ioEvents > 0 || !signalEvents.isEmpty() || !timers.isEmpty() || activeQueues.count() > 0
                || !deferred.isEmpty() || !inbox.isEmpty();
    }

    private boolean hasImmediateWork() {
        return activeQueues.count() > 0 || !deferred.isEmpty() || !inbox.isEmpty();
    }

    /** Nanoseconds to the nearest timer (0 if due), or -1 for none. */
    private long nextTimeoutNanos() {
        TimerNode min = timers.peek();
        if (min == null) {
            return -1;
        }
        long d = min.deadline - clock.monotonicNanos();
        return d <= 0 ? 0 : d;
    }

    private void select(long timeoutNanos) throws IOException {
        if (timeoutNanos == 0) {
            selector.selectNow(keyHandler);
            return;
        }
        inbox.prepareToSleep();
        try {
            if (!inbox.isEmpty() || gotBreak) {
                selector.selectNow(keyHandler);
            } else if (timeoutNanos < 0) {
                selector.select(keyHandler);
            } else {
                // Round up: waking a little early would only spin one empty turn before the timer.
                long millis = (timeoutNanos + 999_999L) / 1_000_000L;
                selector.select(keyHandler, millis);
            }
        } finally {
            inbox.awake();
        }
    }

    /** Select consumer: one key ready; activate each of its events that wants what is ready. */
    private void onSelected(SelectionKey key) {
        ChannelRegistration reg = (ChannelRegistration) key.attachment();
        int ready;
        try {
            ready = key.readyOps();
        } catch (CancelledKeyException e) {
            return;
        }
        int what = ChannelRegistration.toWhat(ready);
        if (reg.watchingConnect && !connectWatch.contains(reg)) {
            connectWatch.add(reg);
        }
        Event[] evs = reg.events;
        for (int i = 0, n = reg.count; i < n; i++) {
            Event ev = evs[i];
            int res = ev.events & what;
            if (res != 0) {
                activateLocal(ev, res);
            }
        }
    }

    /** After a connect completed (finishConnect in a callback), EV_WRITE must mean OP_WRITE again. */
    private void recheckConnects() {
        for (int i = connectWatch.size() - 1; i >= 0; i--) {
            ChannelRegistration reg = connectWatch.get(i);
            if (!reg.key.isValid() || !reg.updateInterest()) {
                connectWatch.remove(i);
            }
        }
    }

    private void onInboxItem(Object item) {
        if (item instanceof Event) {
            Event ev = (Event) item;
            int res = ev.takeRemote();
            if (res != 0 && ev.base == this) {
                activateLocal(ev, res);
            }
        } else {
            Runnable r = (Runnable) item;
            try {
                r.run();
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                LOG.error("task {} submitted to {} threw; the loop goes on", r, this, t);
            }
        }
    }

    private void processTimeouts() {
        if (timers.isEmpty()) {
            return;
        }
        long now = now();
        TimerNode n;
        while ((n = timers.peek()) != null && n.deadline - now <= 0) {
            Event ev;
            if (n instanceof CommonTimeout.Proxy) {
                CommonTimeout q = ((CommonTimeout.Proxy) n).queue();
                ev = q.head;
                q.remove(ev, timers);
                ev.timerQueue = null;
            } else {
                ev = (Event) n;
                timers.remove(ev);
            }
            // A non-persistent event stops being pending when it fires (timeout_process → event_del).
            if ((ev.events & Event.EV_PERSIST) == 0) {
                removeInterest(ev);
            }
            activateLocal(ev, Event.EV_TIMEOUT);
        }
    }

    /** Runs the most urgent non-empty queue; returns callbacks run, or -1 on loopBreak. */
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
            if (gotBreak) {
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

    private void runOne(Event ev) {
        int res = ev.activeRes;
        activeQueues.remove(ev);
        ev.activeRes = 0;
        if ((ev.events & Event.EV_PERSIST) != 0) {
            if (ev.ioTimeoutNanos >= 0) {
                rearmPersistent(ev, res);
            }
        } else {
            removeInterest(ev);
            removeTimer(ev);
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

    /** libevent's event_persist_closure. */
    private void rearmPersistent(Event ev, int res) {
        long now = now();
        long delay = ev.ioTimeoutNanos;
        long runAt = ((res & Event.EV_TIMEOUT) != 0 ? ev.deadline : now) + delay;
        if (runAt - now < 0) {
            runAt = now + delay;
        }
        removeTimer(ev);
        armTimer(ev, runAt, ev.persistQueue);
    }

    private int runDeferred() {
        int ran = 0;
        Object item;
        while (ran < maxDeferredPerTurn && (item = deferred.poll()) != null) {
            Runnable action;
            if (item instanceof DeferredCallback) {
                DeferredCallback d = (DeferredCallback) item;
                d.queued = false;
                if (!d.scheduled) {
                    continue;
                }
                d.scheduled = false;
                action = d.action();
            } else {
                action = (Runnable) item;
            }
            ran++;
            try {
                action.run();
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                LOG.error("deferred callback {} on {} threw; the loop goes on", item, this, t);
            }
            if (gotBreak) {
                break;
            }
        }
        return ran;
    }

    // ------------------------------------------------------------------ exit / break

    /**
     * {@code event_base_loopexit(base, tv)}: make the loop exit once {@code delay} has passed,
     * after the callbacks active in that turn have run; null or zero: after the current turn.
     * Any thread. Works like libevent, with a one-shot timer, so it keeps the loop alive until it fires.
     */
    public void loopExit(Duration delay) {
        if (!isInLoopThread()) {
            execute(() -> loopExit(delay));
            return;
        }
        checkOpen();
        once(null, Event.EV_TIMEOUT, (ev, what) -> gotTerm = true, delay);
    }

    /** {@code event_base_loopexit(base, NULL)}. */
    public void loopExit() {
        loopExit(null);
    }

    /**
     * {@code event_base_loopbreak}: exit right after the callback now running returns (or at
     * once if none runs). Any thread. As in libevent, it has no effect on a loop started after it.
     */
    public void loopBreak() {
        gotBreak = true;
        if (!isInLoopThread()) {
            inbox.wakeIfSleeping();
        }
    }

    /** {@code event_base_loopcontinue}: stop running the current queue and rescan from the top. */
    public void loopContinue() {
        checkInLoopThread();
        if (running) {
            continueFlag = true;
        }
    }

    /** {@code event_base_got_exit}: the last loop ended because of loopExit; reset on loop entry. */
    public boolean gotExit() {
        checkInLoopThread();
        return gotTerm;
    }

    /** {@code event_base_got_break}. */
    public boolean gotBreak() {
        checkInLoopThread();
        return gotBreak;
    }

    // ------------------------------------------------------------------ time

    /**
     * {@code event_gettime_monotonic}: the base's monotonic clock in nanoseconds (the clock every
     * timer uses); the cached value during a loop turn.
     */
    public long gettimeMonotonic() {
        checkInLoopThread();
        return now();
    }

    /**
     * {@code event_base_gettimeofday_cached}: wall-clock time, read at most once per loop turn
     * while callbacks run; read fresh outside the loop or with {@link EventConfig#noCacheTime}.
     */
    public Instant gettimeofdayCached() {
        checkInLoopThread();
        if (!cacheValid) {
            return Instant.ofEpochMilli(clock.wallMillis());
        }
        if (!wallValid) {
            cachedWallMillis = clock.wallMillis();
            wallValid = true;
        }
        return Instant.ofEpochMilli(cachedWallMillis);
    }

    /** {@code event_base_update_cache_time}: refresh the cached time now (only inside a loop). */
    public void updateCacheTime() {
        checkInLoopThread();
        if (running) {
            updateTimeCache();
        }
    }

    private void updateTimeCache() {
        if (noCacheTime) {
            cacheValid = false;
            return;
        }
        cachedNanos = clock.monotonicNanos();
        cacheValid = true;
        wallValid = false;
    }

    long now() {
        return cacheValid ? cachedNanos : clock.monotonicNanos();
    }

    /** The clock this base reads. */
    public EventClock getClock() {
        return clock;
    }

    // ------------------------------------------------------------------ priorities and common timeouts

    /** {@code event_base_priority_init}: only while no event is active. */
    public void priorityInit(int npriorities) {
        checkInLoopThread();
        if (npriorities < 1 || npriorities > EventConfig.MAX_PRIORITIES) {
            throw new IllegalArgumentException("priorities must be in 1.." + EventConfig.MAX_PRIORITIES);
        }
        if (running && runningPriority >= 0) {
            throw new IllegalStateException("cannot change priorities while callbacks run");
        }
        activeQueues.resize(npriorities);
    }

    /** {@code event_base_get_npriorities}. */
    public int getNpriorities() {
        return activeQueues.priorities();
    }

    int defaultPriority() {
        return activeQueues.priorities() / 2;
    }

    /**
     * {@code event_base_init_common_timeout}: the queue for events that all wait {@code d}; the
     * same object for the same duration.
     */
    public CommonTimeout initCommonTimeout(Duration d) {
        checkInLoopThread();
        checkOpen();
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration " + d);
        }
        long nanos = toNanos(d);
        for (int i = 0; i < commonTimeouts.size(); i++) {
            CommonTimeout ct = commonTimeouts.get(i);
            if (ct.durationNanos == nanos) {
                return ct;
            }
        }
        CommonTimeout ct = new CommonTimeout(this, d, nanos);
        commonTimeouts.add(ct);
        return ct;
    }

    // ------------------------------------------------------------------ event operations (package)

    /** @param timeoutNanos -2: leave the timer alone (event_add(ev, NULL)); else the new timeout. */
    void addEvent(Event ev, long timeoutNanos, CommonTimeout queue) {
        checkInLoopThread();
        checkOpen();
        checkNotVisiting();
        if ((ev.events & (Event.EV_READ | Event.EV_WRITE)) != 0 && ev.registration == null) {
            if (ev.channel == null) {
                throw new IllegalStateException("EV_READ/EV_WRITE event without a channel cannot be added: " + ev);
            }
            registerIo(ev);
        } else if ((ev.events & Event.EV_SIGNAL) != 0 && !ev.signalAdded) {
            SignalDispatcher.add(ev);
            ev.signalAdded = true;
            signalEvents.add(ev);
        }
        if (timeoutNanos == -2) {
            return;
        }
        if ((ev.events & Event.EV_PERSIST) != 0) {
            ev.ioTimeoutNanos = timeoutNanos;
            ev.persistQueue = queue;
        }
        removeTimer(ev);
        // Re-adding an event whose timeout already fired cancels that pending run (event.c 2790-2812).
        if (ev.active && (ev.activeRes & Event.EV_TIMEOUT) != 0) {
            activeQueues.remove(ev);
            ev.activeRes = 0;
        }
        armTimer(ev, now() + timeoutNanos, queue);
    }

    private void armTimer(Event ev, long deadline, CommonTimeout queue) {
        ev.deadline = deadline;
        ev.seq = timerSeq++;
        if (queue != null) {
            ev.timerQueue = queue;
            queue.insert(ev, timers);
        } else {
            timers.insert(ev);
        }
    }

    private void removeTimer(Event ev) {
        if (ev.heapIndex >= 0) {
            timers.remove(ev);
        } else if (ev.timerQueue != null) {
            ev.timerQueue.remove(ev, timers);
            ev.timerQueue = null;
        }
    }

    void removeTimerOf(Event ev) {
        checkInLoopThread();
        checkNotVisiting();
        removeTimer(ev);
        ev.ioTimeoutNanos = -1;
        ev.persistQueue = null;
    }

    void delEvent(Event ev) {
        checkInLoopThread();
        checkNotVisiting();
        removeTimer(ev);
        if (ev.active) {
            activeQueues.remove(ev);
            ev.activeRes = 0;
        }
        removeInterest(ev);
    }

    /** Drops the I/O or signal interest, keeps timer and activation. */
    private void removeInterest(Event ev) {
        ChannelRegistration reg = ev.registration;
        if (reg != null) {
            reg.remove(ev);
            ioEvents--;
            reg.updateInterest();
        } else if (ev.signalAdded) {
            ev.signalAdded = false;
            signalEvents.remove(ev);
            SignalDispatcher.remove(ev);
        }
    }

    private void registerIo(Event ev) {
        SelectableChannel ch = ev.channel;
        int wanted = 0;
        if ((ev.events & Event.EV_READ) != 0) {
            wanted |= SelectionKey.OP_READ | SelectionKey.OP_ACCEPT;
        }
        if ((ev.events & Event.EV_WRITE) != 0) {
            wanted |= SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT;
        }
        int valid = ch.validOps();
        if (((ev.events & Event.EV_READ) != 0 && (valid & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) == 0)
                || ((ev.events & Event.EV_WRITE) != 0 && (valid & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) == 0)) {
            throw new IllegalArgumentException(ch + " does not support " + Event.flagsToString(ev.events));
        }
        try {
            SelectionKey key = ch.keyFor(selector);
            ChannelRegistration reg;
            if (key != null && key.isValid()) {
                reg = (ChannelRegistration) key.attachment();
            } else {
                if (key != null) {
                    // A cancelled key stays in the selector until the next select: flush it, or register fails.
                    selector.selectNow(k -> { });
                }
                if (ch.isBlocking()) {
                    ch.configureBlocking(false);
                }
                reg = new ChannelRegistration(ch);
                reg.key = ch.register(selector, 0, reg);
            }
            reg.add(ev);
            ioEvents++;
            if (reg.updateInterest() && !connectWatch.contains(reg)) {
                connectWatch.add(reg);
            }
        } catch (ClosedChannelException e) {
            throw new IllegalStateException("cannot add an event on a closed channel: " + ev, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot register " + ev, e);
        }
    }

    void activateLocal(Event ev, int res) {
        if (closed) {
            return;
        }
        if (ev.active) {
            ev.activeRes |= res;
            return;
        }
        int p = Math.min(ev.priority, activeQueues.priorities() - 1);
        ev.activeRes = res;
        activeQueues.append(ev, p);
        // A more urgent event than the running one: finish this callback, then rescan (event.c 3042-3055).
        if (p < runningPriority) {
            continueFlag = true;
        }
    }

    void activateRemote(Event ev, int res) {
        if (closed) {
            return;
        }
        if (ev.orRemote(res)) {
            inbox.offer(ev);
        }
    }

    // ------------------------------------------------------------------ once, foreach, dump, counts

    /**
     * {@code event_base_once(base, fd, events, cb, arg, tv)}: a one-shot event that frees itself.
     * {@code events} is EV_TIMEOUT (channel null), or EV_READ and/or EV_WRITE on {@code channel};
     * EV_SIGNAL and EV_PERSIST are refused. A timeout-only once with a null or zero delay is
     * activated at once, keeping call order, without touching the timer heap.
     */
    public void once(SelectableChannel channel, int events, EventCallback cb, Duration timeout) {
        checkInLoopThread();
        checkOpen();
        Objects.requireNonNull(cb, "cb");
        if ((events & (Event.EV_SIGNAL | Event.EV_PERSIST)) != 0) {
            throw new IllegalArgumentException("once does not take EV_SIGNAL or EV_PERSIST");
        }
        if (events == Event.EV_TIMEOUT) {
            Event ev = new Event(this, null, 0, cb);
            if (timeout == null || timeout.isZero()) {
                activateLocal(ev, Event.EV_TIMEOUT);
            } else {
                ev.add(timeout);
            }
        } else if ((events & (Event.EV_READ | Event.EV_WRITE)) != 0) {
            Event ev = new Event(this, channel, events & (Event.EV_READ | Event.EV_WRITE), cb);
            ev.add(timeout);
        } else {
            throw new IllegalArgumentException("once needs EV_TIMEOUT, EV_READ or EV_WRITE: 0x" + Integer.toHexString(events));
        }
    }

    /** Visitor of {@link #foreachEvent}: return non-zero to stop. */
    @FunctionalInterface
    public interface EventVisitor {
        int visit(EventBase base, Event ev);
    }

    /**
     * {@code event_base_foreach_event}: visits every added event (I/O, signal, heap timers,
     * common-timeout timers), then the events that are only active; each once. The visitor must
     * not add, delete or activate events (that throws). Returns the first non-zero visit result.
     */
    public int foreachEvent(EventVisitor visitor) {
        checkInLoopThread();
        checkOpen();
        visiting++;
        try {
            return walk.walk(visitor, false);
        } finally {
            visiting--;
        }
    }

    /** {@code event_base_dump_events}: the added events, then the active ones, one per line. */
    public void dumpEvents(Appendable out) throws IOException {
        checkInLoopThread();
        checkOpen();
        String text;
        visiting++;
        try {
            text = walk.dump(now());
        } finally {
            visiting--;
        }
        out.append(text);
    }

    /**
     * {@code event_base_get_num_events(base, flags)}: ADDED counts added events (I/O, signal,
     * timers), ACTIVE the active ones, VIRTUAL the queued deferred callbacks and cross-thread tasks.
     */
    public int getNumEvents(int flags) {
        checkInLoopThread();
        int n = 0;
        if ((flags & EVENT_BASE_COUNT_ADDED) != 0 && !closed) {
            n += walk.countAdded();
        }
        if ((flags & EVENT_BASE_COUNT_ACTIVE) != 0) {
            n += activeQueues.count();
        }
        if ((flags & EVENT_BASE_COUNT_VIRTUAL) != 0) {
            n += deferred.size() + inbox.size();
        }
        return n;
    }

    /** {@code event_base_get_running_event}: the event whose callback runs now, or null. */
    public Event getRunningEvent() {
        checkInLoopThread();
        return runningEvent;
    }

    /** {@code event_base_active_by_fd}: activate every event on {@code channel} that wants {@code events}. */
    public void activeByChannel(SelectableChannel channel, int events) {
        checkInLoopThread();
        checkOpen();
        SelectionKey key = channel.keyFor(selector);
        if (key == null || !key.isValid()) {
            return;
        }
        ChannelRegistration reg = (ChannelRegistration) key.attachment();
        for (int i = 0; i < reg.count; i++) {
            Event ev = reg.events[i];
            int res = ev.events & events & (Event.EV_READ | Event.EV_WRITE | Event.EV_TIMEOUT);
            if (res != 0) {
                activateLocal(ev, res);
            }
        }
    }

    /** {@code event_base_active_by_signal}. */
    public void activeBySignal(String signal) {
        checkInLoopThread();
        for (int i = 0; i < signalEvents.size(); i++) {
            Event ev = signalEvents.get(i);
            if (ev.signal.equals(signal)) {
                activateLocal(ev, Event.EV_SIGNAL);
            }
        }
    }

    /** {@code event_base_get_method}: the name of the Selector provider in use. */
    public String getMethod() {
        return selector.provider().getClass().getName();
    }

    // ------------------------------------------------------------------ free

    /**
     * {@code event_base_free}: removes every event (they become non-pending and may be assigned
     * to another base), restores signal handlers, drops queued tasks and deferred callbacks,
     * closes the selector (which deregisters every channel; channels themselves stay open).
     * Loop thread only, not from inside a callback of this base. Idempotent.
     */
    public void free() {
        checkInLoopThread();
        if (closed) {
            return;
        }
        if (running) {
            throw new IllegalStateException("cannot free an EventBase from inside its own loop");
        }
        for (SelectionKey key : selector.keys()) {
            ChannelRegistration reg = (ChannelRegistration) key.attachment();
            for (int i = 0; i < reg.count; i++) {
                reg.events[i].registration = null;
                reg.events[i].regIndex = -1;
                reg.events[i] = null;
            }
            reg.count = 0;
        }
        ioEvents = 0;
        for (int i = 0; i < signalEvents.size(); i++) {
            Event ev = signalEvents.get(i);
            ev.signalAdded = false;
            SignalDispatcher.remove(ev);
        }
        signalEvents.clear();
        for (int c = 0; c < commonTimeouts.size(); c++) {
            commonTimeouts.get(c).clear();
        }
        timers.clear();
        activeQueues.clear();
        for (Object o : deferred) {
            if (o instanceof DeferredCallback) {
                ((DeferredCallback) o).queued = false;
                ((DeferredCallback) o).scheduled = false;
            }
        }
        deferred.clear();
        connectWatch.clear();
        closed = true;
        int dropped = inbox.clear();
        if (dropped > 0) {
            LOG.debug("{} dropped {} queued cross-thread items on free", this, dropped);
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.warn("closing the selector of {} failed", this, e);
        }
    }

    /** {@link #free()}. */
    @Override
    public void close() {
        free();
    }

    /** True once {@link #free()} ran. */
    public boolean isFreed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("EventBase is freed");
        }
    }

    private void checkNotVisiting() {
        if (visiting != 0) {
            throw new IllegalStateException("events cannot be changed from inside foreachEvent");
        }
    }

    /** For tests: the timer structures are consistent. */
    void checkInvariants() {
        checkInLoopThread();
        timers.checkInvariants();
        for (int c = 0; c < commonTimeouts.size(); c++) {
            commonTimeouts.get(c).checkInvariants();
        }
    }

    static long toNanos(Duration d) {
        if (d.compareTo(MAX_TIMEOUT) > 0) {
            return MAX_TIMEOUT_NANOS;
        }
        return d.toNanos();
    }

    @Override
    public String toString() {
        return "EventBase[owner=" + owner.getName() + (closed ? ", freed]" : "]");
    }
}
