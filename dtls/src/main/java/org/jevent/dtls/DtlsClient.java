package org.jevent.dtls;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.eventbase.EventBase;

/**
 * A DTLS 1.2 client on the {@link EventBase}: Qt's {@code QDtls} in client mode over its own
 * {@code QUdpSocket}. {@link #connect} opens a UDP socket of its own, starts the handshake at
 * once and returns the {@link DtlsSession}, which carries the datagrams both ways and owns the
 * socket (it closes with the session).
 *
 * <pre>{@code
 * DtlsSession s = DtlsClient.connect(base, serverAddress, BcPskDtls.client("Qt DTLS example client", key).build(),
 *         (session, message) -> handle(message),
 *         (session, what) -> {
 *             if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
 *                 session.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)));
 *             }
 *         });
 * }</pre>
 *
 * <p>The session retransmits its flights, bounds its handshake and, if asked, its idle time,
 * exactly as a server's sessions do ({@link DtlsSession}). Datagrams from anyone but the server
 * are ignored. Threading: on the loop thread of {@code base}.
 */
public final class DtlsClient {
    private DtlsClient() {
    }

    /** Settings; {@link #connect} opens the socket and starts the handshake. */
    public static final class Builder extends SessionBuilder<Builder> {
        private InetSocketAddress local;
        private boolean connectedSocket;

        private Builder(EventBase base, DtlsEngineFactory factory) {
            super(base, factory, Duration.ZERO);
        }

        /**
         * The local address to bind; by default the wildcard address of the server's family,
         * port 0 (a free port).
         *
         * @param local the address
         * @return this builder
         */
        public Builder localAddress(InetSocketAddress local) {
            this.local = Objects.requireNonNull(local, "local");
            return this;
        }

        /**
         * Connects the client's UDP socket to the server ({@code connect(2)}, as Qt's client
         * example does with {@code connectToHost}): the kernel picks the source address when the
         * session is made, so {@link DtlsSession#getLocalAddress()} gives the address and port
         * the server sees instead of a wildcard, and datagrams from anyone else never reach the
         * process. Off by default, which leaves the socket bound to the wildcard address.
         *
         * @param on whether to connect
         * @return this builder
         */
        public Builder connectedSocket(boolean on) {
            connectedSocket = on;
            return this;
        }

        /**
         * Opens the socket, makes the session and sends the first flight. The callbacks are in
         * place before anything can happen; a handshake that cannot even start (a full bctls
         * handshake pool) reports {@code BEV_EVENT_ERROR} before this returns.
         *
         * @param server the server's address (resolved)
         * @param readcb gets each message
         * @param eventcb gets the events ({@code BEV_EVENT_CONNECTED} first, on success)
         * @return the session
         * @throws IOException if the socket cannot be opened
         * @throws IllegalArgumentException if the factory is a server one or the address unresolved
         * @throws IllegalStateException off the loop thread
         */
        public DtlsSession connect(InetSocketAddress server, DtlsSession.MessageCb readcb, DtlsSession.EventCb eventcb)
                throws IOException {
            Objects.requireNonNull(server, "server");
            base.checkInLoopThread();
            factory.checkClient();
            if (server.isUnresolved()) {
                throw new IllegalArgumentException("unresolved server address: " + server);
            }
            SessionSettings settings = settings();
            UdpEndpoint.Options options = new UdpEndpoint.Options().maxDatagramSize(factory.maxDatagramSize())
                    .connect(connectedSocket ? server : null);
            DtlsSession[] session = new DtlsSession[1];
            UdpEndpoint endpoint = UdpEndpoint.bind(base, local != null ? local : wildcardFor(server), options,
                    (ep, datagram, from) -> {
                        if (from.equals(server)) {
                            session[0].receive(datagram);
                        }
                    });
            DtlsSession s = new DtlsSession(settings, endpoint, server,
                    finished -> endpoint.closeAfterFlush(SslBufferevent.SHUTDOWN_FLUSH_LIMIT), true);
            session[0] = s;
            try {
                s.attach(factory.newClientEngine(settings, server, s.engineListener()));
            } catch (RuntimeException e) {
                endpoint.close();
                throw e;
            }
            s.setCallbacks(readcb, eventcb);
            s.start();
            return s;
        }

        private static InetSocketAddress wildcardFor(InetSocketAddress server) throws UnknownHostException {
            byte[] any = new byte[server.getAddress() instanceof Inet6Address ? 16 : 4];
            return new InetSocketAddress(InetAddress.getByAddress(any), 0);
        }
    }

    /**
     * Settings for clients on {@code base} running {@code factory}'s engines.
     *
     * @param base the loop
     * @param factory {@link JdkDtls#client} or {@link BcPskDtls#client}; it may serve many clients
     * @return a builder
     */
    public static Builder builder(EventBase base, DtlsEngineFactory factory) {
        return new Builder(base, factory);
    }

    /**
     * A client with the default settings (handshake timeout {@link
     * DtlsSession#DEFAULT_HANDSHAKE_TIMEOUT}, no idle timeout); see {@link Builder#connect}.
     *
     * @param base the loop
     * @param server the server's address
     * @param factory {@link JdkDtls#client} or {@link BcPskDtls#client}
     * @param readcb gets each message
     * @param eventcb gets the events
     * @return the session, handshaking
     * @throws IOException if the socket cannot be opened
     */
    public static DtlsSession connect(EventBase base, InetSocketAddress server, DtlsEngineFactory factory,
            DtlsSession.MessageCb readcb, DtlsSession.EventCb eventcb) throws IOException {
        return builder(base, factory).connect(server, readcb, eventcb);
    }
}
