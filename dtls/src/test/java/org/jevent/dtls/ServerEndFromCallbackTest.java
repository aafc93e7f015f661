package org.jevent.dtls;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_WRITING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@link DtlsServer} shut down or freed from inside a callback it runs on the loop thread, as
 * libevent and Netty users do: above all from a session's {@link DtlsSession.DatagramTap}, where
 * the engine is in the middle of a datagram. (Before, {@code shutdown()} threw the tapped
 * session's "shutdown() from a DatagramTap" IllegalStateException half-way, into the loop's
 * exception hook, leaving the server closing with the socket open and the tapped session alive;
 * with bctls, thrown inside its send, it failed that session with an internal_error alert.)
 * It must work: nothing thrown into the loop, the server closed at once, every session ended
 * once the tap returned (with close_notify for a shutdown) and given nothing more meanwhile (no
 * message, no event), and the socket closed.
 */
class ServerEndFromCallbackTest extends LoopTest {
    /** What escaped a callback into the loop (its exception hook): must stay empty. */
    private final List<Throwable> escaped = new ArrayList<>();

    @BeforeEach
    void catchWhatEscapes() {
        base.setExceptionHook((b, running, error) -> escaped.add(error));
    }

    @AfterEach
    void nothingEscaped() {
        assertEquals(List.of(), escaped, "thrown into the loop");
    }

    private DtlsEngineFactory serverFactory(String engine) throws Exception {
        return engine.equals("jdk") ? jdkServer(MTU) : pskServer();
    }

    private DtlsEngineFactory clientFactory(String engine) throws Exception {
        return engine.equals("jdk") ? jdkClient(MTU) : pskClient(IDENTITY);
    }

    /** Records what every server session's tap saw, and ends the server when armed and the datagram matches. */
    private static final class StoppingTap implements DtlsSession.DatagramTap {
        EchoServer server;
        /** The direction and record type that trigger it; 0 for any record type. */
        int direction;
        int recordType;
        boolean free;
        boolean armed;
        DtlsSession stoppedIn;
        final Map<DtlsSession, List<Integer>> out = new HashMap<>();
        final Map<DtlsSession, List<Integer>> in = new HashMap<>();

        @Override
        public void call(DtlsSession session, ByteBuffer datagram, int dir) {
            int type = datagram.get(datagram.position()) & 0xFF;
            (dir == BEV_EVENT_WRITING ? out : in).computeIfAbsent(session, k -> new ArrayList<>()).add(type);
            if (armed && dir == direction && (recordType == 0 || type == recordType)) {
                armed = false;
                stoppedIn = session;
                if (free) {
                    server.server.free();
                } else {
                    server.server.shutdown();
                }
                assertTrue(server.server.isClosed());
                assertEquals(0, server.server.getSessionCount(), "every session left the table");
            }
        }

        List<Integer> outOf(DtlsSession s) {
            return out.getOrDefault(s, List.of());
        }
    }

    /** A tapped echo server on {@code engine} and clients of it, {@code connected} of them connected. */
    private final class Scene {
        final StoppingTap tap = new StoppingTap();
        final EchoServer server;
        final InetSocketAddress at;
        final DtlsEngineFactory clients;
        final List<TestClient> connected = new ArrayList<>();

        Scene(String engine, int clientCount) throws Exception {
            server = echoServer(DtlsServer.builder(base, serverFactory(engine)).datagramTap(tap));
            tap.server = server;
            at = server.address();
            clients = clientFactory(engine);
            for (int i = 0; i < clientCount; i++) {
                connected.add(client(clients, at));
            }
            runUntil(() -> connected.stream().allMatch(c -> c.connected) && server.connected == clientCount, 20_000,
                    server::describe);
        }

        /** Ends the server (free or shutdown) at the next datagram of that direction and record type. */
        void arm(int direction, int recordType, boolean free) {
            tap.direction = direction;
            tap.recordType = recordType;
            tap.free = free;
            tap.armed = true;
        }
    }

