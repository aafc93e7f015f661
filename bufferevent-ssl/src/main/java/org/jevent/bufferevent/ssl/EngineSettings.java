package org.jevent.bufferevent.ssl;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.conscrypt.Conscrypt;

/**
 * What every engine of one {@link SslContexts} gets, applied at creation: role, protocols,
 * suites, ALPN, for DTLS the maximum packet size, and for a server client authentication and
 * (Conscrypt) TLS 1.3 session tickets, for a client SNI and host name verification.
 *
 * <p>How depends on the provider, because a server engine is made per accepted connection:
 * <ul>
 * <li>JDK: the engine's {@code SSLParameters} are read, changed and set back, so that provider
 * defaults we do not set survive.</li>
 * <li>Conscrypt: each setting through the engine's own setter, and only where it differs from a
 * new engine's (no client authentication, no ALPN: nothing to set). Reading and setting
 * back {@code SSLParameters} copied every array of the engine's configuration and checked it all
 * again, and on JDK 17 threw and caught a {@code NoSuchMethodException} inside Conscrypt per
 * call (it looks for {@code getNamedGroups}): 4.9 % of a server handshake's CPU
 * (benchmarks/PERF-NOTES.md (b)). A client engine still needs one {@code setSSLParameters},
 * the only way to ask Conscrypt for host name verification; it gets a template made once.</li>
 * <li>netty-tcnative: the context already holds protocols, suites, ALPN and client
 * authentication ({@link TcnativeContext}), so a server engine needs nothing; a client engine
 * gets its SNI name and host name verification.</li>
 * </ul>
 *
 * <p>Invariant: immutable; every value was checked by {@link SslContexts.Builder#build()} against
 * what the context supports, and the arrays (and the Conscrypt client template, whose getters
 * copy) are never handed out or changed after construction.
 */
final class EngineSettings {
    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final SslProvider provider;
    private final String[] protocols;
    private final String[] cipherSuites;
    private final String[] alpn;
    private final SslContexts.ClientAuth clientAuth;
    private final String sni;
    final boolean verifyHostname;
    /** Conscrypt clients: protocols, suites, ALPN and endpoint identification, set in one call. */
    private final SSLParameters conscryptClient;
    /** DTLS: the largest datagram an engine writes (it fragments handshake messages to it); 0 for TLS. */
    final int maxPacketSize;

    EngineSettings(SslProvider provider, String[] protocols, String[] cipherSuites, String[] alpn,
            SslContexts.ClientAuth clientAuth, String sni, boolean verifyHostname, int maxPacketSize) {
        this.provider = provider;
        this.maxPacketSize = maxPacketSize;
        this.protocols = protocols;
        this.cipherSuites = cipherSuites;
        this.alpn = alpn;
        this.clientAuth = clientAuth;
        this.sni = sni;
        this.verifyHostname = verifyHostname;
        this.conscryptClient = provider == SslProvider.CONSCRYPT ? conscryptClientTemplate() : null;
    }

    List<String> protocols() {
        return List.of(protocols);
    }

    /** A new server-mode {@code engine} with everything applied. */
    SSLEngine server(SSLEngine engine) {
        switch (provider) {
            case CONSCRYPT -> conscryptServer(engine);
            case TCNATIVE -> {
                // Made in server mode by a server context that holds every setting.
            }
            default -> jdkServer(engine);
        }
        return engine;
    }

