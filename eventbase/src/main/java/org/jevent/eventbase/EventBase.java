package org.jevent.eventbase;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libevent's {@code struct event_base}: a single-threaded reactor over a
 * {@link java.nio.channels.Selector}.
 *
 * <p>One turn of {@link #loop(int)} is: (1) leave if an exit or break was requested, or if
 * nothing is pending (unless {@link #EVLOOP_NO_EXIT_ON_EMPTY}); (2) select, blocking until the
 * nearest timer unless work is already waiting; (3) refresh the cached time; (4) drain the
 * cross-thread inbox; (5) move expired timers to the active queues; (6) run the callbacks of the
 * most urgent non-empty priority queue (libevent runs one priority per turn and then rescans, so
 * a busy high priority starves lower ones, as in C); (7) run up to 32 deferred callbacks.
 * {@link LoopTurn} holds these steps, {@link Dispatcher} steps (6) and (7).
 *
 * <p>Invariant: every field is read and written by the owner thread only, except the
 * {@link TaskInbox}, {@link LoopOwner}, {@code gotBreak}/{@code closed} (volatile) and each event's
 * {@code remoteRes}. The owner is the creating thread until a {@code loop} is entered, which
 * makes the entering thread the owner (so a base may be built on one thread and run on another);
 * once an owner thread has terminated, the next thread to touch the base adopts it (to inspect or
 * free it). An added event is in exactly the structures its state names: its I/O interest in
 * {@link ChannelRegistry}, its signal in {@link SignalEvents}, its timer in {@link EventTimers},
 * its activation in {@link ActiveQueues}; this class owns the transitions between them.
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

    /** Flag of {@link #getNumEvents(int)}: count the events that are active (queued to run). */
    public static final int EVENT_BASE_COUNT_ACTIVE = 1;
    /**
     * Flag of {@link #getNumEvents(int)}: count the queued deferred callbacks and cross-thread
     * tasks, which keep the loop busy without being events.
     */
    public static final int EVENT_BASE_COUNT_VIRTUAL = 2;
    /** Flag of {@link #getNumEvents(int)}: count the added (pending) events: I/O, signal, timers. */
    public static final int EVENT_BASE_COUNT_ADDED = 4;

    private static final Logger LOG = LoggerFactory.getLogger(EventBase.class);

    private final ChannelRegistry channels;
    private final EventClock clock;
    private final TimeCache timeCache;
    private final TaskInbox inbox;
    private final EventTimers timers = new EventTimers();
    private final ActiveQueues activeQueues;
    private final DeferredQueue deferred = new DeferredQueue(this);
    private final SignalEvents signals = new SignalEvents();
    private final EventWalk walk;
    private final Dispatcher dispatcher;
    private final LoopTurn turn;
    private final StallWatch stallWatch;

    private final LoopOwner owner = new LoopOwner();
    private volatile boolean gotBreak;
    private boolean gotTerm;
    /** Volatile: execute() and activate() read it from other threads. */
    private volatile boolean closed;
    private int visiting;

    /** {@code event_base_new()}: one priority, system clock. */
    public EventBase() {
        this(new EventConfig());
    }

    /**
     * {@code event_base_new_with_config(cfg)}. The creating thread owns the base until a thread
     * enters {@link #loop}.
     *
     * @param config priorities, clock, time caching, exception hook and stall threshold; read
     *     once here, so later changes to it do not reach this base
     * @throws java.io.UncheckedIOException if the selector cannot be opened
     */
    public EventBase(EventConfig config) {
        Objects.requireNonNull(config, "config");
        this.channels = new ChannelRegistry(this);
        this.clock = config.clock;
        this.timeCache = new TimeCache(config.clock, config.noCacheTime);
        this.inbox = new TaskInbox(channels.selector());
        this.activeQueues = new ActiveQueues(config.priorities);
        this.stallWatch = new StallWatch(this, owner, config.stallThresholdNanos);
        this.dispatcher = new Dispatcher(this, config, activeQueues, deferred, timers, stallWatch);
        this.turn = new LoopTurn(this, config, channels, signals, timers, activeQueues, deferred, inbox, timeCache,
                dispatcher, stallWatch.stats);
        this.walk = new EventWalk(this, channels, signals, timers, activeQueues);
        stallWatch.open();
    }

    // ------------------------------------------------------------------ threads

    /**
     * {@return true when called on the thread that owns this base} That is the one running or
     * about to run its loop. Any thread.
     */
    public boolean isInLoopThread() {
        return owner.isCurrent();
    }

    /** Throws {@link IllegalStateException} naming the owner unless called on it. */
    public void checkInLoopThread() {
        owner.check();
    }

    /**
     * {@return the thread that owns this base} The creating thread until a loop is entered, then
     * the thread that entered it. Any thread.
     */
    public Thread getOwnerThread() {
        return owner.thread();
    }

    /**
     * Runs {@code task} on the loop thread at the start of a coming turn, in submission order.
     * Any thread; a sleeping loop is woken once per sleep, not once per task. Tasks submitted
     * before a {@link #free()} that have not run are dropped.
     *
     * @param task run once on the loop thread; a throwable it raises goes to the
     *     {@link ExceptionHook}
     * @throws IllegalStateException if the base was freed
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
     *
     * @return the executor; the same object on every call, usable from any thread
     */
    public Executor deferredExecutor() {
        return deferred;
    }

    void enqueueDeferred(DeferredCallback cb) {
        checkOpen();
        deferred.add(cb);
    }

    /**
     * Replaces what this base does with a throwable escaping a callback (see {@link ExceptionHook});
     * any thread, effective from the next failure.
     *
     * @param hook the new hook, not null ({@link ExceptionHook#logging()} restores the default)
     */
    public void setExceptionHook(ExceptionHook hook) {
        dispatcher.setHook(hook);
    }

    /** {@return the current exception hook} {@link ExceptionHook#logging()} unless replaced. */
    public ExceptionHook getExceptionHook() {
        return dispatcher.hook();
    }

    /**
     * Hands {@code error} to the exception hook exactly as the loop does for a throwable escaping
     * one of its callbacks (a hook that throws is reported through the default hook). For code
     * that runs a user's callback inline, in the middle of work that must go on whatever the
     * callback does: a layer that shows a user each datagram before it is sent, say, reports
     * what the user threw here and still sends the datagram. Java-only; libevent has no hook.
     *
     * @param running what threw (the user's callback object), passed to the hook as is
     * @param error what it threw
     */
    public void reportException(Object running, Throwable error) {
        dispatcher.failed(running, error);
    }

    // ------------------------------------------------------------------ loop

    /**
     * {@code event_base_dispatch}: {@code loop(0)}, running until no events are pending or
     * {@link #loopExit}/{@link #loopBreak} is called. The calling thread becomes the owner.
     *
     * @return 0 after an exit or break, 1 when no events were pending, -1 on error (see
     *     {@link #loop(int)})
     * @throws IllegalStateException if the base was freed, or another thread runs its loop
     */
    public int dispatch() {
        return loop(0);
    }

    /**
     * {@code event_base_loop(base, flags)}. Returns 0 when it exited normally (exit, break,
     * ONCE/NONBLOCK done), 1 when it stopped because no events were pending, -1 on error, when
     * the loop thread was interrupted (the interrupt status stays set), or when called
     * re-entrantly from one of this base's callbacks. The calling thread becomes the owner.
     *
     * @param flags 0, or {@link #EVLOOP_ONCE}, {@link #EVLOOP_NONBLOCK} and
     *     {@link #EVLOOP_NO_EXIT_ON_EMPTY} or-ed
     * @return 0, 1 or -1 as above
     * @throws IllegalStateException if the base was freed, or another thread runs its loop
     */
    public int loop(int flags) {
        if (!enterLoop()) {
            return -1;
        }
        try {
            int result;
            do {
                result = turn.run(flags);
            } while (result == LoopTurn.AGAIN);
            return result;
        } finally {
            timeCache.invalidate();
            owner.leaveLoop();
            dispatcher.loopEnded();
        }
    }

    /** Takes the loop over for this thread; false (after a warning) for a re-entrant call. */
    private boolean enterLoop() {
        if (owner.isRunning()) {
            if (isInLoopThread()) {
                LOG.warn("event_base_loop: reentrant invocation; only one loop may run on a base at once");
                return false;
            }
            checkInLoopThread();
        }
        checkOpen();
        // Entering the loop makes this thread the owner: a base may be set up on one thread and run on another.
        owner.enterLoop();
        gotTerm = false;
        gotBreak = false;
        timeCache.invalidate();
        return true;
    }

    // ------------------------------------------------------------------ exit / break

    /**
     * {@code event_base_loopexit(base, tv)}: make the loop exit once {@code delay} has passed,
     * after the callbacks active in that turn have run; null or zero: after the current turn.
     * Any thread. Works like libevent, with a one-shot timer, so it keeps the loop alive until it fires.
     *
     * @param delay how long from now the loop should run on; null or zero for the end of the
     *     current turn
     * @throws IllegalStateException if the base was freed
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
        if (owner.isRunning()) {
            dispatcher.continueNow();
        }
    }

    /**
     * {@code event_base_got_exit}: whether the last loop ended because of {@link #loopExit};
     * reset on loop entry. Loop thread only.
     *
     * @return true if a loopExit timer fired in the last (or current) loop
     */
    public boolean gotExit() {
        checkInLoopThread();
        return gotTerm;
    }

    /** Any thread's loopBreak, as the loop sees it between callbacks. */
    boolean breakRequested() {
        return gotBreak;
    }

    /** A loopExit timer fired or a loopBreak came: the loop ends before its next turn. */
    boolean exitRequested() {
        return gotTerm || gotBreak;
    }

    /**
     * {@code event_base_got_break}: whether the last loop ended because of {@link #loopBreak};
     * reset on loop entry. Loop thread only.
     *
     * @return true if a loopBreak was seen by the last (or current) loop
     */
    public boolean gotBreak() {
        checkInLoopThread();
        return gotBreak;
    }

    // ------------------------------------------------------------------ time

    /**
     * {@code event_gettime_monotonic}: the base's monotonic clock in nanoseconds (the clock every
     * timer uses); the cached value during a loop turn. Loop thread only.
     *
     * @return nanoseconds on the base's {@link EventClock}; only differences are meaningful
     */
    public long gettimeMonotonic() {
        checkInLoopThread();
        return now();
    }

    /**
     * {@code event_base_gettimeofday_cached}: wall-clock time, read at most once per loop turn
     * while callbacks run; read fresh outside the loop or with {@link EventConfig#noCacheTime}.
     * Loop thread only.
     *
     * @return the wall-clock time, with millisecond precision
     */
    public Instant gettimeofdayCached() {
        checkInLoopThread();
        return Instant.ofEpochMilli(timeCache.wallMillis());
    }

    /** {@code event_base_update_cache_time}: refresh the cached time now (only inside a loop). */
    public void updateCacheTime() {
        checkInLoopThread();
        if (owner.isRunning()) {
            timeCache.refresh();
        }
    }

    long now() {
        return timeCache.nanos();
    }

    /** {@return the clock this base reads, as set by {@link EventConfig#clock}} Any thread. */
    public EventClock getClock() {
        return clock;
    }

    // ------------------------------------------------------------------ priorities and common timeouts

    /**
     * {@code event_base_priority_init}: sets the number of priority levels; only while no
     * callback runs. Events assigned afterwards get the new middle priority. Loop thread only.
     *
     * @param npriorities the number of levels, 1 to {@link EventConfig#MAX_PRIORITIES}; 0 is
     *     the most urgent level
     * @throws IllegalArgumentException if {@code npriorities} is out of range
     * @throws IllegalStateException if called while callbacks run, or off the loop thread
     */
    public void priorityInit(int npriorities) {
        checkInLoopThread();
        if (npriorities < 1 || npriorities > EventConfig.MAX_PRIORITIES) {
            throw new IllegalArgumentException("priorities must be in 1.." + EventConfig.MAX_PRIORITIES);
        }
        if (owner.isRunning() && dispatcher.isRunningQueue()) {
            throw new IllegalStateException("cannot change priorities while callbacks run");
        }
        activeQueues.resize(npriorities);
    }

    /** {@return the number of priority levels} ({@code event_base_get_npriorities}) Any thread. */
    public int getNpriorities() {
        return activeQueues.priorities();
    }

    int defaultPriority() {
        return activeQueues.priorities() / 2;
    }

    /**
     * {@code event_base_init_common_timeout}: the queue for events that all wait {@code d}; the
     * same object for the same duration. Loop thread only.
     *
     * @param d the timeout every event in the queue waits, not negative
     * @return the queue, to pass to {@link Event#add(CommonTimeout)}
     * @throws IllegalArgumentException if {@code d} is negative
     * @throws IllegalStateException if the base was freed, or off the loop thread
     */
    public CommonTimeout initCommonTimeout(Duration d) {
        checkInLoopThread();
        checkOpen();
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration " + d);
        }
        return timers.commonTimeout(this, d, EventTimers.toNanos(d));
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
            channels.insert(ev);
        } else if ((ev.events & Event.EV_SIGNAL) != 0 && !ev.isSignalAdded()) {
            signals.add(ev);
        }
        if (timeoutNanos == -2) {
            return;
        }
        if ((ev.events & Event.EV_PERSIST) != 0) {
            EventExtras x = ev.extras();
            x.ioTimeoutNanos = timeoutNanos;
            x.persistQueue = queue;
        }
        timers.disarm(ev);
        // Re-adding an event whose timeout already fired cancels that pending run (event.c 2790-2812).
        if (ev.active && (ev.activeRes & Event.EV_TIMEOUT) != 0) {
            activeQueues.remove(ev);
            ev.activeRes = 0;
        }
        timers.arm(ev, now() + timeoutNanos, queue);
    }

    void removeTimerOf(Event ev) {
        checkInLoopThread();
        checkNotVisiting();
        timers.disarm(ev);
        EventExtras x = ev.extras;
        if (x != null) {
            x.ioTimeoutNanos = -1;
            x.persistQueue = null;
        }
    }

    void delEvent(Event ev) {
        checkInLoopThread();
        checkNotVisiting();
        timers.disarm(ev);
        if (ev.active) {
            activeQueues.remove(ev);
            ev.activeRes = 0;
        }
        removeInterest(ev);
    }

    /** Drops the I/O or signal interest, keeps timer and activation. */
    void removeInterest(Event ev) {
        if (ev.registration != null) {
            channels.remove(ev);
        } else if (ev.isSignalAdded()) {
            signals.remove(ev);
        }
    }

    /** The deadline of {@code ev}'s armed timer. */
    long timerDeadline(Event ev) {
        return timers.deadlineOf(ev);
    }

    void activateLocal(Event ev, int res) {
        if (closed) {
            return;
        }
        if (ev.active) {
            ev.activeRes |= res;
            return;
        }
        int p = activeQueues.queueOf(ev.priority);
        ev.activeRes = res;
        activeQueues.append(ev, p);
        dispatcher.activated(p);
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
     * activated at once, keeping call order, without touching the timer heap. Loop thread only.
     *
     * @param channel the channel to wait on for EV_READ/EV_WRITE; null for a timeout only
     * @param events {@link Event#EV_TIMEOUT}, or {@link Event#EV_READ} and/or
     *     {@link Event#EV_WRITE}
     * @param cb called once, with the flags that fired (EV_TIMEOUT if the timeout came first)
     * @param timeout how long to wait; null waits for I/O without a limit (for a timeout-only
     *     event, null or zero runs it in the current or next turn)
     * @throws IllegalArgumentException if {@code events} asks for EV_SIGNAL or EV_PERSIST, or
     *     for nothing
     * @throws IllegalStateException if the base was freed, or off the loop thread
     */
    public void once(SelectableChannel channel, int events, EventCallback cb, Duration timeout) {
        checkInLoopThread();
        checkOpen();
        Event.once(this, channel, events, cb, timeout);
    }

    /** Visitor of {@link #foreachEvent}: return non-zero to stop. */
    @FunctionalInterface
    public interface EventVisitor {
        /**
         * Looks at one event ({@code event_base_foreach_event_cb}); it must not add, delete or
         * activate events.
         *
         * @param base the base being walked
         * @param ev the event visited
         * @return 0 to go on, anything else to stop the walk and make {@code foreachEvent}
         *     return it
         */
        int visit(EventBase base, Event ev);
    }

    /**
     * {@code event_base_foreach_event}: visits every added event (I/O, signal, heap timers,
     * common-timeout timers), then the events that are only active; each once. The visitor must
     * not add, delete or activate events (that throws). Loop thread only.
     *
     * @param visitor called once per event
     * @return the first non-zero visit result, or 0 if every visit returned 0
     * @throws IllegalStateException if the base was freed, or off the loop thread
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

    /**
     * {@code event_base_dump_events}: the added events, then the active ones, one per line, for
     * debugging (the format may change). Loop thread only.
     *
     * @param out where the text goes, in one {@code append}
     * @throws IOException if {@code out} throws it
     * @throws IllegalStateException if the base was freed, or off the loop thread
     */
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
     * Loop thread only.
     *
     * @param flags {@link #EVENT_BASE_COUNT_ADDED}, {@link #EVENT_BASE_COUNT_ACTIVE} and
     *     {@link #EVENT_BASE_COUNT_VIRTUAL}, or-ed
     * @return the sum of the counts asked for (an event both added and active counts twice)
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

    /**
     * {@code event_base_get_running_event}. Loop thread only.
     *
     * @return the event whose callback runs now, or null outside a callback (and in a deferred
     *     callback or task)
     */
    public Event getRunningEvent() {
        checkInLoopThread();
        return dispatcher.runningEvent();
    }

    /**
     * {@code event_base_active_by_fd}: activate every event on {@code channel} that wants
     * {@code events}, as if the selector had reported it. Loop thread only.
     *
     * @param channel the channel whose added events to activate
     * @param events {@link Event#EV_READ}, {@link Event#EV_WRITE} and/or
     *     {@link Event#EV_TIMEOUT}; other bits are ignored
     * @throws IllegalStateException if the base was freed, or off the loop thread
     */
    public void activeByChannel(SelectableChannel channel, int events) {
        checkInLoopThread();
        checkOpen();
        channels.activate(channel, events & (Event.EV_READ | Event.EV_WRITE | Event.EV_TIMEOUT));
    }

    /**
     * {@code event_base_active_by_signal}: activate every added event for {@code signal}, as if
     * it had arrived. Loop thread only.
     *
     * @param signal the signal's name without "SIG", e.g. "HUP"
     */
    public void activeBySignal(String signal) {
        checkInLoopThread();
        signals.activate(this, signal);
    }

    /**
     * {@code event_base_get_method}. Any thread.
     *
     * @return the class name of the Selector provider in use, e.g.
     *     {@code sun.nio.ch.EPollSelectorProvider} on Linux
     */
    public String getMethod() {
        return channels.method();
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
        if (owner.isRunning()) {
            throw new IllegalStateException("cannot free an EventBase from inside its own loop");
        }
        channels.detachAll();
        signals.clear();
        timers.clear();
        activeQueues.clear();
        deferred.clear();
        closed = true;
        stallWatch.close();
        int dropped = inbox.clear();
        if (dropped > 0) {
            LOG.debug("{} dropped {} queued cross-thread items on free", this, dropped);
        }
        try {
            channels.close();
        } catch (IOException e) {
            LOG.warn("closing the selector of {} failed", this, e);
        }
    }

    /** {@link #free()}. */
    @Override
    public void close() {
        free();
    }

    /** {@return true once {@link #free()} ran} Any thread. */
    public boolean isFreed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("EventBase is freed");
        }
    }

    private void checkNotVisiting() {
        if (visiting != 0) {
            throw new IllegalStateException("events cannot be changed from inside foreachEvent");
        }
    }

    /** Closes every channel registered on this base (the group's shutdown); loop thread. */
    int closeChannels() {
        checkInLoopThread();
        return closed ? 0 : channels.closeChannels();
    }

    /** For tests: this base's side of the stall detector. */
    StallWatch stallWatch() {
        return stallWatch;
    }

    /** For tests: the timer structures are consistent. */
    void checkInvariants() {
        checkInLoopThread();
        timers.checkInvariants();
    }

    @Override
    public String toString() {
        return "EventBase[owner=" + owner.thread().getName() + (closed ? ", freed]" : "]");
    }
}
