package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One load-generator connection: it sends a known byte stream (a window of {@link #TABLE} read
 * from the connection's own offset) and checks every byte that comes back against it, so no
 * echoed byte goes unchecked and checking costs one {@link ByteBuffer#mismatch} per read.
 */
abstract class ClientConn {
    static final int TABLE_SIZE = 1 << 20;
    /** Random bytes, twice over, so that any window up to TABLE_SIZE is contiguous. */
    static final ByteBuffer TABLE = ByteBuffer.allocateDirect(TABLE_SIZE * 2);

    static {
        byte[] t = new byte[TABLE_SIZE];
        new java.util.Random(7).nextBytes(t);
        TABLE.put(t).put(t).flip();
    }

    final SocketChannel ch;
    final int offset;
    long sent;
    long received;

    ClientConn(SocketChannel ch, int id) {
        this.ch = ch;
        this.offset = (int) ((id * 1_000_003L) % TABLE_SIZE);
    }

    /** A view of the next {@code len} bytes of this connection's stream from position {@code at}. */
    ByteBuffer window(ByteBuffer view, long at, int len) {
        int start = (int) ((at + offset) % TABLE_SIZE);
        view.limit(start + len).position(start);
        return view;
    }

    /** Checks bytes that came back; throws on the first that differs from what was sent. */
    void verify(ByteBuffer got) {
        int len = got.remaining();
        ByteBuffer expected = window(TABLE.duplicate(), received, len);
        int at = got.mismatch(expected);
        if (at >= 0) {
            throw new IllegalStateException("echoed byte " + (received + at) + " differs from what was sent");
        }
        received += len;
    }

    /**
     * Reads what arrived (if {@code readable}), checks it, and sends until {@code window} bytes
     * are in flight; returns true if the socket took everything (no need to wait for OP_WRITE).
     */
    abstract boolean step(boolean readable, long window, ByteBuffer scratch) throws IOException;

    /** True once the connection can carry data (a TLS handshake finished). */
    abstract boolean ready();
}
