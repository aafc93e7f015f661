package org.jevent.benchmarks.evbuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.channels.GatheringByteChannel;
import java.util.concurrent.TimeUnit;
import org.jevent.evbuffer.EvBuffer;
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
 * Benchmark (4): steady-state allocation. Add a caller-owned array of {@code size} bytes and take
 * it out again, into a caller-owned array ({@code alloc_evbuffer}) or to a channel
 * ({@code allocChannel_evbuffer}); run with {@code -prof gc} and read
 * {@code gc.alloc.rate.norm}, which must be 0 B/op (within JMH's noise of a few bytes). The
 * Netty lines (a pooled direct buffer taken and released per message) are shown for reference.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled"})
public class AllocationBenchmark {
    @Param({"64", "16384"})
    public int size;

    private byte[] src;
    private byte[] dst;
    private EvBuffer evbuffer;
    private GatheringByteChannel channel;

    @Setup(Level.Trial)
    public void setUp() {
        src = new byte[size];
        dst = new byte[size];
        for (int i = 0; i < size; i++) {
            src[i] = (byte) i;
        }
        evbuffer = new EvBuffer();
        channel = new DiscardChannel();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        evbuffer.free();
    }

    @Benchmark
    public byte[] alloc_evbuffer() {
        evbuffer.add(src);
        evbuffer.remove(dst);
        return dst;
    }

    @Benchmark
    public byte[] alloc_nettyAlloc() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        b.writeBytes(src);
        b.readBytes(dst);
        b.release();
        return dst;
    }

    @Benchmark
    public long allocChannel_evbuffer() throws IOException {
        evbuffer.add(src);
        return evbuffer.writeTo(channel);
    }

    @Benchmark
    public long allocChannel_nettyAlloc() throws IOException {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        b.writeBytes(src);
        int n = b.readBytes(channel, b.readableBytes());
        b.release();
        return n;
    }
}
