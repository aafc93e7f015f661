package org.jevent.bufferevent.ssl;

import java.security.GeneralSecurityException;
import java.security.Provider;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.conscrypt.Conscrypt;

/**
 * The TLS implementation behind an {@link SSLEngine}: the one {@link SslContexts} builds with
 * ({@link SslContexts.Builder#provider}; always {@link #JDK} for DTLS, the only one that has it),
 * and what {@link SslBufferevent} knows of each, in one place (Netty keeps the same list in its
 * {@code SslEngineType}). Where libevent picks its TLS library by the constructor ({@code
 * bufferevent_openssl_*} or {@code bufferevent_mbedtls_*}), one {@link SslBufferevent} drives
 * every provider and tells from the engine itself which one made it.
 * Measured on this project's machines (shared/reference, and the tests that pin each quirk):
 * <ul>
 * <li>Conscrypt reports FINISHED from a wrap that produces no bytes, and never hands out
 * delegated tasks; the pump therefore wraps on every NEED_WRAP and treats FINISHED from any
 * call as completion.</li>
 * <li>Conscrypt may keep decrypted bytes inside the engine after a BUFFER_OVERFLOW, so unwrap is
 * called again with an empty source until it produces nothing.</li>
 * <li>Conscrypt ignores {@code beginHandshake()} after the first handshake, and netty-tcnative
 * throws ("renegotiation unsupported"): neither can renegotiate or send a key update on
 * request. A BoringSSL server (both) refuses a peer's renegotiation; a Conscrypt client follows
 * every TLS 1.2 renegotiation its server asks for, a netty-tcnative client only the first
 * ({@link #serverRenegotiationsFollowed}), and never reports its end ({@link
 * #silentLaterHandshakes}).</li>
 * <li>The JDK carries at most 16,367 plaintext bytes in a TLS 1.3 record; the pump lets the
 * engine decide how much of the source it consumes, so no size is hard-coded.</li>
 * <li>The JDK decrypts in place (the record it unwraps must be writable) and is faster on heap
 * arrays than on direct memory; Conscrypt and netty-tcnative are fastest on direct memory and
 * read a record where it lies. The pump gives each what it wants.</li>
 * <li>Conscrypt encrypts a gathered source (several buffers) into one record; netty-tcnative
 * (in the JDK-compatible mode its {@code SSLEngine}s run in) wraps only the first non-empty
 * buffer of a gathering wrap, so many small writes would each become a record of their own:
 * the bytes are gathered for it first.</li>
 * <li>The JDK and netty-tcnative throw on an EOF before close_notify ({@code closeInbound});
 * Conscrypt raises nothing, so truncation is decided by our own state, never by the engine.</li>
 * <li>netty-tcnative tells some things one call late ({@link #reportsLate}): the end of a
 * handshake, a renegotiation's flight to send, a failure after its alert (reported as the
 * reading failure it is when an unwrap found it). Its engine is asked once more at once, or the
 * connection would wait for ever.</li>
 * <li>A session's creation time is in milliseconds on the JDK, in whole seconds (BoringSSL's
 * clock) on Conscrypt and netty-tcnative.</li>
 * <li>Conscrypt and netty-tcnative engines hold native state (an SSL object; Conscrypt also a
 * pipe) that their finalizers would free only at some garbage collection: freeing a session frees
 * it at once, each its own way ({@link NativeRelease}).</li>
 * </ul>
 * An engine of any other provider (made outside {@link SslContexts}, e.g. BouncyCastle's) is
 * driven by the JDK's rules, the safe ones for an engine we do not know: records through heap
 * arrays (it may decrypt in place), and {@code beginHandshake()} tried for a renegotiation.
 */
