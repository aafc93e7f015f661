package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Pre-shared keys through bctls: a DtlsServer and DtlsClients on one loop, handshakes on the pools. */
class BcPskSessionTest extends LoopTest {

    private BcPskDtls serverFactory() {
        return track(BcPskDtls.server()
                .keys(id -> new String(id, StandardCharsets.UTF_8).startsWith("client") ? BcPskDtls.qtExampleKey() : null)
                .build());
    }

    private BcPskDtls clientFactory(String identity, byte[] key) {
        return track(BcPskDtls.client(identity, key).build());
    }

    @Test
    void pskHandshakeThroughOurCookieThenMessagesBothWaysThenCloseNotify() throws Exception {
        EchoServer server = echoServer(serverFactory());
        TestClient client = client(clientFactory("client 1", BcPskDtls.qtExampleKey()), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        assertEquals(1, server.server.getHelloVerifyRequests(), "our HelloVerifyRequest, our cookie");
        assertEquals(1, server.server.getCookiesVerified());
        // Forward secrecy and the JDK's AES-GCM: the first of BcPskDtls.SUITES that both ends have.
        assertEquals("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", client.session.getCipherSuite());
        for (int i = 0; i < 20; i++) {
            assertTrue(client.send("message " + i));
        }
        runUntil(() -> client.received.size() == 20, 20_000, "replies");
        for (int i = 0; i < 20; i++) {
            assertEquals("to PEER: ACK message " + i, client.received.get(i));
        }
        int max = client.session.getMaxMessageSize();
        assertEquals(DtlsRecordOverhead.maxPlaintext(client.session.getCipherSuite(), MTU), max,
                "bctls' send limit matches our overhead table");
        assertTrue(client.session.write(ByteBuffer.wrap(new byte[max])));
        runUntil(() -> client.received.size() == 21, 20_000, "reply to a maximum-size message");
        assertEquals("length " + max, client.received.get(20));
        // A direct buffer goes through the per-thread copy.
        ByteBuffer direct = ByteBuffer.allocateDirect(16).put("direct message!!".getBytes(StandardCharsets.UTF_8)).flip();
        assertTrue(client.session.write(direct));
        runUntil(() -> client.received.size() == 22, 20_000, "reply to a direct buffer");
        assertEquals("to PEER: ACK direct message!!", client.received.get(21));
        client.session.shutdown();
        runUntil(() -> server.closedByPeer == 1, 20_000, "close_notify reaches the server");
        assertEquals(0, server.server.getSessionCount());
    }

    /**
     * The server's order wins: a client that lists plain PSK first still gets
     * the server's first choice, ECDHE-PSK with forward secrecy. bctls' default is the client's.
     */
    @Test
    void theServersSuiteOrderDecidesNotTheClients() throws Exception {
        EchoServer server = echoServer(serverFactory());
        TestClient client = client(track(BcPskDtls.client("client 1", BcPskDtls.qtExampleKey())
                .cipherSuites(org.bouncycastle.tls.CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
                        org.bouncycastle.tls.CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256).build()),
                server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        assertEquals("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", client.session.getCipherSuite());
        assertEquals("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", server.accepted.get(0).getCipherSuite());
    }

    static IntStream defaultSuites() {
        return IntStream.of(BcPskDtls.SUITES);
    }

    /** Each default suite on its own, whichever crypto serves its cipher (JDK or BouncyCastle's fallback). */
    @ParameterizedTest
    @MethodSource("defaultSuites")
    void everyDefaultSuiteCarriesMessagesBothWays(int suite) throws Exception {
        EchoServer server = echoServer(serverFactory());
        TestClient client = client(track(BcPskDtls.client("client 1", BcPskDtls.qtExampleKey()).cipherSuites(suite).build()),
                server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        assertEquals(CipherSuiteNames.name(suite), client.session.getCipherSuite());
        assertEquals(CipherSuiteNames.name(suite), server.accepted.get(0).getCipherSuite());
        int max = client.session.getMaxMessageSize();
        assertEquals(DtlsRecordOverhead.maxPlaintext(client.session.getCipherSuite(), MTU), max);
        assertTrue(client.send("one"));
        assertTrue(client.session.write(ByteBuffer.wrap(new byte[max])));
        runUntil(() -> client.received.size() == 2, 20_000, "replies");
        assertEquals("to PEER: ACK one", client.received.get(0));
        assertEquals("length " + max, client.received.get(1));
        assertTrue(server.accepted.get(0).write(ByteBuffer.wrap("pushed".getBytes(StandardCharsets.UTF_8))));
        runUntil(() -> client.received.size() == 3, 20_000, "server to client");
        assertEquals("pushed", client.received.get(2));
    }

    @Test
    void serverCloseNotifyReachesTheClientAsEof() throws Exception {
        EchoServer server = echoServer(serverFactory());
        TestClient client = client(clientFactory("client 1", BcPskDtls.qtExampleKey()), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        server.accepted.get(0).shutdown();
        runUntil(() -> client.closedByPeer, 20_000, () -> "client sees close_notify: " + client);
        assertTrue(client.ended());
    }

    @Test
    void unknownIdentityFailsWithAnAlertWhileAnotherSessionKeepsWorking() throws Exception {
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory()).handshakeTimeout(Duration.ofSeconds(2)));
        TestClient good = client(clientFactory("client good", BcPskDtls.qtExampleKey()), server.address());
        runUntil(() -> good.connected, 20_000, "good handshake");
        TestClient stranger = client(clientFactory("stranger", BcPskDtls.qtExampleKey()), server.address());
        runUntil(() -> stranger.failed && server.failed == 1, 20_000, () -> "refused: " + stranger + " " + server.describe());
        assertEquals("unknown_psk_identity", stranger.errors.get(0).alert(), String.valueOf(stranger.errors));
        assertTrue(stranger.errors.get(0).remote(), "the server sent the alert");
        assertEquals("unknown_psk_identity", server.lastError().alert());
        assertFalse(server.lastError().remote(), "we sent it");
        assertTrue(good.send("still here"));
        runUntil(() -> good.received.size() == 1, 20_000, "healthy session answers");
        assertEquals(1, server.server.getSessionCount());
    }

    /** The server's final flight is lost once; the client's retransmission is answered from the loop. */
    @Test
    void lostFinalFlightIsRetransmittedFromTheLoopSideReceive() throws Exception {
        EchoServer server = echoServer(serverFactory());
        Relay relay = track(new Relay(base, server.address(), MTU, null));
        int[] ccsSeen = {0};
        relay.filter = (d, toServer) -> !toServer && JdkSessionTest.containsChangeCipherSpec(d) && ccsSeen[0]++ == 0;
        TestClient client = client(clientFactory("client 1", BcPskDtls.qtExampleKey()), relay.address());
        // The server is done once its final flight left; the relay drops that flight's CCS.
        runUntil(() -> server.connected == 1 && relay.dropped == 1, 20_000, "server side done");
        assertFalse(client.connected, "client cannot finish without the server's Finished");
        runUntil(() -> client.connected, 20_000, "client finishes after its retransmission");
        assertTrue(ccsSeen[0] >= 2, "final flight sent again: " + ccsSeen[0]);
        assertTrue(client.send("after loss"));
        runUntil(() -> client.received.size() == 1, 20_000, "data after the repaired handshake");
    }

    /** bctls zeroes the key array it is given once the key is derived; the callback's array must survive. */
    @Test
    void aKeyArrayTheCallbackKeepsIsNotZeroedByBctls() throws Exception {
        byte[] shared = BcPskDtls.qtExampleKey();
        BcPskDtls factory = track(BcPskDtls.server().keys(id -> shared).build());
        EchoServer server = echoServer(factory);
        for (int i = 0; i < 2; i++) {
            TestClient client = client(pskClient(IDENTITY), server.address());
            runUntil(() -> client.connected, 20_000, () -> "handshake: " + client + " " + server.describe());
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(BcPskDtls.qtExampleKey(), shared);
    }

    /** Pins the bctls fact the adapter is built around: receive(..., 0) on an empty, non-blocking transport never returns. */
    @Test
    void bctlsReceiveWithZeroWaitSpinsForeverOnAnEmptyTransport() throws Exception {
        int[] calls = {0};
        org.bouncycastle.tls.DatagramTransport empty = new org.bouncycastle.tls.DatagramTransport() {
            @Override public int getReceiveLimit() { return 1452; }
            @Override public int getSendLimit() { return 1452; }
            @Override public int receive(byte[] b, int o, int l, int w) throws java.io.IOException {
                calls[0]++;
                if (calls[0] > 2_000_000) {
                    throw new java.io.InterruptedIOException("test stops the spin");
                }
                return -1;
            }
            @Override public void send(byte[] b, int o, int l) { }
            @Override public void close() { }
        };
        org.bouncycastle.tls.DTLSTransport t = BcMemoryPair.establishedClientOver(empty);
        long t0 = System.nanoTime();
        Throwable thrown = null;
        try {
            t.receive(new byte[1452], 0, 1452, 0);
        } catch (java.io.InterruptedIOException e) {
            thrown = e;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("bctls receive(waitMillis=0) on an empty non-blocking transport: %d transport polls in %d ms,"
                + " returned only by our exception%n", calls[0], ms);
        assertNotNull(thrown, "returned without data");
        assertTrue(calls[0] > 2_000_000);
    }
}
