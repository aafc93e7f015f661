package org.jevent.eventbase;

import java.util.List;
import jdk.jfr.FlightRecorder;

/**
 * The JFR side of {@link LoopEvents}; loaded only when the {@code jdk.jfr} module is present, and
 * used only once JFR has started (see {@link LoopEvents} for why not earlier).
 *
 * <p>Invariant: the event types are registered once, by the watchdog thread; the periodic hook
 * then runs on JFR's own thread, at the period a recording asks for, and only while one does.
 */
final class JfrSupport {
    private JfrSupport() {
    }

    /** A cheap static question: has anything started JFR in this JVM? */
    static boolean recorderStarted() {
        return FlightRecorder.isInitialized();
    }

    static void registerEventTypes() {
        FlightRecorder.register(LoopStallEvent.class);
        FlightRecorder.addPeriodicEvent(LoopStatisticsEvent.class, JfrSupport::emitStatistics);
    }

    /** JFR's periodic thread: one event per live base, with what it did since the previous one. */
    private static void emitStatistics() {
        List<StallWatch> live = StallWatchdog.INSTANCE.snapshot();
        for (StallWatch w : live) {
            LoopStats s = w.stats;
            if (s.closed) {
                continue;
            }
            long turns = s.turns();
            long callbacks = s.callbacks();
            long timers = s.timers();
            long tasks = s.tasks();
            LoopStatisticsEvent e = new LoopStatisticsEvent();
            e.loopThread = w.owner.thread();
            e.base = w.base.toString();
            e.turns = turns - s.emittedTurns;
            e.callbacks = callbacks - s.emittedCallbacks;
            e.timers = timers - s.emittedTimers;
            e.tasks = tasks - s.emittedTasks;
            e.commit();
            s.emittedTurns = turns;
            s.emittedCallbacks = callbacks;
            s.emittedTimers = timers;
            s.emittedTasks = tasks;
        }
    }

    static void stall(StallWatchdog.StallReport r) {
        LoopStallEvent e = new LoopStallEvent();
        if (!e.isEnabled()) {
            return;
        }
        e.loopThread = r.loopThread;
        e.base = r.base.toString();
        e.callbackClass = r.callbackClass();
        e.running = r.target();
        e.heldFor = r.heldNanos;
        e.threshold = r.thresholdNanos;
        e.loopStack = r.stackText();
        e.commit();
    }
}
