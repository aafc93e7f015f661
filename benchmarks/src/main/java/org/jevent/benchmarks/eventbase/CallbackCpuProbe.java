package org.jevent.benchmarks.eventbase;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * CPU nanoseconds per dispatched callback on one thread, read from the thread's own CPU clock
 * rather than the wall clock, so that other work on a shared machine moves it far less than a
 * JMH score (which measures time while the thread waits for a core too). Each batch activates
 * {@value #EVENTS} events and runs them in one non-blocking loop turn, on the calling thread;
 * the figure is the median over the batches after a warm-up. For the cost of the per-callback
 * and per-turn bookkeeping of the loop-stall detector and JFR statistics: run it in a JVM with
 * and one without {@code -Djevent.jfr=false}, in turns (see PERF-NOTES.md).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.eventbase.CallbackCpuProbe [batches]</pre>
 */
public final class CallbackCpuProbe {
    static final int EVENTS = 1000;

    private CallbackCpuProbe() {
    }

    public static void main(String[] args) {
        int batches = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        EventBase base = new EventBase();
        int[] ran = {0};
        Event[] events = new Event[EVENTS];
        for (int i = 0; i < EVENTS; i++) {
            events[i] = new Event(base, null, 0, (ev, what) -> ran[0]++);
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        double[] perCallback = new double[batches];
        for (int round = 0; round < 2; round++) { // the first round is the warm-up
            for (int b = 0; b < batches; b++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                for (Event e : events) {
                    e.activate(Event.EV_READ);
                }
                base.loop(EventBase.EVLOOP_NONBLOCK);
                perCallback[b] = (cpu.getCurrentThreadCpuTime() - t0) / (double) EVENTS;
            }
        }
        base.free();
        Arrays.sort(perCallback);
        System.out.printf(Locale.ROOT, "jevent.jfr=%s: %.2f ns CPU per callback (median of %d batches of %d; p25 %.2f,"
                + " p75 %.2f), %d callbacks%n", System.getProperty("jevent.jfr", "(unset)"), perCallback[batches / 2],
                batches, EVENTS, perCallback[batches / 4], perCallback[3 * batches / 4], ran[0]);
    }
}
