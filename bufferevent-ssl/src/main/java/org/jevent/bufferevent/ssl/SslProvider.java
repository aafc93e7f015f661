package org.jevent.bufferevent.ssl;

import java.security.GeneralSecurityException;
import java.security.Provider;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.conscrypt.Conscrypt;

/**
 * The TLS implementation behind an {@link SSLEngine}: the one {@link SslContexts} builds with
 * ({@link SslContexts.Builder#provider}; always {@link #JDK} for DTLS, the only one that has it),
 * and what {@link SslBufferevent} knows of each, in one place (Netty keeps the same list in its {@code SslEngineType}). Measured on this project's
 * machines (shared/reference):
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
 * lies. The pump gives each what it wants.</li>
 * <li>The JDK throws on an EOF before close_notify ({@code closeInbound}); Conscrypt raises
 * nothing, so truncation is decided by our own state, never by the engine.</li>
 * </ul>
 * An engine of any other provider (made outside {@link SslContexts}, e.g. BouncyCastle's) is
 * driven by the JDK's rules, the safe ones for an engine we do not know: records through heap
 * arrays (it may decrypt in place), and {@code beginHandshake()} tried for a renegotiation.
 */
public enum SslProvider {
    /** Conscrypt (BoringSSL), the default: the faster handshakes and the direct-buffer bulk path. */
    CONSCRYPT(false, false),
    /** The JDK's own {@code SunJSSE}: no native code; renegotiates on TLS 1.2. */
    JDK(true, true);

    /** Whether {@code beginHandshake()} on an established session does something. */
    final boolean renegotiates;
    /**
     * Whether records go through heap arrays: the engine is faster there, or may write into the
     * record it decrypts (an unknown provider is assumed to, since the transport's memory may be
     * shared with another buffer).
     */
    final boolean wantsHeapBuffers;

    /** One Conscrypt provider for the whole process, made on first use and never installed globally. */
    private static Provider conscrypt;

    SslProvider(boolean renegotiates, boolean wantsHeapBuffers) {
        this.renegotiates = renegotiates;
        this.wantsHeapBuffers = wantsHeapBuffers;
    }

    /** The provider whose rules apply to {@code engine}: CONSCRYPT for a Conscrypt engine, JDK for any other. */
    static SslProvider of(SSLEngine engine) {
        return engine.getClass().getName().startsWith("org.conscrypt.") ? CONSCRYPT : JDK;
    }

    /**
     * A new, uninitialised {@code "TLS"} context of this provider, named explicitly: if Conscrypt
     * was installed globally, plain {@code "TLS"} would silently be it.
     */
    SSLContext newContext() throws GeneralSecurityException {
        return this == CONSCRYPT ? SSLContext.getInstance("TLS", conscrypt()) : SSLContext.getInstance("TLS", "SunJSSE");
    }

    /**
     * A new, uninitialised {@code "DTLS"} context: SunJSSE's, the only provider with one
     * (Conscrypt has no DTLS, BCJSSE neither: shared/reference 2.1).
     *
     * @throws IllegalStateException for {@link #CONSCRYPT}
     */
    SSLContext newDtlsContext() throws GeneralSecurityException {
        if (this != JDK) {
            throw new IllegalStateException(CONSCRYPT_HAS_NO_DTLS);
        }
        return SSLContext.getInstance("DTLS", "SunJSSE");
    }

    /** Why a DTLS configuration cannot run on Conscrypt, and what to do. */
    static final String CONSCRYPT_HAS_NO_DTLS = "Conscrypt has no DTLS (BoringSSL's DTLS is not exposed as an SSLEngine);"
            + " DTLS runs on SslProvider.JDK, SunJSSE's SSLContext \"DTLS\": drop provider(SslProvider.CONSCRYPT)";

    /** Created once: the provider loads BoringSSL and sets up native state. */
    private static synchronized Provider conscrypt() {
        if (conscrypt == null) {
            if (!Conscrypt.isAvailable()) {
                throw new IllegalStateException("Conscrypt's native library is not available on "
                        + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                        + "; build with provider(SslProvider.JDK)");
            }
            conscrypt = Conscrypt.newProvider();
        }
        return conscrypt;
    }
}
