package org.jevent.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import jdk.net.ExtendedSocketOptions;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.StreamBufferevent;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslError;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/**
 * Port of libevent master's {@code sample/becat.c}
 * (https://github.com/libevent/libevent/blob/master/sample/becat.c): netcat over bufferevents.
 * It connects (or, with {@code -l}, listens and accepts), then copies stdin to the connection and
 * the connection to stdout, optionally over TLS ({@code -S}).
 *
 * <p>The functions keep the C names and order, camelCased: {@code info}, {@code error},
 * {@code beFree}, {@code beNew}, {@code beSetTimeout}, {@code sslCtxInit}, {@code parseOpts},
 * {@code doTerm}, {@code makeAddress}, {@code beSslErrors}, {@code eventCb} (C's
 * {@code event_cb_}), {@code readCb}, {@code writeCb}, {@code serverEventCb}, {@code acceptCb},
 * {@code clientEventCb}, {@code inEventCb}, {@code triggerBevWriteCb}, {@code main}; the
 * structs {@code options} and {@code context} are {@link Options} and the fields of this class.
 * The option letters are becat.c's: {@code -p -s -l -k -K -S -t -T -b -v -h}.
 *
 * <p><b>Stdin.</b> C makes {@code ctx->in} a socket bufferevent on fd 0. Java's stdin is a
 * blocking {@link InputStream}, not a {@code SelectableChannel}, so the selector cannot watch it;
 * {@code ctx.in} is a {@link Bufferevent#stream} bufferevent instead, whose reader thread hands
 * what it reads to the loop. It calls back exactly as the socket would: its read callback
 * ({@code triggerBevWriteCb}) and, at end of stdin, EOF to {@code inEventCb}. Its read high
 * watermark keeps the thread at most {@link #STDIN_AHEAD} bytes ahead of the connection.
 *
 * <p>What differs from the C program, and why:
 * <ul>
 * <li>TLS options becat.c lacks (it always generates an RSA key and a self-signed certificate
 * and verifies nothing): {@code --cert}/{@code --key} give our certificate, {@code --cafile}
 * turns verification on. Without {@code --cafile} nothing is verified, as in becat.c, and
 * {@code --help} says so. The generated certificate is EC P-256 from
 * {@link SelfSignedCertificate} (RSA-4096 generation takes seconds).</li>
 * <li>End of stdin lets what stdin sent leave before the connection closes (TLS: with
 * close_notify, waiting up to a second for the peer's, its data still going to stdout); C frees
 * the connection at once, dropping bytes not yet written.</li>
 * <li>{@code -s ADDR} uses its argument (C's getopt case ignores {@code optarg} and always
 * takes 127.1). {@code -p}/{@code -s} set the listening address with {@code -l} and are
 * ignored when connecting, as in C.</li>
 * <li>With {@code -k} a connection arriving while one is served is refused with a message (C
 * asserts: "TODO: support multiple bevs").</li>
 * <li>Diagnostics go to stderr (C's {@code info} writes to stdout, mixing with the data), and
 * {@code listening on HOST:PORT} is printed after binding, always, so that port 0 is usable.</li>
 * <li>SIGTERM stops it like SIGINT. Exit status 1 when the connection ended with an error or a
 * timeout (C exits 0 whenever the loop ran).</li>
 * <li>Bounded as a listener (issue 11), where C is not: {@code -t} and {@code -T} default to
 * 300 s with {@code -l} (0, none, when connecting, as in C); a TLS listener's handshake must
 * finish {@code --handshake-timeout} after the accept, however the client paces it; connections
 * refused under {@code -k} are reset and reported at a limited rate; {@code --backlog}. What
 * waits for the peer is already bounded: stdin is read at most {@link #STDIN_AHEAD} bytes ahead
 * of the connection, and the connection is read only as fast as stdout takes it.</li>
 * </ul>
 */
