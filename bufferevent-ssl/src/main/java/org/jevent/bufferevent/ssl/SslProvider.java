package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLEngine;

/**
 * What we know about each SSLEngine provider, in one place (Netty keeps the same list in its
 * {@code SslEngineType}). Measured on this project's machines (shared/reference):
 * <ul>
 * <li>Conscrypt reports FINISHED from a wrap that produces no bytes, and never hands out
 * delegated tasks; the pump therefore wraps on every NEED_WRAP and treats FINISHED from any
 * call as completion.</li>
 * <li>Conscrypt may keep decrypted bytes inside the engine after a BUFFER_OVERFLOW, so unwrap is
 * called again with an empty source until it produces nothing.</li>
 * <li>Conscrypt ignores {@code beginHandshake()} after the first handshake: it cannot
 * renegotiate or send a key update on request.</li>
 * <li>The JDK carries at most 16,367 plaintext bytes in a TLS 1.3 record; the pump lets the
 * engine decide how much of the source it consumes, so no size is hard-coded.</li>
 * <li>The JDK decrypts in place (the record it unwraps must be writable) and is faster on heap
 * arrays than on direct memory; Conscrypt is fastest on direct memory and reads a record where it
 * lies. {@link EngineIo} gives each what it wants.</li>
 * <li>The JDK throws on an EOF before close_notify ({@code closeInbound}); Conscrypt raises
 * nothing, so truncation is decided by our own state, never by the engine.</li>
 * </ul>
 */
enum SslProvider {
    CONSCRYPT(false, false),
    JDK(true, true),
    OTHER(true, true);

    /** Whether {@code beginHandshake()} on an established session does something. */
    final boolean renegotiates;
    /**
     * Whether records go through heap arrays: the engine is faster there, or may write into the
     * record it decrypts (an unknown provider is assumed to, since the transport's memory may be
     * shared with another buffer).
     */
    final boolean wantsHeapBuffers;

    SslProvider(boolean renegotiates, boolean wantsHeapBuffers) {
        this.renegotiates = renegotiates;
        this.wantsHeapBuffers = wantsHeapBuffers;
    }

    static SslProvider of(SSLEngine engine) {
        String name = engine.getClass().getName();
        if (name.startsWith("org.conscrypt.")) {
            return CONSCRYPT;
        }
        if (name.startsWith("sun.security.ssl.")) {
            return JDK;
        }
        return OTHER;
    }
}
