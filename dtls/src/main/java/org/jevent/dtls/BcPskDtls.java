package org.jevent.dtls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.BasicTlsPSKIdentity;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.jevent.bufferevent.ssl.SslContexts;

/**
 * Pre-shared keys over BouncyCastle's bctls: DTLS 1.2 with PSK and ECDHE-PSK suites, the server's
 * identity hint, and a {@link PskKeyCallback} that picks the key from the client's identity (Qt's
 * {@code pskRequired}). Defaults follow the Qt DTLS example: hint {@value #QT_EXAMPLE_HINT}, key
 * {@code 1a2b3c4d5e6f}.
 *
 * <pre>{@code
 * BcPskDtls server = BcPskDtls.server().keys(identity -> keyFor(identity)).build();
 * BcPskDtls client = BcPskDtls.client("Qt DTLS example client", BcPskDtls.QT_EXAMPLE_KEY).build();
 * }</pre>
 *
 * <p>Crypto: the JDK's providers under bctls (AES-GCM on the CPU's AES instructions,
 * ChaCha20-Poly1305, SHA-2, ECDH), BouncyCastle's own Java code only for AES-CCM, which the JDK
 * lacks ({@link JdkFirstTlsCrypto}).
 *
 * <p>bctls' DTLS handshake blocks a thread. Handshakes run on this factory's pool ({@link
 * Builder#handshakeThreads}, default {@value #DEFAULT_HANDSHAKE_THREADS}, daemon threads that end
 * after 30 s idle) with a bounded backlog; each is bounded by the session's handshake timeout,
 * counted from the moment a thread takes it up, after which its thread is free again. With P
 * threads and timeout D, peers that stall on purpose hold at most P threads for at most D each:
 * the pool never grows, and a handshake that waited for a thread still gets its whole D. Size P
 * as the handshakes in flight you expect (rate x duration). Established sessions hold no thread.
 * Close the factory to stop its threads at once.
 *
 * <p>Cookies: {@link HmacCookieScheme}, our address-bound HMAC. bctls' server accepts a verified
 * ClientHello only as a {@code DTLSRequest}, which only its {@code DTLSVerifier} can make; that
 * class computes exactly our cookie ({@code HMAC-SHA256(key, clientId || hello without cookie)}),
 * so {@link BcDtlsServerHandoff} gives it our current or previous secret and our client id, and
 * it re-verifies and returns the request: no bctls cookie ever reaches the wire.
 */
public final class BcPskDtls extends DtlsEngineFactory implements AutoCloseable {
    /** The identity hint of Qt's DTLS server example. */
    public static final String QT_EXAMPLE_HINT = "Qt DTLS example server";
    /** The key of Qt's DTLS examples; {@link #qtExampleKey()} hands out copies. */
    private static final byte[] QT_KEY = {0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f};
    /** Handshake threads unless {@link Builder#handshakeThreads} says otherwise. */
    public static final int DEFAULT_HANDSHAKE_THREADS = 4;
    /** Handshakes that may wait for a thread unless {@link Builder#backlog} says otherwise. */
    public static final int DEFAULT_BACKLOG = 4096;

    /**
     * AEAD suites only, forward secrecy (ECDHE-PSK) first. CBC is left out: bctls ends a CBC
     * session with a fatal decode_error alert on a garbage record from the peer's address, where an
     * AEAD record that fails is dropped silently (RFC 6347 §4.1.2.7); {@link Builder#cipherSuites}
     * still enables it for a peer that has nothing else. Each suite's peers:
     * <ul>
     * <li>ECDHE_PSK AES_128_GCM (RFC 8442): Scandium, bctls; the JDK's AES-GCM.</li>
     * <li>ECDHE_PSK CHACHA20_POLY1305: OpenSSL (its only ECDHE-PSK AEAD suite; OpenSSL 3.0 has no
     * RFC 8442 suites), bctls.</li>
     * <li>PSK AES_128_GCM, CHACHA20_POLY1305, AES_256_GCM: OpenSSL, bctls; Scandium the AES-GCM two.</li>
     * <li>PSK AES_128_CCM_8 and AES_128_CCM: CoAP peers (RFC 7252 mandates PSK_AES_128_CCM_8;
     * tinydtls has nothing else).</li>
     * </ul>
     * No DHE_PSK: a finite-field exchange costs the server far more per handshake than ECDHE, and
     * every peer above that can do DHE_PSK can do ECDHE_PSK.
     */
    static final int[] SUITES = {
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
        CipherSuite.TLS_PSK_WITH_AES_128_CCM,
    };

