package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.evbuffer.SegmentPool;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An idle TLS connection holds no buffer memory: after its handshake and an exchange, with
 * every buffer drained, each segment the four buffers (ours and the transport's, both ends) took
 * from the thread's pool is back. Conscrypt's unwraps and wraps reserve a record's worth of
 * space whether or not they produce anything; that space must not stay behind (it was 31 KB per
 * idle connection in the load run before).
 */
class SslIdleMemoryTest {
    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("org.jevent.bufferevent.ssl.TlsHarness#matrix")
    void anIdleConnectionKeepsNoSegment(SslProvider impl, String protocol, TlsHarness.Variant variant)
            throws Exception {
        long before = SegmentPool.current().outstanding();
        SslBufferevent[] link = TlsHarness.link(base, variant, impl, protocol, 0);
        int[] connected = new int[1];
        long[] got = new long[1];
        link[1].setCallbacks(b -> b.writeBuffer(b.getInput()), null, (b, what) -> connected[0]++);
        link[0].setCallbacks(b -> {
            got[0] += b.getInput().getLength();
            b.getInput().drain(b.getInput().getLength());
        }, null, (b, what) -> connected[0]++);
        link[0].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        link[1].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        TlsHarness.runUntil(base, () -> connected[0] == 2, Duration.ofSeconds(20));
        settles(before, "after the handshake"); // TLS 1.3 session tickets may still be on their way

        link[0].write(new byte[100_000]);
        TlsHarness.runUntil(base, () -> got[0] == 100_000, Duration.ofSeconds(20));
        settles(before, "while idle after an exchange");
        link[0].free();
        link[1].free();
    }

    /**
     * Runs the loop until every segment is back (bytes in flight on loopback are in buffers for
     * a moment), within a bound that only a segment kept for good can exceed.
     */
    private void settles(long before, String when) {
        try {
            TlsHarness.runUntil(base, () -> SegmentPool.current().outstanding() == before, Duration.ofSeconds(3));
        } catch (AssertionError stillHeld) {
            assertEquals(before, SegmentPool.current().outstanding(), "segments held " + when);
        }
    }
}
