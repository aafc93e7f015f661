package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.jevent.examples.ServerSupport.StopSignals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An echo server, plain or TLS, on one or more event bases.
 *
 * <p>Scaling across cores follows the design rule "several bases, one per thread, never one
 * base shared": with {@code --loops N} each of the N threads owns an {@link EventBase} and its own
 * {@link EvConnListener} bound to the same address with {@link EvConnListener#LEV_OPT_REUSEABLE_PORT}
 * (SO_REUSEPORT), so the kernel spreads new connections over the listeners and no connection ever
 * moves between threads. (The alternative, one acceptor handing channels to the other bases with
 * {@code base.execute}, was not chosen: SO_REUSEPORT needs no hand-over and no shared state.)
 * With port 0 the first listener picks the port and the others join it.
 *
 * <p>Every connection's end is logged through SLF4J with its reason: {@code clean close_notify}
 * (TLS), {@code EOF} (plaintext), {@code truncated} (TLS without close_notify), {@code timeout}
 * (idle longer than {@code --timeout}), {@code handshake timeout}, or {@code error: message}.
 * SIGINT and SIGTERM make every loop exit; open connections are then closed and logged as
 * {@code server shutdown}, and the program exits 0.
 *
 * <p>What one connection may cost is bounded by default (issue 11): when its output (what waits
 * to be echoed) reaches {@code --high-water} bytes, reading it stops until the output has
 * drained to half, so a client that writes and never reads holds at most about that much (plus
 * one read, and for TLS the 64 KiB of ciphertext the TLS layer lets wait in the socket's own
 * output, {@link SslBufferevent#TRANSPORT_WRITE_BOUND}); a TLS handshake must finish
 * {@code --handshake-timeout} after the accept, however slowly the client trickles it; at most
 * {@code --max-connections} are served at once, across all loops ({@link ConnectionCap}); the
 * listen backlog is {@code --backlog}.
 */
final class EchoServer {
    static final String SUMMARY = "echo server, plain or TLS, on N event bases sharing the port";
    /** Bytes that may wait to be echoed to one client before its connection stops being read. */
    static final long DEFAULT_HIGH_WATER = 256 * 1024;

    private static final String USAGE = String.join("\n",
            "usage: echo-server [--host H] [--port P] [--tls] [--cert PEM --key PEM]",
            "                   [--provider conscrypt|jdk] [--loops N] [--timeout S]",
            "                   [--max-connections N] [--backlog N] [--high-water BYTES]",
            "                   [--handshake-timeout S]",
            "  --host H        address to listen on (default 127.0.0.1)",
            "  --port P        port (default 9995; 0 picks a free one)",
            "  --tls           speak TLS; without --cert/--key a throw-away self-signed certificate",
            "  --cert PEM      certificate chain (PEM), with --key",
            "  --key PEM       private key (PKCS#8 PEM), with --cert",
            "  --provider P    TLS provider: conscrypt (default) or jdk",
            "  --loops N       event bases, one per thread, each with its own listener on the",
            "                  same port (SO_REUSEPORT) (default 1)",
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
    private final List<Loop> loops = new ArrayList<>();

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
        int flags = EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE
                | (n > 1 ? EvConnListener.LEV_OPT_REUSEABLE_PORT : 0);
        try {
            for (int i = 0; i < n; i++) {
                Loop loop = new Loop(i);
                loops.add(loop);
                loop.listener = EvConnListener.newBind(loop.base, loop::accept, flags, backlog, address);
                loop.listener.setErrorCallback(cap::acceptFailed);
                if (i == 0) {
                    // Port 0: the others must join the port the first one got.
                    address = (InetSocketAddress) loop.listener.getLocalAddress();
                }
            }
        } catch (IOException | RuntimeException e) {
            out.println("echo-server: cannot listen on " + address + ": " + e);
            for (Loop loop : loops) {
                loop.freeAll("start-up failed");
            }
            if (!loops.isEmpty()) {
                loops.get(0).base.free();
            }
            return 1;
        }

        // SIGINT/SIGTERM: one handler (signals are process-wide), on the first base; it asks
        // every loop to exit, each from its own thread's point of view (loopExit is thread-safe).
        Loop first = loops.get(0);
        StopSignals signals = new StopSignals(first.base, this::stopAll);

        ServerSupport.printListening(out, address);
        LOG.info("{} loop(s), {}, idle timeout {}, handshake deadline {}, high water {}, at most {} connections,"
                + " backlog {}", n, tls == null ? "plaintext" : "TLS " + tls.provider(), Limits.describe(idleTimeout),
                tls == null ? "n/a" : Limits.describe(handshakeTimeout), Limits.bytes(highWater), cap.max(), backlog);
        // A Conscrypt connection holds a socket and the engine's pipe; the others a socket.
        cap.checkDescriptorBudget(tls != null && tls.provider() == SslProvider.CONSCRYPT ? 3 : 1,
                Limits.MAX_CONNECTIONS);

        for (int i = 1; i < n; i++) {
            Loop loop = loops.get(i);
            loop.thread = new Thread(loop::run, "echo-loop-" + i);
            loop.thread.start();
        }
        first.run(); // the first loop runs on this thread, which also takes the signals
        for (Loop loop : loops) {
            if (loop.thread != null) {
                try {
                    loop.thread.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
            }
        }
        signals.free();
        first.base.free(); // restores the JVM's signal handlers
        if (cap.refused() > 0) {
            LOG.info("{} connection(s) refused over the limit of {} in all", cap.refused(), cap.max());
        }
        out.println("echo-server: stopped");
        out.flush();
        return 0;
    }

    private void stopAll(String signal) {
        LOG.info("{}: stopping {} loop(s)", signal, loops.size());
        for (Loop loop : loops) {
            loop.base.loopExit();
        }
    }

    /** One event base, its thread, its listener and its connections. */
    private final class Loop {
        final int index;
        final EventBase base = new EventBase();
        EvConnListener listener;
        Thread thread;
        final Set<Conn> conns = new LinkedHashSet<>();

        Loop(int index) {
            this.index = index;
        }

        void run() {
            try {
                base.dispatch();
            } finally {
                freeAll("server shutdown");
            }
        }

        /** On the loop's thread after dispatch returned: closes what is left. */
        void freeAll(String reason) {
            if (listener != null) {
                listener.free();
                listener = null;
            }
            for (Conn c : new ArrayList<>(conns)) {
                c.close(reason);
            }
            if (index != 0) {
                base.free(); // the first base still holds the signal events; main frees it
            }
        }

        /**
         * {@code listener_cb}: one bufferevent per connection, echoing what it reads; over the
         * connection limit, a reset instead.
         */
        void accept(EvConnListener lev, SocketChannel channel, SocketAddress peer) {
            if (!cap.tryAcquire()) {
                cap.refuse(channel, peer);
                return;
            }
            Conn c = new Conn(this, peer);
            try {
                c.bev = newBufferevent(channel);
            } catch (RuntimeException e) {
                cap.release();
                ConnectionCap.closeWithReset(channel);
                cap.setupFailed(peer, e);
                return;
            }
            conns.add(c);
            c.bev.setCallbacks(c::readcb, c::writecb, c::eventcb);
            if (idleTimeout != null) {
                c.bev.setTimeouts(idleTimeout, idleTimeout);
            }
            if (tls != null) {
                c.handshake = SetupDeadline.arm(base, handshakeTimeout, c::handshakeExpired);
            }
            c.bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            LOG.debug("connection {} from {} on loop {}", c.id, peer, index);
        }

        private Bufferevent newBufferevent(SocketChannel channel) {
            if (tls == null) {
                return Bufferevent.socket(base, channel, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
            }
            return ServerSupport.withEngine(tls.newServerEngine(),
                    engine -> SslBufferevent.socket(base, channel, engine, SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE));
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
        final Loop loop;
        final SocketAddress peer;
        final long started = System.nanoTime();
        Bufferevent bev;
        SetupDeadline handshake;
        long echoed;
        boolean paused;
        boolean ended;
        boolean closed;

        Conn(Loop loop, SocketAddress peer) {
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
            end(EndReason.of(b, what, "shutdown"));
            if (b instanceof SslBufferevent s && (what & Bufferevent.BEV_EVENT_EOF) != 0
                    && (what & (Bufferevent.BEV_EVENT_ERROR | Bufferevent.BEV_EVENT_TIMEOUT)) == 0
                    && !s.isShuttingDown()) {
                // The peer's close_notify: ours is queued as the answer; let it leave, then the
                // EOF that shutdown reports frees the connection.
                s.shutdown(Duration.ZERO);
                return;
            }
            close(null);
        }

        /** Logs the end (unless already logged), frees the bufferevent and gives the slot back. Idempotent. */
        void close(String reason) {
            if (closed) {
                return;
            }
            closed = true;
            if (reason != null) {
                end(reason);
            }
            if (handshake != null) {
                handshake.cancel();
            }
            loop.conns.remove(this);
            cap.release();
            bev.free();
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
