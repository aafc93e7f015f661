package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * bctls handshakes block a pool thread. A peer that stalls after its verified ClientHello holds
 * the server's only handshake thread until the handshake deadline, no longer; a healthy client
 * that meanwhile waited for that thread still gets the whole deadline once its handshake starts,
 * and needs it here: every server datagram of its first {@value #LOST_MILLIS} ms is lost, so it
 * completes only through the server's retransmission, later than the time it spent waiting
 * allowed had the deadline counted from its arrival (the lab's gap: it then failed).
 */
class StalledPeerTest extends LoopTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final long LOST_MILLIS = 400;

    @Test
    void aStalledPeerHoldsTheOnlyHandshakeThreadUntilTheDeadlineAndTheNextHandshakeGetsItsWholeTime() throws Exception {
        BcPskDtls serverFactory = track(BcPskDtls.server().handshakeThreads(1).build());
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory).handshakeTimeout(TIMEOUT)
                .retransmitTimeout(Duration.ofMillis(500)));

        Relay ghostPath = track(new Relay(base, server.address(), MTU, null));
        int[] ghostSent = {0};
        ghostPath.filter = (d, toServer) -> toServer && ++ghostSent[0] > 2; // silent after its ClientHello with cookie
        TestClient ghost = client(DtlsClient.builder(base, pskClient(IDENTITY)).handshakeTimeout(Duration.ofSeconds(30)),
                ghostPath.address());
        runUntil(() -> serverFactory.handshakesRunning() == 1, 20_000, server::describe);
        long ghostStarted = System.nanoTime();

        Relay healthyPath = track(new Relay(base, server.address(), MTU, null));
        int[] toHealthy = {0};
        long[] firstFlight = {0};
        healthyPath.filter = (d, toServer) -> {
            if (toServer || ++toHealthy[0] == 1) {
                return false; // the HelloVerifyRequest passes
            }
            if (firstFlight[0] == 0) {
                firstFlight[0] = System.nanoTime();
            }
            return System.nanoTime() - firstFlight[0] < LOST_MILLIS * 1_000_000;
        };
        TestClient healthy = client(DtlsClient.builder(base, pskClient(IDENTITY)).retransmitTimeout(Duration.ofMillis(500)),
                healthyPath.address());
        runUntil(() -> server.server.getSessionCount() == 2, 20_000, server::describe);
        assertEquals(1, serverFactory.handshakesRunning(), "the healthy handshake waits for the one thread");

        runUntil(() -> server.handshakeTimeouts == 1, 20_000, server::describe);
        long held = (System.nanoTime() - ghostStarted) / 1_000_000;
        assertTrue(healthy.session.isHandshaking(), "the healthy handshake had to wait: " + healthy);
        runUntil(() -> healthy.connected, 20_000, () -> healthy + " " + server.describe());
        long healthyDone = (System.nanoTime() - ghostStarted) / 1_000_000;
        System.out.printf("stalled peer held the only handshake thread %d ms (deadline %d ms); the waiting handshake"
                + " completed %d ms after the stall began, through a retransmission%n", held, TIMEOUT.toMillis(), healthyDone);
        assertTrue(healthyPath.dropped >= 1, "its first server flight was lost");
        assertTrue(healthyDone > TIMEOUT.toMillis() + LOST_MILLIS, "completed after its arrival + the deadline: " + healthyDone);
        assertEquals(1, server.handshakeTimeouts, "only the ghost timed out");
        assertTrue(server.lastError().cause() instanceof DtlsHandshakeTimeoutException, String.valueOf(server.errors));
        assertTrue(healthy.send("made it"));
        runUntil(() -> healthy.received.size() == 1, 20_000, "healthy session answers");
        runUntil(() -> serverFactory.handshakesRunning() == 0, 20_000, "the pool is idle again");
        assertTrue(serverFactory.handshakeThreadsAlive() <= 1, "the pool never grows");
        assertTrue(!ghost.connected, "the ghost, cut off, never finished its handshake: " + ghost);
    }
}
