package org.jevent.dtls;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLEngine;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventConfig;
import org.jevent.eventbase.ManualClock;
import org.junit.jupiter.api.Test;

/**
 * The session timers on a manual clock, so that every wait is exact and no test sleeps:
 * RFC 6347 §4.2.4 retransmission (1 s, doubling, capped at 60 s) on the client and on the
 * server, the handshake timeout, the idle timeout, and the cookie secret's rotation. The JDK
 * engine has no clock of its own, so everything here runs on the loop's.
 */
class SessionTimersTest extends LoopTest {
    private final ManualClock clock;

    SessionTimersTest() {
        super(new EventConfig().clock(new ManualClock()));
        this.clock = (ManualClock) base.getClock();
    }

    /** Runs non-blocking turns (the clock does not move) until {@code done}, at most 10,000. */
    private void turnUntil(BooleanSupplier done, String what) {
        for (int i = 0; i < 10_000 && !done.getAsBoolean(); i++) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
        assertTrue(done.getAsBoolean(), what);
    }

    private void advance(long millis) {
        clock.advance(Duration.ofMillis(millis));
        for (int i = 0; i < 3; i++) {
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
    }

    private DatagramChannel silentPeer() throws Exception {
        DatagramChannel ch = track(DatagramChannel.open());
        ch.bind(ANY_LOOPBACK);
        return ch;
    }

    @Test
    void clientRetransmitsAfter1sThenDoublingUpTo60sThenTimesOut() throws Exception {
        DatagramChannel silent = silentPeer();
        TestClient client = client(DtlsClient.builder(base, jdkClient(MTU)).handshakeTimeout(Duration.ofSeconds(300)),
                (InetSocketAddress) silent.getLocalAddress());
        // Waits after the first ClientHello: 1, 2, 4, 8, 16, 32, then 60 s (the cap), 60 s, ...
        long[] waits = {1, 2, 4, 8, 16, 32, 60, 60, 60};
        long elapsed = 0;
        for (int i = 0; i < waits.length; i++) {
            advance(waits[i] * 1000 - 1);
            assertEquals(i, client.session.getRetransmissions(), "not yet, " + elapsed + " s + " + waits[i] + " s - 1 ms");
            advance(1);
            assertEquals(i + 1, client.session.getRetransmissions(), "retransmission " + (i + 1) + " after " + waits[i] + " s");
            elapsed += waits[i];
        }
        assertEquals(243, elapsed);
        assertFalse(client.timedOut);
        advance((300 - 243) * 1000 - 1);
        assertFalse(client.timedOut, "the next retransmission (at 303 s) is after the handshake timeout");
        advance(1);
        assertTrue(client.timedOut, "handshake timeout at 300 s");
        assertEquals(BEV_EVENT_TIMEOUT, client.lastEvent, "a bare TIMEOUT for the handshake");
        assertTrue(client.errors.get(0).cause().getMessage().contains("300000 ms"), String.valueOf(client.errors));
        assertTrue(client.session.isFinished());
        assertEquals(0, base.getNumEvents(EventBase.EVENT_BASE_COUNT_ADDED), "no timer left, the client's socket closed");
    }

    @Test
    void serverSessionRetransmitsItsFlightAndIsDroppedAtTheHandshakeTimeout() throws Exception {
        EchoServer server = echoServer(DtlsServer.builder(base, jdkServer(MTU)).handshakeTimeout(Duration.ofSeconds(10)));
        DatagramChannel raw = silentPeer();
        raw.configureBlocking(true);
        SSLEngine c = jdkClient(MTU).newClientEngineRaw("localhost", 1);
        c.beginHandshake();
        raw.send(MemoryDtls.drain(c).get(0), server.address());
        turnUntil(() -> server.server.getHelloVerifyRequests() == 1, "HelloVerifyRequest");
        ByteBuffer hvr = ByteBuffer.allocate(2048);
        raw.receive(hvr);
        hvr.flip();
        raw.send(MemoryDtls.feed(c, hvr).get(0), server.address());
        turnUntil(() -> server.server.getSessionCount() == 1, "session for the verified hello");
        DtlsSession session = server.accepted.get(0);
        // The client answers nothing more: the server's flight goes out again at 1, 3 and 7 s.
        advance(999);
        assertEquals(0, session.getRetransmissions());
        advance(1);
        assertEquals(1, session.getRetransmissions());
        advance(2000);
        assertEquals(2, session.getRetransmissions());
        advance(4000);
        assertEquals(3, session.getRetransmissions());
        advance(3000 - 1);
        assertEquals(1, server.server.getSessionCount());
        advance(1);
        assertEquals(1, server.handshakeTimeouts, "dropped at 10 s");
        assertEquals(0, server.server.getSessionCount());
        assertTrue(session.isFinished());
    }

    @Test
    void idleSessionsEndWithCloseNotifyAfterTheIdleTimeoutCountedFromTheLastMessage() throws Exception {
        EchoServer server = echoServer(DtlsServer.builder(base, jdkServer(MTU)).idleTimeout(Duration.ofSeconds(30)));
        TestClient client = client(jdkClient(MTU), server.address());
        turnUntil(() -> client.connected && server.connected == 1, "handshake");
        advance(20_000);
        assertTrue(client.send("still here at 20 s"));
        turnUntil(() -> client.received.size() == 1, "reply");
        advance(10_000); // 30 s after the handshake, 10 s after the message
        assertEquals(0, server.idleTimeouts);
        advance(20_000 - 1);
        assertEquals(0, server.idleTimeouts);
        advance(1);
        assertEquals(1, server.idleTimeouts, "30 s after the last message");
        assertEquals(0, server.server.getSessionCount());
        turnUntil(() -> client.closedByPeer, "the client gets the server's close_notify");
    }

    @Test
    void theCookieSecretRotatesOnItsTimer() throws Exception {
        BcPskDtls factory = pskServer();
        echoServer(DtlsServer.builder(base, factory).cookieRotation(Duration.ofMinutes(5)));
        HmacCookieScheme scheme = factory.cookieScheme();
        advance(5 * 60_000 - 1);
        assertEquals(0, scheme.rotations());
        advance(1);
        assertEquals(1, scheme.rotations());
        advance(5 * 60_000);
        assertEquals(2, scheme.rotations());
    }
}
