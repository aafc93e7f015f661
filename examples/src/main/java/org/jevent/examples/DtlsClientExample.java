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
import org.jevent.dtls.BcPskDtls;
import org.jevent.dtls.DtlsClient;
import org.jevent.dtls.DtlsEngineFactory;
import org.jevent.dtls.DtlsSession;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * Qt's DTLS client example (qtbase {@code examples/network/secureudpclient}: {@code
 * association.cpp}, {@code mainwindow.cpp}) on the event loop, made into a check: it handshakes
 * (by default with the PSK identity {@code "Qt DTLS example client"} and the key {@code
 * 1a2b3c4d5e6f}; {@code --cert-mode} for certificates), sends {@code --count} messages {@code
 * --interval} apart, prints every answer as Qt's window does (the DTLS datagram in hex and its
 * plain text), and requires each answer to be the ACK of Qt's server example naming this client
 * as the server saw it, {@code "to (ADDRESS:PORT): ACK"}. It then ends the association with
 * close_notify and exits 0; any failure (handshake error or timeout, a missing or wrong ACK, the
 * server closing first) prints why and exits 1. It always ends: the handshake within {@code
 * --handshake-timeout}, the ACKs within {@code --ack-timeout} of the last message.
 *
 * <p>The address the server sees is the session's local address: the client's socket is
 * connected to the server ({@code connectedSocket}, Qt's {@code connectToHost}), so the kernel
 * picks the source address and port when the session is made.
 */
final class DtlsClientExample {
    static final String SUMMARY = "DTLS client, a port of Qt's secureudpclient: sends N messages, checks each ACK";
    private static final String USAGE = String.join("\n",
            "usage: dtls-client [--host H] [--port P] [--count N] [--interval S] [--identity ID] [--psk HEX]",
            "                   [--cert-mode (--cafile PEM | --insecure)] [--handshake-timeout S]",
            "                   [--ack-timeout S] [--color auto|always|never]",
            "  --host H               server address (default 127.0.0.1)",
            "  --port P               server UDP port (default 4433)",
            "  --count N              messages to send, each to be ACKed (default 5)",
            "  --interval S           seconds between messages (default 0.5)",
            "  --identity ID          PSK identity (default \"" + DtlsSupport.QT_CLIENT_IDENTITY + "\")",
            "  --psk HEX              pre-shared key (default " + DtlsSupport.QT_KEY_HEX + ", Qt's)",
            "  --cert-mode            certificates instead of PSK; the server's certificate is checked",
            "                         against --cafile, or not at all with --insecure",
            "  --cafile PEM           trusted CA (or the server's own certificate), PEM",
            "  --insecure             accept any server certificate (a server's generated one)",
            "  --handshake-timeout S  give up if the handshake takes longer (default 10)",
            "  --ack-timeout S        wait this long after the last message for missing ACKs (default 5)",
            "  --color WHEN           auto (default: colour only on a terminal), always or never",
            "Exits 0 when every message got its ACK, 1 otherwise, saying why.");

    private final PrintStream out;
    private ColorLog log;
    private int count;
    private Duration interval;
    private Duration ackTimeout;
    private String name;
    private String expectedAck;
    /** The DTLS datagram each answer came in, shown in hex beside it. */
    private final LastDatagram tap = new LastDatagram();
    /** The session, once {@code connect} returned or called back. */
    private DtlsSession current;
    private Event sendTimer;
    private Event ackDeadline;
    private int sent;
    private int acked;
    private int wrongAcks;
    private String lastWrongAck;
    /** Null while running; the verdict once decided (empty: success). */
    private String failure;

    private DtlsClientExample(PrintStream out) {
        this.out = out;
    }

    static int run(String[] args, PrintStream out) {
        DtlsClientExample c = new DtlsClientExample(out);
        return Opts.runExample("dtls-client", USAGE, args, out,
                o -> o.flag("--cert-mode", "--insecure").value("--host", "--port", "--count", "--interval", "--identity",
                        "--psk", "--cafile", "--handshake-timeout", "--ack-timeout", "--color"),
                o -> {
                    boolean certs = o.has("--cert-mode");
                    if (certs && o.has("--cafile") == o.has("--insecure")) {
                        throw new IllegalArgumentException("--cert-mode needs --cafile PEM or --insecure (one of them)");
                    }
                    if (!certs && (o.has("--cafile") || o.has("--insecure"))) {
                        throw new IllegalArgumentException("--cafile and --insecure go with --cert-mode");
                    }
                    if (certs && (o.has("--psk") || o.has("--identity"))) {
                        throw new IllegalArgumentException("--psk and --identity are for PSK mode, not with --cert-mode");
                    }
                    DtlsSupport.key(o);
                    int port = o.getInt("--port", 4433);
                    if (port < 1 || port > 65535) {
                        throw new IllegalArgumentException("--port must be 1..65535");
                    }
                    if (o.getInt("--count", 5) < 1) {
                        throw new IllegalArgumentException("--count must be at least 1");
                    }
                    DtlsSupport.seconds(o, "--interval", 0.5);
                    DtlsSupport.positiveSeconds(o, "--handshake-timeout", 10);
                    DtlsSupport.positiveSeconds(o, "--ack-timeout", 5);
                    ColorLog.colorWanted(o.get("--color", "auto"), out);
                },
                c::connectAndCheck);
    }

    private int connectAndCheck(Opts o) {
        log = new ColorLog(out, ColorLog.colorWanted(o.get("--color", "auto"), out));
        count = o.getInt("--count", 5);
        interval = DtlsSupport.seconds(o, "--interval", 0.5);
        ackTimeout = DtlsSupport.positiveSeconds(o, "--ack-timeout", 5);
        InetSocketAddress server = new InetSocketAddress(o.get("--host", "127.0.0.1"), o.getInt("--port", 4433));
        if (server.isUnresolved()) {
            log.error("dtls-client: cannot resolve " + server.getHostString());
            return 1;
        }
        DtlsEngineFactory factory;
        try {
            if (o.has("--cert-mode")) {
                factory = DtlsSupport.clientCertificates(o);
                name = "dtls-client";
            } else {
                name = o.get("--identity", DtlsSupport.QT_CLIENT_IDENTITY);
                factory = BcPskDtls.client(name, DtlsSupport.key(o)).build();
            }
        } catch (Exception e) {
            log.error("dtls-client: cannot set up DTLS: " + e.getMessage());
            return 1;
        }
        EventBase base = new EventBase();
        try {
            sendTimer = Event.timer(base, (ev, what) -> sendNext());
            ackDeadline = Event.timer(base, (ev, what) -> fail("only " + acked + " of " + count
                    + " ACKs arrived within " + seconds(ackTimeout) + " after the last message"));
            DtlsSession session = DtlsClient.builder(base, factory)
                    .handshakeTimeout(DtlsSupport.positiveSeconds(o, "--handshake-timeout", 10))
                    .connectedSocket(true)
                    .datagramTap(tap)
                    .connect(server, this::message, this::event);
            // Known before any answer can come: the loop has not run since the first flight.
            InetSocketAddress local = session.getLocalAddress();
            expectedAck = DtlsSupport.ackFor(local);
            log.info(name + ": started a handshake with " + DtlsSupport.peerInfo(server) + " from "
                    + DtlsSupport.peerInfo(local));
            if (!session.isFinished()) {
                current = session;
            }
            base.dispatch(); // until the session ended and its socket closed
        } catch (IOException | RuntimeException e) {
            fail("cannot connect to " + server + ": " + e);
        } finally {
            if (factory instanceof BcPskDtls p) {
                p.close();
            }
            base.free();
        }
        if (failure == null) {
            failure = "the association ended before it was done";
        }
        if (!failure.isEmpty()) {
            log.error("dtls-client: FAILED: " + failure);
            return 1;
        }
        out.println("dtls-client: ok, " + acked + " of " + count + " messages ACKed as '" + expectedAck + "'");
        out.flush();
        return 0;
    }

    private void event(DtlsSession session, int what) {
        current = session;
        if ((what & BEV_EVENT_CONNECTED) != 0) {
            log.info(name + ": encrypted connection established, " + session.getCipherSuite());
            sendNext();
            return;
        }
        if ((what & BEV_EVENT_ERROR) != 0) {
            fail((sent == 0 ? "handshake error - " : "DTLS error - ") + DtlsSupport.firstError(session));
        } else if (what == BEV_EVENT_TIMEOUT) {
            fail("handshake timeout - " + DtlsSupport.firstError(session) + " (a wrong pre-shared key ends like"
                    + " this: DTLS drops the records it cannot authenticate, so no alert comes)");
        } else if ((what & BEV_EVENT_EOF) != 0) {
            fail("the server closed the association (close_notify) after " + acked + " of " + count + " ACKs");
        } else {
            fail("event 0x" + Integer.toHexString(what));
        }
    }

    /** Sends message number {@code sent}, then arms the next one or, after the last, the ACK deadline. */
    private void sendNext() {
        DtlsSession session = current;
        if (failure != null || session == null || !session.isConnected()) {
            return;
        }
        String text = "I am " + name + ", message " + sent + " of " + count;
        if (!session.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)))) {
            log.warning(name + ": message " + sent + " was not sent (socket send queue full or send error)");
        }
        sent++;
        if (sent < count) {
            sendTimer.add(interval);
        } else {
            ackDeadline.add(ackTimeout);
        }
    }

    /** Qt's serverResponse: show the datagram and its text; check it is the ACK for us. */
    private void message(DtlsSession session, ByteBuffer plaintext) {
        byte[] text = new byte[plaintext.remaining()];
        plaintext.get(text);
        log.datagram(name + " received a DTLS datagram from " + DtlsSupport.peerInfo(session.getPeer()),
                tap.bytes(), text);
        String answer = new String(text, StandardCharsets.ISO_8859_1);
        if (answer.equals(expectedAck)) {
            acked++;
        } else {
            wrongAcks++;
            lastWrongAck = answer;
            log.warning(name + ": not the expected ACK '" + expectedAck + "'");
        }
        if (acked + wrongAcks >= count && failure == null) {
            if (wrongAcks == 0) {
                done(session);
            } else {
                fail(wrongAcks + " of " + count + " answers were not '" + expectedAck + "' (the last: '"
                        + ColorLog.printable(lastWrongAck.getBytes(StandardCharsets.ISO_8859_1)) + "')");
            }
        }
    }

    private void done(DtlsSession session) {
        failure = "";
        stopTimers();
        log.info(name + ": all " + count + " messages ACKed; sending close_notify");
        session.shutdown();
    }

    /** Decides the failure (the first one counts), stops the timers and ends the session if it runs. */
    private void fail(String why) {
        if (failure != null) {
            return;
        }
        failure = why;
        stopTimers();
        DtlsSession session = current;
        if (session != null && !session.isFinished()) {
            session.shutdown(); // close_notify; also from inside the session's own callbacks
        }
    }

    private void stopTimers() {
        if (sendTimer != null) {
            sendTimer.del();
        }
        if (ackDeadline != null) {
            ackDeadline.del();
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() / 1000.0 + " s";
    }
}
