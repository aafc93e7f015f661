package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventBaseGroup;
import org.jevent.eventbase.GroupListener;
import org.jevent.examples.ServerSupport.StopSignals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An echo server, plain or TLS, on one or more event loops.
 *
 * <p>Scaling across cores follows the design rule "several bases, one per thread, never one
 * base shared": {@code --loops N} runs an {@link EventBaseGroup} of N loops, and
 * {@link EventBaseGroup#listen} spreads the connections over them, with SO_REUSEPORT on Linux
 * (one listener per loop on the same port; the kernel picks the loop) and by hand-over elsewhere
 * (one listener whose accepted channels go to the loops in turn). Either way a connection lives
 * on one loop from its accept to its end, and everything of it (its bufferevent, its handshake
 * deadline, its entry in that loop's {@link LoopConnections}) is touched only on that loop's
 * thread. What the loops share is thread-safe: the connection cap ({@link ConnectionCap}, a
 * counter changed by compare-and-set), its rate-limited warnings, the TLS context (an
 * {@code SSLContext} makes engines for any thread) and the connection ids.
 *
 * <p>Every connection's end is logged through SLF4J with its reason: {@code clean close_notify}
 * (TLS), {@code EOF} (plaintext), {@code truncated} (TLS without close_notify), {@code timeout}
 * (idle longer than {@code --timeout}), {@code handshake timeout}, or {@code error: message};
 * at DEBUG, each accept names the loop that serves it. SIGINT and SIGTERM are taken on an
 * {@link EventBase} of their own, run by the main thread; either one stops accepting, closes
 * every open connection on its own loop (logged as {@code server shutdown}), shuts the group
 * down, and the program exits 0.
 *
 * <p>What one connection may cost is bounded by default (issue 11): when its output (what waits
 * to be echoed) reaches {@code --high-water} bytes, reading it stops until the output has
 * drained to half, so a client that writes and never reads holds at most about that much (plus
 * one read, and for TLS the 64 KiB of ciphertext the TLS layer lets wait in the socket's own
 * output, {@link SslBufferevent#TRANSPORT_WRITE_BOUND}); a TLS handshake must finish
 * {@code --handshake-timeout} after the accept, however slowly the client trickles it; at most
 * {@code --max-connections} are served at once, across all loops ({@link ConnectionCap}); the
 * listen backlog is {@code --backlog} (per listener: with SO_REUSEPORT each loop has its own).
 */
final class EchoServer {
    static final String SUMMARY = "echo server, plain or TLS, on N event loops";
    /** Bytes that may wait to be echoed to one client before its connection stops being read. */
    static final long DEFAULT_HIGH_WATER = 256 * 1024;
    /** How long the loops get, once every connection was told to close, before what is left is closed. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private static final String USAGE = String.join("\n",
            "usage: echo-server [--host H] [--port P] [--tls] [--cert PEM --key PEM]",
            "                   [--provider conscrypt|jdk|tcnative] [--loops N] [--timeout S]",
            "                   [--max-connections N] [--backlog N] [--high-water BYTES]",
            "                   [--handshake-timeout S]",
            "  --host H        address to listen on (default 127.0.0.1)",
            "  --port P        port (default 9995; 0 picks a free one)",
            "  --tls           speak TLS; without --cert/--key a throw-away self-signed certificate",
            "  --cert PEM      certificate chain (PEM), with --key",
            "  --key PEM       private key (PKCS#8 PEM), with --cert",
            "  --provider P    TLS provider: conscrypt (default), jdk or tcnative (netty-tcnative)",
            "  --loops N       event loops, one per thread; connections are spread over them",
            "                  (SO_REUSEPORT on Linux, hand-over elsewhere) (default 1)",
            "  --timeout S     close a connection idle for S seconds (default 300; 0: never)",
            Limits.usageConnections(),
            Limits.usageHighWater("its output (what waits to be echoed)", DEFAULT_HIGH_WATER),
            Limits.usageHandshake(),
            "Prints 'listening on HOST:PORT' once accepting; logs each connection's end and its",
            "reason; SIGINT or SIGTERM stops it cleanly.");

    private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);
    private static final AtomicLong CONNECTION_IDS = new AtomicLong();

    private final PrintStream out;
    private SslContexts tls;
    private Duration idleTimeout;
    private Duration handshakeTimeout;
    private long highWater;
    private ConnectionCap cap;
    /**
     * Each loop's connections, by its base. Filled before {@code listen} and never changed after:
     * the loops see it through the tasks that set their listeners up ({@code execute} orders them).
     */
    private Map<EventBase, LoopConnections> loops;

    private EchoServer(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("echo-server", USAGE, args, out,
                o -> o.flag("--tls").value("--host", "--port", "--cert", "--key", "--provider", "--loops", "--timeout",
                        Limits.MAX_CONNECTIONS, Limits.BACKLOG, Limits.HIGH_WATER, Limits.HANDSHAKE_TIMEOUT),
                o -> {
                    if (o.has("--cert") != o.has("--key")) {
                        throw new IllegalArgumentException("--cert and --key go together");
                    }
                    if (o.getInt("--loops", 1) < 1) {
                        throw new IllegalArgumentException("--loops must be at least 1");
                    }
                    o.getInt("--port", 0);
                    Limits.seconds(o, "--timeout", 300);
                    Limits.maxConnections(o);
                    Limits.backlog(o);
                    Limits.highWater(o, DEFAULT_HIGH_WATER);
                    Limits.seconds(o, Limits.HANDSHAKE_TIMEOUT, Limits.DEFAULT_HANDSHAKE_SECONDS);
                },
                o -> new EchoServer(out).main(o));
    }

    private int main(Opts opts) {
        try {
            if (opts.has("--tls") || opts.has("--cert")) {
                tls = ServerSupport.serverContext(opts);
            }
        } catch (Exception e) {
            out.println("echo-server: TLS setup failed: " + e.getMessage());
            return 1;
        }
        idleTimeout = Limits.seconds(opts, "--timeout", 300);
        handshakeTimeout = Limits.seconds(opts, Limits.HANDSHAKE_TIMEOUT, Limits.DEFAULT_HANDSHAKE_SECONDS);
        highWater = Limits.highWater(opts, DEFAULT_HIGH_WATER);
        cap = new ConnectionCap(Limits.maxConnections(opts), LOG);
        int backlog = Limits.backlog(opts);
        int n = opts.getInt("--loops", 1);
        InetSocketAddress address = new InetSocketAddress(opts.get("--host", "127.0.0.1"), opts.getInt("--port", 9995));

        EventBaseGroup group = new EventBaseGroup(n);
        try {
            Map<EventBase, LoopConnections> byBase = new HashMap<>();
            for (int i = 0; i < n; i++) {
                byBase.put(group.get(i), new LoopConnections(i, group.get(i)));
            }
            loops = Map.copyOf(byBase);
            GroupListener listener;
            try {
                listener = group.listen(this::accept, EvConnListener.LEV_OPT_REUSEABLE, backlog, address);
            } catch (IOException | RuntimeException e) {
                out.println("echo-server: cannot listen on " + address + ": " + e);
                return 1;
            }
            // The listeners accept from here on; an accept failing in the microseconds before
            // this is warned about by the listener itself, not rate-limited.
            onEachLoop(listener, l -> l.setErrorCallback(cap::acceptFailed));
            return serve(group, listener, n, backlog);
        } finally {
            group.shutdown(SHUTDOWN_GRACE); // a no-op after serve's own; the loops' threads never outlive main
        }
    }

    /**
     * From {@code listening on} to the stop: the main thread runs the signal base until SIGINT or
     * SIGTERM, then closes every connection on its own loop and shuts the group down.
     */
    private int serve(EventBaseGroup group, GroupListener listener, int n, int backlog) {
        EventBase signalBase = new EventBase();
        StopSignals signals = new StopSignals(signalBase, signal -> {
            LOG.info("{}: stopping {} loop(s), {} connection(s) open", signal, n, cap.open());
            signalBase.loopExit();
        });

        ServerSupport.printListening(out, (InetSocketAddress) listener.getLocalAddress());
        LOG.info("{} loop(s){}, {}, idle timeout {}, handshake deadline {}, high water {}, at most {} connections,"
                + " backlog {}", n, n == 1 ? "" : ", connections spread by " + describe(listener.getSpread()),
                tls == null ? "plaintext" : "TLS " + tls.provider(), Limits.describe(idleTimeout),
                tls == null ? "n/a" : Limits.describe(handshakeTimeout), Limits.bytes(highWater), cap.max(), backlog);
        // A Conscrypt connection holds a socket and the engine's pipe; the others a socket.
        cap.checkDescriptorBudget(tls != null && tls.provider() == SslProvider.CONSCRYPT ? 3 : 1,
                Limits.MAX_CONNECTIONS);

        signalBase.dispatch(); // until a signal's loopExit
        listener.free();
        for (LoopConnections loop : loops.values()) {
            loop.base.execute(() -> freeAll(loop, "server shutdown"));
        }
        if (!group.shutdown(SHUTDOWN_GRACE)) {
            LOG.warn("the loops still had work {} after the stop; what was left on them was closed",
                    Limits.describe(SHUTDOWN_GRACE));
        }
        signals.free();
        signalBase.free(); // restores the JVM's signal handlers
        if (cap.refused() > 0) {
            LOG.info("{} connection(s) refused over the limit of {} in all", cap.refused(), cap.max());
        }
        out.println("echo-server: stopped");
        out.flush();
        return 0;
    }

    private static String describe(EventBaseGroup.AcceptSpread spread) {
        return spread == EventBaseGroup.AcceptSpread.REUSE_PORT ? "SO_REUSEPORT" : "hand-over";
    }

    /**
     * Runs {@code action} on each of the group's listeners, on its own loop, and waits for all
     * (uninterruptibly: it takes microseconds): a listener's settings belong to its loop's thread.
     */
    private static void onEachLoop(GroupListener listener, Consumer<EvConnListener> action) {
        List<EvConnListener> all = listener.listeners();
        CompletableFuture<?>[] done = new CompletableFuture<?>[all.size()];
        for (int i = 0; i < done.length; i++) {
            EvConnListener l = all.get(i);
            done[i] = CompletableFuture.runAsync(() -> action.accept(l), l.getBase()::execute);
        }
        CompletableFuture.allOf(done).join();
    }

    /** On {@code loop}'s thread, once the listener is freed: no more accepts there; closes what is open. */
    private void freeAll(LoopConnections loop, String reason) {
        loop.closing = true;
        for (Conn c : new ArrayList<>(loop.conns)) {
            c.close(reason);
        }
    }

    /**
     * {@code listener_cb}, on the loop that owns {@code channel}: one bufferevent per connection,
     * echoing what it reads; over the connection limit, a reset instead; after the stop (a
     * channel handed over just before), a reset too.
     */
    private void accept(EventBase base, SocketChannel channel, SocketAddress peer) {
        LoopConnections loop = loops.get(base);
        if (loop.closing) {
            ConnectionCap.closeWithReset(channel);
            return;
        }
        if (!cap.tryAcquire()) {
            cap.refuse(channel, peer);
            return;
        }
        Conn c = new Conn(loop, peer);
        try {
            c.bev = newBufferevent(base, channel);
        } catch (RuntimeException e) {
            cap.release();
            ConnectionCap.closeWithReset(channel);
            cap.setupFailed(peer, e);
            return;
        }
        loop.conns.add(c);
        c.bev.setCallbacks(c::readcb, c::writecb, c::eventcb);
        if (idleTimeout != null) {
            c.bev.setTimeouts(idleTimeout, idleTimeout);
        }
        if (tls != null) {
            c.handshake = SetupDeadline.arm(base, handshakeTimeout, c::handshakeExpired);
        }
        c.bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        LOG.debug("connection {} from {} on loop {}", c.id, peer, loop.index);
    }

    private Bufferevent newBufferevent(EventBase base, SocketChannel channel) {
        if (tls == null) {
            return Bufferevent.socket(base, channel, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        }
        return ServerSupport.withEngine(tls.newServerEngine(),
                engine -> SslBufferevent.socket(base, channel, engine, SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE));
    }

    /**
     * One loop's open connections. Invariant: touched only on that loop's thread; a connection is
     * in {@code conns} from its accept until it is closed; once {@code closing} is set (the stop)
     * nothing is added.
     */
    private static final class LoopConnections {
        final int index;
        final EventBase base;
        final Set<Conn> conns = new LinkedHashSet<>();
        boolean closing;

        LoopConnections(int index, EventBase base) {
            this.index = index;
            this.base = base;
        }
    }

    /**
     * One client connection. Invariant: while it is in its loop's {@code conns} it holds one slot
     * of the cap; {@link #close} gives both up, once. {@code paused} is true exactly while
     * reading is disabled because the output passed the high watermark; the write low watermark
     * is set (to half the high one) only then.
     */
    private final class Conn {
        final long id = CONNECTION_IDS.incrementAndGet();
        final LoopConnections loop;
        final SocketAddress peer;
        final long started = System.nanoTime();
        Bufferevent bev;
        SetupDeadline handshake;
        long echoed;
        boolean paused;
        boolean ended;
        boolean closed;

        Conn(LoopConnections loop, SocketAddress peer) {
            this.loop = loop;
            this.peer = peer;
        }

        /**
         * {@code echo_read_cb}: moves the input to the output, segments relinked, no copy; stops
         * reading once the output holds the high watermark or more (the client is not reading
         * what we echo). The write callback resumes it.
         */
        void readcb(Bufferevent b) {
            echoed += b.getInput().getLength();
            b.writeBuffer(b.getInput());
            if (!paused && b.getOutput().getLength() >= highWater) {
                paused = true;
                b.disable(Bufferevent.EV_READ);
                b.setWatermark(Bufferevent.EV_WRITE, highWater / 2, 0);
            }
        }

        /** The output drained to the low watermark while paused: read again. */
        void writecb(Bufferevent b) {
            if (paused) {
                paused = false;
                b.setWatermark(Bufferevent.EV_WRITE, 0, 0);
                b.enable(Bufferevent.EV_READ);
            }
        }

        /** The handshake did not finish in time: whatever the client sent meanwhile, it ends here. */
        void handshakeExpired() {
            close("handshake timeout (not finished " + Limits.describe(handshakeTimeout) + " after the accept)");
        }

        /** {@code echo_event_cb}: logs the end of the connection with its reason, then frees it. */
        void eventcb(Bufferevent b, int what) {
            if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                if (handshake != null) {
                    handshake.cancel();
                }
                if (b instanceof SslBufferevent s) {
                    LOG.debug("connection {}: {} {}", id, s.getEngine().getSession().getProtocol(),
                            s.getEngine().getSession().getCipherSuite());
                }
                what &= ~Bufferevent.BEV_EVENT_CONNECTED;
                if (what == 0) {
                    return;
                }
            }
            String reason = EndReason.of(b, what, "shutdown");
            if (b instanceof SslBufferevent s && (what & Bufferevent.BEV_EVENT_EOF) != 0
                    && (what & (Bufferevent.BEV_EVENT_ERROR | Bufferevent.BEV_EVENT_TIMEOUT)) == 0
                    && !s.isShuttingDown()) {
                // The peer's close_notify: ours is queued as the answer; let it leave, then the
                // EOF that shutdown reports frees the connection.
                end(reason);
                s.shutdown(Duration.ZERO);
                return;
            }
            close(reason);
        }

        /**
         * Frees the bufferevent, gives the slot back, then logs the end (unless already logged):
         * once the end of a closed connection is logged, its slot is free for a connection on any
         * loop. Idempotent.
         */
        void close(String reason) {
            if (closed) {
                return;
            }
            closed = true;
            if (handshake != null) {
                handshake.cancel();
            }
            loop.conns.remove(this);
            cap.release();
            bev.free();
            end(reason);
        }

        void end(String reason) {
            if (ended) {
                return;
            }
            ended = true;
            LOG.info("connection {} from {} ended: {} ({} bytes echoed in {} ms)", id, peer, reason, echoed,
                    (System.nanoTime() - started) / 1_000_000);
        }
    }
}
