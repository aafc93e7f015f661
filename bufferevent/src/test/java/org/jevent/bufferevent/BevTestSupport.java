package org.jevent.bufferevent;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/** Helpers shared by the bufferevent tests: loopback socket pairs, bounded loops, byte patterns. */
final class BevTestSupport {
    static final InetAddress LOOPBACK;

    static {
        try {
            LOOPBACK = InetAddress.getByName("127.0.0.1");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Breaks loops that run too long; a daemon thread, shared by all tests. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bev-test-watchdog");
        t.setDaemon(true);
        return t;
    });

    private BevTestSupport() {
    }

    /** libevent's test socketpair over loopback TCP (127.0.0.1, port 0); both ends non-blocking. */
    static SocketChannel[] socketPair() throws IOException {
        return socketPair(-1);
    }

    /** As {@link #socketPair()}, with SO_RCVBUF of the second end set first when {@code rcvbuf > 0}. */
    static SocketChannel[] socketPair(int rcvbuf) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            if (rcvbuf > 0) {
                server.setOption(StandardSocketOptions.SO_RCVBUF, rcvbuf);
            }
            server.bind(new InetSocketAddress(LOOPBACK, 0), 1);
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            a.configureBlocking(false);
            b.configureBlocking(false);
            return new SocketChannel[] {a, b};
        }
    }

    static <T> void setOption(SocketChannel ch, SocketOption<T> option, T value) {
        try {
            ch.setOption(option, value);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void closeQuietly(AutoCloseable... cs) {
        for (AutoCloseable c : cs) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // cleanup
                }
            }
        }
    }

    /** A bound but not listening loopback socket: connecting to its port is refused. */
    static SocketChannel fakeListener() throws IOException {
        SocketChannel s = SocketChannel.open();
        s.bind(new InetSocketAddress(LOOPBACK, 0));
        return s;
    }

    /**
     * Runs {@code base.dispatch()} but breaks it after {@code maxMillis} from a watchdog thread;
     * fails if the watchdog had to.
     */
    static void dispatchBounded(EventBase base, long maxMillis) {
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> f = WATCHDOG.schedule(() -> {
            fired.set(true);
            base.loopBreak();
        }, maxMillis, TimeUnit.MILLISECONDS);
        try {
            base.dispatch();
        } finally {
            f.cancel(false);
        }
        assertFalse(fired.get(), "the loop did not finish within " + maxMillis + " ms");
    }

    /** Like {@link #dispatchBounded} but a watchdog break is not a failure; returns true if it fired. */
    static boolean loopFor(EventBase base, int flags, long maxMillis) {
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> f = WATCHDOG.schedule(() -> {
            fired.set(true);
            base.loopBreak();
        }, maxMillis, TimeUnit.MILLISECONDS);
        try {
            base.loop(flags);
        } finally {
            f.cancel(false);
        }
        return fired.get();
    }

    /** The C tests' {@code buffer[i] = i}. */
    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    static byte[] drain(EvBuffer buf) {
        byte[] b = new byte[(int) buf.getLength()];
        buf.remove(b);
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
