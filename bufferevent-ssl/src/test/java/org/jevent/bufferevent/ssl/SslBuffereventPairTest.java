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
    @CsvSource({"CONSCRYPT,TLSv1.3", "CONSCRYPT,TLSv1.2", "JDK,TLSv1.3", "JDK,TLSv1.2"})
    void writeBeforeHandshakeEchoesBackIntact(TlsTestSupport.Impl impl, String protocol) throws Exception {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        SslBufferevent client = SslBufferevent.filter(base, pair[0], TlsTestSupport.engine(impl, true, protocol),
                SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        SslBufferevent server = SslBufferevent.filter(base, pair[1], TlsTestSupport.engine(impl, false, protocol),
                SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        byte[] data = new byte[200_000];
        new Random(3).nextBytes(data);
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
        client.write(data); // before the handshake: held, then sent encrypted
        base.dispatch();
        assertEquals(List.of("client 0x80", "server 0x80"), events.stream().sorted().toList(),
                () -> "exactly one CONNECTED each; errors " + client.getSslErrors() + server.getSslErrors() + " " + client + " " + server + " hs " + client.getEngine().getHandshakeStatus() + "/" + server.getEngine().getHandshakeStatus());
        byte[] back = new byte[data.length];
        assertEquals(data.length, got.remove(back));
        assertArrayEquals(data, back);
        assertEquals(protocol, client.getEngine().getSession().getProtocol());
        client.free();
        server.free();
        got.free();
    }
}
