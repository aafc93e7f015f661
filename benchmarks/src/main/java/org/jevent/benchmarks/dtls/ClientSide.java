package org.jevent.benchmarks.dtls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslContexts;
import org.jevent.dtls.BcPskDtls;
import org.jevent.dtls.DtlsClient;
import org.jevent.dtls.DtlsEngineFactory;
import org.jevent.dtls.DtlsSession;
import org.jevent.dtls.JdkDtls;
import org.jevent.dtls.UdpEndpoint;
import org.jevent.eventbase.EventBase;

/**
 * How the load client reaches one server: the same jevent client for every server of a mode, so
 * that servers differ and the client does not. Certificates: {@link DtlsClient} over the JDK's
 * engine ({@link JdkDtls}), trusting the run's certificate; PSK: {@link DtlsClient} over bctls
 * ({@link BcPskDtls}) offering one suite ({@code --psk-suite}); plain UDP: a {@link UdpEndpoint}.
 * Each link has its own socket (its own source port), as separate clients would.
 *
 * <p>Every handshake is a full one. bctls' client resumes nothing unless told to. The JDK's
 * client would offer to resume the last session it had with the same host and port (its client
 * session cache is keyed by them), so each JDK link dials the server's address under a host name
 * of its own ({@code c17.dtls-bench}, resolved to the server's IP without a lookup): no two
 * links share a cache entry. Host name verification is off (the certificate is pinned as the
 * only trust anchor; its chain is still validated) and the cache is kept small.
 */
final class ClientSide {
    /** What a link tells the workload; on the link's loop thread. */
    interface Handler {
        /** The handshake completed (plain UDP: at once); the link can send. */
        void connected(Link link);

        /** One datagram's message, valid during the call only. */
        void message(Link link, ByteBuffer message);

        /** The link ended without being asked (handshake failure or timeout, the peer's close). */
        void ended(Link link, String why);
    }

    /** One client association: a DTLS session, or a UDP socket. On its loop thread only. */
    abstract static class Link {
        /** Whatever the workload keeps with it. */
        Object attachment;

        /** Sends one message; false if the socket refused it. */
        abstract boolean send(ByteBuffer message);

        /** Ends it politely: close_notify for DTLS. */
        abstract void close();

        /** Ends it without a word. */
        abstract void free();

        /** The negotiated suite, or "plain". */
        abstract String suite();
    }

    private static final AtomicLong HOSTS = new AtomicLong();
    private final DtlsServers.Mode mode;
    private final InetSocketAddress server;
    private final DtlsEngineFactory[] factories;
    /** Suites the links negotiated (a run should see exactly one per mode). */
    final Set<String> suites = ConcurrentHashMap.newKeySet();

    /**
     * @param loops one factory per client loop (bctls' client factory runs its handshakes on a
     *     pool of {@code handshakeThreads} threads)
     */
    ClientSide(DtlsServers.Mode mode, InetSocketAddress server, X509Certificate anchor, String pskSuite, int loops,
            int handshakeThreads) throws Exception {
        this.mode = mode;
        this.server = server;
        this.factories = new DtlsEngineFactory[loops];
        for (int i = 0; i < loops; i++) {
            factories[i] = switch (mode) {
                case CERT -> {
                    SslContexts c = SslContexts.forClient().trustCertificates(anchor).hostnameVerification(false).dtls()
                            .build();
                    c.sslContext().getClientSessionContext().setSessionCacheSize(64);
                    yield JdkDtls.client(c);
                }
                case PSK -> BcPskDtls.client(Credentials.PSK_IDENTITY, Credentials.pskKey())
                        .cipherSuites(pskSuiteNumber(pskSuite)).handshakeThreads(handshakeThreads).build();
                case UDP -> null;
            };
        }
    }

    /** An IANA suite number from bctls' {@code CipherSuite} constants, by name. */
    static int pskSuiteNumber(String name) {
        try {
            return org.bouncycastle.tls.CipherSuite.class.getField(name).getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("no bctls cipher suite " + name);
        }
    }

    /** Opens a link from loop {@code loop} carrying {@code attachment}; on that loop's thread. */
    Link open(int loop, EventBase base, Handler handler, Object attachment) throws IOException {
        InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (mode == DtlsServers.Mode.UDP) {
            UdpLink link = new UdpLink(base, local, server, handler);
            link.attachment = attachment;
            handler.connected(link);
            return link;
        }
        InetSocketAddress dial = server;
        if (mode == DtlsServers.Mode.CERT) {
            dial = new InetSocketAddress(InetAddress.getByAddress("c" + HOSTS.incrementAndGet() + ".dtls-bench",
                    server.getAddress().getAddress()), server.getPort());
        }
        DtlsLink link = new DtlsLink(handler, suites);
        link.attachment = attachment;
        DtlsSession session = DtlsClient.builder(base, factories[loop]).handshakeTimeout(Duration.ofSeconds(15))
                .localAddress(local).connect(dial, link::onMessage, link::onEvent);
        if (link.session == null) {
            link.session = session;
        }
        return link;
    }

    /** Stops bctls' handshake threads. */
    void close() {
        for (DtlsEngineFactory f : factories) {
            if (f instanceof BcPskDtls b) {
                b.close();
            }
        }
    }

    private static final class DtlsLink extends Link {
        private final Handler handler;
        private final Set<String> suites;
        private DtlsSession session;
        private boolean done;

        DtlsLink(Handler handler, Set<String> suites) {
            this.handler = handler;
            this.suites = suites;
        }

        void onMessage(DtlsSession s, ByteBuffer m) {
            handler.message(this, m);
        }

        void onEvent(DtlsSession s, int what) {
            session = s;
            if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                suites.add(s.getCipherSuite());
                handler.connected(this);
            } else if (!done) {
                done = true;
                handler.ended(this, "event 0x" + Integer.toHexString(what) + " " + s.getSslErrors());
            }
        }

        @Override
        boolean send(ByteBuffer message) {
            return session.write(message);
        }

        @Override
        void close() {
            done = true;
            if (session != null) {
                session.shutdown();
            }
        }

        @Override
        void free() {
            done = true;
            if (session != null) {
                session.free();
            }
        }

        @Override
        String suite() {
            return session == null ? null : session.getCipherSuite();
        }
    }

    private static final class UdpLink extends Link {
        private final UdpEndpoint endpoint;
        private final InetSocketAddress server;

        UdpLink(EventBase base, InetSocketAddress local, InetSocketAddress server, Handler handler) throws IOException {
            this.server = server;
            this.endpoint = UdpEndpoint.bind(base, local, new UdpEndpoint.Options(), (ep, datagram, from) -> {
                if (from.equals(server)) {
                    handler.message(this, datagram);
                }
            });
        }

        @Override
        boolean send(ByteBuffer message) {
            return endpoint.send(message, server);
        }

        @Override
        void close() {
            endpoint.close();
        }

        @Override
        void free() {
            endpoint.close();
        }

        @Override
        String suite() {
            return "plain";
        }
    }
}
