package org.jevent.benchmarks.eventbase;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * Issue 3, benchmark 3: cross-thread {@code execute} throughput from one producer (the JMH
 * thread) into a loop running on its own thread: {@value #N} no-op tasks, then one that opens a
 * latch; scored per task. jevent: {@code EventBase.execute} (JCTools MPSC + one
 * {@code Selector.wakeup()} per sleep); Netty: {@code NioEventLoop.execute} (JCTools MPSC + its
 * own wake-up CAS). Needs 2 free cores to mean anything: producer and consumer both run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CrossThreadExecuteBenchmark {
    static final int N = 10_000;

    private EventBase base;
    private Thread jeventLoop;
    private NioEventLoopGroup group;
    private EventLoop nettyLoop;
    private final Runnable noop = () -> { };
    private volatile CountDownLatch done;
    private final Runnable signal = () -> done.countDown();

    @Setup(Level.Trial)
    public void setUp() {
        base = new EventBase();
        jeventLoop = new Thread(() -> base.loop(EventBase.EVLOOP_NO_EXIT_ON_EMPTY), "jevent-loop");
        jeventLoop.start();
        group = new NioEventLoopGroup(1);
        nettyLoop = group.next();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        base.loopBreak();
        jeventLoop.join(5000);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5000);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void execute_jevent() throws InterruptedException {
        CountDownLatch l = new CountDownLatch(1);
        done = l;
        EventBase b = base;
        Runnable r = noop;
        for (int k = 1; k < N; k++) {
            b.execute(r);
        }
        b.execute(signal);
        l.await();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void execute_netty() throws InterruptedException {
        CountDownLatch l = new CountDownLatch(1);
        done = l;
        EventLoop e = nettyLoop;
        Runnable r = noop;
        for (int k = 1; k < N; k++) {
            e.execute(r);
        }
        e.execute(signal);
        l.await();
    }
}
