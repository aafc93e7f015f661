package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.EndReason;
import org.jevent.bufferevent.ssl.TlsHarness.Variant;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The error queue ({@code bufferevent_get_openssl_error}): a client that does not trust the
 * server fails locally; the server gets the client's alert, classified as remote with its name.
 */
@Timeout(60)
class SslErrorQueueTest {
    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"CONSCRYPT,TLSv1.3,FILTER_PAIR", "CONSCRYPT,TLSv1.2,SOCKET", "JDK,TLSv1.3,SOCKET",
        "JDK,TLSv1.2,FILTER_PAIR", "TCNATIVE,TLSv1.3,SOCKET", "TCNATIVE,TLSv1.2,FILTER_PAIR"})
    void untrustedServerLocalErrorAndRemoteAlert(SslProvider impl, String protocol, Variant v)
            throws Exception {
        // The client trusts another self-signed certificate than the one the server presents.
        SSLEngine ce = SslContexts.forClient().provider(impl).protocols(protocol)
                .trustCertificates(SelfSignedCertificate.generate().certificate()).build()
                .newClientEngine("localhost", 443);
        SslBufferevent[] b = TlsHarness.link(base, v, ce, TlsTestSupport.engine(impl, false, protocol),
                SslState.CONNECTING, SslState.ACCEPTING, 0);
        List<String> ce1 = new ArrayList<>();
        List<String> se1 = new ArrayList<>();
        b[0].setCallbacks(null, null, (x, w) -> ce1.add(TlsHarness.ev(w)));
        b[1].setCallbacks(null, null, (x, w) -> se1.add(TlsHarness.ev(w)));
        b[0].enable(EV_READ | EV_WRITE);
        b[1].enable(EV_READ | EV_WRITE);
        TlsHarness.runUntil(base, () -> !ce1.isEmpty() && !se1.isEmpty(), Duration.ofSeconds(20));
        // A failure found in what the peer sent is a reading failure, whichever engine call
        // throws it: netty-tcnative throws it from the wrap after the one that hands out its
        // alert, the JDK from the first call after the delegated task that checked the
        // certificate, often a wrap; both were reported WRITING.
        assertEquals(List.of("READING|ERROR"), ce1);
        assertEquals(List.of("READING|ERROR"), se1);
        assertFalse(ce1.contains("CONNECTED"));
        // The end reasons: the client's engine rejected the certificate and sent its alert; the
        // server unwrapped that alert.
        assertEquals(EndReason.TLS_ALERT_SENT, b[0].getEndReason());
        assertEquals(EndReason.TLS_ALERT_RECEIVED, b[1].getEndReason());

        List<SslError> clientErrors = b[0].getSslErrors();
        assertEquals(clientErrors, b[0].getSslErrors(), "getSslErrors does not consume");
        SslError local = b[0].getSslError();
        assertNotNull(local);
        assertFalse(local.remote(), local::describe);
        assertNull(local.alert(), local::describe);
        assertTrue(local.describe().contains("PKIX path validation failed"), local::describe);
        assertEquals(clientErrors.size() - 1, b[0].getSslErrors().size(), "getSslError consumes, oldest first");

        SslError remote = b[1].getSslError();
        assertNotNull(remote);
        System.out.println(impl + " " + protocol + ": client " + local.describe() + " | server " + remote.describe());
        assertTrue(remote.remote(), remote::describe);
        assertNotNull(remote.alert(), remote::describe);
        assertTrue(remote.describe().startsWith("peer reported alert "), remote::describe);
        while (b[1].getSslError() != null) {
            // drain
        }
        assertNull(b[1].getSslError());
        b[0].free();
        b[1].free();
    }

    /**
     * A wrap that fails after the handshake is a writing failure, on the JDK too, whose
     * handshake ran delegated tasks (a failure right after those is a reading one): the engine
     * refuses to encrypt the client's data.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"TLSv1.3,SOCKET", "TLSv1.2,FILTER_PAIR"})
    void wrapFailureAfterTheHandshakeIsWriting(String protocol, Variant v) throws Exception {
        RefusingWrapEngine ce = new RefusingWrapEngine(TlsTestSupport.engine(SslProvider.JDK, true, protocol));
        SslBufferevent[] b = TlsHarness.link(base, v, ce, TlsTestSupport.engine(SslProvider.JDK, false, protocol),
                SslState.CONNECTING, SslState.ACCEPTING, 0);
        TlsHarness.handshake(base, b);
        assertTrue(ce.tasksHandedOut() > 0, "the JDK's handshake ran delegated tasks");
        List<String> events = new ArrayList<>();
        b[0].setCallbacks(null, null, (x, w) -> events.add(TlsHarness.ev(w)));
        ce.refuseDataWraps();
        b[0].write("hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        TlsHarness.runUntil(base, () -> !events.isEmpty(), Duration.ofSeconds(20));
        assertEquals(List.of("WRITING|ERROR"), events);
        assertEquals(EndReason.TLS_ERROR, b[0].getEndReason());
        SslError local = b[0].getSslError();
        assertNotNull(local);
        assertEquals("local: wrap refused by the test engine", local.describe());
        b[0].free();
        b[1].free();
    }

    /**
     * The queue itself, as both TLS bufferevents and DTLS sessions keep it: oldest first, at most
     * {@link SslBufferevent#MAX_ERRORS} (the oldest dropped), a snapshot that removes nothing.
     */
    @org.junit.jupiter.api.Test
    void queueKeepsTheNewestErrorsOldestFirst() {
        SslErrorQueue q = new SslErrorQueue();
        assertNull(q.poll());
        assertEquals(List.of(), q.snapshot());
        int added = SslBufferevent.MAX_ERRORS + 3;
        for (int i = 0; i < added; i++) {
            q.add(new SslError(new javax.net.ssl.SSLException("e" + i), null, false));
        }
        List<SslError> kept = q.snapshot();
        assertEquals(SslBufferevent.MAX_ERRORS, kept.size());
        assertEquals("e3", kept.get(0).cause().getMessage(), "the three oldest were dropped");
        assertEquals(kept, q.snapshot(), "a snapshot removes nothing");
        for (int i = 3; i < added; i++) {
            assertEquals("e" + i, q.poll().cause().getMessage());
        }
        assertNull(q.poll());
    }
}
