package org.jevent.dtls;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * {@link DtlsEngineFactory} for the JDK's DTLS 1.2 engine (certificates). Every engine gets
 * protocol DTLSv1.2 and the maximum packet size (the path MTU for DTLS records), so that the JDK
 * fragments handshake messages to it.
 *
 * <p>One factory per loop: its {@link JdkCookieScheme} hands the engine that verified a hello to
 * {@link #newServerEngine} within the same callback.
 */
public final class JdkDtls implements DtlsEngineFactory {
    private final SSLContext context;
    private final int maxPacketSize;
    private final boolean server;
    private final JdkCookieScheme cookies;

    private JdkDtls(SSLContext context, int maxPacketSize, boolean server) {
        if (!context.getProtocol().startsWith("DTLS")) {
            throw new IllegalArgumentException("not a DTLS context: " + context.getProtocol());
        }
        if (maxPacketSize < 256 || maxPacketSize > 16_717) {
            throw new IllegalArgumentException("maxPacketSize must be 256..16717: " + maxPacketSize);
        }
        this.context = context;
        this.maxPacketSize = maxPacketSize;
        this.server = server;
        this.cookies = server ? new JdkCookieScheme(this) : null;
    }

    /**
     * @param context a server DTLS context ({@link JdkDtlsContexts#server})
     * @param maxPacketSize the largest datagram, e.g. {@link UdpEndpoint#DEFAULT_MAX_DATAGRAM_SIZE}
     * @return a server factory
     */
    public static JdkDtls server(SSLContext context, int maxPacketSize) {
        return new JdkDtls(Objects.requireNonNull(context, "context"), maxPacketSize, true);
    }

    /**
     * @param context a client DTLS context ({@link JdkDtlsContexts#client})
     * @param maxPacketSize the largest datagram
     * @return a client factory
     */
    public static JdkDtls client(SSLContext context, int maxPacketSize) {
        return new JdkDtls(Objects.requireNonNull(context, "context"), maxPacketSize, false);
    }

    @Override
    public JdkCookieScheme cookieScheme() {
        if (!server) {
            throw new IllegalStateException("a client factory has no cookie scheme");
        }
        return cookies;
    }

    @Override
    public DtlsEngine newServerEngine(ClientHelloView verifiedHello, InetSocketAddress peer, DtlsEngine.Listener listener) {
        SSLEngine e = cookieScheme().takeVerifiedEngine(verifiedHello);
        ByteBuffer b = verifiedHello.buffer();
        ByteBuffer copy = ByteBuffer.allocate(verifiedHello.datagramLength());
        int start = verifiedHello.bodyOffset() - ClientHelloView.HANDSHAKE_HEADER_LENGTH - ClientHelloView.RECORD_HEADER_LENGTH;
        for (int i = 0; i < copy.capacity(); i++) {
            copy.put(b.get(start + i));
        }
        copy.flip();
        return new JdkDtlsEngine(e, listener, maxPacketSize, copy);
    }

    @Override
    public DtlsEngine newClientEngine(InetSocketAddress serverAddress, DtlsEngine.Listener listener) {
        if (server) {
            throw new IllegalStateException("a server factory makes server engines");
        }
        SSLEngine e = newClientEngineRaw(serverAddress.getHostString(), serverAddress.getPort());
        return new JdkDtlsEngine(e, listener, maxPacketSize, null);
    }

    /** A client engine with our parameters, handshake not begun. */
    SSLEngine newClientEngineRaw(String host, int port) {
        SSLEngine e = context.createSSLEngine(host, port);
        e.setUseClientMode(true);
        configure(e);
        return e;
    }

    /** A server engine with our parameters, handshake not begun. */
    SSLEngine newConfiguredServerEngine() {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(false);
        configure(e);
        return e;
    }

    private void configure(SSLEngine e) {
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {"DTLSv1.2"});
        p.setMaximumPacketSize(maxPacketSize);
        e.setSSLParameters(p);
    }

    /** @return the largest datagram the engines produce */
    public int maxPacketSize() {
        return maxPacketSize;
    }
}
