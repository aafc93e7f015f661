package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.time.Duration;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Freeing a TLS bufferevent releases its engine's native state at once, not at the next
 * garbage collection: Conscrypt keeps an SSL object and a pipe (two descriptors) per engine
 * until its close_notify was wrapped, and a server churning through handshakes ran out of
 * descriptors that way. Counted on the process's open descriptors, over pairs (no sockets).
 */
class SslEngineReleaseTest {
    private static final int LINKS = 100;

    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        if (fds == null) {
            throw new AssertionError("/proc/self/fd is not readable");
        }
        return fds.length;
    }

    @Test
    void freeingReleasesConscryptDescriptorsAtOnce() throws Exception {
        int before = openDescriptors();
        for (int i = 0; i < LINKS; i++) {
            SslBufferevent[] link = TlsHarness.link(base, TlsHarness.Variant.FILTER_PAIR, SslProvider.CONSCRYPT,
                    i % 2 == 0 ? "TLSv1.3" : "TLSv1.2", 0);
            int[] connected = new int[1];
            link[0].setCallbacks(null, null, (b, what) -> connected[0]++);
            link[1].setCallbacks(null, null, (b, what) -> connected[0]++);
            link[0].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            link[1].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            TlsHarness.runUntil(base, () -> connected[0] == 2, Duration.ofSeconds(20));
            link[0].free();
            link[1].free();
        }
        int after = openDescriptors();
        // Two engines per link and two descriptors per live engine: 400 if nothing was released.
        assertTrue(after - before < 40, () -> (after - before) + " descriptors more after " + LINKS
                + " TLS links were freed");
    }
}
