package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client thread's selector loop that keeps up to {@code inFlight} full TLS handshakes going
 * with Conscrypt client engines, until {@code limit} connections were started or {@link #stop()}.
 * A finished connection is either closed at once (handshake churn: each new one is a full
 * handshake) or kept open and parked (idle connections). Everything but {@link #stop()},
 * {@link #done} and {@link #failure()} belongs to the thread that calls {@link #run()}.
 */
final class HandshakeLoop implements Runnable {
    private final InetSocketAddress address;
    private final ClientTls tls;
    private final int inFlight;
    private final long limit;
    private final boolean keep;
    private final int firstId;
    /** Handshakes completed so far; read from other threads. */
    final LongAdder done = new LongAdder();
    private final List<TlsClientConn> kept = new ArrayList<>();
    private volatile boolean stopped;
    private volatile Throwable failure;
    private long started;

    /**
     * @param limit how many connections to start in all ({@link Long#MAX_VALUE}: until stopped)
     * @param keep keep finished connections open (idle) instead of closing them
     * @param firstId the first connection id (ids pick each connection's byte stream)
     */
    HandshakeLoop(InetSocketAddress address, ClientTls tls, int inFlight, long limit, boolean keep, int firstId) {
        this.address = address;
        this.tls = tls;
        this.inFlight = inFlight;
        this.limit = limit;
        this.keep = keep;
        this.firstId = firstId;
    }

    void stop() {
        stopped = true;
    }

    /** What ended the loop early, or null. */
    Throwable failure() {
        return failure;
    }

    /** The connections kept open (only after {@link #run()} returned). */
    List<TlsClientConn> kept() {
        return kept;
    }

    @Override
    public void run() {
        DirectBufferPool pool = new DirectBufferPool(TlsClientConn.BUFFER_SIZE);
        ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < inFlight && started < limit; i++) {
                start(selector, pool, scratch);
            }
            while (!stopped && !selector.keys().isEmpty()) {
                selector.select(key -> step(key, selector, pool, scratch), 10);
            }
            for (SelectionKey k : selector.keys()) {
                ((TlsClientConn) k.attachment()).close();
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void step(SelectionKey key, Selector selector, DirectBufferPool pool, ByteBuffer scratch) {
        TlsClientConn c = (TlsClientConn) key.attachment();
        try {
            boolean drained = c.step(key.isReadable(), 0, scratch);
            if (!c.ready()) {
                key.interestOps(drained ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                return;
            }
            done.increment();
            key.cancel();
            if (keep) {
                c.park();
                kept.add(c);
            } else {
                c.close(); // frees the engine's native SSL and its pipe now, not at the next GC
            }
            if (started < limit && !stopped) {
                start(selector, pool, scratch);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void start(Selector selector, DirectBufferPool pool, ByteBuffer scratch) throws IOException {
        SocketChannel ch = SocketChannel.open(address);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.configureBlocking(false);
        TlsClientConn c = new TlsClientConn(ch, (int) (firstId + started++), tls.engine(), pool);
        SelectionKey key = ch.register(selector, SelectionKey.OP_READ, c);
        boolean drained = c.step(false, 0, scratch);
        key.interestOps(drained ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }
}
