package org.jevent.eventbase;

import static org.jevent.eventbase.Event.EV_PERSIST;
import static org.jevent.eventbase.Event.EV_READ;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DESIGN.md's performance rule, checked: the loop thread allocates nothing per dispatched event in
 * the steady state (I/O through select, timers, activations, deferred callbacks, cross-thread
 * tasks). Measured with HotSpot's per-thread allocation counter after a warm-up; the bound of
 * 1 byte per event leaves room for a stray allocation, not for one per event.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AllocationTest {
    private com.sun.management.ThreadMXBean mx;

    @BeforeEach
    void setUp() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        mx = (com.sun.management.ThreadMXBean) bean;
        Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
    }

    private long allocated() {
        return mx.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** Runs {@code turn} warm-up times, then measures {@code n} more; returns bytes per turn. */
    private double bytesPerTurn(Runnable turn, int warm, int n) {
        for (int i = 0; i < warm; i++) {
            turn.run();
        }
        long before = allocated();
        for (int i = 0; i < n; i++) {
            turn.run();
        }
        return (allocated() - before) / (double) n;
    }

    @Test
    void io_dispatch_ping_pong_allocates_nothing() throws IOException {
        EventBase base = new EventBase();
        try (SocketPair pair = SocketPair.open()) {
            ByteBuffer bufA = ByteBuffer.allocateDirect(16);
            ByteBuffer bufB = ByteBuffer.allocateDirect(16);
            AtomicInteger bounces = new AtomicInteger();
            // Each side reads its byte and sends one back: one I/O event per turn.
            new Event(base, pair.a, EV_READ | EV_PERSIST, (e, w) -> bounce(pair.a, bufA, bounces)).add();
            new Event(base, pair.b, EV_READ | EV_PERSIST, (e, w) -> bounce(pair.b, bufB, bounces)).add();
            bufA.clear().put((byte) 1).flip();
            pair.a.write(bufA);
            double perTurn = bytesPerTurn(() -> base.loop(EventBase.EVLOOP_ONCE), 20_000, 20_000);
            assertTrue(bounces.get() >= 40_000, "bounced " + bounces.get());
            assertTrue(perTurn < 1.0, "select + dispatch allocated " + perTurn + " bytes per turn");
        } finally {
            base.free();
        }
    }

    private static void bounce(java.nio.channels.SocketChannel ch, ByteBuffer buf, AtomicInteger bounces) {
        try {
            buf.clear();
            if (ch.read(buf) > 0) {
                buf.flip();
                ch.write(buf);
                bounces.incrementAndGet();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void timers_activations_and_deferred_allocate_nothing() {
        ManualClock clock = new ManualClock();
        EventBase base = new EventBase(new EventConfig().clock(clock).priorities(3));
        int[] calls = {0};
        DeferredCallback deferred = new DeferredCallback(base, () -> calls[0]++);
        Event[] active = new Event[16];
        for (int i = 0; i < active.length; i++) {
            active[i] = new Event(base, null, 0, (e, w) -> {
                calls[0]++;
                deferred.schedule();
            });
            active[i].prioritySet(i % 3);
        }
        Event periodic = new Event(base, null, EV_PERSIST, (e, w) -> calls[0]++);
        periodic.add(Duration.ofMillis(1));
        CommonTimeout common = base.initCommonTimeout(Duration.ofMillis(2));
        Event[] idle = new Event[64];
        for (int i = 0; i < idle.length; i++) {
            idle[i] = Event.timer(base, (e, w) -> calls[0]++);
        }
        Duration shortDelay = Duration.ofMillis(1);
        double perTurn = bytesPerTurn(() -> {
            for (Event ev : active) {
                ev.activate(EV_READ);
            }
            for (int i = 0; i < idle.length; i++) {
                // Re-arm as a bufferevent re-arms its timeouts: half in the heap, half common.
                if ((i & 1) == 0) {
                    idle[i].add(shortDelay);
                } else {
                    idle[i].add(common);
                }
            }
            clock.advanceNanos(1_000_000L);
            base.loop(EventBase.EVLOOP_NONBLOCK);
        }, 5_000, 5_000);
        assertTrue(calls[0] > 100_000, "ran " + calls[0]);
        assertTrue(perTurn < 1.0, "allocated " + perTurn + " bytes per turn of ~100 callbacks");
        base.free();
    }

    @Test
    void cross_thread_tasks_allocate_nothing_on_the_loop_thread() throws Exception {
        EventBase base = new EventBase();
        int tasks = 400_000;
        AtomicInteger ran = new AtomicInteger();
        Runnable task = ran::incrementAndGet;
        Event ev = new Event(base, null, 0, (e, w) -> ran.incrementAndGet());
        Thread producer = new Thread(() -> {
            for (int i = 0; i < tasks; i++) {
                base.execute(task);
                if ((i & 1023) == 0) {
                    ev.activate(EV_READ);
                }
            }
        }, "producer");
        // Warm up the drain path, then measure the loop thread while a producer feeds it.
        for (int i = 0; i < 50_000; i++) {
            base.execute(task);
        }
        base.loop(EventBase.EVLOOP_NONBLOCK);
        long before = allocated();
        producer.start();
        while (ran.get() < 50_000 + tasks) {
            base.loop(EventBase.EVLOOP_NONBLOCK);
        }
        long bytes = allocated() - before;
        producer.join();
        assertTrue(bytes / (double) tasks < 1.0, "loop thread allocated " + bytes + " bytes for " + tasks + " tasks");
        base.free();
    }
}
