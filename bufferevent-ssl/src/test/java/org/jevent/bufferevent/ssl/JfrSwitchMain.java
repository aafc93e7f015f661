package org.jevent.bufferevent.ssl;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Name;
import jdk.jfr.consumer.RecordingStream;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventConfig;

/**
 * Run in a child JVM by {@link JfrSwitchTest}, with and without {@code -Djevent.jfr=false}: under
 * a recording that enables every jevent event, it does what fires each of them: a TLS connection
 * over loopback (ConnectionOpen, TlsHandshake, ConnectionClose) on a base whose stall threshold
 * is 50 ms, one callback that holds that loop (LoopStall) and the base living through it
 * (LoopStatistics, every 100 ms). Then it prints, one per line, {@code NAME=COUNT} for each
 * jevent event type, and what it checked of the library's ordinary behaviour
 * ({@code running=true}: {@code getRunningEvent} named the callback's event; {@code echoed=N}).
 *
 * <p>How the end is bounded without guessing at JFR's delivery: the last thing the program
 * commits is a marker event of its own, and it waits until the stream has delivered the marker;
 * every event committed before it, by any thread, was flushed with it or earlier. The loop is
 * held until the stream has seen a LoopStall, or for 3 s (60 thresholds) when none comes.
 */
public final class JfrSwitchMain {
    static final List<String> EVENTS = List.of("org.jevent.LoopStall", "org.jevent.LoopStatistics",
            "org.jevent.ConnectionOpen", "org.jevent.ConnectionClose", "org.jevent.TlsHandshake");

    /** The test's own event: its arrival says that everything committed before it has arrived. */
    @Name("org.jevent.test.Marker")
    static final class Marker extends jdk.jfr.Event {
    }

    private JfrSwitchMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
        CountDownLatch stallSeen = new CountDownLatch(1);
        CountDownLatch markerSeen = new CountDownLatch(1);
        try (RecordingStream rs = new RecordingStream()) {
            for (String name : EVENTS) {
                rs.enable(name);
                rs.onEvent(name, e -> counts.computeIfAbsent(name, n -> new AtomicLong()).incrementAndGet());
            }
            rs.enable("org.jevent.LoopStatistics").withPeriod(Duration.ofMillis(100));
            rs.onEvent("org.jevent.LoopStall", e -> stallSeen.countDown());
            rs.enable(Marker.class);
            rs.onEvent("org.jevent.test.Marker", e -> markerSeen.countDown());
            rs.startAsync();

            EventBase base = new EventBase(new EventConfig().stallThreshold(Duration.ofMillis(50)));
            boolean[] running = {false};
            Event holder = new Event(base, null, 0, (ev, what) -> {
                running[0] = base.getRunningEvent() == ev;
                try {
                    stallSeen.await(3, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            holder.activate(Event.EV_READ);
            base.loop(EventBase.EVLOOP_NONBLOCK);
            long echoed = DebugLoggingMain.tlsEchoOnce(base);
            base.free();

            Marker m = new Marker();
            m.commit();
            if (!markerSeen.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the recording stream never delivered the marker");
            }
            Map<String, Long> out = new TreeMap<>();
            for (String name : EVENTS) {
                AtomicLong n = counts.get(name);
                out.put(name, n == null ? 0 : n.get());
            }
            out.forEach((name, n) -> System.out.println(name + "=" + n));
            System.out.println("running=" + running[0]);
            System.out.println("echoed=" + echoed);
        }
    }
}
