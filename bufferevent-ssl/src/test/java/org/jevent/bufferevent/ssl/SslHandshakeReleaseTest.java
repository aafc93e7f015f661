package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A Conscrypt server engine whose connection dies during the handshake lets go of its native
 * state (an SSL object and a pipe: two descriptors) when its bufferevent is freed, however the
 * handshake ended: the client reset in the middle of its ClientHello or after the server's
 * flight, closed with a FIN, or fell silent until the server gave up (as a handshake deadline
 * does: the bufferevent is freed while the handshake is still under way). Counted on the
 * process's open descriptors over N such connections on loopback, TLS 1.3 and 1.2 (whose server
 * flights differ); a leak would show as two descriptors per connection.
 */
@Timeout(120)
class SslHandshakeReleaseTest {
    private static final int CONNECTIONS = 30;
    /**
     * Well under the 2 x CONNECTIONS a leak of every engine shows (the tests hold the engines,
     * so no collection can hide one).
     */
    private static final int SLACK = 10;

    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    /** Where the client stops, and how. */
    enum Stage {
        /** Half a ClientHello, then a reset. */
        HALF_HELLO_RESET(false, false, End.RESET),
        /** Half a ClientHello, then silence until the server frees the connection. */
        HALF_HELLO_SILENT(false, false, End.SERVER_GIVES_UP),
        /** A ClientHello, the server's first flight read, then a reset. */
        AFTER_SERVER_FLIGHT_RESET(true, true, End.RESET),
        /** A ClientHello, then a reset before the server's flight is read. */
        HELLO_RESET(true, false, End.RESET),
        /** A ClientHello, the server's first flight read, then a FIN. */
        AFTER_SERVER_FLIGHT_FIN(true, true, End.FIN),
        /** A ClientHello, the server's first flight read, then silence until the server frees it. */
        AFTER_SERVER_FLIGHT_SILENT(true, true, End.SERVER_GIVES_UP);

        final boolean wholeHello;
        final boolean awaitFlight;
        final End end;

        Stage(boolean wholeHello, boolean awaitFlight, End end) {
            this.wholeHello = wholeHello;
            this.awaitFlight = awaitFlight;
            this.end = end;
        }
    }

