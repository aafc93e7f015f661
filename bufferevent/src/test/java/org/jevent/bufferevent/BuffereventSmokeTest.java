package org.jevent.bufferevent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
}
