package org.jevent.eventbase;

/**
 * The door to JFR for the rest of the module, free of {@code jdk.jfr} types: a runtime without
 * the {@code jdk.jfr} module (a jlink image that left it out, a module graph that did not resolve
 * it) must still load every class that reaches here, so the JFR classes sit behind
 * {@link JfrHooks#AVAILABLE} in {@link JfrSupport}, which only this class names.
 *
 * <p>Nothing JFR is touched before JFR runs: registering an event type or even a
 * {@code FlightRecorderListener} makes JFR initialize its machinery (tens to hundreds of
 * milliseconds, measured), a price a program that never records must not pay when it makes its
 * first base. So the watchdog thread asks, once per tick, the one cheap question
 * ({@code FlightRecorder.isInitialized()}), and the first time the answer is yes (a recording
 * started, or {@code -XX:StartFlightRecording}) it registers the event types.
 *
 * <p>The master switch, {@link JfrHooks}: with {@code -Djevent.jfr=false} (any case) every
 * observability hook of this module is compiled out, for a JVM that wants none of it or a
 * benchmark that measures what the hooks cost: no JFR event type is ever registered, no base is
 * handed to the loop-stall detector (no watchdog thread, no stall is reported, whatever
 * {@code EventConfig.stallThreshold} says), and the loop keeps no bookkeeping for either (the
 * ordered stores per callback in {@link StallWatch}, the totals per turn in {@link LoopStats}).
 * Unset or any other value: everything as documented. The bufferevent and TLS modules read the
 * same switch for their JFR events.
 *
 * <p>Invariant: nothing here runs on a loop's hot path; {@code registered} and {@code refused}
 * are written by the watchdog thread only, and at most one of them ends up true; with {@link JfrHooks#ON}
 * false neither is ever set.
 */
final class LoopEvents {
    private static volatile boolean registered;
    /** Registration threw (a security manager, a broken JFR): do not try every tick. */
    private static boolean refused;

    private LoopEvents() {
    }

    /** Watchdog thread, every tick: registers the event types once JFR has started. */
    static void tick() {
        if (JfrHooks.AVAILABLE && !registered && !refused && JfrSupport.recorderStarted()) {
            refused = true;
            JfrSupport.registerEventTypes();
            refused = false;
            registered = true;
        }
    }

    /** True once the event types are registered with JFR. */
    static boolean registered() {
        return registered;
    }

    /** A stall seen by the watchdog: an {@code org.jevent.LoopStall} event if a recording wants it. */
    static void stall(StallWatchdog.StallReport report) {
        if (registered) {
            JfrSupport.stall(report);
        }
    }
}
