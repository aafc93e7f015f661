package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The streaming workloads: {@code conns} connections each keeping {@code depth} messages of
 * {@code size} bytes in flight, driven by one client thread that checks every echoed byte. The
 * client handshakes (with TLS) before the warm-up, so the timed window is data only.
 */
final class StreamLoad {
    /**
     * What one timed window measured; {@code threads}: the server's CPU time in it by kind of
     * thread (event loop and other application threads, JIT compilers, GC), {@link ProcFs};
     * {@code loopThreads}: seconds of each of its event-loop threads ({@link ProcFs#loopThreadCpuNanos});
     * {@code clientCpuSeconds}: the load client's own CPU time, this client's thread or the C
     * client's process ({@link CStreamLoad}) (near the window's length: the client, not the
     * server, set the rate). Both clients take it from two {@link WindowEdge}s.
     */
    record Run(long bytes, double seconds, double serverCpuSeconds, java.util.Map<String, Double> threads,
            java.util.Map<String, Double> loopThreads, double clientCpuSeconds) {
        /** Server CPU-seconds of its application threads (event loop, Netty's threads), JIT and GC left out. */
        double appCpuSeconds() {
            return threads.getOrDefault("app", serverCpuSeconds);
        }
    }

    /** The load client is the thread that calls {@link #run}; its CPU time comes from here. */
    private static final java.lang.management.ThreadMXBean CLIENT_CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private StreamLoad() {
    }

    static Run run(ServerProcess server, ClientTls tls, int conns, int size, int depth, int warmup, int seconds)
            throws IOException {
        long window = (long) size * depth;
        DirectBufferPool pool = new DirectBufferPool(TlsClientConn.BUFFER_SIZE);
        try (Selector selector = Selector.open()) {
            List<ClientConn> all = new ArrayList<>();
            ByteBuffer scratch = ByteBuffer.allocateDirect(256 * 1024);
            for (int i = 0; i < conns; i++) {
                ClientConn c = open(server.address, tls, i, pool);
                SelectionKey key = c.ch.register(selector, SelectionKey.OP_READ, c);
                interest(key, c.step(false, window, scratch));
                all.add(c);
            }
            long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            // this thread is the client: it reads its own counters, paused while the edge is read
            WindowEdge.Client client = () -> new WindowEdge.Mark(received(all), System.nanoTime(),
                    CLIENT_CPU.getCurrentThreadCpuTime());
            WindowEdge start = null;
            while (true) {
                long now = System.nanoTime();
                if (start == null && now >= warmEnd) {
                    start = WindowEdge.read(server, client);
                }
                if (now >= end) {
                    break;
                }
                selector.select(key -> {
                    ClientConn c = (ClientConn) key.attachment();
                    try {
                        interest(key, c.step(key.isReadable(), window, scratch));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, 10);
            }
            Run r = start.to(WindowEdge.read(server, client));
            for (ClientConn c : all) {
                if (c instanceof TlsClientConn t) {
                    t.close();
                } else {
                    c.ch.close();
                }
            }
            return r;
        }
    }

    private static ClientConn open(InetSocketAddress addr, ClientTls tls, int id, DirectBufferPool pool)
            throws IOException {
        SocketChannel ch = SocketChannel.open(addr);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.configureBlocking(false);
        return tls == null ? new PlainClientConn(ch, id) : new TlsClientConn(ch, id, tls.engine(), pool);
    }

    private static void interest(SelectionKey key, boolean drained) {
        key.interestOps(drained ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    private static long received(List<ClientConn> all) {
        long n = 0;
        for (ClientConn c : all) {
            n += c.received;
        }
        return n;
    }
}
