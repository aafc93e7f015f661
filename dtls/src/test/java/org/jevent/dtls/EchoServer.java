package org.jevent.dtls;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_CONNECTED;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_EOF;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_ERROR;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_TIMEOUT;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jevent.bufferevent.ssl.SslError;

/**
 * A {@link DtlsServer} on loopback answering each message as Qt's DTLS server example does
 * ({@code "to PEER: ACK " + message}; messages over 200 bytes get {@code "length N"}), recording
 * the events and errors of its sessions.
 */
final class EchoServer implements AutoCloseable {
    final DtlsServer server;
    final List<DtlsSession> accepted = new ArrayList<>();
    final List<SslError> errors = new ArrayList<>();
    Function<String, String> reply = m -> m.length() > 200 ? "length " + m.length() : "to PEER: ACK " + m;
    /** Echo each message's bytes as they are, without building a reply (allocation measurements). */
    boolean rawEcho;
    int connected;
    int closedByPeer;
    int failed;
    int handshakeTimeouts;
    int idleTimeouts;
    long messages;

    EchoServer(DtlsServer.Builder builder) throws IOException {
        server = builder.bind(LoopTest.ANY_LOOPBACK, (srv, s) -> {
            accepted.add(s);
            s.setCallbacks(this::onMessage, this::onEvent);
        });
    }

    InetSocketAddress address() throws IOException {
        return server.getLocalAddress();
    }

    private void onMessage(DtlsSession s, ByteBuffer m) {
        messages++;
        if (rawEcho) {
            s.write(m);
            return;
        }
        String text = StandardCharsets.UTF_8.decode(m).toString();
        s.write(ByteBuffer.wrap(reply.apply(text).getBytes(StandardCharsets.UTF_8)));
    }

    private void onEvent(DtlsSession s, int what) {
        if ((what & BEV_EVENT_CONNECTED) != 0) {
            connected++;
        } else if ((what & BEV_EVENT_EOF) != 0) {
            closedByPeer++;
        } else if ((what & BEV_EVENT_ERROR) != 0) {
            failed++;
        } else if (what == BEV_EVENT_TIMEOUT) {
            handshakeTimeouts++;
        } else if ((what & BEV_EVENT_TIMEOUT) != 0) {
            idleTimeouts++;
        }
        errors.addAll(s.getSslErrors());
    }

    SslError lastError() {
        return errors.isEmpty() ? null : errors.get(errors.size() - 1);
    }

    String describe() {
        return "server: sessions " + server.getSessionCount() + " connected " + connected + " failed " + failed
                + " timeouts " + handshakeTimeouts + " eof " + closedByPeer + " hvr " + server.getHelloVerifyRequests()
                + " verified " + server.getCookiesVerified() + " badCookies " + server.getBadCookies() + " malformed "
                + server.getMalformedHellos() + " (" + server.getLastMalformedReason() + ") limited "
                + server.getHellosRateLimited() + " errors " + errors;
    }

    @Override
    public void close() {
        server.free();
    }
}
