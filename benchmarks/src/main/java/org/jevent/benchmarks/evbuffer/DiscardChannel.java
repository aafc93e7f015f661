package org.jevent.benchmarks.evbuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The sink every "write to a channel" benchmark uses: a gathering channel that takes every byte
 * it is offered by advancing the buffers' positions, without copying or touching the memory.
 * What is measured is therefore the buffer's own work (filling, building the vector, draining),
 * not a syscall. {@link #open} gives either this or a {@code FileChannel} on {@code /dev/null}
 * (a real {@code writev} that the kernel discards) for the {@code sink} parameter.
 */
final class DiscardChannel implements GatheringByteChannel {
    /** Bytes taken so far, so that the JIT cannot prove the writes useless. */
    long total;

    static GatheringByteChannel open(String sink) {
        switch (sink) {
            case "discard":
                return new DiscardChannel();
            case "devnull":
                try {
                    return FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            default:
                throw new IllegalArgumentException("sink must be discard or devnull: " + sink);
        }
    }

    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        src.position(src.limit());
        total += n;
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = srcs[i];
            n += b.remaining();
            b.position(b.limit());
        }
        total += n;
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs) {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
