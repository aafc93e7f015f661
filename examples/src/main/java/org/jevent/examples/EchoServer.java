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
 * (idle longer than {@code --timeout}), or {@code error: message}. SIGINT and SIGTERM make every
 * loop exit; open connections are then closed and logged as {@code server shutdown}, and the
 * program exits 0.
 */
final class EchoServer {
    static final String SUMMARY = "echo server, plain or TLS, on N event bases sharing the port";
    private static final String USAGE = String.join("\n",
            "usage: echo-server [--host H] [--port P] [--tls] [--cert PEM --key PEM]",
            "                   [--provider conscrypt|jdk] [--loops N] [--timeout S]",
            "  --host H        address to listen on (default 127.0.0.1)",
            "  --port P        port (default 9995; 0 picks a free one)",
            "  --tls           speak TLS; without --cert/--key a throw-away self-signed certificate",
            "  --cert PEM      certificate chain (PEM), with --key",
            "  --key PEM       private key (PKCS#8 PEM), with --cert",
            "  --provider P    TLS provider: conscrypt (default) or jdk",
            "  --loops N       event bases, one per thread, each with its own listener on the",
            "                  same port (SO_REUSEPORT) (default 1)",
            "  --timeout S     close a connection idle for S seconds (default 300; 0: never)",
            "Prints 'listening on HOST:PORT' once accepting; logs each connection's end and its",
            "reason; SIGINT or SIGTERM stops it cleanly.");

    private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);
    private static final AtomicLong CONNECTION_IDS = new AtomicLong();

    private final PrintStream out;
    private SslContexts tls;
    private Duration idleTimeout;
    private final List<Loop> loops = new ArrayList<>();

    private EchoServer(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("echo-server", USAGE, args, out,
                o -> o.flag("--tls").value("--host", "--port", "--cert", "--key", "--provider", "--loops", "--timeout"),
                o -> {
                    if (o.has("--cert") != o.has("--key")) {
                        throw new IllegalArgumentException("--cert and --key go together");
                    }
                    if (o.getInt("--loops", 1) < 1) {
                        throw new IllegalArgumentException("--loops must be at least 1");
                    }
                    o.getInt("--port", 0);
                    o.getDouble("--timeout", 300);
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
        idleTimeout = Duration.ofMillis((long) (opts.getDouble("--timeout", 300) * 1000));
        int n = opts.getInt("--loops", 1);
        InetSocketAddress address = new InetSocketAddress(opts.get("--host", "127.0.0.1"), opts.getInt("--port", 9995));
        int flags = EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE
                | (n > 1 ? EvConnListener.LEV_OPT_REUSEABLE_PORT : 0);
        try {
            for (int i = 0; i < n; i++) {
                Loop loop = new Loop(i);
                loops.add(loop);
                loop.listener = EvConnListener.newBind(loop.base, loop::accept, flags, -1, address);
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
        LOG.info("{} loop(s), {}, idle timeout {}", n, tls == null ? "plaintext" : "TLS " + tls.provider(),
                idleTimeout.isZero() ? "none" : idleTimeout);

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
                c.end(reason);
                c.bev.free();
            }
            conns.clear();
            if (index != 0) {
                base.free(); // the first base still holds the signal events; main frees it
            }
        }

        /** {@code listener_cb}: one bufferevent per connection, echoing what it reads. */
        void accept(EvConnListener lev, SocketChannel channel, SocketAddress peer) {
            Conn c = new Conn(this, peer);
            try {
                if (tls != null) {
                    c.bev = SslBufferevent.socket(base, channel, tls.newServerEngine(), SslState.ACCEPTING,
                            Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                } else {
                    c.bev = Bufferevent.socket(base, channel, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot set up a connection from {}: {}", peer, e.toString());
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                return;
            }
            conns.add(c);
            c.bev.setCallbacks(c::readcb, null, c::eventcb);
            if (!idleTimeout.isZero()) {
                c.bev.setTimeouts(idleTimeout, idleTimeout);
            }
            c.bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            LOG.debug("connection {} from {} on loop {}", c.id, peer, index);
        }
    }

    /** One client connection. */
    private static final class Conn {
        final long id = CONNECTION_IDS.incrementAndGet();
        final Loop loop;
        final SocketAddress peer;
        final long started = System.nanoTime();
        Bufferevent bev;
        long echoed;
        boolean ended;

        Conn(Loop loop, SocketAddress peer) {
            this.loop = loop;
            this.peer = peer;
        }

        /** {@code echo_read_cb}: moves the input to the output, segments relinked, no copy. */
        void readcb(Bufferevent b) {
            echoed += b.getInput().getLength();
            b.writeBuffer(b.getInput());
        }

        /** {@code echo_event_cb}: logs the end of the connection with its reason, then frees it. */
        void eventcb(Bufferevent b, int what) {
            if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
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
            loop.conns.remove(this);
            b.free();
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
