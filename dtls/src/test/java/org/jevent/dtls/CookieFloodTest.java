package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.BitSet;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A flood of ClientHellos from 10,000 distinct source ports (loopback: each from its own socket,
 * bound to a port of its own, opened and closed in batches), while a real client handshakes and
 * exchanges messages through it. The verifier must keep nothing per peer: the server never holds more than
 * the real client's session, and its retained heap after the flood (the real session freed) is
 * what it was before, within a bound far below what any per-peer entry would cost.
 *
 * <p>The HelloVerifyRequest budget is set high enough that every forged hello is answered: the
 * most work the verifier can be made to do, and no starvation of the real client by the budget
 * (that trade-off is the budget's, tested in {@code HelloVerifierTest}). Each batch is sent, then
 * the loop runs until the server has answered all of it (bounded by events, not by sleeping), so
 * the socket's receive buffer never overflows however slow the machine is.
 *
 * <p>The heap is measured with nothing of the test holding a session: a whole session runs
 * first (the engines' first use fills class tables and caches), the real client is not tracked,
 * and the echo server's records of its sessions are dropped. (Measured: the test's own
 * references to the one real session had counted as 40 KB of "retained" heap.)
 */
class CookieFloodTest extends LoopTest {
    private static final int PORTS = 10_000;
    private static final int BATCH = 100;
    /** Messages the real client must get answered while the flood is still running. */
    private static final int REAL_MESSAGES = 5;
    /**
     * Retained heap allowed to grow: one map entry and address per forged peer would be ~1 MB;
     * measured +3 to +15 KB (the TLS session caches' entry for the real client, and noise).
     */
    private static final long HEAP_BOUND = 128 * 1024;

    /** Forged source ports are taken from here up (Linux's ephemeral range starts at 32768). */
    private static final int FIRST_PORT = 20_000;
    private static final int LAST_PORT = 32_768;

    enum Engine { JDK, PSK }

    private int nextPort = FIRST_PORT;

    /** What the flood saw; nothing in it refers to a session, so the heap can be measured after. */
    private record Outcome(int sent, int distinctPorts, int batches, int connectedAtBatch, int maxSessions,
            List<String> replies, long millis) {
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void tenThousandSpoofedPortsLeaveNoStateWhileARealClientGetsIn(Engine engine) throws Exception {
        DtlsEngineFactory serverFactory = engine == Engine.JDK ? jdkServer(MTU) : pskServer();
        DtlsEngineFactory clientFactory = engine == Engine.JDK ? jdkClient(MTU) : pskClient(IDENTITY);
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory).receiveBufferBytes(1 << 20)
                .helloVerifyRate(1_000_000, 1_000_000));
        DtlsServer srv = server.server;
        SSLEngine forger = jdkClient(MTU).newClientEngineRaw("localhost", 1);
        forger.beginHandshake();
        byte[] hello = bytes(MemoryDtls.drain(forger).get(0));

        flood(srv, hello, 500, new BitSet(65_536)); // JIT, lazily made structures
        // A whole session first: what the engines' first use leaves (class tables, caches) is not per-peer state.
        warmUpSession(server, clientFactory);
        forget(server);
        long heapBefore = Heap.retained();
        long hvrBefore = srv.getHelloVerifyRequests();
        long acceptedBefore = srv.getSessionsAccepted();

        Outcome o = realClientDuring(server, clientFactory, hello, PORTS);
        forget(server);
        long grown = Heap.retained() - heapBefore;

        assertTrue(o.connectedAtBatch() > 0 && o.connectedAtBatch() < o.batches(), "the real client got in during the flood");
        assertEquals(REAL_MESSAGES, o.replies().size());
        for (int i = 0; i < REAL_MESSAGES; i++) {
            assertTrue(o.replies().get(i).startsWith("to PEER: ACK during the flood " + i), o.replies()::toString);
        }
        assertEquals(1, o.maxSessions(), "only the real client ever had a session");
        assertEquals(1, srv.getSessionsAccepted() - acceptedBefore);
        assertEquals(0, srv.getHellosRateLimited(), "every forged hello was answered");
        long hvrs = srv.getHelloVerifyRequests() - hvrBefore;
        // Every forged hello answered, and the real client's first (once more if it retransmitted under load).
        assertTrue(hvrs > o.sent() && hvrs <= o.sent() + 3, hvrs + " HelloVerifyRequests for " + o.sent() + " forged hellos");
        assertEquals(0, srv.getSessionCount());
        System.out.printf("Cookie flood (%s): %d ClientHellos from %d distinct ports in %d ms, %d HelloVerifyRequests;"
                        + " the real client connected after batch %d of %d and had %d messages answered;"
                        + " retained heap afterwards %+d B%n",
                engine, o.sent(), o.distinctPorts(), o.millis(), hvrs, o.connectedAtBatch(), o.batches(), REAL_MESSAGES, grown);
        assertTrue(grown < HEAP_BOUND, "retained " + grown + " B after " + o.sent() + " spoofed hellos");
    }

    /**
     * Floods from {@code ports} distinct ports (at least) while a real client, started after the
     * first batch, handshakes and has {@link #REAL_MESSAGES} messages answered, one at a time;
     * then ends the real session on both sides.
     */
    private Outcome realClientDuring(EchoServer server, DtlsEngineFactory clientFactory, byte[] hello, int ports)
            throws Exception {
        DtlsServer srv = server.server;
        BitSet used = new BitSet(65_536);
        TestClient real = null;
        int sent = 0;
        int batches = 0;
        int connectedAtBatch = -1;
        int maxSessions = 0;
        int asked = 0;
        long t0 = System.nanoTime();
        try {
            while (used.cardinality() < ports || real == null || real.received.size() < REAL_MESSAGES) {
                assertTrue(sent < 3 * PORTS, () -> "flood ran out of patience; " + server.describe());
                sent += flood(srv, hello, BATCH, used);
                batches++;
                maxSessions = Math.max(maxSessions, srv.getSessionCount());
                if (real == null) {
                    // Not tracked: nothing may keep it once it ended. Handshakes during the flood.
                    real = new TestClient(DtlsClient.builder(base, clientFactory), server.address());
                } else if (real.connected) {
                    if (connectedAtBatch < 0) {
                        connectedAtBatch = batches;
                    }
                    if (asked < REAL_MESSAGES && real.received.size() == asked && real.session.isConnected()) {
                        assertTrue(real.send("during the flood " + asked + " batch " + batches));
                        asked++;
                    }
                }
            }
            assertTrue(real.session.isConnected(), real::toString);
            InetSocketAddress peer = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    real.session.endpoint().localAddress().getPort());
            srv.getSession(peer).free();
            return new Outcome(sent, used.cardinality(), batches, connectedAtBatch, maxSessions, List.copyOf(real.received),
                    (System.nanoTime() - t0) / 1_000_000);
        } finally {
            if (real != null) {
                real.close();
            }
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
    }

    /** One whole session, ended on both sides; its client is not tracked, so nothing keeps it. */
    private void warmUpSession(EchoServer server, DtlsEngineFactory clientFactory) throws Exception {
        TestClient first = new TestClient(DtlsClient.builder(base, clientFactory), server.address());
        try {
            runUntil(() -> first.connected, 20_000, first::toString);
            assertTrue(first.send("warm-up"));
            runUntil(() -> first.received.size() == 1, 20_000, "warm-up reply");
            server.server.getSession(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    first.session.endpoint().localAddress().getPort())).free();
        } finally {
            first.close();
            base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        }
    }

    /** The test server's own records of its sessions, dropped so that they do not count as retained. */
    private static void forget(EchoServer server) {
        server.accepted.clear();
        server.errors.clear();
    }

    /**
     * One ClientHello from each of {@code count} fresh sockets, then runs the loop until the server
     * answered them all; the source ports go into {@code ports}.
     */
    private int flood(DtlsServer srv, byte[] hello, int count, BitSet ports) throws Exception {
        InetSocketAddress to = srv.getLocalAddress();
        long answered = srv.getHelloVerifyRequests();
        DatagramChannel[] batch = new DatagramChannel[count];
        try {
            for (int i = 0; i < count; i++) {
                batch[i] = DatagramChannel.open();
                bindNextPort(batch[i]);
                ports.set(((InetSocketAddress) batch[i].getLocalAddress()).getPort());
                batch[i].send(ByteBuffer.wrap(hello), to);
            }
        } finally {
            for (DatagramChannel ch : batch) {
                if (ch != null) {
                    ch.close();
                }
            }
        }
        runUntil(() -> srv.getHelloVerifyRequests() - answered >= count, 30_000,
                () -> "the server answers a batch: " + (srv.getHelloVerifyRequests() - answered) + " of " + count);
        return count;
    }

    /**
     * Binds to the next free port from {@link #FIRST_PORT} up, below the ephemeral range, so that
     * every forged hello comes from a port not used before (ephemeral ports are reused soon after
     * a close: a quarter of the hellos repeated a port); port 0 once that range is used up.
     */
    private void bindNextPort(DatagramChannel ch) throws java.io.IOException {
        while (nextPort < LAST_PORT) {
            int port = nextPort++;
            try {
                ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return;
            } catch (java.net.BindException inUse) {
                // someone else's: try the next one
            }
        }
        ch.bind(ANY_LOOPBACK);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
