package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SslContexts with {@code dtls()}: a SunJSSE DTLS context whatever the default provider, the
 * maximum packet size on every engine, and a real DTLS handshake between its engines over
 * in-memory datagrams, none longer than that size.
 */
class SslContextsDtlsTest {
    private static SelfSignedCertificate cert;

    @BeforeAll
    static void certificate() {
        cert = SelfSignedCertificate.generate();
    }

    @Test
    void dtlsEnginesHandshakeInDatagramsNoLongerThanTheMaximumPacketSize() throws Exception {
        int mtu = 400;
        SslContexts server = SslContexts.forServer(cert).dtls(mtu).build();
        SslContexts client = SslContexts.forClient().trustCertificates(cert.certificate()).dtls(mtu).build();
        for (SslContexts c : List.of(server, client)) {
            assertTrue(c.isDtls());
            assertEquals(mtu, c.maxPacketSize());
            assertEquals(SslProvider.JDK, c.provider(), "DTLS is SunJSSE's, whatever the default");
            assertEquals("DTLS", c.sslContext().getProtocol());
            assertEquals(SslContexts.DEFAULT_DTLS_PROTOCOLS, c.protocols());
        }
        SSLEngine s = server.newServerEngine();
        SSLEngine c = client.newClientEngine("localhost", 4433);
        for (SSLEngine e : List.of(s, c)) {
            assertEquals(mtu, e.getSSLParameters().getMaximumPacketSize());
            assertArrayEquals(new String[] {"DTLSv1.2"}, e.getEnabledProtocols());
        }
        assertEquals("HTTPS", c.getSSLParameters().getEndpointIdentificationAlgorithm(), "host name still verified");

        DatagramPair pair = new DatagramPair(c, s);
        c.beginHandshake();
        s.beginHandshake();
        pair.run();
        assertEquals(HandshakeStatus.NOT_HANDSHAKING, c.getHandshakeStatus());
        assertEquals(HandshakeStatus.NOT_HANDSHAKING, s.getHandshakeStatus());
        assertEquals("DTLSv1.2", c.getSession().getProtocol());
        assertEquals(cert.certificate(), c.getSession().getPeerCertificates()[0]);
        assertTrue(pair.largest <= mtu, "largest datagram " + pair.largest + " > " + mtu);
        assertTrue(pair.largest > mtu / 2, "the certificate flight was cut near the limit: " + pair.largest);
        assertTrue(pair.datagrams > 8, "fragmented handshake: " + pair.datagrams + " datagrams");

        assertEquals("ping", pair.send(c, s, "ping"));
        assertEquals("pong", pair.send(s, c, "pong"));
    }

    @Test
    void theDefaultPacketSizeFitsA1500ByteEthernetPath() throws Exception {
        SslContexts server = SslContexts.forServer(cert).dtls().build();
        assertEquals(1500 - 40 - 8, SslContexts.DEFAULT_DTLS_MAX_PACKET_SIZE, "Ethernet MTU - IPv6 header - UDP header");
        assertEquals(SslContexts.DEFAULT_DTLS_MAX_PACKET_SIZE, server.maxPacketSize());
        assertEquals(SslContexts.DEFAULT_DTLS_MAX_PACKET_SIZE,
                server.newServerEngine().getSSLParameters().getMaximumPacketSize());
        assertTrue(server.toString().contains("max packet 1452"), server.toString());
    }

    @Test
    void conscryptHasNoDtlsWhicheverIsAskedFirst() {
        IllegalStateException before = assertThrows(IllegalStateException.class,
                () -> SslContexts.forServer(cert).provider(SslProvider.CONSCRYPT).dtls());
        IllegalStateException after = assertThrows(IllegalStateException.class,
                () -> SslContexts.forClient().dtls().provider(SslProvider.CONSCRYPT));
        for (IllegalStateException e : List.of(before, after)) {
            assertTrue(e.getMessage().contains("Conscrypt has no DTLS") && e.getMessage().contains("SslProvider.JDK"),
                    e.getMessage());
        }
        // Asking for the JDK explicitly is fine, in either order.
        SslContexts.forServer(cert).provider(SslProvider.JDK).dtls();
        SslContexts.forServer(cert).dtls().provider(SslProvider.JDK);
    }

