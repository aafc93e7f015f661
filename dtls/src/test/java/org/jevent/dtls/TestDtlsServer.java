package org.jevent.dtls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * Test scaffolding, not the session manager: one UDP socket, the stateless verifier in front, one
 * engine per verified peer, every decrypted message answered with {@code reply(message)}, and a
 * crude 1 s retransmission tick for engines that need one.
 */
final class TestDtlsServer implements AutoCloseable {
    final EventBase base;
    final UdpEndpoint endpoint;
    final HelloVerifier verifier;
    final DtlsEngineFactory factory;
    final Map<InetSocketAddress, DtlsEngine> sessions = new HashMap<>();
    final ByteBuffer hvrOut = ByteBuffer.allocate(512);
    final Event tick;
    /** Short messages are echoed as the Qt example does; long ones answered with their length. */
    Function<String, String> reply = m -> m.length() > 200 ? "length " + m.length() : "to PEER: ACK " + m;
    /** Outgoing datagrams for which this returns true are dropped (a lossy path). */
    java.util.function.Predicate<ByteBuffer> dropOutgoing = d -> false;
    int droppedOutgoing;
    /** Echo each message's bytes as they are, without building a reply (allocation measurements). */
    boolean rawEcho;
    int established;
    int messages;
    int closedByPeer;
    int failed;
    Throwable lastFailure;

    TestDtlsServer(EventBase base, DtlsEngineFactory factory, HvrRateLimiter limiter, int mtu) throws IOException {
        this.base = base;
        this.factory = factory;
        this.verifier = new HelloVerifier(factory.cookieScheme(), limiter);
        this.endpoint = UdpEndpoint.bind(base, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new UdpEndpoint.Options().maxDatagramSize(mtu).receiveBufferBytes(4 << 20), this::onDatagram);
        this.tick = new Event(base, null, Event.EV_PERSIST, (ev, what) -> retransmit());
        tick.add(Duration.ofSeconds(1));
    }

    InetSocketAddress address() throws IOException {
        return endpoint.localAddress();
    }

    private void onDatagram(UdpEndpoint ep, ByteBuffer d, InetSocketAddress from) {
        DtlsEngine engine = sessions.get(from);
        if (engine != null) {
            engine.receive(d);
            return;
        }
        switch (verifier.verify(d, from, System.nanoTime(), hvrOut)) {
            case HELLO_VERIFY_REQUEST -> ep.send(hvrOut, from);
            case VERIFIED -> {
                Session s = new Session(from);
                s.engine = factory.newServerEngine(verifier.hello(), from, s);
                sessions.put(from, s.engine);
                s.engine.start();
            }
            default -> { }
        }
    }

    private void retransmit() {
        for (DtlsEngine e : sessions.values()) {
            if (e.status() == DtlsEngine.Status.HANDSHAKING && e.needsRetransmitTimer()) {
                e.onRetransmitTimeout();
            }
        }
    }

    final class Session implements DtlsEngine.Listener {
        final InetSocketAddress peer;
        DtlsEngine engine;

        Session(InetSocketAddress peer) {
            this.peer = peer;
        }

        @Override
        public void sendDatagram(ByteBuffer datagram) {
            if (dropOutgoing.test(datagram)) {
                droppedOutgoing++;
            } else if (!endpoint.isClosed()) {
                endpoint.send(datagram, peer);
            }
        }

        @Override
        public void received(ByteBuffer plaintext) {
            messages++;
            if (rawEcho) {
                engine.send(plaintext);
                return;
            }
            byte[] b = new byte[plaintext.remaining()];
            plaintext.get(b);
            engine.send(ByteBuffer.wrap(reply.apply(new String(b)).getBytes()));
        }

        @Override
        public void handshakeCompleted() {
            established++;
        }

        @Override
        public void closed(Throwable error) {
            if (error == null) {
                closedByPeer++;
            } else {
                failed++;
                lastFailure = error;
            }
            sessions.remove(peer);
        }
    }

    @Override
    public void close() {
        tick.del();
        for (DtlsEngine e : sessions.values().toArray(new DtlsEngine[0])) {
            e.close();
            e.free();
        }
        sessions.clear();
        endpoint.close();
    }
}
