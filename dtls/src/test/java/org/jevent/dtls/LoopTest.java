package org.jevent.dtls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventConfig;
import org.junit.jupiter.api.AfterEach;

/**
 * One loop per test, and everything the test opened closed after it, last opened first; the
 * certificate, configurations and factories the tests share.
 */
abstract class LoopTest {
    static final SelfSignedCertificate CERT = SelfSignedCertificate.generate();
    static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    static final int MTU = SslContexts.DEFAULT_DTLS_MAX_PACKET_SIZE;
    static final String IDENTITY = "Qt DTLS example client";

    protected final EventBase base;
    private final List<AutoCloseable> open = new ArrayList<>();

    LoopTest() {
        this(new EventConfig());
    }

    LoopTest(EventConfig config) {
        base = new EventBase(config);
    }

    protected <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    static SslContexts serverContexts(int mtu) throws Exception {
        return SslContexts.forServer(CERT).dtls(mtu).build();
    }

    static SslContexts clientContexts(int mtu) throws Exception {
        return SslContexts.forClient().trustCertificates(CERT.certificate()).dtls(mtu).build();
    }

    static JdkDtls jdkServer(int mtu) throws Exception {
        return JdkDtls.server(serverContexts(mtu));
    }

    static JdkDtls jdkClient(int mtu) throws Exception {
        return JdkDtls.client(clientContexts(mtu));
    }

    /** A PSK server factory with the Qt example's hint and key, closed after the test. */
    protected BcPskDtls pskServer() {
        return track(BcPskDtls.server().build());
    }

    /** A PSK client factory with the Qt example's key, closed after the test. */
    protected BcPskDtls pskClient(String identity) {
        return track(BcPskDtls.client(identity, BcPskDtls.qtExampleKey()).build());
    }

    /** An echo server on loopback with {@code factory} and defaults, freed after the test. */
    protected EchoServer echoServer(DtlsEngineFactory factory) throws IOException {
        return echoServer(DtlsServer.builder(base, factory));
    }

    protected EchoServer echoServer(DtlsServer.Builder builder) throws IOException {
        return track(new EchoServer(builder));
    }

    /** A client of {@code server} with {@code factory} and defaults, freed after the test. */
    protected TestClient client(DtlsEngineFactory factory, InetSocketAddress server) throws IOException {
        return client(DtlsClient.builder(base, factory), server);
    }

    protected TestClient client(DtlsClient.Builder builder, InetSocketAddress server) throws IOException {
        return track(new TestClient(builder, server));
    }

    protected void runUntil(java.util.function.BooleanSupplier done, long maxMillis, java.util.function.Supplier<String> what) {
        Loops.runUntil(base, done, maxMillis, what);
    }

    protected void runUntil(java.util.function.BooleanSupplier done, long maxMillis, String what) {
        Loops.runUntil(base, done, maxMillis, what);
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        base.free();
    }
}
