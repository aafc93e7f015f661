package org.jevent.benchmarks.dtls;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.jevent.dtls.DtlsEngineFactory;
import org.jevent.dtls.DtlsServer;
import org.jevent.eventbase.EventBase;

/**
 * jevent's {@link DtlsServer} echoing every message back to its session, as a user writes it:
 * {@code (session, message) -> session.write(message)}. The cookie verifier's budget of
 * HelloVerifyRequests and the session limit are raised out of the handshake workload's way (the
 * defaults, 1,000 per second and 10,000 sessions, are a flood guard a load run would hit);
 * everything else is the default.
 */
final class JeventDtlsEchoServer extends LoopServer {
    private final DtlsEngineFactory factory;
    private DtlsServer server;

    JeventDtlsEchoServer(DtlsEngineFactory factory) {
        this.factory = factory;
    }

    @Override
    int bind(EventBase base) throws Exception {
        server = DtlsServer.builder(base, factory).helloVerifyRate(1_000_000, 100_000).maxSessions(1_000_000)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        (srv, session) -> session.setCallbacks((s, message) -> s.write(message), (s, what) -> { }));
        return server.getLocalAddress().getPort();
    }

    @Override
    int sessions() {
        return server.getSessionCount();
    }

    @Override
    void free() {
        server.free();
    }
}
