package org.jevent.dtls;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_EOF;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A session ended ({@link DtlsSession#shutdown()} or {@link DtlsSession#free()}) from inside its
 * own read callback, the way an application hangs up on the message that tells it to, with both
 * engines and on both sides. The engine is in the middle of the datagram's records when the
 * callback runs (bctls: its shadow replay window was marked after the callback, and a freed
 * engine had none: a NullPointerException). The end must be clean: no exception out of the loop,
 * no further message or event, close_notify only for shutdown, and the server goes on serving.
 */
class EndInReadCallbackTest extends LoopTest {

    private DtlsEngineFactory serverFactory(String engine) throws Exception {
        return engine.equals("jdk") ? jdkServer(MTU) : pskServer();
    }

    private DtlsEngineFactory clientFactory(String engine) throws Exception {
        return engine.equals("jdk") ? jdkClient(MTU) : pskClient(IDENTITY);
    }

    private static void end(DtlsSession session, String how) {
        if (how.equals("shutdown")) {
            session.shutdown();
        } else {
            session.free();
        }
    }

    @ParameterizedTest(name = "{0} server session, {1}")
    @CsvSource({"jdk, shutdown", "jdk, free", "bctls, shutdown", "bctls, free"})
    void serverSessionEndsInItsReadCallback(String engine, String how) throws Exception {
        List<String> serverSaw = new ArrayList<>();
        DtlsServer server = DtlsServer.bind(base, ANY_LOOPBACK, serverFactory(engine), (srv, s) -> s.setCallbacks(
                (session, m) -> {
                    String text = UTF_8.decode(m).toString();
                    serverSaw.add(text);
                    if (text.equals("bye")) {
                        end(session, how);
                        assertTrue(session.isFinished());
                    } else {
                        session.write(ByteBuffer.wrap(("ACK " + text).getBytes(UTF_8)));
                    }
                },
                (session, what) -> serverSaw.add("event 0x" + Integer.toHexString(what))));
        track(server::free);
        DtlsEngineFactory clients = clientFactory(engine);
        TestClient leaving = client(clients, server.getLocalAddress());
        runUntil(() -> leaving.connected, 20_000, () -> "handshake: " + leaving);
        assertTrue(leaving.send("bye"));
        runUntil(() -> server.getSessionCount() == 0, 20_000, () -> "ended in the callback: " + serverSaw);
        if (how.equals("free")) {
            assertTrue(leaving.send("after the end")); // to no session: the server's verifier drops it
        } else {
            runUntil(() -> leaving.closedByPeer, 20_000, () -> "close_notify reaches the client: " + leaving);
            assertEquals(BEV_EVENT_READING | BEV_EVENT_EOF, leaving.lastEvent);
        }
        // The server goes on: a second client is served while the first one's leftovers arrive.
        TestClient next = client(clients, server.getLocalAddress());
        runUntil(() -> next.connected, 20_000, () -> "second handshake: " + next);
        assertTrue(next.send("hello"));
        runUntil(() -> next.received.size() == 1, 20_000, "the second client's ACK");
        assertEquals("ACK hello", next.received.get(0));
        if (how.equals("free")) {
            assertFalse(leaving.closedByPeer, "free says nothing to the peer");
            assertEquals(BEV_EVENT_CONNECTED, leaving.lastEvent);
        }
        assertEquals(List.of("event 0x" + Integer.toHexString(BEV_EVENT_CONNECTED), "bye",
                "event 0x" + Integer.toHexString(BEV_EVENT_CONNECTED), "hello"), serverSaw,
                "no message or event for the ended session after the callback");
    }

    @ParameterizedTest(name = "{0} client session, {1}")
    @CsvSource({"jdk, shutdown", "jdk, free", "bctls, shutdown", "bctls, free"})
    void clientSessionEndsInItsReadCallback(String engine, String how) throws Exception {
        EchoServer server = echoServer(serverFactory(engine));
        List<String> clientSaw = new ArrayList<>();
        DtlsSession session = DtlsClient.connect(base, server.address(), clientFactory(engine),
                (s, m) -> {
                    clientSaw.add(UTF_8.decode(m).toString());
                    end(s, how);
                    assertTrue(s.isFinished());
                },
                (s, what) -> {
                    clientSaw.add("event 0x" + Integer.toHexString(what));
                    if (what == BEV_EVENT_CONNECTED) {
                        s.write(ByteBuffer.wrap("last".getBytes(UTF_8)));
                    }
                });
        track(session::free);
        runUntil(session::isFinished, 20_000, () -> "ended in the callback: " + clientSaw + " " + server.describe());
        assertEquals(List.of("event 0x" + Integer.toHexString(BEV_EVENT_CONNECTED), "to PEER: ACK last"), clientSaw);
        if (how.equals("shutdown")) {
            runUntil(() -> server.closedByPeer == 1, 20_000, () -> "close_notify reaches the server: " + server.describe());
        } else {
            assertEquals(1, server.server.getSessionCount(), "free says nothing to the peer");
        }
        assertEquals(0, server.failed, server.describe());
    }
}
