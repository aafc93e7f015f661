package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;

/**
 * 1,000 concurrent DTLS sessions on one loop, for each engine behind the seam, with the figures
 * the design needs: threads while handshaking and once established, heap per idle server
 * session, and the time the 1,000 handshakes took (both ends on this one loop thread, plus the
 * bctls pools). The server's share of the heap is what remains once the clients are dropped
 * without a word (their sessions stay on the server until their idle timeout).
 */
class ThousandSessionsTest extends LoopTest {
    private static final int SESSIONS = 1000;
    private static final int BATCH = 100;

    @Test
    void bctlsPsk() throws Exception {
        BcPskDtls serverFactory = pskServer();
        BcPskDtls clientFactory = pskClient(IDENTITY);
        run("bctls PSK", serverFactory, clientFactory,
                () -> serverFactory.handshakeThreadsAlive() + clientFactory.handshakeThreadsAlive());
    }

    @Test
    void jdkCertificates() throws Exception {
        run("JDK certificates", jdkServer(MTU), jdkClient(MTU), () -> 0);
    }

    private void run(String name, DtlsEngineFactory serverFactory, DtlsEngineFactory clientFactory, IntSupplier poolThreads)
            throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int threadsBefore = threads.getThreadCount();
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory).helloVerifyRate(100_000, 10_000)
                .receiveBufferBytes(4 << 20));
        long heapBefore = Heap.retained();
        List<TestClient> clients = new ArrayList<>();
        int peakThreads = 0;
        int peakPool = 0;
        long t0 = System.nanoTime();
        for (int b = 0; b < SESSIONS; b += BATCH) {
            for (int i = 0; i < BATCH; i++) {
                clients.add(new TestClient(DtlsClient.builder(base, clientFactory), server.address()));
            }
            int target = b + BATCH;
            runUntil(() -> server.connected >= target && clients.stream().filter(c -> c.connected).count() >= target,
                    60_000, () -> name + ": " + target + " sessions; " + server.describe());
            peakThreads = Math.max(peakThreads, threads.getThreadCount());
            peakPool = Math.max(peakPool, poolThreads.getAsInt());
        }
        long handshakeMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(SESSIONS, server.server.getSessionCount());
        assertEquals(0, server.failed + server.handshakeTimeouts);
        // Every session works, all at once: one message each, every reply checked.
        for (int i = 0; i < SESSIONS; i++) {
            assertTrue(clients.get(i).send("n" + i));
        }
        runUntil(() -> clients.stream().allMatch(c -> c.received.size() == 1), 60_000, "1,000 replies");
        for (int i = 0; i < SESSIONS; i++) {
            assertEquals("to PEER: ACK n" + i, clients.get(i).received.get(0));
        }
        int threadsEstablished = threads.getThreadCount();
        long heapBoth = Heap.retained();
        for (TestClient c : clients) {
            c.session.free();
        }
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        clients.clear();
        long heapServer = Heap.retained();
        System.out.printf("%s: %d sessions in %d ms (batches of %d); threads before %d, peak %d (pools %d), established %d;"
                        + " heap per idle server session %d B, per client session (with its socket) %d B%n",
                name, SESSIONS, handshakeMillis, BATCH, threadsBefore, peakThreads, poolThreads.getAsInt(), threadsEstablished,
                (heapServer - heapBefore) / SESSIONS, (heapBoth - heapServer) / SESSIONS);
        assertEquals(SESSIONS, server.server.getSessionCount(), "server sessions outlive their silent clients");
        // The handshake pools never grow past their size; the JVM's own threads (compiler, cleaner)
        // come and go, hence some slack: the point is no thread per session.
        assertTrue(peakPool <= 2 * BcPskDtls.DEFAULT_HANDSHAKE_THREADS, "handshake pools grew to " + peakPool);
        assertTrue(peakThreads - threadsBefore <= 2 * BcPskDtls.DEFAULT_HANDSHAKE_THREADS + 8,
                "threads grew by " + (peakThreads - threadsBefore));
    }
}
