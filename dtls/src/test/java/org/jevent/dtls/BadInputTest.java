package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Garbage, truncated and replayed datagrams from an established peer's own address must not end
 * its session (RFC 6347 §4.1.2.7: invalid records are discarded), and a replayed record is not
 * delivered twice, for each engine behind the seam. The JDK engine needed our own replay window
 * for the last one: without it the replay was decrypted and delivered again.
 */
class BadInputTest extends LoopTest {

    @Test
    void jdkEngine() throws Exception {
        check(JdkDtls.server(JdkDtlsLoopbackTest.serverContext(), 1452), JdkDtls.client(JdkDtlsLoopbackTest.clientContext(), 1452));
    }

    @Test
    void bctlsEngine() throws Exception {
        check(pskServerFactory(), pskClientFactory("client"));
    }

    private void check(DtlsEngineFactory serverFactory, DtlsEngineFactory clientFactory) throws Exception {
        TestDtlsServer server = new TestDtlsServer(base, serverFactory, new HvrRateLimiter(100, 10), 1452);
        track(server);
        List<ByteBuffer> sent = new ArrayList<>();
        TestDtlsClient client = new TestDtlsClient(base, clientFactory, server.address(), 1452);
        track(client);
        Loops.runUntil(base, () -> client.established && server.established == 1, 20_000, "handshake");
        client.onSend = d -> sent.add(ByteBuffer.allocate(d.remaining()).put(d).flip());
        assertTrue(client.send("first"));
        Loops.runUntil(base, () -> client.received.size() == 1, 20_000, "first reply");
        ByteBuffer appRecord = sent.get(sent.size() - 1);

        Random rnd = new Random(42);
        byte[] garbage = new byte[60];
        rnd.nextBytes(garbage);
        client.endpoint.send(ByteBuffer.wrap(garbage), server.address());
        byte[] fakeHeader = appRecord.duplicate().array().clone();
        fakeHeader[fakeHeader.length - 1] ^= 0x55; // tampered tag
        client.endpoint.send(ByteBuffer.wrap(fakeHeader), server.address());
        client.endpoint.send(ByteBuffer.wrap(java.util.Arrays.copyOf(fakeHeader, 20)), server.address()); // truncated
        client.endpoint.send(appRecord.duplicate(), server.address()); // replay
        assertTrue(client.send("second"));
        Loops.runUntil(base, () -> client.received.size() == 2, 20_000,
                () -> "session survived bad input: server failed " + server.failed + " " + server.lastFailure
                        + " server messages " + server.messages + " sessions " + server.sessions.values());
        assertEquals(0, server.failed, String.valueOf(server.lastFailure));
        assertEquals(2, server.messages, "the replayed record was not delivered again");
        assertEquals("to PEER: ACK second", client.received.get(1));
    }
}
