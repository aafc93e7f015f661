package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_EOF;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_ERROR;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_TIMEOUT;
import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.BEV_OPT_DEFER_CALLBACKS;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.jevent.bufferevent.ssl.TlsHarness.ev;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.jevent.bufferevent.ssl.TlsHarness.Variant;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EolStyle;
import org.jevent.evbuffer.EvBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance matrix of issue 5: {Conscrypt, JDK} x {TLS 1.2, TLS 1.3} x {socket, filter over
 * socket, filter over pair}, with the scenarios of libevent's {@code regress_ssl.c} and the
 * secure disconnect libevent lacks.
 */
@Timeout(60)
class SslConformanceMatrixTest {
    private static final String MATRIX = "org.jevent.bufferevent.ssl.TlsHarness#matrix";
    private static final Duration LIMIT = Duration.ofSeconds(20);

    private final EventBase base = new EventBase();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void free() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        base.free();
    }

    /** Per side: the events it saw and whether the loop should stop. */
    static final class Side {
        final String name;
        final List<String> events = new ArrayList<>();
        int connected;
        int eof;
        int error;
        int timeout;
        int done;

        Side(String name) {
            this.name = name;
        }

        void record(int what) {
            events.add(ev(what));
            if ((what & BEV_EVENT_CONNECTED) != 0) {
                connected++;
            }
            if ((what & BEV_EVENT_EOF) != 0) {
                eof++;
            }
            if ((what & BEV_EVENT_ERROR) != 0) {
                error++;
            }
            if ((what & BEV_EVENT_TIMEOUT) != 0) {
                timeout++;
            }
        }

        @Override
        public String toString() {
            return name + events;
        }
    }

    // ------------------------------------------------------------------ ping-pong to 1001

    /**
     * regress_ssl.c {@code bufferevent_socketpair}/{@code bufferevent_filter}: each side reads a
     * number and writes it back plus one until 1001; the side that reads 1001 frees itself (no
     * close_notify, as libevent), so its peer sees a truncation: ERROR, or EOF with BUFFEREVENT_SSL_DIRTY_SHUTDOWN.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void pingPongTo1001(SslProvider impl, String protocol, Variant v) throws Exception {
        pingPong(TlsHarness.link(base, v, impl, protocol, BEV_OPT_DEFER_CALLBACKS), false, false, true);
    }

    /** The same with BUFFEREVENT_SSL_DIRTY_SHUTDOWN on both sides: the truncation is an EOF. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void pingPongDirtyShutdownAllowed(SslProvider impl, String protocol, Variant v) throws Exception {
        pingPong(TlsHarness.link(base, v, impl, protocol, BEV_OPT_DEFER_CALLBACKS), true, false, true);
    }

    /** regress_ssl.c {@code *_write_after_connect}: the client writes "1" only from its CONNECTED callback. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void pingPongWriteAfterConnect(SslProvider impl, String protocol, Variant v) throws Exception {
        pingPong(TlsHarness.link(base, v, impl, protocol, 0), false, true, true);
    }

    /**
     * regress_ssl.c {@code *_startopen}: two engines handshaken beforehand, wrapped OPEN: no
     * CONNECTED at all, data flows at once.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void startOpen(SslProvider impl, String protocol, Variant v) throws Exception {
        SSLEngine ce = TlsTestSupport.engine(impl, true, protocol);
        SSLEngine se = TlsTestSupport.engine(impl, false, protocol);
        handshakeInMemory(ce, se);
        SslBufferevent[] bevs = TlsHarness.link(base, v, ce, se, SslState.OPEN, SslState.OPEN, BEV_OPT_DEFER_CALLBACKS);
        pingPong(bevs, false, false, false);
    }

    private void pingPong(SslBufferevent[] bevs, boolean dirtyAllowed, boolean writeOnConnect, boolean expectConnected) {
        SslBufferevent client = bevs[0];
        SslBufferevent server = bevs[1];
        Side cs = new Side("client");
        Side ss = new Side("server");
        int[] finished = new int[1];
        for (int i = 0; i < 2; i++) {
            SslBufferevent bev = bevs[i];
            Side side = i == 0 ? cs : ss;
            if (dirtyAllowed) {
                bev.setFlags(SslBufferevent.BUFFEREVENT_SSL_DIRTY_SHUTDOWN);
            }
            bev.setCallbacks(b -> {
                String line;
                while (!b.isFreed() && (line = b.getInput().readLine(EolStyle.LF)) != null) {
                    int n = Integer.parseInt(line);
                    if (n == 1001) {
                        side.done++;
                        finished[0]++;
                        TlsHarness.dirtyClose((SslBufferevent) b); // no close_notify, as libevent
                        return;
                    }
                    b.getOutput().add((n + 1) + "\n", StandardCharsets.US_ASCII);
                    b.enable(EV_WRITE);
                }
            }, b -> {
                if (b.getOutput().getLength() == 0) {
                    b.disable(EV_WRITE);
                    b.enable(EV_READ);
                }
            }, (b, what) -> {
                side.record(what);
                if ((what & BEV_EVENT_CONNECTED) != 0) {
                    if (writeOnConnect && b == client) {
                        b.write("1\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    return;
                }
                if (!b.isFreed()) {
                    b.free();
                }
                finished[0]++;
                if (finished[0] >= 2) {
                    base.loopBreak();
                }
            });
            bev.enable(EV_READ | EV_WRITE);
        }
        if (!writeOnConnect) {
            client.write("1\n".getBytes(StandardCharsets.US_ASCII));
        }
        TlsHarness.runUntil(base, () -> finished[0] >= 2, LIMIT);
        assertEquals(1, cs.done + ss.done, () -> cs + " " + ss);
        Side loser = ss.done == 1 ? cs : ss;
        Side winner = ss.done == 1 ? ss : cs;
        assertEquals(expectConnected ? 1 : 0, cs.connected, () -> cs + " " + ss);
        assertEquals(expectConnected ? 1 : 0, ss.connected, () -> cs + " " + ss);
        assertEquals(List.of(), winner.events.stream().filter(e -> !e.equals("CONNECTED")).toList());
        assertEquals(List.of(dirtyAllowed ? "READING|EOF" : "READING|ERROR"),
                loser.events.stream().filter(e -> !e.equals("CONNECTED")).toList(), () -> cs + " " + ss);
    }

    /** Runs a handshake between two engines directly, as a caller of OPEN would have done. */
    static void handshakeInMemory(SSLEngine c, SSLEngine s) throws Exception {
        c.beginHandshake();
        s.beginHandshake();
        ByteBuffer c2s = ByteBuffer.allocate(1 << 17);
        ByteBuffer s2c = ByteBuffer.allocate(1 << 17);
        ByteBuffer app = ByteBuffer.allocate(1 << 17);
        for (int round = 0; round < 200; round++) {
            step(c, s2c, c2s, app);
            step(s, c2s, s2c, app);
            if (c.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                    && s.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                    && c2s.position() == 0 && s2c.position() == 0) {
                assertEquals(0, app.position(), "no application data during the handshake");
                return;
            }
        }
        throw new AssertionError("in-memory handshake did not finish: " + c.getHandshakeStatus() + "/"
                + s.getHandshakeStatus());
    }

    private static void step(SSLEngine e, ByteBuffer in, ByteBuffer out, ByteBuffer app) throws Exception {
        in.flip();
        while (in.hasRemaining()) {
            SSLEngineResult r = e.unwrap(in, app);
            runTasks(e);
            if (r.bytesConsumed() == 0) {
                break;
            }
        }
        if (e.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP) {
            // netty-tcnative reports the end of a handshake only from the call after its last record.
            e.unwrap(in, app);
            runTasks(e);
        }
        in.compact();
        for (int i = 0; i < 10; i++) {
            runTasks(e);
            if (e.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                break;
            }
            e.wrap(ByteBuffer.allocate(0), out);
        }
        runTasks(e);
    }

    private static void runTasks(SSLEngine e) {
        Runnable t;
        while ((t = e.getDelegatedTask()) != null) {
            t.run();
        }
    }

    // ------------------------------------------------------------------ write before handshake

    /** Data written before the handshake is held, then sent encrypted; exactly one CONNECTED a side. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void writeBeforeHandshakeIsHeldAndSent(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] bevs = TlsHarness.link(base, v, impl, protocol, 0);
        SslBufferevent client = bevs[0];
        SslBufferevent server = bevs[1];
        byte[] data = new byte[100_000];
        new Random(5).nextBytes(data);
        Side cs = new Side("client");
        Side ss = new Side("server");
        EvBuffer got = new EvBuffer();
        server.setCallbacks(b -> {
            b.readBuffer(got);
            if (got.getLength() >= data.length) {
                base.loopBreak();
            }
        }, null, (b, what) -> ss.record(what));
        client.setCallbacks(null, null, (b, what) -> cs.record(what));
        server.enable(EV_READ);
        client.write(data);
        if (client.isHandshaking()) {
            assertEquals(data.length, client.getOutput().getLength(), "held in the output during the handshake");
        }
        TlsHarness.runUntil(base, () -> got.getLength() >= data.length, LIMIT);
        assertEquals(List.of("CONNECTED"), cs.events);
        assertEquals(List.of("CONNECTED"), ss.events);
        byte[] back = new byte[data.length];
        assertEquals(data.length, got.remove(back));
        assertArrayEquals(data, back);
        assertEquals(protocol, client.getEngine().getSession().getProtocol());
        got.free();
        client.free();
        server.free();
    }

    // ------------------------------------------------------------------ dirty shutdown both ways

    /** Transport EOF without close_notify, from either side: READING|ERROR, or READING|EOF with BUFFEREVENT_SSL_DIRTY_SHUTDOWN. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void dirtyShutdownBothWays(SslProvider impl, String protocol, Variant v) throws Exception {
        for (boolean clientCloses : new boolean[] {true, false}) {
            for (boolean allow : new boolean[] {false, true}) {
                SslBufferevent[] bevs = connected(v, impl, protocol);
                SslBufferevent closer = clientCloses ? bevs[0] : bevs[1];
                SslBufferevent peer = clientCloses ? bevs[1] : bevs[0];
                peer.setAllowDirtyShutdown(allow);
                Side ps = new Side("peer");
                peer.setCallbacks(null, null, (b, what) -> {
                    ps.record(what);
                    base.loopBreak();
                });
                peer.enable(EV_READ);
                TlsHarness.dirtyClose(closer);
                TlsHarness.runUntil(base, () -> !ps.events.isEmpty(), LIMIT);
                String where = (clientCloses ? "client closes" : "server closes") + (allow ? ", dirty allowed" : "");
                assertEquals(List.of(allow ? "READING|EOF" : "READING|ERROR"), ps.events, where);
                assertEquals(EndReason.TRUNCATED, peer.getEndReason(), where + ": from the close state, both ways");
                if (!allow) {
                    SslError e = peer.getSslError();
                    assertNotNull(e, where);
                    assertTrue(e.describe().contains("close_notify"), e.describe());
                }
                peer.free();
            }
        }
    }

    /** Both sides handshaken, callbacks cleared. */
    private SslBufferevent[] connected(Variant v, SslProvider impl, String protocol) throws Exception {
        SslBufferevent[] bevs = TlsHarness.link(base, v, impl, protocol, 0);
        int[] n = new int[1];
        List<String> other = new ArrayList<>();
        for (SslBufferevent b : bevs) {
            b.setCallbacks(null, null, (x, what) -> {
                if (what == BEV_EVENT_CONNECTED && ++n[0] == 2) {
                    base.loopBreak();
                } else if (what != BEV_EVENT_CONNECTED) {
                    other.add(ev(what));
                    base.loopBreak();
                }
            });
            b.enable(EV_READ);
        }
        TlsHarness.runUntil(base, () -> n[0] == 2 || !other.isEmpty(), LIMIT);
        assertEquals(List.of(), other, () -> "errors " + bevs[0].getSslErrors() + bevs[1].getSslErrors());
        assertEquals(2, n[0]);
        for (SslBufferevent b : bevs) {
            b.setCallbacks(null, null, null);
        }
        return bevs;
    }

    // ------------------------------------------------------------------ close_notify and shutdown

    /** shutdown(ZERO): close_notify goes out, the peer sees READING|EOF, we see EOF at once. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void cleanCloseNotifyGivesEofOnPeer(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] bevs = connected(v, impl, protocol);
        Side cs = new Side("client");
        Side ss = new Side("server");
        EvBuffer got = new EvBuffer();
        bevs[1].setCallbacks(b -> b.readBuffer(got), null, (b, what) -> {
            ss.record(what);
            base.loopBreak();
        });
        bevs[0].setCallbacks(null, null, (b, what) -> cs.record(what));
        byte[] big = new byte[300_000];
        new Random(9).nextBytes(big);
        bevs[0].write(big);
        bevs[0].write("last words".getBytes(StandardCharsets.US_ASCII));
        bevs[0].shutdown(Duration.ZERO); // the output is flushed first, then close_notify
        TlsHarness.runUntil(base, () -> !ss.events.isEmpty() && !cs.events.isEmpty(), LIMIT);
        assertEquals(List.of("READING|EOF"), ss.events);
        assertEquals(List.of("EOF"), cs.events);
        assertEquals(EndReason.CLEAN_CLOSE_NOTIFY, bevs[1].getEndReason());
        assertEquals(EndReason.SHUTDOWN, bevs[0].getEndReason());
        byte[] first = new byte[big.length];
        assertEquals(big.length, got.remove(first));
        assertArrayEquals(big, first);
        assertEquals("last words", readAll(got), "data before close_notify arrives first");
        assertEquals(List.of(), bevs[1].getSslErrors());
        got.free();
        bevs[0].free();
        bevs[1].free();
    }

    /** flush(EV_WRITE, FINISHED) is the secure disconnect without waiting: the peer sees READING|EOF. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void flushFinishedSendsCloseNotify(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] bevs = connected(v, impl, protocol);
        Side cs = new Side("client");
        Side ss = new Side("server");
        bevs[1].setCallbacks(null, null, (b, what) -> ss.record(what));
        bevs[0].setCallbacks(null, null, (b, what) -> cs.record(what));
        bevs[0].write("x".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, bevs[0].flush(EV_WRITE, org.jevent.bufferevent.FlushMode.FINISHED));
        assertTrue(bevs[0].isShuttingDown());
        TlsHarness.runUntil(base, () -> !ss.events.isEmpty() && !cs.events.isEmpty(), LIMIT);
        assertEquals(List.of("READING|EOF"), ss.events);
        assertEquals(List.of("EOF"), cs.events);
        assertEquals(EndReason.CLEAN_CLOSE_NOTIFY, bevs[1].getEndReason());
        assertEquals(EndReason.SHUTDOWN, bevs[0].getEndReason());
        assertEquals(List.of(), bevs[1].getSslErrors());
        bevs[0].free();
        bevs[1].free();
    }

    /** shutdown(bounded) against a peer that answers: EOF, no TIMEOUT, before the bound. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void boundedShutdownPeerAnswers(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] bevs = connected(v, impl, protocol);
        Side cs = new Side("client");
        Side ss = new Side("server");
        bevs[1].setCallbacks(null, null, (b, what) -> ss.record(what));
        bevs[0].setCallbacks(null, null, (b, what) -> {
            cs.record(what);
            base.loopBreak();
        });
        long t0 = System.nanoTime();
        bevs[0].shutdown(Duration.ofSeconds(10));
        TlsHarness.runUntil(base, () -> !ss.events.isEmpty() && !cs.events.isEmpty(), LIMIT);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(List.of("EOF"), cs.events);
        assertEquals(List.of("READING|EOF"), ss.events);
        assertEquals(EndReason.SHUTDOWN, bevs[0].getEndReason());
        assertEquals(EndReason.CLEAN_CLOSE_NOTIFY, bevs[1].getEndReason());
        assertTrue(ms < 5000, "took " + ms + " ms");
        assertEquals(List.of(), bevs[0].getSslErrors());
        bevs[0].free();
        bevs[1].free();
    }

    /** shutdown(bounded) against a silent peer: EOF|TIMEOUT after the bound, with a reason. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void boundedShutdownSilentPeer(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] bevs = connected(v, impl, protocol);
        bevs[1].disable(EV_READ); // reads nothing: never answers
        Side cs = new Side("client");
        Side ss = new Side("server");
        bevs[1].setCallbacks(null, null, (b, what) -> ss.record(what));
        bevs[0].setCallbacks(null, null, (b, what) -> {
            cs.record(what);
            base.loopBreak();
        });
        long t0 = System.nanoTime();
        bevs[0].shutdown(Duration.ofMillis(300));
        TlsHarness.runUntil(base, () -> !cs.events.isEmpty(), LIMIT);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(List.of("EOF|TIMEOUT"), cs.events);
        assertEquals(EndReason.SHUTDOWN_TIMEOUT, bevs[0].getEndReason());
        assertTrue(ms >= 290, "took " + ms + " ms");
        SslError e = bevs[0].getSslError();
        assertNotNull(e);
        assertTrue(e.describe().contains("close_notify"), e.describe());
        bevs[0].free();
        bevs[1].free();
    }

    /** shutdown(ZERO) against a silent peer: EOF at once, no waiting. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void immediateShutdownSilentPeer(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] bevs = connected(v, impl, protocol);
        bevs[1].disable(EV_READ);
        Side cs = new Side("client");
        bevs[0].setCallbacks(null, null, (b, what) -> {
            cs.record(what);
            base.loopBreak();
        });
        long t0 = System.nanoTime();
        bevs[0].shutdown(Duration.ZERO);
        TlsHarness.runUntil(base, () -> !cs.events.isEmpty(), LIMIT);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (v == Variant.FILTER_PAIR) {
            // A pair half that does not read takes nothing: the close_notify cannot even be
            // flushed, and the flush bound ends the shutdown.
            assertEquals(List.of("EOF|TIMEOUT"), cs.events);
            assertEquals(EndReason.SHUTDOWN_TIMEOUT, bevs[0].getEndReason());
            assertTrue(ms >= SslBufferevent.SHUTDOWN_FLUSH_LIMIT.toMillis() - 10, "took " + ms + " ms");
            assertTrue(bevs[0].getSslError().describe().contains("flushed"));
        } else {
            // The kernel takes the close_notify at once: no wait at all.
            assertEquals(List.of("EOF"), cs.events);
            assertEquals(EndReason.SHUTDOWN, bevs[0].getEndReason());
            assertTrue(ms < SslBufferevent.SHUTDOWN_FLUSH_LIMIT.toMillis(), "took " + ms + " ms");
        }
        assertThrows(IllegalStateException.class, () -> bevs[0].write(new byte[1]));
        bevs[0].free();
        bevs[1].free();
    }

    /** Writes after shutdown fail with a clear error, whatever the write method. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void writesAfterShutdownThrow(SslProvider impl, String protocol, Variant v) throws Exception {
        SslBufferevent[] bevs = connected(v, impl, protocol);
        bevs[0].shutdown(Duration.ofSeconds(5));
        assertTrue(bevs[0].isShuttingDown());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bevs[0].write(new byte[] {1}));
        assertTrue(e.getMessage().contains("shut down"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> bevs[0].write(ByteBuffer.wrap(new byte[] {1})));
        EvBuffer b = new EvBuffer();
        b.add(new byte[] {1});
        assertThrows(IllegalStateException.class, () -> bevs[0].writeBuffer(b));
        b.free();
        bevs[0].free();
        bevs[1].free();
    }

    // ------------------------------------------------------------------ handshake timeout

    /**
     * regress_ssl.c {@code bufferevent_socketpair_timeout}: the server never answers; the client's
     * timeouts fire exactly one TIMEOUT, no CONNECTED, nothing else.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void handshakeTimeout(SslProvider impl, String protocol, Variant v) throws Exception {
        SSLEngine ce = TlsTestSupport.engine(impl, true, protocol);
        SslBufferevent client;
        Bufferevent silent = null;
        if (v == Variant.FILTER_PAIR) {
            Bufferevent[] t = TlsHarness.transports(base, v, null);
            silent = t[1]; // nobody reads or answers
            client = TlsHarness.wrap(base, v, null, t[0], ce, SslState.CONNECTING, 0);
        } else {
            SocketChannel[] ch = TlsHarness.loopbackPair();
            toClose.add(ch[1]); // the server's end: open, never read
            Bufferevent t = v == Variant.FILTER_SOCKET ? Bufferevent.socket(base, ch[0], BEV_OPT_CLOSE_ON_FREE) : null;
            client = TlsHarness.wrap(base, v, ch[0], t, ce, SslState.CONNECTING, 0);
        }
        Side cs = new Side("client");
        client.setCallbacks(null, null, (b, what) -> cs.record(what));
        client.setTimeouts(Duration.ofMillis(200), Duration.ofMillis(200));
        client.enable(EV_READ | EV_WRITE);
        TlsHarness.runFor(base, Duration.ofMillis(900));
        assertEquals(1, cs.timeout, cs::toString);
        assertEquals(0, cs.connected, cs::toString);
        assertEquals(1, cs.events.size(), cs::toString);
        assertEquals("TIMEOUT", cs.events.get(0), "a bare TIMEOUT, as libevent's socket variant");
        assertEquals(EndReason.HANDSHAKE_TIMEOUT, client.getEndReason());
        assertTrue(client.getSslError().describe().contains("timed out"));
        client.free();
        if (silent != null) {
            silent.free();
        }
    }

    /**
     * The socket variant created without a channel, timeouts set before connect: the bound
     * covers connect and handshake; a listener that never accepts (the kernel completes the TCP
     * connect, nobody speaks TLS) gives exactly one TIMEOUT.
     */
    @ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"CONSCRYPT,TLSv1.3", "JDK,TLSv1.2"})
    void handshakeTimeoutWithConnectLater(SslProvider impl, String protocol) throws Exception {
        java.nio.channels.ServerSocketChannel listener = java.nio.channels.ServerSocketChannel.open();
        toClose.add(listener);
        listener.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
        SslBufferevent client = SslBufferevent.socket(base, null, TlsTestSupport.engine(impl, true, protocol),
                SslState.CONNECTING, 0);
        Side cs = new Side("client");
        client.setCallbacks(null, null, (b, what) -> cs.record(what));
        client.setTimeouts(Duration.ofMillis(200), null);
        client.enable(EV_READ | EV_WRITE);
        client.connect(listener.getLocalAddress());
        client.write("held".getBytes(StandardCharsets.US_ASCII));
        TlsHarness.runFor(base, Duration.ofMillis(800));
        assertEquals(List.of("TIMEOUT"), cs.events);
        assertEquals(EndReason.HANDSHAKE_TIMEOUT, client.getEndReason());
        client.free();
    }

    // ------------------------------------------------------------------ watermarks

    /**
     * regress_ssl.c {@code bufferevent_wm}: read high watermark 5 KiB on both; each read callback
     * drains at most 512 B and appends 1 KiB; both must read exactly 40 KiB although TLS overruns
     * the watermark by up to a record.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void watermarks(SslProvider impl, String protocol, Variant v) throws Exception {
        watermarks(TlsHarness.link(base, v, impl, protocol, 0));
    }

    /** regress_ssl.c {@code bufferevent_wm_defer}/{@code _wm_filter_defer}: the same with deferred callbacks. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource(MATRIX)
    void watermarksDeferred(SslProvider impl, String protocol, Variant v) throws Exception {
        watermarks(TlsHarness.link(base, v, impl, protocol, BEV_OPT_DEFER_CALLBACKS));
    }

    private void watermarks(SslBufferevent[] bevs) {
        long wmHigh = 5 << 10;
        long limit = wmHigh << 3;
        byte[] payload = new byte[1 << 10];
        java.util.Arrays.fill(payload, (byte) 'A');
        long[] get = new long[2];
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            int me = i;
            SslBufferevent bev = bevs[i];
            bev.setWatermark(EV_READ, 0, wmHigh);
            bev.setCallbacks(b -> {
                EvBuffer in = b.getInput();
                long drain = Math.min(in.getLength(), payload.length >> 1);
                if (get[me] >= limit) {
                    b.setCallbacks(null, null, null);
                    b.disable(EV_READ);
                    if (get[1 - me] >= limit) {
                        base.loopBreak();
                    }
                } else {
                    get[me] += drain;
                    in.drain(drain);
                }
                b.getOutput().add(payload);
            }, null, (b, what) -> {
                events.add((me == 0 ? "client " : "server ") + ev(what));
                if (what != BEV_EVENT_CONNECTED) {
                    base.loopBreak();
                }
            });
            bev.enable(EV_READ | EV_WRITE);
        }
        bevs[0].getOutput().add(payload);
        TlsHarness.runUntil(base, () -> (get[0] >= limit && get[1] >= limit) || events.size() > 2, LIMIT);
        assertEquals(limit, get[0], () -> "client; events " + events + " " + bevs[0] + " " + bevs[1]);
        assertEquals(limit, get[1], () -> "server; events " + events + " " + bevs[0] + " " + bevs[1]);
        bevs[0].free();
        bevs[1].free();
    }

    static String readAll(EvBuffer b) {
        byte[] a = new byte[(int) b.getLength()];
        b.remove(a);
        return new String(a, StandardCharsets.US_ASCII);
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // cleanup
        }
    }
}