    @Test
    void protocolsAndSizesAreCheckedAgainstTheKindOfContext() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> SslContexts.forServer(cert).dtls(SslContexts.MIN_DTLS_PACKET_SIZE - 1));
        assertThrows(IllegalArgumentException.class, () -> SslContexts.forServer(cert).dtls(SslContexts.MAX_DTLS_PACKET_SIZE + 1));
        IllegalArgumentException noDtls = assertThrows(IllegalArgumentException.class,
                () -> SslContexts.forServer(cert).protocols("DTLSv1.2").build());
        assertTrue(noDtls.getMessage().contains("dtls()"), noDtls.getMessage());
        IllegalArgumentException tlsOnDtls = assertThrows(IllegalArgumentException.class,
                () -> SslContexts.forServer(cert).dtls().protocols("TLSv1.3").build());
        assertTrue(tlsOnDtls.getMessage().contains("unsupported protocol [TLSv1.3]"), tlsOnDtls.getMessage());
        assertEquals(List.of("DTLSv1.0", "DTLSv1.2"),
                SslContexts.forServer(cert).dtls().protocols("DTLSv1.0", "DTLSv1.2").build().protocols());
        SslContexts tls = SslContexts.forServer(cert).build();
        assertFalse(tls.isDtls());
        assertEquals(0, tls.maxPacketSize());
        assertEquals(SslContexts.DEFAULT_PROTOCOLS, tls.protocols());
    }

    /**
     * Two DTLS engines joined by datagram queues: one wrap is one datagram, delivered whole.
     * Bounded: a handshake that has not settled in {@value #MAX_STEPS} steps fails the test.
     */
    private static final class DatagramPair {
        private static final int MAX_STEPS = 500;
        private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
        private final SSLEngine client;
        private final SSLEngine server;
        private final ArrayDeque<ByteBuffer> toClient = new ArrayDeque<>();
        private final ArrayDeque<ByteBuffer> toServer = new ArrayDeque<>();
        private final ByteBuffer app = ByteBuffer.allocate(1 << 15);
        int largest;
        int datagrams;

        DatagramPair(SSLEngine client, SSLEngine server) {
            this.client = client;
            this.server = server;
        }

        void run() throws SSLException {
            for (int i = 0; i < MAX_STEPS; i++) {
                boolean moved = drive(client, toServer) | drive(server, toClient);
                moved |= deliver(toServer, server) | deliver(toClient, client);
                if (!moved) {
                    return;
                }
            }
            throw new AssertionError("no quiescence after " + MAX_STEPS + " steps");
        }

        /** Runs tasks and wraps until the engine waits for its peer. */
        private boolean drive(SSLEngine e, ArrayDeque<ByteBuffer> out) throws SSLException {
            boolean moved = false;
            for (int i = 0; i < 64; i++) {
                HandshakeStatus hs = e.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    Runnable t;
                    while ((t = e.getDelegatedTask()) != null) {
                        t.run();
                    }
                } else if (hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                    app.clear();
                    e.unwrap(EMPTY, app);
                } else if (hs == HandshakeStatus.NEED_WRAP) {
                    ByteBuffer d = ByteBuffer.allocate(1 << 15);
                    e.wrap(EMPTY, d);
                    d.flip();
                    if (d.hasRemaining()) {
                        out.add(d);
                        largest = Math.max(largest, d.remaining());
                        datagrams++;
                        moved = true;
                    }
                } else {
                    return moved;
                }
            }
            return moved;
        }

        private boolean deliver(ArrayDeque<ByteBuffer> queue, SSLEngine to) throws SSLException {
            boolean moved = false;
            ByteBuffer d;
            while ((d = queue.poll()) != null) {
                app.clear();
                to.unwrap(d, app);
                moved = true;
            }
            return moved;
        }

        /** One application datagram from {@code from} to {@code to}; returns what arrived. */
        String send(SSLEngine from, SSLEngine to, String text) throws SSLException {
            ByteBuffer d = ByteBuffer.allocate(1 << 15);
            from.wrap(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), d);
            d.flip();
            app.clear();
            SSLEngineResult r = to.unwrap(d, app);
            assertEquals(SSLEngineResult.Status.OK, r.getStatus());
            app.flip();
            return StandardCharsets.UTF_8.decode(app).toString();
        }
    }
}
