package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * Runs a base until a condition holds, bounded by a deadline. A 20 ms persistent timer keeps the
 * loop turning even when nothing else is registered (conditions may depend on child processes).
 */
final class Loops {
    private Loops() {
    }

    static void runUntil(EventBase base, BooleanSupplier done, long maxMillis, String what) {
        runUntil(base, done, maxMillis, () -> what);
    }

    static void runUntil(EventBase base, BooleanSupplier done, long maxMillis, Supplier<String> what) {
        Event wake = new Event(base, null, Event.EV_PERSIST, (ev, w) -> { });
        wake.add(Duration.ofMillis(20));
        try {
            long deadline = System.nanoTime() + maxMillis * 1_000_000L;
            while (!done.getAsBoolean() && System.nanoTime() < deadline) {
                base.loop(EventBase.EVLOOP_ONCE);
            }
        } finally {
            wake.del();
        }
        assertTrue(done.getAsBoolean(), () -> what.get() + " not reached within " + maxMillis + " ms");
    }
}
