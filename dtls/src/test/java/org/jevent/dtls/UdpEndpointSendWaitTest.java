package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link UdpEndpoint}'s send-wait path: a datagram the socket does not take waits in the ring and
 * leaves when the socket is writable again, in order, once; the ring is bounded (more is dropped
 * and counted) and so is {@link UdpEndpoint#closeAfterFlush}'s wait.
 *
 * <p>Linux never refuses a UDP datagram on loopback: with SO_SNDBUF at its minimum (2,304 bytes)
 * a non-blocking burst of 20,000 datagrams of 1,400 or 60,000 bytes to a receiver that never
 * reads got no 0 from {@code send} (measured; the kernel delivers or drops at the receiver within
 * the send call, so the sender's buffer is never charged for long). So the full buffer is the
 * endpoint's {@link UdpEndpoint.SendCall} seam returning 0 while {@link FullBuffer} says so; every
 * datagram it lets through goes over the real socket, and the bytes are checked at a real peer.
 */
class UdpEndpointSendWaitTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final EventBase base = new EventBase();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    /** The send buffer of the endpoint under test: full until given room. */
    private final FullBuffer buffer = new FullBuffer();
    /** The receiving peer, what reached it so far, and its address. */
    private final List<byte[]> arrived = new ArrayList<>();
    private DatagramChannel peer;
    private InetSocketAddress to;

    /** A send buffer that is full until given room: {@code room} datagrams, or all with -1. */
    private static final class FullBuffer implements UdpEndpoint.SendCall {
        int room;
        long refused;
        long calls;

        @Override
        public int send(DatagramChannel channel, ByteBuffer datagram, InetSocketAddress to) throws IOException {
            calls++;
            if (room == 0) {
                refused++;
                return 0; // what DatagramChannel.send returns when the socket would block
            }
            if (room > 0) {
                room--;
            }
            return channel.send(datagram, to);
        }
    }

    @BeforeEach
    void openPeer() throws IOException {
        peer = DatagramChannel.open();
        toClose.add(peer);
        peer.bind(ANY_LOOPBACK);
        peer.configureBlocking(false);
        to = (InetSocketAddress) peer.getLocalAddress();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        base.free();
    }

    private UdpEndpoint endpoint(int capacity) throws IOException {
        UdpEndpoint ep = UdpEndpoint.bind(base, ANY_LOOPBACK, new UdpEndpoint.Options().sendQueueCapacity(capacity),
                (e, d, from) -> { });
        toClose.add(ep);
        ep.sendCall(buffer);
        return ep;
    }

    /** Datagram {@code i}: its number, then a length and filler that differ from one to the next. */
    private static byte[] datagram(int i) {
        byte[] d = new byte[4 + (i * 37) % 1400];
        ByteBuffer.wrap(d).putInt(i);
        for (int k = 4; k < d.length; k++) {
            d[k] = (byte) (i + k);
        }
        return d;
    }

    /** Turns the loop without blocking, draining what reached {@code peer}, until {@code done}; bounded by turns. */
    private void turnUntil(BooleanSupplier done, int maxTurns) throws IOException {
        for (int i = 0; i < maxTurns && !done.getAsBoolean(); i++) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
            drain();
        }
        assertTrue(done.getAsBoolean(), "condition not reached within " + maxTurns + " loop turns");
    }

    private void drain() throws IOException {
        ByteBuffer in = ByteBuffer.allocate(2048);
        while (peer.receive(in.clear()) != null) {
            in.flip();
            byte[] d = new byte[in.remaining()];
            in.get(d);
            arrived.add(d);
        }
    }

    private void assertArrivedInOrder(List<Integer> expected) {
        List<Integer> numbers = new ArrayList<>();
        for (byte[] d : arrived) {
            numbers.add(ByteBuffer.wrap(d).getInt());
        }
        assertEquals(expected, numbers, "datagrams at the peer, in order, each once");
        for (int i = 0; i < arrived.size(); i++) {
            assertEquals(ByteBuffer.wrap(datagram(expected.get(i))), ByteBuffer.wrap(arrived.get(i)), "bytes of " + expected.get(i));
        }
    }

    @Test
    void datagramsWaitForAWritableSocketThenLeaveInOrderOnceEachAndTheRingIsBounded() throws IOException {
        UdpEndpoint ep = endpoint(64);
        int readEventOnly = base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED);

        // A burst into a full buffer: the first 64 wait (copied: the caller's buffer is reused at
        // once), the other 36 are dropped and counted; nothing is lost silently.
        ByteBuffer reused = ByteBuffer.allocate(2048);
        for (int i = 0; i < 100; i++) {
            reused.clear().put(datagram(i)).flip();
            assertEquals(i < 64, ep.send(reused, to), "datagram " + i);
            assertFalse(reused.hasRemaining(), "consumed either way");
        }
        assertEquals(64, ep.sendQueued());
        assertEquals(36, ep.sendQueueDropped());
        assertEquals(0, ep.datagramsSent());
        assertEquals(1, buffer.calls, "with datagrams waiting, a new one queues behind them without trying the socket");
        assertEquals(readEventOnly + 1, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED), "the write event waits");

        // Writable (the real socket is) but still full: each turn tries the oldest and keeps it.
        for (int turn = 0; turn < 5; turn++) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
        drain();
        assertTrue(buffer.refused >= 3, "write readiness retried the head: " + buffer.refused);
        assertEquals(64, ep.sendQueued());
        assertEquals(List.of(), arrived);

        // Room for 10: exactly the 10 oldest leave, and the rest waits again.
        buffer.room = 10;
        turnUntil(() -> buffer.room == 0 && arrived.size() == 10, 1000);
        assertEquals(54, ep.sendQueued());
        assertEquals(10, ep.datagramsSent());

        // A datagram sent now, when the socket has room again, must still go after the 54.
        buffer.room = -1;
        reused.clear().put(datagram(1000)).flip();
        assertTrue(ep.send(reused, to));
        assertEquals(55, ep.sendQueued());
        turnUntil(() -> arrived.size() == 65, 1000);

        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            expected.add(i);
        }
        expected.add(1000);
        assertArrivedInOrder(expected);
        assertEquals(0, ep.sendQueued());
        assertEquals(65, ep.datagramsSent());
        assertEquals(36, ep.sendQueueDropped());
        assertEquals(0, ep.sendErrors());

        // Drained: the write event is gone, no more tries, nothing more arrives; and the next
        // datagram goes straight out again.
        assertEquals(readEventOnly, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED), "write event deleted");
        long calls = buffer.calls;
        for (int turn = 0; turn < 20; turn++) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
        assertEquals(calls, buffer.calls);
        assertTrue(ep.send(ByteBuffer.wrap(datagram(2000)), to));
        assertEquals(0, ep.sendQueued(), "sent at once");
        turnUntil(() -> arrived.size() == 66, 1000);
        expected.add(2000);
        assertArrivedInOrder(expected);
    }

    @Test
    void theRingIsReusedAroundItsEnd() throws IOException {
        // Capacity 8, filled and emptied in uneven steps so head and tail wrap many times.
        UdpEndpoint ep = endpoint(8);
        List<Integer> expected = new ArrayList<>();
        int next = 0;
        for (int round = 0; round < 20; round++) {
            int burst = Math.min(8 - ep.sendQueued(), 2 + round % 5);
            for (int k = 0; k < burst; k++) {
                assertTrue(ep.send(ByteBuffer.wrap(datagram(next)), to));
                expected.add(next++);
            }
            int room = 1 + round % 3;
            buffer.room = room;
            int waiting = ep.sendQueued();
            turnUntil(() -> buffer.room == 0 || ep.sendQueued() == 0, 1000);
            assertEquals(Math.max(0, waiting - room), ep.sendQueued(), "round " + round);
            // What is left still waits; the next round's burst queues behind it.
            buffer.room = 0;
            turnUntil(() -> arrived.size() == expected.size() - ep.sendQueued(), 1000);
        }
        buffer.room = -1;
        turnUntil(() -> arrived.size() == expected.size(), 1000);
        assertArrivedInOrder(expected);
        assertEquals(0, ep.sendQueueDropped());
    }

    @Test
    void closeAfterFlushSendsWhatWaitsThenCloses() throws IOException {
        UdpEndpoint ep = endpoint(16);
        InetSocketAddress at = ep.localAddress();
        for (int i = 0; i < 5; i++) {
            assertTrue(ep.send(ByteBuffer.wrap(datagram(i)), to));
        }
        ep.closeAfterFlush(Duration.ofMinutes(1));
        assertTrue(ep.isClosed());
        assertThrows(IllegalStateException.class, () -> ep.send(ByteBuffer.allocate(1), to));
        buffer.room = -1;
        turnUntil(() -> arrived.size() == 5, 1000);
        assertArrivedInOrder(List.of(0, 1, 2, 3, 4));
        // Closed once empty, without waiting for the limit: no event left, the port is free.
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK | EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
        assertEquals(0, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED));
        try (DatagramChannel again = DatagramChannel.open()) {
            again.bind(at);
        }
    }

    @Test
    void closeAfterFlushGivesUpAtItsLimitWhenTheSocketStaysFull() throws IOException {
        UdpEndpoint ep = endpoint(16);
        for (int i = 0; i < 5; i++) {
            assertTrue(ep.send(ByteBuffer.wrap(datagram(i)), to));
        }
        ep.closeAfterFlush(Duration.ofMillis(50));
        // The limit is a timer: blocking turns, bounded by count (each returns after the timer or a
        // write-readiness event).
        for (int turn = 0; turn < 10_000_000 && ep.sendQueued() > 0; turn++) {
            base.loop(EventBase.EVLOOP_ONCE);
        }
        assertEquals(0, ep.sendQueued(), "the waiting datagrams were dropped at the limit");
        assertEquals(0, ep.datagramsSent());
        assertEquals(0, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED), "closed: no event left");
        long refused = buffer.refused;
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK | EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
        assertEquals(refused, buffer.refused, "no send after the close");
        assertNull(peer.receive(ByteBuffer.allocate(2048)), "nothing reached the peer");
    }

    @Test
    void theSendCallSeamIsLoopThreadOnly() throws Exception {
        UdpEndpoint ep = endpoint(4);
        Throwable[] thrown = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                ep.sendCall(UdpEndpoint.SOCKET_SEND);
            } catch (Throwable e) {
                thrown[0] = e;
            }
        });
        t.start();
        t.join();
        assertTrue(thrown[0] instanceof IllegalStateException, String.valueOf(thrown[0]));
    }
}
