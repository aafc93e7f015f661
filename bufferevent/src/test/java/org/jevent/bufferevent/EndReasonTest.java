package org.jevent.bufferevent;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_EOF;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_ERROR;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_TIMEOUT;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_WRITING;
import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Bufferevent#describeEvents} and {@link Bufferevent#getEndReason()} for the plain
 * variants: each reason from the state that produced it, readable inside the event callback that
 * reports it (the TLS reasons are pinned in bufferevent-ssl's SslEndReasonTest).
 */
@Timeout(30)
class EndReasonTest extends LoopTestBase {
    /** What the event callback saw: the flags, and the end reason read inside the callback. */
    private final List<String> seen = new ArrayList<>();

    private Bufferevent.EventCb recordAndBreak() {
        return (b, what) -> {
            seen.add(Bufferevent.describeEvents(what) + " " + b.getEndReason());
            base.loopBreak();
        };
    }

    /** Runs the loop until the event callback has seen {@code events} events in all (some come before the loop runs). */
    private void runUntilSeen(int events) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (seen.size() < events && System.nanoTime() < deadline) {
            BevTestSupport.loopFor(base, org.jevent.eventbase.EventBase.EVLOOP_ONCE, 1_000);
        }
    }

    @Test
    void describeEventsNamesEachFlagWhatFirstThenDirection() {
        assertEquals("EOF|READING", Bufferevent.describeEvents(BEV_EVENT_READING | BEV_EVENT_EOF));
        assertEquals("ERROR|WRITING", Bufferevent.describeEvents(BEV_EVENT_WRITING | BEV_EVENT_ERROR));
        assertEquals("TIMEOUT|READING", Bufferevent.describeEvents(BEV_EVENT_READING | BEV_EVENT_TIMEOUT));
        assertEquals("CONNECTED", Bufferevent.describeEvents(BEV_EVENT_CONNECTED));
        assertEquals("EOF|ERROR|TIMEOUT", Bufferevent.describeEvents(BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT));
        assertEquals("EOF|0x100", Bufferevent.describeEvents(BEV_EVENT_EOF | 0x100));
        assertEquals("0x4", Bufferevent.describeEvents(0x04));
        assertEquals("0", Bufferevent.describeEvents(0));
    }

    @Test
    void peerClosingIsEofAndFreeingFirstIsFreedLocally() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent c = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        SocketBufferevent other = Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE);
        c.setCallbacks(null, null, recordAndBreak());
        c.enable(EV_READ);
        assertNull(c.getEndReason(), "nothing ended yet");
        other.free();
        assertEquals(EndReason.FREED_LOCALLY, other.getEndReason());
        runUntilSeen(1);
        assertEquals(List.of("EOF|READING EOF"), seen);
    }

    @Test
    void refusedConnectIsRefused() throws Exception {
        SocketChannel fake = BevTestSupport.fakeListener();
        InetSocketAddress addr = (InetSocketAddress) fake.getLocalAddress();
        fake.close();
        SocketBufferevent c = closeLater(Bufferevent.socket(base, null, BEV_OPT_CLOSE_ON_FREE));
        c.setCallbacks(null, null, recordAndBreak());
        c.connect(addr);
        runUntilSeen(1);
        assertEquals(List.of("ERROR REFUSED"), seen);
    }

    @Test
    void failedNameLookupIsUnresolved() {
        SocketBufferevent c = closeLater(Bufferevent.socket(base, null, BEV_OPT_CLOSE_ON_FREE));
        c.setCallbacks(null, null, recordAndBreak());
        c.connectHostname(StandardProtocolFamily.INET6, "127.0.0.1", 9); // no IPv6 address: no DNS asked
        runUntilSeen(1);
        assertEquals(List.of("ERROR UNRESOLVED"), seen);
    }

    /** A peer that closes with SO_LINGER 0 sends a reset: the read fails with "Connection reset". */
    @Test
    void resetByThePeerIsReset() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent c = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        c.setCallbacks(null, null, recordAndBreak());
        c.enable(EV_READ);
        sp[1].setOption(StandardSocketOptions.SO_LINGER, 0);
        sp[1].close();
        runUntilSeen(1);
        assertEquals(List.of("ERROR|READING RESET"), seen);
    }

    @Test
    void readAndWriteTimeoutsSayWhichDirection() {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[0]);
        closeLater(pair[1]);
        pair[1].setCallbacks(null, null, recordAndBreak());
        pair[1].setTimeouts(Duration.ofMillis(30), null);
        pair[1].enable(EV_READ);
        runUntilSeen(1);
        // The writer's partner does not read: the bytes wait, and the write timeout expires.
        pair[1].disable(EV_READ);
        pair[0].setCallbacks(null, null, recordAndBreak());
        pair[0].setTimeouts(null, Duration.ofMillis(30));
        pair[0].write(new byte[10]);
        runUntilSeen(2);
        assertEquals(List.of("TIMEOUT|READING TIMEOUT_READ", "TIMEOUT|WRITING TIMEOUT_WRITE"), seen);
    }

    @Test
    void pairPartnerFinishingIsEof() {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[0]);
        closeLater(pair[1]);
        pair[1].setCallbacks(null, null, recordAndBreak());
        pair[0].flush(EV_WRITE, FlushMode.FINISHED);
        runUntilSeen(1);
        assertEquals(List.of("EOF|READING EOF"), seen);
    }

    /** A filter's own error is FILTER_ERROR; the transport's end passes up with the transport's reason. */
    @Test
    void filterErrorIsFilterErrorAndTheTransportsEndPassesUp() throws Exception {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[0]);
        FilterBufferevent failing = closeLater(Bufferevent.filter(pair[1], (src, dst, limit, mode) -> FilterResult.ERROR,
                null, BEV_OPT_CLOSE_ON_FREE));
        failing.setCallbacks(null, null, recordAndBreak());
        failing.enable(EV_READ);
        pair[0].write(new byte[3]);
        runUntilSeen(1);

        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent under = Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
        FilterBufferevent f = closeLater(Bufferevent.filter(under, null, null, BEV_OPT_CLOSE_ON_FREE));
        f.setCallbacks(null, null, recordAndBreak());
        f.enable(EV_READ);
        sp[1].setOption(StandardSocketOptions.SO_LINGER, 0);
        sp[1].close();
        runUntilSeen(2);
        assertEquals(List.of("ERROR|READING FILTER_ERROR", "ERROR|READING RESET"), seen);
    }
}