final class Becat {
    static final String SUMMARY = "port of sample/becat.c: netcat over bufferevents (connect or -l), optional TLS";
    private static final String USAGE = String.join("\n",
            "usage: becat [ OPTS ] [hostname] [port]",
            "",
            "ncat like utility: stdin goes to the connection, the connection to stdout",
            "",
            "  -p PORT  port to listen on with -l (default 10024)",
            "  -s ADDR  address to listen on with -l (default 127.0.0.1)",
            "  -l       bind and listen for incoming connections",
            "  -k       accept multiple connections in listen mode (one at a time)",
            "  -K S     TCP_KEEPALIVE timeout (seconds)",
            "  -S       connect or listen with SSL",
            "  -t S     read timeout (seconds; 0: none; default 0, with -l 300)",
            "  -T S     write timeout (seconds; 0: none; default 0, with -l 300)",
            "  -b N     read buffer size (largest single read)",
            "",
            "  -v       increase verbosity",
            "  -h       print usage",
            "",
            "Listener limits (not in becat.c):",
            "  --backlog N  listen backlog (default " + Limits.DEFAULT_BACKLOG + "); one connection is served at a",
            "               time, others are reset (with -k) and reported at a limited rate",
            "  --handshake-timeout S  with -l -S: close a connection whose TLS handshake has not",
            "               finished S seconds after the accept, however it trickles its bytes",
            "               (default " + (int) Limits.DEFAULT_HANDSHAKE_SECONDS + "; 0: none)",
            "",
            "TLS options (not in becat.c):",
            "  --cert PEM --key PEM  our certificate chain and PKCS#8 key; by default a listener",
            "                        presents a throw-away self-signed certificate (as becat.c)",
            "                        and a client none",
            "  --cafile PEM          verify the peer against these CA certificates: a client checks",
            "                        the server's chain and its name against [hostname]; a listener",
            "                        requires a client certificate. WITHOUT --cafile NOTHING IS",
            "                        VERIFIED (as becat.c): anyone on the path can pose as the peer",
            "",
            "Connects to [hostname] [port] (default 127.0.0.1 10024). Diagnostics go to stderr,",
            "with -l 'listening on HOST:PORT' once bound (-p 0: a free port). Ends at the end of",
            "stdin (after sending it), when the connection ends (unless -k), or on SIGINT/SIGTERM.",
            "Exit status 0, or 1 if the connection failed.");

    /** becat.c's default ports ({@code o.src.port = o.dst.port = 10024}). */
    static final int DEFAULT_PORT = 10024;
    /** becat.c's default addresses, {@code "127.1"}. */
    static final String DEFAULT_ADDRESS = "127.0.0.1";
    /** -t and -T with -l when not given: a listener should not wait for a silent peer forever. */
    static final int LISTEN_TIMEOUT_SECONDS = 300;
    /** How far the stdin thread may read ahead of the connection. */
    static final int STDIN_AHEAD = 1 << 20;

    /** C {@code struct options}. */
    static final class Options {
        String srcAddress = DEFAULT_ADDRESS;
        int srcPort = DEFAULT_PORT;
        String dstAddress = DEFAULT_ADDRESS;
        int dstPort = DEFAULT_PORT;
        int maxRead = -1;
        int timeoutRead; // seconds
        int timeoutWrite; // seconds
        int tcpKeepaliveTimeout; // seconds
        boolean listen;
        boolean keep;
        boolean ssl;
        Path cert;
        Path key;
        Path cafile;
        int backlog = Limits.DEFAULT_BACKLOG;
        /** With -l -S; null for none. */
        Duration handshakeTimeout;
    }

    private final PrintStream fout; // C ctx->fout: the connection's bytes go here (stdout)
    private final PrintStream err = System.err;
    private final InputStream stdin;
    private int verbose;

    // C struct context
    private Options opts;
    private SslContexts ssl;
    private StreamBufferevent in;
    private Bufferevent out;

    private EventBase base;
    private boolean failed;
    private final byte[] scratch = new byte[16 * 1024];
    /** The accepted connection's TLS handshake deadline (-l -S). */
    private SetupDeadline handshake;
    /** Connections refused while one is served (-k), reported at a limited rate. */
    private final RateLimitedWarning refusals = new RateLimitedWarning(m -> error("%s\n", m),
            "already serving a connection, connections refused");

    private Becat(PrintStream fout, InputStream stdin) {
        this.fout = fout;
        this.stdin = stdin;
    }