    /**
     * The pre-shared key of Qt's DTLS examples, hex {@code 1a2b3c4d5e6f}.
     *
     * @return a new copy (bctls zeroes a key once it has used it)
     */
    public static byte[] qtExampleKey() {
        return QT_KEY.clone();
    }

    /** Settings. */
    public static final class Builder {
        private final boolean server;
        private String hint = QT_EXAMPLE_HINT;
        private PskKeyCallback keys = id -> QT_KEY.clone();
        private byte[] identity;
        private byte[] key;
        private int handshakeThreads = DEFAULT_HANDSHAKE_THREADS;
        private int backlog = DEFAULT_BACKLOG;
        private int maxDatagramSize = SslContexts.DEFAULT_DTLS_MAX_PACKET_SIZE;
        private int queueCapacity = 32;
        private int[] suites = SUITES;

        private Builder(boolean server) {
            this.server = server;
        }

        /**
         * Server: the identity hint sent to clients ({@value #QT_EXAMPLE_HINT} by default).
         *
         * @param hint the hint, or null for none
         * @return this builder
         */
        public Builder identityHint(String hint) {
            requireServer("identityHint");
            this.hint = hint;
            return this;
        }

        /**
         * Server: the key for each client identity (Qt's {@code pskRequired}); by default every
         * identity gets {@link #qtExampleKey()}. Called on a handshake thread: see {@link PskKeyCallback}.
         *
         * @param keys the lookup
         * @return this builder
         */
        public Builder keys(PskKeyCallback keys) {
            requireServer("keys");
            this.keys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        private void requireServer(String setting) {
            if (!server) {
                throw new IllegalStateException(setting + " is a server setting; a client sends the identity and key of client(identity, key)");
            }
        }

        /**
         * Threads that run handshakes, at most this many at once.
         *
         * @param threads at least 1
         * @return this builder
         */
        public Builder handshakeThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("handshakeThreads must be >= 1");
            }
            handshakeThreads = threads;
            return this;
        }

        /**
         * Handshakes that may wait for a thread; more fail at once ({@code BEV_EVENT_ERROR}).
         *
         * @param handshakes at least 1
         * @return this builder
         */
        public Builder backlog(int handshakes) {
            if (handshakes < 1) {
                throw new IllegalArgumentException("backlog must be >= 1");
            }
            backlog = handshakes;
            return this;
        }

        /**
         * The largest datagram written and read, {@link SslContexts#DEFAULT_DTLS_MAX_PACKET_SIZE}
         * by default (1,500-byte Ethernet minus IPv6 and UDP headers): bctls fragments handshake
         * messages to it.
         *
         * @param bytes {@value SslContexts#MIN_DTLS_PACKET_SIZE} to {@value SslContexts#MAX_DTLS_PACKET_SIZE}
         * @return this builder
         */
        public Builder maxDatagramSize(int bytes) {
            if (bytes < SslContexts.MIN_DTLS_PACKET_SIZE || bytes > SslContexts.MAX_DTLS_PACKET_SIZE) {
                throw new IllegalArgumentException("maxDatagramSize must be " + SslContexts.MIN_DTLS_PACKET_SIZE + ".."
                        + SslContexts.MAX_DTLS_PACKET_SIZE + ": " + bytes);
            }
            maxDatagramSize = bytes;
            return this;
        }

