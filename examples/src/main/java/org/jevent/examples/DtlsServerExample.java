package org.jevent.examples;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_EOF;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_ERROR;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_TIMEOUT;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.jevent.dtls.BcPskDtls;
import org.jevent.dtls.DtlsEngineFactory;
import org.jevent.dtls.DtlsServer;
import org.jevent.dtls.DtlsSession;
import org.jevent.eventbase.EventBase;
import org.jevent.examples.ServerSupport.StopSignals;

/**
 * Qt's DTLS server example (qtbase {@code examples/network/secureudpserver}: {@code server.cpp},
 * {@code mainwindow.cpp}) on the event loop: one UDP socket, the library's stateless cookie
 * verifier in front (Qt's {@code QDtlsClientVerifier}), one session per verified peer (Qt's
 * {@code QDtls}). By default pre-shared keys: the identity hint {@code "Qt DTLS example server"}
 * and the key {@code 1a2b3c4d5e6f} for the identity the client names (Qt's {@code pskRequired},
 * which gives every identity that key; {@code --psk-identity} narrows it to one). {@code
 * --cert-mode} or {@code --cert}/{@code --key}: certificates instead.
 *
 * <p>What Qt's window shows is printed: information, warnings and errors, each marked and, on a
 * terminal, coloured ({@link ColorLog}); for every decrypted datagram the peer, the DTLS datagram
 * in hex and the plain text. Every non-empty message is answered, encrypted, with {@code "to
 * (ADDRESS:PORT): ACK"}. SIGINT or SIGTERM (or {@link #stop()}) ends it as Qt's {@code
 * shutdown()} does: close_notify to every peer, then the socket closes; exit status 0.
 *
 * <p>Unlike Qt's example it is bounded: at most {@code --max-sessions} peers, each handshake
 * within {@code --handshake-timeout}, each established peer dropped (with close_notify) after
 * {@code --idle-timeout} of silence.
 *
 * <p>Threading: everything runs on the loop thread but the PSK lookup, which bctls calls on its
 * handshake thread; its message is handed to the loop. {@link #stop()} may be called from any thread.
 */
final class DtlsServerExample {
    static final String SUMMARY = "DTLS server, a port of Qt's secureudpserver: PSK or certificates, answers \"to PEER: ACK\"";
    private static final String USAGE = String.join("\n",
            "usage: dtls-server [--host H] [--port P] [--psk HEX] [--psk-hint TEXT] [--psk-identity ID]",
            "                   [--cert-mode] [--cert PEM --key PEM] [--max-sessions N]",
            "                   [--handshake-timeout S] [--idle-timeout S] [--color auto|always|never]",
            "  --host H               address to listen on (default 127.0.0.1)",
            "  --port P               UDP port (default 4433; 0 picks a free one)",
            "  --psk HEX              pre-shared key (default " + DtlsSupport.QT_KEY_HEX + ", Qt's)",
            "  --psk-hint TEXT        identity hint sent to clients (default \"" + BcPskDtls.QT_EXAMPLE_HINT + "\")",
            "  --psk-identity ID      give the key to this client identity only (default: any, as Qt)",
            "  --cert-mode            certificates instead of PSK; a throw-away self-signed one",
            "                         unless --cert/--key are given",
            "  --cert PEM --key PEM   certificate chain and PKCS#8 key (implies --cert-mode)",
            "  --max-sessions N       peers at once, handshaking or established (default 1000)",
            "  --handshake-timeout S  a peer's handshake must complete within S seconds (default 30)",
            "  --idle-timeout S       drop a peer silent for S seconds, with close_notify (default 300; 0: never)",
            "  --color WHEN           auto (default: colour only on a terminal), always or never",
            "Prints 'listening on HOST:PORT' once serving; SIGINT or SIGTERM sends close_notify to",
            "every peer, closes the socket and exits 0.");

    private final PrintStream out;
    private ColorLog log;
    private volatile EventBase base;
    private DtlsServer server;
    private BcPskDtls psk;
    /** Sessions that completed their handshake and have not ended: the peers shutdown tells. */
    private final Set<DtlsSession> established = new LinkedHashSet<>();

    DtlsServerExample(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        return new DtlsServerExample(out).main(args);
    }

