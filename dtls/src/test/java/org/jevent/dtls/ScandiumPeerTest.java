package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Californium's Scandium as the second real DTLS peer: its client against our server, ours against its server. */
class ScandiumPeerTest extends LoopTest {

    @Test
    void scandiumPskClientAgainstOurServer() throws Exception {
        EchoServer server = echoServer(pskServer());
        ScandiumPeer client = track(ScandiumPeer.pskClient(IDENTITY, BcPskDtls.qtExampleKey()));
        client.send("hello from scandium", server.address());
        runUntil(() -> client.received.contains("to PEER: ACK hello from scandium"), 20_000, server::describe);
        assertEquals(1, server.server.getHelloVerifyRequests(), "Scandium followed our HelloVerifyRequest");
        // Both have RFC 8442's ECDHE-PSK AES-GCM, the first of our defaults: forward secrecy.
        assertEquals("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", server.accepted.get(0).getCipherSuite());
        server.accepted.get(0).write(java.nio.ByteBuffer.wrap("pushed to scandium".getBytes()));
        runUntil(() -> client.received.contains("pushed to scandium"), 20_000, "server to Scandium client");
    }

    @Test
    void scandiumCertificateClientAgainstOurServer() throws Exception {
        EchoServer server = echoServer(jdkServer(MTU));
        ScandiumPeer client = track(ScandiumPeer.certificateClient(CERT.certificate()));
        client.send("hello x509", server.address());
        runUntil(() -> client.received.contains("to PEER: ACK hello x509"), 20_000, server::describe);
        assertTrue(server.accepted.get(0).getCipherSuite().startsWith("TLS_ECDHE_ECDSA"), server.accepted.get(0).getCipherSuite());
        server.accepted.get(0).write(java.nio.ByteBuffer.wrap("pushed to scandium".getBytes()));
        runUntil(() -> client.received.contains("pushed to scandium"), 20_000, "server to Scandium client");
    }

    @Test
    void ourPskClientAgainstScandiumServer() throws Exception {
        ScandiumPeer server = track(ScandiumPeer.pskServer(IDENTITY, BcPskDtls.qtExampleKey()));
        TestClient client = client(pskClient(IDENTITY), server.address());
        runUntil(() -> client.connected, 20_000, client::toString);
        assertTrue(client.send("hello scandium"));
        runUntil(() -> client.received.contains("echo:hello scandium"), 20_000, () -> "echo: " + client.received);
        assertTrue(server.received.contains("hello scandium"));
        assertEquals("TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", client.session.getCipherSuite());
    }

    @Test
    void ourCertificateClientAgainstScandiumServer() throws Exception {
        ScandiumPeer server = track(ScandiumPeer.certificateServer(CERT.privateKey(), CERT.certificate()));
        TestClient client = client(jdkClient(MTU), server.address());
        runUntil(() -> client.connected, 20_000, client::toString);
        assertTrue(client.send("hello scandium x509"));
        runUntil(() -> client.received.contains("echo:hello scandium x509"), 20_000, () -> "echo: " + client.received);
        assertTrue(server.received.contains("hello scandium x509"));
        assertTrue(client.session.getCipherSuite().startsWith("TLS_ECDHE_ECDSA"), client.session.getCipherSuite());
    }
}
