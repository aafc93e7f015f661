package org.jevent.eventbase;

import static org.jevent.eventbase.Event.EV_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Deferred callbacks: libevent's event_deferred_cb (used by bufferevents), and the Executor view. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DeferredTest {

    @Test
    void deferred_runs_after_the_active_events_of_the_turn_and_coalesces() {
        EventBase base = new EventBase();
        List<String> order = new ArrayList<>();
        DeferredCallback d = new DeferredCallback(base, () -> order.add("deferred"));
        Event a = new Event(base, null, 0, (e, w) -> {
            order.add("a");
            assertTrue(d.schedule());
            assertFalse(d.schedule(), "already scheduled: coalesced");
        });
        Event b = new Event(base, null, 0, (e, w) -> {
            order.add("b");
            d.schedule();
        });
        a.activate(EV_READ);
        b.activate(EV_READ);
        base.loop(EventBase.EVLOOP_ONCE);
        assertEquals(List.of("a", "b", "deferred"), order);
        assertFalse(d.isScheduled());
        base.free();
    }

    @Test
    void cancel_then_reschedule_runs_once() {
        EventBase base = new EventBase();
        int[] runs = {0};
        DeferredCallback d = new DeferredCallback(base, () -> runs[0]++);
        d.schedule();
        assertTrue(d.cancel());
        assertFalse(d.cancel());
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(0, runs[0], "cancelled");
        d.schedule();
        d.cancel();
        d.schedule();
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(1, runs[0], "queued once despite schedule/cancel/schedule");
        base.free();
    }

    @Test
    void deferred_cb_skew_at_most_32_per_turn() {
        // libevent's MAX_DEFERRED: a storm of deferred work yields to I/O and timers every 32.
        EventBase base = new EventBase();
        int n = 100;
        List<Integer> turnOf = new ArrayList<>();
        int[] turn = {0};
        Event turnCounter = new Event(base, null, Event.EV_PERSIST, (e, w) -> turn[0]++);
        turnCounter.add(java.time.Duration.ZERO);
        for (int i = 0; i < n; i++) {
            new DeferredCallback(base, () -> turnOf.add(turn[0])).schedule();
        }
        for (int i = 0; i < 10 && turnOf.size() < n; i++) {
            // ONCE|NONBLOCK: one pass (bench.c's mode); NONBLOCK alone never ends with a zero-delay persistent timer, as in C.
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
        assertEquals(n, turnOf.size());
        int maxPerTurn = 0;
        int run = 0;
        for (int i = 0; i < n; i++) {
            run = i > 0 && turnOf.get(i).equals(turnOf.get(i - 1)) ? run + 1 : 1;
            maxPerTurn = Math.max(maxPerTurn, run);
        }
        assertEquals(32, maxPerTurn);
        turnCounter.del();
        base.free();
    }

    @Test
    void deferred_executor_on_and_off_the_loop_thread() throws Exception {
        EventBase base = new EventBase();
        Executor ex = base.deferredExecutor();
        List<String> order = new ArrayList<>();
        Event a = new Event(base, null, 0, (e, w) -> {
            ex.execute(() -> order.add("deferred"));
            order.add("a");
        });
        a.activate(EV_READ);
        base.loop(EventBase.EVLOOP_ONCE);
        assertEquals(List.of("a", "deferred"), order);

        CountDownLatch ran = new CountDownLatch(1);
        AtomicReference<Thread> on = new AtomicReference<>();
        Thread foreign = new Thread(() -> ex.execute(() -> {
            on.set(Thread.currentThread());
            ran.countDown();
        }));
        foreign.start();
        foreign.join();
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertTrue(ran.await(1, TimeUnit.SECONDS));
        assertEquals(Thread.currentThread(), on.get(), "a foreign submission hops onto the loop thread");
        base.free();
    }

    @Test
    void max_dispatch_interval_yields_to_higher_priority_between_batches() {
        // event_config_set_max_dispatch_interval(cfg, NULL, 2, 0): at most 2 callbacks per queue per turn.
        for (boolean limited : new boolean[] {false, true}) {
            EventConfig cfg = new EventConfig().priorities(2);
            if (limited) {
                cfg.maxDispatchInterval(null, 2, 0);
            }
            EventBase base = new EventBase(cfg);
            List<String> order = new ArrayList<>();
            Event urgent = Event.timer(base, (e, w) -> order.add("T"));
            urgent.prioritySet(0);
            for (int i = 1; i <= 5; i++) {
                String name = "e" + i;
                boolean first = i == 1;
                Event ev = new Event(base, null, 0, (e, w) -> {
                    order.add(name);
                    if (first) {
                        urgent.add(java.time.Duration.ZERO);
                    }
                });
                ev.prioritySet(1);
                ev.activate(EV_READ);
            }
            base.dispatch();
            assertEquals(limited ? List.of("e1", "e2", "T", "e3", "e4", "e5") : List.of("e1", "e2", "e3", "e4", "e5", "T"),
                    order, "limited=" + limited);
            base.free();
        }
    }
}
