package org.jevent.eventbase;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR {@code org.jevent.LoopStall}: a callback held its loop longer than the base's stall
 * threshold. Committed by the watchdog once per stall, when seen; the recorded stack would be the
 * watchdog's, so it is off and the loop thread's stack is a field.
 */
@Name("org.jevent.LoopStall")
@Label("Loop Stall")
@Category({"jevent", "Event Loop"})
@Description("A callback held an event loop longer than its stall threshold (one event per stall)")
@StackTrace(false)
final class LoopStallEvent extends jdk.jfr.Event {
    @Label("Loop Thread")
    Thread loopThread;

    @Label("Event Base")
    String base;

    @Label("Callback Class")
    @Description("The class of the callback, task or deferred action that held the loop")
    String callbackClass;

    @Label("Running")
    @Description("The event (channel, flags, priority) or task that held the loop")
    String running;

    @Label("Held For")
    @Description("How long the callback had held the loop when it was seen (at least)")
    @Timespan(Timespan.NANOSECONDS)
    long heldFor;

    @Label("Threshold")
    @Timespan(Timespan.NANOSECONDS)
    long threshold;

    @Label("Loop Thread Stack")
    @Description("The loop thread's stack at the moment it was seen stalled")
    String loopStack;
}
