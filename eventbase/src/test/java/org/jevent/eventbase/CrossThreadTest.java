package org.jevent.eventbase;

import static org.jevent.eventbase.Event.EV_READ;
import static org.jevent.eventbase.Event.EV_WRITE;
import static org.jevent.eventbase.EventBase.EVLOOP_NO_EXIT_ON_EMPTY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The deliberate cross-thread doors (execute, activate, loopExit, loopBreak) and the fail-fast
 * check on every other door. Scenario names follow libevent's test/regress_thread.c where one exists.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CrossThreadTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
    }

    /** Runs the base's dispatch loop on a thread of its own; returns that thread. */
    private static Thread startLoop(EventBase base, int flags, AtomicInteger result) {
        Thread t = new Thread(() -> result.set(base.loop(flags)), "test-loop");
        t.start();
        return t;
    }

    @Test
    void thread_activate_from_another_thread() throws Exception {
        EventBase base = new EventBase();
        CountDownLatch ran = new CountDownLatch(1);
        AtomicReference<Thread> on = new AtomicReference<>();
        AtomicInteger whatSeen = new AtomicInteger();
        Event ev = new Event(base, null, 0, (e, what) -> {
            on.set(Thread.currentThread());
            whatSeen.set(what);
            ran.countDown();
            e.getBase().loopBreak();
        });
        AtomicInteger result = new AtomicInteger(99);
        Thread loop = startLoop(base, EVLOOP_NO_EXIT_ON_EMPTY, result);
        Thread.sleep(50); // let the loop block in select: the activation must wake it
        pool.submit(() -> ev.activate(EV_READ | EV_WRITE)).get();
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        loop.join(5000);
        assertFalse(loop.isAlive());
        assertSame(loop, on.get(), "callback ran on the loop thread");
        assertEquals(EV_READ | EV_WRITE, whatSeen.get());
        assertEquals(0, result.get());
        pool.submit(base::free).get(); // the loop is over: the next caller becomes owner
    }

    @Test
    void thread_many_activations_coalesce() throws Exception {
        EventBase base = new EventBase();
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger bits = new AtomicInteger();
        Event ev = new Event(base, null, 0, (e, what) -> {
            calls.incrementAndGet();
            bits.accumulateAndGet(what, (a, b) -> a | b);
        });
        // Loop not running: activations from another thread queue up and OR together.
        pool.submit(() -> {
            for (int i = 0; i < 1000; i++) {
                ev.activate(i % 2 == 0 ? EV_READ : EV_WRITE);
            }
        }).get();
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(1, calls.get(), "one queued activation, bits OR-ed, as event_active on an active event");
        assertEquals(EV_READ | EV_WRITE, bits.get());
        base.free();
    }

    @Test
    void execute_from_many_producers_runs_all_in_per_producer_order() throws Exception {
        EventBase base = new EventBase();
        int producers = 4;
        int perProducer = 20_000;
        int[] last = new int[producers];
        java.util.Arrays.fill(last, -1);
        AtomicInteger bad = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(producers * perProducer);
        AtomicInteger result = new AtomicInteger(99);
        Thread loop = startLoop(base, EVLOOP_NO_EXIT_ON_EMPTY, result);
        List<Future<?>> fs = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int pid = p;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < perProducer; i++) {
                    int seq = i;
                    base.execute(() -> {
                        if (!base.isInLoopThread() || last[pid] != seq - 1) {
                            bad.incrementAndGet();
                        }
                        last[pid] = seq;
                        done.countDown();
                    });
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        assertTrue(done.await(10, TimeUnit.SECONDS));
        base.loopBreak();
        loop.join(5000);
        assertFalse(loop.isAlive());
        assertEquals(0, bad.get());
    }

    @Test
    void loopexit_and_loopbreak_from_another_thread_wake_the_loop() throws Exception {
        EventBase base = new EventBase();
        Event far = Event.timer(base, (e, w) -> { });
        far.add(Duration.ofHours(1));
        AtomicInteger result = new AtomicInteger(99);
        Thread loop = startLoop(base, 0, result);
        Thread.sleep(50);
        base.loopExit(Duration.ofMillis(10)); // from the test thread: a foreign thread now
        loop.join(5000);
        assertFalse(loop.isAlive(), "loopExit from another thread ended the loop");
        assertEquals(0, result.get());

        loop = startLoop(base, 0, result);
        // A loopBreak issued before the loop starts is forgotten (as in C): wait until it runs.
        CountDownLatch running = new CountDownLatch(1);
        base.execute(running::countDown);
        assertTrue(running.await(5, TimeUnit.SECONDS));
        base.loopBreak();
        loop.join(5000);
        assertFalse(loop.isAlive(), "loopBreak from another thread ended the loop");
        pool.submit(() -> {
            assertTrue(base.gotBreak());
            far.del();
            base.free();
        }).get();
    }

    @Test
    void foreign_calls_fail_fast_naming_the_owner() throws Exception {
        EventBase base = new EventBase();
        Event ev = Event.timer(base, (e, w) -> { });
        String owner = Thread.currentThread().getName();
        Future<Throwable> f = pool.submit(() -> {
            try {
                ev.add(Duration.ofSeconds(1));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Throwable t = f.get();
        assertNotNull(t);
        assertTrue(t instanceof IllegalStateException);
        assertTrue(t.getMessage().contains(owner), t.getMessage());
        for (Runnable r : new Runnable[] {ev::del, () -> ev.pending(Event.EV_TIMEOUT), base::free, () -> base.initCommonTimeout(Duration.ofSeconds(1)),
                () -> new DeferredCallback(base, () -> { }).schedule(), () -> base.once(null, Event.EV_TIMEOUT, (e, w) -> { }, null),
                base::checkInLoopThread, () -> base.gettimeMonotonic()}) {
            Throwable x = pool.submit(() -> {
                try {
                    r.run();
                    return null;
                } catch (Throwable th) {
                    return th;
                }
            }).get();
            assertTrue(x instanceof IllegalStateException, "got " + x);
        }
        assertFalse(pool.submit(base::isInLoopThread).get());
        assertTrue(base.isInLoopThread());
        base.free();
    }

    @Test
    void a_throwing_callback_is_logged_and_the_loop_goes_on() {
        EventBase base = new EventBase();
        AtomicInteger thrower = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        Event bad = new Event(base, null, Event.EV_PERSIST, (e, w) -> {
            if (thrower.incrementAndGet() == 3) {
                e.del();
            }
            throw new IllegalStateException("boom (expected by the test)");
        });
        Event good = new Event(base, null, Event.EV_PERSIST, (e, w) -> {
            if (other.incrementAndGet() == 3) {
                e.del();
            }
        });
        bad.add(Duration.ofMillis(1));
        good.add(Duration.ofMillis(1));
        base.execute(() -> {
            throw new IllegalArgumentException("task boom (expected by the test)");
        });
        assertEquals(1, base.dispatch());
        assertEquals(3, thrower.get(), "the throwing persistent event kept being served");
        assertEquals(3, other.get());
        base.free();
    }

    @Test
    void execute_after_free_is_refused() {
        EventBase base = new EventBase();
        base.free();
        assertThrows(IllegalStateException.class, () -> base.execute(() -> { }));
    }
}