    /** Loop turns until the closed server's port can be bound again: the socket really closed. */
    private void assertPortReleased(InetSocketAddress at) throws Exception {
        for (int turn = 0; turn < 10; turn++) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK | EventBase.EVLOOP_NO_EXIT_ON_EMPTY);
        }
        try (DatagramChannel again = DatagramChannel.open()) {
            again.bind(at);
        }
    }

    private static void assertNoSessionEventAfter(EchoServer server, int connected) {
        assertEquals(connected, server.connected);
        assertEquals(0, server.closedByPeer + server.failed + server.handshakeTimeouts + server.idleTimeouts,
                "no session event follows the server's end: " + server.describe());
    }

    @ParameterizedTest(name = "{0}, tap {1}")
    @CsvSource({"jdk, in", "jdk, out", "bctls, in", "bctls, out"})
    void shutdownFromATapClosesEverySessionOnceTheTapReturned(String engine, String where) throws Exception {
        Scene scene = new Scene(engine, 2);
        StoppingTap tap = scene.tap;
        EchoServer server = scene.server;
        TestClient a = scene.connected.get(0);
        TestClient b = scene.connected.get(1);
        int portA = a.session.getLocalAddress().getPort();
        DtlsSession sessionA = server.accepted.stream().filter(s -> s.getPeer().getPort() == portA).findFirst().orElseThrow();
        DtlsSession sessionB = server.accepted.get(server.accepted.get(0) == sessionA ? 1 : 0);

        // "in": a's message, seen by the tap before the engine decrypts it; "out": the reply to
        // it, seen inside the engine's send. Either way the server ends from that tap.
        scene.arm(where.equals("in") ? BEV_EVENT_READING : BEV_EVENT_WRITING, DtlsRecords.APPLICATION_DATA, false);
        long messages = server.messages;
        assertTrue(a.send("stop"));
        runUntil(() -> a.closedByPeer && b.closedByPeer, 20_000, () -> "close_notify to both: " + a + " / " + b);

        assertFalse(tap.armed);
        assertEquals(sessionA, tap.stoppedIn);
        if (where.equals("in")) {
            assertEquals(messages, server.messages, "the message whose tap ended the server is not delivered");
            assertEquals(List.of(), a.received);
        } else {
            assertEquals(messages + 1, server.messages);
            assertEquals(List.of("to PEER: ACK stop"), a.received, "the reply the tap saw still went out, before close_notify; tap out " + tap.outOf(sessionA) + " client replays "
                    + a.session.getReplayedRecords() + " unauthenticated " + a.session.getUnauthenticatedRecords() + " errors " + a.errors);
        }
        assertTrue(sessionA.isFinished() && sessionB.isFinished());
        assertEquals(0, server.server.getSessionCount());
        assertNoSessionEventAfter(server, 2);
        List<Integer> outA = tap.outOf(sessionA);
        assertEquals(DtlsRecords.ALERT, outA.get(outA.size() - 1), "a's last datagram is its close_notify: " + outA);
        assertEquals(DtlsRecords.ALERT, tap.outOf(sessionB).get(tap.outOf(sessionB).size() - 1));
        assertPortReleased(scene.at);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jdk", "bctls"})
    void freeFromATapEndsEverySessionWithoutAWord(String engine) throws Exception {
        Scene scene = new Scene(engine, 2);
        StoppingTap tap = scene.tap;
        EchoServer server = scene.server;
        TestClient a = scene.connected.get(0);
        TestClient b = scene.connected.get(1);
        scene.arm(BEV_EVENT_READING, DtlsRecords.APPLICATION_DATA, true);
        long messages = server.messages;
        assertTrue(a.send("stop"));
        runUntil(() -> !tap.armed, 20_000, "the tap ran");
        Map<DtlsSession, Integer> sentBefore = new HashMap<>();
        for (DtlsSession s : server.accepted) {
            sentBefore.put(s, tap.outOf(s).size());
        }
        assertPortReleased(scene.at);
        for (DtlsSession s : server.accepted) {
            assertTrue(s.isFinished());
            assertEquals(sentBefore.get(s), tap.outOf(s).size(), "free sends nothing, not even close_notify");
        }
        assertEquals(messages, server.messages);
        assertNoSessionEventAfter(server, 2);
        assertFalse(a.closedByPeer || b.closedByPeer);
    }

    /**
     * The tap of a new session sees the verified ClientHello right after the accept callback, just
     * before the handshake would start: ended there, the session never starts (sends nothing)
     * and the established one gets its close_notify.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jdk", "bctls"})
    void shutdownFromTheTapOfANewSessionsFirstHello(String engine) throws Exception {
        Scene scene = new Scene(engine, 1);
        StoppingTap tap = scene.tap;
        EchoServer server = scene.server;
        TestClient a = scene.connected.get(0);
        scene.arm(BEV_EVENT_READING, DtlsRecords.HANDSHAKE, false);
        TestClient b = client(scene.clients, scene.at);
        runUntil(() -> a.closedByPeer, 20_000, () -> "close_notify to a: " + a + " / " + server.describe());
        assertEquals(2, server.accepted.size());
        DtlsSession sessionB = server.accepted.get(1);
        assertEquals(sessionB, tap.stoppedIn);
        assertTrue(sessionB.isFinished());
        assertEquals(List.of(), tap.outOf(sessionB), "the ended session never started its handshake");
        assertFalse(b.connected);
        assertNoSessionEventAfter(server, 1);
        assertPortReleased(scene.at);
    }

    /** The server's other callbacks: the accept callback, the cookie verifier's, a session's read and event callbacks. */
    @ParameterizedTest(name = "{0}, from the {1} callback")
    @CsvSource({"jdk, accept", "jdk, unverified", "jdk, read", "jdk, connected",
            "bctls, accept", "bctls, unverified", "bctls, read", "bctls, connected"})
    void shutdownFromTheOtherServerCallbacks(String engine, String where) throws Exception {
        boolean[] armed = {false};
        DtlsServer[] holder = new DtlsServer[1];
        List<String> seen = new ArrayList<>();
        Runnable stopIfArmed = () -> {
            if (armed[0]) {
                armed[0] = false;
                holder[0].shutdown();
                seen.add("stopped");
            }
        };
        DtlsServer.Builder builder = DtlsServer.builder(base, serverFactory(engine));
        if (where.equals("unverified")) {
            builder.unverifiedPeerCb((srv, peer, what) -> stopIfArmed.run());
        }
        DtlsServer server = builder.bind(ANY_LOOPBACK, (srv, s) -> {
            if (where.equals("accept")) {
                stopIfArmed.run();
            }
            s.setCallbacks((session, m) -> {
                seen.add("message");
                if (where.equals("read")) {
                    stopIfArmed.run();
                }
                if (!session.isFinished()) {
                    session.write(m);
                }
            }, (session, what) -> {
                seen.add(what == BEV_EVENT_CONNECTED ? "connected" : "event " + what);
                if (where.equals("connected") && what == BEV_EVENT_CONNECTED) {
                    stopIfArmed.run();
                }
            });
        });
        holder[0] = server;
        track(server::free);
        InetSocketAddress at = server.getLocalAddress();
        DtlsEngineFactory clients = clientFactory(engine);
        TestClient a = client(clients, at);
        runUntil(() -> a.connected && seen.contains("connected"), 20_000, () -> "a connected: " + seen);
        armed[0] = true;
        TestClient b = client(clients, at);
        if (where.equals("read")) {
            runUntil(() -> b.connected, 20_000, "b connected");
            assertTrue(b.send("stop"));
        }
        runUntil(() -> a.closedByPeer, 20_000, () -> "close_notify to a: " + seen + " " + a);
        assertTrue(server.isClosed());
        assertEquals(0, server.getSessionCount());
        assertEquals(1, seen.stream().filter("stopped"::equals).count(), seen.toString());
        assertFalse(seen.stream().anyMatch(s -> s.startsWith("event")), "no session event after the end: " + seen);
        assertPortReleased(at);
    }
}
