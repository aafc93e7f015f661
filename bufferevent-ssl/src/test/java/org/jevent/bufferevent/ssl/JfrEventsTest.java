package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The JFR events of the bufferevent modules in a real recording: {@code org.jevent.ConnectionOpen}
 * for both ends of a loopback connection, {@code org.jevent.TlsHandshake} with protocol, suite,
 * duration and resumption (a second connection from the same client context resumes the first
 * session, for both providers, which pins {@link HandshakeTiming}'s reading of resumption), and
 * {@code org.jevent.ConnectionClose} with bytes and end reasons; a failed handshake has its
 * failure.
 */
@Timeout(60)
class JfrEventsTest {
    private static final int MESSAGE = 1000;

    @ParameterizedTest
    @EnumSource(SslProvider.class)
    void connectionsAndHandshakesAreRecorded(SslProvider provider) throws Exception {
        SslContexts client = SslContexts.forClient().provider(provider).protocols("TLSv1.2")
                .trustCertificates(TlsTestSupport.certificate().certificate()).build();
        SslContexts server = SslContexts.forServer(TlsTestSupport.certificate()).provider(provider).protocols("TLSv1.2")
                .build();
        List<RecordedEvent> events;
        try (Recording r = new Recording();
                ServerSocketChannel listener = ServerSocketChannel.open()) {
            // One listener: the client's session cache is keyed by host and port.
            listener.bind(new InetSocketAddress(java.net.InetAddress.getByName("127.0.0.1"), 0));
            r.enable("org.jevent.ConnectionOpen");
            r.enable("org.jevent.ConnectionClose");
            r.enable("org.jevent.TlsHandshake");
            r.start();
            exchange(client, server, listener);
            // BoringSSL (Conscrypt, netty-tcnative) keeps session times in whole seconds: resume from a session older than one.
            Thread.sleep(provider.sessionTimeInSeconds ? 1100 : 10);
            exchange(client, server, listener);
            r.stop();
            events = read(r);
        }
        List<RecordedEvent> opens = named(events, "org.jevent.ConnectionOpen");
        assertEquals(4, opens.size(), () -> describe(events));
        assertEquals(2, opens.stream().filter(e -> e.getLong("connectTime") > 0).count(), "two connects, two accepted");
        assertTrue(opens.stream().allMatch(e -> e.getString("remote").startsWith("/127.0.0.1:")));

        List<RecordedEvent> handshakes = named(events, "org.jevent.TlsHandshake");
        assertEquals(4, handshakes.size(), () -> describe(events));
        for (RecordedEvent h : handshakes) {
            assertEquals("TLSv1.2", h.getString("protocol"));
            assertTrue(h.getString("cipherSuite").startsWith("TLS_"), h.getString("cipherSuite"));
            assertTrue(h.getLong("handshakeTime") > 0);
            assertEquals("initial", h.getString("startedBy"));
            assertNull(h.getString("failure"));
            assertNotNull(h.getThread("loopThread"));
        }
        List<Boolean> clientResumed = handshakes.stream().filter(h -> h.getString("role").equals("client"))
                .map(h -> h.getBoolean("resumed")).toList();
        assertEquals(List.of(false, true), clientResumed, "the second connection resumed the first's session");
        assertEquals(2, handshakes.stream().filter(h -> h.getString("role").equals("server")).count());

        List<RecordedEvent> closes = named(events, "org.jevent.ConnectionClose");
        List<RecordedEvent> tls = closes.stream().filter(e -> e.getString("kind").equals("SslBufferevent")).toList();
        assertEquals(4, tls.size(), () -> describe(events));
        for (RecordedEvent c : tls) {
            boolean isClient = c.getString("bufferevent").startsWith("TLS client");
            assertEquals(isClient ? "SHUTDOWN" : "CLEAN_CLOSE_NOTIFY", c.getString("endReason"));
            assertEquals(MESSAGE, isClient ? c.getLong("bytesWritten") : c.getLong("bytesRead"), c::toString);
            assertEquals(0, isClient ? c.getLong("bytesRead") : c.getLong("bytesWritten"), c::toString);
            assertTrue(c.getLong("lifetime") > 0);
        }
        List<RecordedEvent> sockets = closes.stream().filter(e -> e.getString("kind").equals("SocketBufferevent")).toList();
        assertEquals(4, sockets.size(), () -> describe(events));
        assertTrue(sockets.stream().allMatch(e -> e.getLong("bytesRead") > MESSAGE || e.getLong("bytesWritten") > MESSAGE),
                "the sockets carried the ciphertext, more than the plaintext");
    }

    @Test
    void aFailedHandshakeSaysWhy() throws Exception {
        SslContexts untrusting = SslContexts.forClient().provider(SslProvider.JDK).protocols("TLSv1.3")
                .trustCertificates(SelfSignedCertificate.generate().certificate()).build();
        SslContexts server = SslContexts.forServer(TlsTestSupport.certificate()).provider(SslProvider.JDK)
                .protocols("TLSv1.3").build();
        List<RecordedEvent> events;
        try (Recording r = handshakesAndCloses()) {
            EventBase base = new EventBase();
            SocketChannel[] ch = TlsHarness.loopbackPair();
            SslBufferevent c = SslBufferevent.socket(base, ch[0], untrusting.newClientEngine("localhost", 443),
                    SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            SslBufferevent s = SslBufferevent.socket(base, ch[1], server.newServerEngine(), SslState.ACCEPTING,
                    Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            int[] ended = {0};
            for (SslBufferevent b : new SslBufferevent[] {c, s}) {
                b.setCallbacks(null, null, (x, what) -> ended[0]++);
                b.enable(Bufferevent.EV_READ);
            }
            TlsHarness.runUntil(base, () -> ended[0] == 2, Duration.ofSeconds(20));
            c.free();
            s.free();
            base.free();
            r.stop();
            events = read(r);
        }
        RecordedEvent h = named(events, "org.jevent.TlsHandshake").stream()
                .filter(e -> e.getString("role").equals("client")).findFirst().orElseThrow();
        assertNotNull(h.getString("failure"), h::toString);
        assertFalse(h.getBoolean("resumed"));
        assertTrue(named(events, "org.jevent.ConnectionClose").stream()
                .anyMatch(e -> "TLS_ALERT_SENT".equals(e.getString("endReason"))), () -> describe(events));
    }

    /**
     * A client's renegotiation refused by the server (the default) is a handshake the peer
     * started that failed, and the server's connection ends with RENEGOTIATION_REFUSED.
     */
    @Test
    void aRefusedRenegotiationIsAFailedPeerHandshake() throws Exception {
        List<RecordedEvent> events;
        try (Recording r = handshakesAndCloses()) {
            EventBase base = new EventBase();
            SslBufferevent[] b = TlsHarness.link(base, TlsHarness.Variant.SOCKET, SslProvider.JDK, "TLSv1.2", 0);
            int[] events0 = {0, 0};
            b[0].setCallbacks(null, null, (x, what) -> events0[0]++);
            b[1].setCallbacks(null, null, (x, what) -> events0[1]++);
            b[0].enable(Bufferevent.EV_READ);
            b[1].enable(Bufferevent.EV_READ);
            TlsHarness.runUntil(base, () -> events0[0] == 1 && events0[1] == 1, Duration.ofSeconds(20));
            assertTrue(b[0].renegotiate());
            TlsHarness.runUntil(base, () -> events0[0] == 2 && events0[1] == 2, Duration.ofSeconds(20));
            b[0].free();
            b[1].free();
            base.free();
            r.stop();
            events = read(r);
        }
        RecordedEvent refused = named(events, "org.jevent.TlsHandshake").stream()
                .filter(e -> e.getString("role").equals("server") && e.getString("startedBy").equals("peer"))
                .findFirst().orElseThrow(() -> new AssertionError(describe(events)));
        assertTrue(refused.getString("failure").contains("client-initiated renegotiation refused"), refused::toString);
        assertTrue(named(events, "org.jevent.ConnectionClose").stream()
                .anyMatch(e -> "RENEGOTIATION_REFUSED".equals(e.getString("endReason"))), () -> describe(events));
    }

    /** One TLS connection over loopback: connect, handshake, MESSAGE bytes client to server, clean shutdown, free. */
    private static void exchange(SslContexts client, SslContexts server, ServerSocketChannel listener) throws Exception {
        EventBase base = new EventBase();
        try {
            InetSocketAddress addr = (InetSocketAddress) listener.getLocalAddress();
            SslBufferevent c = SslBufferevent.socket(base, null, client.newClientEngine("localhost", addr.getPort()),
                    SslState.CONNECTING, 0);
            c.connect(addr);
            SocketChannel accepted = listener.accept();
            SslBufferevent s = SslBufferevent.socket(base, accepted, server.newServerEngine(), SslState.ACCEPTING,
                    Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            long[] got = {0};
            boolean[] done = new boolean[2];
            s.setCallbacks(b -> {
                got[0] += b.getInput().getLength();
                b.getInput().drain(b.getInput().getLength());
            }, null, (b, what) -> {
                if (what != Bufferevent.BEV_EVENT_CONNECTED) {
                    done[1] = true;
                    b.free();
                }
            });
            s.enable(Bufferevent.EV_READ);
            c.setCallbacks(null, null, (b, what) -> {
                if (what == Bufferevent.BEV_EVENT_CONNECTED) {
                    b.write(new byte[MESSAGE]);
                    ((SslBufferevent) b).shutdown(Duration.ofSeconds(5));
                } else {
                    done[0] = true;
                    b.free();
                }
            });
            c.enable(Bufferevent.EV_READ);
            TlsHarness.runUntil(base, () -> done[0] && done[1], Duration.ofSeconds(20));
            assertEquals(MESSAGE, got[0]);
        } finally {
            base.free();
        }
    }

    /** A started recording of the TLS handshake and connection close events. */
    private static Recording handshakesAndCloses() {
        Recording r = new Recording();
        r.enable("org.jevent.TlsHandshake");
        r.enable("org.jevent.ConnectionClose");
        r.start();
        return r;
    }

    private static List<RecordedEvent> read(Recording r) throws Exception {
        Path file = Files.createTempFile("jevent-jfr", ".jfr");
        try {
            r.dump(file);
            return RecordingFile.readAllEvents(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).collect(Collectors.toList());
    }

    private static String describe(List<RecordedEvent> events) {
        List<String> out = new ArrayList<>();
        for (RecordedEvent e : events) {
            if (e.getEventType().getName().startsWith("org.jevent.")) {
                out.add(e.toString());
            }
        }
        return String.join("\n", out);
    }
}
