package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UdpEndpointTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final EventBase base = new EventBase();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        base.free();
    }

    private UdpEndpoint bind(UdpEndpoint.Options options, UdpEndpoint.Receiver receiver) throws IOException {
        UdpEndpoint ep = UdpEndpoint.bind(base, ANY_LOOPBACK, options, receiver);
        toClose.add(ep);
        return ep;
    }

    private DatagramChannel plainPeer() throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        ch.bind(ANY_LOOPBACK);
        toClose.add(ch);
        return ch;
    }

    /** Runs loop turns until {@code done} holds, at most {@code maxTurns} (no wall-clock bound needed). */
    private void turnUntil(java.util.function.BooleanSupplier done, int maxTurns) {
        for (int i = 0; i < maxTurns && !done.getAsBoolean(); i++) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
        assertTrue(done.getAsBoolean(), "condition not reached within " + maxTurns + " loop turns");
    }

    @Test
    void echoesEveryDatagramBackToItsSender() throws IOException {
        UdpEndpoint echo = bind(new UdpEndpoint.Options(), (ep, d, from) -> assertTrue(ep.send(d, from)));
        DatagramChannel peer = plainPeer();
        ByteBuffer in = ByteBuffer.allocate(2048);
        for (int i = 0; i < 500; i++) {
            byte[] msg = ("message " + i).getBytes();
            peer.send(ByteBuffer.wrap(msg), echo.localAddress());
            int before = (int) echo.datagramsReceived();
            turnUntil(() -> echo.datagramsReceived() > before, 10_000);
            in.clear();
            peer.configureBlocking(true);
            assertEquals(echo.localAddress(), peer.receive(in));
            in.flip();
            assertEquals(ByteBuffer.wrap(msg), in, "echo " + i);
        }
        assertEquals(500, echo.datagramsSent());
    }

    @Test
    void readsAtMostTheLimitPerReadinessEventSoOtherSocketsGetServed() throws IOException {
        int[] busyCount = {0};
        int[] quietCount = {0};
        UdpEndpoint busy = bind(new UdpEndpoint.Options().maxDatagramsPerEvent(4), (ep, d, from) -> busyCount[0]++);
        UdpEndpoint quiet = bind(new UdpEndpoint.Options(), (ep, d, from) -> quietCount[0]++);
        DatagramChannel peer = plainPeer();
        for (int i = 0; i < 40; i++) {
            peer.send(ByteBuffer.wrap(new byte[] {(byte) i}), busy.localAddress());
        }
        peer.send(ByteBuffer.wrap(new byte[] {1}), quiet.localAddress());
        // Wait until the kernel has both sockets readable, then one turn serves both, 4 from busy.
        turnUntil(() -> quietCount[0] == 1, 10_000);
        assertTrue(busyCount[0] <= 8, "busy socket read " + busyCount[0] + " before the quiet one got its turn");
        turnUntil(() -> busyCount[0] == 40, 10_000);
        assertTrue(busy.readEventsAtLimit() >= 9, "events that hit the limit: " + busy.readEventsAtLimit());
    }

    @Test
    void oversizedDatagramIsDroppedAndCountedAndTheNextOneDelivered() throws IOException {
        List<Integer> lengths = new ArrayList<>();
        UdpEndpoint ep = bind(new UdpEndpoint.Options().maxDatagramSize(100), (e, d, from) -> lengths.add(d.remaining()));
        DatagramChannel peer = plainPeer();
        peer.send(ByteBuffer.allocate(101), ep.localAddress());
        peer.send(ByteBuffer.allocate(1000), ep.localAddress());
        peer.send(ByteBuffer.allocate(100), ep.localAddress());
        turnUntil(() -> lengths.size() == 1, 10_000);
        assertEquals(List.of(100), lengths);
        assertEquals(2, ep.oversizedDropped());
        InetSocketAddress back = (InetSocketAddress) peer.getLocalAddress();
        assertThrows(IllegalArgumentException.class, () -> ep.send(ByteBuffer.allocate(101), back));
    }

    @Test
    void callsFromAnotherThreadFailFast() throws Exception {
        UdpEndpoint ep = bind(new UdpEndpoint.Options(), (e, d, from) -> { });
        Throwable[] thrown = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                ep.send(ByteBuffer.allocate(1), ep.localAddress());
            } catch (Throwable x) {
                thrown[0] = x;
            }
        });
        t.start();
        t.join(10_000);
        assertTrue(thrown[0] instanceof IllegalStateException, String.valueOf(thrown[0]));
    }

    @Test
    void closeStopsReadingAndReleasesThePort() throws IOException {
        UdpEndpoint ep = bind(new UdpEndpoint.Options(), (e, d, from) -> { });
        InetSocketAddress at = ep.localAddress();
        ep.close();
        assertTrue(ep.isClosed());
        assertThrows(IllegalStateException.class, () -> ep.send(ByteBuffer.allocate(1), at));
        // NIO closes a channel registered with a selector only when the selector deregisters it.
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK | EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
        try (DatagramChannel again = DatagramChannel.open()) {
            again.bind(at); // the port is free again
        }
        assertEquals(0, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED));
    }

    /**
     * Pins the allocation claim of the class comment: per datagram, receive + session lookup by
     * InetSocketAddress allocates nothing while the sender stays the same, and one address object
     * pair when the sender changes. Bytes are the loop thread's own allocation counter.
     */
    @Test
    void receiveAndPeerLookupAllocateNothingPerDatagramFromAKnownPeer() throws IOException {
        Map<InetSocketAddress, long[]> sessions = new HashMap<>();
        UdpEndpoint ep = bind(new UdpEndpoint.Options().receiveBufferBytes(4 << 20).maxDatagramsPerEvent(64),
                (e, d, from) -> {
                    long[] s = sessions.get(from);
                    if (s != null) {
                        s[0] += d.remaining();
                    }
                });
        DatagramChannel a = plainPeer();
        DatagramChannel b = plainPeer();
        sessions.put((InetSocketAddress) a.getLocalAddress(), new long[1]);
        sessions.put((InetSocketAddress) b.getLocalAddress(), new long[1]);
        ByteBuffer payload = ByteBuffer.allocateDirect(64);

        // Warm up both paths (JIT, lazily created JDK structures).
        long[] perDatagram = new long[2];
        for (int round = 0; round < 3; round++) {
            perDatagram[0] = allocatedPerDatagram(ep, payload, a, a, 2000);
            perDatagram[1] = allocatedPerDatagram(ep, payload, a, b, 2000);
        }
        assertEquals(3 * 4 * 2000 * 64L, sessions.values().stream().mapToLong(s -> s[0]).sum(),
                "every datagram found its session");
        System.out.printf("UdpEndpoint allocation per datagram: one sender %d B, two alternating senders %d B%n",
                perDatagram[0], perDatagram[1]);
        assertTrue(perDatagram[0] <= 1, "one known sender allocated " + perDatagram[0] + " B per datagram");
        assertTrue(perDatagram[1] > 16, "alternating senders were expected to cost an address object each");
    }

    private long allocatedPerDatagram(UdpEndpoint ep, ByteBuffer payload, DatagramChannel first, DatagramChannel second,
            int count) throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long target = ep.datagramsReceived() + 2L * count;
        InetSocketAddress to = ep.localAddress();
        for (int i = 0; i < count; i++) {
            payload.clear();
            first.send(payload, to);
            payload.clear();
            second.send(payload, to);
        }
        long tid = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(tid);
        int turns = 0;
        while (ep.datagramsReceived() < target && turns++ < 100_000) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertEquals(target, ep.datagramsReceived(), "loopback lost datagrams despite a 4 MiB receive buffer");
        return allocated / (2L * count);
    }

    @Test
    void sendToAClosedPortIsNotAnErrorForTheEndpoint() throws IOException {
        UdpEndpoint ep = bind(new UdpEndpoint.Options(), (e, d, from) -> { });
        InetSocketAddress gone;
        try (DatagramChannel tmp = DatagramChannel.open()) {
            tmp.bind(ANY_LOOPBACK);
            gone = (InetSocketAddress) tmp.getLocalAddress();
        }
        assertTrue(ep.send(ByteBuffer.allocate(10), gone));
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        assertFalse(ep.isClosed());
    }
}
