package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The JFR events a base emits, as JDK Mission Control would read them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopEventsTest {

    @Test
    void the_event_types_are_registered_once_jfr_runs_under_the_jevent_category() throws Exception {
        EventBase base = new EventBase();
        try (RecordingStream rs = new RecordingStream()) {
            rs.startAsync();
            // The watchdog registers the types on its first tick after JFR started.
            while (!LoopEvents.registered()) {
                Thread.sleep(5);
            }
            List<String> stats = null;
            List<String> stall = null;
            for (EventType t : FlightRecorder.getFlightRecorder().getEventTypes()) {
                if (t.getName().equals("org.jevent.LoopStatistics")) {
                    stats = t.getCategoryNames();
                } else if (t.getName().equals("org.jevent.LoopStall")) {
                    stall = t.getCategoryNames();
                }
            }
            assertEquals(List.of("jevent", "Event Loop"), stats);
            assertEquals(List.of("jevent", "Event Loop"), stall);
        } finally {
            base.free();
        }
    }

    @Test
    void loop_statistics_count_what_the_loop_did() throws Exception {
        EventBase base = new EventBase();
        String name = base.toString();
        Thread me = Thread.currentThread();
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        CountDownLatch busyPeriod = new CountDownLatch(1);
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("org.jevent.LoopStatistics").withPeriod(Duration.ofMillis(100));
            rs.onEvent("org.jevent.LoopStatistics", e -> {
                if (name.equals(e.getString("base")) && e.getThread("loopThread").getJavaName().equals(me.getName())) {
                    seen.add(e);
                    if (e.getLong("turns") > 0 && e.getLong("callbacks") > 0 && e.getLong("timers") > 0
                            && e.getLong("tasks") > 0) {
                        busyPeriod.countDown();
                    }
                }
            });
            rs.startAsync();
            int[] n = {0};
            Event active = new Event(base, null, 0, (e, w) -> n[0]++);
            Event timer = Event.timer(base, (e, w) -> n[0]++);
            Runnable task = () -> n[0]++;
            // Work until a whole period with all four kinds of work has been reported.
            while (!busyPeriod.await(1, TimeUnit.MILLISECONDS)) {
                active.activate(Event.EV_READ);
                timer.add(Duration.ZERO);
                base.execute(task);
                base.loop(EventBase.EVLOOP_NONBLOCK);
            }
            assertTrue(n[0] > 0);
        } finally {
            base.free();
        }
        assertTrue(seen.stream().allMatch(e -> e.getLong("turns") >= 0 && e.getLong("callbacks") >= 0), "counts are deltas");
    }

    /**
     * A runtime without the jdk.jfr module (as a jlink image may be): bases work, a stall is
     * still reported (through stderr here: the child has no SLF4J binding), nothing fails to load.
     */
    @Test
    void a_runtime_without_jdk_jfr_runs_bases_and_reports_stalls() throws Exception {
        ChildJvm.Result r = ChildJvm.runWithoutSlf4jBinding(StallingMain.class, "--limit-modules", "java.base,jdk.unsupported");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("jfr=false"), r.out());
        assertTrue(r.err().contains("WARN " + StallWatchdog.class.getName() + " - loop stall: "), r.err());
        assertTrue(r.err().contains("holdTheLoop"), r.err());
    }

    /** The child JVM of {@link #a_runtime_without_jdk_jfr_runs_bases_and_reports_stalls}. */
    static final class StallingMain {
        public static void main(String[] args) {
            EventBase base = new EventBase(new EventConfig().stallThreshold(Duration.ofMillis(50)));
            new Event(base, null, 0, (e, w) -> holdTheLoop()).activate(Event.EV_READ);
            base.loop(EventBase.EVLOOP_NONBLOCK);
            base.free();
            System.out.println("jfr=" + JfrHooks.AVAILABLE);
        }

        /** Long enough for the watchdog to see a 50 ms stall many times over: 40 of its 12.5 ms ticks. */
        static void holdTheLoop() {
            long start = StallWatchdog.INSTANCE.ticks();
            while (StallWatchdog.INSTANCE.ticks() < start + 40) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ex) {
                    return;
                }
            }
        }
    }
}
