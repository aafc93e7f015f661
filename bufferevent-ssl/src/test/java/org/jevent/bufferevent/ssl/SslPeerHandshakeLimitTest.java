package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jevent.bufferevent.EndReason;
import org.jevent.bufferevent.ssl.TlsHarness.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a peer may start, with a JDK client engine as the peer ({@code renegotiate()} calls its
 * {@code beginHandshake()}: a ClientHello on TLS 1.2, a KeyUpdate asking for ours on TLS 1.3):
 * client-initiated renegotiation refused by default on both providers and allowed within a
 * limit; key update requests limited, by us on the JDK provider and by BoringSSL itself on
 * Conscrypt. Every refusal must reach the peer as an alert (checked on the client) and our side
 * as an ERROR with its own end reason. The real-peer versions ({@code openssl s_client}'s R and
 * K) are in {@link OpenSslPeerTest}; the write bound under a key update flood in
 * {@link SslKeyUpdateBackpressureTest}.
 */
@Timeout(120)
class SslPeerHandshakeLimitTest extends SslLoopTestBase {
    private final List<String> clientEvents = new ArrayList<>();
    private final List<String> serverEvents = new ArrayList<>();
    private final StringBuilder clientGot = new StringBuilder();
    private final StringBuilder serverGot = new StringBuilder();

    /** A JDK client and a {@code serverImpl} server, connected; the server's limits are set before any byte moves. */
    private SslBufferevent[] connect(SslProvider serverImpl, String protocol, Variant v,
            java.util.function.Consumer<SslBufferevent> serverSetup) throws Exception {
        SslBufferevent[] b = TlsHarness.link(base, v, TlsTestSupport.engine(SslProvider.JDK, true, protocol),
                TlsTestSupport.engine(serverImpl, false, protocol), SslState.CONNECTING, SslState.ACCEPTING, 0);
        closeLater(b[0]::free);
        closeLater(b[1]::free);
        serverSetup.accept(b[1]);
        TlsHarness.connectRecording(base, b, clientGot, clientEvents, serverGot, serverEvents);
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertEquals(List.of("CONNECTED"), serverEvents);
        return b;
    }

    /**
     * The client asks for key updates, one a loop turn, while the server has had no event since
     * CONNECTED (at most 100); returns how many requests it sent.
     */
    private int floodKeyUpdates(SslBufferevent client) {
        int sent = 0;
        while (serverEvents.size() == 1 && sent < 100) {
            if (client.renegotiate()) {
                sent++;
            }
            TlsHarness.runFor(base, Duration.ofMillis(1));
        }
        return sent;
    }

    /** Both directions still carry data. */
    private void exchange(SslBufferevent[] b, String tag) {
        TlsHarness.exchangeRecorded(base, b, tag, clientGot, clientEvents, serverGot, serverEvents);
    }


    private void awaitServerEnd() {
        TlsHarness.runUntil(base, () -> serverEvents.size() > 1, Duration.ofSeconds(20));
    }

    /** The client saw the end too: an alert from the server, or its close_notify. */
    private void awaitClientEnd() {
        TlsHarness.runUntil(base, () -> TlsHarness.endedRecorded(clientEvents), Duration.ofSeconds(20));
    }

    // ------------------------------------------------------------------ TLS 1.2 renegotiation

