package org.jevent.examples;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A TLS 1.2 client (the JDK's {@link SSLSocket}) that asks an echo server for a new handshake
 * again and again, the cheap way for one client to make a server do expensive work: each
 * {@code startHandshake()} on an established TLS 1.2 socket sends a new ClientHello (a
 * client-initiated renegotiation), and the echo exchange that follows carries it through. A
 * server that refuses answers with a no_renegotiation alert or a failure, never with a completed
 * handshake.
 */
final class RenegotiatingClient implements AutoCloseable {
    private final SSLSocket socket;
    private final AtomicInteger handshakes = new AtomicInteger();
    private final byte[] probe = "are you still there?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    RenegotiatingClient(int port) throws IOException {
        SSLContext ctx = TlsStepper.insecureClient();
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        plain.setSoTimeout(10_000);
        socket = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "localhost", port, true);
        socket.setEnabledProtocols(new String[] {"TLSv1.2"}); // TLS 1.3 has no renegotiation
        socket.addHandshakeCompletedListener(e -> handshakes.incrementAndGet());
        socket.startHandshake();
        echo();
    }

    /** Handshakes completed so far, the first one included. */
    int handshakes() {
        return handshakes.get();
    }

    /**
     * Asks for a new handshake and carries it through with one echo exchange. Returns null when
     * the exchange came back, else what went wrong (the refusal, or the connection's end).
     */
    String renegotiate() {
        try {
            socket.startHandshake();
            echo();
            return null;
        } catch (IOException e) {
            return e.toString();
        }
    }

    private void echo() throws IOException {
        socket.getOutputStream().write(probe);
        socket.getOutputStream().flush();
        byte[] back = socket.getInputStream().readNBytes(probe.length);
        if (!Arrays.equals(probe, back)) {
            throw new IOException("echo came back as " + back.length + " different bytes");
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
