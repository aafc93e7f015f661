package org.jevent.bufferevent.ssl;

import io.netty.handler.ssl.OpenSslEngine;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import javax.net.ssl.SSLEngine;

/**
 * What a TLS bufferevent asks of a netty-tcnative engine beyond {@link SSLEngine}'s methods,
 * where those do not tell or do enough: freeing its native state now, and whether BoringSSL is in
 * a handshake the engine does not report.
 *
 * <p>Loaded only for an engine {@link SslProvider#of} named TCNATIVE, so Netty's classes are
 * there; an engine of another class loader's Netty is not one we can reach into: it is only
 * closed, and its handshakes are taken as the engine reports them.
 */
final class TcnativeEngines {
    private TcnativeEngines() {
    }

    /**
     * {@link SslProvider.NativeRelease#DESTROY}: a freed session's engine gives back its native
     * state now. {@code shutdown()} frees BoringSSL's SSL object (Netty's own way to destroy an
     * engine; the close_notify that closing would queue goes nowhere, as a free sends none in
     * libevent). The reference count is released only on Netty's {@code OpenSslEngine}, the class
     * {@link TcnativeContext} makes, whose one reference stands for the engine's life and would
     * otherwise be released by its finalizer, keeping a hold on the engine's Netty context until
     * then; a {@code ReferenceCountedOpenSslEngine} the application made itself is released by
     * whoever holds its references.
     */
    static void destroy(SSLEngine engine) {
        if (!(engine instanceof ReferenceCountedOpenSslEngine netty)) {
            engine.closeOutbound();
            return;
        }
        netty.shutdown();
        // Not released twice: the finalizer of an OpenSslEngine releases only a count above zero.
        if (netty instanceof OpenSslEngine && netty.refCnt() > 0) {
            netty.release();
        }
    }

    /**
     * True while BoringSSL runs a handshake on the engine's SSL object ({@code SSL_in_init}).
     * Needed after the first handshake ({@link SslProvider#silentLaterHandshakes}): Netty's engine
     * runs a renegotiation its client follows inside {@code unwrap} and {@code wrap}, reports
     * NEED_WRAP when a flight is to be sent and NOT_HANDSHAKING otherwise, but never FINISHED, so
     * only BoringSSL can say the renegotiation ended. False for a destroyed engine, or one this
     * class cannot reach into.
     */
    static boolean inHandshake(SSLEngine engine) {
        if (!(engine instanceof ReferenceCountedOpenSslEngine netty)) {
            return false;
        }
        long ssl = netty.sslPointer();
        return ssl != 0 && SSL.isInInit(ssl) != 0;
    }
}
