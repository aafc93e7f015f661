package org.jevent.dtls;

import java.net.InetSocketAddress;

/**
 * Which DTLS engine a {@link DtlsServer} or {@link DtlsClient} runs, and how it is configured:
 * {@link JdkDtls} (certificates, the JDK's DTLS engine, configured by a DTLS {@code SslContexts})
 * or {@link BcPskDtls} (pre-shared keys, bctls). Server and client code never sees which one it
 * is: everything goes through the package's engine seam.
 *
 * <p>A server factory holds the server's cookie state (its {@link CookieScheme}) and is claimed
 * by one {@code DtlsServer}; make one per server. A client factory may serve any number of
 * clients, on any loops.
 */
public abstract sealed class DtlsEngineFactory permits JdkDtls, BcPskDtls {
    private boolean claimed;

    DtlsEngineFactory() {
    }

    /**
     * The largest datagram the engines write (and the sessions read): handshake messages are
     * fragmented to it and application messages must fit it with their record protection.
     *
     * @return bytes of UDP payload
     */
    public abstract int maxDatagramSize();

    /**
     * Whether this factory makes server engines.
     *
     * @return true for a server factory, false for a client one
     */
    public abstract boolean isServer();

    /** @return the cookies this factory's server engines accept */
    abstract CookieScheme cookieScheme();

    /**
     * A server engine for a peer whose ClientHello just verified. Nothing is sent until
     * {@link DtlsEngine#start()}, which must follow in the same datagram callback (the hello
     * views the receive buffer).
     *
     * @param settings the session's timeouts and loop
     * @param verifiedHello the verifier's hello, verified by this factory's scheme in the current callback
     * @param peer its sender
     * @param listener receives the engine's output
     * @return the engine
     */
    abstract DtlsEngine newServerEngine(SessionSettings settings, ClientHelloView verifiedHello, InetSocketAddress peer,
            DtlsEngine.Listener listener);

    /**
     * A client engine for {@code server}; {@link DtlsEngine#start()} sends the ClientHello.
     *
     * @param settings the session's timeouts and loop
     * @param server the server's address (also the session cache key)
     * @param listener receives the engine's output
     * @return the engine
     */
    abstract DtlsEngine newClientEngine(SessionSettings settings, InetSocketAddress server, DtlsEngine.Listener listener);

    /** A server takes this factory for itself; a second server would share its cookie state. */
    synchronized void claimForServer() {
        if (!isServer()) {
            throw new IllegalArgumentException("a client factory cannot serve a DtlsServer: use " + getClass().getSimpleName()
                    + ".server(...)");
        }
        if (claimed) {
            throw new IllegalStateException("this factory already serves a DtlsServer: make one factory per server");
        }
        claimed = true;
    }

    /** A client checks it was given a client factory. */
    void checkClient() {
        if (isServer()) {
            throw new IllegalArgumentException("a server factory cannot make client sessions: use "
                    + getClass().getSimpleName() + ".client(...)");
        }
    }
}