        /**
         * The suites to offer or accept, most preferred first; by default AEAD PSK and ECDHE-PSK
         * suites, ECDHE-PSK first (see {@code SUITES}). A server picks the first of its own list
         * that the client offers, whatever the client's order. A CBC suite ends its session on a
         * garbage record from the peer's address (bctls' decode_error alert): add one only for a
         * peer that has no AEAD suite.
         *
         * @param suites IANA suite numbers from {@link CipherSuite}
         * @return this builder
         */
        public Builder cipherSuites(int... suites) {
            if (suites.length == 0) {
                throw new IllegalArgumentException("no cipher suites");
            }
            this.suites = suites.clone();
            return this;
        }

        /** @return the factory; its handshake threads start with the first handshake */
        public BcPskDtls build() {
            if (!server && (identity == null || key == null)) {
                throw new IllegalStateException("a PSK client needs an identity and a key");
            }
            return new BcPskDtls(this);
        }
    }

    /**
     * A PSK server factory with the Qt example's hint and key until told otherwise.
     *
     * @return a builder
     */
    public static Builder server() {
        return new Builder(true);
    }

    /**
     * A PSK client factory.
     *
     * @param identity the identity to send
     * @param key the pre-shared key
     * @return a builder
     */
    public static Builder client(String identity, byte[] key) {
        Builder b = new Builder(false);
        b.identity = identity.getBytes(StandardCharsets.UTF_8);
        b.key = key.clone();
        b.hint = null;
        return b;
    }

    private final Builder settings;
    private final ThreadPoolExecutor pool;
    private final HmacCookieScheme cookies;
    private final BcDtlsServerHandoff handoff;
    private final TlsCrypto crypto = new JdkFirstTlsCrypto(new SecureRandom());

    private BcPskDtls(Builder b) {
        if (b.server && b.identity != null) {
            throw new IllegalStateException("a server has no identity of its own");
        }
        this.settings = b;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "jevent-dtls-handshake-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.pool = new ThreadPoolExecutor(b.handshakeThreads, b.handshakeThreads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.backlog), tf);
        pool.allowCoreThreadTimeOut(true);
        this.cookies = b.server ? new HmacCookieScheme() : null;
        this.handoff = b.server ? new BcDtlsServerHandoff(cookies) : null;
    }

    @Override
    public int maxDatagramSize() {
        return settings.maxDatagramSize;
    }

    @Override
    public boolean isServer() {
        return settings.server;
    }

    @Override
    HmacCookieScheme cookieScheme() {
        if (cookies == null) {
            throw new IllegalStateException("a client factory has no cookie scheme");
        }
        return cookies;
    }

    @Override
    DtlsEngine newServerEngine(SessionSettings session, ClientHelloView verifiedHello, InetSocketAddress peer,
            DtlsEngine.Listener listener) {
        if (!settings.server) {
            throw new IllegalStateException("a client factory makes client engines");
        }
        DTLSRequest request = handoff.request(verifiedHello, peer);
        ServerPeer tlsServer = new ServerPeer(crypto, settings, session);
        return new BcDtlsEngine(session.base, listener, pool, settings.maxDatagramSize, settings.queueCapacity,
                session.handshakeTimeoutNanos(), tlsServer.policy.state, t -> new DTLSServerProtocol().accept(tlsServer, t, request));
    }

    @Override
    DtlsEngine newClientEngine(SessionSettings session, InetSocketAddress server, DtlsEngine.Listener listener) {
        checkClient();
        ClientPeer tlsClient = new ClientPeer(crypto, settings, session);
        return new BcDtlsEngine(session.base, listener, pool, settings.maxDatagramSize, settings.queueCapacity,
                session.handshakeTimeoutNanos(), tlsClient.policy.state, t -> new DTLSClientProtocol().connect(tlsClient, t));
    }

    /**
     * Threads alive in the handshake pool now.
     *
     * @return at most {@link Builder#handshakeThreads}
     */
    public int handshakeThreadsAlive() {
        return pool.getPoolSize();
    }

    /**
     * Handshakes running on a thread now.
     *
     * @return at most {@link Builder#handshakeThreads}
     */
    public int handshakesRunning() {
        return pool.getActiveCount();
    }

    /** Stops the handshake threads; handshakes in progress fail. */
    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** What the loop needs to know from a bctls peer object; written by bctls callbacks. */
    static final class Peer {
        volatile boolean closeNotifyReceived;
        volatile String cipherSuiteName;
    }

    /**
     * What the server and client peers answer alike (bctls gives them no common class to put it
     * in): DTLS 1.2 only, the configured suites, the session's timers, and what the loop reads.
     */
    private static final class PeerPolicy {
        final Peer state = new Peer();
        final int[] suites;
        final int timeoutMillis;
        final int resendMillis;

        PeerPolicy(Builder settings, SessionSettings session) {
            this.suites = settings.suites;
            this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, session.handshakeTimeout.toMillis());
            this.resendMillis = (int) session.retransmitInitial.toMillis();
        }

        int[] supportedSuites(TlsCrypto crypto) {
            return TlsUtils.getSupportedCipherSuites(crypto, suites);
        }

        void alertReceived(short description) {
            if (description == AlertDescription.close_notify) {
                state.closeNotifyReceived = true;
            }
        }

        void handshakeComplete(TlsContext context) {
            state.cipherSuiteName = suiteName(context);
        }
    }

    private static final class ServerPeer extends PSKTlsServer {
        final PeerPolicy policy;

        ServerPeer(TlsCrypto crypto, Builder settings, SessionSettings session) {
            super(crypto, new IdentityManager(settings));
            this.policy = new PeerPolicy(settings, session);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return policy.supportedSuites(getCrypto());
        }

        /**
         * The server's order decides, as the JDK's server does by default: bctls would otherwise
         * take the client's first acceptable suite, and a client that lists plain PSK before
         * ECDHE-PSK would get no forward secrecy from a server that prefers it.
         */
        @Override
        protected boolean preferLocalCipherSuites() {
            return true;
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return policy.timeoutMillis;
        }

        @Override
        public int getHandshakeResendTimeMillis() {
            return policy.resendMillis;
        }

        @Override
        public void notifyAlertReceived(short level, short description) {
            policy.alertReceived(description);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            policy.handshakeComplete(context);
        }
    }

    private static final class ClientPeer extends PSKTlsClient {
        final PeerPolicy policy;

        ClientPeer(TlsCrypto crypto, Builder settings, SessionSettings session) {
            super(crypto, new BasicTlsPSKIdentity(settings.identity, settings.key));
            this.policy = new PeerPolicy(settings, session);
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return policy.supportedSuites(getCrypto());
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return policy.timeoutMillis;
        }

        @Override
        public int getHandshakeResendTimeMillis() {
            return policy.resendMillis;
        }

        @Override
        public void notifyAlertReceived(short level, short description) {
            policy.alertReceived(description);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            policy.handshakeComplete(context);
        }
    }

    static String suiteName(TlsContext context) {
        int suite = context.getSecurityParametersConnection().getCipherSuite();
        String name = CipherSuiteNames.name(suite);
        return name != null ? name : String.format("0x%04X", suite);
    }

    /** Qt's pskRequired, as bctls asks for it. */
    private static final class IdentityManager implements TlsPSKIdentityManager {
        private final byte[] hint;
        private final PskKeyCallback keys;

        IdentityManager(Builder settings) {
            this.hint = settings.hint == null ? null : settings.hint.getBytes(StandardCharsets.UTF_8);
            this.keys = settings.keys;
        }

        @Override
        public byte[] getHint() {
            return hint;
        }

        @Override
        public byte[] getPSK(byte[] identity) {
            // A copy: bctls zeroes the array once the key is derived, and the callback may hand
            // out an array it keeps (measured: a shared key array came back as zeros).
            byte[] key = keys.keyFor(identity.clone());
            return key == null ? null : key.clone();
        }
    }
}
