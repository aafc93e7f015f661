package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A plain TCP load-generator connection. */
final class PlainClientConn extends ClientConn {
    private final ByteBuffer view = TABLE.duplicate();

    PlainClientConn(SocketChannel ch, int id) {
        super(ch, id);
    }

    @Override
    boolean step(boolean readable, long window, ByteBuffer scratch) throws IOException {
        if (readable) {
            scratch.clear();
            int n = ch.read(scratch);
            if (n < 0) {
                throw new IllegalStateException("server closed a connection");
            }
            scratch.flip();
            verify(scratch);
        }
        while (sent - received < window) {
            int len = (int) Math.min(window - (sent - received), TABLE_SIZE);
            int n = ch.write(window(view, sent, len));
            sent += n;
            if (n < len) {
                return false;
            }
        }
        return true;
    }

    @Override
    boolean ready() {
        return true;
    }
}
