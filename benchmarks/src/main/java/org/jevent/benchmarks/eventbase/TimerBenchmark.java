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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 3, benchmark 1: one million timers added with random deadlines (1 s .. 1 h), then all
 * deleted; scored per timer (one add + one del). Side by side:
 * <ul>
 * <li>{@code heap_jevent}: {@code Event.add(Duration)} / {@code del()}: the min-heap with the index
 *     in the event, O(log n) both ways;</li>
 * <li>{@code common_jevent}: the same events on one {@code CommonTimeout} (all share a duration),
 *     O(1) both ways;</li>
 * <li>{@code wheel_netty}: Netty's {@code HashedWheelTimer.newTimeout} / {@code Timeout.cancel}
 *     (100 ms tick, 512 buckets; it allocates a timeout per add and hands both operations to its
 *     worker thread through MPSC queues, so part of its cost lands on that thread);</li>
 * <li>{@code priorityQueue_baseline}: {@code java.util.PriorityQueue} add, then poll until empty.
 *     That is delete-min, its best case: deleting an arbitrary element is {@code remove(Object)},
 *     O(n), which would take hours at 1 M (see {@link TimerSteadyBenchmark} for that case).</li>
 * </ul>
 * jevent's timers run on the calling thread, which is the base's owner: no loop is running.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TimerBenchmark {
    static final int N = 1_000_000;

    private EventBase base;
    private Event[] events;
    private Duration[] delays;
    private long[] delayMillis;
    private CommonTimeout common;
    private HashedWheelTimer wheel;
    private Timeout[] timeouts;
    private final TimerTask noopTask = t -> { };
    private PriorityQueue<Item> pq;
    private Item[] items;

    /** What a PriorityQueue-based timer holds per timer: a deadline and the task. */
    static final class Item implements Comparable<Item> {
        final long deadline;
        final Runnable task;

        Item(long deadline, Runnable task) {
            this.deadline = deadline;
            this.task = task;
        }

        @Override
        public int compareTo(Item o) {
            return Long.compare(deadline, o.deadline);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        base = new EventBase();
        events = new Event[N];
        delays = new Duration[N];
        delayMillis = new long[N];
        items = new Item[N];
        Runnable noop = () -> { };
        for (int i = 0; i < N; i++) {
            events[i] = Event.timer(base, (ev, what) -> { });
            delayMillis[i] = rnd.nextLong(1_000L, 3_600_000L);
            delays[i] = Duration.ofMillis(delayMillis[i]);
            items[i] = new Item(System.nanoTime() + delayMillis[i] * 1_000_000L, noop);
        }
        common = base.initCommonTimeout(Duration.ofSeconds(30));
        wheel = new HashedWheelTimer(r -> {
            Thread t = new Thread(r, "netty-wheel");
            t.setDaemon(true);
            return t;
        }, 100, TimeUnit.MILLISECONDS, 512);
        wheel.start();
        timeouts = new Timeout[N];
        pq = new PriorityQueue<>(N);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        wheel.stop();
        base.free();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void heap_jevent() {
        Event[] evs = events;
        Duration[] ds = delays;
        for (int i = 0; i < N; i++) {
            evs[i].add(ds[i]);
        }
        for (int i = 0; i < N; i++) {
            evs[i].del();
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void common_jevent() {
        Event[] evs = events;
        CommonTimeout ct = common;
        for (int i = 0; i < N; i++) {
            evs[i].add(ct);
        }
        for (int i = 0; i < N; i++) {
            evs[i].del();
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void wheel_netty() {
        Timeout[] ts = timeouts;
        long[] ms = delayMillis;
        for (int i = 0; i < N; i++) {
            ts[i] = wheel.newTimeout(noopTask, ms[i], TimeUnit.MILLISECONDS);
        }
        for (int i = 0; i < N; i++) {
            ts[i].cancel();
            ts[i] = null;
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public int priorityQueue_baseline() {
        PriorityQueue<Item> q = pq;
        Item[] its = items;
        for (int i = 0; i < N; i++) {
            q.add(its[i]);
        }
        int n = 0;
        while (q.poll() != null) {
            n++;
        }
        return n;
    }
}
