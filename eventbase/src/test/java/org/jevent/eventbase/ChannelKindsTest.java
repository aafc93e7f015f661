package org.jevent.eventbase;

import static org.jevent.eventbase.Event.EV_PERSIST;
import static org.jevent.eventbase.Event.EV_READ;
import static org.jevent.eventbase.Event.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Events over every kind of SelectableChannel, and connect() completion reported as EV_WRITE as in C. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ChannelKindsTest {

    @Test
    void connect_completes_as_ev_write_then_write_readiness_follows() throws IOException {
        EventBase base = new EventBase();
        try (ServerSocketChannel server = ServerSocketChannel.open();
                SocketChannel client = SocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            client.configureBlocking(false);
            client.connect(server.getLocalAddress());
            int[] calls = {0};
            boolean[] connectedInFirst = {false};
            Event ev = new Event(base, client, EV_WRITE | EV_PERSIST, (e, what) -> {
                assertEquals(EV_WRITE, what);
                try {
                    if (calls[0]++ == 0) {
                        connectedInFirst[0] = client.finishConnect();
                    }
                } catch (IOException ex) {
                    throw new RuntimeException(ex);
                }
                if (calls[0] == 3) {
                    e.del();
                }
            });
            ev.add();
            // If EV_WRITE stayed mapped to OP_CONNECT after the connect, calls 2 and 3 would never come.
            assertEquals(1, base.dispatch());
            assertTrue(connectedInFirst[0]);
            assertEquals(3, calls[0]);
        } finally {
            base.free();
        }
    }

    @Test
    void refused_connect_is_reported_as_ev_write() throws IOException {
        EventBase base = new EventBase();
        InetSocketAddress dead;
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            dead = (InetSocketAddress) s.getLocalAddress();
        }
        try (SocketChannel client = SocketChannel.open()) {
            client.configureBlocking(false);
            boolean immediate;
            try {
                immediate = client.connect(dead);
            } catch (ConnectException refusedAtOnce) {
                return; // some kernels refuse synchronously on loopback: nothing to wait for
            }
            assertFalse(immediate);
            Throwable[] failure = new Throwable[1];
            new Event(base, client, EV_WRITE, (e, w) -> {
                try {
                    client.finishConnect();
                } catch (IOException ex) {
                    failure[0] = ex;
                }
            }).add();
            base.dispatch();
            assertTrue(failure[0] instanceof ConnectException, "got " + failure[0]);
        } finally {
            base.free();
        }
    }

    @Test
    void pipe_ends_and_datagrams() throws IOException {
        EventBase base = new EventBase();
        Pipe pipe = Pipe.open();
        try (DatagramChannel rx = DatagramChannel.open(); DatagramChannel tx = DatagramChannel.open()) {
            rx.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int[] got = {0, 0, 0};
            new Event(base, pipe.sink(), EV_WRITE, (e, w) -> got[0]++).add();
            new Event(base, pipe.source(), EV_READ, (e, w) -> got[1]++).add();
            new Event(base, rx, EV_READ, (e, w) -> got[2]++).add();
            pipe.sink().configureBlocking(false);
            pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
            tx.send(ByteBuffer.wrap(new byte[] {2}), rx.getLocalAddress());
            assertEquals(1, base.dispatch());
            assertEquals(1, got[0]);
            assertEquals(1, got[1]);
            assertEquals(1, got[2]);
            assertThrows(IllegalArgumentException.class, () -> new Event(base, pipe.sink(), EV_READ, (e, w) -> { }).add());
            try (ServerSocketChannel s = ServerSocketChannel.open()) {
                assertThrows(IllegalArgumentException.class, () -> new Event(base, s, EV_WRITE, (e, w) -> { }).add());
            }
        } finally {
            pipe.sink().close();
            pipe.source().close();
            base.free();
        }
    }

    @Test
    void closed_channel_cannot_be_added() throws IOException {
        EventBase base = new EventBase();
        SocketChannel ch = SocketChannel.open();
        ch.close();
        assertThrows(IllegalStateException.class, () -> new Event(base, ch, EV_READ, (e, w) -> { }).add());
        base.free();
    }

    @Test
    void channel_reused_after_its_last_event_left() throws IOException {
        // The key stays registered with interest 0; re-adding must not re-register.
        EventBase base = new EventBase();
        try (SocketPair p = SocketPair.open()) {
            int[] n = {0};
            Event ev = new Event(base, p.a, EV_WRITE, (e, w) -> n[0]++);
            for (int i = 0; i < 3; i++) {
                ev.add();
                base.dispatch();
            }
            assertEquals(3, n[0]);
        } finally {
            base.free();
        }
    }
}
