package org.jevent.eventbase;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

/**
 * JFR {@code org.jevent.LoopStatistics}: per base and period, what its loop did (counts since the
 * previous event of the same base). Periodic (default every second), emitted by JFR's own
 * thread from totals the loop publishes once per turn; nothing runs when no recording asks for it.
 */
@Name("org.jevent.LoopStatistics")
@Label("Loop Statistics")
@Category({"jevent", "Event Loop"})
@Description("What an event loop did since the previous period: turns, callbacks, expired timers, cross-thread tasks")
@Period("1 s")
@StackTrace(false)
final class LoopStatisticsEvent extends jdk.jfr.Event {
    @Label("Loop Thread")
    Thread loopThread;

    @Label("Event Base")
    String base;

    @Label("Turns")
    @Description("Loop turns (one select and what followed it)")
    long turns;

    @Label("Callbacks")
    @Description("Event callbacks and deferred callbacks run")
    long callbacks;

    @Label("Timers")
    @Description("Timers that expired")
    long timers;

    @Label("Tasks")
    @Description("Cross-thread tasks run (execute)")
    long tasks;
}
