package org.jevent.dtls;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_WRITING;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link DtlsSession.DatagramTap}: what it sees (every datagram both ways, encrypted, from the
 * first flight when set on the builder), what it may not do, and that it reuses its view; and
 * {@link DtlsSession#getLocalAddress()}.
 */
class DatagramTapTest extends LoopTest {

    /** What one tap saw: copies of the datagrams, by direction, and the views it was given. */
    private static final class Seen implements DtlsSession.DatagramTap {
        final List<byte[]> in = new ArrayList<>();
        final List<byte[]> out = new ArrayList<>();
        final Map<ByteBuffer, Boolean> inViews = new IdentityHashMap<>();
        final List<String> problems = new ArrayList<>();

        @Override
        public void call(DtlsSession session, ByteBuffer datagram, int direction) {
            int position = datagram.position();
            byte[] copy = new byte[datagram.remaining()];
            datagram.get(position, copy);
            if (!datagram.isReadOnly()) {
                problems.add("writable view");
            }
            if (direction == BEV_EVENT_READING) {
                in.add(copy);
                inViews.put(datagram, Boolean.TRUE);
            } else if (direction == BEV_EVENT_WRITING) {
                out.add(copy);
            } else {
                problems.add("direction " + direction);
            }
        }

        List<byte[]> applicationRecords(List<byte[]> datagrams) {
            List<byte[]> app = new ArrayList<>();
            for (byte[] d : datagrams) {
                if ((d[0] & 0xFF) == DtlsRecords.APPLICATION_DATA) {
                    app.add(d);
                }
            }
            return app;
        }
    }

    private DtlsEngineFactory serverFactory(String engine) throws Exception {
        return engine.equals("jdk") ? jdkServer(MTU) : pskServer();
    }

    private DtlsEngineFactory clientFactory(String engine) throws Exception {
        return engine.equals("jdk") ? jdkClient(MTU) : pskClient(IDENTITY);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jdk", "bctls"})
    void tapsSetOnTheBuildersSeeEveryDatagramBothWaysFromTheFirstFlight(String engine) throws Exception {
        Seen serverSide = new Seen();
        Seen clientSide = new Seen();
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory(engine)).datagramTap(serverSide));
        TestClient client = client(DtlsClient.builder(base, clientFactory(engine)).datagramTap(clientSide), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        assertSame(serverSide, server.accepted.get(0).getDatagramTap());

        // The client's first flight is its ClientHello (without a cookie), and the server's tap
        // starts with the verified ClientHello that made the session (the HelloVerifyRequest
        // before it is the verifier's, no session's).
        assertTrue(isClientHello(clientSide.out.get(0)), "client's first datagram is a ClientHello");
        assertTrue(isClientHello(serverSide.in.get(0)), "server session's first datagram is the verified ClientHello");
        assertEquals(3, (clientSide.in.get(0)[13] & 0xFF), "the client first hears a HelloVerifyRequest");
        assertArrayEquals(clientSide.out.get(1), serverSide.in.get(0), "the hello with the cookie, byte for byte");
        assertTrue(serverSide.out.size() >= 1 && clientSide.in.size() >= 2, "handshake flights seen both ways");

        int n = 10;
        for (int i = 0; i < n; i++) {
            assertTrue(client.send("message " + i));
        }
        runUntil(() -> client.received.size() == n, 20_000, "replies");
        List<byte[]> clientSent = clientSide.applicationRecords(clientSide.out);
        List<byte[]> serverGot = serverSide.applicationRecords(serverSide.in);
        List<byte[]> serverSent = serverSide.applicationRecords(serverSide.out);
        List<byte[]> clientGot = clientSide.applicationRecords(clientSide.in);
        assertEquals(n, clientSent.size());
        assertEquals(n, serverSent.size());
        for (int i = 0; i < n; i++) {
            assertArrayEquals(clientSent.get(i), serverGot.get(i), "what one tap saw leave, the other saw arrive");
            assertArrayEquals(serverSent.get(i), clientGot.get(i));
            String plain = "message " + i;
            assertFalse(new String(clientSent.get(i), UTF_8).contains(plain), "encrypted on the wire");
        }
        assertEquals(List.of(), serverSide.problems);
        assertEquals(List.of(), clientSide.problems);
        assertEquals(1, serverSide.inViews.size(), "one view of the socket's receive buffer, reused: " + serverSide.inViews.size());
        assertEquals(1, clientSide.inViews.size(), "one view of the socket's receive buffer, reused: " + clientSide.inViews.size());

        // close_notify leaves through the tap too.
        int before = clientSide.out.size();
        client.session.shutdown();
        assertEquals(before + 1, clientSide.out.size());
        assertEquals(DtlsRecords.ALERT, clientSide.out.get(before)[0] & 0xFF);
        runUntil(() -> server.closedByPeer == 1, 20_000, "close_notify arrives");
        assertEquals(DtlsRecords.ALERT, serverSide.in.get(serverSide.in.size() - 1)[0] & 0xFF);
    }

    @Test
    void aTapSetOnASessionSeesFromThenOnAndCanBeRemoved() throws Exception {
        EchoServer server = echoServer(jdkServer(MTU));
        TestClient client = client(jdkClient(MTU), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        Seen seen = new Seen();
        DtlsSession session = server.accepted.get(0);
        session.setDatagramTap(seen);
        assertTrue(client.send("one"));
        runUntil(() -> client.received.size() == 1, 20_000, "reply");
        assertEquals(1, seen.in.size());
        assertEquals(1, seen.out.size());
        session.setDatagramTap(null);
        assertTrue(client.send("two"));
        runUntil(() -> client.received.size() == 2, 20_000, "reply");
        assertEquals(1, seen.in.size(), "removed");
    }

    @Test
    void theViewIsReadOnlyAndTheTapMayNotWriteOrEndTheSession() throws Exception {
        EchoServer server = echoServer(jdkServer(MTU));
        TestClient client = client(jdkClient(MTU), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        List<String> refused = new ArrayList<>();
        server.accepted.get(0).setDatagramTap((s, d, direction) -> {
            try {
                d.put(d.position(), (byte) 0);
                refused.add("put allowed");
            } catch (ReadOnlyBufferException expected) {
                refused.add("put");
            }
            for (Runnable r : new Runnable[] {s::free, s::shutdown, () -> s.write(ByteBuffer.allocate(1))}) {
                IllegalStateException e = assertThrows(IllegalStateException.class, r::run);
                assertTrue(e.getMessage().contains("DatagramTap"), e.getMessage());
            }
            refused.add(direction == BEV_EVENT_READING ? "in" : "out");
        });
        assertTrue(client.send("still fine"));
        runUntil(() -> client.received.size() == 1, 20_000, () -> "reply: " + refused);
        assertEquals(List.of("put", "in", "put", "out"), refused);
        assertEquals("to PEER: ACK still fine", client.received.get(0), "the datagram was not changed");
        assertTrue(server.accepted.get(0).isConnected());
    }

    /**
     * A tap may write to another session, here while it is shown its own session's reply: the
     * JDK engines of a loop thread wrap into one shared scratch buffer, and the other session's
     * write used to overwrite the reply being shown, which was then lost (measured).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jdk", "bctls"})
    void aTapMayWriteToAnotherSessionAndTheDatagramItSeesStillLeavesIntact(String engine) throws Exception {
        DtlsSession[] other = new DtlsSession[1];
        boolean[] armed = {false};
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory(engine)).datagramTap((s, d, direction) -> {
            if (armed[0] && s != other[0] && direction == BEV_EVENT_WRITING
                    && (d.get(d.position()) & 0xFF) == DtlsRecords.APPLICATION_DATA) {
                armed[0] = false;
                assertTrue(other[0].write(ByteBuffer.wrap("aside".getBytes(UTF_8))));
            }
        }));
        DtlsEngineFactory clients = clientFactory(engine);
        TestClient a = client(clients, server.address());
        TestClient b = client(clients, server.address());
        runUntil(() -> a.connected && b.connected && server.connected == 2, 20_000, server::describe);
        int portB = b.session.getLocalAddress().getPort();
        other[0] = server.accepted.stream().filter(s -> s.getPeer().getPort() == portB).findFirst().orElseThrow();
        armed[0] = true;
        assertTrue(a.send("hello"));
        runUntil(() -> !armed[0] && a.received.size() == 1 && b.received.size() == 1, 20_000,
                () -> "both replies: a " + a.received + " b " + b.received);
        assertEquals(List.of("to PEER: ACK hello"), a.received);
        assertEquals(List.of("aside"), b.received);
    }

    @Test
    void readOnlyViewIsMadeOncePerBuffer() {
        ReadOnlyView views = new ReadOnlyView();
        ByteBuffer buffer = ByteBuffer.allocateDirect(64);
        buffer.limit(10).position(3);
        ByteBuffer first = views.of(buffer);
        assertEquals(3, first.position());
        assertEquals(10, first.limit());
        buffer.limit(64).position(20);
        ByteBuffer second = views.of(buffer);
        assertSame(first, second);
        assertEquals(20, second.position());
        assertEquals(64, second.limit());
        assertNotEquals(first, views.of(ByteBuffer.allocate(64).position(1)).position(0), "another buffer, another view");
    }

    /**
     * A tap that throws on every datagram, both ways, on both ends, does not change the traffic:
     * each throwable reaches the loop's exception hook with the tap as what was running, and the
     * handshake and the echo go on. Before, an outgoing datagram whose tap threw was not sent (the
     * JDK engine) or became an internal_error alert (bctls), and an incoming one was not decrypted.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jdk", "bctls"})
    void whatATapThrowsGoesToTheHookAndTheDatagramStillGoesOn(String engine) throws Exception {
        int[] tapped = new int[2];
        DtlsSession.DatagramTap throwing = (s, d, direction) -> {
            tapped[direction == BEV_EVENT_READING ? 0 : 1]++;
            throw new IllegalStateException("tap failed on purpose");
        };
        List<Throwable> reported = new ArrayList<>();
        base.setExceptionHook((b, running, error) -> {
            if (running == throwing && "tap failed on purpose".equals(error.getMessage())) {
                reported.add(error);
            } else {
                throw new AssertionError("unexpected failure from " + running, error);
            }
        });
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory(engine)).datagramTap(throwing));
        TestClient client = client(DtlsClient.builder(base, clientFactory(engine)).datagramTap(throwing), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        int n = 5;
        for (int i = 0; i < n; i++) {
            assertTrue(client.send("message " + i));
        }
        runUntil(() -> client.received.size() == n, 20_000, () -> "replies: " + client.received);
        assertEquals("to PEER: ACK message 0", client.received.get(0));
        assertTrue(client.session.isConnected() && server.accepted.get(0).isConnected(), "no alert ended either end");
        assertTrue(tapped[0] >= 2 * n && tapped[1] >= 2 * n, "tapped in " + tapped[0] + ", out " + tapped[1]);
        assertEquals(tapped[0] + tapped[1], reported.size(), "every throw reported once");
    }

    @Test
    void localAddressOfServerAndClientSessions() throws Exception {
        EchoServer server = echoServer(pskServer());
        TestClient wildcard = client(pskClient(IDENTITY), server.address());
        TestClient connected = client(DtlsClient.builder(base, pskClient(IDENTITY)).connectedSocket(true), server.address());
        runUntil(() -> wildcard.connected && connected.connected && server.connected == 2, 20_000, server::describe);

        // The server accepts the two in whichever order their handshakes end.
        java.util.List<InetSocketAddress> peers = server.accepted.stream().map(DtlsSession::getPeer).toList();
        InetSocketAddress any = wildcard.session.getLocalAddress();
        assertTrue(any.getAddress().isAnyLocalAddress(), "bound to the wildcard: " + any);
        assertTrue(peers.stream().anyMatch(p -> p.getPort() == any.getPort()), any + " among " + peers);

        InetSocketAddress exact = connected.session.getLocalAddress();
        assertTrue(peers.contains(exact), "a connected socket knows the address the server sees: " + exact
                + " among " + peers);
        assertEquals(InetAddress.getLoopbackAddress(), exact.getAddress());

        for (DtlsSession s : server.accepted) {
            assertEquals(server.address(), s.getLocalAddress(), "a server session's is the server's");
        }
        connected.session.free();
        assertEquals(exact, connected.session.getLocalAddress(), "still known after the end");
    }

    private static boolean isClientHello(byte[] d) {
        return (d[0] & 0xFF) == DtlsRecords.HANDSHAKE && (d[13] & 0xFF) == 1;
    }
}
