package org.jevent.benchmarks.evbuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
 * Benchmark (2): {@code addBuffer} moves segments, not bytes. Buffer {@code a} holds
 * {@code size} bytes in full pooled segments (added {@value #SEGMENT} bytes at a time, one
 * large segment each); one operation moves all of it to {@code b} and back, i.e. two
 * {@code addBuffer} calls relinking {@link #segmentsFor(int)} segments each (4, 61 and 964).
 *
 * <p>The score per operation grows with the number of segments only; divided by
 * {@code 2 * segmentsFor(size)} (the run script prints that column, ns/segment) it must not
 * depend on {@code size}. A per-byte copy would grow 256x from 64 KiB to 16 MiB.
 *
 * <p>{@code addBuffer_nettyComposite} is a reference, not a like-for-like peer: it builds a
 * {@code CompositeByteBuf} of retained slices of one pooled direct buffer of {@code size} bytes
 * (one component per {@value #SEGMENT} bytes, as many as EvBuffer has segments) and releases it, twice per operation, the
 * nearest thing Netty has to relinking a chain.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled"})
public class AddBufferBenchmark {
    /** Capacity of a large pooled segment ({@code SegmentPool.LARGE_SIZE}). */
    static final int SEGMENT = 17 * 1024;
    static final int CHUNK = SEGMENT;

    @Param({"65536", "1048576", "16777216"})
    public int size;

    private EvBuffer a;
    private EvBuffer b;
    private ByteBuf nettySource;

    /** Segments {@code size} bytes fill when packed into full large segments. */
    static int segmentsFor(int size) {
        return (size + SEGMENT - 1) / SEGMENT;
    }

    @Setup(Level.Trial)
    public void setUp() {
        byte[] chunk = new byte[CHUNK];
        for (int i = 0; i < CHUNK; i++) {
            chunk[i] = (byte) i;
        }
        a = new EvBuffer();
        b = new EvBuffer();
        for (int done = 0; done < size; done += CHUNK) {
            a.add(chunk, 0, Math.min(CHUNK, size - done));
        }
        if (a.getLength() != size || a.segmentCount() != segmentsFor(size)) {
            throw new IllegalStateException("expected " + segmentsFor(size) + " segments of " + size
                    + " bytes, got " + a);
        }
        nettySource = PooledByteBufAllocator.DEFAULT.directBuffer(size, size);
        for (int done = 0; done < size; done += CHUNK) {
            nettySource.writeBytes(chunk, 0, Math.min(CHUNK, size - done));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.checkInvariants();
        b.checkInvariants();
        if (a.getLength() != size || b.getLength() != 0) {
            throw new IllegalStateException("bytes went missing: " + a + " " + b);
        }
        a.free();
        b.free();
        nettySource.release();
    }

    @Benchmark
    public long addBuffer_evbuffer() {
        b.addBuffer(a);
        a.addBuffer(b);
        return a.getLength();
    }

    @Benchmark
    public int addBuffer_nettyComposite() {
        return composite() + composite();
    }

    private int composite() {
        ByteBuf src = nettySource;
        CompositeByteBuf c = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(Integer.MAX_VALUE);
        for (int at = 0; at < size; at += CHUNK) {
            c.addComponent(true, src.retainedSlice(at, Math.min(CHUNK, size - at)));
        }
        int n = c.readableBytes();
        c.release();
        return n;
    }
}
