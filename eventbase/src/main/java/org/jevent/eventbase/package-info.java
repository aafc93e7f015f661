/**
 * libevent 2.1's reactor core ({@code event2/event.h}, {@code event2/listener.h}) over
 * {@code java.nio.channels.Selector}.
 *
 * <p>Naming follows the project rule: drop the C type prefix, camelCase the rest, call it on the
 * first argument ({@code event_base_loopexit(base, &tv)} is {@code base.loopExit(Duration)},
 * {@code event_add(ev, &tv)} is {@code ev.add(Duration)}); flags stay int constants
 * ({@code Event.EV_READ | Event.EV_PERSIST}). The full table is in {@code docs/porting.md}.
 *
 * <p>Pieces, one job each: {@link org.jevent.eventbase.EventBase} (the public face: event state
 * transitions, loop entry, lifecycle), {@code LoopTurn} (the steps of one turn), {@code Dispatcher}
 * (runs the callbacks of a turn: active queues by priority, deferred callbacks, tasks),
 * {@code ChannelRegistry} (the Selector, one {@code ChannelRegistration} per channel, interest ops),
 * {@code EventTimers} (the timer glue over {@code TimerHeap}, a 4-ary min-heap with the index stored
 * in the node, and the {@link org.jevent.eventbase.CommonTimeout} O(1) same-duration FIFOs),
 * {@code TimeCache} (the time read once per turn), {@code ActiveQueues} (one intrusive FIFO per
 * priority), {@code DeferredQueue} and {@link org.jevent.eventbase.DeferredCallback} (reusable,
 * coalescing run-after-this-turn callback), {@code TaskInbox} (JCTools MPSC queue + wake-up
 * protocol), {@code LoopOwner} (which thread may touch the base), {@code SignalEvents} and
 * {@code SignalDispatcher} ({@code sun.misc.Signal} routing), {@code EventWalk} (foreach/dump/count
 * walks), {@link org.jevent.eventbase.EventConfig} ({@code event_config}),
 * {@link org.jevent.eventbase.EventClock} and {@link org.jevent.eventbase.ManualClock} (replaceable
 * time for tests), {@link org.jevent.eventbase.EvConnListener}; {@link org.jevent.eventbase.ExceptionHook}
 * (what a throwing callback turns into; {@code LoggingExceptionHook} is the default),
 * {@code StallWatch} and {@code StallWatchdog} (the loop-stall detector), {@code LoopStats},
 * {@code LoopEvents} and {@code JfrSupport} (JFR events), {@link org.jevent.eventbase.EventBaseGroup}
 * and {@link org.jevent.eventbase.GroupListener} (one loop per core).
 *
 * <p>Observability. A throwable from any callback goes to the base's
 * {@link org.jevent.eventbase.ExceptionHook} and the loop goes on; the default logs at ERROR through
 * SLF4J, or prints to stderr when SLF4J has no binding. The loop-stall detector (on by default,
 * 1 s, {@code EventConfig.stallThreshold}) logs at WARN, on logger
 * {@code org.jevent.eventbase.StallWatchdog}, a callback that holds its loop too long, naming it and
 * giving the loop thread's stack. JFR events (the JDK's {@code jdk.jfr}, no dependency; registered
 * only once JFR runs, so a JVM that never records pays nothing):
 * {@code org.jevent.LoopStall} (one per stall) and {@code org.jevent.LoopStatistics} (periodic,
 * default 1 s: turns, callbacks, timers, tasks per base). Both are on in any recording
 * ({@code -XX:StartFlightRecording}, {@code jcmd PID JFR.start}, JDK Mission Control); they are
 * under "jevent" in Mission Control's event browser and template editor. With the system property
 * {@code -Djevent.jfr=false} the JVM has neither: every jevent module compiles its JFR hooks out,
 * and the loop-stall detector with its bookkeeping per callback (see {@code LoopEvents}); this is
 * how {@code benchmarks/PERF-NOTES.md} measures what they cost with no recording running.
 *
 * <p>JFR naming convention, for every jevent module that adds events: the event name is
 * {@code org.jevent.} and a noun in UpperCamelCase, without the module in it
 * ({@code org.jevent.LoopStall}, {@code org.jevent.ConnectionClose}, {@code org.jevent.TlsHandshake});
 * {@code @Category({"jevent", "<Area>"})} with "jevent" first so that JDK Mission Control groups
 * them all, and an area a user recognises ("Event Loop", "Connection", "TLS"); {@code @Label} in
 * Title Case and an {@code @Description} on the class and on fields whose meaning is not obvious;
 * durations as {@code long} nanoseconds with {@code @Timespan(Timespan.NANOSECONDS)}, byte counts
 * with {@code @DataAmount}, the loop thread as a {@code Thread} field. Event classes stay package
 * private and are reached only through a holder that checks that the {@code jdk.jfr} module is
 * present (a jlink image may leave it out). Nothing on a per-message path builds an event unless
 * a recording wants it: test {@code shouldCommit()} (or {@code isEnabled()} for an event without a
 * duration) on a reused or stack-local event before filling it, never allocate to find out.
 *

 * <p>For the modules above (bufferevent, evbuffer): {@code base.isInLoopThread()} /
 * {@code checkInLoopThread()}; {@code base.execute(Runnable)} to hop onto the loop from any thread;
 * {@code new DeferredCallback(base, action).schedule()} for coalesced run-after-this-turn work
 * without allocation; {@code base.deferredExecutor()} for an {@link java.util.concurrent.Executor}
 * over the same queue; {@code Event.timer(base, cb).add(Duration)} or
 * {@code .add(base.initCommonTimeout(d))} for timeouts (a common timeout is O(1) per add/del).
 *
 * <p>Ownership: a base belongs to the thread that created it until a thread enters its loop, which
 * then owns it; when an owner thread has died, the next thread to touch the base adopts it. Delete
 * a channel's events before closing the channel, as in C: a closed channel's events can no longer
 * fire but still count as pending, so {@code dispatch} would not return.
 *
 * <p>Interrupting the loop thread makes {@code loop} return -1 (an interrupted thread's select
 * returns at once, so looping on would spin); the interrupt status is kept.
 *
 * <p>Where we depart from libevent, and why:
 * <ul>
 * <li>Threads: no locks. A base belongs to one thread; a foreign call throws
 *     {@link java.lang.IllegalStateException} naming the owner instead of taking a lock. Only
 *     {@code execute}, {@code Event.activate}, {@code loopExit} and {@code loopBreak} cross threads,
 *     through a lock-free queue, allocation-free for activations.</li>
 * <li>Level-triggered only: {@code EV_ET} and {@code EV_CLOSED} have no Selector equivalent and are
 *     rejected rather than silently ignored.</li>
 * <li>Timers with equal deadlines fire in the order they were added (libevent: heap order).</li>
 * <li>Deferred callbacks have their own queue run after the active queue of the turn (libevent puts
 *     them in the active queue at priority n/2); the budget of 32 per turn is kept.</li>
 * <li>Dispatch allocates nothing: {@code Selector.select(Consumer, timeout)} instead of the
 *     selected-key set, intrusive queues, prebuilt consumers.</li>
 * <li>Callbacks can throw (C ones cannot): the exception hook, and a loop that survives them.</li>
 * <li>A loop-stall detector and JFR events: neither libevent nor Netty has them built in.</li>
 * <li>{@link org.jevent.eventbase.EventBaseGroup}: libevent leaves threads to the program; Java
 *     users expect Netty's {@code EventLoopGroup}.</li>
 * </ul>
 */
package org.jevent.eventbase;
