package org.jevent.dtls;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/** In-memory driving of raw JDK DTLS engines, for tests that look at single datagrams. */
final class MemoryDtls {
    private MemoryDtls() {
    }

    /** Wraps until the engine stops asking to, returning each datagram produced. */
    static List<ByteBuffer> drain(SSLEngine e) throws SSLException {
        List<ByteBuffer> out = new ArrayList<>();
        ByteBuffer app = ByteBuffer.allocate(20_000);
        for (int i = 0; i < 32; i++) {
            settle(e, app);
            if (e.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                break;
            }
            ByteBuffer d = ByteBuffer.allocate(20_000);
            e.wrap(ByteBuffer.allocate(0), d);
            d.flip();
            if (d.hasRemaining()) {
                out.add(d);
            }
        }
        return out;
    }

    /** Unwraps one datagram (a copy: the JDK decrypts in place), then drains. */
    static List<ByteBuffer> feed(SSLEngine e, ByteBuffer datagram) throws SSLException {
        ByteBuffer copy = ByteBuffer.allocate(datagram.remaining());
        copy.put(datagram.duplicate()).flip();
        e.unwrap(copy, ByteBuffer.allocate(20_000));
        return drain(e);
    }

    static void settle(SSLEngine e, ByteBuffer app) throws SSLException {
        for (int i = 0; i < 64; i++) {
            HandshakeStatus hs = e.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                Runnable t;
                while ((t = e.getDelegatedTask()) != null) {
                    t.run();
                }
            } else if (hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                app.clear();
                e.unwrap(ByteBuffer.allocate(0), app);
            } else {
                return;
            }
        }
    }

    /** The handshake message type of a datagram's first record (epoch 0), or -1. */
    static int firstHandshakeType(ByteBuffer d) {
        if (d.remaining() < 26 || d.get(d.position()) != 22) {
            return -1;
        }
        return d.get(d.position() + 13) & 0xFF;
    }

    /** Delivers datagrams both ways until neither side has more; returns rounds used. */
    static int exchange(SSLEngine client, SSLEngine server, List<ByteBuffer> toServer) throws SSLException {
        List<ByteBuffer> toClient = new ArrayList<>();
        int rounds = 0;
        while ((!toServer.isEmpty() || !toClient.isEmpty()) && rounds++ < 50) {
            List<ByteBuffer> next = new ArrayList<>();
            for (ByteBuffer d : toServer) {
                next.addAll(feed(server, d));
            }
            toServer.clear();
            toClient.addAll(next);
            List<ByteBuffer> back = new ArrayList<>();
            for (ByteBuffer d : toClient) {
                back.addAll(feed(client, d));
            }
            toClient.clear();
            toServer.addAll(back);
        }
        return rounds;
    }
}
