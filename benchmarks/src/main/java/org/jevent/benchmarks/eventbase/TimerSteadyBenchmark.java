package org.jevent.benchmarks.eventbase;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.jevent.eventbase.CommonTimeout;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 3, benchmark 1, second half: the cost of one add + del while {@code pending} other timers
 * wait. The floor "common-timeout cost independent of how many share it" is read here:
 * {@code common_jevent} must stay flat from 1 000 to 1 000 000 pending events on the same
 * {@code CommonTimeout}; {@code heap_jevent} grows with log(pending); Netty's wheel is O(1) by
 * design; {@code priorityQueue_removeObject} is what a heap without a stored index pays for an
 * arbitrary delete (O(pending)).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TimerSteadyBenchmark {
    @Param({"1000", "1000000"})
    public int pending;

    private static final int MASK = 1023;
    private EventBase base;
    private Event[] filler;
    private Event[] commonFiller;
    private Event probe;
    private Duration[] delays;
    private long[] delayMillis;
    private CommonTimeout common;
    private HashedWheelTimer wheel;
    private final TimerTask noopTask = t -> { };
    private PriorityQueue<Long> pq;
    private Long[] boxed;
    private int i;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(7);
        base = new EventBase();
        common = base.initCommonTimeout(Duration.ofMinutes(10));
        filler = new Event[pending];
        commonFiller = new Event[pending];
        wheel = new HashedWheelTimer(r -> {
            Thread t = new Thread(r, "netty-wheel");
            t.setDaemon(true);
            return t;
        }, 100, TimeUnit.MILLISECONDS, 512);
        pq = new PriorityQueue<>(pending + 1);
        for (int k = 0; k < pending; k++) {
            long ms = rnd.nextLong(1_000L, 3_600_000L);
            filler[k] = Event.timer(base, (ev, w) -> { });
            filler[k].add(Duration.ofMillis(ms));
            commonFiller[k] = Event.timer(base, (ev, w) -> { });
            commonFiller[k].add(common);
            wheel.newTimeout(noopTask, ms, TimeUnit.MILLISECONDS);
            pq.add(System.nanoTime() + ms * 1_000_000L);
        }
        probe = Event.timer(base, (ev, w) -> { });
        delays = new Duration[MASK + 1];
        delayMillis = new long[MASK + 1];
        boxed = new Long[MASK + 1];
        for (int k = 0; k <= MASK; k++) {
            delayMillis[k] = rnd.nextLong(1_000L, 3_600_000L);
            delays[k] = Duration.ofMillis(delayMillis[k]);
            boxed[k] = System.nanoTime() + delayMillis[k] * 1_000_000L;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        wheel.stop();
        base.free();
    }

    @Benchmark
    public void heap_jevent() {
        probe.add(delays[i++ & MASK]);
        probe.del();
    }

    @Benchmark
    public void common_jevent() {
        probe.add(common);
        probe.del();
    }

    @Benchmark
    public void wheel_netty() {
        Timeout t = wheel.newTimeout(noopTask, delayMillis[i++ & MASK], TimeUnit.MILLISECONDS);
        t.cancel();
    }

    @Benchmark
    public boolean priorityQueue_removeObject() {
        Long v = boxed[i++ & MASK];
        pq.add(v);
        return pq.remove(v);
    }
}