public enum SslProvider {
    /** Conscrypt (BoringSSL), the default: the faster handshakes and the direct-buffer bulk path. */
    CONSCRYPT(false, false, true, false, false, NativeRelease.CLOSE_BOTH_WAYS),
    /** The JDK's own {@code SunJSSE}: no native code; renegotiates on TLS 1.2. */
    JDK(true, true, false, false, false, NativeRelease.NONE),
    /**
     * BoringSSL through netty-tcnative's {@code SSLEngine} ({@code netty-tcnative-boringssl-static}
     * and {@code netty-handler} on the class path, both optional dependencies of this module; no
     * Netty channel or pipeline runs). Less than half Conscrypt's memory per idle connection
     * (its engine reads and writes the caller's buffers instead of keeping a BIO pair of its
     * own), handshakes at Conscrypt's level: {@code benchmarks/PERF-NOTES.md}, "TLS provider
     * choice". A netty-tcnative client follows the first TLS 1.2 renegotiation its server asks
     * for, and refuses any later one: Netty runs BoringSSL in its renegotiate-once mode for
     * clients, so the second HelloRequest of a connection ends it, with a fatal no_renegotiation
     * alert to the server and, here, READING|ERROR with {@code EndReason.RENEGOTIATION_REFUSED}
     * and an {@link SslError} that says why. Servers that renegotiate periodically (some older
     * ones do, to rekey) need CONSCRYPT or JDK clients.
     */
    TCNATIVE(false, false, true, true, true, NativeRelease.DESTROY);

    /** Whether {@code beginHandshake()} on an established session does something. */
    final boolean renegotiates;
    /**
     * Whether records go through heap arrays: the engine is faster there, or may write into the
     * record it decrypts (an unknown provider is assumed to, since the transport's memory may be
     * shared with another buffer).
     */
    final boolean wantsHeapBuffers;
    /** Whether {@code SSLSession.getCreationTime()} counts whole seconds (BoringSSL's clock). */
    final boolean sessionTimeInSeconds;
    /**
     * Whether the engine tells some things one call late or only in a result (netty-tcnative,
     * which drives its handshake at the start of a call, before it reads the record it is
     * given): the unwrap of a handshake's last record says NEED_UNWRAP, and only the next call
     * FINISHED; a NEED_WRAP in a result after the handshake (a renegotiation's flight, an alert)
     * is not what {@code getHandshakeStatus()} says; a failure is thrown only by the wrap after
     * the one that hands out its alert. {@link DirectEngineIo} makes up for each.
     */
    final boolean reportsLate;
    /**
     * Whether the engine never reports FINISHED for a handshake after the first (netty-tcnative:
     * a renegotiation its client follows runs inside {@code unwrap} and {@code wrap}, whose
     * results say NEED_WRAP when a flight is to be sent and NOT_HANDSHAKING otherwise): its end
     * is asked of BoringSSL ({@link TcnativeEngines#inHandshake}), or the session would hold its
     * writes for ever, waiting for a FINISHED that never comes.
     */
    final boolean silentLaterHandshakes;
    /** How freeing a session lets go of the engine's native state at once. */
    final NativeRelease nativeRelease;

    /**
     * How {@link TlsPump#releaseEngine()} lets go of what an engine holds outside the Java heap
     * when its session is freed, at once rather than at garbage collection: a server churning
     * through connections would otherwise keep every closed one's native state until then.
     */
    enum NativeRelease {
        /** Nothing outside the heap (the JDK's engine): it is only told that nothing more will be written. */
        NONE,
        /**
         * Conscrypt frees its SSL object and its pipe (two descriptors) once both directions are
         * closed and the close_notify that closing queued was taken out by a wrap. It takes the
         * inbound close without the peer's close_notify quietly.
         */
        CLOSE_BOTH_WAYS,
        /**
         * netty-tcnative frees its SSL object only when the engine is destroyed ({@code shutdown()},
         * or the last {@code release()}), which closing both ways does only after the peer's
         * close_notify; its finalizer does it otherwise, at some garbage collection. The engine is
         * destroyed outright and, where the reference is ours, released ({@link TcnativeEngines#destroy}).
         */
        DESTROY
    }

