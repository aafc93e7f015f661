package org.jevent.dtls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;

/**
 * A UDP relay on the test's loop between clients and one server, with a bad network in it when
 * asked: clients send to {@link #address()}; each client gets its own socket towards the server,
 * so the server still sees one address per client. Every datagram passes {@link #filter} (a test
 * drops or watches specific ones) and then, with {@link Chaos}, a seeded roll of the dice: drop,
 * duplicate, hold back until the next datagram of the same direction (reorder), or delay.
 *
 * <p>Invariant: {@code backs} maps each client to its socket towards the server and {@code
 * clients} the other way; a held datagram is sent at the latest after {@link #HOLD_LIMIT}.
 */
final class Relay implements AutoCloseable {
    /** Sees each datagram before it is forwarded; true drops it. */
    interface Filter {
        boolean drop(ByteBuffer datagram, boolean toServer);
    }

    /** How bad the network is: per datagram probabilities, from one seed. */
    record Chaos(long seed, double drop, double duplicate, double reorder, double delay, int maxDelayMillis) {
    }

    static final Duration HOLD_LIMIT = Duration.ofMillis(50);

    private final EventBase base;
    private final InetSocketAddress server;
    private final UdpEndpoint front;
    private final int mtu;
    private final Chaos chaos;
    private final Random random;
    private final Map<InetSocketAddress, UdpEndpoint> backs = new HashMap<>();
    private final Map<UdpEndpoint, InetSocketAddress> clients = new HashMap<>();
    /** One held-back datagram per direction and client: index 0 towards the server, 1 back. */
    private final Map<InetSocketAddress, Held[]> held = new HashMap<>();
    Filter filter = (d, toServer) -> false;
    long forwarded;
    long dropped;
    long duplicated;
    long reordered;
    long delayed;
    int largestToClient;
    int largestToServer;

    private record Held(byte[] bytes, Event flush) {
    }

    Relay(EventBase base, InetSocketAddress server, int mtu, Chaos chaos) throws IOException {
        this.base = base;
        this.server = server;
        this.mtu = mtu;
        this.chaos = chaos;
        this.random = chaos == null ? null : new Random(chaos.seed());
        this.front = UdpEndpoint.bind(base, LoopTest.ANY_LOOPBACK,
                new UdpEndpoint.Options().maxDatagramSize(mtu).receiveBufferBytes(4 << 20).maxDatagramsPerEvent(64),
                (ep, d, from) -> fromClient(d, from));
    }

    InetSocketAddress address() throws IOException {
        return front.localAddress();
    }

    private void fromClient(ByteBuffer d, InetSocketAddress client) {
        UdpEndpoint back = backs.get(client);
        if (back == null) {
            try {
                back = UdpEndpoint.bind(base, LoopTest.ANY_LOOPBACK,
                        new UdpEndpoint.Options().maxDatagramSize(mtu).receiveBufferBytes(1 << 20),
                        (ep, reply, from) -> fromServer(reply, ep));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            backs.put(client, back);
            clients.put(back, client);
        }
        largestToServer = Math.max(largestToServer, d.remaining());
        pass(d, back, server, client, 0);
    }

    /** Sends {@code d} to the server from the socket of {@code client}, which must have spoken already. */
    void sendAsClient(InetSocketAddress client, ByteBuffer d) {
        UdpEndpoint back = backs.get(client);
        if (back == null) {
            throw new IllegalArgumentException("no datagram from " + client + " yet");
        }
        send(back, d, server);
    }

    private void fromServer(ByteBuffer d, UdpEndpoint back) {
        largestToClient = Math.max(largestToClient, d.remaining());
        InetSocketAddress client = clients.get(back);
        pass(d, front, client, client, 1);
    }

    private void pass(ByteBuffer d, UdpEndpoint out, InetSocketAddress to, InetSocketAddress client, int direction) {
        if (filter.drop(d.duplicate(), direction == 0)) {
            dropped++;
            return;
        }
        if (chaos == null) {
            send(out, d, to);
            return;
        }
        double roll = random.nextDouble();
        if (roll < chaos.drop()) {
            dropped++;
            return;
        }
        byte[] bytes = new byte[d.remaining()];
        d.get(bytes);
        roll -= chaos.drop();
        if (roll < chaos.duplicate()) {
            duplicated++;
            send(out, ByteBuffer.wrap(bytes), to);
            send(out, ByteBuffer.wrap(bytes), to);
            releaseHeld(client, direction, out, to);
            return;
        }
        roll -= chaos.duplicate();
        if (roll < chaos.reorder()) {
            Held[] slots = held.computeIfAbsent(client, c -> new Held[2]);
            if (slots[direction] == null) {
                reordered++;
                Event flush = Event.timer(base, (ev, what) -> releaseHeld(client, direction, out, to));
                slots[direction] = new Held(bytes, flush);
                flush.add(HOLD_LIMIT);
                return;
            }
        }
        roll -= chaos.reorder();
        if (roll < chaos.delay()) {
            delayed++;
            Event later = Event.timer(base, (ev, what) -> send(out, ByteBuffer.wrap(bytes), to));
            later.add(Duration.ofMillis(1 + random.nextInt(chaos.maxDelayMillis())));
            return;
        }
        send(out, ByteBuffer.wrap(bytes), to);
        releaseHeld(client, direction, out, to);
    }

    /** The datagram held back for reordering goes now, after the one that overtook it. */
    private void releaseHeld(InetSocketAddress client, int direction, UdpEndpoint out, InetSocketAddress to) {
        Held[] slots = held.get(client);
        if (slots == null || slots[direction] == null) {
            return;
        }
        Held h = slots[direction];
        slots[direction] = null;
        h.flush().del();
        send(out, ByteBuffer.wrap(h.bytes()), to);
    }

    private void send(UdpEndpoint out, ByteBuffer d, InetSocketAddress to) {
        if (!out.isClosed()) {
            out.send(d, to);
            forwarded++;
        }
    }

    @Override
    public void close() {
        for (Held[] slots : held.values()) {
            for (Held h : slots) {
                if (h != null) {
                    h.flush().del();
                }
            }
        }
        for (UdpEndpoint back : backs.values()) {
            back.close();
        }
        front.close();
    }
}
