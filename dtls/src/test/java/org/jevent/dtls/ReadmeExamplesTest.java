package org.jevent.dtls;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "DTLS over UDP" code, line for line between the {@code README} markers, compiled
 * and run against a real peer: the PSK server against our PSK client, the certificate client
 * against our certificate server. The README sets {@code local} and {@code serverAddress} to port 4433.
 */
class ReadmeExamplesTest extends LoopTest {
    @TempDir
    Path dir;

    /** The README's PSK server, bound to {@code local}; the README then calls {@code base.dispatch()}. */
    private DtlsServer readmePskServer(EventBase base, InetSocketAddress local) throws IOException {
        // README: PSK server
        BcPskDtls psk = BcPskDtls.server()                       // identity hint "Qt DTLS example server"
                .keys(identity -> BcPskDtls.qtExampleKey())      // Qt's pskRequired: the key for this identity
                .build();
        DtlsServer server = DtlsServer.bind(base, local, psk, (srv, session) ->
                session.setCallbacks(
                        (s, message) -> s.write(ByteBuffer.wrap(("to PEER: ACK " + UTF_8.decode(message)).getBytes(UTF_8))),
                        (s, what) -> {
                            if ((what & BEV_EVENT_CONNECTED) == 0) {                 // EOF, ERROR or TIMEOUT: the end
                                System.out.println(s.getPeer() + " ended: " + s.getSslError());
                            }
                        }));
        // README end
        track(psk);
        return server;
    }

    /** The README's certificate client. */
    private DtlsSession readmeCertificateClient(EventBase base, Path caPem, InetSocketAddress serverAddress) throws Exception {
        // README: certificate client
        JdkDtls tls = JdkDtls.client(SslContexts.forClient().trustPem(caPem).dtls().build());
        DtlsSession session = DtlsClient.connect(base, serverAddress, tls,
                (s, message) -> System.out.println("server says " + UTF_8.decode(message)),
                (s, what) -> {
                    if ((what & BEV_EVENT_CONNECTED) != 0) {
                        s.write(ByteBuffer.wrap("hello".getBytes(UTF_8)));
                    } else {
                        System.out.println("ended: " + s.getSslError());
                    }
                });
        // README end
        return session;
    }

    @Test
    void pskServerAnswersAPskClient() throws Exception {
        DtlsServer server = readmePskServer(base, ANY_LOOPBACK);
        try {
            TestClient client = client(pskClient(IDENTITY), server.getLocalAddress());
            runUntil(() -> client.connected, 20_000, client::toString);
            assertTrue(client.send("hello"));
            runUntil(() -> client.received.size() == 1, 20_000, "reply");
            assertEquals("to PEER: ACK hello", client.received.get(0));
        } finally {
            server.free();
        }
    }

    @Test
    void certificateClientTalksToACertificateServer() throws Exception {
        Path caPem = dir.resolve("ca.pem");
        CERT.writePem(caPem, dir.resolve("key.pem"));
        EchoServer server = echoServer(jdkServer(MTU));
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, UTF_8));
        try {
            DtlsSession session = readmeCertificateClient(base, caPem, server.address());
            runUntil(() -> printed.toString(UTF_8).contains("server says to PEER: ACK hello"), 20_000,
                    () -> "the reply, printed; got " + printed.toString(UTF_8) + " " + server.describe());
            assertTrue(session.isConnected());
            session.shutdown();
        } finally {
            System.setOut(stdout);
        }
        runUntil(() -> server.closedByPeer == 1, 20_000, "the server got close_notify");
    }
}
