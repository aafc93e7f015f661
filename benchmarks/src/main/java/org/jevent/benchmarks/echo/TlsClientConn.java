package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * A TLS load-generator connection over a plain SSLEngine (the same client, Conscrypt, for every
 * server measured). {@code netOut} holds ciphertext not yet written (fill mode), {@code netIn}
 * ciphertext not yet unwrapped (fill mode).
 */
final class TlsClientConn extends ClientConn {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private final SSLEngine engine;
    private final ByteBuffer view = TABLE.duplicate();
    private final ByteBuffer netIn = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer netOut = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer appIn = ByteBuffer.allocateDirect(64 * 1024);
    private boolean handshaken;

    TlsClientConn(SocketChannel ch, int id, SSLEngine engine) throws IOException {
        super(ch, id);
        this.engine = engine;
        engine.beginHandshake();
    }

    @Override
    boolean ready() {
        return handshaken;
    }

    @Override
    boolean step(boolean readable, long window, ByteBuffer scratch) throws IOException {
        if (readable) {
            int n = ch.read(netIn);
            if (n < 0) {
                throw new IllegalStateException("server closed a TLS connection");
            }
        }
        unwrapAll();
        wrapHandshake();
        if (!handshaken && engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING) {
            handshaken = true;
        }
        if (handshaken) {
            while (sent - received < window && netOut.remaining() >= engine.getSession().getPacketBufferSize()) {
                int len = (int) Math.min(window - (sent - received), 16384);
                SSLEngineResult r = engine.wrap(window(view, sent, len), netOut);
                sent += r.bytesConsumed();
                if (r.bytesConsumed() == 0) {
                    break;
                }
            }
        }
        return flush();
    }

    private void unwrapAll() throws IOException {
        netIn.flip();
        try {
            while (netIn.hasRemaining()) {
                appIn.clear();
                SSLEngineResult r = engine.unwrap(netIn, appIn);
                appIn.flip();
                if (appIn.hasRemaining()) {
                    verify(appIn);
                }
                runTasks();
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                    wrapHandshake();
                }
                if (r.getStatus() != SSLEngineResult.Status.OK || (r.bytesConsumed() == 0 && r.bytesProduced() == 0)) {
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new IllegalStateException("server sent close_notify");
                    }
                    break;
                }
            }
        } finally {
            netIn.compact();
        }
    }

    private void wrapHandshake() throws IOException {
        while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            SSLEngineResult r = engine.wrap(EMPTY, netOut);
            runTasks();
            if (r.bytesProduced() == 0 && r.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                break;
            }
        }
        runTasks();
    }

    private void runTasks() {
        Runnable t;
        while ((t = engine.getDelegatedTask()) != null) {
            t.run();
        }
    }

    private boolean flush() throws IOException {
        netOut.flip();
        try {
            ch.write(netOut);
            return !netOut.hasRemaining();
        } finally {
            netOut.compact();
        }
    }

    /**
     * Drops the engine's native state at once (we close without close_notify: a load run).
     * Both directions must be closed: a Conscrypt engine keeps its native SSL, and a pipe, until
     * then or until it is garbage collected, and thousands of handshakes a second exhaust file
     * descriptors long before a collection comes.
     */
    void close() throws IOException {
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (javax.net.ssl.SSLException expected) {
            // no close_notify from the server: we did not wait for one
        }
        ch.close();
    }
}
