package org.jevent.dtls;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.ssl.SslContexts;

/**
 * Certificates over the JDK's DTLS 1.2 engine ({@code SSLContext.getInstance("DTLS")} of
 * SunJSSE, the only provider with DTLS), configured by a {@link SslContexts} built with
 * {@code dtls()}: its key and trust, protocols, suites, host name check, and the maximum packet
 * size, which is this factory's {@link #maxDatagramSize()}.
 *
 * <pre>{@code
 * JdkDtls server = JdkDtls.server(SslContexts.forServer(chainPem, keyPem).dtls().build());
 * JdkDtls client = JdkDtls.client(SslContexts.forClient().trustPem(caPem).dtls().build());
 * }</pre>
 *
 * <p>Cookies: the JDK's engine accepts only a cookie it minted itself, and that cookie does not
 * cover the client's address; {@link JdkCookieScheme} obtains it statelessly and adds a bounded
 * first-claim check of the address (package documentation, "The stateless front").
 *
 * <p>Session tickets: the JDK's server sends a NewSessionTicket in every full handshake, about
 * 5 % of a certificate handshake's CPU. Servers whose clients do not resume by ticket save it
 * with the JVM-wide {@code -Djdk.tls.server.enableSessionTicketExtension=false} (honoured by the
 * DTLS engine; resumption by session ID still works): see the package documentation, "Engine
 * facts a user should know", for what it costs and what else it touches.
 */
public final class JdkDtls extends DtlsEngineFactory {
    private final SslContexts contexts;
    private final JdkCookieScheme cookies;

    private JdkDtls(SslContexts contexts) {
        Objects.requireNonNull(contexts, "contexts");
        if (!contexts.isDtls()) {
            throw new IllegalArgumentException("not a DTLS configuration: build the SslContexts with dtls()");
        }
        this.contexts = contexts;
        this.cookies = contexts.isServer() ? new JdkCookieScheme(this) : null;
    }

    /**
     * A server factory.
     *
     * @param contexts built by {@code SslContexts.forServer(...).dtls().build()}
     * @return the factory, for one {@link DtlsServer}
     * @throws IllegalArgumentException if {@code contexts} is not a DTLS server configuration
     */
    public static JdkDtls server(SslContexts contexts) {
        JdkDtls f = new JdkDtls(contexts);
        if (!contexts.isServer()) {
            throw new IllegalArgumentException("a client configuration: build it with SslContexts.forServer(...)");
        }
        return f;
    }

    /**
     * A client factory.
     *
     * @param contexts built by {@code SslContexts.forClient()...dtls().build()}
     * @return the factory, for any number of {@link DtlsClient}s
     * @throws IllegalArgumentException if {@code contexts} is not a DTLS client configuration
     */
    public static JdkDtls client(SslContexts contexts) {
        JdkDtls f = new JdkDtls(contexts);
        if (contexts.isServer()) {
            throw new IllegalArgumentException("a server configuration: build it with SslContexts.forClient()");
        }
        return f;
    }

    @Override
    public int maxDatagramSize() {
        return contexts.maxPacketSize();
    }

    @Override
    public boolean isServer() {
        return contexts.isServer();
    }

    @Override
    JdkCookieScheme cookieScheme() {
        if (cookies == null) {
            throw new IllegalStateException("a client factory has no cookie scheme");
        }
        return cookies;
    }

    @Override
    DtlsEngine newServerEngine(SessionSettings settings, ClientHelloView verifiedHello, InetSocketAddress peer,
            DtlsEngine.Listener listener) {
        SSLEngine e = cookieScheme().takeVerifiedEngine(verifiedHello);
        // A copy: the engine decrypts in place, and the receive buffer is reused for the next datagram.
        ByteBuffer copy = ByteBuffer.allocate(verifiedHello.datagramLength());
        ByteBuffer b = verifiedHello.buffer();
        int start = verifiedHello.datagramStart();
        copy.put(b.duplicate().limit(start + copy.capacity()).position(start)).flip();
        return new JdkDtlsEngine(e, listener, maxDatagramSize(), copy);
    }

    @Override
    DtlsEngine newClientEngine(SessionSettings settings, InetSocketAddress server, DtlsEngine.Listener listener) {
        checkClient();
        return new JdkDtlsEngine(newClientEngineRaw(server.getHostString(), server.getPort()), listener,
                maxDatagramSize(), null);
    }

    /** A client engine with the configuration's settings, handshake not begun. */
    SSLEngine newClientEngineRaw(String host, int port) {
        return contexts.newClientEngine(host, port);
    }

    /** A server engine with the configuration's settings, handshake not begun. */
    SSLEngine newConfiguredServerEngine() {
        return contexts.newServerEngine();
    }
}
