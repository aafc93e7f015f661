package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.PairBufferevent;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/**
 * Ciphertext re-chunked at random boundaries (down to one byte), one chunk per loop turn in each
 * direction, between two TLS bufferevents over pairs: the handshake completes and the
 * plaintext comes back intact, for both providers and both protocols. Each try is bounded by
 * its own deadline (30 s): jqwik does not apply JUnit's @Timeout.
 */
class SslRechunkProperties {

    @Property(tries = 100, shrinking = ShrinkingMode.BOUNDED)
    void rechunkedCiphertextDeliversPlaintextIntact(@ForAll SslProvider impl, @ForAll boolean tls13,
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 3000) int size,
            @ForAll @IntRange(min = 1, max = 97) int maxChunk) throws Exception {
        String protocol = tls13 ? "TLSv1.3" : "TLSv1.2";
        EventBase base = new EventBase();
        try {
            PairBufferevent[] a = Bufferevent.pair(base, 0); // client TLS over a[0]; a[1] is the wire's end
            PairBufferevent[] b = Bufferevent.pair(base, 0); // server TLS over b[0]; b[1] is the wire's end
            a[1].enable(EV_READ);
            b[1].enable(EV_READ);
            SslBufferevent client = SslBufferevent.filter(base, a[0], TlsTestSupport.engine(impl, true, protocol),
                    SslState.CONNECTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            SslBufferevent server = SslBufferevent.filter(base, b[0], TlsTestSupport.engine(impl, false, protocol),
                    SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            List<String> events = new ArrayList<>();
            server.setCallbacks(s -> s.writeBuffer(s.getInput()), null, (s, w) -> events.add("server " + TlsHarness.ev(w)));
            EvBuffer got = new EvBuffer();
            client.setCallbacks(c -> c.readBuffer(got), null, (c, w) -> events.add("client " + TlsHarness.ev(w)));
            server.enable(EV_READ | EV_WRITE);
            client.enable(EV_READ | EV_WRITE);

            Random rnd = new Random(seed);
            Event[] wire = new Event[1];
            wire[0] = Event.timer(base, (ev, what) -> {
                move(a[1].getInput(), b[1], rnd, maxChunk);
                move(b[1].getInput(), a[1], rnd, maxChunk);
                wire[0].add(Duration.ZERO);
            });
            wire[0].add(Duration.ZERO);

            byte[] data = new byte[size];
            rnd.nextBytes(data);
            client.write(data);
            TlsHarness.runUntil(base, () -> got.getLength() >= data.length
                    || events.stream().anyMatch(e -> !e.endsWith("CONNECTED")), Duration.ofSeconds(30));
            wire[0].del();
            assertEquals(List.of("client CONNECTED", "server CONNECTED"), events.stream().sorted().toList(),
                    () -> "errors " + client.getSslErrors() + server.getSslErrors());
            byte[] back = new byte[data.length];
            assertEquals(data.length, got.remove(back));
            assertArrayEquals(data, back);
            got.free();
            client.free();
            server.free();
            a[1].free();
            b[1].free();
        } finally {
            base.free();
        }
    }

    /** Moves one chunk of 1..maxChunk bytes (biased to 1) from {@code src} into {@code dst}'s output. */
    private static void move(EvBuffer src, Bufferevent dst, Random rnd, int maxChunk) {
        long len = src.getLength();
        if (len == 0) {
            return;
        }
        int chunk = rnd.nextInt(4) == 0 ? 1 : 1 + rnd.nextInt(maxChunk);
        src.removeBuffer(dst.getOutput(), Math.min(len, chunk));
    }
}
