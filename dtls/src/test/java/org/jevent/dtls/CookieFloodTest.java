package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.BitSet;
import javax.net.ssl.SSLEngine;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A flood of ClientHellos from 10,000 distinct source ports (loopback: each from its own socket,
 * bound to port 0, opened and closed in batches), while a real client handshakes and exchanges
 * messages through it. The verifier must keep nothing per peer: the server never holds more than
 * the real client's session, and its retained heap after the flood (the real session freed) is
 * what it was before, within a bound far below what any per-peer entry would cost.
 *
 * <p>The HelloVerifyRequest budget is set high enough that every forged hello is answered: the
 * most work the verifier can be made to do, and no starvation of the real client by the budget
 * (that trade-off is the budget's, tested in {@code HelloVerifierTest}). Each batch is sent, then
 * the loop runs until the server has answered all of it (bounded by events, not by sleeping), so
 * the socket's receive buffer never overflows however slow the machine is.
 */
class CookieFloodTest extends LoopTest {
    private static final int PORTS = 10_000;
    private static final int BATCH = 100;
    /** Messages the real client must get answered while the flood is still running. */
    private static final int REAL_MESSAGES = 5;
    /** Retained heap allowed to grow: one map entry and address per forged peer would be ~1 MB. */
    private static final long HEAP_BOUND = 192 * 1024;

    enum Engine { JDK, PSK }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void tenThousandSpoofedPortsLeaveNoStateWhileARealClientGetsIn(Engine engine) throws Exception {
        DtlsEngineFactory serverFactory = engine == Engine.JDK ? jdkServer(MTU) : pskServer();
        DtlsEngineFactory clientFactory = engine == Engine.JDK ? jdkClient(MTU) : pskClient(IDENTITY);
        EchoServer server = echoServer(DtlsServer.builder(base, serverFactory).receiveBufferBytes(1 << 20)
                .helloVerifyRate(1_000_000, 1_000_000));
        DtlsServer srv = server.server;
        InetSocketAddress to = server.address();
        SSLEngine forger = jdkClient(MTU).newClientEngineRaw("localhost", 1);
        forger.beginHandshake();
        byte[] hello = bytes(MemoryDtls.drain(forger).get(0));

        BitSet warmUpPorts = new BitSet(65_536);
        flood(srv, to, hello, 500, warmUpPorts); // JIT, lazily made structures
        long heapBefore = Heap.retained();
        long hvrBefore = srv.getHelloVerifyRequests();
        long t0 = System.nanoTime();

        BitSet ports = new BitSet(65_536);
        TestClient real = null;
        int sent = 0;
        int batches = 0;
        int connectedAtBatch = -1;
        int maxSessions = 0;
        while (ports.cardinality() < PORTS || real == null || real.received.size() < REAL_MESSAGES) {
            assertTrue(sent < 3 * PORTS, () -> "flood ran out of patience; " + server.describe());
            sent += flood(srv, to, hello, BATCH, ports);
            batches++;
            maxSessions = Math.max(maxSessions, srv.getSessionCount());
            if (real == null) {
                real = client(clientFactory, to); // starts after the first batch, handshakes during the flood
            } else if (real.connected) {
                if (connectedAtBatch < 0) {
                    connectedAtBatch = batches;
                }
                int n = real.received.size();
                if (n < REAL_MESSAGES && real.session.isConnected()) {
                    assertTrue(real.send("during the flood " + n + " batch " + batches));
                }
            }
        }
        TestClient client = real;
        long floodMillis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(client.session.isConnected(), client::toString);
        assertTrue(connectedAtBatch > 0 && connectedAtBatch < batches, "the real client got in during the flood");
        for (int i = 0; i < REAL_MESSAGES; i++) {
            assertTrue(client.received.get(i).startsWith("to PEER: ACK during the flood " + i), client.received::toString);
        }
        assertEquals(1, maxSessions, "only the real client ever had a session");
        assertEquals(1, srv.getSessionsAccepted());
        assertEquals(0, srv.getHellosRateLimited(), "every forged hello was answered");
        long hvrs = srv.getHelloVerifyRequests() - hvrBefore;
        // Every forged hello answered, and the real client's first (once more if it retransmitted under load).
        assertTrue(hvrs > sent && hvrs <= sent + 3, hvrs + " HelloVerifyRequests for " + sent + " forged hellos");

        srv.getSession(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                client.session.endpoint().localAddress().getPort())).free();
        client.session.free();
        base.loop(EventBase.EVLOOP_ONCE | EventBase.EVLOOP_NONBLOCK);
        assertEquals(0, srv.getSessionCount());
        long grown = Heap.retained() - heapBefore;
        System.out.printf("Cookie flood (%s): %d ClientHellos from %d distinct ports in %d ms, %d HelloVerifyRequests;"
                        + " the real client connected after batch %d of %d and had %d messages answered;"
                        + " retained heap afterwards %+d B%n",
                engine, sent, ports.cardinality(), floodMillis, hvrs, connectedAtBatch, batches, REAL_MESSAGES, grown);
        // What remains is the TLS session caches' one entry for the real client, and noise.
        assertTrue(grown < HEAP_BOUND, "retained " + grown + " B after " + sent + " spoofed hellos");
    }

    /**
     * One ClientHello from each of {@code count} fresh sockets, then runs the loop until the server
     * answered them all; the source ports go into {@code ports}.
     */
    private int flood(DtlsServer srv, InetSocketAddress to, byte[] hello, int count, BitSet ports) throws Exception {
        long answered = srv.getHelloVerifyRequests();
        DatagramChannel[] batch = new DatagramChannel[count];
        try {
            for (int i = 0; i < count; i++) {
                batch[i] = DatagramChannel.open();
                batch[i].bind(ANY_LOOPBACK);
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

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
