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
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.jevent.eventbase.EventBase;

/**
 * {@link DtlsEngineFactory} for pre-shared keys over bctls: DTLS 1.2 with PSK and ECDHE-PSK
 * suites, the server's identity hint, and a {@link PskKeyCallback} that picks the key from the
 * client's identity (Qt's {@code pskRequired}). Defaults follow the Qt DTLS example: hint
 * {@value #QT_EXAMPLE_HINT}, key {@code 1a2b3c4d5e6f}.
 *
 * <p>Handshakes run on this factory's pool ({@link Builder#handshakeThreads}, default 4) with a
 * bounded backlog; each is bounded by {@link Builder#handshakeTimeoutMillis} (default 10 s), after
 * which its thread is free again. With P threads and deadline D, peers that stall on purpose can
 * hold back other handshakes for at most D, and cannot take more than P threads: the pool never
 * grows. Close the factory to stop its threads.
 *
 * <p>Cookies: {@link HmacCookieScheme}, our address-bound HMAC. bctls' server accepts a verified
 * ClientHello only as a {@code DTLSRequest}, which only its {@code DTLSVerifier} can make; that
 * class computes exactly our cookie ({@code HMAC-SHA256(key, clientId || hello without cookie)}),
 * so {@link BcDtlsServerHandoff} gives it our current or previous secret and our client id, and
 * it re-verifies and returns the request: no bctls cookie ever reaches the wire.
 */
public final class BcPskDtls implements DtlsEngineFactory, AutoCloseable {
    /** The identity hint of Qt's DTLS server example. */
    public static final String QT_EXAMPLE_HINT = "Qt DTLS example server";
    /** The key of Qt's DTLS examples, hex 1a2b3c4d5e6f. */
    public static final byte[] QT_EXAMPLE_KEY = {0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f};

    /** PSK and ECDHE-PSK suites, AEAD first; CCM_8 and CBC for CoAP peers (RFC 7252 mandates PSK_AES_128_CCM_8). */
    static final int[] SUITES = {
        CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
        CipherSuite.TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384,
        CipherSuite.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
        CipherSuite.TLS_PSK_WITH_AES_128_CCM,
        CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256,
    };

    /** Settings. */
    public static final class Builder {
        private final boolean server;
        private String hint = QT_EXAMPLE_HINT;
        private PskKeyCallback keys = id -> QT_EXAMPLE_KEY.clone();
        private byte[] identity;
        private byte[] key;
        private int handshakeThreads = 4;
        private int backlog = 4096;
        private int handshakeTimeoutMillis = 10_000;
        private int maxDatagramSize = UdpEndpoint.DEFAULT_MAX_DATAGRAM_SIZE;
        private int queueCapacity = 32;
        private int[] suites = SUITES;

        private Builder(boolean server) {
            this.server = server;
        }

        /** @param hint the server's identity hint, or null for none @return this */
        public Builder identityHint(String hint) {
            this.hint = hint;
            return this;
        }

        /** @param keys server: key by client identity @return this */
        public Builder keys(PskKeyCallback keys) {
            this.keys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** @param threads handshake threads, at least 1 @return this */
        public Builder handshakeThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("handshakeThreads must be >= 1");
            }
            handshakeThreads = threads;
            return this;
        }

        /** @param handshakes handshakes that may wait for a thread; more fail at once @return this */
        public Builder backlog(int handshakes) {
            if (handshakes < 1) {
                throw new IllegalArgumentException("backlog must be >= 1");
            }
            backlog = handshakes;
            return this;
        }

        /** @param millis handshake deadline @return this */
        public Builder handshakeTimeoutMillis(int millis) {
            if (millis < 1) {
                throw new IllegalArgumentException("handshakeTimeoutMillis must be >= 1");
            }
            handshakeTimeoutMillis = millis;
            return this;
        }

        /** @param bytes the largest datagram (path MTU) @return this */
        public Builder maxDatagramSize(int bytes) {
            maxDatagramSize = bytes;
            return this;
        }

