package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A base with only a far timer must sleep in select, not spin: measured in thread CPU time. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class IdleCpuTest {

    @Test
    void idle_base_with_far_timer_uses_almost_no_cpu() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(mx.isThreadCpuTimeSupported());
        // Built here, run there: entering the loop makes the loop thread the owner.
        EventBase base = new EventBase();
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger result = new AtomicInteger(99);
        Event far = Event.timer(base, (e, w) -> { });
        far.add(Duration.ofHours(1));
        new Event(base, null, 0, (e, w) -> started.countDown()).activate(Event.EV_READ);
        Thread loop = new Thread(() -> result.set(base.dispatch()), "idle-loop");
        loop.start();
        assertTrue(started.await(5, TimeUnit.SECONDS));
        long cpu0 = mx.getThreadCpuTime(loop.getId());
        Thread.sleep(1000);
        long cpu1 = mx.getThreadCpuTime(loop.getId());
        base.loopBreak();
        loop.join(5000);
        assertFalse(loop.isAlive());
        assertEquals(0, result.get());
        far.del(); // the loop thread is gone: this thread adopts the base
        base.free();
        long usedMs = TimeUnit.NANOSECONDS.toMillis(cpu1 - cpu0);
        assertTrue(usedMs < 50, "idle loop burned " + usedMs + " ms of CPU in one second");
    }
}