    static int run(String[] args, PrintStream out) {
        Options[] parsed = new Options[1];
        return Opts.runExample("becat", USAGE, args, out,
                o -> o.value("-p", "-s", "-b", "-t", "-T", "-K", "--cert", "--key", "--cafile", Limits.BACKLOG,
                        Limits.HANDSHAKE_TIMEOUT)
                        .flag("-l", "-k", "-S", "-v").positional("hostname", "port"),
                o -> parsed[0] = parseOpts(o),
                o -> {
                    Becat b = new Becat(out, System.in);
                    b.verbose = o.count("-v");
                    return b.main(parsed[0]);
                });
    }

    // ------------------------------------------------------------------ info, error, be_*

    private void info(String fmt, Object... args) {
        if (verbose == 0) {
            return;
        }
        err.printf(fmt, args);
        err.flush();
    }

    private void error(String fmt, Object... args) {
        err.printf(fmt, args);
        err.flush();
    }

    /** C {@code be_free}: frees and forgets; the caller clears its own reference. */
    private void beFree(Bufferevent bev) {
        if (bev == null) {
            return;
        }
        info("Freeing bufferevent %s\n", bev);
        bev.free();
    }

    /** C {@code be_new}: accepting if given a channel, else connecting; TLS with -S. */
    private Bufferevent beNew(EventBase base, SocketChannel fd) {
        Bufferevent bev;
        int flags = Bufferevent.BEV_OPT_CLOSE_ON_FREE;
        SslState state = fd != null ? SslState.ACCEPTING : SslState.CONNECTING;

        if (opts.ssl) {
            SSLEngine engine = state == SslState.ACCEPTING ? ssl.newServerEngine()
                    : ssl.newClientEngine(opts.dstAddress, opts.dstPort);
            bev = ServerSupport.withEngine(engine, e -> SslBufferevent.socket(base, fd, e, state, flags));
        } else {
            bev = Bufferevent.socket(base, fd, flags);
        }
        if (opts.maxRead != -1) {
            bev.setMaxSingleRead(opts.maxRead);
        }
        return bev;
    }

    /** C {@code be_set_timeout}: 0 means none, as a zero timeval does in libevent. */
    private void beSetTimeout(Bufferevent bev, Options o) {
        info("Set timeout to (read=%d, write=%d)\n", o.timeoutRead, o.timeoutWrite);
        bev.setTimeouts(Duration.ofSeconds(o.timeoutRead), Duration.ofSeconds(o.timeoutWrite));
    }

    /**
     * C {@code ssl_ctx_init} with {@code ssl_load_key}/{@code ssl_load_cert}: C generates a key
     * and a self-signed certificate and verifies nothing; here the certificate may come from
     * files and {@code --cafile} verifies the peer.
     */
    private SslContexts sslCtxInit(Options o) throws Exception {
        SslContexts.Builder b;
        if (o.listen) {
            b = o.cert != null ? SslContexts.forServer(o.cert, o.key) : SslContexts.forServer(SelfSignedCertificate.generate());
            if (o.cafile != null) {
                b.trustPem(o.cafile).clientAuth(SslContexts.ClientAuth.NEED);
            }
        } else {
            b = SslContexts.forClient();
            if (o.cert != null) {
                b.identity(o.cert, o.key);
            }
            if (o.cafile != null) {
                b.trustPem(o.cafile);
            } else {
                b.trustAllInsecure(); // as becat.c: no SSL_CTX_set_verify
            }
        }
        return b.build();
    }

