package org.jevent.benchmarks.echo;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers of one size, reused by the connections of one client thread (not thread-safe).
 * A handshake connection lives about a millisecond; allocating (and zeroing) its three 64 KiB
 * direct buffers each time cost the client more than the handshake, and their release waits for
 * a GC.
 */
final class DirectBufferPool {
    private final int size;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();

    DirectBufferPool(int size) {
        this.size = size;
    }

    /** A cleared buffer of this pool's size. */
    ByteBuffer take() {
        ByteBuffer b = free.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(size);
    }

    void give(ByteBuffer b) {
        free.push(b);
    }
}
