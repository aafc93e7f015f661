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
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventConfig;
import org.jevent.eventbase.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Contract points of the Javadoc not covered by the C scenarios. */
@Timeout(30)
class BuffereventBehaviourTest extends LoopTestBase {

    private EvConnListener greeter(byte[] greeting) throws Exception {
        return closeLater(EvConnListener.newBind(base, (l, ch, peer) -> {
            SocketBufferevent s = closeLater(Bufferevent.socket(base, ch, BEV_OPT_CLOSE_ON_FREE));
            s.setCallbacks(null, b -> {
                if (b.getOutput().getLength() == 0) {
                    b.free();
                }
            }, null);
            s.write(greeting);
        }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                new InetSocketAddress(BevTestSupport.LOOPBACK, 0)));
    }

    // ------------------------------------------------------------------ connectHostname

    @Test
    void connectHostnameResolvesOffTheLoopAndConnects() throws Exception {
        byte[] hello = "hello".getBytes();
        EvConnListener l = greeter(hello);
        int port = ((InetSocketAddress) l.getLocalAddress()).getPort();
        SocketBufferevent c = closeLater(Bufferevent.socket(base, null, BEV_OPT_CLOSE_ON_FREE));
        List<Integer> events = new ArrayList<>();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        c.setCallbacks(b -> got.writeBytes(BevTestSupport.drain(b.getInput())), null, (b, what) -> {
            events.add(what);
            if ((what & BEV_EVENT_EOF) != 0 || (what & BEV_EVENT_ERROR) != 0) {
                base.loopBreak();
            }
        });
        c.enable(EV_READ);
        c.connectHostname(StandardProtocolFamily.INET, "127.0.0.1", port);
        assertEquals(List.of(), events);
        base.loopExit(Duration.ofSeconds(10));
        BevTestSupport.dispatchBounded(base, 15_000);
        assertEquals(List.of(BEV_EVENT_CONNECTED, BEV_EVENT_READING | BEV_EVENT_EOF), events);
        assertArrayEquals(hello, got.toByteArray());
        assertNull(c.getDnsError());
    }

    @Test
    void connectHostnameFailureIsABareErrorWithTheDnsError() {
        SocketBufferevent c = closeLater(Bufferevent.socket(base, null, BEV_OPT_CLOSE_ON_FREE));
        List<Integer> events = new ArrayList<>();
        c.setCallbacks(null, null, (b, what) -> {
            events.add(what);
            base.loopBreak();
        });
        c.write(new byte[10]); // waits for the lookup, then is dropped with the failure
        // An IPv4 literal has no IPv6 address: fails without asking any DNS server.
        c.connectHostname(StandardProtocolFamily.INET6, "127.0.0.1", 9);
        base.loopExit(Duration.ofSeconds(10));
        BevTestSupport.dispatchBounded(base, 15_000);
        assertEquals(List.of(BEV_EVENT_ERROR), events);
        assertTrue(c.getDnsError() instanceof UnknownHostException, "dns error: " + c.getDnsError());
        assertNotNull(c.getLastError());
    }

    // ------------------------------------------------------------------ timeouts reset by progress

