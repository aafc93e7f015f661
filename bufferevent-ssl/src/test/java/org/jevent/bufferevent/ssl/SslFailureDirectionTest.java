package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A failure the engine found in what the peer sent is a reading failure, whichever call of the
 * engine throws it: a client that rejects the server's certificate ends with READING|ERROR and
 * TLS_ALERT_SENT, the server, told by the alert, with READING|ERROR and TLS_ALERT_RECEIVED.
 * netty-tcnative throws such a failure only from the wrap after the one that hands out its alert
 * (where Conscrypt's unwrap throws it), and was reported as WRITING|ERROR. The JDK's client, whose
 * certificate check runs in a delegated task and fails its next wrap, still reports WRITING|ERROR:
 * not pinned here.
 */
@Timeout(60)
class SslFailureDirectionTest {
    private static final SelfSignedCertificate UNRELATED = SelfSignedCertificate.generate();

    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    @ParameterizedTest(name = "{0} client, {1} server, {2}")
    @CsvSource({"CONSCRYPT,TCNATIVE,TLSv1.2", "CONSCRYPT,JDK,TLSv1.3", "TCNATIVE,CONSCRYPT,TLSv1.2",
        "TCNATIVE,JDK,TLSv1.3", "TCNATIVE,TCNATIVE,TLSv1.2", "TCNATIVE,TCNATIVE,TLSv1.3"})
    void aRejectedServerCertificateIsAReadingFailure(SslProvider client, SslProvider server, String protocol)
            throws Exception {
        // The client trusts only a certificate the server does not present.
        SslContexts distrustful = SslContexts.forClient().provider(client).protocols(protocol)
                .trustCertificates(UNRELATED.certificate()).build();
        SslBufferevent[] b = TlsHarness.link(base, TlsHarness.Variant.FILTER_PAIR,
                distrustful.newClientEngine("localhost", 443), TlsTestSupport.engine(server, false, protocol),
                SslState.CONNECTING, SslState.ACCEPTING, 0);
        List<String> clientEnd = new ArrayList<>();
        List<String> serverEnd = new ArrayList<>();
        b[0].setCallbacks(null, null, (x, what) -> clientEnd.add(TlsHarness.ev(what) + " " + x.getEndReason()));
        b[1].setCallbacks(null, null, (x, what) -> serverEnd.add(TlsHarness.ev(what) + " " + x.getEndReason()));
        b[0].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        b[1].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        TlsHarness.runUntil(base, () -> !clientEnd.isEmpty() && !serverEnd.isEmpty(), Duration.ofSeconds(20));
        assertEquals(List.of("READING|ERROR " + EndReason.TLS_ALERT_SENT), clientEnd, () -> "errors "
                + b[0].getSslErrors());
        assertEquals(List.of("READING|ERROR " + EndReason.TLS_ALERT_RECEIVED), serverEnd);
        b[0].free();
        b[1].free();
    }
}
