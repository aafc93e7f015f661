package org.jevent.dtls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/** Test scaffolding: one client engine on its own UDP socket, collecting what it receives. */
final class TestDtlsClient implements DtlsEngine.Listener, AutoCloseable {
    final UdpEndpoint endpoint;
    final InetSocketAddress server;
    final DtlsEngine engine;
    final List<String> received = new ArrayList<>();
    final Event tick;
    boolean established;
    /** Sees a view of every datagram sent, before it goes out. */
    java.util.function.Consumer<ByteBuffer> onSend;
    /** Count messages without keeping them (allocation measurements). */
    boolean countOnly;
    int count;
    boolean closedByPeer;
    Throwable failure;

    TestDtlsClient(EventBase base, DtlsEngineFactory factory, InetSocketAddress server, int mtu) throws IOException {
        this.server = server;
        this.endpoint = UdpEndpoint.bind(base, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new UdpEndpoint.Options().maxDatagramSize(mtu), (ep, d, from) -> {
                    if (from.equals(server)) {
                        engine().receive(d);
                    }
                });
        this.engine = factory.newClientEngine(server, this);
        this.tick = new Event(base, null, Event.EV_PERSIST, (ev, what) -> {
            if (engine.status() == DtlsEngine.Status.HANDSHAKING && engine.needsRetransmitTimer()) {
                engine.onRetransmitTimeout();
            }
        });
        tick.add(Duration.ofSeconds(1));
        engine.start();
    }

    private DtlsEngine engine() {
        return engine;
    }

    boolean send(String message) {
        return engine.send(ByteBuffer.wrap(message.getBytes()));
    }

    @Override
    public void sendDatagram(ByteBuffer datagram) {
        if (onSend != null) {
            onSend.accept(datagram.duplicate());
        }
        if (!endpoint.isClosed()) {
            endpoint.send(datagram, server);
        }
    }

    @Override
    public void received(ByteBuffer plaintext) {
        count++;
        if (countOnly) {
            return;
        }
        byte[] b = new byte[plaintext.remaining()];
        plaintext.get(b);
        received.add(new String(b));
    }

    @Override
    public void handshakeCompleted() {
        established = true;
    }

    @Override
    public void closed(Throwable error) {
        if (error == null) {
            closedByPeer = true;
        } else {
            failure = error;
        }
    }

    @Override
    public void close() {
        tick.del();
        engine.close();
        engine.free();
        endpoint.close();
    }
}
