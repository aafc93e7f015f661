package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

class JdkDtlsLoopbackTest extends LoopTest {
    static final SelfSignedCertificate CERT = SelfSignedCertificate.generate();

    static SSLContext serverContext() throws Exception {
        return JdkDtlsContexts.server(CERT.privateKey(), CERT.certificate());
    }

    static SSLContext clientContext() throws Exception {
        return JdkDtlsContexts.client(CERT.certificate());
    }

    @Test
    void handshakeThroughTheStatelessFrontThenMessagesBothWays() throws Exception {
        TestDtlsServer server = new TestDtlsServer(base, JdkDtls.server(serverContext(), 1400), new HvrRateLimiter(100, 10), 1400);
        track(server);
        TestDtlsClient client = new TestDtlsClient(base, JdkDtls.client(clientContext(), 1400), server.address(), 1400);
        track(client);
        Loops.runUntil(base, () -> client.established && server.established == 1, 20_000, "handshake");
        assertEquals(1, server.verifier.helloVerifyRequests(), "one HelloVerifyRequest, the JDK's cookie");
        assertEquals(1, server.verifier.verified());
        JdkCookieScheme scheme = (JdkCookieScheme) server.factory.cookieScheme();
        assertEquals(2, scheme.enginesPrimed(), "one engine minted the cookie, one verified it and became the session");
        assertTrue(client.engine.cipherSuite().startsWith("TLS_ECDHE_ECDSA"), client.engine.cipherSuite());
        for (int i = 0; i < 20; i++) {
            assertTrue(client.send("message " + i), () -> client.engine.status() + " " + client.engine.failure());
        }
        Loops.runUntil(base, () -> client.received.size() == 20, 20_000, "20 replies");
        for (int i = 0; i < 20; i++) {
            assertEquals("to PEER: ACK message " + i, client.received.get(i));
        }
        // One datagram per message, and a message too large for the MTU is refused, not split.
        int max = client.engine.maxPlaintext();
        assertTrue(max > 1000 && max < 1400, "max plaintext " + max);
        assertThrows(IllegalArgumentException.class, () -> client.engine.send(ByteBuffer.allocate(max + 1)));
        assertTrue(client.engine.send(ByteBuffer.wrap(new byte[max])));
        Loops.runUntil(base, () -> client.received.size() == 21, 20_000, "reply to a maximum-size message");
        assertEquals("length " + max, client.received.get(20), "the message arrived whole, in one record");
        assertEquals(21, server.messages);
        // close_notify from the client reaches the server as an orderly close.
        client.engine.close();
        Loops.runUntil(base, () -> server.closedByPeer == 1, 20_000, "server sees close_notify");
        assertEquals(0, server.sessions.size());
    }

    @Test
    void messagesBeforeTheHandshakeEndAreRefused() throws Exception {
        TestDtlsServer server = new TestDtlsServer(base, JdkDtls.server(serverContext(), 1400), new HvrRateLimiter(100, 10), 1400);
        track(server);
        TestDtlsClient client = new TestDtlsClient(base, JdkDtls.client(clientContext(), 1400), server.address(), 1400);
        track(client);
        assertEquals(DtlsEngine.Status.HANDSHAKING, client.engine.status());
        assertTrue(!client.send("too early"));
        Loops.runUntil(base, () -> client.established, 20_000, "handshake");
        assertNotNull(client.engine.cipherSuite());
    }

    @Test
    void secondClientOfTheSameContextResumesThroughTheFront() throws Exception {
        TestDtlsServer server = new TestDtlsServer(base, JdkDtls.server(serverContext(), 1400), new HvrRateLimiter(100, 10), 1400);
        track(server);
        JdkDtls clients = JdkDtls.client(clientContext(), 1400);
        TestDtlsClient first = new TestDtlsClient(base, clients, server.address(), 1400);
        track(first);
        Loops.runUntil(base, () -> first.established, 20_000, "first handshake");
        TestDtlsClient second = new TestDtlsClient(base, clients, server.address(), 1400);
        track(second);
        Loops.runUntil(base, () -> second.established && server.established == 2, 20_000,
                () -> "second handshake: client " + second.engine.status() + " " + second.engine.failure()
                        + " server established " + server.established + " failed " + server.failed + " " + server.lastFailure
                        + " hvr " + server.verifier.helloVerifyRequests() + " verified " + server.verifier.verified());
        assertTrue(second.send("resumed"));
        Loops.runUntil(base, () -> second.received.size() == 1, 20_000, "reply");
    }

    /** The server's final flight is lost once; the client's timer resends its flight and the established server answers. */
    @Test
    void lostFinalFlightIsRepairedByTheClientsRetransmission() throws Exception {
        TestDtlsServer server = new TestDtlsServer(base, JdkDtls.server(serverContext(), 1400), new HvrRateLimiter(100, 10), 1400);
        track(server);
        int[] ccs = {0};
        server.dropOutgoing = d -> BcPskDtlsTest.containsChangeCipherSpec(d) && ccs[0]++ == 0;
        TestDtlsClient client = new TestDtlsClient(base, JdkDtls.client(clientContext(), 1400), server.address(), 1400);
        track(client);
        Loops.runUntil(base, () -> client.established, 20_000,
                () -> "client finishes: " + client.engine.status() + " dropped " + server.droppedOutgoing + " ccs " + ccs[0]);
        assertEquals(1, server.droppedOutgoing);
        assertTrue(ccs[0] >= 2, "the final flight went out again");
        assertTrue(client.send("after loss"));
        Loops.runUntil(base, () -> client.received.size() == 1, 20_000, "data after the repaired handshake");
    }

    /** A small path MTU: the JDK fragments its handshake messages to it, both ways. */
    @Test
    void handshakeFitsASmallMtu() throws Exception {
        int mtu = 400;
        TestDtlsServer server = track(new TestDtlsServer(base, JdkDtls.server(serverContext(), mtu), new HvrRateLimiter(100, 10), mtu));
        int[] largest = {0, 0};
        server.dropOutgoing = d -> {
            largest[0] = Math.max(largest[0], d.remaining());
            return false;
        };
        TestDtlsClient client = track(new TestDtlsClient(base, JdkDtls.client(clientContext(), mtu), server.address(), mtu));
        client.onSend = d -> largest[1] = Math.max(largest[1], d.remaining());
        Loops.runUntil(base, () -> client.established && server.established == 1, 20_000, "handshake at MTU " + mtu);
        assertTrue(largest[0] <= mtu && largest[0] > mtu / 2, "server's largest datagram " + largest[0]);
        assertTrue(largest[1] <= mtu, "client's largest datagram " + largest[1]);
        assertEquals(DtlsRecordOverhead.maxPlaintext(client.engine.cipherSuite(), mtu), client.engine.maxPlaintext());
    }
}
