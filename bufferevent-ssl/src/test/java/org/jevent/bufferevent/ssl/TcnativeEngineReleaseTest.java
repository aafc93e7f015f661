package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.EndReason;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Freeing a netty-tcnative TLS bufferevent destroys its engine at once: BoringSSL's SSL object
 * is freed ({@code sslPointer()} reads 0) and our reference to the engine is released ({@code
 * refCnt()} reads 0, which also gives back the engine's hold on its Netty context), instead of
 * both waiting for the engine's finalizer. Read on every engine, so that one left alive fails
 * the test by name; the count of the Conscrypt version ({@link SslEngineReleaseTest}) is
 * descriptors, which netty-tcnative does not use.
 *
 * <p>Skipped, saying so, where netty-tcnative (an optional dependency of this module) is not on
 * the test's class path or its native library does not load.
 */
class TcnativeEngineReleaseTest {
    private static final int LINKS = 50;

    private final EventBase base = new EventBase();

    @BeforeEach
    void tcnativePresent() {
        ClassLoader loader = TcnativeEngineReleaseTest.class.getClassLoader();
        for (String name : new String[] {"io.netty.handler.ssl.OpenSsl", "io.netty.internal.tcnative.SSL"}) {
            boolean present;
            try {
                Class.forName(name, false, loader);
                present = true;
            } catch (ClassNotFoundException | LinkageError e) {
                present = false;
            }
            assumeTrue(present, "netty-tcnative is not on the test class path (no class " + name
                    + "): SslProvider.TCNATIVE's engine release is not tested");
        }
        assumeTrue(NativeState.available(), () -> "netty-tcnative's native library did not load on "
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": " + NativeState.why());
    }

    @AfterEach
    void free() {
        base.free();
    }

    /** Links that completed their handshake and were freed by the application. */
    @Test
    void freeingDestroysTheEnginesAtOnce() throws Exception {
        List<SSLEngine> engines = new ArrayList<>();
        for (int i = 0; i < LINKS; i++) {
            SslBufferevent[] link = TlsHarness.link(base, TlsHarness.Variant.FILTER_PAIR, SslProvider.TCNATIVE,
                    i % 2 == 0 ? "TLSv1.3" : "TLSv1.2", 0);
            TlsHarness.handshake(base, link);
            engines.add(link[0].getEngine());
            engines.add(link[1].getEngine());
            link[0].free();
            link[1].free();
        }
        assertAllDestroyed(engines);
    }

    /**
     * The server's end after the client's transport died without close_notify (the usual end
     * under a handshake load): the server frees itself from its event callback.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TlsHarness.Variant.class, names = {"SOCKET", "FILTER_PAIR"})
    void freeingAfterATruncationDestroysTheEngineAtOnce(TlsHarness.Variant v) throws Exception {
        List<SSLEngine> engines = new ArrayList<>();
        for (int i = 0; i < LINKS; i++) {
            SslBufferevent[] link = TlsHarness.link(base, v, SslProvider.TCNATIVE, i % 2 == 0 ? "TLSv1.3" : "TLSv1.2",
                    0);
            engines.add(link[0].getEngine());
            engines.add(link[1].getEngine());
            assertEquals(EndReason.TRUNCATED, TlsHarness.handshakeThenTruncate(base, link));
        }
        assertAllDestroyed(engines);
    }

    /** Bufferevents freed before their handshake began: no SSL object survives them either. */
    @Test
    void freeingBeforeTheHandshakeDestroysTheEngine() throws Exception {
        List<SSLEngine> engines = new ArrayList<>();
        for (int i = 0; i < LINKS; i++) {
            SslBufferevent[] link = TlsHarness.link(base, TlsHarness.Variant.FILTER_PAIR, SslProvider.TCNATIVE,
                    "TLSv1.3", 0);
            engines.add(link[0].getEngine());
            engines.add(link[1].getEngine());
            link[0].free();
            link[1].free();
        }
        assertAllDestroyed(engines);
    }

    private static void assertAllDestroyed(List<SSLEngine> engines) {
        List<String> alive = new ArrayList<>();
        for (int i = 0; i < engines.size(); i++) {
            String state = NativeState.describe(engines.get(i));
            if (!state.isEmpty()) {
                alive.add((i % 2 == 0 ? "client " : "server ") + (i / 2) + ": " + state);
            }
        }
        assertEquals(0, alive.size(), () -> alive.size() + " of " + engines.size()
                + " netty-tcnative engines outlived their freed bufferevents, first " + alive.subList(0, 2));
    }

    /** Netty's side, touched only once {@link #tcnativePresent()} found its classes. */
    private static final class NativeState {
        static boolean available() {
            return OpenSsl.isAvailable();
        }

        static String why() {
            return String.valueOf(OpenSsl.unavailabilityCause());
        }

        /** Empty if the engine was destroyed and released; else what is left of it. */
        static String describe(SSLEngine engine) {
            ReferenceCountedOpenSslEngine e = (ReferenceCountedOpenSslEngine) engine;
            long ssl = e.sslPointer();
            int refCnt = e.refCnt();
            return ssl == 0 && refCnt == 0 ? "" : "SSL object " + (ssl == 0 ? "freed" : "alive") + ", refCnt " + refCnt;
        }
    }
}
