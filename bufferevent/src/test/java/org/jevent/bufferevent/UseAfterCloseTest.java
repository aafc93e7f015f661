package org.jevent.bufferevent;

import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jevent.evbuffer.EvBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two rules of {@link Bufferevent}'s class comment, for the socket, pair and filter variants
 * (bufferevent-ssl's SslUseAfterCloseTest does the TLS ones): every public method that acts
 * throws {@link IllegalStateException} after free while the getters of what happened answer; a
 * transport that is gone is an ERROR event with {@link EndReason#TRANSPORT_CLOSED}, from the
 * deferred queue, once per direction.
 */
@Timeout(30)
class UseAfterCloseTest extends LoopTestBase {

    /** Every public method of {@link Bufferevent} that acts, by name. */
    static Map<String, Consumer<Bufferevent>> actingCalls() {
        Map<String, Consumer<Bufferevent>> m = new LinkedHashMap<>();
        m.put("enable", b -> b.enable(EV_READ));
        m.put("disable", b -> b.disable(EV_READ));
        m.put("write(byte[])", b -> b.write(new byte[1]));
        m.put("write(byte[],off,len)", b -> b.write(new byte[2], 0, 1));
        m.put("write(ByteBuffer)", b -> b.write(ByteBuffer.wrap(new byte[1])));
        m.put("writeBuffer", b -> {
            EvBuffer e = new EvBuffer();
            try {
                b.writeBuffer(e);
            } finally {
                e.free();
            }
        });
        m.put("read(byte[])", b -> b.read(new byte[1]));
        m.put("read(byte[],off,len)", b -> b.read(new byte[1], 0, 1));
        m.put("readBuffer", b -> {
            EvBuffer e = new EvBuffer();
            try {
                b.readBuffer(e);
            } finally {
                e.free();
            }
        });
        m.put("getInput", Bufferevent::getInput);
        m.put("getOutput", Bufferevent::getOutput);
        m.put("setCallbacks", b -> b.setCallbacks(null, null, null));
        m.put("setWatermark", b -> b.setWatermark(EV_READ, 0, 10));
        m.put("setTimeouts", b -> b.setTimeouts(Duration.ofSeconds(1), null));
        m.put("flush", b -> b.flush(EV_WRITE, FlushMode.FLUSH));
        m.put("trigger", b -> b.trigger(EV_READ, 0));
        m.put("triggerEvent", b -> b.triggerEvent(Bufferevent.BEV_EVENT_EOF, 0));
        m.put("setMaxSingleRead", b -> b.setMaxSingleRead(100));
        m.put("setMaxSingleWrite", b -> b.setMaxSingleWrite(100));
        m.put("setRateLimit", b -> b.setRateLimit(null));
        m.put("addToRateLimitGroup", b -> b.addToRateLimitGroup(
                RateLimitGroup.create(b.getBase(), TokenBucketCfg.create(1000, 1000, 1000, 1000, Duration.ofSeconds(1)))));
        m.put("removeFromRateLimitGroup", Bufferevent::removeFromRateLimitGroup);
        m.put("decrementReadLimit", b -> b.decrementReadLimit(1));
        m.put("decrementWriteLimit", b -> b.decrementWriteLimit(1));
        return m;
    }

    /** The getters of what happened, which answer after free. */
    static Map<String, Consumer<Bufferevent>> gettersOfWhatHappened() {
        Map<String, Consumer<Bufferevent>> m = new LinkedHashMap<>();
        m.put("isFreed", Bufferevent::isFreed);
        m.put("getEndReason", Bufferevent::getEndReason);
        m.put("getLastError", Bufferevent::getLastError);
        m.put("getEnabled", Bufferevent::getEnabled);
        m.put("getOptions", Bufferevent::getOptions);
        m.put("getBase", Bufferevent::getBase);
        m.put("getReadCallback", Bufferevent::getReadCallback);
        m.put("getWatermark", b -> b.getWatermark(EV_READ));
        m.put("getReadTimeout", Bufferevent::getReadTimeout);
        m.put("getMaxSingleRead", Bufferevent::getMaxSingleRead);
        m.put("getMaxToRead", Bufferevent::getMaxToRead);
        m.put("getTokenBucketCfg", Bufferevent::getTokenBucketCfg);
        m.put("getUnderlying", Bufferevent::getUnderlying);
        m.put("toString", Bufferevent::toString);
        m.put("free again", Bufferevent::free);
        m.put("close again", Bufferevent::close);
        return m;
    }

    /** Frees {@code b}, then checks both lists; {@code extra} are the variant's own acting calls. */
    static void checkAfterFree(Bufferevent b, Map<String, Consumer<Bufferevent>> extra) {
        b.free();
        assertEquals(EndReason.FREED_LOCALLY, b.getEndReason());
        Map<String, Consumer<Bufferevent>> acting = actingCalls();
        acting.putAll(extra);
        String kind = b.getClass().getSimpleName();
        for (var e : acting.entrySet()) {
            IllegalStateException x = assertThrows(IllegalStateException.class, () -> e.getValue().accept(b),
                    kind + "." + e.getKey() + " after free");
            assertEquals("this " + kind + " was freed: after free() only the getters of what happened answer",
                    x.getMessage(), kind + "." + e.getKey());
        }
        for (var e : gettersOfWhatHappened().entrySet()) {
            assertDoesNotThrow(() -> e.getValue().accept(b), kind + "." + e.getKey() + " after free");
        }
    }

    @Test
    void socketAfterFree() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        closeLater(sp[1]);
        SocketBufferevent b = Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
        Map<String, Consumer<Bufferevent>> extra = new LinkedHashMap<>();
        extra.put("connect", x -> ((SocketBufferevent) x).connect(new InetSocketAddress(BevTestSupport.LOOPBACK, 9)));
        extra.put("connectHostname", x -> ((SocketBufferevent) x).connectHostname(StandardProtocolFamily.INET, "localhost", 9));
        extra.put("setChannel", x -> {
            try (SocketChannel ch = SocketChannel.open()) {
                ((SocketBufferevent) x).setChannel(ch);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        checkAfterFree(b, extra);
        assertDoesNotThrow(b::getChannel);
        assertDoesNotThrow(b::getDnsError);
    }

    @Test
    void pairAfterFree() {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        closeLater(p[1]);
        checkAfterFree(p[0], Map.of());
        assertDoesNotThrow(p[0]::getPartner);
    }

    @Test
    void filterAfterFree() {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        closeLater(p[1]);
        checkAfterFree(Bufferevent.filter(p[0], null, null, BEV_OPT_CLOSE_ON_FREE), Map.of());
        assertTrue(p[0].isFreed(), "CLOSE_ON_FREE freed the underlying one");
    }

    // ------------------------------------------------------------------ rule 2: the transport is gone

    private final List<String> events = new ArrayList<>();

    private void record(Bufferevent b) {
        b.setCallbacks(null, null, (x, what) -> {
            events.add(Bufferevent.describeEvents(what) + " " + x.getEndReason() + " "
                    + (x.getLastError() instanceof ClosedChannelException));
        });
    }

    /** Calls enable(EV_READ), write, enable again and write again; checks nothing came from inside the calls. */
    private void useTheLostTransport(Bufferevent b) {
        record(b);
        b.enable(EV_READ);
        b.write(new byte[10]);
        assertEquals(List.of(), events, "nothing from inside the calls");
        BevTestSupport.loopFor(base, org.jevent.eventbase.EventBase.EVLOOP_NONBLOCK, 1000);
        assertEquals(0, b.getEnabled(), "the failed directions are disabled");
        b.enable(EV_READ | EV_WRITE);
        b.write(new byte[10]);
        BevTestSupport.loopFor(base, org.jevent.eventbase.EventBase.EVLOOP_NONBLOCK, 1000);
        // Both directions reported, each once; the deferred queue may OR them into one event.
        List<String> expected = events.size() == 1 ? List.of("ERROR|READING|WRITING TRANSPORT_CLOSED true")
                : List.of("ERROR|READING TRANSPORT_CLOSED true", "ERROR|WRITING TRANSPORT_CLOSED true");
        assertEquals(expected, events, "once per direction");
    }

    @Test
    void socketWhoseChannelWasClosedBySomeoneElse() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        closeLater(sp[1]);
        SocketBufferevent b = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        sp[0].close();
        useTheLostTransport(b);
        assertEquals(-1, b.flush(EV_WRITE, FlushMode.FLUSH));
    }

    @Test
    void pairWhosePartnerWasFreed() {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        PairBufferevent b = closeLater(p[0]);
        p[1].free();
        useTheLostTransport(b);
        assertEquals(-1, b.flush(EV_WRITE, FlushMode.FLUSH));
    }

    @Test
    void filterWhoseUnderlyingWasFreed() {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        closeLater(p[1]);
        FilterBufferevent f = closeLater(Bufferevent.filter(p[0], null, null, 0));
        p[0].free();
        useTheLostTransport(f);
    }

    /** A filter over a socket whose channel was closed: the loss is seen through the stack. */
    @Test
    void filterOverASocketWhoseChannelWasClosed() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        closeLater(sp[1]);
        FilterBufferevent f = closeLater(Bufferevent.filter(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE),
                null, null, BEV_OPT_CLOSE_ON_FREE));
        record(f);
        sp[0].close();
        f.enable(EV_READ);
        BevTestSupport.loopFor(base, org.jevent.eventbase.EventBase.EVLOOP_NONBLOCK, 1000);
        assertEquals(List.of("ERROR|READING TRANSPORT_CLOSED true"), events);
        assertInstanceOf(ClosedChannelException.class, f.getLastError());
    }
}
