package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;
import org.jevent.examples.ServerSupport.StopSignals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Port of libevent's {@code sample/le-proxy.c}
 * (https://github.com/libevent/libevent/blob/master/sample/le-proxy.c): accepts connections and
 * relays each one to an upstream address, optionally speaking TLS to the upstream.
 *
 * <p>The functions keep the C names and order, camelCased: {@code readcb},
 * {@code drainedWritecb}, {@code closeOnFinishedWritecb}, {@code eventcb}, {@code syntax},
 * {@code acceptCb}, {@code main}. C passes the partner bufferevent as the callbacks' {@code ctx};
 * here each callback is a lambda that captures it, so {@code bufferevent_setcb(partner, readcb,
 * drained_writecb, eventcb, bev)} reads {@code partner.setCallbacks(b -> readcb(b, bev), ...)}.
 * The backpressure is the C one: when a side's output reaches {@link #MAX_OUTPUT}, reading from
 * the other side stops, and the drained write callback (write low watermark MAX_OUTPUT/2)
 * resumes it. When one side ends, what it sent is flushed to the other, which is then closed.
 *
 * <p>{@code -s} speaks TLS to the upstream through a TLS filter over a socket bufferevent;
 * {@code -s -W} through the TLS socket bufferevent instead (C: {@code use_wrapper}, which picks
 * {@code bufferevent_openssl_filter_new} or {@code bufferevent_openssl_socket_new}).
 *
 * <p>What differs from the C program, and why:
 * <ul>
 * <li>The upstream certificate is not verified by default, as in le-proxy.c (which never calls
 * {@code SSL_CTX_set_verify}); {@code --help} says so, and {@code --cafile PEM} turns
 * verification on (chain and host name).</li>
 * <li>A TLS upstream that we close is sent close_notify first ({@link SslBufferevent#shutdown});
 * C frees it, which OpenSSL's peer sees as a truncation.</li>
 * <li>Additions: {@code listening on HOST:PORT} once accepting (port 0 picks a free port), one
 * log line per connection with the reason it ended, and a clean exit (status 0) on SIGINT and
 * SIGTERM; C has no signal handling.</li>
 * <li>Bounded by default (issue 11), where le-proxy.c is not: an idle {@code --timeout} (300 s;
 * C has none), at most {@code --max-connections} relayed at once ({@link ConnectionCap}; C
 * accepts until it runs out of descriptors), a {@code --backlog}, {@code MAX_OUTPUT} settable
 * as {@code --high-water}, and a {@code --connect-timeout} for the upstream's connect and TLS
 * handshake that progress cannot move. With TLS to the upstream the bound holds below the TLS
 * bufferevent too: the TLS layer lets at most {@link SslBufferevent#TRANSPORT_WRITE_BOUND} bytes
 * of ciphertext wait in the socket under it.</li>
 * <li>Addresses may be host names, resolved once at start ({@code evutil_parse_sockaddr_port}
 * takes numeric addresses only); a bare port listens on 127.0.0.1, as in C.</li>
 * </ul>
 */
final class LeProxy {
    static final String SUMMARY = "port of sample/le-proxy.c: relays connections to an upstream, optionally over TLS";
    /** {@code #define MAX_OUTPUT (512*1024)}. */
    static final int MAX_OUTPUT = 512 * 1024;
    static final double DEFAULT_TIMEOUT_SECONDS = 300;
    static final double DEFAULT_CONNECT_TIMEOUT_SECONDS = 30;
    private static final String USAGE = String.join("\n",
            "usage: le-proxy [-s] [-W] [--cafile PEM] [--timeout S] [--connect-timeout S]",
            "                [--max-connections N] [--backlog N] [--high-water BYTES]",
            "                <listen-on-addr> <connect-to-addr>",
            "  -s            speak TLS to the upstream, through a TLS filter over a socket bufferevent",
            "  -W            with -s: through the TLS socket bufferevent instead of the filter",
            "  --cafile PEM  with -s: verify the upstream's certificate chain against these CA",
            "                certificates, and its name against <connect-to-addr>'s host.",
            "                WITHOUT --cafile THE UPSTREAM'S CERTIFICATE IS NOT VERIFIED (as in",
            "                le-proxy.c): anyone on the network path can pose as the upstream",
            "  --timeout S   close a connection when one side has been silent for S seconds",
            "                (default 300; 0: never, as le-proxy.c)",
            "  --connect-timeout S  close a connection whose upstream is not connected (with -s:",
            "                its TLS handshake finished) S seconds after the accept (default 30;",
            "                0: only --timeout bounds it)",
            Limits.usageConnections(),
            Limits.usageHighWater("the other side's output (le-proxy.c's MAX_OUTPUT)", MAX_OUTPUT),
            "Addresses are HOST:PORT or [IPv6]:PORT; a bare PORT listens on 127.0.0.1; port 0",
            "listens on a free port. Prints 'listening on HOST:PORT' once accepting, logs each",
            "connection's end with its reason, and exits 0 on SIGINT or SIGTERM.",
            "Example:",
            "   le-proxy 127.0.0.1:8888 1.2.3.4:80");

    private static final Logger LOG = LoggerFactory.getLogger(LeProxy.class);
    private static final AtomicLong CONNECTION_IDS = new AtomicLong();

    private static final int BEV_OPTS = Bufferevent.BEV_OPT_CLOSE_ON_FREE | Bufferevent.BEV_OPT_DEFER_CALLBACKS;

    private final PrintStream out;
    private EventBase base;
    private InetSocketAddress connectToAddr;
    private String connectToHost;
    /** {@code use_wrapper}: 1 unless -W. */
    private boolean useWrapper = true;
    /** {@code ssl_ctx}: null without -s. */
    private SslContexts sslCtx;
    private Duration idleTimeout;
    private Duration connectTimeout;
    /** {@code MAX_OUTPUT}, or {@code --high-water}. */
    private long maxOutput = MAX_OUTPUT;
    private ConnectionCap cap;
    /** Connections with a side still open, for the log and for a clean stop. */
    private final Set<Conn> conns = new LinkedHashSet<>();

    private LeProxy(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("le-proxy", USAGE, args, out,
                o -> o.flag("-s", "-W").value("--cafile", "--timeout", "--connect-timeout", Limits.MAX_CONNECTIONS,
                        Limits.BACKLOG, Limits.HIGH_WATER).positional("listen-on-addr", "connect-to-addr"),
                o -> {
                    // C: if (i+2 != argc) syntax();
                    if (o.positionals().size() != 2) {
                        throw new IllegalArgumentException("needs <listen-on-addr> and <connect-to-addr>");
                    }
                    if (o.has("--cafile") && !o.has("-s")) {
                        throw new IllegalArgumentException("--cafile goes with -s");
                    }
                    Limits.seconds(o, "--timeout", DEFAULT_TIMEOUT_SECONDS);
                    Limits.seconds(o, "--connect-timeout", DEFAULT_CONNECT_TIMEOUT_SECONDS);
                    Limits.maxConnections(o);
                    Limits.backlog(o);
                    Limits.highWater(o, MAX_OUTPUT);
                    parseListenAddr(o.positionals().get(0));
                    parseSockaddrPort(o.positionals().get(1));
                },
                o -> new LeProxy(out).main(o));
    }

    // ------------------------------------------------------------------ one proxied connection

    /**
     * One accepted connection and its upstream: the C callbacks, which there are free functions
     * whose {@code ctx} is the partner, are methods here so that the log can name the
     * connection; the partner is still passed the C way.
     */
    private final class Conn {
        final long id = CONNECTION_IDS.incrementAndGet();
        final SocketAddress peer;
        final long started = System.nanoTime();
        Bufferevent bIn;
        Bufferevent bOut;
        /** Until the upstream is connected (and its TLS handshake done). */
        SetupDeadline connecting;
        long up; // bytes client -> upstream
        long down; // bytes upstream -> client
        boolean ended;

        Conn(SocketAddress peer) {
            this.peer = peer;
        }

        String side(Bufferevent b) {
            return b == bIn ? "client" : "upstream";
        }

        /** C {@code readcb}: moves what {@code bev} read to the partner's output. */
        void readcb(Bufferevent bev, Bufferevent partner) {
            EvBuffer src = bev.getInput();
            long len = src.getLength();
            if (partner == null) {
                src.drain(len);
                return;
            }
            if (bev == bIn) {
                up += len;
            } else {
                down += len;
            }
            EvBuffer dst = partner.getOutput();
            dst.addBuffer(src); // relinks the segments, no copy

            if (dst.getLength() >= maxOutput) {
                // We're giving the other side data faster than it can pass it on. Stop reading
                // here until we have drained the other side to MAX_OUTPUT/2 bytes.
                LOG.debug("connection {}: {} output at {} bytes; pausing reads from the {}", id, side(partner),
                        dst.getLength(), side(bev));
                partner.setCallbacks(b -> readcb(b, bev), b -> drainedWritecb(b, bev), (b, w) -> eventcb(b, w, bev));
                partner.setWatermark(Bufferevent.EV_WRITE, maxOutput / 2, maxOutput);
                bev.disable(Bufferevent.EV_READ);
            }
        }

        /** C {@code drained_writecb}. */
        void drainedWritecb(Bufferevent bev, Bufferevent partner) {
            // We were choking the other side until we drained our outbuf a bit. Now it seems drained.
            bev.setCallbacks(b -> readcb(b, partner), null, (b, w) -> eventcb(b, w, partner));
            bev.setWatermark(Bufferevent.EV_WRITE, 0, 0);
            if (partner != null) {
                LOG.debug("connection {}: {} output drained; resuming reads from the {}", id, side(bev), side(partner));
                partner.enable(Bufferevent.EV_READ);
            }
        }

        /** C {@code close_on_finished_writecb}. */
        void closeOnFinishedWritecb(Bufferevent bev) {
            EvBuffer b = bev.getOutput();
            if (b.getLength() == 0) {
                closeSide(bev);
            }
        }

        /** C {@code eventcb}. */
        void eventcb(Bufferevent bev, int what, Bufferevent partner) {
            if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                if (bev == bOut) {
                    connecting.cancel();
                }
                if (bev instanceof SslBufferevent s) {
                    LOG.debug("connection {}: upstream TLS {} {}", id, s.getEngine().getSession().getProtocol(),
                            s.getEngine().getSession().getCipherSuite());
                } else {
                    LOG.debug("connection {}: upstream connected", id);
                }
            }
            // C: BEV_EVENT_EOF|BEV_EVENT_ERROR; a timeout (only with --timeout) ends it the same way.
            if (EndReason.isEnd(what)) {
                // C prints the OpenSSL error queue and perror(); the log line says the same.
                end(side(bev) + " " + EndReason.of(bev, what));

                if (partner != null) {
                    // Flush all pending data
                    readcb(bev, partner);

                    if (partner.getOutput().getLength() > 0) {
                        // We still have to flush data from the other side, but when that's done,
                        // close the other side.
                        partner.setCallbacks(null, this::closeOnFinishedWritecb, (b, w) -> eventcb(b, w, null));
                        partner.disable(Bufferevent.EV_READ);
                    } else {
                        // We have nothing left to say to the other side; close it.
                        closeSide(partner);
                    }
                }
                free(bev);
            }
        }

        /**
         * C {@code bufferevent_free(partner)} for the side we close: a TLS side first sends
         * close_notify (and the output still held) and is freed when that is done. The C
         * program frees at once, which the TLS peer sees as a truncation.
         */
        void closeSide(Bufferevent bev) {
            if (bev instanceof SslBufferevent s && !s.isShuttingDown() && s.getSslErrors().isEmpty()
                    && !s.isHandshaking()) {
                s.setCallbacks(null, null, (b, w) -> {
                    if ((w & Bufferevent.BEV_EVENT_TIMEOUT) != 0) {
                        LOG.debug("connection {}: close_notify to the upstream not flushed in time", id);
                    }
                    free(b);
                });
                s.shutdown(Duration.ZERO);
                return;
            }
            free(bev);
        }

        void free(Bufferevent bev) {
            bev.free();
            if (bIn.isFreed() && bOut.isFreed() && conns.remove(this)) {
                connecting.cancel();
                cap.release();
            }
        }

        /** The upstream did not connect (or finish its TLS handshake) in time: both sides go. */
        void connectExpired() {
            end("upstream not connected " + Limits.describe(connectTimeout) + " after the accept");
            free(bIn);
            free(bOut);
        }

        void end(String reason) {
            if (ended) {
                return;
            }
            ended = true;
            LOG.info("connection {} from {} ended: {} ({} bytes to the upstream, {} back, {} ms)", id, peer, reason, up,
                    down, (System.nanoTime() - started) / 1_000_000);
        }
    }

    // ------------------------------------------------------------------ accept and main

    /**
     * C {@code accept_cb}. Over {@code --max-connections} the connection is reset instead. If
     * setting up either side fails, whatever was made is freed and the accepted channel closed
     * (le-proxy.c leaks the accepted bufferevent there; in Java that is a descriptor held until
     * the process ends, as a client that is never read never sees its own close noticed).
     */
    private void acceptCb(EvConnListener listener, SocketChannel fd, SocketAddress a) {
        if (!cap.tryAcquire()) {
            cap.refuse(fd, a);
            return;
        }
        Conn c = new Conn(a);
        Bufferevent bIn = null;
        Bufferevent bOut = null;
        try {
            // Create two linked bufferevent objects: one to connect, one for the new connection.
            bIn = Bufferevent.socket(base, fd, BEV_OPTS);
            if (sslCtx == null || useWrapper) {
                bOut = Bufferevent.socket(base, null, BEV_OPTS);
            } else {
                bOut = ServerSupport.withEngine(newEngine(),
                        engine -> SslBufferevent.socket(base, null, engine, SslState.CONNECTING, BEV_OPTS));
            }
            // bufferevent_socket_connect: a failure to connect comes later, as an event
            if (bOut instanceof SslBufferevent s) {
                s.connect(connectToAddr);
            } else {
                ((SocketBufferevent) bOut).connect(connectToAddr);
            }
            if (sslCtx != null && useWrapper) {
                Bufferevent under = bOut;
                bOut = ServerSupport.withEngine(newEngine(),
                        engine -> SslBufferevent.filter(base, under, engine, SslState.CONNECTING, BEV_OPTS));
            }
        } catch (RuntimeException e) {
            cap.setupFailed(a, e);
            if (bOut != null) {
                bOut.free();
            }
            if (bIn != null) {
                bIn.free();
            } else {
                ConnectionCap.closeWithReset(fd);
            }
            cap.release();
            return;
        }

        c.bIn = bIn;
        c.bOut = bOut;
        conns.add(c);
        Bufferevent in = bIn;
        Bufferevent upstream = bOut;
        bIn.setCallbacks(b -> c.readcb(b, upstream), null, (b, w) -> c.eventcb(b, w, upstream));
        bOut.setCallbacks(b -> c.readcb(b, in), null, (b, w) -> c.eventcb(b, w, in));

        if (idleTimeout != null) {
            bIn.setTimeouts(idleTimeout, idleTimeout);
            bOut.setTimeouts(idleTimeout, idleTimeout);
        }
        c.connecting = SetupDeadline.arm(base, connectTimeout, c::connectExpired);
        bIn.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        bOut.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        LOG.debug("connection {} from {}: relaying to {}", c.id, a, connectToAddr);
    }

    /** C {@code SSL_new(ssl_ctx)}. */
    private javax.net.ssl.SSLEngine newEngine() {
        return sslCtx.newClientEngine(connectToHost, connectToAddr.getPort());
    }

    /** C {@code main}. */
    private int main(Opts opts) {
        useWrapper = !opts.has("-W");
        boolean useSsl = opts.has("-s");
        InetSocketAddress listenOnAddr;
        try {
            listenOnAddr = parseListenAddr(opts.positionals().get(0));
            connectToAddr = parseSockaddrPort(opts.positionals().get(1));
        } catch (IllegalArgumentException e) {
            out.println("le-proxy: " + e.getMessage()); // a name that no longer resolves
            return 1;
        }
        connectToHost = hostOf(opts.positionals().get(1));
        idleTimeout = Limits.seconds(opts, "--timeout", DEFAULT_TIMEOUT_SECONDS);
        connectTimeout = Limits.seconds(opts, "--connect-timeout", DEFAULT_CONNECT_TIMEOUT_SECONDS);
        maxOutput = Limits.highWater(opts, MAX_OUTPUT);
        cap = new ConnectionCap(Limits.maxConnections(opts), LOG);

        if (useSsl) {
            try {
                SslContexts.Builder b = SslContexts.forClient();
                if (opts.has("--cafile")) {
                    b.trustPem(Path.of(opts.get("--cafile", null)));
                } else {
                    b.trustAllInsecure(); // as le-proxy.c: SSL_CTX_new(TLS_method()), no verification
                }
                sslCtx = b.build();
            } catch (Exception e) {
                out.println("le-proxy: TLS setup failed: " + e.getMessage());
                return 1;
            }
        }

        base = new EventBase();
        EvConnListener listener;
        try {
            listener = EvConnListener.newBind(base, this::acceptCb, EvConnListener.LEV_OPT_CLOSE_ON_FREE
                    | EvConnListener.LEV_OPT_CLOSE_ON_EXEC | EvConnListener.LEV_OPT_REUSEABLE, Limits.backlog(opts),
                    listenOnAddr);
            listener.setErrorCallback(cap::acceptFailed);
        } catch (IOException | RuntimeException e) {
            out.println("Couldn't open listener: " + e);
            base.free();
            return 1;
        }

        // Not in C: SIGINT and SIGTERM end the loop; what is still open is closed below.
        StopSignals signals = StopSignals.exitLoop(base, LOG, conns::size);

        ServerSupport.printListening(out, listener, "le-proxy: cannot read the bound address: ");
        LOG.info("relaying to {} ({}); idle timeout {}, connect deadline {}, high water {}, at most {} connections",
                connectToAddr, !useSsl ? "plaintext"
                        : (useWrapper ? "TLS filter" : "TLS socket") + ", " + (opts.has("--cafile") ? "verified"
                                : "certificate NOT verified"), Limits.describe(idleTimeout),
                Limits.describe(connectTimeout), Limits.bytes(maxOutput), cap.max());
        // Two sockets per connection, and with TLS upstream (Conscrypt) the engine's pipe.
        cap.checkDescriptorBudget(useSsl && sslCtx.provider() == SslProvider.CONSCRYPT ? 4 : 2,
                Limits.MAX_CONNECTIONS);

        base.dispatch();

        for (Conn c : new ArrayList<>(conns)) {
            c.end("proxy shutdown");
            c.free(c.bIn);
            c.free(c.bOut);
        }
        listener.free();
        signals.free();
        base.free(); // restores the JVM's signal handlers
        out.println("le-proxy: stopped");
        out.flush();
        return 0;
    }

    // ------------------------------------------------------------------ addresses

    /**
     * C: {@code evutil_parse_sockaddr_port(argv[i], ...)}, and if that fails {@code atoi}: a bare
     * port means 127.0.0.1.
     */
    static InetSocketAddress parseListenAddr(String s) {
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
            int p = parsePort(s, s);
            if (p < 1) {
                throw new IllegalArgumentException("bad port in '" + s + "'");
            }
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), p);
        }
        return parseSockaddrPort(s);
    }

    /** {@code evutil_parse_sockaddr_port}: {@code HOST:PORT}, {@code [IPv6]:PORT}, or a host alone (port 0). */
    static InetSocketAddress parseSockaddrPort(String s) {
        String host = hostOf(s);
        String port = portOf(s);
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port == null ? 0 : parsePort(port, s));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve '" + host + "' in '" + s + "'");
        }
    }

    static String hostOf(String s) {
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("no ']' in '" + s + "'");
            }
            return s.substring(1, close);
        }
        int colon = s.indexOf(':');
        // More than one colon and no brackets: an IPv6 address without a port.
        return colon < 0 || s.indexOf(':', colon + 1) >= 0 ? s : s.substring(0, colon);
    }

    private static String portOf(String s) {
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            return close + 1 < s.length() && s.charAt(close + 1) == ':' ? s.substring(close + 2) : null;
        }
        int colon = s.indexOf(':');
        return colon < 0 || s.indexOf(':', colon + 1) >= 0 ? null : s.substring(colon + 1);
    }

    private static int parsePort(String p, String whole) {
        try {
            int n = Integer.parseInt(p);
            if (n < 0 || n > 65535) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + whole + "'");
        }
    }
}