    /** Runs the server with {@code args} on this thread until SIGINT, SIGTERM or {@link #stop()}. */
    int main(String[] args) {
        return Opts.runExample("dtls-server", USAGE, args, out,
                o -> o.flag("--cert-mode").value("--host", "--port", "--psk", "--psk-hint", "--psk-identity", "--cert",
                        "--key", "--max-sessions", "--handshake-timeout", "--idle-timeout", "--color"),
                o -> {
                    if (o.has("--cert") != o.has("--key")) {
                        throw new IllegalArgumentException("--cert and --key go together");
                    }
                    boolean certs = o.has("--cert-mode") || o.has("--cert");
                    if (certs && (o.has("--psk") || o.has("--psk-hint") || o.has("--psk-identity"))) {
                        throw new IllegalArgumentException("--psk options are for PSK mode, not with --cert-mode/--cert");
                    }
                    DtlsSupport.key(o);
                    int port = o.getInt("--port", 4433);
                    if (port < 0 || port > 65535) {
                        throw new IllegalArgumentException("--port must be 0..65535");
                    }
                    if (o.getInt("--max-sessions", 1000) < 1) {
                        throw new IllegalArgumentException("--max-sessions must be at least 1");
                    }
                    DtlsSupport.positiveSeconds(o, "--handshake-timeout", 30);
                    DtlsSupport.seconds(o, "--idle-timeout", 300);
                    ColorLog.colorWanted(o.get("--color", "auto"), out);
                },
                this::serve);
    }

    /** Makes the loop exit; the server then shuts down as on SIGINT. Any thread, once it listens. */
    void stop() {
        EventBase b = base;
        if (b != null) {
            b.loopExit();
        }
    }

    private int serve(Opts o) {
        log = new ColorLog(out, ColorLog.colorWanted(o.get("--color", "auto"), out));
        EventBase b = new EventBase();
        DtlsEngineFactory factory;
        String mode;
        try {
            if (o.has("--cert-mode") || o.has("--cert")) {
                factory = DtlsSupport.serverCertificates(o);
                mode = o.has("--cert") ? "certificates from " + o.get("--cert", null) : "a generated self-signed certificate";
            } else {
                factory = psk = pskFactory(o, b);
                mode = "pre-shared key, identity hint \"" + o.get("--psk-hint", BcPskDtls.QT_EXAMPLE_HINT) + "\"";
            }
        } catch (Exception e) {
            log.error("dtls-server: cannot set up DTLS: " + e.getMessage());
            b.free();
            return 1;
        }
        InetSocketAddress address = new InetSocketAddress(o.get("--host", "127.0.0.1"), o.getInt("--port", 4433));
        InetSocketAddress bound;
        try {
            server = DtlsServer.builder(b, factory)
                    .maxSessions(o.getInt("--max-sessions", 1000))
                    .handshakeTimeout(DtlsSupport.positiveSeconds(o, "--handshake-timeout", 30))
                    .idleTimeout(DtlsSupport.seconds(o, "--idle-timeout", 300))
                    .unverifiedPeerCb(this::unverified)
                    .bind(address, this::accept);
            bound = server.getLocalAddress();
        } catch (IOException | RuntimeException e) {
            log.error("dtls-server: cannot listen on " + address + ": " + e);
            closeFactory();
            b.free();
            return 1;
        }
        StopSignals signals = new StopSignals(b, signal -> {
            log.info(signal + ": shutting down");
            b.loopExit();
        });
        base = b; // before the line that tells a waiting caller it may stop() us
        ServerSupport.printListening(out, bound);
        log.info("serving DTLS 1.2 on " + DtlsSupport.peerInfo(bound) + " with " + mode);
        b.dispatch();

        // Qt's shutdown(): close_notify to every established peer, then the socket.
        log.info("sending close_notify to " + established.size() + " peer(s), then closing the socket");
        established.clear();
        server.shutdown();
        signals.free();
        closeFactory();
        b.dispatch(); // until the close_notify datagrams are out and the socket is closed
        base = null;
        b.free();
        out.println("dtls-server: stopped");
        out.flush();
        return 0;
    }

