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
 * <p>Invariant: immutable; every value was checked by {@link SslContexts.Builder#build()} against
 * what the context supports, and the arrays are never handed out.
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
    }

    List<String> protocols() {
        return List.of(protocols);
    }

    /** A new server-mode {@code engine} with everything applied. */
    SSLEngine server(SSLEngine engine) {
        engine.setUseClientMode(false);
        SSLParameters p = common(engine);
        switch (clientAuth) {
            case NEED -> p.setNeedClientAuth(true);
            case WANT -> p.setWantClientAuth(true);
            default -> p.setNeedClientAuth(false); // clears "want" as well
        }
        engine.setSSLParameters(p);
        if (provider == SslProvider.CONSCRYPT) {
            // Off by default (SSL_OP_NO_TICKET): without it a TLS 1.3 server never resumes.
            Conscrypt.setUseSessionTickets(engine, true);
        }
        return engine;
    }

    /** A new client-mode {@code engine} for {@code host} (may be null) with everything applied. */
    SSLEngine client(SSLEngine engine, String host) {
        engine.setUseClientMode(true);
        SSLParameters p = common(engine);
        String serverName = sni != null ? sni : (host != null && !isIpLiteral(host) ? host : null);
        if (serverName != null) {
            try {
                p.setServerNames(List.of(new SNIHostName(serverName)));
            } catch (IllegalArgumentException e) {
                if (sni != null) {
                    throw e; // cannot happen: checked by Builder.sni
                }
                // A host that is not a valid SNI name (e.g. with '_') is still reachable: no SNI.
            }
        }
        if (verifyHostname) {
            // Checked by the trust manager during the handshake, against the SNI name or host.
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(p);
        return engine;
    }

    private SSLParameters common(SSLEngine engine) {
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
