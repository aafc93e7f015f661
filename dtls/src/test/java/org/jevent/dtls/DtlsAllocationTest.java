package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Test;

/**
 * What one established DTLS round trip allocates on the loop thread (client write, server read
 * and echo, client read: four datagrams, two encryptions, two decryptions), for each engine.
 * Printed, and bounded loosely so that a regression into per-message copies of whole buffers
 * shows; the figure itself is the finding (most of it is inside the engines).
 */
class DtlsAllocationTest extends LoopTest {

    @Test
    void jdkEngine() throws Exception {
        measure("JDK", jdkServer(MTU), jdkClient(MTU));
    }

    @Test
    void bctlsEngine() throws Exception {
        measure("bctls", pskServer(), pskClient(IDENTITY));
    }

    private void measure(String name, DtlsEngineFactory serverFactory, DtlsEngineFactory clientFactory) throws Exception {
        EchoServer server = echoServer(serverFactory);
        server.rawEcho = true;
        TestClient client = client(clientFactory, server.address());
        client.countOnly = true;
        runUntil(() -> client.connected, 20_000, "handshake");
        ByteBuffer msg = ByteBuffer.allocateDirect(100);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long perRoundTrip = 0;
        for (int round = 0; round < 3; round++) {
            long target = client.count + 2000;
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 2000; i++) {
                msg.clear();
                client.session.write(msg);
                long want = client.count + 1;
                while (client.count < want) {
                    base.loop(EventBase.EVLOOP_ONCE);
                }
            }
            perRoundTrip = (mx.getThreadAllocatedBytes(tid) - before) / 2000;
            assertEquals(target, client.count);
        }
        System.out.printf("%s DTLS round trip of 100 B (both ends on this loop): %d B allocated per round trip%n", name, perRoundTrip);
        assertTrue(perRoundTrip < 64 * 1024, name + " allocates " + perRoundTrip + " B per round trip");
    }
}
