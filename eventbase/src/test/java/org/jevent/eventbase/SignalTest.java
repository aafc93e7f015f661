package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import sun.misc.Signal;

/**
 * regress.c's signal tests, with SIGWINCH: its default action is "ignore", so a stray delivery
 * can never kill the test JVM.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SignalTest {

    @Test
    void test_simple_signal() {
        EventBase base = new EventBase();
        int[] calls = {0};
        Thread[] on = new Thread[1];
        Event ev = Event.signal(base, "WINCH", (e, what) -> {
            assertEquals(Event.EV_SIGNAL, what);
            on[0] = Thread.currentThread();
            calls[0]++;
            e.del();
        });
        ev.add();
        assertEquals(Event.EV_SIGNAL, ev.pending(Event.EV_SIGNAL));
        Signal.raise(new Signal("WINCH"));
        base.dispatch(); // returns once the callback deleted the only event; @Timeout is the safety net
        assertEquals(1, calls[0]);
        assertSame(Thread.currentThread(), on[0], "delivered on the loop thread");
        assertEquals(0, ev.pending(Event.EV_SIGNAL));
        base.free();
    }

    @Test
    void test_signal_persists_and_dealloc() {
        EventBase base = new EventBase();
        int[] calls = {0};
        Event ev = Event.signal(base, "WINCH", (e, what) -> {
            if (++calls[0] == 2) {
                e.del();
            }
        });
        ev.add();
        for (int i = 0; i < 2; i++) {
            Signal.raise(new Signal("WINCH"));
            base.loop(EventBase.EVLOOP_ONCE);
        }
        assertEquals(2, calls[0], "EV_PERSIST keeps a signal event after it fired");
        assertEquals(1, base.loop(EventBase.EVLOOP_NONBLOCK), "no events left once deleted");
        base.free();
    }

    @Test
    void test_signal_restore() throws InterruptedException {
        // After the last signal event is deleted, the handler that was there before is back.
        java.util.concurrent.CountDownLatch previousCalled = new java.util.concurrent.CountDownLatch(1);
        sun.misc.SignalHandler old = Signal.handle(new Signal("WINCH"), sig -> previousCalled.countDown());
        try {
            EventBase base = new EventBase();
            int[] calls = {0};
            Event ev = Event.signal(base, "WINCH", (e, w) -> calls[0]++);
            ev.add();
            Signal.raise(new Signal("WINCH"));
            base.loop(EventBase.EVLOOP_ONCE);
            assertEquals(1, calls[0]);
            assertEquals(1, previousCalled.getCount(), "ours replaced the previous handler while added");
            ev.del();
            Signal.raise(new Signal("WINCH"));
            assertTrue(previousCalled.await(5, TimeUnit.SECONDS), "previous handler restored");
            assertEquals(1, calls[0]);
            base.free();
        } finally {
            Signal.handle(new Signal("WINCH"), old);
        }
    }

    @Test
    void test_signal_needs_a_name() {
        EventBase base = new EventBase();
        assertThrows(IllegalArgumentException.class, () -> new Event(base, null, Event.EV_SIGNAL, (e, w) -> { }));
        Event bogus = Event.signal(base, "NOSUCHSIGNAL", (e, w) -> { });
        assertThrows(IllegalArgumentException.class, bogus::add);
        base.free();
    }
}
