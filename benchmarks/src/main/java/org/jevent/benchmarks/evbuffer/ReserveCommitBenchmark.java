package org.jevent.benchmarks.evbuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
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
 * Benchmark (5): the path a TLS bufferevent's engine writes by: reserve {@code size} bytes of
 * free space, fill the view (a bulk put from an array stands in for the engine), commit it, and
 * take the bytes out again, on a buffer with one NODEFER callback registered, as a bufferevent's
 * output has. Measures reservation, commit and callback delivery together. The peer is a reused
 * pooled direct Netty {@code ByteBuf} written through its internal NIO view (the cheapest Netty
 * way to hand free space to an engine).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled"})
public class ReserveCommitBenchmark {
    @Param({"64", "16384"})
    public int size;

    private byte[] src;
    private byte[] dst;
    private EvBuffer evbuffer;
    private final ByteBuffer[] views = new ByteBuffer[2];
    private long added;
    private ByteBuf netty;

    @Setup(Level.Trial)
    public void setUp() {
        src = new byte[size];
        dst = new byte[size];
        for (int i = 0; i < size; i++) {
            src[i] = (byte) i;
        }
        evbuffer = new EvBuffer();
        evbuffer.callbackSetFlags(evbuffer.addCallback((buf, info) -> added += info.nAdded()),
                EvBuffer.EVBUFFER_CB_NODEFER);
        netty = PooledByteBufAllocator.DEFAULT.directBuffer(size);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        evbuffer.free();
        netty.release();
    }

    @Benchmark
    public byte[] reserveCommit_evbuffer() {
        ByteBuffer[] v = views;
        int n = evbuffer.reserveSpace(size, v);
        int off = 0;
        for (int i = 0; i < n && off < size; i++) {
            int k = Math.min(v[i].remaining(), size - off);
            v[i].put(src, off, k);
            off += k;
        }
        evbuffer.commitSpace(v, n);
        evbuffer.remove(dst);
        return dst;
    }

    @Benchmark
    public byte[] reserveCommit_nettyReuse() {
        ByteBuf b = netty;
        b.clear();
        b.ensureWritable(size);
        int w = b.writerIndex();
        b.internalNioBuffer(w, size).put(src);
        b.writerIndex(w + size);
        b.readBytes(dst);
        return dst;
    }
}