    /** One Conscrypt provider for the whole process, made on first use and never installed globally. */
    private static Provider conscrypt;

    SslProvider(boolean renegotiates, boolean wantsHeapBuffers, boolean sessionTimeInSeconds,
            boolean reportsLate, boolean silentLaterHandshakes, NativeRelease nativeRelease) {
        this.renegotiates = renegotiates;
        this.wantsHeapBuffers = wantsHeapBuffers;
        this.sessionTimeInSeconds = sessionTimeInSeconds;
        this.reportsLate = reportsLate;
        this.silentLaterHandshakes = silentLaterHandshakes;
        this.nativeRelease = nativeRelease;
    }

    /**
     * The provider whose rules apply to {@code engine}: CONSCRYPT for a Conscrypt engine,
     * TCNATIVE for a netty-tcnative one (Netty's {@code OpenSslEngine} and its reference-counted
     * parent), JDK for any other. By class name, so that no Netty class is loaded for it.
     */
    static SslProvider of(SSLEngine engine) {
        String name = engine.getClass().getName();
        if (name.startsWith("org.conscrypt.")) {
            return CONSCRYPT;
        }
        if (name.startsWith("io.netty.handler.ssl.") && name.contains("OpenSslEngine")) {
            return TCNATIVE;
        }
        return JDK;
    }

    /**
     * How many TLS 1.2 renegotiations a client of this provider follows on one connection when
     * its server asks: Netty's engine sets BoringSSL's renegotiate-once mode for clients (and
     * would fail a third handshake itself), so a netty-tcnative client follows one and refuses
     * the next with a fatal no_renegotiation alert ({@link PeerHandshakes} reports it as such);
     * Conscrypt's and the JDK's clients follow every one.
     */
    int serverRenegotiationsFollowed() {
        return switch (this) {
            case TCNATIVE -> 1;
            case CONSCRYPT, JDK -> Integer.MAX_VALUE;
        };
    }

    /**
     * A new, uninitialised {@code "TLS"} context of this provider, named explicitly: if Conscrypt
     * was installed globally, plain {@code "TLS"} would silently be it. TCNATIVE has no {@code
     * SSLContext} of its own: {@link TcnativeContext} makes one from everything the builder
     * collected.
     */
    SSLContext newContext() throws GeneralSecurityException {
        return switch (this) {
            case CONSCRYPT -> SSLContext.getInstance("TLS", conscrypt());
            case JDK -> SSLContext.getInstance("TLS", "SunJSSE");
            case TCNATIVE -> throw new IllegalStateException("netty-tcnative contexts are built by TcnativeContext");
        };
    }

    /**
     * Fails with what to add when TCNATIVE's classes are missing: they are optional dependencies
     * of this module. Looked up by name, so that nothing of Netty is loaded before it is known to
     * be there ({@link TcnativeContext} refers to it directly).
     */
    static void requireTcnativeClasses() {
        ClassLoader loader = SslProvider.class.getClassLoader();
        requireClass(loader, "io.netty.handler.ssl.OpenSsl", "io.netty:netty-handler");
        requireClass(loader, "io.netty.internal.tcnative.SSL", "io.netty:netty-tcnative-boringssl-static");
    }

    static void requireClass(ClassLoader loader, String className, String artifact) {
        try {
            Class.forName(className, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("SslProvider.TCNATIVE needs io.netty:netty-handler (4.1) and"
                    + " io.netty:netty-tcnative-boringssl-static (2.0) on the class path, optional dependencies of"
                    + " jevent-bufferevent-ssl that an application using TCNATIVE declares itself; " + artifact
                    + " is missing (no class " + className + "). Add both, or build with SslProvider.CONSCRYPT", e);
        }
    }

    /** The JCA provider whose key factory makes keys this provider's engines use without converting them; null if none. */
    Provider keyProvider() {
        return this == CONSCRYPT ? conscrypt() : null;
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
