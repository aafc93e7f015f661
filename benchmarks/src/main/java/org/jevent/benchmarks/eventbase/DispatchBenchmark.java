package org.jevent.benchmarks.eventbase;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * Issue 3, benchmark 2: the active-event dispatch rate. Each op is one callback scheduled and
 * run on the loop thread by the loop thread itself: jevent activates {@value #N} events
 * ({@code Event.activate}, into the priority's active queue) and its loop runs them; Netty's
 * {@code NioEventLoop} gets {@value #N} {@code execute(task)} calls from inside the loop (into its
 * MPSC task queue) and runs them. Both start from one cross-thread kick per batch and end with a
 * latch, so the hand-off cost is shared the same way and amortized over {@value #N} callbacks.
 * No allocation per callback on either side (the same Event objects, the same Runnable).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DispatchBenchmark {
    static final int N = 1000;

    private EventBase base;
    private Thread jeventLoop;
    private Event[] events;
    private Runnable jeventKick;
    private int jeventRan;

    private NioEventLoopGroup group;
    private EventLoop nettyLoop;
    private Runnable nettyKick;
    private Runnable nettyTask;
    private int nettyRan;

    private volatile CountDownLatch done;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        base = new EventBase();
        events = new Event[N];
        for (int k = 0; k < N; k++) {
            events[k] = new Event(base, null, 0, (ev, what) -> {
                if (++jeventRan == N) {
                    jeventRan = 0;
                    done.countDown();
                }
            });
        }
        jeventKick = () -> {
            Event[] evs = events;
            for (int k = 0; k < N; k++) {
                evs[k].activate(Event.EV_READ);
            }
        };
        jeventLoop = new Thread(() -> base.loop(EventBase.EVLOOP_NO_EXIT_ON_EMPTY), "jevent-loop");
        jeventLoop.start();

        group = new NioEventLoopGroup(1);
        nettyLoop = group.next();
        nettyTask = () -> {
            if (++nettyRan == N) {
                nettyRan = 0;
                done.countDown();
            }
        };
        nettyKick = () -> {
            EventLoop l = nettyLoop;
            Runnable t = nettyTask;
            for (int k = 0; k < N; k++) {
                l.execute(t);
            }
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        base.loopBreak();
        jeventLoop.join(5000);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5000);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void activate_jevent() throws InterruptedException {
        CountDownLatch l = new CountDownLatch(1);
        done = l;
        base.execute(jeventKick);
        l.await();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void execute_netty() throws InterruptedException {
        CountDownLatch l = new CountDownLatch(1);
        done = l;
        nettyLoop.execute(nettyKick);
        l.await();
    }
}
