package org.jevent.bufferevent.ssl;

import io.netty.handler.ssl.OpenSslEngine;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import javax.net.ssl.SSLEngine;

/**
 * {@link SslProvider.NativeRelease#DESTROY}: a freed session's netty-tcnative engine gives back
 * its native state now. {@code shutdown()} frees BoringSSL's SSL object (Netty's own way to
 * destroy an engine; the close_notify that closing would queue goes nowhere, as a free sends
 * none in libevent). The reference count is released only on Netty's {@code OpenSslEngine}, the
 * class {@link TcnativeContext} makes, whose one reference stands for the engine's life and would
 * otherwise be released by its finalizer, keeping a hold on the engine's Netty context until
 * then; a {@code ReferenceCountedOpenSslEngine} the application made itself is released by
 * whoever holds its references.
 *
 * <p>Loaded only for an engine {@link SslProvider#of} named TCNATIVE, so Netty's classes are
 * there; an engine of another class loader's Netty is not ours to destroy, only closed.
 */
final class TcnativeRelease {
    private TcnativeRelease() {
    }

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
}
