package org.jevent.eventbase;

import static org.jevent.eventbase.Event.EV_PERSIST;
import static org.jevent.eventbase.Event.EV_READ;
import static org.jevent.eventbase.Event.EV_TIMEOUT;
import static org.jevent.eventbase.Event.EV_WRITE;
import static org.jevent.eventbase.EventBase.EVLOOP_NONBLOCK;
import static org.jevent.eventbase.EventBase.EVLOOP_ONCE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenarios ported from libevent's test/regress.c, each named after the C test. Timing-sensitive
 * C tests run on a {@link ManualClock} where the point is the order, not the wall time.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RegressTest {
    private EventBase base;
    private SocketPair pair;

    @BeforeEach
    void setUp() throws IOException {
        base = new EventBase();
        pair = SocketPair.open();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (base.isInLoopThread()) {
            base.free();
        }
        pair.close();
    }

    @Test
    void test_simpleread() throws IOException {
        SocketPair.write(pair.a, "test string");
        StringBuilder got = new StringBuilder();
        AtomicInteger calls = new AtomicInteger();
        Event ev = new Event(base, pair.b, EV_READ, (e, what) -> {
            calls.incrementAndGet();
            assertEquals(EV_READ, what);
            try {
                got.append(SocketPair.read(pair.b));
            } catch (IOException ex) {
                throw new RuntimeException(ex);
            }
        });
        ev.add();
        assertEquals(1, base.dispatch(), "non-persistent event fired, nothing left: returns 1 (no events)");
        assertEquals(1, calls.get());
        assertEquals("test string", got.toString());
        assertEquals(0, ev.pending(EV_READ));
    }

    @Test
    void test_simplewrite() {
        AtomicInteger calls = new AtomicInteger();
        Event ev = new Event(base, pair.a, EV_WRITE, (e, what) -> {
            calls.incrementAndGet();
            assertEquals(EV_WRITE, what);
        });
        ev.add();
        assertEquals(1, base.dispatch());
        assertEquals(1, calls.get());
    }

    @Test
    void test_persistent() throws IOException {
        StringBuilder got = new StringBuilder();
        AtomicInteger calls = new AtomicInteger();
        Event ev = new Event(base, pair.b, EV_READ | EV_PERSIST, (e, what) -> {
            calls.incrementAndGet();
            try {
                String s = SocketPair.read(pair.b);
                if (s == null) {
                    e.del();
                } else {
                    got.append(s);
                }
            } catch (IOException ex) {
                throw new RuntimeException(ex);
            }
        });
        ev.add();
        SocketPair.write(pair.a, "one,");
        base.loop(EVLOOP_ONCE);
        SocketPair.write(pair.a, "two,");
        base.loop(EVLOOP_ONCE);
        SocketPair.write(pair.a, "three");
        pair.a.shutdownOutput();
        base.dispatch();
        assertEquals("one,two,three", got.toString());
        assertTrue(calls.get() >= 3, "persistent event served every chunk");
        assertEquals(0, ev.pending(EV_READ));
    }

    @Test
    void test_simpletimeout() {
        long start = System.nanoTime();
        long[] firedAt = new long[1];
        Event t = Event.timer(base, (e, what) -> {
            assertEquals(EV_TIMEOUT, what);
            firedAt[0] = System.nanoTime();
        });
        t.add(Duration.ofMillis(50));
        assertEquals(EV_TIMEOUT, t.pending(EV_TIMEOUT | EV_READ));
        assertEquals(1, base.dispatch());
        long ms = TimeUnit.NANOSECONDS.toMillis(firedAt[0] - start);
        assertTrue(ms >= 50 && ms < 2000, "fired after " + ms + " ms");
    }

    @Test
    void test_timeouts_fire_in_order() {
        ManualClock clock = new ManualClock();
        EventBase b = new EventBase(new EventConfig().clock(clock));
        List<String> order = new ArrayList<>();
        String[] names = {"30a", "10a", "20a", "10b", "0a", "20b"};
        int[] delays = {30, 10, 20, 10, 0, 20};
        for (int i = 0; i < names.length; i++) {
            String n = names[i];
            Event.timer(b, (e, w) -> order.add(n)).add(Duration.ofMillis(delays[i]));
        }
        for (int step = 0; step <= 30; step += 5) {
            b.loop(EVLOOP_NONBLOCK);
            clock.advance(Duration.ofMillis(5));
        }
        assertEquals(List.of("0a", "10a", "10b", "20a", "20b", "30a"), order);
        b.free();
    }

    @Test
    void test_persistent_timeout() {
        AtomicInteger count = new AtomicInteger();
        Event ev = new Event();
        ev.assign(base, null, EV_PERSIST, (e, what) -> {
            assertEquals(EV_TIMEOUT, what);
            if (count.incrementAndGet() == 5) {
                e.del();
            }
        });
        ev.add(Duration.ofMillis(5));
        assertEquals(1, base.dispatch());
        assertEquals(5, count.get());
    }

    @Test
    void test_persistent_timeout_jump() {
        ManualClock clock = new ManualClock();
        EventBase b = new EventBase(new EventConfig().clock(clock));
        AtomicInteger count = new AtomicInteger();
        Event ev = new Event(b, null, EV_PERSIST, (e, w) -> count.incrementAndGet());
        ev.add(Duration.ofMillis(100));
        clock.advance(Duration.ofMillis(300)); // "sleep" past the deadline and the next two periods
        b.loop(EVLOOP_NONBLOCK);
        assertEquals(1, count.get(), "an overdue persistent timer fires once, it does not catch up");
        // Re-armed from now: old deadline + 100 ms lies in the past.
        assertEquals(clock.monotonicNanos() + 100_000_000L, ev.pendingDeadlineNanos().getAsLong());
        clock.advance(Duration.ofMillis(50));
        b.loop(EVLOOP_NONBLOCK);
        assertEquals(1, count.get());
        clock.advance(Duration.ofMillis(50));
        b.loop(EVLOOP_NONBLOCK);
        assertEquals(2, count.get());
        b.free();
    }

    @Test
    void test_persistent_active_timeout() {
        // A persistent timer activated by hand re-arms relative to now, not to its old deadline.
        ManualClock clock = new ManualClock();
        EventBase b = new EventBase(new EventConfig().clock(clock));
        List<Integer> whats = new ArrayList<>();
        Event ev = new Event(b, null, EV_TIMEOUT | EV_PERSIST, (e, w) -> whats.add(w));
        ev.add(Duration.ofMillis(200));
        clock.advance(Duration.ofMillis(150));
        ev.activate(EV_READ);
        b.loop(EVLOOP_NONBLOCK);
        assertEquals(List.of(EV_READ), whats);
        assertEquals(clock.monotonicNanos() + 200_000_000L, ev.pendingDeadlineNanos().getAsLong());
        clock.advance(Duration.ofMillis(199));
        b.loop(EVLOOP_NONBLOCK);
        assertEquals(1, whats.size());
        clock.advance(Duration.ofMillis(1));
        b.loop(EVLOOP_NONBLOCK);
        assertEquals(List.of(EV_READ, EV_TIMEOUT), whats);
        ev.del();
        b.free();
    }

    private static final class Pri {
        Event ev;
        int count;
    }

    private void prioritiesImpl(int npriorities, int expectTwo) {
        EventBase b = new EventBase(new EventConfig().priorities(npriorities));
        Pri one = new Pri();
        Pri two = new Pri();
        for (Pri p : new Pri[] {one, two}) {
            p.ev = Event.timer(b, (e, w) -> {
                if (p.count == 3) {
                    b.loopExit();
                    return;
                }
                p.count++;
                e.add(Duration.ZERO);
            });
        }
        one.ev.prioritySet(0);
        two.ev.prioritySet(npriorities - 1);
        one.ev.add(Duration.ZERO);
        two.ev.add(Duration.ZERO);
        b.dispatch();
        one.ev.del();
        two.ev.del();
        assertEquals(3, one.count, "priorities=" + npriorities);
        assertEquals(expectTwo, two.count, "priorities=" + npriorities);
        b.free();
    }

    @Test
    void test_priorities() {
        prioritiesImpl(1, 3);
        // Two runs once, because loopExit's internal event has priority 1 (n/2) and queues behind it.
        prioritiesImpl(2, 1);
        // Priority 0 starves priority 2 until loopExit (priority 1) ends the loop.
        prioritiesImpl(3, 0);
    }

    @Test
    void test_priority_active_inversion() {
        base.priorityInit(8);
        int[] callOrder = new int[3];
        int[] calls = {0};
        Event[] evs = new Event[3];
        for (int i = 0; i < 3; i++) {
            int idx = i;
            evs[i] = new Event(base, null, 0, (e, w) -> {
                callOrder[idx] = calls[0]++;
                if (calls[0] == 1) {
                    evs[1].activate(EV_READ); // same priority: runs later
                    evs[2].activate(EV_TIMEOUT); // higher priority: runs next
                }
            });
        }
        evs[0].prioritySet(4);
        evs[1].prioritySet(4);
        evs[2].prioritySet(0);
        evs[0].activate(EV_WRITE);
        base.dispatch();
        assertEquals(3, calls[0]);
        assertEquals(0, callOrder[0]);
        assertEquals(2, callOrder[1]);
        assertEquals(1, callOrder[2]);
    }

    @Test
    void test_common_timeout() {
        ManualClock clock = new ManualClock();
        EventBase b = new EventBase(new EventConfig().clock(clock));
        CommonTimeout ms100 = b.initCommonTimeout(Duration.ofMillis(100));
        CommonTimeout ms200 = b.initCommonTimeout(Duration.ofMillis(200));
        CommonTimeout sec5 = b.initCommonTimeout(Duration.ofSeconds(5));
        assertSame(ms200, b.initCommonTimeout(Duration.ofMillis(200)));
        assertSame(sec5, b.initCommonTimeout(Duration.ofNanos(5_000_000_000L)));
        assertEquals(Duration.ofMillis(100), ms100.duration());
        int[] count = new int[100];
        long[] lastAt = new long[100];
        Event[] evs = new Event[100];
        for (int i = 0; i < 100; i++) {
            int idx = i;
            evs[i] = new Event(b, null, EV_TIMEOUT | EV_PERSIST, (e, w) -> {
                count[idx]++;
                lastAt[idx] = clock.monotonicNanos();
            });
            if (i % 2 == 1) {
                if (i % 20 == 1) { // common to heap
                    evs[i].add(ms200);
                    evs[i].add(Duration.ofMillis(100));
                } else if (i % 20 == 3) { // heap to common
                    evs[i].add(Duration.ofMillis(200));
                    evs[i].add(ms100);
                } else if (i % 20 == 5) { // common to common
                    evs[i].add(ms200);
                    evs[i].add(ms100);
                } else {
                    evs[i].add(ms100);
                }
            } else {
                evs[i].add(ms200);
            }
        }
        b.checkInvariants();
        for (int step = 0; step < 10; step++) {
            clock.advance(Duration.ofMillis(100));
            b.loop(EVLOOP_NONBLOCK);
            b.checkInvariants();
        }
        for (int i = 0; i < 100; i++) {
            assertEquals(i % 2 == 1 ? 10 : 5, count[i], "event " + i);
            assertEquals(1_000_000_000L, lastAt[i], "event " + i + " fired on its period");
        }
        assertEquals(45, ms100.size());
        assertEquals(50, ms200.size());
        for (Event ev : evs) {
            ev.del();
        }
        assertEquals(0, ms100.size());
        b.checkInvariants();
        b.free();
    }

    @Test
    void test_loopbreak() {
        AtomicInteger ran = new AtomicInteger();
        Event breaker = new Event(base, null, 0, (e, w) -> {
            ran.incrementAndGet();
            base.loopBreak();
        });
        Event other = new Event(base, null, 0, (e, w) -> ran.addAndGet(100));
        Event far = Event.timer(base, (e, w) -> ran.addAndGet(10_000));
        far.add(Duration.ofDays(1));
        breaker.activate(EV_READ);
        other.activate(EV_READ);
        assertEquals(0, base.dispatch());
        assertEquals(1, ran.get(), "the callback after the break did not run");
        assertTrue(base.gotBreak());
        assertFalse(base.gotExit());
        assertEquals(EV_READ, other.pending(EV_READ), "still active for the next loop");
        far.del();
    }

    @Test
    void test_loopexit() {
        Event far = Event.timer(base, (e, w) -> { });
        far.add(Duration.ofDays(1));
        base.loopExit(Duration.ofMillis(100));
        long start = System.nanoTime();
        assertEquals(0, base.dispatch());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        far.del();
        assertTrue(base.gotExit());
        assertFalse(base.gotBreak());
        assertTrue(ms >= 100 && ms < 2000, "exited after " + ms + " ms");
    }

    @Test
    void test_loopexit_multiple() {
        base.loopExit(Duration.ofMillis(50));
        base.loopExit(Duration.ofSeconds(3));
        long start = System.nanoTime();
        base.dispatch();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(base.gotExit());
        assertFalse(base.gotBreak());
        assertTrue(ms >= 50 && ms < 2000, "exited after " + ms + " ms");
    }

    @Test
    void test_loopexit_runs_active_callbacks_of_the_turn() {
        // loopexit(NULL): the callbacks already active in this turn still run.
        List<String> ran = new ArrayList<>();
        Event a = new Event(base, null, 0, (e, w) -> {
            ran.add("a");
            base.loopExit();
        });
        Event bb = new Event(base, null, 0, (e, w) -> ran.add("b"));
        a.activate(EV_READ);
        bb.activate(EV_READ);
        base.dispatch();
        assertEquals(List.of("a", "b"), ran);
        assertTrue(base.gotExit());
    }

    @Test
    void test_nonpersist_readd() throws IOException {
        Event[] evs = new Event[2];
        Event[] lastAdded = new Event[1];
        int[] ok = {0};
        SocketPair.write(pair.a, "Hello");
        SocketPair.write(pair.b, "Hello");
        // Wait until both ends are readable so that one poll sees both.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (int i = 0; i < 2; i++) {
            int idx = i;
            evs[i] = new Event();
            evs[i].assign(base, i == 0 ? pair.a : pair.b, EV_READ, (e, w) -> {
                Event other = evs[1 - idx];
                lastAdded[0] = other;
                try {
                    SocketPair.read(idx == 0 ? pair.a : pair.b);
                } catch (IOException ex) {
                    throw new RuntimeException(ex);
                }
                other.add();
                ok[0]++;
            });
        }
        while (System.nanoTime() < deadline && !(bothReadable())) {
            Thread.onSpinWait();
        }
        evs[0].add();
        evs[1].add();
        assertEquals(0, base.loop(EVLOOP_ONCE));
        assertEquals(2, ok[0]);
        Event last = lastAdded[0];
        Event notLast = last == evs[0] ? evs[1] : evs[0];
        assertEquals(EV_READ, last.pending(EV_READ));
        assertEquals(0, notLast.pending(EV_READ));
        last.del();
    }

    private boolean bothReadable() {
        try (java.nio.channels.Selector s = java.nio.channels.Selector.open()) {
            // Probe with a throwaway selector: count readable ends.
            pair.a.register(s, java.nio.channels.SelectionKey.OP_READ);
            pair.b.register(s, java.nio.channels.SelectionKey.OP_READ);
            return s.selectNow() == 2;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void test_multiple_events_for_same_fd() throws IOException {
        int[] ok = {0};
        EventCallback cb = (e, what) -> {
            if ((what & EV_READ) != 0) {
                ok[0] |= 1;
            } else if ((what & EV_WRITE) != 0) {
                ok[0] |= 2;
            }
        };
        Event e1 = new Event(base, pair.a, EV_READ, cb);
        Event e2 = new Event(base, pair.a, EV_WRITE, cb);
        e1.add();
        e2.add();
        base.loop(EVLOOP_ONCE);
        assertEquals(2, ok[0], "only the write side is ready");
        e2.del();
        SocketPair.write(pair.b, "test");
        base.loop(EVLOOP_ONCE);
        e1.del();
        assertEquals(3, ok[0]);
    }

    @Test
    void test_many_events_for_one_channel() throws IOException {
        // The NIO twist on multiple_events_for_same_fd: one SelectionKey, many events, each dispatched.
        int n = 8;
        int[] calls = new int[n];
        Event[] evs = new Event[n];
        for (int i = 0; i < n; i++) {
            int idx = i;
            evs[i] = new Event(base, pair.b, EV_READ | EV_PERSIST, (e, w) -> calls[idx]++);
            evs[i].add();
        }
        Event writer = new Event(base, pair.b, EV_WRITE, (e, w) -> calls[0] += 1000);
        writer.add();
        SocketPair.write(pair.a, "x");
        while (calls[n - 1] == 0) {
            base.loop(EVLOOP_ONCE);
        }
        assertTrue(calls[0] >= 1001, "writer and reader 0 both served: " + calls[0]);
        for (int i = 1; i < n; i++) {
            assertTrue(calls[i] >= 1, "event " + i);
        }
        evs[3].del();
        int before3 = calls[3];
        int before4 = calls[4];
        base.loop(EVLOOP_ONCE);
        assertEquals(before3, calls[3], "deleted event not served");
        assertTrue(calls[4] > before4, "the others still are");
        for (Event ev : evs) {
            ev.del();
        }
        writer.del();
        assertEquals(1, base.loop(EVLOOP_NONBLOCK), "no events left");
    }

    @Test
    void test_many_events() throws IOException {
        // regress.c many_events: 70 sockets each with a write event, all fire once.
        int n = 70;
        List<SocketPair> pairs = new ArrayList<>();
        int[] called = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                SocketPair p = SocketPair.open();
                pairs.add(p);
                int idx = i;
                new Event(base, p.a, EV_WRITE, (e, w) -> called[idx]++).add();
            }
            assertEquals(1, base.dispatch());
            for (int i = 0; i < n; i++) {
                assertEquals(1, called[i], "socket " + i);
            }
        } finally {
            for (SocketPair p : pairs) {
                p.close();
            }
        }
    }

    @Test
    void test_want_only_once() throws IOException {
        SocketPair.write(pair.a, "test");
        int[] called = {0};
        base.loopExit(Duration.ofMillis(100));
        Event ev = new Event(base, pair.b, EV_READ, (e, w) -> {
            called[0]++;
            try {
                SocketPair.read(pair.b);
            } catch (IOException ex) {
                throw new RuntimeException(ex);
            }
        });
        ev.add();
        base.dispatch();
        assertEquals(1, called[0]);
    }

    @Test
    void test_event_once() throws IOException {
        int[] called = {0};
        base.once(pair.b, EV_READ, (e, w) -> {
            try {
                if (SocketPair.read(pair.b) != null) {
                    called[0] += 100;
                }
            } catch (IOException ex) {
                throw new RuntimeException(ex);
            }
        }, null);
        base.once(null, EV_TIMEOUT, (e, w) -> called[0] += 1, Duration.ofMillis(50));
        assertThrows(IllegalArgumentException.class, () -> base.once(null, 0, (e, w) -> { }, null));
        base.once(null, EV_TIMEOUT, (e, w) -> called[0] += 1000, null);
        base.once(null, EV_TIMEOUT, (e, w) -> called[0] += 1000, Duration.ZERO);
        SocketPair.write(pair.a, "test");
        pair.a.shutdownOutput();
        base.dispatch();
        assertEquals(2101, called[0]);
    }

    @Test
    void test_event_once_never() {
        int[] called = {0};
        base.once(null, EV_TIMEOUT, (e, w) -> called[0]++, Duration.ofSeconds(10));
        base.loopExit(Duration.ofMillis(75));
        base.dispatch();
        assertEquals(0, called[0]);
    }

    @Test
    void test_event_pending() {
        ManualClock clock = new ManualClock();
        EventBase b = new EventBase(new EventConfig().clock(clock));
        Event r = new Event(b, pair.a, EV_READ, (e, w) -> { });
        Event w = new Event(b, pair.a, EV_WRITE, (e, ww) -> { });
        Event t = Event.timer(b, (e, ww) -> { });
        r.add(Duration.ofMillis(500));
        w.add();
        t.add(Duration.ofMillis(500));
        assertEquals(EV_READ | EV_TIMEOUT, r.pending(EV_READ | EV_WRITE | EV_TIMEOUT));
        assertEquals(EV_READ, r.pending(EV_READ));
        assertEquals(EV_WRITE, w.pending(EV_READ | EV_WRITE | EV_TIMEOUT));
        assertEquals(EV_TIMEOUT, t.pending(EV_READ | EV_TIMEOUT));
        assertEquals(500_000_000L, t.pendingDeadlineNanos().getAsLong());
        assertTrue(w.pendingDeadlineNanos().isEmpty());
        r.del();
        w.del();
        t.del();
        assertEquals(0, r.pending(EV_READ | EV_TIMEOUT));
        b.free();
    }

    @Test
    void test_manipulate_active_events() {
        Event ev1 = new Event(base, null, EV_TIMEOUT, (e, w) -> { });
        ev1.activate(EV_READ);
        assertEquals(EV_READ, ev1.pending(EV_READ | EV_TIMEOUT | EV_WRITE));
        ev1.activate(EV_WRITE);
        assertEquals(EV_READ | EV_WRITE, ev1.pending(EV_READ | EV_TIMEOUT | EV_WRITE));
        ev1.del();
        assertEquals(0, ev1.pending(EV_READ | EV_TIMEOUT | EV_WRITE));
    }

    @Test
    void test_event_new_selfarg() {
        Event[] seen = new Event[2];
        Event ev = new Event(base, null, EV_READ, (e, w) -> {
            seen[0] = e;
            seen[1] = base.getRunningEvent();
            base.loopExit();
        });
        ev.activate(EV_READ);
        base.dispatch();
        assertSame(ev, seen[0]);
        assertSame(ev, seen[1]);
        assertNull(base.getRunningEvent());
    }

    @Test
    void test_bad_assign() {
        Event ev = new Event(base, pair.a, EV_READ, (e, w) -> { });
        ev.add();
        assertThrows(IllegalStateException.class, () -> ev.assign(base, pair.b, EV_READ, (e, w) -> { }));
        ev.del();
        ev.assign(base, pair.b, EV_WRITE, (e, w) -> { }); // allowed once not added
        assertEquals(EV_WRITE, ev.getEvents());
        assertSame(pair.b, ev.getChannel());
    }

    @Test
    void test_bad_reentrant() {
        int[] inner = {99};
        Event ev = new Event(base, null, 0, (e, w) -> inner[0] = base.loop(0));
        ev.activate(EV_READ);
        base.dispatch();
        assertEquals(-1, inner[0]);
    }

    @Test
    void test_event_remove_timeout() throws IOException {
        int[] called = {0};
        Event ev = new Event(base, pair.b, EV_READ, (e, w) -> called[0] = w);
        ev.add(Duration.ofMillis(20));
        assertEquals(EV_READ | EV_TIMEOUT, ev.pending(EV_READ | EV_TIMEOUT));
        ev.removeTimer();
        assertEquals(EV_READ, ev.pending(EV_READ | EV_TIMEOUT));
        base.loopExit(Duration.ofMillis(60));
        base.dispatch();
        assertEquals(0, called[0], "the timer was removed, no data came");
        SocketPair.write(pair.a, "x");
        base.dispatch();
        assertEquals(EV_READ, called[0]);
    }

    @Test
    void test_event_del_in_own_callback() {
        int[] count = {0};
        Event ev = new Event(base, null, EV_PERSIST, (e, w) -> {
            if (++count[0] == 3) {
                e.del();
                assertEquals(0, e.pending(EV_TIMEOUT));
            }
        });
        ev.add(Duration.ofMillis(1));
        assertEquals(1, base.dispatch(), "the loop ends when its last event deleted itself");
        assertEquals(3, count[0]);
    }

    @Test
    void test_event_foreach() {
        Event r = new Event(base, pair.a, EV_READ, (e, w) -> { });
        Event rt = new Event(base, pair.b, EV_READ, (e, w) -> { });
        Event t = Event.timer(base, (e, w) -> { });
        Event c = Event.timer(base, (e, w) -> { });
        Event act = new Event(base, null, 0, (e, w) -> { });
        r.add();
        rt.add(Duration.ofSeconds(5));
        t.add(Duration.ofSeconds(5));
        c.add(base.initCommonTimeout(Duration.ofSeconds(7)));
        act.activate(EV_READ);
        List<Event> seen = new ArrayList<>();
        assertEquals(0, base.foreachEvent((b, ev) -> {
            seen.add(ev);
            return 0;
        }));
        assertEquals(5, seen.size());
        assertTrue(seen.containsAll(List.of(r, rt, t, c, act)));
        int[] n = {0};
        assertEquals(42, base.foreachEvent((b, ev) -> ++n[0] == 2 ? 42 : 0));
        assertEquals(2, n[0]);
        assertThrows(IllegalStateException.class, () -> base.foreachEvent((b, ev) -> {
            ev.del();
            return 0;
        }));
        assertEquals(4, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED));
        assertEquals(1, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ACTIVE));
        StringBuilder dump = new StringBuilder();
        try {
            base.dumpEvents(dump);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertTrue(dump.toString().contains("Inserted events:"), dump.toString());
        assertTrue(dump.toString().contains("Active events:"), dump.toString());
        assertTrue(dump.toString().contains("Timeout="), dump.toString());
    }

    @Test
    void test_gettimeofday_cached() throws InterruptedException {
        java.time.Instant[] seen = new java.time.Instant[3];
        Event ev = new Event(base, null, 0, (e, w) -> {
            seen[0] = base.gettimeofdayCached();
            try {
                Thread.sleep(20);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            seen[1] = base.gettimeofdayCached();
            base.updateCacheTime();
            seen[2] = base.gettimeofdayCached();
        });
        ev.activate(EV_READ);
        base.dispatch();
        assertEquals(seen[0], seen[1], "cached within a turn");
        assertTrue(seen[2].isAfter(seen[1]), "update_cache_time refreshes it");

        EventBase nocache = new EventBase(new EventConfig().noCacheTime(true));
        Event ev2 = new Event(nocache, null, 0, (e, w) -> {
            seen[0] = nocache.gettimeofdayCached();
            try {
                Thread.sleep(20);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            seen[1] = nocache.gettimeofdayCached();
        });
        ev2.activate(EV_READ);
        nocache.dispatch();
        assertTrue(seen[1].isAfter(seen[0]), "gettimeofday_cached_disabled");
        nocache.free();
    }

    @Test
    void test_free_active_base() {
        Event a = new Event(base, pair.a, EV_READ, (e, w) -> { });
        Event t = Event.timer(base, (e, w) -> { });
        a.add();
        t.add(Duration.ofSeconds(1));
        a.activate(EV_READ);
        base.free();
        assertTrue(base.isFreed());
        base.free(); // idempotent
        assertThrows(IllegalStateException.class, a::add);
        assertThrows(IllegalStateException.class, () -> base.dispatch());
        // Events of a freed base can move to another base.
        EventBase other = new EventBase();
        int[] ran = {0};
        a.assign(other, pair.a, EV_WRITE, (e, w) -> ran[0]++);
        a.add();
        other.dispatch();
        assertEquals(1, ran[0]);
        other.free();
    }

    @Test
    void test_active_by_fd() throws IOException {
        int[] got = {0, 0};
        Event r = new Event(base, pair.a, EV_READ, (e, w) -> got[0] = w);
        Event w = new Event(base, pair.a, EV_WRITE, (e, ww) -> got[1] = ww);
        r.add();
        w.add();
        w.del();
        base.activeByChannel(pair.a, EV_READ | EV_WRITE);
        base.loop(EVLOOP_NONBLOCK);
        assertEquals(EV_READ, got[0], "only added events are activated by fd");
        assertEquals(0, got[1]);
    }

    @Test
    void test_event_base_get_num_events() {
        assertEquals(0, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED));
        Event ev = Event.timer(base, (e, w) -> { });
        ev.add(Duration.ofSeconds(1));
        assertEquals(1, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED));
        ev.activate(EV_READ);
        assertEquals(1, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ACTIVE));
        assertEquals(2, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ACTIVE | EventBase.EVENT_BASE_COUNT_ADDED));
        ev.del();
        assertEquals(0, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ACTIVE | EventBase.EVENT_BASE_COUNT_ADDED));
    }

    @Test
    void test_unsupported_flags_are_rejected() {
        assertThrows(IllegalArgumentException.class, () -> new Event(base, pair.a, EV_READ | Event.EV_ET, (e, w) -> { }));
        assertThrows(IllegalArgumentException.class, () -> new Event(base, pair.a, Event.EV_CLOSED, (e, w) -> { }));
        Event noChannel = new Event(base, null, EV_READ, (e, w) -> { });
        assertThrows(IllegalStateException.class, noChannel::add);
    }
}