    /** A new client-mode {@code engine} for {@code host} (may be null) with everything applied. */
    SSLEngine client(SSLEngine engine, String host) {
        String serverName = sni != null ? sni : (host != null && !isIpLiteral(host) ? host : null);
        if (serverName != null && !isValidSniName(serverName)) {
            serverName = null; // a host that is not a valid SNI name (e.g. with '_') is still reachable: no SNI
        }
        switch (provider) {
            case CONSCRYPT -> {
                engine.setUseClientMode(true);
                engine.setSSLParameters(conscryptClient);
                if (serverName != null) {
                    // What setServerNames does on a Conscrypt engine; it is also the name checked.
                    Conscrypt.setHostname(engine, serverName);
                }
            }
            case TCNATIVE -> {
                if (serverName != null || verifyHostname) {
                    // A new SSLParameters: Netty's engine sets only what is given (SNI, endpoint
                    // identification) and leaves the context's protocols and suites.
                    SSLParameters p = new SSLParameters();
                    nameAndCheck(p, serverName);
                    engine.setSSLParameters(p);
                }
            }
            default -> {
                engine.setUseClientMode(true);
                SSLParameters p = jdkCommon(engine);
                nameAndCheck(p, serverName);
                engine.setSSLParameters(p);
            }
        }
        return engine;
    }

    private void conscryptServer(SSLEngine engine) {
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(protocols);
        if (cipherSuites != null) {
            engine.setEnabledCipherSuites(cipherSuites);
        }
        switch (clientAuth) {
            case NEED -> engine.setNeedClientAuth(true);
            case WANT -> engine.setWantClientAuth(true);
            default -> {
                // A new engine asks for no certificate.
            }
        }
        if (alpn.length > 0) {
            Conscrypt.setApplicationProtocols(engine, alpn);
        }
        // Off by default (SSL_OP_NO_TICKET): without it a TLS 1.3 server never resumes.
        Conscrypt.setUseSessionTickets(engine, true);
    }

    /**
     * Everything a Conscrypt client sets but its SNI name. Conscrypt's {@code setSSLParameters}
     * replaces ALPN, endpoint identification, suite order, SNI matchers and algorithm
     * constraints with what it is given, and a new {@code SSLParameters} holds what a new engine
     * has; suites stay null (untouched) unless configured.
     */
    private SSLParameters conscryptClientTemplate() {
        SSLParameters p = new SSLParameters();
        p.setProtocols(protocols);
        if (cipherSuites != null) {
            p.setCipherSuites(cipherSuites);
        }
        p.setApplicationProtocols(alpn);
        if (verifyHostname) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        return p;
    }

    private void jdkServer(SSLEngine engine) {
        engine.setUseClientMode(false);
        SSLParameters p = jdkCommon(engine);
        switch (clientAuth) {
            case NEED -> p.setNeedClientAuth(true);
            case WANT -> p.setWantClientAuth(true);
            default -> p.setNeedClientAuth(false); // clears "want" as well
        }
        engine.setSSLParameters(p);
    }

    private SSLParameters jdkCommon(SSLEngine engine) {
        // Start from the engine's parameters so that provider defaults we do not set survive.
        SSLParameters p = engine.getSSLParameters();
        p.setProtocols(protocols);
        if (cipherSuites != null) {
            p.setCipherSuites(cipherSuites);
        }
        if (alpn.length > 0) {
            p.setApplicationProtocols(alpn);
        }
        if (maxPacketSize > 0) {
            p.setMaximumPacketSize(maxPacketSize);
        }
        return p;
    }

    /** SNI {@code serverName} (if any) and, when verifying, the "HTTPS" check against it or the host. */
    private void nameAndCheck(SSLParameters p, String serverName) {
        if (serverName != null) {
            p.setServerNames(List.of(new SNIHostName(serverName)));
        }
        if (verifyHostname) {
            // Checked by the trust manager during the handshake, against the SNI name or host.
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
    }

    private static boolean isValidSniName(String name) {
        try {
            new SNIHostName(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean isIpLiteral(String host) {
        return IPV4_LITERAL.matcher(host).matches() || host.indexOf(':') >= 0 || host.startsWith("[");
    }

    /** Provider, protocols, DTLS packet size and ALPN, for logs. */
    String describe() {
        return provider + ", " + Arrays.toString(protocols)
                + (maxPacketSize > 0 ? ", max packet " + maxPacketSize : "")
                + (alpn.length > 0 ? ", alpn " + Arrays.toString(alpn) : "");
    }
}
