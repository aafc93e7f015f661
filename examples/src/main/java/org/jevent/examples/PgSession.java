package org.jevent.examples;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSession;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslState;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of {@link PgTlsProxy}, from its first byte to its end. The startup
 * phase follows the PostgreSQL server's own order:
 *
 * <ol>
 * <li>The client's first message is read in plaintext. GSSENCRequest is answered 'N' (the
 * client then sends another first message); SSLRequest is answered 'S' and the live connection
 * is upgraded in place by layering a TLS filter (ACCEPTING) on it; after the handshake the
 * client's first message is read again, now over TLS.</li>
 * <li>Only when a StartupMessage or CancelRequest has been read (over TLS, or in plaintext when
 * allowed) is the upstream connected; with {@code --upstream-tls} the proxy sends its own
 * SSLRequest there, expects 'S' and upgrades that connection (CONNECTING).</li>
 * <li>The buffered first message is sent upstream and {@link PgRelay} relays both ways.</li>
 * </ol>
 *
 * <p>Plaintext that the client sent after its SSLRequest, before the handshake, is never
 * relayed nor fed to the handshake (the bug class of CVE-2021-23214): if it is already here
 * when the SSLRequest is read, the connection is refused before 'S' is sent; if it comes later
 * the TLS layer sees it as a broken record and the handshake fails. Either way no upstream
 * connection is ever made, because that happens only after a message was read over TLS. The
 * mirror case upstream (bytes after the server's 'S', CVE-2021-23222) is refused too.
 */
final class PgSession {
    private static final Logger LOG = LoggerFactory.getLogger(PgTlsProxy.class);
    private static final AtomicLong IDS = new AtomicLong();
    /**
     * Bounds each step before relaying (first message, handshakes, upstream connect), as the
     * server's {@code authentication_timeout} does; a client that never finishes its startup
     * cannot hold a connection forever.
     */
    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    /** Where a session is; only the states before RELAY interpret bytes. */
    private enum State {
        FIRST_MESSAGE, CLIENT_HANDSHAKE, UPSTREAM_CONNECTING, UPSTREAM_SSL_ANSWER, UPSTREAM_HANDSHAKE, RELAY, ENDED
    }

    private final PgTlsProxy proxy;
    private final EventBase base;
    private final SocketAddress peer;
    private final long id = IDS.incrementAndGet();
    private final long started = System.nanoTime();
    private final EvBuffer firstMessage = new EvBuffer();
    private State state = State.FIRST_MESSAGE;
    private Bufferevent client;
    private Bufferevent upstream;
    private boolean clientTls;
    private String firstKind = "nothing";
    private PgRelay relay;
    /** From the accept until relaying starts; progress does not move it. */
    private final SetupDeadline startup;
    /** Refused by us, or a TLS/protocol failure before relaying: the end is logged as a warning. */
    private boolean warning;

    PgSession(PgTlsProxy proxy, EventBase base, SocketChannel channel, SocketAddress peer) {
        this.proxy = proxy;
        this.base = base;
        this.peer = peer;
        client = Bufferevent.socket(base, channel, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        client.setCallbacks(this::clientFirstMessage, null, this::clientEvent);
        client.setTimeouts(STARTUP_TIMEOUT, STARTUP_TIMEOUT);
        startup = SetupDeadline.arm(base, proxy.startupTimeout(), this::startupExpired);
        client.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        LOG.debug("connection {} from {}", id, peer);
    }

    /**
     * The whole startup (first message, TLS handshake, upstream connect and handshake) did not
     * finish within {@code --startup-timeout} of the accept, however the client paced its bytes,
     * as the server's {@code authentication_timeout} bounds it. A client whose TLS handshake is
     * unfinished is closed at once (there is no channel to tell it on); otherwise it gets a FATAL
     * ErrorResponse, the server's code for this case.
     */
    private void startupExpired() {
        if (state == State.ENDED || state == State.RELAY) {
            return;
        }
        String why = "startup not finished " + Limits.describe(proxy.startupTimeout()) + " after the accept, during "
                + describeState();
        freeUpstream();
        if (state == State.CLIENT_HANDSHAKE) {
            warning = true;
            end(why);
            client.free();
            return;
        }
        refuse(why, "57014", "canceling startup due to timeout");
    }

    // ------------------------------------------------------------ client side, before relaying

    /** Read callback while the client's first message is awaited (plaintext or over TLS). */
    private void clientFirstMessage(Bufferevent b) {
        while (state == State.FIRST_MESSAGE) {
            PgWire.Startup s;
            try {
                s = PgWire.peekStartup(b.getInput());
            } catch (PgWire.Violation v) {
                refuse("08P01", v.getMessage());
                return;
            }
            if (s == null) {
                return; // not complete yet
            }
            firstKind = PgWire.describe(s);
            switch (s.kind()) {
                case SSL_REQUEST -> {
                    if (clientTls) {
                        refuse("08P01", "SSLRequest over an encrypted connection");
                        return;
                    }
                    b.getInput().drain(8);
                    long stray = b.getInput().getLength();
                    if (stray > 0) {
                        // Sent before the client could have seen our 'S': not encrypted, possibly
                        // injected by a man in the middle. Refused, never relayed (CVE-2021-23214).
                        refuse("08P01", "received unencrypted data after SSL request (" + stray + " bytes)");
                        return;
                    }
                    b.write(new byte[] {'S'});
                    upgradeClient(b);
                    return;
                }
                case GSSENC_REQUEST -> {
                    if (clientTls) {
                        refuse("08P01", "GSSENCRequest over an encrypted connection");
                        return;
                    }
                    // No GSSAPI here: 'N' tells the client to go on with SSLRequest or plaintext.
                    b.getInput().drain(8);
                    b.write(new byte[] {'N'});
                }
                case CANCEL_REQUEST -> {
                    // Allowed in plaintext even with --require-tls, as the server allows it:
                    // it carries only the backend key, and libpq before 17 never encrypts it.
                    b.getInput().removeBuffer(firstMessage, s.length());
                    connectUpstream();
                    return;
                }
                case STARTUP -> {
                    if (!clientTls && proxy.requireTls()) {
                        refuse("28000", "this proxy accepts only TLS connections (use sslmode=require)");
                        return;
                    }
                    b.getInput().removeBuffer(firstMessage, s.length());
                    connectUpstream();
                    return;
                }
                case UNSUPPORTED_PROTOCOL -> {
                    refuse("0A000", "unsupported frontend protocol " + (s.code() >>> 16) + "." + (s.code() & 0xffff)
                            + ": this proxy supports protocol 3");
                    return;
                }
                default -> throw new AssertionError(s.kind());
            }
        }
    }

    /**
     * The in-place upgrade: a TLS filter (server side) on the live plaintext bufferevent, whose
     * output still holds our 'S'; it leaves first, then the handshake. The plaintext layer's
     * timeouts are moved to the TLS layer, where they bound the handshake as a whole.
     */
    private void upgradeClient(Bufferevent plain) {
        SslBufferevent tls;
        try {
            tls = ServerSupport.withEngine(proxy.serverTls().newServerEngine(), engine -> SslBufferevent.filter(base, plain,
                    engine, SslState.ACCEPTING, Bufferevent.BEV_OPT_CLOSE_ON_FREE));
        } catch (RuntimeException e) {
            // Out of descriptors for the engine, typically: the 'S' already queued cannot be taken back.
            warning = true;
            end("cannot start TLS: " + e);
            plain.free();
            return;
        }
        plain.setTimeouts(null, null);
        client = tls;
        clientTls = true;
        state = State.CLIENT_HANDSHAKE;
        tls.setCallbacks(this::clientFirstMessage, null, this::clientEvent);
        tls.setTimeouts(STARTUP_TIMEOUT, STARTUP_TIMEOUT);
        tls.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
    }

    private void clientEvent(Bufferevent b, int what) {
        if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0 && state == State.CLIENT_HANDSHAKE) {
            SSLSession s = ((SslBufferevent) b).getEngine().getSession();
            LOG.info("connection {} from {}: upgraded to TLS ({}, {})", id, peer, s.getProtocol(), s.getCipherSuite());
            state = State.FIRST_MESSAGE; // the real first message comes now, encrypted
            return;
        }
        if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
            return; // a key update before relaying: nothing to do
        }
        // A failed handshake may be an attack (plaintext after 'S') or a misconfigured client.
        warning = (what & Bufferevent.BEV_EVENT_ERROR) != 0;
        end("client " + EndReason.withDirection(b, what) + " during " + describeState());
        PgRelay.closeEnded(b, what);
        freeUpstream();
    }

    // ------------------------------------------------------------ upstream side, before relaying

    private void connectUpstream() {
        state = State.UPSTREAM_CONNECTING;
        // The client waits for an answer now; what else it sends stays queued until relaying.
        client.disable(Bufferevent.EV_READ);
        LOG.debug("connection {}: {} read, connecting to {}", id, firstKind, hostPort(proxy.upstreamAddress()));
        SocketBufferevent up = Bufferevent.socket(base, null, Bufferevent.BEV_OPT_CLOSE_ON_FREE);
        upstream = up;
        up.setCallbacks(null, null, this::upstreamEvent);
        up.setTimeouts(STARTUP_TIMEOUT, STARTUP_TIMEOUT);
        up.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        up.connect(proxy.upstreamAddress()); // failures arrive as an ERROR event
    }

    private void upstreamEvent(Bufferevent b, int what) {
        if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
            if (state == State.UPSTREAM_CONNECTING) {
                if (proxy.upstreamTls() != null) {
                    state = State.UPSTREAM_SSL_ANSWER;
                    b.setCallbacks(this::upstreamSslAnswer, null, this::upstreamEvent);
                    b.write(PgWire.sslRequest());
                } else {
                    startRelay();
                }
            } else if (state == State.UPSTREAM_HANDSHAKE) {
                SSLSession s = ((SslBufferevent) b).getEngine().getSession();
                LOG.info("connection {}: upstream {} over TLS ({}, {})", id, hostPort(proxy.upstreamAddress()),
                        s.getProtocol(), s.getCipherSuite());
                startRelay();
            }
            return;
        }
        String why = EndReason.withDirection(b, what);
        upstreamFailed("upstream " + why + " during " + describeState(), "08006",
                "proxy: upstream server " + hostPort(proxy.upstreamAddress()) + ": " + why);
    }

    /** The upstream server's one-byte answer to our SSLRequest. */
    private void upstreamSslAnswer(Bufferevent b) {
        if (b.getInput().getLength() < 1) {
            return;
        }
        byte[] answer = new byte[1];
        b.read(answer);
        String where = hostPort(proxy.upstreamAddress());
        switch (answer[0]) {
            case 'S' -> {
                if (b.getInput().getLength() > 0) {
                    // Bytes after 'S' came in clear: a man in the middle could have written
                    // them (CVE-2021-23222, libpq's side of the same bug). Never take them.
                    upstreamFailed("upstream sent unencrypted data after 'S'", "08P01",
                            "proxy: upstream server " + where + " sent unencrypted data after accepting TLS");
                    return;
                }
                InetSocketAddress a = proxy.upstreamAddress();
                SslBufferevent tls;
                try {
                    tls = ServerSupport.withEngine(proxy.upstreamTls().newClientEngine(a.getHostString(), a.getPort()),
                            engine -> SslBufferevent.filter(base, b, engine, SslState.CONNECTING,
                                    Bufferevent.BEV_OPT_CLOSE_ON_FREE));
                } catch (RuntimeException e) {
                    upstreamFailed("cannot start TLS to the upstream: " + e, "08006",
                            "proxy: cannot start TLS to upstream server " + where);
                    return;
                }
                b.setTimeouts(null, null);
                upstream = tls;
                state = State.UPSTREAM_HANDSHAKE;
                tls.setCallbacks(null, null, this::upstreamEvent);
                tls.setTimeouts(STARTUP_TIMEOUT, STARTUP_TIMEOUT);
                tls.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
            }
            case 'N' -> upstreamFailed("upstream refused TLS ('N' to SSLRequest)", "08004",
                    "proxy: upstream server " + where + " does not support TLS (it answered 'N' to SSLRequest)"
                            + " but --upstream-tls was given");
            default -> upstreamFailed("upstream answered 0x" + Integer.toHexString(answer[0] & 0xff) + " to SSLRequest",
                    "08P01", "proxy: upstream server " + where + " did not accept SSLRequest (answer 0x"
                            + Integer.toHexString(answer[0] & 0xff) + ")");
        }
    }

    /** The upstream leg failed before relaying: the client learns why, as a server's ErrorResponse. */
    private void upstreamFailed(String logReason, String sqlState, String clientMessage) {
        freeUpstream();
        refuse(logReason, sqlState, clientMessage);
    }

    // ------------------------------------------------------------ relaying and the end

    private void startRelay() {
        state = State.RELAY;
        startup.cancel();
        client.setTimeouts(null, null);
        upstream.setTimeouts(null, null);
        long first = firstMessage.getLength();
        upstream.writeBuffer(firstMessage);
        relay = new PgRelay(client, upstream, first, reason -> end(reason), proxy.highWater(), proxy.idleTimeout());
        relay.start();
        LOG.debug("connection {}: relaying {} {} -> {}", id, clientTls ? "TLS" : "plaintext", firstKind,
                proxy.upstreamTls() != null ? "TLS" : "plaintext");
    }

    /** Refuses the client with a FATAL ErrorResponse (over TLS if it is up), then closes. */
    private void refuse(String sqlState, String message) {
        refuse("refused: " + message, sqlState, message);
    }

    private void refuse(String logReason, String sqlState, String clientMessage) {
        warning = true;
        end(logReason);
        Bufferevent b = client;
        if (b.isFreed()) {
            return;
        }
        try {
            b.write(PgWire.errorResponse(sqlState, clientMessage));
        } catch (IllegalStateException closing) {
            // already shutting down: nothing more can be said
        }
        PgRelay.closeAfterFlush(b);
    }

    /** Logs the end once, with its reason, and forgets the session. */
    private void end(String reason) {
        if (state == State.ENDED) {
            return;
        }
        state = State.ENDED;
        startup.cancel();
        if (relay != null) {
            relay.stopIdleTimer();
        }
        String tally = relay == null ? "nothing relayed"
                : relay.toUpstream() + " bytes to upstream, " + relay.toClient() + " bytes to client";
        String line = "connection {} from {} ended: {} ({}, {}, {} ms)";
        Object[] args = {id, peer, reason, clientTls ? "TLS" : "plaintext", tally,
            (System.nanoTime() - started) / 1_000_000};
        if (warning) {
            LOG.warn(line, args);
        } else {
            LOG.info(line, args);
        }
        proxy.forget(this);
        firstMessage.free(); // empty once relayed; a refused client's half message otherwise
    }

    /** At proxy shutdown: logs and closes whatever is left. */
    void shutdown() {
        end("proxy shutdown");
        freeUpstream();
        if (client != null) {
            client.free();
        }
    }

    private void freeUpstream() {
        if (upstream != null) {
            upstream.free();
        }
    }

    private String describeState() {
        return switch (state) {
            case FIRST_MESSAGE -> clientTls ? "startup (after TLS handshake)" : "startup";
            case CLIENT_HANDSHAKE -> "client TLS handshake";
            case UPSTREAM_CONNECTING -> "upstream connect";
            case UPSTREAM_SSL_ANSWER -> "upstream SSLRequest";
            case UPSTREAM_HANDSHAKE -> "upstream TLS handshake";
            case RELAY -> "relay";
            case ENDED -> "end";
        };
    }

    static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