    /** regress_bufferevent.c's "XXXX Test that actually reading a little resets the timeouts". */
    @Test
    void readTimeoutRestartsOnEveryRead() throws Exception {
        // On a manual clock, so that a loaded machine cannot stretch the 60 ms between bytes
        // into a real 300 ms silence: each step is bounded by the byte's arrival, not by time.
        ManualClock clock = new ManualClock();
        EventBase mb = new EventBase(new EventConfig().clock(clock));
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent c = Bufferevent.socket(mb, sp[0], BEV_OPT_CLOSE_ON_FREE);
        try {
            List<String> events = new ArrayList<>();
            long start = clock.monotonicNanos();
            int[] reads = {0};
            c.setTimeouts(Duration.ofMillis(300), null);
            c.setCallbacks(b -> {
                reads[0]++;
                b.getInput().drain(b.getInput().getLength());
            }, null, (b, what) -> events.add(b.describeEvents(what) + "@" + (clock.monotonicNanos() - start) / 1_000_000));
            c.enable(EV_READ);
            // A byte every 60 ms, five times: the last at 300, when a timer that read progress
            // did not restart would fire; never idle 300 ms.
            for (int i = 1; i <= 5; i++) {
                clock.advance(Duration.ofMillis(60));
                sp[1].write(java.nio.ByteBuffer.wrap(new byte[] {1}));
                for (int turns = 0; reads[0] < i && turns < 1000; turns++) {
                    mb.loop(EventBase.EVLOOP_ONCE);
                }
                assertEquals(i, reads[0], "the byte sent at " + 60 * i + " ms was read");
            }
            assertEquals(List.of(), events);
            clock.advance(Duration.ofMillis(299)); // 599: a full period after the last read is 600
            mb.loop(EventBase.EVLOOP_NONBLOCK);
            assertEquals(List.of(), events);
            clock.advance(Duration.ofMillis(1));
            mb.loop(EventBase.EVLOOP_NONBLOCK);
            assertEquals(List.of("TIMEOUT|READING@600"), events);
        } finally {
            c.free();
            BevTestSupport.closeQuietly(sp[1]);
            mb.free();
        }
    }

