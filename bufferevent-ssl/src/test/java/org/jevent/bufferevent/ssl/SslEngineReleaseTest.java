package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import org.jevent.bufferevent.EndReason;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
            TlsHarness.handshake(base, link);
            link[0].free();
            link[1].free();
        }
        int after = openDescriptors();
        // Two engines per link and two descriptors per live engine: 400 if nothing was released.
        assertTrue(after - before < 40, () -> (after - before) + " descriptors more after " + LINKS
                + " TLS links were freed");
    }

    /**
     * The same after the transport has died first (the peer closed without close_notify, the
     * usual end under a handshake load): the engine's release then wraps nothing into that
     * transport, yet Conscrypt still lets go of its SSL object and pipe at once. Over sockets,
     * both variants.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TlsHarness.Variant.class, names = {"SOCKET", "FILTER_PAIR"})
    void freeingAfterATruncationReleasesConscryptDescriptorsAtOnce(TlsHarness.Variant v) throws Exception {
        int before = openDescriptors();
        for (int i = 0; i < LINKS; i++) {
            SslBufferevent[] link = TlsHarness.link(base, v, SslProvider.CONSCRYPT, i % 2 == 0 ? "TLSv1.3" : "TLSv1.2", 0);
            assertEquals(EndReason.TRUNCATED, TlsHarness.handshakeThenTruncate(base, link));
        }
        int after = openDescriptors();
        assertTrue(after - before < 40, () -> (after - before) + " descriptors more after " + LINKS
                + " truncated TLS links were freed");
    }
}
