package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * A tiny in-memory transport for two engines: wrap on one side, unwrap on the other, until
 * nothing moves. No sockets, no threads (delegated tasks run inline). Bounded: a handshake that
 * has not settled after {@value #MAX_ROUNDS} rounds fails the test.
 */
final class SslContextsHandshake {
    private static final int MAX_ROUNDS = 200;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine client;
    private final SSLEngine server;
    /** Ciphertext in flight, each in write mode. */
    private final ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
    /** Plaintext received, each in write mode. */
    private final ByteBuffer clientApp = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer serverApp = ByteBuffer.allocate(1 << 17);
    /** Ciphertext bytes the server has produced so far: a resumed handshake is visibly smaller. */
    long serverBytes;

    SslContextsHandshake(SSLEngine client, SSLEngine server) {
        this.client = client;
        this.server = server;
    }

    /** Engines made by the callers; runs the handshake and returns the pair for data. */
    static SslContextsHandshake run(SSLEngine client, SSLEngine server) throws SSLException {
        SslContextsHandshake h = new SslContextsHandshake(client, server);
        client.beginHandshake();
        server.beginHandshake();
        h.pump();
        assertEquals(HandshakeStatus.NOT_HANDSHAKING, client.getHandshakeStatus(), "client still handshaking");
        assertEquals(HandshakeStatus.NOT_HANDSHAKING, server.getHandshakeStatus(), "server still handshaking");
        return h;
    }

    /** Moves bytes both ways until a whole round moves nothing. */
    void pump() throws SSLException {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            boolean moved = step(client, EMPTY, toClient, toServer, clientApp);
            moved |= step(server, EMPTY, toServer, toClient, serverApp);
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("no quiescence after " + MAX_ROUNDS + " rounds");
    }

    /** Sends {@code text} client to server and back, proving the session carries data. */
    void echo(String text) throws SSLException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        step(client, ByteBuffer.wrap(bytes), toClient, toServer, clientApp);
        pump();
        assertEquals(text, take(serverApp));
        step(server, ByteBuffer.wrap(bytes), toServer, toClient, serverApp);
        pump();
        assertEquals(text, take(clientApp));
    }

    private static String take(ByteBuffer app) {
        app.flip();
        String s = StandardCharsets.UTF_8.decode(app).toString();
        app.clear();
        return s;
    }

    /** One side's turn: unwrap what arrived, run tasks, wrap what it has to say. */
    private boolean step(SSLEngine e, ByteBuffer data, ByteBuffer in, ByteBuffer out, ByteBuffer app)
            throws SSLException {
        boolean moved = false;
        in.flip();
        try {
            while (in.hasRemaining()) {
                SSLEngineResult r = e.unwrap(in, app);
                moved |= r.bytesConsumed() > 0 || r.bytesProduced() > 0;
                runTasks(e);
                if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesConsumed() == 0) {
                    break;
                }
            }
        } finally {
            in.compact();
        }
        // Wrap even with nothing to send: Conscrypt finishes a handshake from a 0-byte wrap.
        for (int i = 0; i < 16; i++) {
            SSLEngineResult r = e.wrap(data, out);
            runTasks(e);
            moved |= r.bytesProduced() > 0 || r.bytesConsumed() > 0;
            if (e == server) {
                serverBytes += r.bytesProduced();
            }
            if (r.bytesProduced() == 0 && !data.hasRemaining()) {
                break;
            }
        }
        return moved;
    }

    private static void runTasks(SSLEngine e) {
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
