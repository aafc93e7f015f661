package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslContexts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad input, each case beside a healthy session that must keep working, for both engines: the
 * healthy client talks through a {@link Relay}, so that datagrams can be watched and injected
 * from its own address (the server sees the relay's socket as the peer).
 */
class BadInputTest extends LoopTest {
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofMillis(1500);

    /** PSK_CBC: a bctls session on a CBC suite, whose cipher refuses malformed records with other alerts than AEAD's. */
    enum Engine { JDK, PSK, PSK_CBC }

    private EchoServer server;
    private Relay relay;
    private TestClient healthy;
    private int healthyReplies;

    private DtlsEngineFactory serverFactory(Engine engine) throws Exception {
        if (engine == Engine.PSK_CBC) { // CBC is no default suite: the server adds it
            int[] suites = java.util.Arrays.copyOf(BcPskDtls.SUITES, BcPskDtls.SUITES.length + 1);
            suites[suites.length - 1] = org.bouncycastle.tls.CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256;
            return track(BcPskDtls.server().cipherSuites(suites).build());
        }
        return engine == Engine.JDK ? jdkServer(MTU) : pskServer();
    }

    private DtlsEngineFactory clientFactory(Engine engine) throws Exception {
        return switch (engine) {
            case JDK -> jdkClient(MTU);
            case PSK -> pskClient(IDENTITY);
            case PSK_CBC -> track(BcPskDtls.client(IDENTITY, BcPskDtls.qtExampleKey())
                    .cipherSuites(org.bouncycastle.tls.CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256).build());
        };
    }

    /** A server with a short handshake timeout, a relay in front, and one healthy client through it. */
    private void healthySession(Engine engine) throws Exception {
        server = echoServer(DtlsServer.builder(base, serverFactory(engine)).handshakeTimeout(HANDSHAKE_TIMEOUT));
        relay = track(new Relay(base, server.address(), 16_384, null));
        healthy = client(DtlsClient.builder(base, clientFactory(engine)).handshakeTimeout(HANDSHAKE_TIMEOUT), relay.address());
        runUntil(() -> healthy.connected && server.connected == 1, 20_000, server::describe);
        assertStillHealthy();
    }

    /** The healthy session answers, and is the server's only one. */
    private void assertStillHealthy() {
        int n = ++healthyReplies;
        assertTrue(healthy.send("still here " + n));
        runUntil(() -> healthy.received.size() == n, 20_000, () -> "healthy session answers; " + server.describe());
        assertEquals("to PEER: ACK still here " + n, healthy.received.get(n - 1));
        assertTrue(healthy.session.isConnected());
    }

    /** Sends from the healthy client's socket at the relay: the server sees the peer's address. */
    private void sendAsPeer(ByteBuffer datagram) throws Exception {
        // The client's socket is bound to the wildcard address; the relay saw it from loopback.
        int port = healthy.session.endpoint().localAddress().getPort();
        relay.sendAsClient(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), datagram);
    }

    private DatagramChannel stranger() throws Exception {
        DatagramChannel ch = track(DatagramChannel.open());
        ch.bind(ANY_LOOPBACK);
        return ch;
    }

    /** Runs the loop until the server has read {@code count} more datagrams than {@code before}. */
    private void serverReads(long before, int count) {
        runUntil(() -> server.server.getDatagramsReceived() + server.server.getOversizedDatagrams() >= before + count,
                20_000, "server reads the bad datagrams");
    }

    private long serverDatagrams() {
        return server.server.getDatagramsReceived() + server.server.getOversizedDatagrams();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void garbageAndTruncatedDatagramsFromStrangersAndFromThePeer(Engine engine) throws Exception {
        healthySession(engine);
        DatagramChannel stranger = stranger();
        Random rnd = new Random(42);
        long before = serverDatagrams();
        for (int i = 0; i < 50; i++) {
            byte[] garbage = new byte[1 + rnd.nextInt(600)];
            rnd.nextBytes(garbage);
            if (i % 2 == 0) {
                garbage[0] = 22; // a handshake record's type, to get further into the parser
            }
            stranger.send(ByteBuffer.wrap(garbage), server.address());
        }
        ByteBuffer hello = firstClientHello();
        stranger.send(ByteBuffer.wrap(Arrays.copyOf(bytes(hello), hello.remaining() - 7)), server.address()); // truncated
        serverReads(before, 51);
        assertEquals(51, server.server.getMalformedHellos(), server.describe());
        assertEquals(0, server.server.getHelloVerifyRequests() - 1, "no HelloVerifyRequest for garbage");
        assertEquals(1, server.server.getSessionCount());

        DtlsSession peerSession = server.accepted.get(0);
        long unauthenticated = peerSession.getUnauthenticatedRecords();
        before = serverDatagrams();
        for (int i = 0; i < 20; i++) {
            byte[] garbage = new byte[1 + rnd.nextInt(300)];
            rnd.nextBytes(garbage);
            sendAsPeer(ByteBuffer.wrap(garbage));
        }
        byte[] truncatedRecord = {23, (byte) 0xFE, (byte) 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 100, 1, 2, 3};
        sendAsPeer(ByteBuffer.wrap(truncatedRecord));
        // Well-framed records of every content type, epochs 0 and 1, with random bodies.
        int framed = 0;
        for (int type = 20; type <= 23; type++) {
            for (int epoch = 0; epoch <= 1; epoch++) {
                byte[] body = new byte[40];
                rnd.nextBytes(body);
                sendAsPeer(record(type, epoch, 1000 + framed, body));
                framed++;
            }
        }
        serverReads(before, 21 + framed);
        assertStillHealthy();
        assertTrue(peerSession.getUnauthenticatedRecords() - unauthenticated >= 15,
                "garbage from the peer's address counted: " + (peerSession.getUnauthenticatedRecords() - unauthenticated));
        assertEquals(0, server.failed, String.valueOf(server.errors));
    }

    /** Records of the session's epoch too short for a nonce and tag: bctls refused them with decode_error and ended the session. */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void encryptedRecordsTooShortForTheCipherFromThePeerAreDropped(Engine engine) throws Exception {
        healthySession(engine);
        DtlsSession peerSession = server.accepted.get(0);
        long unauthenticated = peerSession.getUnauthenticatedRecords();
        long before = serverDatagrams();
        int sent = 0;
        for (int length = 0; length < 30; length++) {
            for (int type = 21; type <= 23; type++) { // alert, handshake, application data
                sendAsPeer(record(type, 1, 5000 + sent, new byte[length]));
                sent++;
            }
        }
        serverReads(before, sent);
        assertStillHealthy();
        assertEquals(0, server.failed, String.valueOf(server.errors));
        assertTrue(peerSession.getUnauthenticatedRecords() - unauthenticated >= 30,
                "short application records counted: " + (peerSession.getUnauthenticatedRecords() - unauthenticated));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void replayedAndTamperedRecordsAreDroppedCountedAndNeverDelivered(Engine engine) throws Exception {
        healthySession(engine);
        List<ByteBuffer> sent = new ArrayList<>();
        relay.filter = (d, toServer) -> {
            if (toServer) {
                sent.add(ByteBuffer.wrap(bytes(d)));
            }
            return false;
        };
        assertStillHealthy();
        ByteBuffer appRecord = sent.get(sent.size() - 1);
        long messages = server.messages;
        DtlsSession peerSession = server.accepted.get(0);
        long before = serverDatagrams();
        for (int i = 0; i < 3; i++) {
            sendAsPeer(appRecord.duplicate()); // replays
        }
        byte[] tampered = bytes(appRecord);
        tampered[tampered.length - 1] ^= 0x55; // the tag
        tampered[10] += 100; // a sequence number the window has not seen
        sendAsPeer(ByteBuffer.wrap(tampered));
        serverReads(before, 4);
        assertStillHealthy();
        assertEquals(messages + 1, server.messages, "replays and forgeries delivered nothing; only the next message");
        assertEquals(3, peerSession.getReplayedRecords());
        assertEquals(1, peerSession.getUnauthenticatedRecords());
        assertEquals(0, server.failed, String.valueOf(server.errors));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void fragmentedClientHellosAreDroppedWithoutState(Engine engine) throws Exception {
        healthySession(engine);
        byte[] hello = bytes(firstClientHello());
        int body = hello.length - 25;
        int half = body / 2;
        DatagramChannel stranger = stranger();
        long before = serverDatagrams();
        stranger.send(ByteBuffer.wrap(fragment(hello, 0, half)), server.address());
        stranger.send(ByteBuffer.wrap(fragment(hello, half, body - half)), server.address());
        serverReads(before, 2);
        assertEquals(2, server.server.getMalformedHellos());
        assertTrue(server.server.getLastMalformedReason().contains("fragmented"), server.server.getLastMalformedReason());
        assertEquals(1, server.server.getHelloVerifyRequests(), "only the healthy client's");
        assertEquals(1, server.server.getSessionCount());
        assertStillHealthy();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void datagramsLargerThanTheMtuAreDroppedAndCounted(Engine engine) throws Exception {
        healthySession(engine);
        long before = serverDatagrams();
        stranger().send(ByteBuffer.allocate(MTU + 1), server.address());
        sendAsPeer(ByteBuffer.allocate(4000));
        serverReads(before, 2);
        assertEquals(2, server.server.getOversizedDatagrams());
        assertStillHealthy();
        IllegalArgumentException tooBig = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> healthy.session.write(ByteBuffer.allocate(MTU)));
        assertTrue(tooBig.getMessage().contains("does not fit one datagram"), tooBig.getMessage());
        assertStillHealthy();
    }

    /** A peer that vanishes after its verified ClientHello is dropped at the handshake timeout. */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void peerVanishingMidHandshakeIsDroppedAfterTheHandshakeTimeout(Engine engine) throws Exception {
        healthySession(engine);
        Relay cut = track(new Relay(base, server.address(), MTU, null));
        int[] toServer = {0};
        cut.filter = (d, up) -> up && ++toServer[0] > 2; // ClientHello, ClientHello with cookie, then silence
        TestClient ghost = client(DtlsClient.builder(base, clientFactory(engine)).handshakeTimeout(Duration.ofSeconds(30)),
                cut.address());
        runUntil(() -> server.server.getSessionCount() == 2, 20_000, server::describe);
        runUntil(() -> server.handshakeTimeouts == 1, 20_000, server::describe);
        assertEquals(1, server.server.getSessionCount());
        // The server's handshake timeout dropped it, not the ghost's own (30 s) nor anything else.
        String why = server.lastError().cause().getMessage();
        assertTrue(why.contains("did not complete within " + HANDSHAKE_TIMEOUT.toMillis() + " ms"), why);
        assertFalse(ghost.connected);
        assertStillHealthy();
    }

    @Test
    void wrongPskEndsBothHandshakesAtTheDeadlineWithAQueuedError() throws Exception {
        healthySession(Engine.PSK);
        BcPskDtls wrong = track(BcPskDtls.client(IDENTITY, new byte[] {1, 2, 3}).build());
        TestClient impostor = client(DtlsClient.builder(base, wrong).handshakeTimeout(HANDSHAKE_TIMEOUT), server.address());
        // The wrong key shows only as Finished records that fail authentication: DTLS drops them
        // silently (RFC 6347 §4.1.2.7), so both ends give up at their handshake deadline.
        runUntil(() -> impostor.timedOut && server.handshakeTimeouts == 1, 20_000, () -> impostor + " " + server.describe());
        assertTrue(impostor.errors.get(0).cause() instanceof DtlsHandshakeTimeoutException, String.valueOf(impostor.errors));
        assertTrue(server.lastError().cause() instanceof DtlsHandshakeTimeoutException, String.valueOf(server.errors));
        assertNull(server.lastError().alert());
        assertStillHealthy();
    }

    @Test
    void wrongCertificateFailsWithAnAlertBothWays() throws Exception {
        healthySession(Engine.JDK);
        SelfSignedCertificate other = SelfSignedCertificate.generate();
        JdkDtls distrustful = JdkDtls.client(SslContexts.forClient().trustCertificates(other.certificate()).dtls().build());
        TestClient client = client(distrustful, server.address());
        runUntil(() -> client.failed && server.failed == 1, 20_000, () -> client + " " + server.describe());
        assertFalse(client.errors.get(0).remote(), "the client refused the certificate: " + client.errors);
        // The JDK client says bad_certificate for a chain it cannot build (OpenSSL would say unknown_ca).
        assertEquals("bad_certificate", server.lastError().alert(), String.valueOf(server.errors));
        assertTrue(server.lastError().remote());
        assertStillHealthy();
    }

    /** The JDK client's real first ClientHello. */
    private static ByteBuffer firstClientHello() throws Exception {
        javax.net.ssl.SSLEngine c = jdkClient(MTU).newClientEngineRaw("localhost", 1);
        c.beginHandshake();
        return MemoryDtls.drain(c).get(0);
    }

    /** One fragment of a one-record ClientHello datagram: the same header, offset and length changed. */
    private static byte[] fragment(byte[] hello, int offset, int length) {
        ByteBuffer d = ByteBuffer.allocate(25 + length);
        d.put(hello, 0, 25);
        d.put(hello, 25 + offset, length);
        ClientHelloView.putU16(d, 11, 12 + length);
        ClientHelloView.putU24(d, 13 + 6, offset);
        ClientHelloView.putU24(d, 13 + 9, length);
        return d.array();
    }

    /** One DTLS 1.2 record with the given header fields and body. */
    private static ByteBuffer record(int type, int epoch, long seq, byte[] body) {
        ByteBuffer d = ByteBuffer.allocate(13 + body.length);
        d.put((byte) type).putShort((short) 0xFEFD).putShort((short) epoch);
        d.putShort((short) (seq >>> 32)).putInt((int) seq).putShort((short) body.length).put(body);
        return d.flip();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