    /** C {@code parse_opts}; a usage error is an {@link IllegalArgumentException}. */
    static Options parseOpts(Opts o) {
        Options r = new Options();
        r.srcPort = port(o, "-p", r.srcPort);
        r.srcAddress = o.get("-s", r.srcAddress);
        r.maxRead = o.has("-b") ? positive(o, "-b") : -1;
        r.listen = o.has("-l");
        r.ssl = o.has("-S");
        int timeoutDefault = r.listen ? LISTEN_TIMEOUT_SECONDS : 0;
        r.timeoutRead = o.has("-t") ? nonNegative(o, "-t") : timeoutDefault;
        r.timeoutWrite = o.has("-T") ? nonNegative(o, "-T") : timeoutDefault;
        r.tcpKeepaliveTimeout = nonNegative(o, "-K");
        if (o.has(Limits.BACKLOG) && !r.listen) {
            throw new IllegalArgumentException(Limits.BACKLOG + " goes with -l");
        }
        if (o.has(Limits.HANDSHAKE_TIMEOUT) && !(r.listen && r.ssl)) {
            throw new IllegalArgumentException(Limits.HANDSHAKE_TIMEOUT + " goes with -l -S");
        }
        r.backlog = Limits.backlog(o);
        r.handshakeTimeout = Limits.seconds(o, Limits.HANDSHAKE_TIMEOUT, Limits.DEFAULT_HANDSHAKE_SECONDS);
        r.keep = o.has("-k");
        if (o.has("--cert") != o.has("--key")) {
            throw new IllegalArgumentException("--cert and --key go together");
        }
        if ((o.has("--cert") || o.has("--cafile")) && !r.ssl) {
            throw new IllegalArgumentException("--cert, --key and --cafile go with -S");
        }
        r.cert = o.has("--cert") ? Path.of(o.get("--cert", null)) : null;
        r.key = o.has("--key") ? Path.of(o.get("--key", null)) : null;
        r.cafile = o.has("--cafile") ? Path.of(o.get("--cafile", null)) : null;
        if (o.positionals().size() > 0) {
            r.dstAddress = o.positionals().get(0);
        }
        if (o.positionals().size() > 1) {
            String p = o.positionals().get(1);
            try {
                r.dstPort = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port wants a number, not '" + p + "'");
            }
            if (r.dstPort < 1 || r.dstPort > 65535) {
                throw new IllegalArgumentException("port out of range: " + p);
            }
        }
        return r;
    }

