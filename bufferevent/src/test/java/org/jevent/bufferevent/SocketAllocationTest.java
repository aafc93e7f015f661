package org.jevent.bufferevent;

import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.channels.SocketChannel;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The steady state of two socket bufferevents echoing a small message allocates nothing on the
 * loop thread: reads, writes, callbacks, the DEBUG/TRACE log points (off here, as in production
 * unless asked for), the byte counters and the JFR hooks (no recording runs). Measured with
 * HotSpot's per-thread allocation counter after a warm-up, as eventbase's AllocationTest does; the
 * bound of 1 byte per message leaves room for a stray allocation, not for one per message.
 */
@Timeout(60)
class SocketAllocationTest extends LoopTestBase {
    @Test
    void echoOfSmallMessagesAllocatesNothingPerMessage() throws Exception {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        assertFalse(org.slf4j.LoggerFactory.getLogger(Bufferevent.class).isDebugEnabled(), "logging must be off here");

        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent a = closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE));
        SocketBufferevent b = closeLater(Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE));
        byte[] message = new byte[64];
        long[] echoes = {0};
        // b echoes what it reads; a counts each full echo and sends the next message.
        b.setCallbacks(x -> x.writeBuffer(x.getInput()), null, null);
        a.setWatermark(EV_READ, message.length, 0);
        a.setCallbacks(x -> {
            x.getInput().drain(message.length);
            echoes[0]++;
            x.write(message);
        }, null, null);
        a.enable(EV_READ);
        b.enable(EV_READ);
        a.write(message);
        long tid = Thread.currentThread().getId();
        runUntil(echoes, 20_000);
        long before = mx.getThreadAllocatedBytes(tid);
        long start = echoes[0];
        runUntil(echoes, start + 20_000);
        double perMessage = (mx.getThreadAllocatedBytes(tid) - before) / (double) (echoes[0] - start);
        assertTrue(perMessage < 1.0, "the echo allocated " + perMessage + " bytes per message");
    }

    private void runUntil(long[] echoes, long target) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (echoes[0] < target && System.nanoTime() < deadline) {
            base.loop(EventBase.EVLOOP_ONCE);
        }
        assertTrue(echoes[0] >= target, "only " + echoes[0] + " echoes");
    }
}
