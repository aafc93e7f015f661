package org.jevent.examples;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The hostile clients of the fault suite that need no thread of their own: connections that
 * trickle bytes, send a truncated record and fall silent, or are reset; a flood of idle
 * connections. Everything is loopback, non-blocking, and every wait has a deadline.
 */
final class FaultClients {
    private FaultClients() {
    }

    /** A non-blocking channel connected to 127.0.0.1:port (the connect itself completes within 5 s). */
    static SocketChannel connect(int port) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.configureBlocking(false);
            if (!ch.connect(new InetSocketAddress("127.0.0.1", port))) {
                try (Selector s = Selector.open()) {
                    ch.register(s, SelectionKey.OP_CONNECT);
                    if (s.select(5000) == 0 || !ch.finishConnect()) {
                        throw new IOException("connect to port " + port + " did not complete in 5 s");
                    }
                }
            }
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /** True if {@code ch} (non-blocking) became readable (data, EOF or reset) within {@code millis}. */
    static boolean awaitReadable(SocketChannel ch, long millis) throws IOException {
        try (Selector s = Selector.open()) {
            SelectionKey k = ch.register(s, SelectionKey.OP_READ);
            boolean ready = s.select(Math.max(1, millis)) > 0;
            k.cancel();
            s.selectNow(); // deregister before the selector closes, so the channel can be registered again
            return ready;
        }
    }

    /** Writes all of {@code b} to a non-blocking channel, waiting for room up to {@code millis} in all. */
    static void writeAll(SocketChannel ch, ByteBuffer b, long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (b.hasRemaining()) {
            if (ch.write(b) > 0) {
                continue;
            }
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new IOException("the peer took no bytes for " + millis + " ms");
            }
            try (Selector s = Selector.open()) {
                SelectionKey k = ch.register(s, SelectionKey.OP_WRITE);
                s.select(left);
                k.cancel();
                s.selectNow();
            }
        }
    }

    /**
     * Waits up to {@code millis} for the server to close {@code ch} (EOF or reset), reading and
     * discarding whatever it says first (an alert); returns true if it did.
     */
    static boolean awaitClosed(SocketChannel ch, long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0 || !awaitReadable(ch, left)) {
                return false;
            }
            try {
                sink.clear();
                if (ch.read(sink) < 0) {
                    return true;
                }
            } catch (IOException reset) {
                return true;
            }
        }
    }

    /**
     * Connects and waits up to {@code millis} for the server to close or reset the connection
     * without a word; true if it did (a reset may even come before the connect completes).
     */
    static boolean refused(int port, long millis) throws IOException {
        SocketChannel ch;
        try {
            ch = connect(port);
        } catch (java.net.SocketException reset) {
            return true;
        }
        try (ch) {
            return awaitClosed(ch, millis);
        }
    }

    /**
     * Sends {@code bytes} one at a time, {@code intervalMillis} apart, until the server closes the
     * connection or {@code maxMillis} pass; returns the milliseconds from the first byte to the
     * close, or -1 if the server kept it open. A write that fails (the server reset) counts as
     * the close.
     */
    static long trickle(SocketChannel ch, byte[] bytes, long intervalMillis, long maxMillis) throws IOException {
        long start = System.nanoTime();
        long end = start + maxMillis * 1_000_000L;
        ByteBuffer one = ByteBuffer.allocate(1);
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        for (int i = 0; System.nanoTime() - end < 0; i++) {
            if (i < bytes.length) {
                one.clear();
                one.put(bytes[i]).flip();
                try {
                    ch.write(one);
                } catch (IOException reset) {
                    return elapsedMillis(start);
                }
            }
            // The pace of the trickle is the wait for the server's answer: nothing, or its close.
            long wait = Math.min(intervalMillis, (end - System.nanoTime()) / 1_000_000L);
            if (wait > 0 && awaitReadable(ch, wait)) {
                try {
                    sink.clear();
                    if (ch.read(sink) < 0) {
                        return elapsedMillis(start);
                    }
                } catch (IOException reset) {
                    return elapsedMillis(start);
                }
            }
        }
        return -1;
    }

    /**
     * A TLS record header that announces {@code declared} bytes of handshake, followed by only
     * {@code sent} of them taken from {@code hello} (a real ClientHello's body): the record can never
     * complete, and the client then says nothing more.
     */
    static byte[] truncatedRecord(byte[] hello, int declared, int sent) {
        byte[] r = new byte[5 + sent];
        System.arraycopy(hello, 0, r, 0, 3); // content type 22, legacy version
        r[3] = (byte) (declared >>> 8);
        r[4] = (byte) declared;
        System.arraycopy(hello, 5, r, 5, Math.min(sent, hello.length - 5));
        return r;
    }

    /** Closes with a TCP reset (SO_LINGER 0) instead of a FIN. */
    static void reset(SocketChannel ch) {
        try {
            if (ch.isOpen()) {
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException ignored) {
            // already reset by the peer: closing is all that is left
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /**
     * Starts {@code n} connects without waiting for them: the kernel completes what the listen
     * backlog takes and the server accepts what it can; the rest wait in SYN retries. For floods
     * beyond a descriptor limit. The caller closes them.
     */
    static List<SocketChannel> openMany(int port, int n) throws IOException {
        List<SocketChannel> all = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open();
                all.add(ch);
                ch.configureBlocking(false);
                ch.connect(new InetSocketAddress("127.0.0.1", port));
            }
        } catch (IOException e) {
            closeAll(all);
            throw e;
        }
        return all;
    }

    /** {@link #reset} each: TCP resets, or nothing for those whose connect never got an answer. */
    static void resetAll(List<SocketChannel> channels) {
        for (SocketChannel ch : channels) {
            reset(ch);
        }
    }

    static void closeAll(List<SocketChannel> channels) {
        for (SocketChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static long elapsedMillis(long start) {
        return (System.nanoTime() - start) / 1_000_000L;
    }
}