    private static int port(Opts o, String name, int dflt) {
        int p = o.getInt(name, dflt);
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("option " + name + ": port out of range: " + p);
        }
        return p;
    }

    private static int nonNegative(Opts o, String name) {
        int v = o.getInt(name, 0);
        if (v < 0) {
            throw new IllegalArgumentException("option " + name + " must not be negative");
        }
        return v;
    }

    private static int positive(Opts o, String name) {
        int v = o.getInt(name, 0);
        if (v < 1) {
            throw new IllegalArgumentException("option " + name + " must be positive");
        }
        return v;
    }

    /** C {@code do_term}. */
    private void doTerm(String signal) {
        base.loopExit();
        error("%s signal received. Terminating\n", signal);
    }

    /** C {@code make_address}: resolves; null where C returns 0. */
    private static InetSocketAddress makeAddress(String address, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(address), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** C {@code be_ssl_errors}: the queued TLS errors, oldest first. */
    private void beSslErrors(Bufferevent bev) {
        if (bev instanceof SslBufferevent s) {
            SslError e;
            while ((e = s.getSslError()) != null) {
                error("ssl/err: %s\n", e.describe());
            }
        }
    }

    /**
     * C {@code event_cb_}: returns false for CONNECTED (nothing to do), true when the connection
     * was terminated (and freed).
     */
    private boolean eventCb(Bufferevent bev, int what, boolean ssl, boolean stop) {
        if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
            if (bev instanceof SslBufferevent s) {
                info("Connected (%s %s)\n", s.getEngine().getSession().getProtocol(),
                        s.getEngine().getSession().getCipherSuite());
            } else {
                info("Connected\n");
            }
            return false;
        }
        // Read the reason before be_ssl_errors empties the queue it is found in.
        String reason = EndReason.of(bev, what);
        if ((what & (Bufferevent.BEV_EVENT_ERROR | Bufferevent.BEV_EVENT_TIMEOUT)) != 0) {
            failed = true;
        }
        if (ssl && (what & Bufferevent.BEV_EVENT_ERROR) != 0) {
            beSslErrors(bev);
        }

        if (stop) {
            base.loopExit();
        }

        error("Got 0x%x event (%s). Terminating connection\n", what, reason);
        beFree(bev);
        return true;
    }

    /** C {@code read_cb}: the connection's bytes to stdout (C: {@code evbuffer_write} to fd 1). */
    private void readCb(Bufferevent bev) {
        EvBuffer input = bev.getInput();
        int n;
        // A blocking write on the loop thread, as in C: stdout is the one consumer there is.
        while ((n = input.remove(scratch)) > 0) {
            fout.write(scratch, 0, n);
        }
        fout.flush();
        if (fout.checkError()) {
            error("Cannot write to stdout. Terminating\n");
            failed = true;
            base.loopExit();
        }
    }

    /** C {@code write_cb}: the connection's output drained; give it what stdin has sent since. */
    private void writeCb(Bufferevent bev) {
        if (in == null) {
            return;
        }
        long n = in.getInput().getLength();
        if (n > 0) {
            bev.writeBuffer(in.getInput()); // below its high watermark, stdin is read again
        }
    }

    /** C {@code server_event_cb}. */
    private void serverEventCb(Bufferevent bev, int what) {
        if (handshake != null) {
            handshake.cancel(); // connected, or ended: either way no more deadline
        }
        if (!eventCb(bev, what, opts.ssl, !opts.keep)) {
            return;
        }
        out = null;
    }

    /** C {@code accept_cb}. */
    private void acceptCb(EvConnListener listener, SocketChannel fd, SocketAddress sa) {
        Bufferevent bev;

        if (!opts.keep) {
            listener.disable();
        }
        if (out != null) {
            // C: EVUTIL_ASSERT(!ctx->out) ("TODO: support multiple bevs").
            ConnectionCap.closeWithReset(fd);
            refusals.hit(String.valueOf(sa));
            return;
        }

        info("Accepting %s\n", sa);
        setTcpKeepalive(fd, opts.tcpKeepaliveTimeout);

        try {
            bev = beNew(base, fd);
        } catch (RuntimeException e) {
            error("Cannot make bufferevent for %s: %s\n", sa, e);
            closeQuietly(fd);
            return;
        }

        bev.setCallbacks(this::readCb, this::writeCb, this::serverEventCb);
        bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        beSetTimeout(bev, opts);
        if (opts.ssl) {
            Bufferevent accepted = bev;
            handshake = SetupDeadline.arm(base, opts.handshakeTimeout, () -> handshakeExpired(accepted));
        }

        out = bev;

        if (in != null) {
            in.enable(Bufferevent.EV_READ);
        }
    }

    /** Not in C: the accepted connection's TLS handshake did not finish in time. */
    private void handshakeExpired(Bufferevent bev) {
        error("TLS handshake not finished %s after the accept. Terminating connection\n",
                Limits.describe(opts.handshakeTimeout));
        failed = true;
        if (!opts.keep) {
            base.loopExit();
        }
        beFree(bev);
        if (out == bev) {
            out = null;
        }
    }

    /** C {@code client_event_cb}. */
    private void clientEventCb(Bufferevent bev, int what) {
        if (!eventCb(bev, what, opts.ssl, true)) {
            return;
        }
        out = null;
    }

    /**
     * C {@code in_event_cb}: end of stdin. C terminates at once and frees {@code ctx->out};
     * here what stdin sent is first handed to the connection and flushed (TLS: then
     * close_notify), and the loop ends when that is done.
     */
    private void inEventCb(Bufferevent bev, int what) {
        info("Got 0x%x event on stdin. Terminating connection once flushed\n", what);
        Bufferevent o = out;
        if (o != null && bev.getInput().getLength() > 0) {
            o.writeBuffer(bev.getInput());
        }
        beFree(bev);
        in = null;
        if (o == null) {
            base.loopExit();
            return;
        }
        if (o instanceof SslBufferevent s) {
            // Keep reading until the peer's close_notify (at most a second): its last words still reach stdout.
            s.setCallbacks(this::readCb, null, (b, w) -> finishOut(b));
            s.shutdown(Duration.ofSeconds(1));
        } else {
            o.setCallbacks(this::readCb, b -> {
                if (b.getOutput().getLength() == 0) {
                    finishOut(b);
                }
            }, (b, w) -> {
                if (EndReason.isEnd(w)) {
                    finishOut(b);
                }
            });
            o.trigger(Bufferevent.EV_WRITE, 0); // already empty: done now
        }
    }

    private void finishOut(Bufferevent b) {
        beFree(b);
        if (out == b) {
            out = null;
        }
        base.loopExit();
    }

    /** C {@code trigger_bev_write_cb}: stdin sent something; the connection's write callback takes it if it can. */
    private void triggerBevWriteCb(Bufferevent bev) {
        if (out == null) {
            return;
        }
        out.trigger(Bufferevent.EV_WRITE, 0);
    }

    // ------------------------------------------------------------------ main

    /** C {@code main}. */
    private int main(Options o) {
        EvConnListener listener = null;
        Bufferevent bev = null;
        InetSocketAddress sa;
        int ret = 0;
        opts = o;

        base = new EventBase();
        Event term = Event.signal(base, "INT", (ev, what) -> doTerm("Interrupt"));
        term.add();
        // Not in C: SIGTERM too.
        Event term2 = Event.signal(base, "TERM", (ev, what) -> doTerm("Terminated"));
        term2.add();

        try {
            if (o.ssl) {
                try {
                    ssl = sslCtxInit(o);
                } catch (Exception e) {
                    error("Cannot set up TLS: %s\n", e.getMessage());
                    return ret = 1;
                }
            }

            if (o.listen) {
                int flags = EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_CLOSE_ON_EXEC
                        | EvConnListener.LEV_OPT_REUSEABLE;
                sa = makeAddress(o.srcAddress, o.srcPort);
                if (sa == null) {
                    error("Cannot make address from %s:%d\n", o.srcAddress, o.srcPort);
                    return ret = 1;
                }
                try {
                    listener = EvConnListener.newBind(base, this::acceptCb, flags, o.backlog, sa);
                    InetSocketAddress bound = (InetSocketAddress) listener.getLocalAddress();
                    error("%s\n", ServerSupport.listeningOn(bound));
                } catch (IOException | RuntimeException e) {
                    error("Cannot listen: %s\n", e);
                    return ret = 1;
                }
                // The keepalive of -K is set on each accepted socket (Java has no SO_KEEPALIVE on
                // a listening channel; libevent sets it on the listener for the children to inherit).
            } else {
                sa = makeAddress(o.dstAddress, o.dstPort);
                if (sa == null) {
                    error("Cannot make address from %s:%d\n", o.dstAddress, o.dstPort);
                    return ret = 1;
                }
                info("Connecting to %s\n", sa);

                try {
                    bev = beNew(base, null);
                } catch (RuntimeException e) {
                    error("Cannot make bufferevent: %s\n", e);
                    return ret = 1;
                }

                bev.setCallbacks(this::readCb, this::writeCb, this::clientEventCb);
                bev.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
                beSetTimeout(bev, o);

                try {
                    if (bev instanceof SslBufferevent s) {
                        s.connect(sa);
                        setTcpKeepalive(s.getChannel(), o.tcpKeepaliveTimeout);
                    } else {
                        ((SocketBufferevent) bev).connect(sa);
                        setTcpKeepalive(((SocketBufferevent) bev).getChannel(), o.tcpKeepaliveTimeout);
                    }
                } catch (RuntimeException e) {
                    error("Connection failed: %s\n", e);
                    bev.free();
                    return ret = 1;
                }
            }

            out = bev;

            // ctx.in = bufferevent_socket_new(base, STDIN_FILENO, 0): a stream bufferevent
            // (see the class comment).
            in = Bufferevent.stream(base, stdin, null, 0);
            in.setWatermark(Bufferevent.EV_READ, 0, STDIN_AHEAD);
            if (o.maxRead != -1) {
                in.setMaxSingleRead(o.maxRead);
            }
            in.setCallbacks(this::triggerBevWriteCb, null, this::inEventCb);
            if (out != null) {
                in.enable(Bufferevent.EV_READ);
            }
            in.disable(Bufferevent.EV_WRITE);

            base.dispatch();
            ret = failed ? 1 : 0;
        } finally {
            term.free();
            term2.free();
            beFree(in);
            beFree(out);
            if (listener != null) {
                listener.free();
            }
            base.free();
        }
        return ret;
    }

    /** C {@code evutil_set_tcp_keepalive(fd, 1, timeout)}: nothing for 0, as in libevent. */
    private void setTcpKeepalive(SocketChannel fd, int timeout) {
        if (timeout <= 0 || fd == null) {
            return;
        }
        try {
            fd.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            fd.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, timeout);
            fd.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, Math.max(1, timeout / 3));
            fd.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 3);
        } catch (IOException | UnsupportedOperationException e) {
            info("Cannot set the TCP keepalive: %s\n", e);
        }
    }

    private static void closeQuietly(SocketChannel fd) {
        try {
            fd.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
