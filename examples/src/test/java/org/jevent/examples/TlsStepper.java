package org.jevent.examples;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.bufferevent.ssl.SslProvider;

/**
 * A TLS client (the JDK's engine over a blocking channel) that can stop at any step of the
 * handshake, for the fault suite: it plays a hostile or broken client that resets the connection
 * after connecting, in the middle of its ClientHello, after it, after the server's first flight,
 * or after a finished handshake; or one that trickles its ClientHello, or sends a truncated
 * record and then nothing. The channel is non-blocking and every wait goes through a
 * selector with a deadline, so no step can hang the test.
 */
final class TlsStepper implements AutoCloseable {
    /** Where a hostile client stops; the server must clean up after each. */
    enum Stage {
        /** TCP connected, nothing sent. */
        CONNECTED,
        /** The first half of the ClientHello record sent. */
        HALF_HELLO,
        /** The whole ClientHello sent, nothing read. */
        HELLO,
        /** The server's first flight read (ServerHello ... Finished in 1.3, ... ServerHelloDone in 1.2), our answer not sent. */
        SERVER_FLIGHT,
        /** The handshake finished on our side; no close_notify. */
        DONE
    }

    private final SocketChannel channel;
    private final SSLEngine engine;
    private final ByteBuffer netIn = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer netOut = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer appIn = ByteBuffer.allocate(1 << 17);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private TlsStepper(SocketChannel channel, SSLEngine engine) {
        this.channel = channel;
        this.engine = engine;
    }

    /**
     * A JDK client context trusting anything (the servers use throw-away certificates). Its
     * engines and sockets speak TLS 1.3 or 1.2; set the enabled protocols on each to pin one.
     */
    static SSLContext insecureClient() {
        try {
            return SslContexts.forClient().trustAllInsecure().provider(SslProvider.JDK).build().sslContext();
        } catch (Exception e) {
            throw new AssertionError("cannot build the test's TLS client context", e);
        }
    }

    /** Connects; {@code protocol} ("TLSv1.3", "TLSv1.2") is the one the handshake will offer. */
    static TlsStepper connect(SSLContext ctx, int port, String protocol) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(new InetSocketAddress("127.0.0.1", port));
            ch.configureBlocking(false);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        SSLEngine e = ctx.createSSLEngine("localhost", port);
        e.setUseClientMode(true);
        e.setEnabledProtocols(new String[] {protocol});
        return new TlsStepper(ch, e);
    }

    /** The bytes of one ClientHello record of {@code ctx} (a fresh engine; nothing sent). */
    static byte[] clientHello(SSLContext ctx) throws SSLException {
        SSLEngine e = ctx.createSSLEngine("localhost", 443);
        e.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(1 << 16);
        e.beginHandshake();
        e.wrap(EMPTY, out);
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }

    SocketChannel channel() {
        return channel;
    }

    /**
     * Goes through the handshake up to {@code stage} (within {@code millis}), then returns; the
     * caller resets or closes.
     */
    void runTo(Stage stage, long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        if (stage == Stage.CONNECTED) {
            return;
        }
        engine.beginHandshake();
        wrapOnce();
        if (stage == Stage.HALF_HELLO) {
            netOut.limit(netOut.limit() / 2);
            writeAll(netOut);
            return;
        }
        writeAll(netOut);
        if (stage == Stage.HELLO) {
            return;
        }
        // Read and take the server's flight until we are asked to answer.
        while (true) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                Runnable t;
                while ((t = engine.getDelegatedTask()) != null) {
                    t.run();
                }
            } else if (hs == HandshakeStatus.NEED_WRAP) {
                if (stage == Stage.SERVER_FLIGHT) {
                    return;
                }
                wrapOnce();
                writeAll(netOut);
            } else if (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                unwrapSome(deadline);
            } else {
                return; // FINISHED / NOT_HANDSHAKING: done
            }
        }
    }

    private void wrapOnce() throws SSLException {
        netOut.clear();
        SSLEngineResult r = engine.wrap(EMPTY, netOut);
        if (r.getStatus() != SSLEngineResult.Status.OK) {
            throw new SSLException("wrap: " + r);
        }
        netOut.flip();
    }

    private void unwrapSome(long deadline) throws IOException {
        netIn.flip();
        SSLEngineResult r = engine.unwrap(netIn, appIn);
        netIn.compact();
        appIn.clear(); // application data during the handshake (none expected) is not kept
        if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                || (r.bytesConsumed() == 0 && r.getHandshakeStatus() == HandshakeStatus.NEED_UNWRAP)) {
            if (readSome(deadline) < 0) {
                throw new IOException("the server closed during the handshake");
            }
        } else if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new IOException("the server sent an alert or close_notify: " + r);
        }
    }

    /** Reads what is there, waiting up to the deadline for at least one byte; -1 at EOF. */
    private int readSome(long deadline) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0 || !FaultClients.awaitReadable(channel, left)) {
            throw new IOException("the server sent nothing in time");
        }
        return channel.read(netIn);
    }

    private void writeAll(ByteBuffer b) throws IOException {
        FaultClients.writeAll(channel, b, 10_000);
    }

    /** Closes with a TCP reset (SO_LINGER 0): the abrupt end of a killed or hostile client. */
    void reset() {
        FaultClients.reset(channel);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "TlsStepper[" + engine.getHandshakeStatus() + ", " + Arrays.toString(engine.getEnabledProtocols()) + "]";
    }
}
