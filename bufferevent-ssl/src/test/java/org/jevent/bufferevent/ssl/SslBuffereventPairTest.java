package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.PairBufferevent;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(30)
class SslBuffereventPairTest {
    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CONSCRYPT,TLSv1.3", "CONSCRYPT,TLSv1.2", "JDK,TLSv1.3", "JDK,TLSv1.2", "TCNATIVE,TLSv1.3",
        "TCNATIVE,TLSv1.2"})
    void writeBeforeHandshakeEchoesBackIntact(SslProvider impl, String protocol) throws Exception {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        SslBufferevent client = SslBufferevent.filter(base, pair[0], TlsTestSupport.engine(impl, true, protocol),
                SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        SslBufferevent server = SslBufferevent.filter(base, pair[1], TlsTestSupport.engine(impl, false, protocol),
                SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        echoesIntact(client, server, 200_000, 200_000, 3); // one write, before the handshake: held, then sent encrypted
        assertEquals(protocol, client.getEngine().getSession().getProtocol());
        client.free();
        server.free();
    }

    /**
     * TLS inside TLS over a pair, every provider inside every other: the inner layer's records
     * are the outer layer's plaintext, so both pumps run nested in one another on one thread
     * (and, for the JDK, share the thread's heap staging arrays). 1 MiB echoed back intact, each
     * layer connected exactly once.
     */
    @ParameterizedTest(name = "{0} inside {1}")
    @CsvSource({"JDK,JDK", "JDK,CONSCRYPT", "CONSCRYPT,JDK", "CONSCRYPT,CONSCRYPT", "TCNATIVE,CONSCRYPT",
        "JDK,TCNATIVE"})
    void tlsInsideTlsEchoesIntact(SslProvider inner, SslProvider outer) throws Exception {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        SslBufferevent outerClient = SslBufferevent.filter(base, pair[0],
                TlsTestSupport.engine(outer, true, "TLSv1.3"), SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        SslBufferevent outerServer = SslBufferevent.filter(base, pair[1],
                TlsTestSupport.engine(outer, false, "TLSv1.3"), SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        SslBufferevent client = SslBufferevent.filter(base, outerClient,
                TlsTestSupport.engine(inner, true, "TLSv1.2"), SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        SslBufferevent server = SslBufferevent.filter(base, outerServer,
                TlsTestSupport.engine(inner, false, "TLSv1.2"), SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        // Small read high watermarks: when the inner layer drains the outer one's input, the
        // outer one resumes reading and pumps at once, inside the inner one's pump.
        outerClient.setWatermark(Bufferevent.EV_READ, 0, 20_000);
        outerServer.setWatermark(Bufferevent.EV_READ, 0, 20_000);
        echoesIntact(client, server, 1 << 20, 100_000, 5);
        assertEquals(List.of(), outerClient.getSslErrors());
        assertEquals(List.of(), outerServer.getSslErrors());
        // Each layer negotiated its own session: 1.3 outside, 1.2 inside.
        assertEquals("TLSv1.3", outerClient.getEngine().getSession().getProtocol());
        assertEquals("TLSv1.2", client.getEngine().getSession().getProtocol());
        client.free();
        server.free();
    }

    /**
     * Writes {@code size} random bytes from {@code client} in writes of {@code chunk}, right
     * away (before any handshake); {@code server} echoes; checks that each side connected
     * exactly once and that the echo is intact.
     */
    private void echoesIntact(SslBufferevent client, SslBufferevent server, int size, int chunk, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        List<String> events = new ArrayList<>();
        server.setCallbacks(b -> b.writeBuffer(b.getInput()), null, (b, what) -> events.add("server 0x" + Integer.toHexString(what)));
        server.enable(Bufferevent.EV_READ);
        EvBuffer got = new EvBuffer();
        client.setCallbacks(b -> {
            b.readBuffer(got);
            if (got.getLength() == data.length) {
                base.loopBreak();
            }
        }, null, (b, what) -> events.add("client 0x" + Integer.toHexString(what)));
        client.enable(Bufferevent.EV_READ);
        for (int off = 0; off < data.length; off += chunk) {
            client.write(data, off, Math.min(chunk, data.length - off));
        }
        base.dispatch();
        assertEquals(List.of("client 0x80", "server 0x80"), events.stream().sorted().toList(),
                () -> "exactly one CONNECTED each; errors " + client.getSslErrors() + server.getSslErrors() + " hs "
                        + client.getEngine().getHandshakeStatus() + "/" + server.getEngine().getHandshakeStatus());
        byte[] back = new byte[data.length];
        assertEquals(data.length, got.remove(back));
        assertArrayEquals(data, back);
        got.free();
    }
}