    private BcPskDtls pskFactory(Opts o, EventBase b) {
        byte[] key = DtlsSupport.key(o);
        String only = o.get("--psk-identity", null);
        return BcPskDtls.server()
                .identityHint(o.get("--psk-hint", BcPskDtls.QT_EXAMPLE_HINT))
                .keys(identity -> {
                    // On a bctls handshake thread: the line is printed by the loop, the key returned now.
                    boolean known = only == null || only.equals(new String(identity, StandardCharsets.UTF_8));
                    report(b, known ? "PSK: client identity '" + ColorLog.printable(identity) + "', key given"
                            : "PSK: client identity '" + ColorLog.printable(identity) + "' unknown, refused", !known);
                    return known ? key.clone() : null;
                })
                .build();
    }

    /** From a handshake thread: prints on the loop thread, unless the loop is gone already. */
    private void report(EventBase b, String text, boolean warning) {
        try {
            b.execute(() -> {
                if (warning) {
                    log.warning(text);
                } else {
                    log.info(text);
                }
            });
        } catch (IllegalStateException loopFreed) {
            // shutting down: nobody left to tell
        }
    }

    private void closeFactory() {
        if (psk != null) {
            psk.close();
        }
    }

    /**
     * A datagram from a peer without a session: Qt's "not verified yet" when it was sent a
     * cookie, a warning when it was refused or dropped.
     */
    private void unverified(DtlsServer srv, InetSocketAddress peer, DtlsServer.UnverifiedPeer what) {
        String info = DtlsSupport.peerInfo(peer);
        switch (what) {
            case HELLO_VERIFY_REQUEST_SENT -> log.info(info + ": not verified yet, HelloVerifyRequest sent");
            case REFUSED_SESSION_LIMIT -> log.warning(info + ": refused, " + srv.getSessionCount()
                    + " sessions already (--max-sessions)");
            case DROPPED_MALFORMED -> log.warning(info + ": dropped, not a usable ClientHello ("
                    + srv.getLastMalformedReason() + ")");
            case DROPPED_RATE_LIMITED -> log.warning(info + ": dropped, over the HelloVerifyRequest budget");
        }
    }

    /** A verified peer (its cookie checked by the server's verifier): Qt's handleNewConnection. */
    private void accept(DtlsServer srv, DtlsSession session) {
        Peer peer = new Peer(session);
        session.setCallbacks(peer::message, peer::event);
        session.setDatagramTap(peer.tap);
        log.info(peer.info + ": cookie verified, handshake starts");
    }

    /** One client: what its messages and events print and answer. */
    private final class Peer {
        final String info;
        /** The DTLS datagram each message came in, shown in hex beside it. */
        final LastDatagram tap = new LastDatagram();
        final ByteBuffer ack;

        Peer(DtlsSession session) {
            info = DtlsSupport.peerInfo(session.getPeer());
            ack = ByteBuffer.wrap(DtlsSupport.ackFor(session.getPeer()).getBytes(StandardCharsets.ISO_8859_1));
        }

        /** Qt's decryptDatagram: show the datagram, answer "to PEER: ACK"; an empty one is a warning. */
        void message(DtlsSession session, ByteBuffer plaintext) {
            byte[] text = new byte[plaintext.remaining()];
            plaintext.get(text);
            if (text.length == 0) {
                log.warning(info + ": an empty datagram (a reconnect attempt?), not answered");
                return;
            }
            log.datagram("message from " + info, tap.bytes(), text);
            if (!session.write(ack.duplicate())) {
                log.warning(info + ": the ACK could not be sent (socket send queue full or send error)");
            }
        }

        void event(DtlsSession session, int what) {
            if ((what & BEV_EVENT_CONNECTED) != 0) {
                established.add(session);
                log.info(info + ": encrypted, DTLS 1.2 with " + session.getCipherSuite());
                return;
            }
            established.remove(session);
            if ((what & BEV_EVENT_ERROR) != 0) {
                log.error(info + ": " + DtlsSupport.firstError(session));
            } else if (what == BEV_EVENT_TIMEOUT) {
                log.warning(info + ": the handshake did not complete in time, peer dropped ("
                        + DtlsSupport.firstError(session) + ")");
            } else if ((what & BEV_EVENT_TIMEOUT) != 0) {
                log.info(info + ": silent for the idle timeout, closed with close_notify");
            } else if ((what & BEV_EVENT_EOF) != 0) {
                if (session.getSslErrors().isEmpty()) {
                    log.info(info + ": the peer closed the connection (close_notify)");
                } else {
                    log.warning(info + ": " + DtlsSupport.firstError(session));
                }
            }
        }
    }
}
