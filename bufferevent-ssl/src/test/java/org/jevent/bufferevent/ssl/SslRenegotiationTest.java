package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jevent.bufferevent.ssl.TlsHarness.Variant;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * renegotiate(): JDK TLS 1.2 renegotiation both ways (a JDK server allows its client's only
 * within {@code setRenegotiationLimit}: refused by default, see SslPeerHandshakeLimitTest), JDK
 * TLS 1.3 key update, Conscrypt refusal.
 */
@Timeout(60)
class SslRenegotiationTest {
    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    /** Connected pair, echo on the server, events and received text recorded. */
    private final List<String> clientEvents = new ArrayList<>();
    private final List<String> serverEvents = new ArrayList<>();
    private final StringBuilder clientGot = new StringBuilder();
    private final StringBuilder serverGot = new StringBuilder();

    private SslBufferevent[] connect(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] b = TlsHarness.link(base, v, impl, protocol, 0);
        TlsHarness.connectRecording(base, b, clientGot, clientEvents, serverGot, serverEvents);
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertEquals(List.of("CONNECTED"), serverEvents);
        return b;
    }

    /** Both directions still carry data. */
    private void exchange(SslBufferevent[] b, String tag) {
        TlsHarness.exchangeRecorded(base, b, tag, clientGot, clientEvents, serverGot, serverEvents);
    }

    @ParameterizedTest(name = "{0} {1} from client={2}")
    @CsvSource({"SOCKET,true", "SOCKET,false", "FILTER_PAIR,true", "FILTER_PAIR,false"})
    void jdkTls12RenegotiationRaisesConnectedAgain(Variant v, boolean fromClient) throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, "TLSv1.2", v);
        b[1].setRenegotiationLimit(1, Duration.ofMinutes(10)); // the client's is refused by default
        exchange(b, "before");
        SslBufferevent initiator = fromClient ? b[0] : b[1];
        List<String> initiatorEvents = fromClient ? clientEvents : serverEvents;
        List<String> peerEvents = fromClient ? serverEvents : clientEvents;
        byte[] sessionIdBefore = initiator.getEngine().getSession().getId();
        assertTrue(initiator.renegotiate(), () -> "errors " + initiator.getSslErrors());
        TlsHarness.runUntil(base, () -> initiatorEvents.size() >= 2, Duration.ofSeconds(20));
        exchange(b, "after");
        assertEquals(List.of("CONNECTED", "CONNECTED"), initiatorEvents, "CONNECTED again on the initiator");
        assertEquals(List.of("CONNECTED"), peerEvents, "a peer-started handshake is handled inside the data flow");
        assertFalse(initiator.isHandshaking());
        assertEquals(List.of(), b[0].getSslErrors());
        assertEquals(List.of(), b[1].getSslErrors());
        System.out.println("TLS 1.2 renegotiation: session id changed: "
                + !java.util.Arrays.equals(sessionIdBefore, initiator.getEngine().getSession().getId()));
        b[0].free();
        b[1].free();
    }

    /**
     * A renegotiation started while a large transfer is in flight both ways: every byte arrives,
     * in order, and the initiator sees CONNECTED again.
     */
    @ParameterizedTest(name = "{0} {1} from client={2}")
    @CsvSource({"JDK,TLSv1.2,SOCKET,true", "JDK,TLSv1.2,FILTER_PAIR,false", "JDK,TLSv1.3,SOCKET,true",
        "JDK,TLSv1.3,FILTER_PAIR,false"})
    void renegotiationDuringBulkTransfer(SslProvider impl, String protocol, Variant v, boolean fromClient)
            throws Exception {
        SslBufferevent[] b = connect(impl, protocol, v);
        b[1].setRenegotiationLimit(1, Duration.ofMinutes(10)); // the client's is refused by default
        byte[] data = new byte[2 << 20];
        new java.util.Random(21).nextBytes(data);
        java.io.ByteArrayOutputStream atServer = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream atClient = new java.io.ByteArrayOutputStream();
        boolean[] started = new boolean[1];
        SslBufferevent initiator = fromClient ? b[0] : b[1];
        b[1].setCallbacks(x -> {
            byte[] a = new byte[(int) x.getInput().getLength()];
            x.read(a);
            atServer.writeBytes(a);
            if (!started[0] && atServer.size() > data.length / 4) {
                started[0] = true;
                assertTrue(initiator.renegotiate(), () -> "errors " + initiator.getSslErrors());
            }
        }, null, (x, what) -> serverEvents.add(TlsHarness.ev(what)));
        b[0].setCallbacks(x -> {
            byte[] a = new byte[(int) x.getInput().getLength()];
            x.read(a);
            atClient.writeBytes(a);
        }, null, (x, what) -> clientEvents.add(TlsHarness.ev(what)));
        b[0].write(data);
        b[1].write(data);
        TlsHarness.runUntil(base, () -> (atServer.size() >= data.length && atClient.size() >= data.length)
                || clientEvents.stream().anyMatch(e -> !e.equals("CONNECTED"))
                || serverEvents.stream().anyMatch(e -> !e.equals("CONNECTED")), Duration.ofSeconds(30));
        assertTrue(started[0]);
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, atServer.toByteArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, atClient.toByteArray());
        assertEquals(List.of(), b[0].getSslErrors());
        assertEquals(List.of(), b[1].getSslErrors());
        List<String> initiatorEvents = fromClient ? clientEvents : serverEvents;
        if (protocol.equals("TLSv1.2")) {
            TlsHarness.runUntil(base, () -> initiatorEvents.size() >= 2, Duration.ofSeconds(10));
            assertEquals(List.of("CONNECTED", "CONNECTED"), initiatorEvents);
        }
        b[0].free();
        b[1].free();
    }

    /**
     * A renegotiation (TLS 1.2) or key update (TLS 1.3) started by a client that streams into an
     * echo server which pauses reading while its output is over a high watermark, the usual
     * relay. The client first writes without reading until everything between the two is full
     * (the server has paused, the client's transport holds its bound), then asks, then reads. Its
     * handshake record must go out even so ({@link TlsPump#HANDSHAKE_ALLOWANCE}): had it waited
     * for the transport to drain, with the client not reading meanwhile, the server (not reading
     * either, its output full) and the client would wait for each other for ever. Every byte
     * comes back and the client's handshake completes. Over a pair only: there the client's
     * transport holds its bound for certain once the server stops reading, where over a socket
     * the kernel takes what it can and the transport may be left holding a few bytes (the pump
     * tops it up only once it has drained), and the case would not be the one tested.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"TLSv1.2,FILTER_PAIR", "TLSv1.3,FILTER_PAIR"})
    void handshakeStartedIntoAFullEchoStillCompletes(String protocol, Variant v) throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, protocol, v);
        b[1].setRenegotiationLimit(1, Duration.ofMinutes(10)); // the client's is refused by default
        int high = 128 * 1024;
        boolean[] serverPaused = new boolean[1];
        b[1].setWatermark(EV_WRITE, high / 2, 0);
        // A pair hands its reader all that was written unless the reader's high watermark says no.
        b[1].getUnderlying().setWatermark(EV_READ, 0, high / 2);
        b[1].setCallbacks(x -> {
            x.getOutput().addBuffer(x.getInput());
            if (x.getOutput().getLength() > high) {
                x.disable(EV_READ); // back on once the client has taken half of it
                serverPaused[0] = true;
            }
        }, x -> x.enable(EV_READ), (x, what) -> serverEvents.add(TlsHarness.ev(what)));
        byte[] data = new byte[4 << 20];
        new java.util.Random(22).nextBytes(data);
        java.io.ByteArrayOutputStream echoed = new java.io.ByteArrayOutputStream();
        b[0].setCallbacks(x -> {
            byte[] a = new byte[(int) x.getInput().getLength()];
            x.read(a);
            echoed.writeBytes(a);
        }, null, (x, what) -> clientEvents.add(TlsHarness.ev(what)));
        b[0].disable(EV_READ);
        b[0].write(data);
        org.jevent.evbuffer.EvBuffer clientCipherOut = b[0].getUnderlying().getOutput();
        try {
            TlsHarness.runUntil(base, () -> serverPaused[0]
                    && clientCipherOut.getLength() >= SslBufferevent.TRANSPORT_WRITE_BOUND, Duration.ofSeconds(30));
        } catch (AssertionError e) {
            throw new AssertionError("server paused " + serverPaused[0] + ", client plaintext out "
                    + b[0].getOutput().getLength() + ", client transport out " + clientCipherOut.getLength()
                    + ", server out " + b[1].getOutput().getLength() + ", server transport in "
                    + b[1].getUnderlying().getInput().getLength() + ", events " + clientEvents + serverEvents, e);
        }
        assertTrue(b[0].renegotiate(), () -> "errors " + b[0].getSslErrors());
        b[0].enable(EV_READ);
        TlsHarness.runUntil(base, () -> echoed.size() >= data.length
                || clientEvents.stream().anyMatch(e -> !e.equals("CONNECTED"))
                || serverEvents.stream().anyMatch(e -> !e.equals("CONNECTED")), Duration.ofSeconds(40));
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, echoed.toByteArray());
        assertEquals(List.of(), b[0].getSslErrors());
        assertEquals(List.of(), b[1].getSslErrors());
        TlsHarness.runUntil(base, () -> clientEvents.size() >= 2, Duration.ofSeconds(10));
        assertEquals(List.of("CONNECTED", "CONNECTED"), clientEvents, "the client's handshake completed");
        b[0].free();
        b[1].free();
    }

    /** TLS 1.3 on the JDK: renegotiate() is a key update; data still flows both ways. */
    @ParameterizedTest(name = "{0} from client={1}")
    @CsvSource({"SOCKET,true", "SOCKET,false", "FILTER_PAIR,true", "FILTER_PAIR,false"})
    void jdkTls13KeyUpdateKeepsDataFlowing(Variant v, boolean fromClient) throws Exception {
        SslBufferevent[] b = connect(SslProvider.JDK, "TLSv1.3", v);
        exchange(b, "before");
        SslBufferevent initiator = fromClient ? b[0] : b[1];
        assertTrue(initiator.renegotiate());
        exchange(b, "after1");
        exchange(b, "after2");
        assertFalse(initiator.isHandshaking());
        assertEquals(List.of(), b[0].getSslErrors());
        assertEquals(List.of(), b[1].getSslErrors());
        // Pinned: the JDK reports FINISHED for the key update, and a local renegotiate()
        // that finishes raises CONNECTED again (the Javadoc's rule), so the initiator sees two.
        assertEquals(List.of("CONNECTED", "CONNECTED"), fromClient ? clientEvents : serverEvents);
        assertEquals(List.of("CONNECTED"), fromClient ? serverEvents : clientEvents);
        System.out.println("TLS 1.3 key update events: client " + clientEvents + " server " + serverEvents);
        b[0].free();
        b[1].free();
    }

    /** Mixed providers: a JDK key update towards a Conscrypt peer (TLS 1.3) keeps data flowing both ways. */
    @ParameterizedTest(name = "{0} jdk client={1}")
    @CsvSource({"FILTER_PAIR,true", "SOCKET,false"})
    void jdkKeyUpdateTowardsConscrypt(Variant v, boolean jdkIsClient) throws Exception {
        SslBufferevent[] b = connectMixed(v, "TLSv1.3", jdkIsClient);
        exchange(b, "before");
        SslBufferevent jdk = jdkIsClient ? b[0] : b[1];
        assertTrue(jdk.renegotiate());
        exchange(b, "after1");
        exchange(b, "after2");
        assertEquals(List.of(), b[0].getSslErrors());
        assertEquals(List.of(), b[1].getSslErrors());
        b[0].free();
        b[1].free();
    }

    /**
     * Mixed providers, TLS 1.2: a JDK client renegotiating towards a Conscrypt (BoringSSL) server
     * is refused by the server, whatever its limit says: the connection ends with ERROR on the
     * server, RENEGOTIATION_REFUSED, and BoringSSL's NO_RENEGOTIATION as the cause.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"FILTER_PAIR", "SOCKET"})
    void jdkClientRenegotiationRefusedByConscryptServer(Variant v) throws Exception {
        SslBufferevent[] b = connectMixed(v, "TLSv1.2", true);
        b[1].setRenegotiationLimit(5, Duration.ofMinutes(10));
        exchange(b, "before");
        assertTrue(b[0].renegotiate());
        TlsHarness.runUntil(base, () -> serverEvents.size() > 1, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED", "READING|ERROR"), serverEvents);
        assertEquals(org.jevent.bufferevent.EndReason.RENEGOTIATION_REFUSED, b[1].getEndReason());
        SslError error = b[1].getSslError();
        assertTrue(error.describe().contains("BoringSSL servers (CONSCRYPT) never renegotiate"), error.describe());
        String cause = String.valueOf(error.cause().getCause());
        assertTrue(cause.contains("NO_RENEGOTIATION"), cause);
        b[0].free();
        b[1].free();
    }

    /**
     * A netty-tcnative client under a JDK server's TLS 1.2 renegotiations: it follows the first
     * (BoringSSL runs it inside unwrap and wrap, and the engine never says FINISHED: the session
     * asks BoringSSL when it ended, and the data written meanwhile goes then), and refuses the
     * second, as Netty's renegotiate-once mode for clients makes it: the client ends with
     * READING|ERROR, RENEGOTIATION_REFUSED and a reason saying why, the server is told by the
     * alert. Never a stall: each step is bounded, and both ends see the end.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"FILTER_PAIR", "SOCKET"})
    void tcnativeClientFollowsOneServerRenegotiationThenRefuses(Variant v) throws Exception {
        SslBufferevent[] b = TlsHarness.link(base, v, TlsTestSupport.engine(SslProvider.TCNATIVE, true, "TLSv1.2"),
                TlsTestSupport.engine(SslProvider.JDK, false, "TLSv1.2"), SslState.CONNECTING, SslState.ACCEPTING, 0);
        TlsHarness.connectRecording(base, b, clientGot, clientEvents, serverGot, serverEvents);
        exchange(b, "before");
        assertTrue(b[1].renegotiate(), () -> "errors " + b[1].getSslErrors());
        b[0].write("c-during".getBytes(StandardCharsets.US_ASCII)); // held by the client while it renegotiates
        TlsHarness.runUntil(base, () -> serverEvents.size() >= 2 || clientEvents.size() > 1, Duration.ofSeconds(20));
        TlsHarness.runUntil(base, () -> !b[0].isHandshaking() || clientEvents.size() > 1, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED"), clientEvents, () -> "errors " + b[0].getSslErrors());
        assertEquals(List.of("CONNECTED", "CONNECTED"), serverEvents, "the server's renegotiation completed");
        exchange(b, "after");
        assertTrue(serverGot.toString().contains("c-during"), serverGot::toString);
        assertEquals(1, b[0].getPeerRenegotiations());

        assertTrue(b[1].renegotiate(), () -> "errors " + b[1].getSslErrors());
        TlsHarness.runUntil(base, () -> clientEvents.size() > 1 && serverEvents.size() > 2, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED", "READING|ERROR"), clientEvents);
        assertEquals(org.jevent.bufferevent.EndReason.RENEGOTIATION_REFUSED, b[0].getEndReason());
        SslError refusal = b[0].getSslError();
        assertEquals("no_renegotiation", refusal.alert());
        assertTrue(refusal.describe().contains("a TCNATIVE client follows 1 per connection"), refusal.describe());
        assertEquals(2, b[0].getPeerRenegotiations());
        assertEquals(List.of("CONNECTED", "CONNECTED", "READING|ERROR"), serverEvents);
        assertEquals(org.jevent.bufferevent.EndReason.TLS_ALERT_RECEIVED, b[1].getEndReason());
        String told = b[1].getSslError().describe();
        assertTrue(told.contains("no_renegotiation"), told);
        b[0].free();
        b[1].free();
    }

    private SslBufferevent[] connectMixed(Variant v, String protocol, boolean jdkIsClient) throws Exception {
        SslProvider ci = jdkIsClient ? SslProvider.JDK : SslProvider.CONSCRYPT;
        SslProvider si = jdkIsClient ? SslProvider.CONSCRYPT : SslProvider.JDK;
        SslBufferevent[] b = TlsHarness.link(base, v, TlsTestSupport.engine(ci, true, protocol),
                TlsTestSupport.engine(si, false, protocol), SslState.CONNECTING, SslState.ACCEPTING, 0);
        TlsHarness.connectRecording(base, b, clientGot, clientEvents, serverGot, serverEvents);
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertEquals(List.of("CONNECTED"), serverEvents);
        return b;
    }

    /**
     * Conscrypt ignores a second beginHandshake() and netty-tcnative throws: renegotiate() says
     * no without asking either, and the connection stays usable.
     */
    @ParameterizedTest(name = "{0} {1} {2} from client={3}")
    @CsvSource({"CONSCRYPT,TLSv1.2,SOCKET,true", "CONSCRYPT,TLSv1.2,FILTER_PAIR,false", "CONSCRYPT,TLSv1.3,SOCKET,false",
        "CONSCRYPT,TLSv1.3,FILTER_PAIR,true", "TCNATIVE,TLSv1.2,FILTER_PAIR,true", "TCNATIVE,TLSv1.3,SOCKET,false"})
    void boringSslRefusesAndStaysUsable(SslProvider provider, String protocol, Variant v, boolean fromClient)
            throws Exception {
        SslBufferevent[] b = connect(provider, protocol, v);
        exchange(b, "before");
        SslBufferevent initiator = fromClient ? b[0] : b[1];
        assertFalse(initiator.renegotiate());
        assertFalse(initiator.isHandshaking());
        exchange(b, "after");
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertEquals(List.of("CONNECTED"), serverEvents);
        assertEquals(List.of(), b[0].getSslErrors());
        assertEquals(List.of(), b[1].getSslErrors());
        b[0].free();
        b[1].free();
    }
}
