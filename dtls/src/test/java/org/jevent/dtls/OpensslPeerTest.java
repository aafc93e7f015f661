package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code openssl} command line as a real DTLS 1.2 peer, both ways, certificates and PSK.
 * OpenSSL's client answers our HelloVerifyRequest (its second ClientHello carries message_seq 1
 * and the cookie); {@code s_server} does its own cookie exchange by default, which our clients
 * follow.
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
        TestDtlsServer server = track(new TestDtlsServer(base, JdkDtls.server(JdkDtlsLoopbackTest.serverContext(), 1452),
                new HvrRateLimiter(100, 10), 1452));
        OpensslProcess client = openssl("s_client", "-dtls1_2", "-connect", hostPort(server.address()), "-ign_eof");
        Loops.runUntil(base, () -> server.established == 1, 20_000, () -> "handshake; openssl said: " + client.output());
        client.writeLine("hello from openssl");
        Loops.runUntil(base, () -> client.output().contains("to PEER: ACK hello from openssl"), 20_000,
                () -> "reply; openssl said: " + client.output());
        assertEquals(1, server.verifier.helloVerifyRequests(), "openssl followed our HelloVerifyRequest");
        assertTrue(client.output().contains("Protocol  : DTLSv1.2"), client.output());
    }

    @Test
    void opensslPskClientAgainstOurPskServer() throws Exception {
        BcPskDtls factory = track(BcPskDtls.server().build().bind(base));
        TestDtlsServer server = track(new TestDtlsServer(base, factory, new HvrRateLimiter(100, 10), 1452));
        OpensslProcess client = openssl("s_client", "-dtls1_2", "-connect", hostPort(server.address()),
                "-psk", HEX_KEY, "-psk_identity", "Qt DTLS example client", "-ign_eof");
        Loops.runUntil(base, () -> server.established == 1, 20_000, () -> "handshake; openssl said: " + client.output());
        client.writeLine("hello over PSK");
        Loops.runUntil(base, () -> client.output().contains("to PEER: ACK hello over PSK"), 20_000,
                () -> "reply; openssl said: " + client.output());
        assertTrue(client.output().contains("PSK identity hint: Qt DTLS example server"), client.output());
        assertEquals(1, server.verifier.helloVerifyRequests());
    }

    @Test
    void ourCertificateClientAgainstOpensslServer() throws Exception {
        SelfSignedCertificate cert = JdkDtlsLoopbackTest.CERT;
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        cert.writePem(certPem, keyPem);
        int port = freeUdpPort();
        OpensslProcess server = openssl("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port,
                "-cert", certPem.toString(), "-key", keyPem.toString());
        Loops.runUntil(base, () -> server.output().contains("ACCEPT"), 20_000, () -> "s_server start: " + server.output());
        TestDtlsClient client = track(new TestDtlsClient(base, JdkDtls.client(JdkDtlsLoopbackTest.clientContext(), 1452),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1452));
        Loops.runUntil(base, () -> client.established, 20_000, () -> "handshake; s_server said: " + server.output());
        assertTrue(client.send("hello openssl\n"));
        Loops.runUntil(base, () -> server.output().contains("hello openssl"), 20_000, () -> "s_server got: " + server.output());
        server.writeLine("hello jevent");
        Loops.runUntil(base, () -> client.received.contains("hello jevent\n"), 20_000, () -> "client got " + client.received);
    }

    @Test
    void ourPskClientAgainstOpensslPskServer() throws Exception {
        int port = freeUdpPort();
        OpensslProcess server = openssl("s_server", "-dtls1_2", "-accept", "127.0.0.1:" + port, "-nocert",
                "-psk", HEX_KEY, "-psk_hint", "Qt DTLS example server", "-psk_identity", "Qt DTLS example client");
        Loops.runUntil(base, () -> server.output().contains("ACCEPT"), 20_000, () -> "s_server start: " + server.output());
        BcPskDtls factory = track(BcPskDtls.client("Qt DTLS example client", BcPskDtls.QT_EXAMPLE_KEY).build().bind(base));
        TestDtlsClient client = track(new TestDtlsClient(base, factory, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1452));
        Loops.runUntil(base, () -> client.established, 20_000, () -> "handshake; s_server said: " + server.output());
        assertTrue(client.send("hello openssl psk\n"));
        Loops.runUntil(base, () -> server.output().contains("hello openssl psk"), 20_000, () -> "s_server got: " + server.output());
        server.writeLine("hello jevent psk");
        Loops.runUntil(base, () -> client.received.contains("hello jevent psk\n"), 20_000, () -> "client got " + client.received);
        assertTrue(!server.output().contains("PSK warning"), server.output());
    }
}
