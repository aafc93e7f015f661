package org.jevent.bufferevent.ssl;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.jevent.bufferevent.SocketBufferevent;

/**
 * The channel of an {@link SslBufferevent}'s socket variant: its hidden transport connected by
 * address or by name, TCP_NODELAY on every channel it gets, and the engine named after the host
 * connected to (SNI and the host name check, as {@link SslBufferevent#connectHostname} says).
 *
 * <p>Invariant: exists only for the socket variant; the transport is never seen by the user, so
 * every connect goes through here.
 */
final class TlsSocket {
    private final SocketBufferevent transport;

    TlsSocket(SocketBufferevent transport) {
        this.transport = transport;
    }

    /**
     * TLS records are coalesced per loop turn already; Nagle's algorithm would only hold back the
     * last partial record of a burst until the peer's delayed ACK (40 ms on Linux), so the socket
     * variant turns it off, as Netty does for every socket.
     */
    static void noDelay(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not a TCP socket, or already closed: nothing to tune.
        }
    }

    void connect(SocketAddress address) {
        transport.connect(address);
        noDelay(transport.getChannel());
    }

    /** The transport connected (a channel opened after a name lookup gets TCP_NODELAY here). */
    void connected() {
        noDelay(transport.getChannel());
    }

    void connectHostname(SSLEngine engine, ProtocolFamily family, String host, int port) {
        if (!engine.getUseClientMode()) {
            throw new IllegalStateException("connectHostname needs a client engine (SslState.CONNECTING)");
        }
        nameTheServer(engine, host);
        transport.connectHostname(family, host, port);
    }

    /** SNI and the host name check from the name connected to (see {@link SslBufferevent#connectHostname}). */
    private static void nameTheServer(SSLEngine engine, String host) {
        SSLParameters p = engine.getSSLParameters();
        boolean changed = false;
        if ((p.getServerNames() == null || p.getServerNames().isEmpty()) && !EngineSettings.isIpLiteral(host)) {
            try {
                p.setServerNames(List.of(new SNIHostName(host)));
                changed = true;
            } catch (IllegalArgumentException notAnSniName) {
                // A name SNI cannot carry (an '_', a trailing dot) still resolves: no SNI.
            }
        }
        if (p.getEndpointIdentificationAlgorithm() == null && engine.getPeerHost() == null) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
            changed = true;
        }
        if (changed) {
            engine.setSSLParameters(p);
        }
    }

    Throwable dnsError() {
        return transport.getDnsError();
    }

    SocketChannel channel() {
        return transport.getChannel();
    }
}
