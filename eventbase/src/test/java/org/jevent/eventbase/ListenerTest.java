package org.jevent.eventbase;

import static org.jevent.eventbase.EvConnListener.LEV_OPT_CLOSE_ON_EXEC;
import static org.jevent.eventbase.EvConnListener.LEV_OPT_CLOSE_ON_FREE;
import static org.jevent.eventbase.EvConnListener.LEV_OPT_DISABLED;
import static org.jevent.eventbase.EvConnListener.LEV_OPT_REUSEABLE;
import static org.jevent.eventbase.EvConnListener.LEV_OPT_REUSEABLE_PORT;
import static org.jevent.eventbase.EvConnListener.LEV_OPT_THREADSAFE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** libevent's test/regress_listener.c, named after its tests; loopback, port 0, bounded in time. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ListenerTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private EventBase base;
    private final List<SocketChannel> clients = new ArrayList<>();

    @BeforeEach
    void setUp() {
        base = new EventBase();
    }

    @AfterEach
    void tearDown() throws IOException {
        for (SocketChannel c : clients) {
            c.close();
        }
        if (base.isInLoopThread() || !base.getOwnerThread().isAlive()) {
            base.free();
        }
    }

    private SocketChannel connect(EvConnListener l) throws IOException {
        SocketChannel c = SocketChannel.open(l.getLocalAddress());
        clients.add(c);
        return c;
    }

    @Test
    void regress_pick_a_port() throws IOException {
        // randport: two listeners on port 0 get distinct ports; accept cbs count down and disable at 0.
        int flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
        int[] count1 = {2};
        int[] count2 = {1};
        List<SocketAddress> peers = new ArrayList<>();
        EvConnListener.AcceptCallback cb1 = (l, ch, peer) -> acceptAndCount(l, ch, peer, count1, peers);
        EvConnListener.AcceptCallback cb2 = (l, ch, peer) -> acceptAndCount(l, ch, peer, count2, peers);
        EvConnListener l1 = EvConnListener.newBind(base, cb1, flags, -1, ANY_LOOPBACK);
        EvConnListener l2 = EvConnListener.newBind(base, cb2, flags, -1, ANY_LOOPBACK);
        assertSame(base, l1.getBase());
        int port1 = ((InetSocketAddress) l1.getLocalAddress()).getPort();
        int port2 = ((InetSocketAddress) l2.getLocalAddress()).getPort();
        assertNotEquals(0, port1);
        assertNotEquals(port1, port2);
        connect(l1);
        connect(l1);
        connect(l2);
        assertEquals(1, base.dispatch(), "both listeners disabled themselves: no events left");
        assertEquals(0, count1[0]);
        assertEquals(0, count2[0]);
        assertEquals(3, peers.size());
        for (SocketAddress p : peers) {
            assertTrue(((InetSocketAddress) p).getAddress().isLoopbackAddress());
        }
        l1.free();
        l2.free();
        assertFalse(l1.getChannel().isOpen(), "CLOSE_ON_FREE");
    }

    private static void acceptAndCount(EvConnListener l, SocketChannel ch, SocketAddress peer, int[] count, List<SocketAddress> peers) {
        assertFalse(ch.isBlocking(), "accepted channels are non-blocking");
        peers.add(peer);
        try {
            assertTrue(ch.getOption(StandardSocketOptions.SO_KEEPALIVE), "new_bind listeners set keepalive");
            ch.close();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        if (--count[0] == 0) {
            l.disable();
        }
    }

    @Test
    void regress_listener_error() throws IOException {
        // error: accept fails non-retriably -> the error cb runs and disables the listener.
        EvConnListener l = EvConnListener.newBind(base, (lis, ch, peer) -> { }, 0, -1, ANY_LOOPBACK);
        int[] errors = {0};
        l.setErrorCallback((lis, e) -> {
            errors[0] += 1000;
            lis.disable();
        });
        l.setAcceptor(server -> {
            throw new IOException("Bad file descriptor");
        });
        connect(l);
        assertEquals(1, base.dispatch());
        assertEquals(1000, errors[0]);
        assertFalse(l.isEnabled());
        l.free();
    }

    @Test
    void regress_listener_close_accepted_fd() throws IOException {
        // close_accepted_fd: the accept callback frees the listener on the first connection.
        EvConnListener[] self = new EvConnListener[1];
        int[] accepted = {0};
        self[0] = EvConnListener.newBind(base, (l, ch, peer) -> {
            accepted[0]++;
            try {
                ch.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            l.free();
        }, LEV_OPT_CLOSE_ON_FREE, -1, ANY_LOOPBACK);
        connect(self[0]);
        connect(self[0]);
        assertEquals(1, base.dispatch());
        assertEquals(1, accepted[0], "freed inside its own callback: the batch stopped");
        assertFalse(self[0].getChannel().isOpen());
    }

    @Test
    void regress_listener_immediate_close() throws IOException {
        // immediate_close: two connects, the cb disables after the first: the loop ends.
        int[] count = {0};
        EvConnListener l = EvConnListener.newBind(base, (lis, ch, peer) -> {
            count[0]++;
            try {
                ch.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            lis.disable();
        }, LEV_OPT_CLOSE_ON_FREE, -1, ANY_LOOPBACK);
        connect(l);
        connect(l);
        assertEquals(1, base.dispatch());
        assertEquals(1, count[0]);
        l.enable();
        base.loop(EventBase.EVLOOP_ONCE);
        assertEquals(2, count[0], "re-enabled: the second connection is accepted");
        l.free();
    }

    @Test
    void regress_listener_disable_in_thread() throws Exception {
        // disable_in_thread: a THREADSAFE listener disabled from another thread, no deadlock.
        CountDownLatch accepted = new CountDownLatch(1);
        EvConnListener l = EvConnListener.newBind(base, (lis, ch, peer) -> {
            try {
                ch.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            accepted.countDown();
        }, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE, -1, ANY_LOOPBACK);
        connect(l);
        Thread loop = new Thread(() -> base.dispatch(), "listener-loop");
        loop.start();
        assertTrue(accepted.await(5, TimeUnit.SECONDS));
        l.disable(); // from the test thread: hops onto the loop, which then has no events and returns
        loop.join(5000);
        assertFalse(loop.isAlive(), "the loop ended once the listener was disabled");
        l.free();
    }

    @Test
    void non_threadsafe_listener_refuses_foreign_disable() throws Exception {
        EvConnListener l = EvConnListener.newBind(base, (lis, ch, peer) -> { }, 0, -1, ANY_LOOPBACK);
        Throwable[] t = new Throwable[1];
        Thread other = new Thread(() -> {
            try {
                l.disable();
            } catch (Throwable e) {
                t[0] = e;
            }
        });
        other.start();
        other.join();
        assertTrue(t[0] instanceof IllegalStateException, "got " + t[0]);
        l.free();
    }

    @Test
    void regress_listener_reuseport_on_unix_socket() throws IOException {
        Path dir = Files.createTempDirectory("jevent-listener");
        Path sock = dir.resolve("s");
        try {
            UnixDomainSocketAddress addr = UnixDomainSocketAddress.of(sock);
            assertThrows(IllegalArgumentException.class,
                    () -> EvConnListener.newBind(base, (l, c, p) -> { }, LEV_OPT_REUSEABLE, -1, addr));
            assertThrows(IllegalArgumentException.class,
                    () -> EvConnListener.newBind(base, (l, c, p) -> { }, LEV_OPT_REUSEABLE_PORT, -1, addr));
            int[] n = {0};
            EvConnListener l = EvConnListener.newBind(base, (lis, ch, peer) -> {
                n[0]++;
                lis.disable();
            }, LEV_OPT_CLOSE_ON_FREE, -1, addr);
            SocketChannel c = SocketChannel.open(addr);
            clients.add(c);
            base.dispatch();
            assertEquals(1, n[0]);
            l.free();
        } finally {
            Files.deleteIfExists(sock);
            Files.delete(dir);
        }
    }

    @Test
    void reuseable_port_binds_where_supported() throws IOException {
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            if (!probe.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                assertThrows(UnsupportedOperationException.class,
                        () -> EvConnListener.newBind(base, (l, c, p) -> { }, LEV_OPT_REUSEABLE_PORT, -1, ANY_LOOPBACK));
                return;
            }
        }
        EvConnListener l = EvConnListener.newBind(base, (lis, c, p) -> { }, LEV_OPT_REUSEABLE_PORT, -1, ANY_LOOPBACK);
        assertTrue(l.getChannel().getOption(StandardSocketOptions.SO_REUSEPORT));
        int port = ((InetSocketAddress) l.getLocalAddress()).getPort();
        EvConnListener twin = EvConnListener.newBind(base, (lis, c, p) -> { }, LEV_OPT_REUSEABLE_PORT, -1,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertEquals(port, ((InetSocketAddress) twin.getLocalAddress()).getPort());
        twin.free();
        l.free();
    }

    @Test
    void wrap_an_existing_channel_disabled_then_enabled() throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open().bind(ANY_LOOPBACK);
        int[] n = {0};
        EvConnListener l = EvConnListener.create(base, (lis, c, p) -> {
            n[0]++;
            lis.disable();
        }, LEV_OPT_DISABLED, 0, ch);
        assertFalse(l.isEnabled());
        connect(l);
        assertEquals(1, base.loop(EventBase.EVLOOP_NONBLOCK), "disabled: no events");
        assertEquals(0, n[0]);
        l.enable();
        base.dispatch();
        assertEquals(1, n[0]);
        l.free();
        assertTrue(ch.isOpen(), "no CLOSE_ON_FREE: the caller's channel stays open");
        ch.close();
        assertThrows(IllegalArgumentException.class, () -> EvConnListener.create(base, null, 0, 0, ServerSocketChannel.open()));
        assertThrows(IllegalArgumentException.class, () -> EvConnListener.newBind(base, null, 0, 0, ANY_LOOPBACK));
    }

    @Test
    void null_callback_closes_accepted_channels() throws IOException {
        EvConnListener l = EvConnListener.newBind(base, null, 0, -1, ANY_LOOPBACK);
        SocketChannel c = connect(l);
        base.loopExit(Duration.ofMillis(200));
        base.dispatch();
        c.configureBlocking(true);
        c.socket().setSoTimeout(2000);
        assertEquals(-1, c.socket().getInputStream().read(), "the server side was closed");
        l.free();
    }

    @Test
    void accepts_in_a_batch_per_wakeup() throws Exception {
        int n = 10;
        AtomicInteger accepted = new AtomicInteger();
        EvConnListener l = EvConnListener.newBind(base, (lis, c, p) -> {
            accepted.incrementAndGet();
            try {
                c.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, 0, -1, ANY_LOOPBACK);
        for (int i = 0; i < n; i++) {
            connect(l);
        }
        Thread.sleep(100); // let the kernel queue all of them
        // EVLOOP_ONCE returns after the first turn that ran callbacks: one readiness wake-up
        // of the listener accepted the whole backlog.
        base.loop(EventBase.EVLOOP_ONCE);
        assertEquals(n, accepted.get());
        l.free();
    }

    @Test
    void too_many_open_files_backs_off_instead_of_spinning() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        List<IOException> errors = new ArrayList<>();
        int[] accepted = {0};
        EvConnListener l = EvConnListener.newBind(base, (lis, c, p) -> {
            accepted[0]++;
            try {
                c.close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            lis.disable();
        }, LEV_OPT_CLOSE_ON_FREE, -1, ANY_LOOPBACK);
        l.setErrorCallback((lis, e) -> errors.add(e));
        // The first three accepts fail as under RLIMIT_NOFILE exhaustion, then the real accept works.
        l.setAcceptor(server -> {
            if (attempts.incrementAndGet() <= 3) {
                throw new IOException("Too many open files");
            }
            return server.accept();
        });
        connect(l);
        long start = System.nanoTime();
        assertEquals(1, base.dispatch());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(1, accepted[0]);
        assertEquals(3, errors.size());
        assertTrue(EvConnListener.isTooManyOpenFiles(errors.get(0)));
        assertEquals(4, attempts.get(), "one attempt per back-off period, no spinning on a readable socket");
        assertTrue(ms >= 10 + 20 + 40 - 5, "backed off 10, 20, 40 ms: took " + ms + " ms");
        assertTrue(l.toString().contains("disabled"), l.toString());
        l.free();
    }
}
