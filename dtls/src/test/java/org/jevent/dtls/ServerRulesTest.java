package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;

/** The server's rules: RFC 6347 §4.2.8 restarts, the session limit, threads, who may serve whom. */
class ServerRulesTest extends LoopTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** A restarted client (same address and port, new handshake) replaces its old session once its cookie verifies. */
    @Test
    void aVerifiedClientHelloFromAnEstablishedPeerReplacesTheOldSession() throws Exception {
        EchoServer server = echoServer(jdkServer(MTU));
        JdkDtls clients = jdkClient(MTU);
        TestClient first = client(DtlsClient.builder(base, clients).localAddress(new InetSocketAddress(LOOPBACK, 0)),
                server.address());
        runUntil(() -> first.connected && server.connected == 1, 20_000, server::describe);
        int port = first.session.endpoint().localAddress().getPort();
        DtlsSession old = server.accepted.get(0);
        first.session.free(); // the client crashes: no close_notify, the port is free again
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        TestClient again = client(DtlsClient.builder(base, clients).localAddress(new InetSocketAddress(LOOPBACK, port)),
                server.address());
        runUntil(() -> again.connected && server.connected == 2, 20_000, server::describe);
        assertEquals(1, server.server.getRestarts());
        assertEquals(2, server.server.getHelloVerifyRequests(), "the new association went through the cookie exchange");
        assertTrue(old.isFinished());
        assertEquals(1, server.closedByPeer, "the old session ended with EOF");
        assertTrue(server.errors.get(0).cause().getMessage().contains("RFC 6347 4.2.8"), String.valueOf(server.errors));
        assertEquals(1, server.server.getSessionCount());
        assertTrue(again.send("after restart"));
        runUntil(() -> again.received.size() == 1, 20_000, "the new session answers");
    }

    /** A ClientHello without a valid cookie from an established peer's address gets a HelloVerifyRequest; the session stays. */
    @Test
    void anUnverifiedClientHelloFromAnEstablishedPeersAddressLeavesItsSessionAlone() throws Exception {
        EchoServer server = echoServer(pskServer());
        Relay relay = track(new Relay(base, server.address(), MTU, null));
        TestClient client = client(pskClient(IDENTITY), relay.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        relay.filter = (d, toServer) -> !toServer && d.get(d.position() + 13) == 3; // the forger's HVR stays here
        javax.net.ssl.SSLEngine forger = jdkClient(MTU).newClientEngineRaw("localhost", 1);
        forger.beginHandshake();
        ByteBuffer hello = MemoryDtls.drain(forger).get(0);
        long hvrs = server.server.getHelloVerifyRequests();
        relay.sendAsClient(new InetSocketAddress(LOOPBACK, client.session.endpoint().localAddress().getPort()), hello);
        runUntil(() -> server.server.getHelloVerifyRequests() == hvrs + 1, 20_000, server::describe);
        assertEquals(0, server.server.getRestarts());
        assertTrue(server.accepted.get(0).isConnected(), "reachability not proven: the association goes on");
        assertTrue(client.send("still mine"));
        runUntil(() -> client.received.size() == 1, 20_000, "the session answers");
    }

    @Test
    void atTheSessionLimitNewPeersAreIgnoredUntilASessionEnds() throws Exception {
        EchoServer server = echoServer(DtlsServer.builder(base, jdkServer(MTU)).maxSessions(2));
        JdkDtls clients = jdkClient(MTU);
        TestClient a = client(clients, server.address());
        TestClient b = client(clients, server.address());
        runUntil(() -> a.connected && b.connected, 20_000, server::describe);
        TestClient refused = client(DtlsClient.builder(base, clients).handshakeTimeout(Duration.ofMillis(800)), server.address());
        runUntil(() -> refused.timedOut, 20_000, () -> refused + " " + server.describe());
        assertTrue(server.server.getSessionsRefused() >= 1);
        assertEquals(2, server.server.getHelloVerifyRequests(), "no HelloVerifyRequest at the limit");
        a.session.shutdown();
        runUntil(() -> server.server.getSessionCount() == 1, 20_000, "a's close_notify frees a slot");
        TestClient c = client(clients, server.address());
        runUntil(() -> c.connected, 20_000, server::describe);
    }

    @Test
    void callsFromAnotherThreadFailFast() throws Exception {
        EchoServer server = echoServer(jdkServer(MTU));
        TestClient client = client(jdkClient(MTU), server.address());
        runUntil(() -> client.connected && server.connected == 1, 20_000, server::describe);
        DtlsSession session = server.accepted.get(0);
        InetSocketAddress to = server.address();
        JdkDtls clients = jdkClient(MTU);
        List<Runnable> calls = new ArrayList<>();
        calls.add(() -> session.write(ByteBuffer.allocate(1)));
        calls.add(session::shutdown);
        calls.add(session::free);
        calls.add(session::getSslError);
        calls.add(() -> session.setCallbacks(null, null));
        calls.add(server.server::getSessionCount);
        calls.add(server.server::shutdown);
        calls.add(() -> {
            try {
                DtlsClient.connect(base, to, clients, null, null);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(e);
            }
        });
        for (Runnable call : calls) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> CompletableFuture.runAsync(call).get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
        }
        assertTrue(session.isConnected(), "nothing changed");
        assertTrue(client.send("unharmed"));
        runUntil(() -> client.received.size() == 1, 20_000, "reply");
    }

    @Test
    void factoriesServeTheirRoleAndOneServerEach() throws Exception {
        JdkDtls serverFactory = jdkServer(MTU);
        echoServer(serverFactory);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> echoServer(serverFactory));
        assertTrue(twice.getMessage().contains("one factory per server"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> echoServer(jdkClient(MTU)));
        assertThrows(IllegalArgumentException.class, () -> client(jdkServer(MTU), ANY_LOOPBACK));
        assertThrows(IllegalArgumentException.class, () -> JdkDtls.server(clientContexts(MTU)));
        assertThrows(IllegalArgumentException.class, () -> JdkDtls.client(serverContexts(MTU)));
        IllegalArgumentException tls = assertThrows(IllegalArgumentException.class,
                () -> JdkDtls.server(org.jevent.bufferevent.ssl.SslContexts.forServer(CERT).build()));
        assertTrue(tls.getMessage().contains("dtls()"), tls.getMessage());
        assertThrows(IllegalStateException.class, () -> BcPskDtls.client(IDENTITY, BcPskDtls.qtExampleKey()).keys(id -> null));
    }

    @Test
    void anAcceptCallbackMayRefuseThePeerByFreeingItsSession() throws Exception {
        List<DtlsSession> refused = new ArrayList<>();
        DtlsServer server = track(new AutoCloseableServer(DtlsServer.bind(base, ANY_LOOPBACK, jdkServer(MTU), (srv, s) -> {
            refused.add(s);
            s.free();
        }))).server;
        TestClient client = client(DtlsClient.builder(base, jdkClient(MTU)).handshakeTimeout(Duration.ofMillis(800)),
                server.getLocalAddress());
        runUntil(() -> client.timedOut, 20_000, client::toString);
        assertFalse(refused.isEmpty());
        assertTrue(refused.stream().allMatch(DtlsSession::isFinished));
        assertEquals(0, server.getSessionCount());
    }

    private record AutoCloseableServer(DtlsServer server) implements AutoCloseable {
        @Override
        public void close() {
            server.free();
        }
    }
}
