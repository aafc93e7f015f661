package org.jevent.benchmarks.evbuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ByteProcessor;
import java.util.concurrent.TimeUnit;
import org.jevent.evbuffer.EolStyle;
import org.jevent.evbuffer.EvBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Benchmark (3): splitting 64 MiB of 80-byte lines (78 bytes of text plus CR LF, or 79 plus
 * LF), scored per line ({@link OperationsPerInvocation}). Both sides do the same work per line:
 * find the end of line, copy the line out as a new {@code byte[]}, skip the end of line.
 *
 * <ul>
 * <li>{@code readLine_evbuffer}: {@code readLineBytes(EolStyle.CRLF)} for CR LF content,
 *     {@code EolStyle.LF} for LF content. The buffer is refilled per invocation with
 *     {@code addBufferReference} of a prepared buffer (no copy; about 3,900 shared segments,
 *     amortised over 838,860 lines).</li>
 * <li>{@code readLine_netty}: a pooled direct {@code ByteBuf} holding the same bytes, its reader
 *     index reset per invocation; {@code forEachByte(ByteProcessor.FIND_LF)}, strip a CR before
 *     the LF in the CRLF case, {@code readBytes(byte[])}, {@code skipBytes}.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:MaxDirectMemorySize=1g",
        "-Dio.netty.leakDetection.level=disabled"})
public class ReadLineBenchmark {
    static final int TOTAL = 64 * 1024 * 1024;
    static final int LINE = 80;
    static final int LINES = TOTAL / LINE;

    /** {@code CRLF}: lines end in CR LF, read with EolStyle.CRLF; {@code LF}: LF and EolStyle.LF. */
    @Param({"CRLF", "LF"})
    public String eol;

    private EvBuffer prepared;
    private EvBuffer buffer;
    private EolStyle style;
    private ByteBuf netty;
    private boolean stripCr;

    @Setup(Level.Trial)
    public void setUp() {
        stripCr = eol.equals("CRLF");
        style = stripCr ? EolStyle.CRLF : EolStyle.LF;
        byte[] line = new byte[LINE];
        int text = stripCr ? LINE - 2 : LINE - 1;
        for (int i = 0; i < text; i++) {
            line[i] = (byte) ('a' + i % 26);
        }
        if (stripCr) {
            line[LINE - 2] = '\r';
        }
        line[LINE - 1] = '\n';
        prepared = new EvBuffer();
        netty = PooledByteBufAllocator.DEFAULT.directBuffer(TOTAL, TOTAL);
        byte[] block = new byte[LINE * 205]; // 16,400 bytes: a whole number of lines
        for (int i = 0; i < block.length; i += LINE) {
            System.arraycopy(line, 0, block, i, LINE);
        }
        for (int done = 0; done < TOTAL; done += block.length) {
            int k = Math.min(block.length, TOTAL - done);
            prepared.add(block, 0, k);
            netty.writeBytes(block, 0, k);
        }
        buffer = new EvBuffer();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        prepared.free();
        buffer.free();
        netty.release();
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void readLine_evbuffer(Blackhole bh) {
        EvBuffer b = buffer;
        b.addBufferReference(prepared);
        EolStyle s = style;
        byte[] line;
        while ((line = b.readLineBytes(s)) != null) {
            bh.consume(line);
        }
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void readLine_netty(Blackhole bh) {
        ByteBuf b = netty;
        b.readerIndex(0);
        boolean cr = stripCr;
        while (true) {
            int from = b.readerIndex();
            int lf = b.forEachByte(from, b.writerIndex() - from, ByteProcessor.FIND_LF);
            if (lf < 0) {
                break;
            }
            int len = lf - from;
            if (cr && len > 0 && b.getByte(lf - 1) == '\r') {
                len--;
            }
            byte[] line = new byte[len];
            b.readBytes(line);
            b.readerIndex(lf + 1);
            bh.consume(line);
        }
    }
}
