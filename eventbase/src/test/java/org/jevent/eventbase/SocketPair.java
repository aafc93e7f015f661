package org.jevent.eventbase;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** libevent's test socketpair, over loopback TCP (port 0), both ends non-blocking. */
final class SocketPair implements AutoCloseable {
    final SocketChannel a;
    final SocketChannel b;

    private SocketPair(SocketChannel a, SocketChannel b) {
        this.a = a;
        this.b = b;
    }

    static SocketPair open() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            a.configureBlocking(false);
            b.configureBlocking(false);
            return new SocketPair(a, b);
        }
    }

    static void write(SocketChannel ch, String s) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Reads what is there now; "" if nothing; null on EOF. */
    static String read(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int n = ch.read(buf);
        if (n < 0) {
            return null;
        }
        return new String(buf.array(), 0, n, StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        a.close();
        b.close();
    }
}
