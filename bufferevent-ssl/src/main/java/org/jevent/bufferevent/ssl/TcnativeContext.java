package org.jevent.bufferevent.ssl;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.security.KeyManagementException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * {@link SslProvider#TCNATIVE}: a Netty {@code SslContext} on netty-tcnative's BoringSSL ({@code
 * SslProvider.OPENSSL}), built from what {@link SslContexts.Builder} collected and shown to the
 * rest of the library as an ordinary {@link SSLContext}, whose {@code createSSLEngine} hands out
 * Netty's {@code OpenSslEngine}s. Only the engine is used: no Netty channel, pipeline or event
 * loop runs, and the engines read and write the bufferevents' direct segments themselves.
 *
 * <p>Choices, and why:
 * <ul>
 * <li>Protocols, suites, ALPN and client authentication are the context's, so a server engine is
 * ready as made (nothing per accepted connection); the key and chain are handed to Netty as
 * such, which turns them into BoringSSL's form once per context.</li>
 * <li>{@code OpenSslContextOption.USE_TASKS} off: by default Netty returns NEED_TASK for the
 * certificate and key callbacks of every handshake, and the pump would run them on another
 * thread and come back; off, they run inline, as Conscrypt's do.</li>
 * <li>{@code SslProvider.OPENSSL}, not {@code OPENSSL_REFCNT}: engines of both kinds hold a
 * native SSL object and a count on their context until destroyed and released. A freed TLS
 * bufferevent does both at once ({@link TcnativeEngines#destroy}); the plain engine's finalizer remains
 * for one that never reached a bufferevent (made by {@code newServerEngine()} and dropped), which
 * a reference-counted one would leak for good.</li>
 * <li>ALPN with Netty's {@code NO_ADVERTISE}/{@code ACCEPT}: a server without a protocol in
 * common goes on without ALPN (as Conscrypt's does); the two other behaviours are ones netty-
 * tcnative does not offer.</li>
 * <li>The unpooled allocator: the engines only allocate when given heap buffers, which the pump
 * never does; a pooled one would set up arenas and thread caches for nothing.</li>
 * </ul>
 *
 * <p>Loaded only after {@link #requireAvailable()}'s caller checked, by name, that Netty's
 * classes are there: this class refers to them directly.
 */
final class TcnativeContext {
    private static final ByteBufAllocator ALLOCATOR = UnpooledByteBufAllocator.DEFAULT;
    private static final Provider JCA_PROVIDER = new JcaName();
    private static EngineSupport support;

    private TcnativeContext() {
    }

    /** Throws with the reason if netty-tcnative's native library did not load on this platform. */
    static void requireAvailable() {
        if (!OpenSsl.isAvailable()) {
            Throwable cause = OpenSsl.unavailabilityCause();
            throw new IllegalStateException("SslProvider.TCNATIVE: netty-tcnative's native library did not load on "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                    + " (io.netty:netty-tcnative-boringssl-static has natives for linux-x86_64, linux-aarch_64,"
                    + " osx-x86_64, osx-aarch_64 and windows-x86_64): " + cause, cause);
        }
    }

    /** What netty-tcnative's engines support, read once per process from an engine that never handshakes. */
    static synchronized EngineSupport support() throws SSLException {
        if (support == null) {
            SslContext probe = SslContextBuilder.forClient().sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL)
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
            support = EngineSupport.of(probe.newEngine(ALLOCATOR));
        }
        return support;
    }

    /**
     * A context for one role, every setting checked already by {@link SslContexts.Builder#build()}.
     *
     * @param keyManager this end's identity, or null (a client without a certificate)
     * @param suites the suites to enable, or null for netty-tcnative's defaults
     */
    static SSLContext create(boolean server, SingleKeyManager keyManager, TrustManager trust, String[] protocols,
            String[] suites, String[] alpn, SslContexts.ClientAuth clientAuth) throws SSLException {
        SslContextBuilder b;
        if (server) {
            b = SslContextBuilder.forServer(keyManager.key(), chain(keyManager)).clientAuth(switch (clientAuth) {
                case NEED -> ClientAuth.REQUIRE;
                case WANT -> ClientAuth.OPTIONAL;
                case NONE -> ClientAuth.NONE;
            });
        } else {
            b = SslContextBuilder.forClient();
            if (keyManager != null) {
                b.keyManager(keyManager.key(), chain(keyManager));
            }
        }
        b.sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL)
                .option(OpenSslContextOption.USE_TASKS, false)
                .trustManager(trust)
                .protocols(protocols);
        if (suites != null) {
            b.ciphers(Arrays.asList(suites));
        }
        if (alpn.length > 0) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        SslContext netty = b.build();
        return new Context(new Spi(netty, protocols, suites));
    }

    private static X509Certificate[] chain(SingleKeyManager keyManager) {
        return keyManager.getCertificateChain(SingleKeyManager.ALIAS);
    }

    /** An {@link SSLContext} over one Netty context: engines and session cache; no sockets. */
    private static final class Spi extends SSLContextSpi {
        private final SslContext netty;
        private final String[] protocols;
        private final String[] suites;

        Spi(SslContext netty, String[] protocols, String[] suites) {
            this.netty = netty;
            this.protocols = protocols;
            this.suites = suites;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            throw new KeyManagementException("a netty-tcnative context is built initialised by SslContexts");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException("netty-tcnative offers SSLEngines only, no sockets");
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("netty-tcnative offers SSLEngines only, no sockets");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return netty.newEngine(ALLOCATOR);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return netty.newEngine(ALLOCATOR, host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return netty.isServer() ? netty.sessionContext() : null;
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return netty.isClient() ? netty.sessionContext() : null;
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            SSLParameters p = new SSLParameters();
            p.setProtocols(protocols);
            p.setCipherSuites(suites != null ? suites : netty.cipherSuites().toArray(new String[0]));
            return p;
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            try {
                EngineSupport d = support();
                return new SSLParameters(d.cipherSuites(), d.protocols());
            } catch (SSLException e) {
                throw new IllegalStateException("netty-tcnative: " + e.getMessage(), e);
            }
        }
    }

    private static final class Context extends SSLContext {
        Context(Spi spi) {
            super(spi, JCA_PROVIDER, "TLS");
        }
    }

    /** The name {@code SSLContext.getProvider()} reports; registers no service and is never installed. */
    private static final class JcaName extends Provider {
        private static final long serialVersionUID = 1L;

        JcaName() {
            super("netty-tcnative", "1", "BoringSSL through netty-tcnative, for jevent's SslContexts");
        }
    }
}
