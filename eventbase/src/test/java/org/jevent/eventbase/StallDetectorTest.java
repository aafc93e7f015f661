package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.Level;

/**
 * The loop-stall detector: a callback that holds the loop past the threshold is reported once,
 * by name and with the loop thread's stack, in the log and as a JFR event; a busy but fast loop
 * and an idle loop are not. Bounded by the watchdog's ticks and latches, not by sleeps.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StallDetectorTest {
    private static final Duration THRESHOLD = Duration.ofMillis(100);

    /** A named callback class, so that the report can be checked for its name. */
    static final class SleepyCallback implements EventCallback {
        final CountDownLatch reported;

        SleepyCallback(CountDownLatch reported) {
            this.reported = reported;
        }

        @Override
        public void call(Event ev, int what) {
            holdTheLoop(reported);
        }
    }

    /** Sleeps on the loop thread until the stall has been reported and seen a few more ticks. */
    static void holdTheLoop(CountDownLatch reported) {
        try {
            if (reported.await(20, TimeUnit.SECONDS)) {
                // Hold on for a few more watchdog ticks: the same stall must not be reported twice.
                long ticks = StallWatchdog.INSTANCE.ticks();
                while (StallWatchdog.INSTANCE.ticks() < ticks + 5) {
                    Thread.sleep(5);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void a_callback_sleeping_past_the_threshold_is_reported_once_with_its_name_and_stack() throws Exception {
        EventBase base = new EventBase(new EventConfig().stallThreshold(THRESHOLD));
        RecordingLogger log = new RecordingLogger();
        base.stallWatch().log = log;
        List<RecordedEvent> jfr = new CopyOnWriteArrayList<>();
        CountDownLatch jfrSeen = new CountDownLatch(1);
        try (RecordingStream rs = new RecordingStream(); SocketPair pair = SocketPair.open()) {
            rs.enable("org.jevent.LoopStall");
            rs.onEvent("org.jevent.LoopStall", e -> {
                jfr.add(e);
                jfrSeen.countDown();
            });
            rs.startAsync();
            // The callback sleeps until the report has come through the log.
            Event ev = new Event(base, pair.b, Event.EV_READ, new SleepyCallback(log.first));
            ev.add();
            SocketPair.write(pair.a, "x");
            base.loop(EventBase.EVLOOP_ONCE);

            assertEquals(1, log.entries.size(), "one report per stall: " + log.entries);
            RecordingLogger.Entry entry = log.entries.get(0);
            assertEquals(Level.WARN, entry.level());
            String msg = entry.message();
            assertTrue(msg.contains(SleepyCallback.class.getName()), msg);
            assertTrue(msg.contains(pair.b.toString()), "names the event and its channel: " + msg);
            assertTrue(msg.contains("holdTheLoop"), "the loop thread's stack: " + msg);
            assertTrue(msg.contains("threshold 100 ms"), msg);

            assertTrue(jfrSeen.await(20, TimeUnit.SECONDS), "no org.jevent.LoopStall event");
            RecordedEvent e = jfr.get(0);
            assertEquals(SleepyCallback.class.getName(), e.getString("callbackClass"));
            assertTrue(e.getString("running").contains(pair.b.toString()), e.getString("running"));
            assertTrue(e.getString("loopStack").contains("holdTheLoop"), e.getString("loopStack"));
            assertTrue(e.getLong("heldFor") >= THRESHOLD.toNanos(), "held " + e.getLong("heldFor"));
            assertEquals(THRESHOLD.toNanos(), e.getLong("threshold"));
            assertEquals(Thread.currentThread().getName(), e.getThread("loopThread").getJavaName());
        } finally {
            base.free();
        }
    }

    @Test
    void a_busy_fast_loop_and_an_idle_loop_report_nothing() throws Exception {
        Duration threshold = Duration.ofMillis(300);
        EventBase base = new EventBase(new EventConfig().stallThreshold(threshold));
        RecordingLogger log = new RecordingLogger();
        base.stallWatch().log = log;
        // Busy: short callbacks back to back, for as many watchdog ticks as three thresholds take.
        long ticksNeeded = 3 * threshold.toNanos() / StallWatchdog.INSTANCE.tickNanos() + 1;
        long start = StallWatchdog.INSTANCE.ticks();
        int[] runs = {0};
        Event busy = new Event(base, null, Event.EV_PERSIST, (e, w) -> runs[0]++);
        while (StallWatchdog.INSTANCE.ticks() - start < ticksNeeded) {
            busy.activate(Event.EV_READ);
            base.loop(EventBase.EVLOOP_NONBLOCK);
        }
        assertTrue(runs[0] > 100, "ran " + runs[0]);
        // Idle: blocked in select (not in a callback) across as many ticks.
        start = StallWatchdog.INSTANCE.ticks();
        Event tick = Event.timer(base, (e, w) -> { });
        while (StallWatchdog.INSTANCE.ticks() - start < ticksNeeded) {
            tick.add(threshold.multipliedBy(2));
            base.loop(EventBase.EVLOOP_ONCE);
        }
        assertTrue(log.entries.isEmpty(), "reported " + log.entries);
        base.free();
    }

    @Test
    void a_base_with_the_detector_off_is_listed_but_never_reported() throws Exception {
        EventBase off = new EventBase(new EventConfig().stallThreshold(null));
        RecordingLogger log = new RecordingLogger();
        off.stallWatch().log = log;
        EventBase on = new EventBase(new EventConfig().stallThreshold(Duration.ofMillis(50)));
        assertEquals(0, off.stallWatch().thresholdNanos);
        assertEquals(EventConfig.DEFAULT_STALL_THRESHOLD.toNanos(), new EventConfig().stallThresholdNanos);
        assertTrue(StallWatchdog.INSTANCE.isRegistered(off.stallWatch()), "listed for the JFR statistics");
        // Hold the loop of "off" for many ticks of a 50 ms threshold: nothing is said.
        new Event(off, null, 0, (e, w) -> {
            long start = StallWatchdog.INSTANCE.ticks();
            while (StallWatchdog.INSTANCE.ticks() < start + 20) {
                sleepQuietly();
            }
        }).activate(Event.EV_READ);
        off.loop(EventBase.EVLOOP_NONBLOCK);
        assertTrue(log.entries.isEmpty(), "reported " + log.entries);
        on.free();
        off.free();
        assertFalse(StallWatchdog.INSTANCE.isRegistered(on.stallWatch()), "free unregisters");
        assertFalse(StallWatchdog.INSTANCE.isRegistered(off.stallWatch()), "free unregisters");
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
