package org.jevent.benchmarks.evbuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.Random;
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
 * Benchmark (1): 16 KiB in and out of a buffer, EvBuffer against Netty's pooled direct
 * {@code ByteBuf} and against the bare copy bound, in one run so that the scores can be read
 * as ratios.
 *
 * <ul>
 * <li>{@code copy_*}: add 16 KiB from a {@code byte[]}, then remove them into a {@code byte[]}.
 *     {@code copy_arraycopy} is the floor no buffer can beat: one {@code System.arraycopy} in,
 *     one out.</li>
 * <li>{@code channel_*}: add 16 KiB from a {@code byte[]}, then write them to a channel (the
 *     {@code sink} parameter: {@code discard}, a gathering channel that consumes the buffers
 *     without copying, or {@code devnull}, a {@code FileChannel} on {@code /dev/null}).
 *     {@code channel_directPut} is the bound: put into one direct {@code ByteBuffer}, write
 *     it.</li>
 * </ul>
 * Netty is measured two ways: {@code nettyAlloc} takes a pooled direct buffer per message and
 * releases it (what a Netty pipeline does, and what EvBuffer does with its segments), and
 * {@code nettyReuse} keeps one buffer and clears it. Floors: EvBuffer at least 1.0x Netty and
 * at least 0.5x the copy bound.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled"})
public class CopyBenchmark {
    static final int SIZE = 16 * 1024;

    /** The channel of the {@code channel_*} benchmarks: a state of its own, so only they carry its parameter. */
    @State(Scope.Thread)
    public static class Sink {
        /** {@code discard} (no copy, no syscall) or {@code devnull} (FileChannel on /dev/null). */
        @Param({"discard"})
        public String sink;

        GatheringByteChannel channel;

        @Setup(Level.Trial)
        public void open() {
            channel = DiscardChannel.open(sink);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
        }
    }

    private byte[] src;
    private byte[] mid;
    private byte[] dst;
    private EvBuffer evbuffer;
    private ByteBuf nettyReused;
    private ByteBuffer direct;

    @Setup(Level.Trial)
    public void setUp() {
        src = new byte[SIZE];
        new Random(42).nextBytes(src);
        mid = new byte[SIZE];
        dst = new byte[SIZE];
        evbuffer = new EvBuffer();
        nettyReused = PooledByteBufAllocator.DEFAULT.directBuffer(SIZE);
        direct = ByteBuffer.allocateDirect(SIZE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        evbuffer.free();
        nettyReused.release();
    }

    // ------------------------------------------------------------ add, remove to byte[]

    @Benchmark
    public byte[] copy_evbuffer() {
        EvBuffer b = evbuffer;
        b.add(src);
        b.remove(dst);
        return dst;
    }

    @Benchmark
    public byte[] copy_nettyAlloc() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(SIZE);
        b.writeBytes(src);
        b.readBytes(dst);
        b.release();
        return dst;
    }

    @Benchmark
    public byte[] copy_nettyReuse() {
        ByteBuf b = nettyReused;
        b.clear();
        b.writeBytes(src);
        b.readBytes(dst);
        return dst;
    }

    @Benchmark
    public byte[] copy_arraycopy() {
        System.arraycopy(src, 0, mid, 0, SIZE);
        System.arraycopy(mid, 0, dst, 0, SIZE);
        return dst;
    }

    // ------------------------------------------------------------ add, write to a channel

    @Benchmark
    public long channel_evbuffer(Sink sink) throws IOException {
        GatheringByteChannel channel = sink.channel;
        EvBuffer b = evbuffer;
        b.add(src);
        long n = 0;
        while (b.getLength() > 0) {
            n += b.writeTo(channel);
        }
        return n;
    }

    @Benchmark
    public long channel_nettyAlloc(Sink sink) throws IOException {
        GatheringByteChannel channel = sink.channel;
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(SIZE);
        b.writeBytes(src);
        long n = 0;
        while (b.isReadable()) {
            n += b.readBytes(channel, b.readableBytes());
        }
        b.release();
        return n;
    }

    @Benchmark
    public long channel_nettyReuse(Sink sink) throws IOException {
        GatheringByteChannel channel = sink.channel;
        ByteBuf b = nettyReused;
        b.clear();
        b.writeBytes(src);
        long n = 0;
        while (b.isReadable()) {
            n += b.readBytes(channel, b.readableBytes());
        }
        return n;
    }

    @Benchmark
    public long channel_directPut(Sink sink) throws IOException {
        GatheringByteChannel channel = sink.channel;
        ByteBuffer b = direct;
        b.clear();
        b.put(src);
        b.flip();
        long n = 0;
        while (b.hasRemaining()) {
            n += channel.write(b);
        }
        return n;
    }
}
