package org.jevent.bufferevent.ssl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.FlushMode;
import org.jevent.bufferevent.PairBufferevent;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.params.provider.Arguments;

/** Builds linked TLS bufferevents over the three transports of the conformance matrix. */
final class TlsHarness {
    private TlsHarness() {
    }

    enum Variant {
        /** {@link SslBufferevent#socket} over a loopback channel. */
        SOCKET,
        /** {@link SslBufferevent#filter} over a {@code SocketBufferevent}. */
        FILTER_SOCKET,
        /** {@link SslBufferevent#filter} over a pair half. */
        FILTER_PAIR
    }

    static final String[] PROTOCOLS = {"TLSv1.2", "TLSv1.3"};

    /** Every (provider, protocol, variant) combination. */
    static Stream<Arguments> matrix() {
        List<Arguments> out = new ArrayList<>();
        for (SslProvider impl : SslProvider.values()) {
            for (String p : PROTOCOLS) {
                for (Variant v : Variant.values()) {
                    out.add(Arguments.of(impl, p, v));
                }
            }
        }
        return out.stream();
    }

    /** Two connected non-blocking loopback channels: {client, server}. */
    static SocketChannel[] loopbackPair() {
        try (ServerSocketChannel ss = ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel c = SocketChannel.open(ss.getLocalAddress());
            SocketChannel s = ss.accept();
            c.configureBlocking(false);
            s.configureBlocking(false);
            return new SocketChannel[] {c, s};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The two raw transports of a variant (null for SOCKET, whose channels come from {@link #loopbackPair}). */
    static Bufferevent[] transports(EventBase base, Variant v, SocketChannel[] ch) {
        return switch (v) {
            case SOCKET -> null;
            case FILTER_SOCKET -> new Bufferevent[] {Bufferevent.socket(base, ch[0], Bufferevent.BEV_OPT_CLOSE_ON_FREE),
                Bufferevent.socket(base, ch[1], Bufferevent.BEV_OPT_CLOSE_ON_FREE)};
            case FILTER_PAIR -> Bufferevent.pair(base, 0);
        };
    }

    static SslBufferevent wrap(EventBase base, Variant v, SocketChannel ch, Bufferevent transport, SSLEngine engine,
            SslState state, int options) {
        if (v == Variant.SOCKET) {
            return SslBufferevent.socket(base, ch, engine, state, options | Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        }
        return SslBufferevent.filter(base, transport, engine, state, options | Bufferevent.BEV_OPT_CLOSE_ON_FREE);
    }

    /** {client, server} TLS bufferevents, CONNECTING and ACCEPTING, over variant {@code v}. */
    static SslBufferevent[] link(EventBase base, Variant v, SslProvider impl, String protocol, int options)
            throws Exception {
        return link(base, v, TlsTestSupport.engine(impl, true, protocol), TlsTestSupport.engine(impl, false, protocol),
                SslState.CONNECTING, SslState.ACCEPTING, options);
    }

    static SslBufferevent[] link(EventBase base, Variant v, SSLEngine ce, SSLEngine se, SslState cs, SslState ss,
            int options) {
        SocketChannel[] ch = v == Variant.FILTER_PAIR ? new SocketChannel[2] : loopbackPair();
        Bufferevent[] t = transports(base, v, ch);
        SslBufferevent c = wrap(base, v, ch[0], t == null ? null : t[0], ce, cs, options);
        SslBufferevent s = wrap(base, v, ch[1], t == null ? null : t[1], se, ss, options);
        return new SslBufferevent[] {c, s};
    }

    /** Enables both ends of a {client, server} link and runs the loop until both report CONNECTED. */
    static void handshake(EventBase base, SslBufferevent[] link) {
        int[] connected = new int[1];
        link[0].setCallbacks(null, null, (b, what) -> connected[0]++);
        link[1].setCallbacks(null, null, (b, what) -> connected[0]++);
        link[0].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        link[1].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        runUntil(base, () -> connected[0] == 2, Duration.ofSeconds(20));
    }

    /**
     * Handshakes a {client, server} link, then ends the client's transport without close_notify
     * ({@link #dirtyClose}, which frees the client); the server frees itself on its end, as a
     * server does. Returns the server's end reason once it has one.
     */
    static org.jevent.bufferevent.EndReason handshakeThenTruncate(EventBase base, SslBufferevent[] link) {
        int[] connected = new int[1];
        org.jevent.bufferevent.EndReason[] serverEnd = new org.jevent.bufferevent.EndReason[1];
        link[0].setCallbacks(null, null, (b, what) -> connected[0]++);
        link[1].setCallbacks(null, null, (b, what) -> {
            if (what == Bufferevent.BEV_EVENT_CONNECTED) {
                connected[0]++;
            } else {
                serverEnd[0] = b.getEndReason();
                b.free();
            }
        });
        link[0].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        link[1].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        runUntil(base, () -> connected[0] == 2, Duration.ofSeconds(20));
        dirtyClose(link[0]);
        runUntil(base, () -> serverEnd[0] != null, Duration.ofSeconds(20));
        return serverEnd[0];
    }

    /**
     * Ends {@code side}'s transport without close_notify: the peer sees a bare EOF. A pair half
     * says EOF explicitly (freeing a pair half tells its partner nothing); a socket is closed.
     */
    static void dirtyClose(SslBufferevent side) {
        Bufferevent u = side.getUnderlying();
        if (u instanceof PairBufferevent p) {
            p.flush(Bufferevent.EV_WRITE, FlushMode.FINISHED);
        }
        side.free();
    }

    /**
     * Wires a {client, server} link the way the renegotiation tests watch it: what each side
     * reads appended to its text, each event to its list; both enabled; returns once both sides
     * have had an event (CONNECTED, or whatever ended the handshake).
     */
    static void connectRecording(EventBase base, SslBufferevent[] b, StringBuilder clientGot,
            List<String> clientEvents, StringBuilder serverGot, List<String> serverEvents) {
        b[0].setCallbacks(x -> clientGot.append(drain(x)), null, (x, what) -> clientEvents.add(ev(what)));
        b[1].setCallbacks(x -> serverGot.append(drain(x)), null, (x, what) -> serverEvents.add(ev(what)));
        b[0].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        b[1].enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        runUntil(base, () -> !clientEvents.isEmpty() && !serverEvents.isEmpty(), Duration.ofSeconds(20));
    }

    /**
     * On a link wired by {@link #connectRecording}: each side writes a tagged line and the test
     * waits until the other has read it, or until either side had an event other than CONNECTED
     * (then it fails at once, naming both sides' events, instead of waiting out the limit).
     */
    static void exchangeRecorded(EventBase base, SslBufferevent[] b, String tag, StringBuilder clientGot,
            List<String> clientEvents, StringBuilder serverGot, List<String> serverEvents) {
        int c0 = clientGot.length();
        int s0 = serverGot.length();
        b[0].write(("c-" + tag).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b[1].write(("s-" + tag).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        runUntil(base, () -> (clientGot.length() >= c0 + tag.length() + 2 && serverGot.length() >= s0 + tag.length() + 2)
                || endedRecorded(clientEvents) || endedRecorded(serverEvents), Duration.ofSeconds(20));
        org.junit.jupiter.api.Assertions.assertTrue(clientGot.toString().endsWith("s-" + tag),
                () -> clientGot + " / events " + clientEvents + " " + serverEvents);
        org.junit.jupiter.api.Assertions.assertTrue(serverGot.toString().endsWith("c-" + tag),
                () -> serverGot + " / events " + clientEvents + " " + serverEvents);
    }

    /** True once a side recorded by {@link #connectRecording} had an event other than CONNECTED. */
    static boolean endedRecorded(List<String> events) {
        return events.stream().anyMatch(e -> !e.equals("CONNECTED"));
    }

    /** Everything {@code x}'s input holds, read out as ASCII text. */
    static String drain(Bufferevent x) {
        byte[] a = new byte[(int) x.getInput().getLength()];
        x.read(a);
        return new String(a, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Runs the loop until a test calls loopBreak, or fails after {@code limit}. */
    static void run(EventBase base, Duration limit) {
        boolean[] expired = new boolean[1];
        Event guard = Event.timer(base, (ev, what) -> {
            expired[0] = true;
            base.loopBreak();
        });
        guard.add(limit);
        base.dispatch();
        guard.del();
        if (expired[0]) {
            throw new AssertionError("the loop did not finish within " + limit);
        }
    }

    /**
     * Runs the loop until {@code done} holds (checked every 5 ms and after each loopBreak), or
     * fails after {@code limit}. A loopBreak made before the loop runs is not lost this way.
     */
    static void runUntil(EventBase base, java.util.function.BooleanSupplier done, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        Event[] poll = new Event[1];
        poll[0] = Event.timer(base, (ev, what) -> {
            if (done.getAsBoolean() || System.nanoTime() > deadline) {
                base.loopBreak();
            } else {
                poll[0].add(Duration.ofMillis(5));
            }
        });
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                poll[0].del();
                throw new AssertionError("not done within " + limit);
            }
            poll[0].add(Duration.ofMillis(5));
            base.dispatch();
        }
        poll[0].del();
    }

    /** Runs the loop for {@code d} (for things that must NOT happen). */
    static void runFor(EventBase base, Duration d) {
        Event guard = Event.timer(base, (ev, what) -> base.loopBreak());
        guard.add(d);
        base.dispatch();
        guard.del();
    }

    static String ev(int what) {
        StringBuilder sb = new StringBuilder();
        if ((what & Bufferevent.BEV_EVENT_READING) != 0) {
            sb.append("READING|");
        }
        if ((what & Bufferevent.BEV_EVENT_WRITING) != 0) {
            sb.append("WRITING|");
        }
        if ((what & Bufferevent.BEV_EVENT_EOF) != 0) {
            sb.append("EOF|");
        }
        if ((what & Bufferevent.BEV_EVENT_ERROR) != 0) {
            sb.append("ERROR|");
        }
        if ((what & Bufferevent.BEV_EVENT_TIMEOUT) != 0) {
            sb.append("TIMEOUT|");
        }
        if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
            sb.append("CONNECTED|");
        }
        return sb.length() == 0 ? "0" : sb.substring(0, sb.length() - 1);
    }
}
