package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * The protocols and cipher suites a provider's engines support, read from one engine that never
 * handshakes and is released at once.
 *
 * <p>Why not {@code SSLContext.getSupportedSSLParameters()}: Conscrypt does not implement it, and
 * the JDK's fallback creates an unconnected {@code SSLSocket} to ask; Conscrypt's socket holds a
 * native SSL and its pipe (two descriptors) until the socket is finalized, so every {@link
 * SslContexts.Builder#build()} kept two descriptors open until a garbage collection. An engine
 * that is closed before its handshake started frees its SSL and pipe there and then.
 *
 * <p>Invariant: immutable; the arrays are never handed out.
 */
final class EngineSupport {
    private final String[] supportedProtocols;
    private final String[] supportedCipherSuites;

    EngineSupport(String[] supportedProtocols, String[] supportedCipherSuites) {
        this.supportedProtocols = supportedProtocols.clone();
        this.supportedCipherSuites = supportedCipherSuites.clone();
    }

    /** Reads what an initialised context's engines support from one engine, released before returning. */
    static EngineSupport of(SSLContext context) {
        return of(context.createSSLEngine());
    }

    /** Reads what {@code probe} supports, then releases it: it must not have begun a handshake. */
    static EngineSupport of(SSLEngine probe) {
        try {
            return new EngineSupport(probe.getSupportedProtocols(), probe.getSupportedCipherSuites());
        } finally {
            release(probe);
        }
    }

    /** Closes an engine that never handshook: Conscrypt and netty-tcnative free their native SSL now. */
    private static void release(SSLEngine engine) {
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (SSLException cannotHappenBeforeAHandshake) {
            // Nothing was received, so nothing can have been truncated.
        }
    }

    String[] protocols() {
        return supportedProtocols.clone();
    }

    String[] cipherSuites() {
        return supportedCipherSuites.clone();
    }
}
