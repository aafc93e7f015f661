package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.jevent.bufferevent.FlushMode;
import org.jevent.bufferevent.PairBufferevent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two rules of {@link Bufferevent}'s class comment for the TLS variants (bufferevent's
 * UseAfterCloseTest covers every method of the base class on the plain variants): after free the
 * TLS methods that act throw, and so do the base ones, with the same message; the getters of
 * what happened answer; a transport that is gone is an ERROR event, TRANSPORT_CLOSED, deferred.
 */
@Timeout(30)
class SslUseAfterCloseTest extends SslLoopTestBase {


    private static Map<String, Consumer<SslBufferevent>> actingCalls() {
        Map<String, Consumer<SslBufferevent>> m = new LinkedHashMap<>();
        m.put("shutdown", b -> b.shutdown(Duration.ZERO));
        m.put("renegotiate", SslBufferevent::renegotiate);
        m.put("connect", b -> b.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 9)));
        m.put("setFlags", b -> b.setFlags(SslBufferevent.BUFFEREVENT_SSL_DIRTY_SHUTDOWN));
        m.put("clearFlags", b -> b.clearFlags(SslBufferevent.BUFFEREVENT_SSL_DIRTY_SHUTDOWN));
        m.put("setAllowDirtyShutdown", b -> b.setAllowDirtyShutdown(true));
        m.put("enable", b -> b.enable(EV_READ));
        m.put("write", b -> b.write(new byte[1]));
        m.put("getInput", Bufferevent::getInput);
        m.put("flush", b -> b.flush(EV_WRITE, FlushMode.FINISHED));
        m.put("setTimeouts", b -> b.setTimeouts(Duration.ofSeconds(1), null));
        return m;
    }

    private static Map<String, Consumer<SslBufferevent>> gettersOfWhatHappened() {
        Map<String, Consumer<SslBufferevent>> m = new LinkedHashMap<>();
        m.put("getEngine", SslBufferevent::getEngine);
        m.put("getSslError", SslBufferevent::getSslError);
        m.put("getSslErrors", SslBufferevent::getSslErrors);
        m.put("getFlags", SslBufferevent::getFlags);
        m.put("getAllowDirtyShutdown", SslBufferevent::getAllowDirtyShutdown);
        m.put("isHandshaking", SslBufferevent::isHandshaking);
        m.put("isShuttingDown", SslBufferevent::isShuttingDown);
        m.put("getChannel", SslBufferevent::getChannel);
        m.put("getUnderlying", SslBufferevent::getUnderlying);
        m.put("getInitialState", SslBufferevent::getInitialState);
        m.put("getEndReason", SslBufferevent::getEndReason);
        m.put("free again", SslBufferevent::free);
        return m;
    }

    private static void checkAfterFree(SslBufferevent b) {
        b.free();
        for (var e : actingCalls().entrySet()) {
            IllegalStateException x = assertThrows(IllegalStateException.class, () -> e.getValue().accept(b),
                    e.getKey() + " after free");
            assertEquals("this SslBufferevent was freed: after free() only the getters of what happened answer",
                    x.getMessage(), e.getKey());
        }
        for (var e : gettersOfWhatHappened().entrySet()) {
            assertDoesNotThrow(() -> e.getValue().accept(b), e.getKey() + " after free");
        }
        assertEquals(EndReason.FREED_LOCALLY, b.getEndReason());
    }

    @Test
    void socketVariantAfterFree() throws Exception {
        SslBufferevent b = SslBufferevent.socket(base, null, TlsTestSupport.engine(SslProvider.CONSCRYPT, true, "TLSv1.3"),
                SslState.CONNECTING, 0);
        checkAfterFree(b);
    }

    /** Freed in the middle of a shutdown: it says "freed", not "shut down". */
    @Test
    void filterVariantFreedWhileShuttingDown() throws Exception {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        closeLater(p[1]);
        SslBufferevent b = SslBufferevent.filter(base, p[0], TlsTestSupport.engine(SslProvider.JDK, true, "TLSv1.2"),
                SslState.OPEN, BEV_OPT_CLOSE_ON_FREE);
        b.shutdown(Duration.ofSeconds(5));
        checkAfterFree(b);
        assertTrue(p[0].isFreed());
    }

    private final List<String> events = new ArrayList<>();

    private void useTheLostTransport(SslBufferevent b) {
        b.setCallbacks(null, null, (x, what) -> events.add(Bufferevent.describeEvents(what) + " " + x.getEndReason()
                + " " + (x.getLastError() instanceof ClosedChannelException)));
        b.enable(EV_READ);
        b.write(new byte[10]); // held in the output: the session is not open
        assertEquals(List.of(), events, "nothing from inside the calls");
        TlsHarness.runFor(base, Duration.ofMillis(50));
        List<String> expected = events.size() == 1 ? List.of("ERROR|READING|WRITING TRANSPORT_CLOSED true")
                : List.of("ERROR|READING TRANSPORT_CLOSED true", "ERROR|WRITING TRANSPORT_CLOSED true");
        assertEquals(expected, events);
    }

    @Test
    void filterWhoseUnderlyingWasFreed() throws Exception {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        closeLater(p[1]);
        SslBufferevent b = SslBufferevent.filter(base, p[0], TlsTestSupport.engine(SslProvider.CONSCRYPT, true, "TLSv1.3"),
                SslState.CONNECTING, 0);
        closeLater(b);
        p[0].free();
        useTheLostTransport(b);
    }

    @Test
    void socketVariantWhoseChannelWasClosed() throws Exception {
        SocketChannel[] ch = TlsHarness.loopbackPair();
        closeLater(ch[1]);
        SslBufferevent b = SslBufferevent.socket(base, ch[0], TlsTestSupport.engine(SslProvider.JDK, false, "TLSv1.3"),
                SslState.ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
        closeLater(b);
        ch[0].close();
        useTheLostTransport(b);
    }
}
