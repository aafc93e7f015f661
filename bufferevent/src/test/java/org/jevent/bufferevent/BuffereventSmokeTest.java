package org.jevent.bufferevent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jevent.eventbase.DeferredCallback;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class BuffereventSmokeTest {
    private final EventBase base = new EventBase();

    @AfterEach
    void freeBase() {
        base.free();
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void pairMovesEveryByteAndCallsBack() {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        byte[] data = randomBytes(8333, 1);
        EvBuffer got = new EvBuffer();
        int[] writes = new int[1];
        pair[1].setCallbacks(bev -> bev.readBuffer(got), null, null);
        pair[0].setCallbacks(null, bev -> writes[0]++, null);
        pair[1].enable(Bufferevent.EV_READ);
        pair[0].write(data);
        base.dispatch();
        assertEquals(data.length, got.getLength());
        byte[] back = new byte[data.length];
        got.remove(back);
        assertArrayEquals(data, back);
        assertTrue(writes[0] >= 1, "write callback when the output drained");
        pair[1].free();
        assertEquals(null, pair[0].getPartner());
        pair[0].free();
        got.free();
    }

    @Test
    void socketEchoOverLoopback() throws Exception {
        byte[] data = randomBytes(300_000, 2);
        List<Bufferevent> server = new ArrayList<>();
        EvConnListener listener = EvConnListener.newBind(base, (l, ch, peer) -> {
            SocketBufferevent bev = Bufferevent.socket(base, ch, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            server.add(bev);
            bev.setCallbacks(b -> b.writeBuffer(b.getInput()), null, (b, what) -> b.free());
            bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        }, EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, -1,
                new InetSocketAddress("127.0.0.1", 0));
        SocketBufferevent client = Bufferevent.socket(base, null, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        EvBuffer echoed = new EvBuffer();
        int[] events = new int[1];
        client.setCallbacks(b -> {
            b.readBuffer(echoed);
            if (echoed.getLength() == data.length) {
                b.free();
                listener.free();
                base.loopBreak();
            }
        }, null, (b, what) -> events[0] |= what);
        client.enable(Bufferevent.EV_READ);
        client.connect(listener.getLocalAddress());
        client.write(data);
        base.loopExit(Duration.ofSeconds(15));
        base.dispatch();
        assertEquals(Bufferevent.BEV_EVENT_CONNECTED, events[0]);
        assertEquals(data.length, echoed.getLength());
        byte[] back = new byte[data.length];
        echoed.remove(back);
        assertArrayEquals(data, back);
        assertNotNull(server.get(0));
        echoed.free();
    }

    @Test
    void refusedConnectReportsOneErrorLater() throws Exception {
        java.nio.channels.ServerSocketChannel ss = java.nio.channels.ServerSocketChannel.open();
        ss.bind(new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress addr = (InetSocketAddress) ss.getLocalAddress();
        ss.close(); // nobody listens there now
        SocketBufferevent client = Bufferevent.socket(base, null, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        List<Integer> events = new ArrayList<>();
        int[] data = new int[1];
        client.setCallbacks(b -> data[0]++, b -> data[0]++, (b, what) -> {
            events.add(what);
            base.loopExit(Duration.ofMillis(100)); // time for a second, wrong callback to show up
        });
        client.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        client.connect(addr);
        assertEquals(List.of(), events, "no callback before the loop runs");
        base.loopExit(Duration.ofSeconds(5));
        base.dispatch();
        assertEquals(List.of(Bufferevent.BEV_EVENT_ERROR), events);
        assertEquals(0, data[0]);
        assertNotNull(client.getLastError());
        client.free();
    }

    /**
     * What a read callback adds to its own output is written as soon as the callback returns,
     * in one write for everything it added, before the turn's deferred callbacks run (a deferred
     * callback scheduled from the read callback already finds the output empty); and the echo
     * arrives whole.
     */
    @Test
    void replyQueuedByTheReadCallbackIsWrittenRightAfterIt() throws Exception {
        SocketChannel[] ends = BevTestSupport.socketPair();
        SocketBufferevent bev = Bufferevent.socket(base, ends[1], Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        byte[] data = randomBytes(1000, 3);
        long[] outputAtDeferred = {-1};
        long[] echoed = {0};
        DeferredCallback probe = new DeferredCallback(base, () -> {
            outputAtDeferred[0] = Math.max(outputAtDeferred[0], bev.getOutput().getLength());
            if (echoed[0] == data.length) {
                base.loopExit(null);
            }
        });
        bev.setCallbacks(b -> {
            EvBuffer in = b.getInput();
            byte[] head = new byte[1];
            in.remove(head, 0, 1);
            echoed[0] += 1 + in.getLength();
            b.write(head); // two additions, one write after the callback
            b.writeBuffer(in);
            probe.schedule();
        }, null, null);
        bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        try {
            ends[0].write(ByteBuffer.wrap(data));
            BevTestSupport.dispatchBounded(base, 10_000);
            assertEquals(0, outputAtDeferred[0], "the reply was still queued when the turn's deferred callbacks ran");
            ByteBuffer back = ByteBuffer.allocate(data.length);
            ends[0].configureBlocking(true);
            while (back.hasRemaining()) {
                ends[0].read(back);
            }
            assertArrayEquals(data, back.array());
        } finally {
            bev.free();
            BevTestSupport.closeQuietly(ends[0]);
        }
    }
}
