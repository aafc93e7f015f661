package org.jevent.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;
import org.jevent.eventbase.EvConnListener;
import org.jevent.eventbase.EventBase;
import org.jevent.examples.ServerSupport.StopSignals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TLS-terminating proxy for PostgreSQL: it speaks the server's side of the startup protocol
 * (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage) to clients, upgrades each client
 * connection to TLS in place when asked, and only then connects to the real server, in
 * plaintext or, with {@code --upstream-tls}, through its own SSLRequest and TLS upgrade. The
 * per-connection logic is in {@link PgSession}, the relay in {@link PgRelay}, the wire format in
 * {@link PgWire}.
 *
 * <p>One event base on one thread carries every connection (the proxy does no work per byte
 * that would need more). SIGINT and SIGTERM make the loop exit; open connections are then
 * closed and logged as {@code proxy shutdown}, and the program exits 0.
 *
 * <p>Bounded by default (issue 11): at most {@code --max-connections} sessions ({@link
 * ConnectionCap}), a {@code --backlog}, a {@code --startup-timeout} from the accept to the start
 * of relaying that trickled bytes cannot move (it covers the client's TLS handshake), a relay
 * {@code --idle-timeout}, and {@code --high-water} bytes at most waiting for either side
 * ({@link PgRelay}; below a TLS side the TLS layer lets at most 64 KiB of ciphertext wait).
 */
final class PgTlsProxy {
    static final String SUMMARY = "PostgreSQL TLS-terminating proxy (SSLRequest upgrade in place)";
    private static final String USAGE = String.join("\n",
            "usage: pg-tls-proxy --listen H:P --upstream H:P [--upstream-tls [--upstream-cafile PEM]]",
            "                    [--cert PEM --key PEM] [--provider conscrypt|jdk|tcnative] [--require-tls]",
            "                    [--startup-timeout S] [--idle-timeout S] [--max-connections N]",
            "                    [--backlog N] [--high-water BYTES]",
            "  --listen H:P          address to accept PostgreSQL clients on (port 0 picks a free one)",
            "  --upstream H:P        the PostgreSQL server to relay to",
            "  --upstream-tls        send an SSLRequest upstream and speak TLS to the server; an 'N'",
            "                        answer ends the client connection with an ErrorResponse",
            "  --upstream-cafile PEM verify the upstream certificate against these CA certificates",
            "                        and the --upstream host name. WITHOUT IT THE UPSTREAM CERTIFICATE",
            "                        IS NOT VERIFIED (like sslmode=require): the link is encrypted but",
            "                        not authenticated",
            "  --cert PEM            certificate chain (PEM) shown to clients, with --key",
            "  --key PEM             private key (PKCS#8 PEM), with --cert; without both a throw-away",
            "                        self-signed certificate is used",
            "  --provider P          TLS provider: conscrypt (default), jdk or tcnative",
            "  --require-tls         refuse clients that send a StartupMessage without TLS first",
            "                        (a CancelRequest is still relayed, as the server does)",
            "  --startup-timeout S   a client must have finished its startup (first message, TLS",
            "                        handshake, upstream connect) S seconds after the accept, however",
            "                        it paces its bytes, like the server's authentication_timeout",
            "                        (default 30; 0: only the 30 s limit on each silent step)",
            "  --idle-timeout S      end a relayed session after S seconds without a byte in either",
            "                        direction, checked once per period (default 3600; 0: never, for",
            "                        sessions that may stay silent longer, such as LISTEN)",
            Limits.usageConnections(),
            Limits.usageHighWater("the other side's output", PgRelay.MAX_OUTPUT),
            "Client data sent in plaintext after an SSLRequest, before the TLS handshake, is refused",
            "and never relayed; the upstream is connected only after the client's TLS handshake.",
            "Prints 'listening on HOST:PORT' once accepting; logs each connection's end and its",
            "reason; SIGINT or SIGTERM stops it cleanly (exit 0).");

    private static final Logger LOG = LoggerFactory.getLogger(PgTlsProxy.class);
    static final double DEFAULT_STARTUP_SECONDS = 30;
    static final double DEFAULT_IDLE_SECONDS = 3600;

    private final PrintStream out;
    private final EventBase base = new EventBase();
    private final Set<PgSession> sessions = new LinkedHashSet<>();
    private SslContexts serverTls;
    private SslContexts upstreamTls;
    private InetSocketAddress upstreamAddress;
    private boolean requireTls;
    private Duration startupTimeout;
    private Duration idleTimeout;
    private long highWater;
    private ConnectionCap cap;

    private PgTlsProxy(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return Opts.runExample("pg-tls-proxy", USAGE, args, out,
                o -> o.flag("--upstream-tls", "--require-tls")
                        .value("--listen", "--upstream", "--upstream-cafile", "--cert", "--key", "--provider",
                                "--startup-timeout", "--idle-timeout", Limits.MAX_CONNECTIONS, Limits.BACKLOG,
                                Limits.HIGH_WATER),
                o -> {
                    if (!o.has("--listen") || !o.has("--upstream")) {
                        throw new IllegalArgumentException("--listen and --upstream are required");
                    }
                    if (o.has("--cert") != o.has("--key")) {
                        throw new IllegalArgumentException("--cert and --key go together");
                    }
                    if (o.has("--upstream-cafile") && !o.has("--upstream-tls")) {
                        throw new IllegalArgumentException("--upstream-cafile needs --upstream-tls");
                    }
                    hostPort("--listen", o.get("--listen", null));
                    hostPort("--upstream", o.get("--upstream", null));
                    ServerSupport.provider(o);
                    Limits.seconds(o, "--startup-timeout", DEFAULT_STARTUP_SECONDS);
                    Limits.seconds(o, "--idle-timeout", DEFAULT_IDLE_SECONDS);
                    Limits.maxConnections(o);
                    Limits.backlog(o);
                    Limits.highWater(o, PgRelay.MAX_OUTPUT);
                },
                o -> new PgTlsProxy(out).main(o));
    }

    // ------------------------------------------------------------ what sessions ask for

    SslContexts serverTls() {
        return serverTls;
    }

    /** The client context for the upstream leg, or null without {@code --upstream-tls}. */
    SslContexts upstreamTls() {
        return upstreamTls;
    }

    InetSocketAddress upstreamAddress() {
        return upstreamAddress;
    }

    boolean requireTls() {
        return requireTls;
    }

    /** From the accept to relaying; null for none. */
    Duration startupTimeout() {
        return startupTimeout;
    }

    /** A relay with no byte either way this long ends; null for never. */
    Duration idleTimeout() {
        return idleTimeout;
    }

    long highWater() {
        return highWater;
    }

    /** A session ended: it no longer counts, and its slot is free. */
    void forget(PgSession s) {
        if (sessions.remove(s)) {
            cap.release();
        }
    }

    // ------------------------------------------------------------ main

    private int main(Opts opts) {
        requireTls = opts.has("--require-tls");
        startupTimeout = Limits.seconds(opts, "--startup-timeout", DEFAULT_STARTUP_SECONDS);
        idleTimeout = Limits.seconds(opts, "--idle-timeout", DEFAULT_IDLE_SECONDS);
        highWater = Limits.highWater(opts, PgRelay.MAX_OUTPUT);
        cap = new ConnectionCap(Limits.maxConnections(opts), LOG);
        String[] listen = hostPort("--listen", opts.get("--listen", null));
        String[] up = hostPort("--upstream", opts.get("--upstream", null));
        upstreamAddress = new InetSocketAddress(up[0], Integer.parseInt(up[1]));
        if (upstreamAddress.isUnresolved()) {
            out.println("pg-tls-proxy: cannot resolve upstream host '" + up[0] + "'");
            base.free();
            return 1;
        }
        try {
            serverTls = ServerSupport.serverContext(opts);
            if (opts.has("--upstream-tls")) {
                upstreamTls = upstreamContext(opts);
            }
        } catch (Exception e) {
            out.println("pg-tls-proxy: TLS setup failed: " + e.getMessage());
            base.free();
            return 1;
        }
        EvConnListener listener;
        InetSocketAddress address = new InetSocketAddress(listen[0], Integer.parseInt(listen[1]));
        try {
            listener = EvConnListener.newBind(base, this::accept,
                    EvConnListener.LEV_OPT_CLOSE_ON_FREE | EvConnListener.LEV_OPT_REUSEABLE, Limits.backlog(opts), address);
            listener.setErrorCallback(cap::acceptFailed);
            address = (InetSocketAddress) listener.getLocalAddress(); // port 0: the real one
        } catch (IOException | RuntimeException e) {
            out.println("pg-tls-proxy: cannot listen on " + listen[0] + ":" + listen[1] + ": " + e);
            base.free();
            return 1;
        }
        StopSignals signals = StopSignals.exitLoop(base, LOG, sessions::size);

        ServerSupport.printListening(out, address);
        LOG.info("relaying to {} ({}), clients: TLS {}{}", PgSession.hostPort(upstreamAddress),
                upstreamTls == null ? "plaintext"
                        : opts.has("--upstream-cafile") ? "TLS, certificate verified" : "TLS, certificate NOT verified",
                serverTls.provider(), requireTls ? " required" : " or plaintext");
        LOG.info("startup deadline {}, relay idle timeout {}, high water {}, at most {} sessions",
                Limits.describe(startupTimeout), Limits.describe(idleTimeout), Limits.bytes(highWater), cap.max());
        // Two sockets, and with Conscrypt an engine's pipe for each TLS side.
        boolean conscrypt = serverTls.provider() == SslProvider.CONSCRYPT;
        cap.checkDescriptorBudget(2 + (conscrypt ? 2 : 0) + (conscrypt && upstreamTls != null ? 2 : 0),
                Limits.MAX_CONNECTIONS);
        try {
            base.dispatch();
        } finally {
            listener.free();
            for (PgSession s : new ArrayList<>(sessions)) {
                s.shutdown();
            }
            signals.free();
            base.free(); // restores the JVM's signal handlers
        }
        out.println("pg-tls-proxy: stopped");
        out.flush();
        return 0;
    }

    /**
     * {@code listener_cb}: every connection starts as a plaintext session; over
     * {@code --max-connections} it is reset instead.
     */
    private void accept(EvConnListener lev, SocketChannel channel, SocketAddress peer) {
        if (!cap.tryAcquire()) {
            cap.refuse(channel, peer);
            return;
        }
        try {
            sessions.add(new PgSession(this, base, channel, peer));
        } catch (RuntimeException e) {
            cap.release();
            ConnectionCap.closeWithReset(channel);
            cap.setupFailed(peer, e);
        }
    }

    // ------------------------------------------------------------ options

    private static SslContexts upstreamContext(Opts opts) throws Exception {
        SslContexts.Builder b = SslContexts.forClient().provider(ServerSupport.provider(opts));
        if (opts.has("--upstream-cafile")) {
            b.trustPem(Path.of(opts.get("--upstream-cafile", null))); // chain and host name checked
        } else {
            b.trustAllInsecure(); // what --help warns about: encrypted, not authenticated
        }
        return b.build();
    }

    /** Splits {@code H:P} (or {@code [v6]:P}); a usage error if malformed. */
    static String[] hostPort(String option, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException(option + " wants HOST:PORT, not '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " wants a numeric port, not '" + value + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(option + " port out of range: " + port);
        }
        return new String[] {host, Integer.toString(port)};
    }
}