    @ParameterizedTest(name = "{0} server over {1}")
    @CsvSource({"JDK,SOCKET", "JDK,FILTER_PAIR", "CONSCRYPT,SOCKET", "CONSCRYPT,FILTER_PAIR", "TCNATIVE,SOCKET",
        "TCNATIVE,FILTER_PAIR"})
    void clientRenegotiationIsRefusedByDefault(SslProvider serverImpl, Variant v) throws Exception {
        SslBufferevent[] b = connect(serverImpl, "TLSv1.2", v, s -> { });
        exchange(b, "before");
        assertTrue(b[0].renegotiate(), () -> "errors " + b[0].getSslErrors());
        awaitServerEnd();
        assertEquals(List.of("CONNECTED", "READING|ERROR"), serverEvents);
        assertEquals(EndReason.RENEGOTIATION_REFUSED, b[1].getEndReason());
        assertEquals(1, b[1].getPeerRenegotiations());
        SslError error = b[1].getSslError();
        assertNotNull(error);
        String alert = serverImpl == SslProvider.JDK ? "handshake_failure" : "no_renegotiation";
        assertEquals(alert, error.alert());
        assertFalse(error.remote());
        assertTrue(error.describe().contains("client-initiated renegotiation refused"), error.describe());
        assertTrue(b[1].getLastError() instanceof javax.net.ssl.SSLException);
        // The peer was told: the alert reached the client, which failed its handshake with it.
        awaitClientEnd();
        assertEquals(List.of("CONNECTED", "READING|ERROR"), clientEvents);
        assertEquals(EndReason.TLS_ALERT_RECEIVED, b[0].getEndReason());
        String told = b[0].getSslError().describe();
        assertTrue(told.contains(alert), told);
        System.out.println("refused renegotiation, " + serverImpl + " server: " + error.describe() + " / client: "
                + told);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"SOCKET", "FILTER_PAIR"})
    void renegotiationsAreAllowedWithinTheLimitThenRefused(Variant v) throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, "TLSv1.2", v,
                s -> s.setRenegotiationLimit(2, Duration.ofMinutes(10)));
        exchange(b, "0");
        for (int i = 1; i <= 2; i++) {
            int before = clientEvents.size();
            assertTrue(b[0].renegotiate(), () -> "errors " + b[0].getSslErrors());
            TlsHarness.runUntil(base, () -> clientEvents.size() > before || serverEvents.size() > 1,
                    Duration.ofSeconds(20));
            exchange(b, Integer.toString(i));
        }
        assertEquals(List.of("CONNECTED", "CONNECTED", "CONNECTED"), clientEvents, "two renegotiations completed");
        assertEquals(List.of("CONNECTED"), serverEvents, "a peer's renegotiation raises no event on the server");
        assertEquals(2, b[1].getPeerRenegotiations());
        assertEquals(List.of(), b[1].getSslErrors());
        assertTrue(b[0].renegotiate());
        awaitServerEnd();
        assertEquals(List.of("CONNECTED", "READING|ERROR"), serverEvents);
        assertEquals(EndReason.RENEGOTIATION_REFUSED, b[1].getEndReason());
        assertEquals(3, b[1].getPeerRenegotiations());
        assertTrue(b[1].getSslError().describe().contains("at most 2 per PT10M"), () -> b[1].getSslErrors().toString());
    }

    /** A server's own renegotiate() is not limited; its client follows and counts it. */
    @Test
    void serverInitiatedRenegotiationIsFollowedAndCounted() throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, "TLSv1.2", Variant.FILTER_PAIR, s -> { });
        exchange(b, "before");
        assertTrue(b[1].renegotiate());
        TlsHarness.runUntil(base, () -> serverEvents.size() > 1, Duration.ofSeconds(20));
        exchange(b, "after");
        assertEquals(List.of("CONNECTED", "CONNECTED"), serverEvents);
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertEquals(1, b[0].getPeerRenegotiations());
        assertEquals(0, b[1].getPeerRenegotiations());
        assertEquals(List.of(), b[0].getSslErrors());
    }

    // ------------------------------------------------------------------ TLS 1.3 key updates

    @ParameterizedTest(name = "{0}")
    @CsvSource({"SOCKET", "FILTER_PAIR"})
    void keyUpdatesAreAllowedWithinTheLimitThenTheSessionEnds(Variant v) throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, "TLSv1.3", v, s -> s.setKeyUpdateLimit(3, Duration.ofMinutes(10)));
        exchange(b, "0");
        for (int i = 1; i <= 3; i++) {
            assertTrue(b[0].renegotiate());
            exchange(b, Integer.toString(i));
        }
        assertEquals(3, b[1].getPeerKeyUpdates());
        assertEquals(List.of("CONNECTED"), serverEvents);
        assertTrue(b[0].renegotiate());
        awaitServerEnd();
        assertEquals(List.of("CONNECTED", "READING|ERROR"), serverEvents);
        assertEquals(EndReason.KEY_UPDATE_LIMIT, b[1].getEndReason());
        assertEquals(4, b[1].getPeerKeyUpdates());
        assertTrue(b[1].getSslError().describe().contains("over the limit (at most 3 per PT10M)"),
                () -> b[1].getSslErrors().toString());
        // The peer was told with our close_notify.
        awaitClientEnd();
        assertEquals(EndReason.CLEAN_CLOSE_NOTIFY, b[0].getEndReason(), clientEvents::toString);
    }

    /** The default limit under a flood: 32 answered, the 33rd ends the session. */
    @Test
    void theDefaultLimitEndsAKeyUpdateFlood() throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, "TLSv1.3", Variant.FILTER_PAIR, s -> { });
        exchange(b, "before");
        floodKeyUpdates(b[0]);
        awaitServerEnd();
        assertEquals(EndReason.KEY_UPDATE_LIMIT, b[1].getEndReason());
        assertEquals(SslBufferevent.DEFAULT_KEY_UPDATE_LIMIT + 1, b[1].getPeerKeyUpdates());
    }

    /**
     * Conscrypt answers key updates inside BoringSSL, where nothing can count them; BoringSSL
     * bounds a flood itself: 32 key updates in a row without data end the session.
     */
    @Test
    void conscryptBoundsAKeyUpdateFloodItself() throws Exception {
        SslBufferevent[] b = connect(SslProvider.CONSCRYPT, "TLSv1.3", Variant.FILTER_PAIR, s -> { });
        exchange(b, "before");
        int sent = floodKeyUpdates(b[0]);
        awaitServerEnd();
        assertEquals(List.of("CONNECTED", "READING|ERROR"), serverEvents);
        String why = b[1].getSslError().describe();
        assertTrue(why.contains("TOO_MANY_KEY_UPDATES"), why);
        assertEquals(0, b[1].getPeerKeyUpdates(), "invisible to us on Conscrypt");
        System.out.println("Conscrypt server, " + sent + " key updates: " + why);
    }

    /** Nothing is counted where the peer starts nothing: tickets and the first handshake are not peer handshakes. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"JDK,TLSv1.3", "JDK,TLSv1.2", "CONSCRYPT,TLSv1.3", "CONSCRYPT,TLSv1.2"})
    void anOrdinarySessionCountsNothing(SslProvider serverImpl, String protocol) throws Exception {
        SslBufferevent[] b = connect(serverImpl, protocol, Variant.FILTER_PAIR, s -> { });
        exchange(b, "1");
        exchange(b, "2");
        for (SslBufferevent x : b) {
            assertEquals(0, x.getPeerRenegotiations());
            assertEquals(0, x.getPeerKeyUpdates());
        }
    }

    /**
     * An engine that takes no cipher suite list (as some other provider's might) cannot be set up
     * to refuse: the session ends without reading the request, RENEGOTIATION_REFUSED with no
     * alert named, and the client hears our close_notify in the middle of its handshake.
     */
    @Test
    void anEngineThatCannotBeSetUpToRefuseEndsTheSessionItself() throws Exception {
        SslBufferevent[] b = TlsHarness.link(base, Variant.FILTER_PAIR,
                TlsTestSupport.engine(SslProvider.JDK, true, "TLSv1.2"),
                new SuitesFixedEngine(TlsTestSupport.engine(SslProvider.JDK, false, "TLSv1.2")),
                SslState.CONNECTING, SslState.ACCEPTING, 0);
        closeLater(b[0]::free);
        closeLater(b[1]::free);
        TlsHarness.connectRecording(base, b, clientGot, clientEvents, serverGot, serverEvents);
        exchange(b, "before");
        assertTrue(b[0].renegotiate());
        awaitServerEnd();
        assertEquals(List.of("CONNECTED", "READING|ERROR"), serverEvents);
        assertEquals(EndReason.RENEGOTIATION_REFUSED, b[1].getEndReason());
        SslError error = b[1].getSslError();
        assertEquals(null, error.alert());
        assertTrue(error.describe().contains("client-initiated renegotiation refused"), error.describe());
        awaitClientEnd();
        String told = String.valueOf(b[0].getLastError());
        assertTrue(told.contains("close_notify"), told);
    }

    /** A JDK engine whose cipher suites cannot be changed (every other call passes through). */
    private static final class SuitesFixedEngine extends ForwardingEngine {
        SuitesFixedEngine(javax.net.ssl.SSLEngine e) {
            super(e);
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            throw new IllegalArgumentException("this engine's suites are fixed");
        }
    }

    // ------------------------------------------------------------------ the setters

    @Test
    void limitsAreChecked() throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, "TLSv1.3", Variant.FILTER_PAIR, s -> { });
        SslBufferevent s = b[1];
        assertThrows(IllegalArgumentException.class, () -> s.setRenegotiationLimit(-1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> s.setKeyUpdateLimit(SslBufferevent.MAX_PEER_HANDSHAKE_LIMIT + 1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> s.setKeyUpdateLimit(1, Duration.ZERO));
        assertThrows(NullPointerException.class, () -> s.setRenegotiationLimit(1, null));
        s.setRenegotiationLimit(0, null); // refuse all: no period needed
        s.setKeyUpdateLimit(SslBufferevent.MAX_PEER_HANDSHAKE_LIMIT, Duration.ofDays(365_000)); // longer is capped
        s.free();
        assertThrows(IllegalStateException.class, () -> s.setKeyUpdateLimit(1, Duration.ofSeconds(1)));
    }
}
