package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One loop per thread: spread of connections (SO_REUSEPORT and hand-over), execute, shutdown. Loopback only. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventBaseGroupTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final int CLIENTS = 24;

    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final ThreadFactory factory = r -> {
        Thread t = new Thread(r, "group-test-" + threads.size());
        threads.add(t);
        return t;
    };
    private final List<SocketChannel> clients = new ArrayList<>();
    /** Server side of each connection, with the base that got it. */
    private final Map<SocketChannel, EventBase> accepted = new ConcurrentHashMap<>();
    private EventBaseGroup group;

    @AfterEach
    void tearDown() throws IOException {
        for (SocketChannel c : clients) {
            c.close();
        }
        if (group != null) {
            group.shutdown(Duration.ZERO);
        }
    }

    /** Accept callback: echo one byte back on the loop that got the connection, keep the channel. */
    private void echoOnce(EventBase base, SocketChannel ch, java.net.SocketAddress peer, CountDownLatch arrived) {
        assertTrue(base.isInLoopThread(), "the callback runs on the connection's loop");
        accepted.put(ch, base);
        new Event(base, ch, Event.EV_READ | Event.EV_PERSIST, (ev, what) -> {
            ByteBuffer b = ByteBuffer.allocate(16);
            try {
                int n = ch.read(b);
                if (n > 0) {
                    b.flip();
                    ch.write(b);
                } else if (n < 0) {
                    ev.del();
                }
            } catch (IOException e) {
                ev.del();
            }
        }).add();
        arrived.countDown();
    }

    private void connectAndEcho(GroupListener listener, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            SocketChannel c = SocketChannel.open(listener.getLocalAddress());
            clients.add(c);
            c.write(ByteBuffer.wrap(new byte[] {(byte) i}));
            ByteBuffer back = ByteBuffer.allocate(1);
            c.read(back); // blocking: the loop that owns the connection answered
            assertEquals((byte) i, back.get(0));
        }
    }

    @Test
    void connections_from_many_clients_land_on_more_than_one_loop() throws Exception {
        group = new EventBaseGroup(2, new EventConfig(), factory);
        CountDownLatch arrived = new CountDownLatch(CLIENTS);
        GroupListener listener = group.listen((b, ch, peer) -> echoOnce(b, ch, peer, arrived),
                EvConnListener.LEV_OPT_REUSEABLE, -1, LOOPBACK);
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertEquals(EventBaseGroup.AcceptSpread.REUSE_PORT, listener.getSpread());
            assertEquals(2, listener.listeners().size());
        }
        connectAndEcho(listener, CLIENTS);
        assertTrue(arrived.await(20, TimeUnit.SECONDS));
        assertEquals(2, new HashSet<>(accepted.values()).size(), "all " + CLIENTS + " connections on one loop");
    }

    @Test
    void the_hand_over_fallback_spreads_round_robin() throws Exception {
        group = new EventBaseGroup(3, new EventConfig(), factory);
        CountDownLatch arrived = new CountDownLatch(CLIENTS);
        GroupListener listener = group.listen((b, ch, peer) -> echoOnce(b, ch, peer, arrived), 0, -1, LOOPBACK,
                EventBaseGroup.AcceptSpread.HAND_OVER);
        assertEquals(EventBaseGroup.AcceptSpread.HAND_OVER, listener.getSpread());
        assertEquals(1, listener.listeners().size());
        connectAndEcho(listener, CLIENTS);
        assertTrue(arrived.await(20, TimeUnit.SECONDS));
        Map<EventBase, Integer> perLoop = new ConcurrentHashMap<>();
        accepted.values().forEach(b -> perLoop.merge(b, 1, Integer::sum));
        assertEquals(3, perLoop.size(), "round robin over every loop: " + perLoop.values());
        for (int n : perLoop.values()) {
            assertEquals(CLIENTS / 3, n, "round robin: " + perLoop.values());
        }
    }

    @Test
    void shutdown_leaves_no_thread_and_no_open_channel() throws Exception {
        group = new EventBaseGroup(2, new EventConfig(), factory);
        CountDownLatch arrived = new CountDownLatch(CLIENTS);
        List<GroupListener> listeners = List.of(
                group.listen((b, ch, peer) -> echoOnce(b, ch, peer, arrived), 0, -1, LOOPBACK),
                group.listen((b, ch, peer) -> echoOnce(b, ch, peer, arrived), 0, -1, LOOPBACK,
                        EventBaseGroup.AcceptSpread.HAND_OVER));
        connectAndEcho(listeners.get(0), CLIENTS / 2);
        connectAndEcho(listeners.get(1), CLIENTS / 2);
        assertTrue(arrived.await(20, TimeUnit.SECONDS));
        // Connections stay open (persistent read events): the loops cannot finish within the grace.
        assertFalse(group.shutdown(Duration.ofMillis(200)));
        assertTrue(group.isTerminated());
        for (Thread t : threads) {
            assertFalse(t.isAlive(), t.getName() + " still runs");
        }
        assertEquals(2, threads.size());
        for (SocketChannel ch : accepted.keySet()) {
            assertFalse(ch.isOpen(), "accepted channel left open: " + ch);
        }
        for (GroupListener l : listeners) {
            for (EvConnListener lev : l.listeners()) {
                assertFalse(lev.getChannel().isOpen(), "listening socket left open");
            }
        }
        for (int i = 0; i < group.size(); i++) {
            assertTrue(group.get(i).isFreed());
        }
        // The clients see the close.
        for (SocketChannel c : clients) {
            assertEquals(-1, c.read(ByteBuffer.allocate(1)));
        }
        assertThrows(IllegalStateException.class, () -> group.execute(() -> { }));
    }

    @Test
    void a_loop_with_nothing_pending_finishes_within_the_grace() throws Exception {
        group = new EventBaseGroup(2, new EventConfig(), factory);
        CountDownLatch arrived = new CountDownLatch(2);
        GroupListener listener = group.listen((b, ch, peer) -> echoOnce(b, ch, peer, arrived), 0, -1, LOOPBACK,
                EventBaseGroup.AcceptSpread.HAND_OVER);
        connectAndEcho(listener, 2);
        assertTrue(arrived.await(20, TimeUnit.SECONDS));
        for (SocketChannel c : clients) {
            c.close(); // each loop sees EOF and deletes its event: nothing stays pending
        }
        assertTrue(group.shutdown(Duration.ofSeconds(20)), "the loops should have drained on their own");
        for (Thread t : threads) {
            assertFalse(t.isAlive());
        }
        assertFalse(listener.listeners().get(0).getChannel().isOpen());
    }

    @Test
    void execute_next_and_get_put_work_on_the_chosen_loop() throws Exception {
        group = new EventBaseGroup(3, new EventConfig(), factory);
        assertEquals(3, group.size());
        EventBase first = group.next();
        assertSame(group.get(1), group.next());
        assertSame(group.get(2), group.next());
        assertSame(first, group.next());
        Set<String> ranOn = ConcurrentHashMap.newKeySet();
        CountDownLatch done = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            EventBase b = group.get(i);
            b.execute(() -> {
                assertTrue(b.isInLoopThread());
                ranOn.add(Thread.currentThread().getName());
                done.countDown();
            });
        }
        assertTrue(done.await(20, TimeUnit.SECONDS));
        assertEquals(3, ranOn.size());
        CountDownLatch viaGroup = new CountDownLatch(1);
        group.execute(viaGroup::countDown);
        assertTrue(viaGroup.await(20, TimeUnit.SECONDS));
        assertNotNull(group.get(0).getOwnerThread());
        assertTrue(threads.contains(group.get(0).getOwnerThread()));
    }

    /** What the group's exception hook was given as "running", and a latch for the first. */
    private final List<Object> failed = new CopyOnWriteArrayList<>();
    private final CountDownLatch hooked = new CountDownLatch(1);

    private void startOneLoopWithRecordingHook() {
        group = new EventBaseGroup(1, new EventConfig().exceptionHook((b, r, e) -> {
            failed.add(r);
            hooked.countDown();
        }), factory);
    }

    private void assertTheLoopStillServes() throws InterruptedException {
        CountDownLatch still = new CountDownLatch(1);
        group.execute(still::countDown);
        assertTrue(still.await(20, TimeUnit.SECONDS), "the loop does not serve any more");
    }

    @Test
    void a_throwing_callback_goes_to_the_hook_and_the_loop_goes_on() throws Exception {
        startOneLoopWithRecordingHook();
        Runnable bad = () -> {
            throw new IllegalStateException("expected by the test");
        };
        group.execute(bad);
        assertTrue(hooked.await(20, TimeUnit.SECONDS));
        assertEquals(List.of(bad), failed);
        assertTheLoopStillServes();
    }

    @Test
    void an_interrupted_loop_thread_is_reported_and_serves_on() throws Exception {
        startOneLoopWithRecordingHook();
        threads.get(0).interrupt(); // the loop returns -1: not a callback's fault, still an abnormal end
        assertTrue(hooked.await(20, TimeUnit.SECONDS));
        assertSame(threads.get(0), failed.get(0));
        assertTheLoopStillServes();
    }

    @Test
    void listen_and_shutdown_refuse_to_run_on_a_loop_and_bad_options_are_refused() throws Exception {
        group = new EventBaseGroup(1, new EventConfig(), factory);
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        group.execute(() -> {
            try {
                group.shutdown(Duration.ZERO);
            } catch (IllegalStateException e) {
                thrown.add(e);
            }
            try {
                group.listen((b, ch, p) -> { }, 0, -1, LOOPBACK);
            } catch (IllegalStateException | IOException e) {
                thrown.add(e);
            }
            done.countDown();
        });
        assertTrue(done.await(20, TimeUnit.SECONDS));
        assertEquals(2, thrown.size(), thrown.toString());
        assertThrows(IllegalArgumentException.class,
                () -> group.listen((b, ch, p) -> { }, EvConnListener.LEV_OPT_DISABLED, -1, LOOPBACK));
        assertThrows(IllegalArgumentException.class, () -> new EventBaseGroup(0));
    }
}
