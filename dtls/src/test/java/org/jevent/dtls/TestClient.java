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
import org.jevent.bufferevent.ssl.SslError;

/** A {@link DtlsClient} session that collects what it receives and what happens to it. */
final class TestClient implements AutoCloseable {
    final DtlsSession session;
    final List<String> received = new ArrayList<>();
    final List<SslError> errors = new ArrayList<>();
    /** Count messages without keeping them (allocation measurements). */
    boolean countOnly;
    long count;
    boolean connected;
    boolean closedByPeer;
    boolean failed;
    boolean timedOut;
    int lastEvent;

    TestClient(DtlsClient.Builder builder, InetSocketAddress server) throws IOException {
        session = builder.connect(server, this::onMessage, this::onEvent);
    }

    private void onMessage(DtlsSession s, ByteBuffer m) {
        count++;
        if (!countOnly) {
            received.add(StandardCharsets.UTF_8.decode(m).toString());
        }
    }

    private void onEvent(DtlsSession s, int what) {
        lastEvent = what;
        if ((what & BEV_EVENT_CONNECTED) != 0) {
            connected = true;
        } else if ((what & BEV_EVENT_EOF) != 0) {
            closedByPeer = true;
        } else if ((what & BEV_EVENT_ERROR) != 0) {
            failed = true;
        } else if ((what & BEV_EVENT_TIMEOUT) != 0) {
            timedOut = true;
        }
        errors.addAll(s.getSslErrors());
    }

    boolean send(String message) {
        return session.write(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)));
    }

    boolean ended() {
        return session.isFinished();
    }

    @Override
    public String toString() {
        return session + " connected " + connected + " failed " + failed + " timedOut " + timedOut + " errors " + errors;
    }

    @Override
    public void close() {
        session.free();
    }
}
