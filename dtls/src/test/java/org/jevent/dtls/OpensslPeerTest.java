package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code openssl} command line as a real DTLS 1.2 peer, both ways, certificates and PSK,
 * messages checked both ways. OpenSSL's client answers our HelloVerifyRequest (its second
 * ClientHello carries message_seq 1 and the cookie); {@code s_server} does its own cookie
 * exchange by default, which our clients follow. {@code openssl} is installed by {@code .ci/run}:
 * nothing here is skipped when it is missing.
 */
class OpensslPeerTest extends LoopTest {
    static final String HEX_KEY = "1a2b3c4d5e6f";
    @TempDir
    Path dir;

    private OpensslProcess openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        return track(new OpensslProcess(cmd));
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static int freeUdpPort() throws Exception {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return ((InetSocketAddress) ch.getLocalAddress()).getPort();
        }
    }

    @Test
    void opensslClientAgainstOurCertificateServer() throws Exception {
        EchoServer server = echoServer(jdkServer(MTU));
        // Without -ign_eof: a line "Q" makes s_client send close_notify and quit.
        OpensslProcess client = openssl("s_client", "-dtls1_2", "-connect", hostPort(server.address()));
        runUntil(() -> server.connected == 1, 20_000, () -> "handshake; openssl said: " + client.output());
        client.writeLine("hello from openssl");
        runUntil(() -> client.output().contains("to PEER: ACK hello from openssl"), 20_000,
                () -> "reply; openssl said: " + client.output());
        assertEquals(1, server.server.getHelloVerifyRequests(), "openssl followed our HelloVerifyRequest");
        assertTrue(client.output().contains("Protocol  : DTLSv1.2"), client.output());
        // Server to client unprompted, then close_notify from openssl ("Q" quits with a shutdown).
        server.accepted.get(0).write(java.nio.ByteBuffer.wrap("pushed by jevent\n".getBytes()));
        runUntil(() -> client.output().contains("pushed by jevent"), 20_000, () -> "push; openssl said: " + client.output());
        client.writeLine("Q");
        runUntil(() -> server.closedByPeer == 1, 20_000, () -> "close_notify; openssl said: " + client.output());
    }

    @Test
    void opensslPskClientAgainstOurPskServer() throws Exception {
        EchoServer server = echoServer(pskServer());
        OpensslProcess client = openssl("s_client", "-dtls1_2", "-connect", hostPort(server.address()),
                "-psk", HEX_KEY, "-psk_identity", IDENTITY, "-ign_eof");
        runUntil(() -> server.connected == 1, 20_000, () -> "handshake; openssl said: " + client.output());
        client.writeLine("hello over PSK");
        runUntil(() -> client.output().contains("to PEER: ACK hello over PSK"), 20_000,
                () -> "reply; openssl said: " + client.output());
        assertTrue(client.output().contains("PSK identity hint: Qt DTLS example server"), client.output());
        assertEquals(1, server.server.getHelloVerifyRequests());
        // OpenSSL 3.0 has no RFC 8442 ECDHE-PSK AES-GCM: its forward-secret AEAD suite is ChaCha20.
        assertEquals("TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", server.accepted.get(0).getCipherSuite());
        server.accepted.get(0).write(java.nio.ByteBuffer.wrap("pushed over PSK\n".getBytes()));
        runUntil(() -> client.output().contains("pushed over PSK"), 20_000, () -> "push; openssl said: " + client.output());
    }

    @Test
    void ourCertificateClientAgainstOpensslServer() throws Exception {
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        CERT.writePem(certPem, keyPem);
        int port = freeUdpPort();
        OpensslProcess server = openssl("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port,
                "-cert", certPem.toString(), "-key", keyPem.toString());
        runUntil(() -> server.output().contains("ACCEPT"), 20_000, () -> "s_server start: " + server.output());
        TestClient client = client(jdkClient(MTU), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        runUntil(() -> client.connected, 20_000, () -> "handshake; s_server said: " + server.output());
        assertTrue(client.send("hello openssl\n"));
        runUntil(() -> server.output().contains("hello openssl"), 20_000, () -> "s_server got: " + server.output());
        server.writeLine("hello jevent");
        runUntil(() -> client.received.contains("hello jevent\n"), 20_000, () -> "client got " + client.received);
        client.session.shutdown();
        runUntil(() -> server.output().contains("DONE"), 20_000, () -> "s_server saw close_notify: " + server.output());
    }

    @Test
    void ourPskClientAgainstOpensslPskServer() throws Exception {
        int port = freeUdpPort();
        OpensslProcess server = openssl("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port, "-nocert",
                "-psk", HEX_KEY, "-psk_hint", "Qt DTLS example server", "-psk_identity", IDENTITY);
        runUntil(() -> server.output().contains("ACCEPT"), 20_000, () -> "s_server start: " + server.output());
        TestClient client = client(pskClient(IDENTITY), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        runUntil(() -> client.connected, 20_000, () -> "handshake; s_server said: " + server.output());
        assertTrue(client.send("hello openssl psk\n"));
        runUntil(() -> server.output().contains("hello openssl psk"), 20_000, () -> "s_server got: " + server.output());
        server.writeLine("hello jevent psk");
        runUntil(() -> client.received.contains("hello jevent psk\n"), 20_000, () -> "client got " + client.received);
        assertFalse(server.output().contains("PSK warning"), server.output());
        assertEquals("TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", client.session.getCipherSuite());
    }
}
