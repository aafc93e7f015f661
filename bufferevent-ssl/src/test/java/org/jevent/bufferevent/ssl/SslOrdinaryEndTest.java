package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ordinary ends of a TLS session that the library decides itself (the peer's bare EOF
 * after the handshake, an EOF during it, a handshake that runs out of time) are reported with an
 * error that carries no stack trace: a server under a handshake load ends most connections this
 * way, and building a trace for each is work that says nothing (see {@link TlsEndException}).
 * Each end on both providers, over loopback sockets.
 */
@Timeout(60)
class SslOrdinaryEndTest extends SslLoopTestBase {
    /** What one side's event callback saw. */
    private static final class Ends {
        final List<String> events = new ArrayList<>();

        void record(Bufferevent b, int what) {
            events.add(TlsHarness.ev(what));
        }

        boolean ended() {
            return events.stream().anyMatch(e -> !e.equals("CONNECTED"));
        }
    }

    /** The newest error {@code b} queued: of the expected kind, and without a stack trace. */
    private static void assertStackless(SslBufferevent b, EndReason expected) {
        assertEquals(expected, b.getEndReason());
        SslError e = b.getSslErrors().get(b.getSslErrors().size() - 1);
        assertNotNull(e.cause());
        assertEquals(TlsEndException.class, e.cause().getClass(), e::toString);
        assertEquals(0, e.cause().getStackTrace().length,
                () -> "a stack trace for an ordinary end: " + Arrays.toString(e.cause().getStackTrace()));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SslProvider.class, names = {"JDK", "CONSCRYPT"})
    void aTruncationAfterTheHandshake(SslProvider impl) throws Exception {
        SslBufferevent[] link = TlsHarness.link(base, TlsHarness.Variant.SOCKET, impl, "TLSv1.3", 0);
        Ends client = new Ends();
        Ends server = new Ends();
        link[0].setCallbacks(null, null, client::record);
        link[1].setCallbacks(null, null, server::record);
        link[0].enable(Bufferevent.EV_READ);
        link[1].enable(Bufferevent.EV_READ);
        TlsHarness.runUntil(base, () -> !client.events.isEmpty() && !server.events.isEmpty(), Duration.ofSeconds(20));
        TlsHarness.dirtyClose(link[0]);
        TlsHarness.runUntil(base, server::ended, Duration.ofSeconds(20));
        assertEquals(List.of("CONNECTED", "READING|ERROR"), server.events);
        assertStackless(link[1], EndReason.TRUNCATED);
        link[1].free();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SslProvider.class, names = {"JDK", "CONSCRYPT"})
    void anEofDuringTheHandshake(SslProvider impl) throws Exception {
        SocketChannel[] ch = TlsHarness.loopbackPair();
        SslBufferevent server = TlsHarness.wrap(base, TlsHarness.Variant.SOCKET, ch[1], null,
                TlsTestSupport.engine(impl, false, "TLSv1.3"), SslState.ACCEPTING, 0);
        Ends ends = new Ends();
        server.setCallbacks(null, null, ends::record);
        server.enable(Bufferevent.EV_READ);
        ch[0].close(); // the client goes before saying anything
        TlsHarness.runUntil(base, ends::ended, Duration.ofSeconds(20));
        assertEquals(List.of("READING|ERROR"), ends.events);
        assertStackless(server, EndReason.HANDSHAKE_EOF);
        server.free();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = SslProvider.class, names = {"JDK", "CONSCRYPT"})
    void aHandshakeThatRunsOutOfTime(SslProvider impl) throws Exception {
        SocketChannel[] ch = TlsHarness.loopbackPair();
        closeLater(ch[1]); // a server that never answers
        SslBufferevent client = TlsHarness.wrap(base, TlsHarness.Variant.SOCKET, ch[0], null,
                TlsTestSupport.engine(impl, true, "TLSv1.3"), SslState.CONNECTING, 0);
        Ends ends = new Ends();
        client.setCallbacks(null, null, ends::record);
        client.setTimeouts(Duration.ofMillis(100), null);
        client.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        TlsHarness.runUntil(base, ends::ended, Duration.ofSeconds(20));
        assertEquals(List.of("TIMEOUT"), ends.events);
        assertStackless(client, EndReason.HANDSHAKE_TIMEOUT);
        client.free();
    }
}
