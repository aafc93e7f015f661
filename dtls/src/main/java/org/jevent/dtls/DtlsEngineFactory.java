package org.jevent.dtls;

import java.net.InetSocketAddress;

/**
 * Makes {@link DtlsEngine}s of one kind for one loop, and the {@link CookieScheme} its server
 * engines accept. A server puts {@link #cookieScheme()} into its {@link HelloVerifier} and, on
 * {@link HelloVerifier.Verdict#VERIFIED}, calls {@link #newServerEngine} with the verifier's
 * hello, inside the same datagram callback (the hello views the receive buffer).
 */
public interface DtlsEngineFactory {
    /** @return the cookies this factory's server engines accept */
    CookieScheme cookieScheme();

    /**
     * A server engine for a peer whose ClientHello just verified. Nothing is sent until
     * {@link DtlsEngine#start()}.
     *
     * @param verifiedHello the verifier's hello, {@link HelloVerifier.Verdict#VERIFIED} by this
     *     factory's scheme in the current callback
     * @param peer its sender
     * @param listener receives the engine's output
     * @return the engine
     */
    DtlsEngine newServerEngine(ClientHelloView verifiedHello, InetSocketAddress peer, DtlsEngine.Listener listener);

    /**
     * A client engine for {@code server}; {@link DtlsEngine#start()} sends the ClientHello.
     *
     * @param server the server's address (also the session cache key)
     * @param listener receives the engine's output
     * @return the engine
     */
    DtlsEngine newClientEngine(InetSocketAddress server, DtlsEngine.Listener listener);
}
