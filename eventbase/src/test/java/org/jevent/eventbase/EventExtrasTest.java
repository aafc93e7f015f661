package org.jevent.eventbase;

import static org.jevent.eventbase.Event.EV_PERSIST;
import static org.jevent.eventbase.Event.EV_READ;
import static org.jevent.eventbase.Event.EV_TIMEOUT;
import static org.jevent.eventbase.EventBase.EVLOOP_ONCE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link EventExtras} is made only for what needs it (persistent timeouts, common timeouts,
 * signals), and an event that has one behaves as before: a persistent timeout re-arms from the
 * deadline that passed, a re-assigned event forgets it.
 */
class EventExtrasTest {
    private final ManualClock clock = new ManualClock();
    private final EventBase base = new EventBase(new EventConfig().clock(clock));

    @AfterEach
    void tearDown() {
        base.free();
    }

    @Test
    void io_events_and_plain_timers_make_none() throws IOException {
        try (SocketPair pair = SocketPair.open()) {
            Event io = new Event(base, pair.a, EV_READ | EV_PERSIST, (e, w) -> { });
            io.add();
            Event timer = Event.timer(base, (e, w) -> { });
            timer.add(Duration.ofMillis(5));
            assertEquals(clock.monotonicNanos() + 5_000_000L, timer.pendingDeadlineNanos().getAsLong());
            clock.advance(Duration.ofMillis(5));
            base.loop(EVLOOP_ONCE);
            assertEquals(0, timer.pending(EV_TIMEOUT), "fired once");
            assertNull(io.extras);
            assertNull(timer.extras);
            io.del();
        }
    }

    @Test
    void a_persistent_timeout_rearms_from_the_deadline_that_passed() {
        List<Long> fired = new ArrayList<>();
        Event ev = new Event(base, null, EV_PERSIST, (e, w) -> fired.add(clock.monotonicNanos()));
        long start = clock.monotonicNanos();
        ev.add(Duration.ofMillis(100));
        assertNotNull(ev.extras, "the re-arm duration needs a place");
        clock.advance(Duration.ofMillis(130)); // late by 30 ms: the next one is still due at +200
        base.loop(EVLOOP_ONCE);
        assertEquals(start + 200_000_000L, ev.pendingDeadlineNanos().getAsLong());
        ev.removeTimer();
        assertEquals(-1, ev.extras.ioTimeoutNanos);
        assertTrue(ev.pendingDeadlineNanos().isEmpty());
        assertEquals(1, fired.size());
    }

    @Test
    void a_common_timeout_event_keeps_its_key_in_its_extras() {
        CommonTimeout ct = base.initCommonTimeout(Duration.ofMillis(50));
        Event a = Event.timer(base, (e, w) -> { });
        Event b = Event.timer(base, (e, w) -> { });
        a.add(ct);
        b.add(ct);
        assertEquals(a.pendingDeadlineNanos(), b.pendingDeadlineNanos());
        assertEquals(2, ct.size());
        a.del();
        assertNull(a.extras.timerQueue);
        assertFalse(a.hasTimer());
        base.checkInvariants();
        b.add(Duration.ofMillis(10)); // from the common queue to the heap
        assertEquals(0, ct.size());
        assertEquals(clock.monotonicNanos() + 10_000_000L, b.pendingDeadlineNanos().getAsLong());
        base.checkInvariants();
    }

    /**
     * A signal event with a timeout keeps both in one extras: the timeout re-arms from the
     * deadline that passed, a delivered signal re-arms from now, a common timeout replaces the
     * heap one, and del drops the signal and the timer together (SIGWINCH: ignored by default).
     */
    @Test
    void a_signal_event_with_a_persistent_timeout_keeps_signal_and_timer_apart() {
        List<Integer> what = new ArrayList<>();
        Event ev = Event.signal(base, "WINCH", (e, w) -> what.add(w));
        long start = clock.monotonicNanos();
        ev.add(Duration.ofMillis(100));
        clock.advance(Duration.ofMillis(100));
        base.loop(EVLOOP_ONCE);
        assertEquals(List.of(EV_TIMEOUT), what);
        assertEquals(start + 200_000_000L, ev.pendingDeadlineNanos().getAsLong(), "from the deadline that passed");
        assertEquals(Event.EV_SIGNAL, ev.pending(Event.EV_SIGNAL));
        clock.advance(Duration.ofMillis(30));
        sun.misc.Signal.raise(new sun.misc.Signal("WINCH"));
        // The signal reaches the loop through the JVM's signal thread: wait for it by events.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (what.size() < 2 && System.nanoTime() - deadline < 0) {
            base.loop(EventBase.EVLOOP_NONBLOCK);
            Thread.onSpinWait();
        }
        assertEquals(List.of(EV_TIMEOUT, Event.EV_SIGNAL), what);
        assertEquals(clock.monotonicNanos() + 100_000_000L, ev.pendingDeadlineNanos().getAsLong(), "from now");
        CommonTimeout ct = base.initCommonTimeout(Duration.ofMillis(40));
        ev.add(ct);
        assertEquals(1, ct.size());
        assertEquals(clock.monotonicNanos() + 40_000_000L, ev.pendingDeadlineNanos().getAsLong());
        base.checkInvariants();
        clock.advance(Duration.ofMillis(40));
        base.loop(EVLOOP_ONCE);
        assertEquals(List.of(EV_TIMEOUT, Event.EV_SIGNAL, EV_TIMEOUT), what);
        assertEquals(1, ct.size(), "re-armed in its common queue");
        ev.del();
        assertEquals(0, ct.size());
        assertEquals(0, ev.pending(Event.EV_SIGNAL | EV_TIMEOUT));
        assertEquals("WINCH", ev.getSignal());
        base.checkInvariants();
        ev.add();
        assertEquals(Event.EV_SIGNAL, ev.pending(Event.EV_SIGNAL | EV_TIMEOUT), "re-added without a timer");
        ev.del();
    }

    @Test
    void reassigning_a_signal_event_forgets_the_signal() {
        Event ev = Event.signal(base, "USR2", (e, w) -> { });
        assertEquals("USR2", ev.getSignal());
        assertTrue(ev.toString().contains("SIGUSR2"), ev.toString());
        ev.assign(base, null, EV_TIMEOUT, (e, w) -> { });
        assertNull(ev.getSignal());
        assertNull(ev.extras);
    }
}
