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
 * ciphertext not yet unwrapped (fill mode). Its three buffers come from its thread's
 * {@link DirectBufferPool} and go back there on {@link #close} or {@link #park}.
 */
final class TlsClientConn extends ClientConn {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private final SSLEngine engine;
    /** Size of each of the three buffers: several TLS records, and any 64 KiB message in one read. */
    static final int BUFFER_SIZE = 64 * 1024;
    private final ByteBuffer view = TABLE.duplicate();
    private final DirectBufferPool pool;
    private ByteBuffer netIn;
    private ByteBuffer netOut;
    private ByteBuffer appIn;
    private boolean handshaken;

    /** @param pool the calling thread's pool of {@link #BUFFER_SIZE} direct buffers */
    TlsClientConn(SocketChannel ch, int id, SSLEngine engine, DirectBufferPool pool) throws IOException {
        super(ch, id);
        this.engine = engine;
        this.pool = pool;
        netIn = pool.take();
        netOut = pool.take();
        appIn = pool.take();
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
     * Turns a handshaken connection into an idle one: the socket stays open, but the connection
     * is never read or written again. Its buffers go back to the pool, and the engine is closed
     * ({@link #closeEngine}, nothing is sent): that frees Conscrypt's native SSL at once, and
     * with it the pipe (two descriptors) every Conscrypt engine holds, so that 10,000 idle
     * connections take 10,000 descriptors in this process, not 30,000.
     * Anything the server sends later, such as a session ticket, stays in the socket.
     */
    void park() {
        closeEngine();
        releaseBuffers();
    }

    private void releaseBuffers() {
        if (netIn != null) {
            pool.give(netIn);
            pool.give(netOut);
            pool.give(appIn);
            netIn = null;
            netOut = null;
            appIn = null;
        }
    }

    /**
     * Drops the engine's native state at once (we close without close_notify: a load run) and
     * closes the socket.
     */
    void close() throws IOException {
        closeEngine();
        ch.close();
        releaseBuffers();
    }

    /**
     * Closes the engine both ways, then wraps its close_notify into the buffer and drops it
     * (never sent). After a finished handshake Conscrypt frees its native SSL, and the pipe with
     * it, only once that close_notify is wrapped (measured: closeOutbound plus closeInbound alone
     * keep both descriptors until the engine is collected).
     */
    private void closeEngine() {
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (javax.net.ssl.SSLException expected) {
            // no close_notify from the server: we did not wait for one
        }
        if (netOut != null) {
            netOut.clear();
            try {
                engine.wrap(EMPTY, netOut);
            } catch (javax.net.ssl.SSLException ignored) {
                // the engine is being dropped either way
            }
            netOut.clear();
        }
    }
}
