package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;

/**
 * 1,000 concurrent DTLS sessions on one loop, for each engine behind the seam, with the figures
 * the design needs: threads while handshaking and once established, and heap per server session.
 * Clients run on the same loop (their own UDP socket each); the server's share of the heap is
 * what remains when the clients are dropped without a word.
 */
class ThousandSessionsTest extends LoopTest {
    private static final int SESSIONS = 1000;
    private static final int BATCH = 100;

    @Test
    void bctlsPsk() throws Exception {
        BcPskDtls serverFactory = BcPskDtls.server().build().bind(base);
        BcPskDtls clientFactory = BcPskDtls.client("client", BcPskDtls.QT_EXAMPLE_KEY).build().bind(base);
        track(serverFactory);
        track(clientFactory);
        run("bctls PSK", serverFactory, clientFactory, () -> serverFactory.handshakeThreadsAlive() + clientFactory.handshakeThreadsAlive());
    }

    @Test
    void jdkCertificates() throws Exception {
        run("JDK certificates", JdkDtls.server(JdkDtlsLoopbackTest.serverContext(), 1452),
                JdkDtls.client(JdkDtlsLoopbackTest.clientContext(), 1452), () -> 0);
    }

    private void run(String name, DtlsEngineFactory serverFactory, DtlsEngineFactory clientFactory,
            java.util.function.IntSupplier poolThreads) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int threadsBefore = threads.getThreadCount();
        TestDtlsServer server = new TestDtlsServer(base, serverFactory, new HvrRateLimiter(100_000, 10_000), 1452);
        track(server);
        long heapBefore = usedHeap();
        List<TestDtlsClient> clients = new ArrayList<>();
        int peakThreads = 0;
        long t0 = System.nanoTime();
        for (int b = 0; b < SESSIONS; b += BATCH) {
            for (int i = 0; i < BATCH; i++) {
                clients.add(new TestDtlsClient(base, clientFactory, server.address(), 1452));
            }
            int target = b + BATCH;
            Loops.runUntil(base, () -> server.established >= target && clients.stream().filter(c -> c.established).count() >= target,
                    60_000, () -> name + ": " + target + " sessions; server established " + server.established
                            + " failed " + server.failed + " " + server.lastFailure + " sessions " + server.sessions.size()
                            + " hvr " + server.verifier.helloVerifyRequests() + " verified " + server.verifier.verified()
                            + " badCookies " + server.verifier.badCookies() + " malformed " + server.verifier.droppedMalformed()
                            + " (" + server.verifier.lastRejection() + ") limited " + server.verifier.droppedRateLimited()
                            + " clients " + clients.stream().collect(java.util.stream.Collectors.groupingBy(
                                    c -> c.engine.status() + (c.failure == null ? "" : ":" + c.failure), java.util.stream.Collectors.counting())));
            peakThreads = Math.max(peakThreads, threads.getThreadCount());
        }
        long handshakeMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(SESSIONS, server.sessions.size());
        assertEquals(0, server.failed);
        // Every session works, all at once: one message each, every reply checked.
        for (int i = 0; i < SESSIONS; i++) {
            assertTrue(clients.get(i).send("n" + i));
        }
        Loops.runUntil(base, () -> clients.stream().allMatch(c -> c.received.size() == 1), 60_000, "1,000 replies");
        for (int i = 0; i < SESSIONS; i++) {
            assertEquals("to PEER: ACK n" + i, clients.get(i).received.get(0));
        }
        int threadsEstablished = threads.getThreadCount();
        long heapBoth = usedHeap();
        for (TestDtlsClient c : clients) {
            c.tick.del();
            c.engine.free();
            c.endpoint.close();
        }
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        clients.clear();
        long heapServer = usedHeap();
        System.out.printf("%s: %d sessions in %d ms (batches of %d); threads before %d, peak %d (pool %d), established %d;"
                        + " heap per server session %d B, per client %d B%n",
                name, SESSIONS, handshakeMillis, BATCH, threadsBefore, peakThreads, poolThreads.getAsInt(), threadsEstablished,
                (heapServer - heapBefore) / SESSIONS, (heapBoth - heapServer) / SESSIONS);
        assertEquals(SESSIONS, server.sessions.size(), "server sessions outlive their silent clients");
        assertTrue(peakThreads - threadsBefore <= 8, "threads grew by " + (peakThreads - threadsBefore));
    }

    private static long usedHeap() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