    enum End {
        RESET, FIN, SERVER_GIVES_UP
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "TLSv1.3,HALF_HELLO_RESET", "TLSv1.3,HALF_HELLO_SILENT", "TLSv1.3,HELLO_RESET",
        "TLSv1.3,AFTER_SERVER_FLIGHT_RESET", "TLSv1.3,AFTER_SERVER_FLIGHT_FIN", "TLSv1.3,AFTER_SERVER_FLIGHT_SILENT",
        "TLSv1.2,HELLO_RESET", "TLSv1.2,AFTER_SERVER_FLIGHT_RESET", "TLSv1.2,AFTER_SERVER_FLIGHT_FIN",
        "TLSv1.2,AFTER_SERVER_FLIGHT_SILENT"})
    void aHandshakeThatDiesReleasesTheEngine(String protocol, Stage stage) throws Exception {
        byte[] hello = clientHello(protocol);
        oneConnection(protocol, stage, hello); // the JDK's and Conscrypt's first-use descriptors, before counting
        int before = SslEngineReleaseTest.openDescriptors();
        List<SSLEngine> held = new ArrayList<>(); // so that no collection can finalize what was not released
        for (int i = 0; i < CONNECTIONS; i++) {
            held.add(oneConnection(protocol, stage, hello));
        }
        TlsHarness.runFor(base, Duration.ofMillis(20)); // the selector lets go of what was closed while registered
        int after = SslEngineReleaseTest.openDescriptors();
        java.lang.ref.Reference.reachabilityFence(held);
        System.out.println("Conscrypt handshakes ended at " + stage + " (" + protocol + "): " + (after - before)
                + " descriptors more after " + CONNECTIONS);
        assertTrue(after - before < SLACK, () -> (after - before) + " descriptors more after " + CONNECTIONS
                + " Conscrypt handshakes ended at " + stage + " (" + protocol + ")");
    }

    /**
     * Server engines that were made and never got a bufferevent (building it failed, or the
     * server refused the connection first) are released by closing both directions, as the
     * example servers do: Conscrypt frees the native state of an engine that never began a
     * handshake at once.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"TLSv1.3", "TLSv1.2"})
    void anEngineNeverUsedIsReleasedByClosingIt(String protocol) throws Exception {
        TlsTestSupport.engine(SslProvider.CONSCRYPT, false, protocol).closeOutbound();
        int before = SslEngineReleaseTest.openDescriptors();
        List<SSLEngine> held = new ArrayList<>(); // so that no collection can finalize what was not released
        for (int i = 0; i < CONNECTIONS; i++) {
            SSLEngine e = TlsTestSupport.engine(SslProvider.CONSCRYPT, false, protocol);
            e.closeOutbound();
            e.closeInbound();
            held.add(e);
        }
        int after = SslEngineReleaseTest.openDescriptors();
        java.lang.ref.Reference.reachabilityFence(held);
        System.out.println("unused Conscrypt engines closed (" + protocol + "): " + (after - before)
                + " descriptors more after " + CONNECTIONS);
        assertTrue(after - before < SLACK, () -> (after - before) + " descriptors more after " + CONNECTIONS
                + " unused Conscrypt engines were closed");
    }

    /** One connection that dies at {@code stage}; returns the server's engine. */
    private SSLEngine oneConnection(String protocol, Stage stage, byte[] hello) throws Exception {
        SocketChannel[] ch = TlsHarness.loopbackPair();
        SocketChannel client = ch[0];
        boolean[] ended = new boolean[1];
        String[] why = new String[1];
        SslBufferevent server = SslBufferevent.socket(base, ch[1],
                TlsTestSupport.engine(SslProvider.CONSCRYPT, false, protocol), SslState.ACCEPTING,
                Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        server.setCallbacks(null, null, (b, what) -> {
            ended[0] = true;
            SslError e = ((SslBufferevent) b).getSslError();
            why[0] = TlsHarness.ev(what) + (e == null ? "" : " " + e.describe());
            b.free(); // as a server does when a connection ends
        });
        server.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        try {
            byte[] sent = stage.wholeHello ? hello : Arrays.copyOf(hello, hello.length / 2);
            ByteBuffer out = ByteBuffer.wrap(sent);
            while (out.hasRemaining()) {
                client.write(out); // loopback takes a ClientHello at once
            }
            if (stage.awaitFlight) {
                ByteBuffer in = ByteBuffer.allocate(1 << 16);
                long[] got = new long[1];
                TlsHarness.runUntil(base, () -> ended[0] || (got[0] += read(client, in)) > 0, Duration.ofSeconds(20));
                if (ended[0]) {
                    throw new AssertionError("the server ended the handshake before its flight: " + why[0]);
                }
            } else {
                // Let the server read what came (and, for a whole ClientHello, answer it).
                TlsHarness.runFor(base, Duration.ofMillis(5));
            }
            switch (stage.end) {
                case RESET -> {
                    client.setOption(StandardSocketOptions.SO_LINGER, 0);
                    client.close();
                    TlsHarness.runUntil(base, () -> ended[0], Duration.ofSeconds(20));
                }
                case FIN -> {
                    client.shutdownOutput();
                    TlsHarness.runUntil(base, () -> ended[0], Duration.ofSeconds(20));
                }
                case SERVER_GIVES_UP -> server.free(); // what a handshake deadline does
            }
        } finally {
            client.close();
            if (!server.isFreed()) {
                server.free();
            }
        }
        return server.getEngine();
    }

    /** Reads what is there (non-blocking); 0 at the end of the stream too (the server's end is seen otherwise). */
    private static int read(SocketChannel ch, ByteBuffer b) {
        try {
            b.clear();
            return Math.max(0, ch.read(b));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A client's first flight for {@code protocol}, from a JDK engine (the server's provider is what is tested). */
    private static byte[] clientHello(String protocol) throws Exception {
        SSLEngine c = TlsTestSupport.engine(SslProvider.JDK, true, protocol);
        ByteBuffer net = ByteBuffer.allocate(c.getSession().getPacketBufferSize());
        SSLEngineResult r = c.wrap(ByteBuffer.allocate(0), net);
        if (r.bytesProduced() == 0) {
            throw new AssertionError("no ClientHello: " + r);
        }
        net.flip();
        byte[] hello = new byte[net.remaining()];
        net.get(hello);
        return hello;
    }
}
