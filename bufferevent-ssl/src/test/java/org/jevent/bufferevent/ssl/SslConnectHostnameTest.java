package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.jevent.bufferevent.PairBufferevent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link SslBufferevent#connectHostname} over loopback with "localhost", as libevent's
 * {@code sample/https-client.c} connects: the name is resolved off the loop, connected to, and
 * becomes the engine's SNI and the name its host name check uses, unless the engine says
 * otherwise; a failed lookup is UNRESOLVED.
 */
@Timeout(60)
class SslConnectHostnameTest extends SslLoopTestBase {


    /** A client engine made without a peer host, trusting the test certificate: connectHostname names the server. */
    private static SSLEngine bareClientEngine(SslProvider provider) throws Exception {
        SslContexts c = SslContexts.forClient().provider(provider).hostnameVerification(false)
                .trustCertificates(TlsTestSupport.certificate().certificate()).build();
        SSLEngine e = c.sslContext().createSSLEngine();
        e.setUseClientMode(true);
        return e;
    }

    /** Client and accepted server: events of both until the client's first non-CONNECTED event or both CONNECTED. */
    private final List<String> clientEvents = new ArrayList<>();
    private final List<String> serverEvents = new ArrayList<>();

    private SslBufferevent[] connectByName(SslProvider provider, SSLEngine clientEngine, String host) throws Exception {
        ServerSocketChannel listener = ServerSocketChannel.open();
        closeLater(listener);
        listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        SslBufferevent client = SslBufferevent.socket(base, null, clientEngine, SslState.CONNECTING, 0);
        closeLater(client);
        client.setCallbacks(null, null, (b, what) -> clientEvents.add(Bufferevent.describeEvents(what)));
        client.enable(EV_READ);
        client.connectHostname(StandardProtocolFamily.INET, host, port);
        assertNull(client.getChannel(), "nothing connects before the name is resolved");
        SslBufferevent[] server = new SslBufferevent[1];
        TlsHarness.runUntil(base, () -> {
            if (server[0] == null) {
                try {
                    listener.configureBlocking(false);
                    SocketChannel ch = listener.accept();
                    if (ch != null) {
                        server[0] = SslBufferevent.socket(base, ch, TlsTestSupport.engine(provider, false, "TLSv1.3"),
                                SslState.ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
                        closeLater(server[0]);
                        server[0].setCallbacks(null, null, (b, what) -> serverEvents.add(Bufferevent.describeEvents(what)));
                        server[0].enable(EV_READ);
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            return (clientEvents.contains("CONNECTED") && serverEvents.contains("CONNECTED"))
                    || clientEvents.stream().anyMatch(e -> !e.equals("CONNECTED"));
        }, Duration.ofSeconds(20));
        return new SslBufferevent[] {client, server[0]};
    }

    @ParameterizedTest
    @EnumSource(SslProvider.class)
    void localhostIsResolvedConnectedPresentedAndChecked(SslProvider provider) throws Exception {
        SslBufferevent[] b = connectByName(provider, bareClientEngine(provider), "localhost");
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertEquals(List.of("CONNECTED"), serverEvents);
        SSLParameters p = b[0].getEngine().getSSLParameters();
        assertEquals("HTTPS", p.getEndpointIdentificationAlgorithm(), "the name connected to is the name checked");
        assertEquals(List.of(new SNIHostName("localhost")), p.getServerNames());
        ExtendedSSLSession serverSession = (ExtendedSSLSession) b[1].getEngine().getSession();
        assertEquals(List.of(new SNIHostName("localhost")), serverSession.getRequestedServerNames(), "the server got SNI");
        assertTrue(b[0].getChannel().getOption(java.net.StandardSocketOptions.TCP_NODELAY), "TCP_NODELAY, as connect gives");
    }

    /**
     * The check connectHostname turns on is real: an engine that names another server keeps
     * that SNI, the check is turned on and fails against it (the certificate is for localhost),
     * and the client sends its alert. (A JDK engine: setting SNI on a Conscrypt engine also sets
     * its peer host, and an engine with a peer host keeps its own choice, here no check.)
     */
    @Test
    void theHostNameCheckIsOnAndFailsForAnotherName() throws Exception {
        SslBufferevent[] b = connectByName(SslProvider.JDK, namingAnotherServer(SslProvider.JDK), "localhost");
        assertEquals(1, clientEvents.size(), clientEvents::toString);
        assertTrue(clientEvents.get(0).startsWith("ERROR"), () -> clientEvents + " " + b[0].getSslErrors());
        assertEquals(EndReason.TLS_ALERT_SENT, b[0].getEndReason());
        assertTrue(b[0].getSslErrors().get(0).describe().contains("not-this-host.example")
                || b[0].getSslErrors().get(0).describe().contains("undefined"), b[0].getSslErrors()::toString);
    }

    /** A bare client engine whose SNI names a server the test certificate is not for. */
    private static SSLEngine namingAnotherServer(SslProvider provider) throws Exception {
        SSLEngine e = bareClientEngine(provider);
        SSLParameters p = e.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("not-this-host.example")));
        e.setSSLParameters(p);
        return e;
    }

    /** An engine made for a peer host by SslContexts keeps its context's choice (here: no host name check). */
    @Test
    void anEngineMadeForAPeerKeepsItsSettings() throws Exception {
        SslContexts c = SslContexts.forClient().provider(SslProvider.JDK).hostnameVerification(false)
                .trustCertificates(TlsTestSupport.certificate().certificate()).build();
        SslBufferevent[] b = connectByName(SslProvider.JDK, c.newClientEngine("localhost", 1), "localhost");
        assertEquals(List.of("CONNECTED"), clientEvents);
        assertNull(b[0].getEngine().getSSLParameters().getEndpointIdentificationAlgorithm());
    }

    @Test
    void aFailedLookupIsUnresolved() throws Exception {
        SslBufferevent client = SslBufferevent.socket(base, null, bareClientEngine(SslProvider.CONSCRYPT),
                SslState.CONNECTING, 0);
        closeLater(client);
        client.setCallbacks(null, null, (b, what) -> clientEvents.add(Bufferevent.describeEvents(what)));
        client.connectHostname(StandardProtocolFamily.INET6, "127.0.0.1", 9); // no IPv6 address: no DNS asked
        TlsHarness.runUntil(base, () -> !clientEvents.isEmpty(), Duration.ofSeconds(20));
        assertEquals(List.of("ERROR"), clientEvents);
        assertEquals(EndReason.UNRESOLVED, client.getEndReason());
        assertInstanceOf(UnknownHostException.class, client.getDnsError());
    }

    @Test
    void theFilterVariantAndAServerEngineRefuse() throws Exception {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[1]);
        SslBufferevent filter = SslBufferevent.filter(base, pair[0], bareClientEngine(SslProvider.JDK),
                SslState.CONNECTING, BEV_OPT_CLOSE_ON_FREE);
        closeLater(filter);
        filter.setCallbacks(null, null, (b, what) -> clientEvents.add(Bufferevent.describeEvents(what)));
        assertThrows(IllegalStateException.class, () -> filter.connectHostname(null, "localhost", 443));
        SslBufferevent server = SslBufferevent.socket(base, null, TlsTestSupport.engine(SslProvider.JDK, false, "TLSv1.3"),
                SslState.ACCEPTING, 0);
        closeLater(server);
        server.setCallbacks(null, null, (b, what) -> clientEvents.add(Bufferevent.describeEvents(what)));
        assertThrows(IllegalStateException.class, () -> server.connectHostname(null, "localhost", 443));
        assertNull(server.getChannel(), "nothing was connected");
        TlsHarness.runFor(base, Duration.ofMillis(50));
        assertEquals(List.of(), clientEvents, "a refused call raises no event");
    }
}
