package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Certificates through the JDK engine: a DtlsServer and DtlsClients on one loop. */
class JdkSessionTest extends LoopTest {

    @Test
    void handshakeThroughTheStatelessFrontThenMessagesBothWaysThenCloseNotify() throws Exception {
        EchoServer server = echoServer(jdkServer(1400));
        TestClient client = client(jdkClient(1400), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        assertEquals(1, server.server.getHelloVerifyRequests(), "one HelloVerifyRequest, the JDK's cookie");
        assertEquals(1, server.server.getCookiesVerified());
        JdkCookieScheme scheme = (JdkCookieScheme) server.server.factory().cookieScheme();
        assertEquals(2, scheme.enginesPrimed(), "one engine minted the cookie, one verified it and became the session");
        assertTrue(client.session.getCipherSuite().startsWith("TLS_ECDHE_ECDSA"), client.session.getCipherSuite());
        for (int i = 0; i < 20; i++) {
            assertTrue(client.send("message " + i));
        }
        runUntil(() -> client.received.size() == 20, 20_000, "20 replies");
        for (int i = 0; i < 20; i++) {
            assertEquals("to PEER: ACK message " + i, client.received.get(i));
        }
        // One datagram per message, and a message too large for the MTU is refused, not split.
        int max = client.session.getMaxMessageSize();
        assertEquals(DtlsRecordOverhead.maxPlaintext(client.session.getCipherSuite(), 1400), max);
        IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
                () -> client.session.write(ByteBuffer.allocate(max + 1)));
        assertTrue(tooBig.getMessage().contains("does not fit one datagram") && tooBig.getMessage().contains(String.valueOf(max)),
                tooBig.getMessage());
        assertTrue(client.session.write(ByteBuffer.wrap(new byte[max])));
        runUntil(() -> client.received.size() == 21, 20_000, "reply to a maximum-size message");
        assertEquals("length " + max, client.received.get(20), "the message arrived whole, in one record");
        assertEquals(21, server.messages);
        // close_notify from the client reaches the server as an orderly close (EOF), which frees it.
        client.session.shutdown();
        assertTrue(client.session.isFinished());
        runUntil(() -> server.closedByPeer == 1, 20_000, "server sees close_notify");
        assertEquals(0, server.server.getSessionCount());
        assertFalse(client.closedByPeer, "no event for our own shutdown");
    }

    @Test
    void serverShutdownSendsCloseNotifyToEveryPeer() throws Exception {
        EchoServer server = echoServer(jdkServer(MTU));
        TestClient[] clients = new TestClient[3];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = client(jdkClient(MTU), server.address());
        }
        runUntil(() -> server.connected == 3, 20_000, server::describe);
        server.server.shutdown();
        assertTrue(server.server.isClosed());
        assertEquals(0, server.server.getSessionCount());
        runUntil(() -> clients[0].closedByPeer && clients[1].closedByPeer && clients[2].closedByPeer, 20_000,
                "every client got close_notify");
        assertEquals(0, server.closedByPeer + server.failed, "no session event for the server's own shutdown");
    }

    @Test
    void writesBeforeTheHandshakeAndAfterTheEndFailClearly() throws Exception {
        EchoServer server = echoServer(jdkServer(1400));
        TestClient client = client(jdkClient(1400), server.address());
        assertTrue(client.session.isHandshaking());
        assertNull(client.session.getCipherSuite());
        assertEquals(0, client.session.getMaxMessageSize());
        IllegalStateException early = assertThrows(IllegalStateException.class, () -> client.send("too early"));
        assertTrue(early.getMessage().contains("BEV_EVENT_CONNECTED"), early.getMessage());
        runUntil(() -> client.connected, 20_000, "handshake");
        assertNotNull(client.session.getCipherSuite());
        client.session.free();
        assertThrows(IllegalStateException.class, () -> client.send("too late"));
    }

    @Test
    void secondClientOfTheSameConfigurationResumesThroughTheFront() throws Exception {
        EchoServer server = echoServer(jdkServer(1400));
        JdkDtls clients = jdkClient(1400);
        TestClient first = client(clients, server.address());
        runUntil(() -> first.connected, 20_000, "first handshake");
        TestClient second = client(clients, server.address());
        runUntil(() -> second.connected && server.connected == 2, 20_000, () -> "second handshake: " + second + " " + server.describe());
        assertTrue(second.send("resumed"));
        runUntil(() -> second.received.size() == 1, 20_000, "reply");
    }

    /** The server's final flight is lost once; the client's timer resends its flight and the established server answers. */
    @Test
    void lostFinalFlightIsRepairedByTheClientsRetransmission() throws Exception {
        EchoServer server = echoServer(jdkServer(1400));
        Relay relay = track(new Relay(base, server.address(), 1400, null));
        int[] ccs = {0};
        relay.filter = (d, toServer) -> !toServer && containsChangeCipherSpec(d) && ccs[0]++ == 0;
        TestClient client = client(jdkClient(1400), relay.address());
        runUntil(() -> client.connected, 20_000, () -> "client finishes: " + client + " ccs " + ccs[0]);
        assertEquals(1, relay.dropped);
        assertTrue(ccs[0] >= 2, "the final flight went out again");
        assertTrue(client.send("after loss"));
        runUntil(() -> client.received.size() == 1, 20_000, "data after the repaired handshake");
    }

    /** A small path MTU: the JDK fragments its handshake messages to it, both ways. */
    @Test
    void handshakeFitsASmallMtu() throws Exception {
        int mtu = 400;
        EchoServer server = echoServer(jdkServer(mtu));
        Relay relay = track(new Relay(base, server.address(), 16_384, null));
        TestClient client = client(jdkClient(mtu), relay.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, "handshake at MTU " + mtu);
        assertTrue(relay.largestToClient <= mtu && relay.largestToClient > mtu / 2, "server's largest datagram " + relay.largestToClient);
        assertTrue(relay.largestToServer <= mtu, "client's largest datagram " + relay.largestToServer);
        assertEquals(mtu, server.server.getMaxDatagramSize());
        assertEquals(DtlsRecordOverhead.maxPlaintext(client.session.getCipherSuite(), mtu), client.session.getMaxMessageSize());
    }

    static boolean containsChangeCipherSpec(ByteBuffer d) {
        int p = d.position();
        while (p + 13 <= d.limit()) {
            if (d.get(p) == 20) {
                return true;
            }
            p += 13 + (((d.get(p + 11) & 0xFF) << 8) | (d.get(p + 12) & 0xFF));
        }
        return false;
    }
}
