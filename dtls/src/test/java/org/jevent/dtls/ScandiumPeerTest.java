package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Californium's Scandium as the second real DTLS peer: its client against our server, ours against its server. */
class ScandiumPeerTest extends LoopTest {
    private static final String IDENTITY = "Qt DTLS example client";

    @Test
    void scandiumPskClientAgainstOurServer() throws Exception {
        BcPskDtls factory = track(BcPskDtls.server().build().bind(base));
        TestDtlsServer server = track(new TestDtlsServer(base, factory, new HvrRateLimiter(100, 10), 1452));
        ScandiumPeer client = track(ScandiumPeer.pskClient(IDENTITY, BcPskDtls.QT_EXAMPLE_KEY));
        client.send("hello from scandium", server.address());
        Loops.runUntil(base, () -> client.received.contains("to PEER: ACK hello from scandium"), 20_000,
                () -> "reply; server established " + server.established + " failed " + server.lastFailure);
        assertEquals(1, server.verifier.helloVerifyRequests(), "Scandium followed our HelloVerifyRequest");
        System.out.println("Scandium PSK client -> our server: " + server.sessions.values().iterator().next().cipherSuite());
    }

    @Test
    void scandiumCertificateClientAgainstOurServer() throws Exception {
        TestDtlsServer server = track(new TestDtlsServer(base, JdkDtls.server(JdkDtlsLoopbackTest.serverContext(), 1452),
                new HvrRateLimiter(100, 10), 1452));
        ScandiumPeer client = track(ScandiumPeer.certificateClient(JdkDtlsLoopbackTest.CERT.certificate()));
        client.send("hello x509", server.address());
        Loops.runUntil(base, () -> client.received.contains("to PEER: ACK hello x509"), 20_000,
                () -> "reply; server established " + server.established + " failed " + server.lastFailure
                        + " hvr " + server.verifier.helloVerifyRequests() + " malformed " + server.verifier.droppedMalformed()
                        + " " + server.verifier.lastRejection());
        System.out.println("Scandium X.509 client -> our server: " + server.sessions.values().iterator().next().cipherSuite());
    }

    @Test
    void ourPskClientAgainstScandiumServer() throws Exception {
        ScandiumPeer server = track(ScandiumPeer.pskServer(IDENTITY, BcPskDtls.QT_EXAMPLE_KEY));
        BcPskDtls factory = track(BcPskDtls.client(IDENTITY, BcPskDtls.QT_EXAMPLE_KEY).build().bind(base));
        TestDtlsClient client = track(new TestDtlsClient(base, factory, server.address(), 1452));
        Loops.runUntil(base, () -> client.established, 20_000, () -> "handshake: " + client.engine.failure());
        assertTrue(client.send("hello scandium"));
        Loops.runUntil(base, () -> client.received.contains("echo:hello scandium"), 20_000, () -> "echo: " + client.received);
        System.out.println("our PSK client -> Scandium server: " + client.engine.cipherSuite());
    }

    @Test
    void ourCertificateClientAgainstScandiumServer() throws Exception {
        ScandiumPeer server = track(ScandiumPeer.certificateServer(JdkDtlsLoopbackTest.CERT.privateKey(), JdkDtlsLoopbackTest.CERT.certificate()));
        TestDtlsClient client = track(new TestDtlsClient(base, JdkDtls.client(JdkDtlsLoopbackTest.clientContext(), 1452),
                server.address(), 1452));
        Loops.runUntil(base, () -> client.established, 20_000, () -> "handshake: " + client.engine.status() + " " + client.engine.failure());
        assertTrue(client.send("hello scandium x509"));
        Loops.runUntil(base, () -> client.received.contains("echo:hello scandium x509"), 20_000, () -> "echo: " + client.received);
        System.out.println("our X.509 client -> Scandium server: " + client.engine.cipherSuite());
    }
}
