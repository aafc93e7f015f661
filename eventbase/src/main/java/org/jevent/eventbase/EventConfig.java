package org.jevent.eventbase;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings for a new {@link EventBase}: libevent's {@code event_config}, reduced to what a
 * {@code java.nio.Selector} loop can honour. Mutable builder; the base copies what it needs.
 */
public final class EventConfig {
    /** libevent's EVENT_MAX_PRIORITIES. */
    public static final int MAX_PRIORITIES = 256;
    /** The loop-stall detector's default threshold; see {@link #stallThreshold(Duration)}. */
    public static final Duration DEFAULT_STALL_THRESHOLD = Duration.ofSeconds(1);

    int priorities = 1;
    long maxDispatchIntervalNanos = -1;
    int maxCallbacks = Integer.MAX_VALUE;
    int limitCallbacksAfterPriority = 0;
    EventClock clock = EventClock.SYSTEM;
    int maxDeferredPerTurn = 32;
    int maxTasksPerTurn = 1024;
    boolean noCacheTime;
    ExceptionHook exceptionHook = ExceptionHook.logging();
    long stallThresholdNanos = DEFAULT_STALL_THRESHOLD.toNanos();

    /**
     * Number of priority queues, 1..256 ({@code event_base_priority_init}); default 1.
     *
     * @param n the number of priority levels; 0 is the most urgent, {@code n / 2} the default
     *     of new events
     * @return this config, for chaining
     * @throws IllegalArgumentException if {@code n} is outside 1..{@link #MAX_PRIORITIES}
     */
    public EventConfig priorities(int n) {
        if (n < 1 || n > MAX_PRIORITIES) {
            throw new IllegalArgumentException("priorities must be in 1.." + MAX_PRIORITIES + ": " + n);
        }
        this.priorities = n;
        return this;
    }

    /**
     * {@code event_config_set_max_dispatch_interval}: for queues of priority &ge;
     * {@code minPriority}, stop running callbacks of one queue after {@code maxInterval}
     * (null: no time bound) or {@code maxCallbacks} callbacks (-1: no bound), then look at I/O
     * and timers again. Keeps one busy priority from starving the poll.
     *
     * @param maxInterval the longest one queue runs before the loop polls again; null for no
     *     time bound
     * @param maxCallbacks the most callbacks one queue runs before the loop polls again; -1 (any
     *     negative) for no bound, 0 counts as 1
     * @param minPriority the first priority the bounds apply to; more urgent queues run
     *     unbounded (negative counts as 0)
     * @return this config, for chaining
     */
    public EventConfig maxDispatchInterval(Duration maxInterval, int maxCallbacks, int minPriority) {
        this.maxDispatchIntervalNanos = maxInterval == null ? -1 : EventTimers.toNanos(maxInterval);
        this.maxCallbacks = maxCallbacks < 0 ? Integer.MAX_VALUE : Math.max(1, maxCallbacks);
        this.limitCallbacksAfterPriority = Math.max(0, minPriority);
        return this;
    }

    /**
     * The clock every timer and the time cache read; default {@link EventClock#SYSTEM}.
     *
     * @param clock the clock, e.g. a {@link ManualClock} for timer tests
     * @return this config, for chaining
     */
    public EventConfig clock(EventClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * Deferred callbacks run per loop turn before the rest wait for the next turn; libevent
     * hard-codes 32 (MAX_DEFERRED) so that a storm of deferred work cannot starve I/O.
     *
     * @param n the most deferred callbacks one turn runs, at least 1; default 32
     * @return this config, for chaining
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public EventConfig maxDeferredPerTurn(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("maxDeferredPerTurn must be >= 1: " + n);
        }
        this.maxDeferredPerTurn = n;
        return this;
    }

    /**
     * Cross-thread tasks ({@link EventBase#execute}) drained per loop turn; default 1024. The
     * rest wait for the next turn, so a flood of tasks cannot starve I/O.
     *
     * @param n the most tasks one turn runs, at least 1
     * @return this config, for chaining
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public EventConfig maxTasksPerTurn(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("maxTasksPerTurn must be >= 1: " + n);
        }
        this.maxTasksPerTurn = n;
        return this;
    }

    /**
     * {@code EVENT_BASE_FLAG_NO_CACHE_TIME}: read the clock on every query instead of once per
     * turn; default off.
     *
     * @param on true to read the clock every time
     * @return this config, for chaining
     */
    public EventConfig noCacheTime(boolean on) {
        this.noCacheTime = on;
        return this;
    }

    /**
     * What the base does with a throwable from a callback; default {@link ExceptionHook#logging()}.
     * Also settable later, from any thread, with {@link EventBase#setExceptionHook}.
     *
     * @param hook the hook, not null
     * @return this config, for chaining
     */
    public EventConfig exceptionHook(ExceptionHook hook) {
        this.exceptionHook = Objects.requireNonNull(hook, "hook");
        return this;
    }

    /**
     * The loop-stall detector: report (WARN log and JFR {@code org.jevent.LoopStall}, with the loop
     * thread's stack) a callback that holds the loop longer than {@code threshold}; null or zero
     * turns it off for this base. On by default at {@link #DEFAULT_STALL_THRESHOLD} (1 s): a
     * callback that blocks the loop that long delays every connection on it, and the person who
     * most needs to hear of it is the one who does not know it happens. Watching costs the loop
     * two ordered stores per callback (paid on or off) and costs the JVM one shared daemon
     * thread that wakes every quarter threshold. A long GC pause during a callback is reported too.
     * The system property {@code -Djevent.jfr=false} compiles the detector out of the whole JVM,
     * with jevent's JFR events, whatever the threshold (for a benchmark of what they cost).
     *
     * @param threshold how long one callback may hold the loop before it is reported; null or
     *     zero for no detection
     * @return this config, for chaining
     * @throws IllegalArgumentException if {@code threshold} is negative
     */
    public EventConfig stallThreshold(Duration threshold) {
        if (threshold != null && threshold.isNegative()) {
            throw new IllegalArgumentException("negative stall threshold: " + threshold);
        }
        this.stallThresholdNanos = threshold == null ? 0 : EventTimers.toNanos(threshold);
        return this;
    }
}