        /** @param suites IANA suite numbers from {@link CipherSuite} @return this */
        public Builder cipherSuites(int... suites) {
            this.suites = suites.clone();
            return this;
        }

        /** @return the factory, with its handshake pool started lazily */
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
    private final TlsCrypto crypto = new BcTlsCrypto(new SecureRandom());

    private BcPskDtls(Builder b) {
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
    public HmacCookieScheme cookieScheme() {
        if (cookies == null) {
            throw new IllegalStateException("a client factory has no cookie scheme");
        }
        return cookies;
    }

    @Override
    public DtlsEngine newServerEngine(ClientHelloView verifiedHello, InetSocketAddress peer, DtlsEngine.Listener listener) {
        if (!settings.server) {
            throw new IllegalStateException("a client factory makes client engines");
        }
        DTLSRequest request = handoff.request(verifiedHello, peer);
        ServerPeer tlsServer = new ServerPeer(crypto, settings);
        return new BcDtlsEngine(loopBase(), listener, pool, settings.maxDatagramSize, settings.queueCapacity,
                deadline(), tlsServer.state, t -> new DTLSServerProtocol().accept(tlsServer, t, request));
    }

    @Override
    public DtlsEngine newClientEngine(InetSocketAddress server, DtlsEngine.Listener listener) {
        if (settings.server) {
            throw new IllegalStateException("a server factory makes server engines");
        }
        ClientPeer tlsClient = new ClientPeer(crypto, settings);
        return new BcDtlsEngine(loopBase(), listener, pool, settings.maxDatagramSize, settings.queueCapacity,
                deadline(), tlsClient.state, t -> new DTLSClientProtocol().connect(tlsClient, t));
    }

    private long deadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.handshakeTimeoutMillis);
    }

    /** Engines live on the loop the factory is bound to; making one elsewhere fails fast. */
    private EventBase loopBase() {
        EventBase b = boundBase;
        if (b == null) {
            throw new IllegalStateException("bind(base) the factory to its loop before making engines");
        }
        b.checkInLoopThread();
        return b;
    }

    private volatile EventBase boundBase;

    /**
     * Ties the factory to the loop its engines run on (one factory per loop).
     *
     * @param base the loop
     * @return this
     */
    public BcPskDtls bind(EventBase base) {
        this.boundBase = Objects.requireNonNull(base, "base");
        return this;
    }

    /** @return threads currently alive in the handshake pool */
    public int handshakeThreadsAlive() {
        return pool.getPoolSize();
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

    private static final class ServerPeer extends PSKTlsServer {
        final Peer state = new Peer();
        final Builder settings;

        ServerPeer(TlsCrypto crypto, Builder settings) {
            super(crypto, new IdentityManager(settings));
            this.settings = settings;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return TlsUtils.getSupportedCipherSuites(getCrypto(), settings.suites);
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return settings.handshakeTimeoutMillis;
        }

        @Override
        public void notifyAlertReceived(short level, short description) {
            if (description == AlertDescription.close_notify) {
                state.closeNotifyReceived = true;
            }
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            state.cipherSuiteName = suiteName(context);
        }
    }

    private static final class ClientPeer extends PSKTlsClient {
        final Peer state = new Peer();
        final Builder settings;

        ClientPeer(TlsCrypto crypto, Builder settings) {
            super(crypto, new BasicTlsPSKIdentity(settings.identity, settings.key));
            this.settings = settings;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return TlsUtils.getSupportedCipherSuites(getCrypto(), settings.suites);
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return settings.handshakeTimeoutMillis;
        }

        @Override
        public void notifyAlertReceived(short level, short description) {
            if (description == AlertDescription.close_notify) {
                state.closeNotifyReceived = true;
            }
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            state.cipherSuiteName = suiteName(context);
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
            return keys.keyFor(identity);
        }
    }
}