    /** bufferevent_set_timeouts on a running timer re-arms it with the new value, from now. */
    @Test
    void setTimeoutsReplacesARunningTimer() {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[0]);
        closeLater(pair[1]);
        PairBufferevent b = pair[1];
        List<Integer> events = new ArrayList<>();
        b.setCallbacks(null, null, (x, what) -> {
            events.add(what);
            base.loopBreak();
        });
        b.setTimeouts(Duration.ofSeconds(20), null);
        b.enable(EV_READ);
        long start = System.nanoTime();
        base.once(null, Event.EV_TIMEOUT, (ev, w) -> b.setTimeouts(Duration.ofMillis(100), null), Duration.ofMillis(20));
        base.loopExit(Duration.ofSeconds(5));
        BevTestSupport.dispatchBounded(base, 10_000);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(List.of(BEV_EVENT_READING | BEV_EVENT_TIMEOUT), events);
        assertTrue(ms >= 119 && ms < 4000, "timed out after " + ms + " ms; want ~120 (20 + the new 100)");
    }

    /**
     * The write timeout bounds a connect, as in libevent (its connect waits on the write event
     * with the write timeout). A connect that hangs on loopback: a listener whose accept queue
     * is full and which never accepts, so the kernel drops further SYNs.
     */
    @Test
    void writeTimeoutBoundsAHangingConnect() throws Exception {
        java.nio.channels.ServerSocketChannel server = closeLater(java.nio.channels.ServerSocketChannel.open());
        server.bind(new InetSocketAddress(BevTestSupport.LOOPBACK, 0), 1);
        List<SocketChannel> fillers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            SocketChannel f = closeLater(SocketChannel.open());
            f.configureBlocking(false);
            f.connect(server.getLocalAddress());
            fillers.add(f);
        }
        Thread.sleep(50); // let the handshakes that can complete complete
        SocketBufferevent c = closeLater(Bufferevent.socket(base, null, BEV_OPT_CLOSE_ON_FREE));
        List<Integer> events = new ArrayList<>();
        long[] at = {0};
        c.setCallbacks(null, null, (b, what) -> {
            events.add(what);
            at[0] = System.nanoTime();
            base.loopBreak();
        });
        c.setTimeouts(null, Duration.ofMillis(200));
        long start = System.nanoTime();
        c.connect(server.getLocalAddress());
        base.loopExit(Duration.ofSeconds(5));
        BevTestSupport.dispatchBounded(base, 10_000);
        org.junit.jupiter.api.Assumptions.assumeTrue(events.isEmpty() || events.get(0) != BEV_EVENT_CONNECTED,
                "this kernel completed the connect despite the full accept queue");
        assertEquals(List.of(BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT), events);
        assertEquals(EndReason.CONNECT_TIMEOUT, c.getEndReason(), "the write timeout ran out while connecting");
        long ms = (at[0] - start) / 1_000_000;
        assertTrue(ms >= 199, "connect timed out after " + ms + " ms");
    }

    /** After a connect, an idle connection gets no write timeout (the connect's timer stops). */
    @Test
    void noWriteTimeoutOnceConnectedAndIdle() throws Exception {
        EvConnListener l = closeLater(EvConnListener.newBind(base, (lis, ch, peer) -> closeLater(ch),
                EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                new InetSocketAddress(BevTestSupport.LOOPBACK, 0)));
        SocketBufferevent c = closeLater(Bufferevent.socket(base, null, BEV_OPT_CLOSE_ON_FREE));
        List<Integer> events = new ArrayList<>();
        c.setCallbacks(null, null, (b, what) -> events.add(what));
        c.setTimeouts(null, Duration.ofMillis(100));
        c.connect(l.getLocalAddress());
        base.loopExit(Duration.ofMillis(400));
        BevTestSupport.dispatchBounded(base, 10_000);
        assertEquals(List.of(BEV_EVENT_CONNECTED), events);
    }

    @Test
    void writeTimeoutDoesNotFireWhileWritesMakeProgress() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair(16 * 1024);
        sp[0].setOption(java.net.StandardSocketOptions.SO_SNDBUF, 16 * 1024);
        SocketBufferevent c = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        SocketBufferevent peer = closeLater(Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE));
        byte[] data = new byte[2 << 20];
        new Random(1).nextBytes(data);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        List<Integer> events = new ArrayList<>();
        // The peer reads slowly: 32 KiB per 10 ms tick, so the output stays non-empty for long
        // stretches, with progress far more often than the 400 ms timeout.
        peer.setRateLimit(TokenBucketCfg.create(32 * 1024, 32 * 1024, 1 << 20, 1 << 20, Duration.ofMillis(10)));
        peer.setCallbacks(b -> {
            got.writeBytes(BevTestSupport.drain(b.getInput()));
            if (got.size() == data.length) {
                base.loopBreak();
            }
        }, null, null);
        peer.enable(EV_READ);
        c.setTimeouts(null, Duration.ofMillis(400));
        c.setCallbacks(null, null, (b, what) -> {
            events.add(what);
            base.loopBreak();
        });
        c.write(data);
        base.loopExit(Duration.ofSeconds(10));
        BevTestSupport.dispatchBounded(base, 15_000);
        assertEquals(List.of(), events);
        assertArrayEquals(data, got.toByteArray());
    }

    // ------------------------------------------------------------------ misc

    @Test
    void maxSingleReadCapsEachRead() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent c = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        SocketBufferevent peer = closeLater(Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE));
        c.setMaxSingleRead(100);
        assertEquals(100, c.getMaxSingleRead());
        List<Long> sizes = new ArrayList<>();
        long[] total = {0};
        c.setCallbacks(b -> {
            long n = b.getInput().getLength();
            sizes.add(n);
            total[0] += n;
            b.getInput().drain(n);
            if (total[0] == 5000) {
                base.loopBreak();
            }
        }, null, null);
        c.enable(EV_READ);
        peer.write(new byte[5000]);
        base.loopExit(Duration.ofSeconds(10));
        BevTestSupport.dispatchBounded(base, 15_000);
        assertEquals(5000, total[0]);
        assertTrue(sizes.stream().allMatch(n -> n <= 100), "reads: " + sizes);
        c.setMaxSingleRead(0);
        assertEquals(Bufferevent.DEFAULT_MAX_SINGLE_IO, c.getMaxSingleRead(), "0 restores the default");
    }

    @Test
    void disableReadStopsReadingAndEnableResumesWithNothingLost() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent c = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        SocketBufferevent peer = closeLater(Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE));
        byte[] data = new byte[100_000];
        new Random(2).nextBytes(data);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int[] readsWhileDisabled = {0};
        boolean[] disabled = {false};
        boolean[] didDisable = {false};
        c.setCallbacks(b -> {
            if (disabled[0]) {
                readsWhileDisabled[0]++;
            }
            got.writeBytes(BevTestSupport.drain(b.getInput()));
            if (got.size() >= 10_000 && got.size() < data.length && !didDisable[0]) {
                b.disable(EV_READ);
                disabled[0] = true;
                didDisable[0] = true;
                base.once(null, Event.EV_TIMEOUT, (ev, w) -> {
                    disabled[0] = false;
                    b.enable(EV_READ);
                }, Duration.ofMillis(100));
            }
            if (got.size() == data.length) {
                base.loopBreak();
            }
        }, null, null);
        c.enable(EV_READ);
        peer.write(data);
        base.loopExit(Duration.ofSeconds(10));
        BevTestSupport.dispatchBounded(base, 15_000);
        assertEquals(0, readsWhileDisabled[0]);
        assertArrayEquals(data, got.toByteArray());
    }

    /**
     * A filter with a tiny read high watermark whose read callback drains the input: every drain
     * resumes filtering of what waits in the underlying input. That must loop, not recurse (it
     * overflowed the stack: depth grew with the bytes waiting, found by the stream property).
     */
    @Test
    void drainingAFilterInsideItsReadCallbackDoesNotRecurse() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent under = Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
        SocketBufferevent peer = closeLater(Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE));
        FilterBufferevent f = closeLater(Bufferevent.filter(under, null, null, BEV_OPT_CLOSE_ON_FREE));
        f.setWatermark(EV_READ, 0, 1);
        byte[] data = new byte[200_000];
        new Random(4).nextBytes(data);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int[] maxSeen = {0};
        f.setCallbacks(b -> {
            maxSeen[0] = (int) Math.max(maxSeen[0], b.getInput().getLength());
            byte[] one = new byte[1];
            while (b.getInput().getLength() > 0) {
                b.read(one);
                got.write(one[0]);
            }
            if (got.size() == data.length) {
                base.loopBreak();
            }
        }, null, null);
        f.enable(EV_READ);
        peer.write(data);
        base.loopExit(Duration.ofSeconds(10));
        BevTestSupport.dispatchBounded(base, 15_000);
        assertArrayEquals(data, got.toByteArray());
        assertEquals(1, maxSeen[0], "the high watermark of 1 held");
    }

    /** Freeing a filter stack from inside its read callback: nothing runs afterwards, nothing throws. */
    @Test
    void freeFilterInsideItsReadCallback() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent under = Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
        SocketBufferevent peer = closeLater(Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE));
        FilterBufferevent f = Bufferevent.filter(under, null, null, BEV_OPT_CLOSE_ON_FREE);
        int[] reads = {0};
        int[] events = {0};
        f.setWatermark(EV_READ, 0, 10); // many small passes queued behind the first
        f.setCallbacks(b -> {
            reads[0]++;
            b.free();
        }, null, (b, what) -> events[0]++);
        f.enable(EV_READ);
        peer.write(new byte[10_000]);
        peer.setCallbacks(null, null, (b, what) -> base.loopBreak());
        peer.enable(EV_READ);
        base.loopExit(Duration.ofSeconds(5));
        BevTestSupport.dispatchBounded(base, 10_000);
        assertEquals(1, reads[0]);
        assertEquals(0, events[0]);
        assertTrue(f.isFreed() && under.isFreed());
        assertFalse(sp[0].isOpen(), "CLOSE_ON_FREE down the stack closed the socket");
    }

    /** Writing to a peer that reset the connection (reading not enabled): {@code WRITING|ERROR}. */
    @Test
    void writingToAClosedPeerIsAWritingError() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent c = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        sp[1].setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
        sp[1].close();
        List<Integer> events = new ArrayList<>();
        c.setCallbacks(null, null, (b, what) -> {
            events.add(what);
            base.loopBreak();
        });
        Event writeMore = Event.timer(base, (ev, what) -> {
            if (!c.isFreed() && events.isEmpty()) {
                c.write(new byte[64 * 1024]);
                ev.add(Duration.ofMillis(5));
            }
        });
        writeMore.add(Duration.ofMillis(1));
        base.loopExit(Duration.ofSeconds(5));
        BevTestSupport.dispatchBounded(base, 10_000);
        assertEquals(List.of(BEV_EVENT_WRITING | BEV_EVENT_ERROR), events);
        assertNotNull(c.getLastError());
        writeMore.del();
    }
}
