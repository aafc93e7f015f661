package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** "At most n in any period": the window that limits what a TLS peer may start. */
class RateWindowTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void zeroRefusesEverything() {
        RateWindow w = new RateWindow(0, 0);
        assertFalse(w.tryAccept(0));
        assertFalse(w.tryAccept(100 * SECOND));
    }

    @Test
    void nWithinAPeriodThenRefusedUntilTheOldestLeavesIt() {
        RateWindow w = new RateWindow(2, SECOND);
        assertTrue(w.tryAccept(0));
        assertTrue(w.tryAccept(SECOND / 2));
        assertFalse(w.tryAccept(SECOND - 1), "a third inside the first second");
        assertTrue(w.tryAccept(SECOND), "the one at 0 has left the window");
        assertFalse(w.tryAccept(SECOND + SECOND / 4), "0.5 and 1.0 are still in it");
        assertTrue(w.tryAccept(2 * SECOND - SECOND / 2));
    }

    @Test
    void aNewLimitForgetsWhatWasAccepted() {
        RateWindow w = new RateWindow(1, SECOND);
        assertTrue(w.tryAccept(0));
        assertFalse(w.tryAccept(1));
        w.set(1, SECOND);
        assertTrue(w.tryAccept(2));
    }

    @Test
    void badLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RateWindow(-1, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new RateWindow(RateWindow.MAX_EVENTS + 1, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new RateWindow(1, 0));
    }

    /** Against a model that keeps every accepted time: the same answers, at any spacing. */
    @Property(tries = 300)
    void agreesWithAModelOfEveryAcceptedTime(@ForAll @IntRange(min = 1, max = 6) int max,
            @ForAll @IntRange(min = 1, max = 50) int period,
            @ForAll @Size(max = 60) java.util.List<@IntRange(min = 0, max = 30) Integer> gaps) {
        RateWindow w = new RateWindow(max, period);
        Deque<Long> accepted = new ArrayDeque<>();
        long now = 0;
        for (int gap : gaps) {
            now += gap;
            long t = now;
            long inWindow = accepted.stream().filter(a -> t - a < period).count();
            boolean expected = inWindow < max;
            assertEquals(expected, w.tryAccept(now), "at " + now + " with " + accepted);
            if (expected) {
                accepted.add(now);
            }
        }
    }
}
