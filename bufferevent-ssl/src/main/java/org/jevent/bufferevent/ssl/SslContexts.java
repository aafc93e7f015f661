package org.jevent.bufferevent.ssl;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * TLS configuration made small: an {@link SSLContext} and correctly configured {@link SSLEngine}s
 * for a server or a client, from PEM files, a {@link SelfSignedCertificate} or a {@link KeyStore}.
 * It stands for OpenSSL's {@code SSL_CTX}: what a libevent program sets up with {@code
 * SSL_CTX_new} and {@code SSL_CTX_*} calls is a {@link Builder} here, and {@code SSL_new} is
 * {@link #newServerEngine()} or {@link #newClientEngine}, whose engine goes to {@link
 * SslBufferevent#socket} or {@link SslBufferevent#filter} ({@code docs/porting.md} maps each call).
 *
 * <pre>{@code
 * SslContexts server = SslContexts.forServer(Path.of("chain.pem"), Path.of("key.pem"))
 *         .alpn("h2", "http/1.1")
 *         .build();
 * SSLEngine accepted = server.newServerEngine();
 *
 * SslContexts client = SslContexts.forClient()
 *         .trustPem(Path.of("ca.pem"))
 *         .build();
 * SSLEngine connecting = client.newClientEngine("api.example.com", 443);
 * }</pre>
 *
 * <h2>Defaults, and why</h2>
 * <ul>
 * <li>Provider {@link SslProvider#CONSCRYPT}: 6–15× the JDK 17 provider's full handshakes per second
 * and faster bulk on direct buffers (shared/reference 1.3). One Conscrypt {@link
 * java.security.Provider} is created for the whole process, lazily, and never installed
 * globally, so the JDK's own defaults stay untouched.</li>
 * <li>Protocols TLSv1.3 and TLSv1.2 ({@link #DEFAULT_PROTOCOLS}); older ones only on request.</li>
 * <li>Clients verify the certificate chain against the system trust store (unless a trust source
 * is given) and the host name ({@code "HTTPS"} endpoint identification) against the host passed
 * to {@link #newClientEngine}; both are on unless turned off by name
 * ({@link Builder#hostnameVerification(boolean)}, {@link Builder#trustAllInsecure()}).</li>
 * <li>Clients send SNI for the host they connect to, set explicitly: the JDK sends none for a
 * dotless name such as {@code localhost}, Conscrypt does, and neither for an IP literal.</li>
 * <li>Key material is decoded once and served by an in-memory key manager (see {@link
 * SingleKeyManager}); the JDK's {@code "PKIX"} key manager re-decrypts a PKCS#12 key on every
 * handshake and costs ~8× in handshake rate.</li>
 * <li>Conscrypt server engines have TLS 1.3 session tickets on ({@code
 * Conscrypt.setUseSessionTickets}): off, a Conscrypt TLS 1.3 server never resumes a session.
 * Conscrypt sends its tickets with the first application data record, not at handshake end.</li>
 * <li>Trust managers come from the JDK ({@code SunJSSE} {@code "PKIX"}) for both providers, so
 * chain and host name checks behave the same whichever engine runs.</li>
 * </ul>
 *
 * <h2>Conscrypt and TLS 1.3-only cipher suites</h2>
 * A Conscrypt server chooses its certificate from the key types of its enabled cipher suites;
 * TLS 1.3 suites name no key type. With only TLS 1.3 suites enabled, Conscrypt 2.5.2 set no
 * certificate and failed every handshake with {@code NO_CERTIFICATE_SET}. Conscrypt 2.9.0 still
 * does (tested in {@code SslContextsConscryptQuirkTest}). {@link Builder#cipherSuites} therefore
 * guards Conscrypt servers: if every requested suite is a TLS 1.3 one, it adds the TLS 1.2 ECDHE
 * suites for the key's type (so that the certificate gets set) and removes TLSv1.2 and older from
 * the protocols (so that those suites can never be negotiated): the result is exactly what was
 * asked for, TLS 1.3 with those suites. Engines configured by hand outside this class are not
 * guarded.
 *
 * <h2>Key exchange groups</h2>
 * Conscrypt 2.9.0 offers the hybrid X25519MLKEM768 group first, which makes its TLS 1.3
 * ClientHello about 1.4 KB. There is no per-engine setting for groups on JDK 17 ({@code
 * SSLParameters.setNamedGroups} needs JDK 20, Conscrypt's only exists for its sockets); the
 * system property {@code -Djdk.tls.namedGroups=x25519,secp256r1} pins them for both providers.
 *
 * <h2>DTLS</h2>
 * {@link Builder#dtls()} makes the same configuration for datagrams: an {@code
 * SSLContext.getInstance("DTLS")} of SunJSSE, the only provider with DTLS (Conscrypt has none:
 * asking for both fails with a clear error, whichever is set first), protocols {@link
 * #DEFAULT_DTLS_PROTOCOLS} unless {@link Builder#protocols} says otherwise, and on every engine
 * the maximum packet size ({@code SSLParameters.setMaximumPacketSize}), so that the engine cuts
 * its handshake messages into datagrams no longer than that. The {@code jevent-dtls} module
 * drives such engines over UDP.
 *
 * <pre>{@code
 * SslContexts dtls = SslContexts.forServer(Path.of("chain.pem"), Path.of("key.pem")).dtls().build();
 * }</pre>
 *
 * <h2>Invariants</h2>
 * An instance is immutable and thread-safe: it is built once for one role (server or client), its
 * {@link SSLContext} is initialised, and every setting has been checked against what that
 * context supports. Every engine it returns is a new engine with the role, protocols, suites,
 * ALPN, client authentication, SNI, endpoint identification and (DTLS) maximum packet size
 * already applied; nothing is applied later. A DTLS configuration's provider is {@link
 * SslProvider#JDK}. A {@link Builder} is not thread-safe and reads no file until {@link
 * Builder#build()}.
 */
public final class SslContexts {
    /** Protocols enabled unless {@link Builder#protocols} says otherwise. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Protocols a {@link Builder#dtls()} configuration enables unless {@link Builder#protocols} says otherwise. */
    public static final List<String> DEFAULT_DTLS_PROTOCOLS = List.of("DTLSv1.2");

    /**
     * The largest datagram a DTLS engine writes unless {@link Builder#dtls(int)} says otherwise:
     * a 1,500-byte Ethernet MTU minus 40 bytes of IPv6 header (IPv4's is 20 without options, so
     * the same size fits both) minus 8 bytes of UDP header. Paths with tunnels (PPPoE, VPNs)
     * need less; 1,232 fits IPv6's minimum MTU of 1,280 everywhere.
     */
    public static final int DEFAULT_DTLS_MAX_PACKET_SIZE = 1452;

    /** Smallest maximum packet size accepted: room for a record and a useful handshake fragment. */
    public static final int MIN_DTLS_PACKET_SIZE = 256;

    /** Largest maximum packet size accepted: the JDK's own default, a full 16 KiB record and its protection. */
    public static final int MAX_DTLS_PACKET_SIZE = 16_717;

    /**
     * Whether a server asks the client for a certificate ({@link Builder#clientAuth}): the mode a
     * C server gives {@code SSL_CTX_set_verify}.
     */
    public enum ClientAuth {
        /** No certificate requested (the default): {@code SSL_VERIFY_NONE} on a server. */
        NONE,
        /**
         * A certificate is requested; a client without one is still accepted, one with a
         * certificate the trust sources refuse is not: {@code SSL_VERIFY_PEER}.
         */
        WANT,
        /**
         * A certificate is required; a client without one fails the handshake: {@code
         * SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT}.
         */
        NEED
    }

    private final boolean server;
    private final SslProvider provider;
    private final SSLContext context;
    private final SingleKeyManager keyManager;
    private final EngineSettings settings;

    private SslContexts(Builder b, SslProvider provider, SSLContext context, SingleKeyManager keyManager,
            String[] protocols, String[] cipherSuites) {
        this.server = b.server;
        this.provider = provider;
        this.context = context;
        this.keyManager = keyManager;
        // Trust-all checks nothing, names included; setting "HTTPS" would only suggest otherwise.
        this.settings = new EngineSettings(provider, protocols, cipherSuites, b.alpn, b.clientAuth, b.sni,
                b.hostnameVerification && !b.trustAll, b.dtlsMaxPacketSize);
    }

    // ---------------------------------------------------------------- factories

    /**
     * A server configured from a PEM certificate chain (leaf first, then intermediates) and an
     * unencrypted PKCS#8 PEM private key (EC, RSA, RSASSA-PSS or EdDSA): OpenSSL's {@code
     * SSL_CTX_new}, {@code SSL_CTX_use_certificate_chain_file} and {@code
     * SSL_CTX_use_PrivateKey_file}. The files are read, and the key checked against the leaf
     * certificate, by {@link Builder#build()}, which reports what is wrong with them.
     *
     * @param certificateChainPem the chain file: one or more {@code CERTIFICATE} blocks, this
     *     server's own certificate first
     * @param privateKeyPem the key file ({@code -----BEGIN PRIVATE KEY-----}); a PKCS#1
     *     {@code RSA PRIVATE KEY} or SEC 1 {@code EC PRIVATE KEY} is refused with the {@code openssl
     *     pkcs8} command that converts it
     * @return a new server builder with this identity, the other settings at their defaults
     */
    public static Builder forServer(Path certificateChainPem, Path privateKeyPem) {
        return new Builder(true).identity(certificateChainPem, privateKeyPem);
    }

    /**
     * A server presenting a self-signed certificate (tests, development): what a C test does with
     * {@code openssl req -x509} and {@code SSL_CTX_use_certificate}.
     *
     * @param certificate the certificate and key to present; a client trusts it with {@link
     *     Builder#trustCertificates} and {@link SelfSignedCertificate#certificate()}
     * @return a new server builder with this identity, the other settings at their defaults
     */
    public static Builder forServer(SelfSignedCertificate certificate) {
        return new Builder(true).identity(certificate);
    }

    /**
     * A server presenting the one private-key entry of a key store. The key is read (and, for
     * PKCS#12, decrypted) once, by {@link Builder#build()}.
     *
     * @param keyStore a loaded key store holding exactly one private-key entry; {@link
     *     Builder#build()} fails if it holds none or several (name one with {@link
     *     Builder#identity(KeyStore, String, char[])})
     * @param password the entry's password, copied at once; null for an entry without one
     * @return a new server builder with this identity, the other settings at their defaults
     */
    public static Builder forServer(KeyStore keyStore, char[] password) {
        return new Builder(true).identity(keyStore, null, password);
    }

    /**
     * A server presenting a key and chain already in memory ({@code SSL_CTX_use_PrivateKey} and
     * {@code SSL_CTX_use_certificate}). {@link Builder#build()} checks that the key belongs to
     * the first certificate.
     *
     * @param key the private key of the first certificate
     * @param chain the certificate chain: at least this server's own certificate, first, then
     *     any intermediates
     * @return a new server builder with this identity, the other settings at their defaults
     * @throws IllegalArgumentException if {@code chain} is empty
     * @throws NullPointerException if {@code key}, {@code chain} or one of its certificates is
     *     null, naming which
     */
    public static Builder forServer(PrivateKey key, X509Certificate... chain) {
        return new Builder(true).identity(key, chain);
    }

    /**
     * A client ({@code SSL_CTX_new} with {@code TLS_client_method}): system trust store, host
     * name verification, no client certificate, until told otherwise.
     *
     * @return a new client builder with the defaults of the class comment
     */
    public static Builder forClient() {
        return new Builder(false);
    }

    // ---------------------------------------------------------------- built object

    /**
     * {@return the initialised context, for code that creates engines itself} Such engines get
     * no host name check and no {@link Builder#sni} name, and on Conscrypt and the JDK none of
     * this object's other settings either (role, protocols, suites, ALPN, client
     * authentication): prefer {@link #newServerEngine()} and {@link #newClientEngine}. For
     * {@link SslProvider#TCNATIVE} it is a wrapper over netty-tcnative's context that makes
     * engines only (no sockets) and cannot be initialised again.
     */
    public SSLContext sslContext() {
        return context;
    }

    /**
     * {@return the TLS implementation behind {@link #sslContext()} and every engine made here}
     * {@link SslProvider#JDK} for a DTLS configuration, whatever the builder was told.
     */
    public SslProvider provider() {
        return provider;
    }

    /**
     * {@return true if this was built by a {@code forServer} factory (it makes server engines),
     * false for {@link #forClient()}}
     */
    public boolean isServer() {
        return server;
    }

    /**
     * {@return the protocols every engine enables, an unmodifiable list in preference order}
     * As asked for, except that the TLS 1.3-only guard of Conscrypt servers (class comment)
     * drops TLSv1.2 and older.
     */
    public List<String> protocols() {
        return settings.protocols();
    }

    /**
     * {@return true if this was built with {@link Builder#dtls()}: its engines speak DTLS, over
     * datagrams}
     */
    public boolean isDtls() {
        return settings.maxPacketSize > 0;
    }

    /**
     * {@return the largest datagram, in bytes, every DTLS engine writes; 0 for a TLS
     * configuration}
     */
    public int maxPacketSize() {
        return settings.maxPacketSize;
    }

    /**
     * A new server-mode engine with protocols, suites, ALPN and client authentication applied
     * and, on Conscrypt, TLS 1.3 session tickets on: OpenSSL's {@code SSL_new} then {@code
     * SSL_set_accept_state}. Any thread; one engine per connection, given to {@link
     * SslBufferevent} with {@link SslState#ACCEPTING}.
     *
     * @return a new engine, handshake not begun
     * @throws IllegalStateException if this was built for a client
     */
    public SSLEngine newServerEngine() {
        if (!server) {
            throw new IllegalStateException("built by forClient(): use newClientEngine(host, port)");
        }
        return settings.server(context.createSSLEngine());
    }

    /**
     * A new client-mode engine for {@code host:port}: the pair keys the client session cache
     * (resumption needs it), {@code host} is the name verified against the server certificate
     * and, unless {@link Builder#sni} named another or it is an IP literal, the SNI name sent.
     * OpenSSL's {@code SSL_new}, {@code SSL_set_connect_state}, {@code SSL_set1_host} and {@code
     * SSL_set_tlsext_host_name}. Any thread; one engine per connection, given to {@link
     * SslBufferevent} with {@link SslState#CONNECTING}.
     *
     * @param host the server's host name or IP literal; may be null only when host name
     *     verification is off (then no session caching and no SNI unless {@link Builder#sni})
     * @param port the server's port, or -1 if unknown
     * @return a new engine, handshake not begun
     * @throws IllegalStateException if this was built for a server
     * @throws IllegalArgumentException if {@code host} is null while host names are verified
     */
    public SSLEngine newClientEngine(String host, int port) {
        if (server) {
            throw new IllegalStateException("built by forServer(...): use newServerEngine()");
        }
        if (host == null && settings.verifyHostname) {
            throw new IllegalArgumentException(
                    "host name verification needs the host; pass it or build with hostnameVerification(false)");
        }
        return settings.client(host == null ? context.createSSLEngine() : context.createSSLEngine(host, port), host);
    }

    /**
     * The application protocol an engine negotiated by ALPN (OpenSSL's {@code
     * SSL_get0_alpn_selected}), the same for every provider: the JDK reports "none" as {@code
     * ""}, Conscrypt as {@code null}; here both are null.
     *
     * @param engine an engine whose handshake finished (the event callback's {@code
     *     BEV_EVENT_CONNECTED}: {@link SslBufferevent#getEngine()}); before that, null
     * @return the protocol name, e.g. {@code "h2"}, or null if none was negotiated
     */
    public static String applicationProtocol(SSLEngine engine) {
        String p = engine.getApplicationProtocol();
        return p == null || p.isEmpty() ? null : p;
    }

    /** The key manager, for tests; null without an identity. */
    X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /** {@return the role, provider, protocols and (DTLS) packet size, for logs} */
    @Override
    public String toString() {
        return "SslContexts[" + (server ? "server" : "client") + ", " + settings.describe() + "]";
    }

    // ---------------------------------------------------------------- builder

    /**
     * Collects settings; {@link #build()} reads files, checks everything and makes the context.
     *
     * <p>Invariant: the role is fixed at creation; a setting that has no meaning for that role
     * (client authentication on a client, SNI on a server) fails at once rather than being
     * ignored. Setters return this builder; later calls replace earlier ones, except trust
     * sources, which add up. Not thread-safe: one thread sets it up and builds; the {@link
     * SslContexts} it builds is safe to share.
     */
    public static final class Builder {
        private final boolean server;
        private KeyMaterial.IdentitySource identity;
        private final List<KeyMaterial.TrustSource> trust = new ArrayList<>();
        private boolean trustAll;
        private ClientAuth clientAuth = ClientAuth.NONE;
        private String[] alpn = new String[0];
        private String sni;
        private boolean hostnameVerification = true;
        private SslProvider provider = SslProvider.CONSCRYPT;
        /** Whether {@link #provider} was called: a default may change with DTLS, a choice may not. */
        private boolean providerChosen;
        /** Null: the defaults of TLS or DTLS. */
        private String[] protocols;
        private String[] cipherSuites;
        /** 0: TLS; otherwise DTLS with this maximum packet size. */
        private int dtlsMaxPacketSize;

        private Builder(boolean server) {
            this.server = server;
        }

        /**
         * This end's certificate chain and key from PEM files, as {@link
         * SslContexts#forServer(Path, Path)} describes ({@code SSL_CTX_use_certificate_chain_file}
         * and {@code SSL_CTX_use_PrivateKey_file}); on a client, the certificate it presents
         * when a server asks for one. Replaces any earlier identity; the files are read by
         * {@link #build()}.
         *
         * @param certificateChainPem chain file, this end's own certificate first
         * @param privateKeyPem unencrypted PKCS#8 key file of that certificate
         * @return this builder
         */
        public Builder identity(Path certificateChainPem, Path privateKeyPem) {
            Objects.requireNonNull(certificateChainPem, "certificateChainPem");
            Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            identity = KeyMaterial.fromPem(certificateChainPem, privateKeyPem);
            return this;
        }

        /**
         * This end's certificate and key from a {@link SelfSignedCertificate}; replaces any
         * earlier identity. For tests: a client presenting it is accepted by a server that
         * trusts exactly this certificate ({@link #trustCertificates}).
         *
         * @param certificate the generated certificate and its key
         * @return this builder
         */
        public Builder identity(SelfSignedCertificate certificate) {
            Objects.requireNonNull(certificate, "certificate");
            identity = KeyMaterial.fromSelfSigned(certificate);
            return this;
        }

        /**
         * This end's certificate and key from a key store entry, read (and, for PKCS#12,
         * decrypted) once by {@link #build()}; replaces any earlier identity.
         *
         * @param keyStore a loaded key store
         * @param alias the private-key entry to use, or null if the store holds exactly one;
         *     {@link #build()} fails naming the aliases if it holds several
         * @param password the entry's password, copied at once; null for an entry without one
         * @return this builder
         */
        public Builder identity(KeyStore keyStore, String alias, char[] password) {
            Objects.requireNonNull(keyStore, "keyStore");
            identity = KeyMaterial.fromKeyStore(keyStore, alias, password);
            return this;
        }

        /**
         * This end's key and chain, already in memory ({@code SSL_CTX_use_PrivateKey} and
         * {@code SSL_CTX_use_certificate}); replaces any earlier identity. {@link #build()}
         * checks that the key belongs to the first certificate.
         *
         * @param key the private key of the first certificate
         * @param chain at least this end's own certificate, first, then any intermediates
         * @return this builder
         * @throws IllegalArgumentException if {@code chain} is empty
         * @throws NullPointerException if {@code key}, {@code chain} or one of its certificates
         *     is null, naming which
         */
        public Builder identity(PrivateKey key, X509Certificate... chain) {
            Objects.requireNonNull(key, "key");
            if (requireElements("chain", chain).length == 0) {
                throw new IllegalArgumentException("empty certificate chain: give at least this end's own certificate"
                        + " (the one the private key belongs to), first, then any intermediates");
            }
            identity = KeyMaterial.fromMemory(key, chain);
            return this;
        }

        /**
         * Trusts the certificates of a PEM file (CA certificates, or a self-signed peer's own
         * certificate): OpenSSL's {@code SSL_CTX_load_verify_locations(ctx, caPem, NULL)}. Adds
         * to other trust sources; replaces the system trust store. The file is read by {@link
         * #build()}, which fails if the sources hold no certificate at all.
         *
         * @param caPem a file of one or more {@code CERTIFICATE} blocks
         * @return this builder
         */
        public Builder trustPem(Path caPem) {
            Objects.requireNonNull(caPem, "caPem");
            trust.add(KeyMaterial.trustPem(caPem));
            return this;
        }

        /**
         * Trusts every certificate of a key store: its trusted-certificate entries and the
         * first certificate of each key entry (as the JDK's own trust manager does), read by
         * {@link #build()}. Adds to other trust sources; replaces the system trust store.
         *
         * @param trustStore a loaded key store; its entries need no password
         * @return this builder
         */
        public Builder trustStore(KeyStore trustStore) {
            Objects.requireNonNull(trustStore, "trustStore");
            trust.add(KeyMaterial.trustStore(trustStore));
            return this;
        }

        /**
         * Trusts the given certificates ({@code X509_STORE_add_cert} on the context's store).
         * Adds to other trust sources; replaces the system trust store.
         *
         * @param certificates the trust anchors: CA certificates, or a self-signed peer's own
         *     certificate ({@link SelfSignedCertificate#certificate()})
         * @return this builder
         */
        public Builder trustCertificates(X509Certificate... certificates) {
            requireElements("certificates", certificates);
            trust.add(KeyMaterial.trustCertificates(certificates));
            return this;
        }

        /**
         * INSECURE: accepts any certificate chain from the peer and checks no host name, as
         * OpenSSL's {@code SSL_VERIFY_NONE} does. Only for tests and for talking to a known peer
         * over an already-trusted path; anyone on the network path can impersonate the peer.
         * Cannot be combined with other trust sources: {@link #build()} fails if it is.
         *
         * @return this builder
         */
        public Builder trustAllInsecure() {
            trustAll = true;
            return this;
        }

        /**
         * Server only: whether to ask clients for a certificate, OpenSSL's {@code
         * SSL_CTX_set_verify} on a server. Anything but {@link ClientAuth#NONE} needs an explicit
         * trust source ({@link #trustPem}, {@link #trustStore}, {@link #trustCertificates} or
         * {@link #trustAllInsecure}), or {@link #build()} fails: client certificates from the
         * public web PKI are rarely what a server means to accept.
         *
         * @param mode {@link ClientAuth#NEED} ({@code SSL_VERIFY_PEER |
         *     SSL_VERIFY_FAIL_IF_NO_PEER_CERT}), {@link ClientAuth#WANT} ({@code SSL_VERIFY_PEER})
         *     or {@link ClientAuth#NONE} (the default)
         * @return this builder
         * @throws IllegalStateException on a client builder
         */
        public Builder clientAuth(ClientAuth mode) {
            if (!server) {
                throw new IllegalStateException("clientAuth is a server setting; a client presents a certificate with identity(...)");
            }
            clientAuth = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * ALPN protocols ({@code "h2"}, {@code "http/1.1"}), most preferred first. A client offers
         * them ({@code SSL_CTX_set_alpn_protos}); a server picks the first of its own list that
         * the client offered (what a C server writes as {@code SSL_CTX_set_alpn_select_cb}).
         * With no overlap the JDK server fails the handshake while Conscrypt and netty-tcnative
         * continue without ALPN. {@link SslContexts#applicationProtocol} tells the outcome.
         *
         * @param protocols protocol names; none to turn ALPN off
         * @return this builder
         * @throws IllegalArgumentException if a name is null or empty
         */
        public Builder alpn(String... protocols) {
            Objects.requireNonNull(protocols, "protocols");
            for (String p : protocols) {
                if (p == null || p.isEmpty()) {
                    throw new IllegalArgumentException("empty ALPN protocol name");
                }
            }
            alpn = protocols.clone();
            return this;
        }

        /**
         * Client only: the SNI host name to send ({@code SSL_set_tlsext_host_name}), instead of
         * the host given to {@link #newClientEngine}. With Conscrypt this name also becomes the
         * one verified against the certificate; the JDK accepts a certificate for either.
         *
         * @param hostName a DNS host name (not an IP literal)
         * @return this builder
         * @throws IllegalStateException on a server builder
         * @throws IllegalArgumentException if the name is not a valid SNI host name
         */
        public Builder sni(String hostName) {
            if (server) {
                throw new IllegalStateException("sni is a client setting");
            }
            new SNIHostName(hostName); // validates now rather than at the first engine
            sni = hostName;
            return this;
        }

        /**
         * Client only: whether the server certificate must match the host name ({@code "HTTPS"}
         * endpoint identification, what OpenSSL's {@code SSL_set1_host} asks for). On by
         * default; turn it off only when the chain is trusted for one peer anyway (a pinned
         * self-signed certificate).
         *
         * @param on false to skip the host name check (the chain is still verified)
         * @return this builder
         * @throws IllegalStateException on a server builder
         */
        public Builder hostnameVerification(boolean on) {
            if (server) {
                throw new IllegalStateException("hostnameVerification is a client setting");
            }
            hostnameVerification = on;
            return this;
        }

        /**
         * The TLS implementation; {@link SslProvider#CONSCRYPT} by default. Whether it is
         * usable here (native library, netty-tcnative on the class path) is checked by {@link
         * #build()}.
         *
         * @param provider {@link SslProvider#CONSCRYPT}, {@link SslProvider#JDK} or {@link
         *     SslProvider#TCNATIVE}; for a {@link #dtls()} configuration only {@link
         *     SslProvider#JDK}
         * @return this builder
         * @throws IllegalStateException if {@link #dtls()} was called and {@code provider} is
         *     not {@link SslProvider#JDK}
         */
        public Builder provider(SslProvider provider) {
            Objects.requireNonNull(provider, "provider");
            if (dtlsMaxPacketSize > 0 && provider != SslProvider.JDK) {
                throw new IllegalStateException(SslProvider.CONSCRYPT_HAS_NO_DTLS);
            }
            this.provider = provider;
            providerChosen = true;
            return this;
        }

        /**
         * DTLS instead of TLS, with {@link #DEFAULT_DTLS_MAX_PACKET_SIZE} as the largest datagram;
         * see {@link #dtls(int)}.
         *
         * @return this builder
         * @throws IllegalStateException if {@link #provider} chose Conscrypt, which has no DTLS
         */
        public Builder dtls() {
            return dtls(DEFAULT_DTLS_MAX_PACKET_SIZE);
        }

        /**
         * DTLS instead of TLS: the context is SunJSSE's {@code "DTLS"} (the provider becomes
         * {@link SslProvider#JDK}, the only one with DTLS), the protocols default to {@link
         * #DEFAULT_DTLS_PROTOCOLS}, and every engine writes datagrams of at most {@code
         * maxPacketSize} bytes, fragmenting its handshake messages to fit. Set it to the path MTU
         * minus the IP and UDP headers.
         *
         * @param maxPacketSize {@value #MIN_DTLS_PACKET_SIZE} to {@value #MAX_DTLS_PACKET_SIZE} bytes
         * @return this builder
         * @throws IllegalStateException if {@link #provider} chose Conscrypt, which has no DTLS
         * @throws IllegalArgumentException if the size is out of range
         */
        public Builder dtls(int maxPacketSize) {
            if (maxPacketSize < MIN_DTLS_PACKET_SIZE || maxPacketSize > MAX_DTLS_PACKET_SIZE) {
                throw new IllegalArgumentException("DTLS maximum packet size must be " + MIN_DTLS_PACKET_SIZE + ".."
                        + MAX_DTLS_PACKET_SIZE + ": " + maxPacketSize);
            }
            if (providerChosen && provider != SslProvider.JDK) {
                throw new IllegalStateException(SslProvider.CONSCRYPT_HAS_NO_DTLS);
            }
            dtlsMaxPacketSize = maxPacketSize;
            return this;
        }

        /**
         * The protocols to enable, e.g. {@code "TLSv1.3"}, or for {@link #dtls()} {@code
         * "DTLSv1.2"}; {@link #DEFAULT_PROTOCOLS} (or {@link #DEFAULT_DTLS_PROTOCOLS}) otherwise.
         * A C program bounds the versions with {@code SSL_CTX_set_min_proto_version} and {@code
         * SSL_CTX_set_max_proto_version}; here each enabled version is named. {@link #build()}
         * checks them against the provider.
         *
         * @param protocols one or more protocol names the provider supports
         * @return this builder
         * @throws IllegalArgumentException if none is given
         */
        public Builder protocols(String... protocols) {
            if (requireElements("protocols", protocols).length == 0) {
                throw new IllegalArgumentException("no protocols");
            }
            this.protocols = protocols.clone();
            return this;
        }

        /**
         * The cipher suites to enable (standard names); the provider's defaults otherwise. On
         * Conscrypt the TLS 1.3 suites are always enabled whatever this says (BoringSSL does not
         * let them be chosen). See the class comment for the TLS 1.3-only guard on Conscrypt
         * servers. One list for OpenSSL's {@code SSL_CTX_set_cipher_list} (TLS 1.2) and {@code
         * SSL_CTX_set_ciphersuites} (TLS 1.3), in standard (IANA) names such as {@code
         * TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, not OpenSSL's. {@link #build()} checks them
         * against the provider.
         *
         * @param suites one or more suite names the provider supports
         * @return this builder
         * @throws IllegalArgumentException if none is given
         */
        public Builder cipherSuites(String... suites) {
            if (requireElements("suites", suites).length == 0) {
                throw new IllegalArgumentException("no cipher suites");
            }
            cipherSuites = suites.clone();
            return this;
        }

        /**
         * {@code items}, checked at the call that supplies them: a null array or element fails
         * here, naming it ({@code "chain[1] is null"}), rather than later without a name.
         */
        private static <T> T[] requireElements(String name, T[] items) {
            Objects.requireNonNull(items, name);
            for (int i = 0; i < items.length; i++) {
                if (items[i] == null) {
                    throw new NullPointerException(name + "[" + i + "] is null");
                }
            }
            return items;
        }

        /**
         * Reads the files, decodes the key once, checks the configuration and initialises the
         * context. The builder is left as it was; building again makes another context.
         *
         * @return the immutable configuration
         * @throws IOException if a file cannot be read
         * @throws GeneralSecurityException if a certificate or key cannot be decoded, the key
         *     does not match the certificate, or the provider refuses the configuration; the
         *     message names the file and, for a wrong key format, the command that converts it
         * @throws IllegalStateException if the settings contradict each other (a server without
         *     identity, client authentication without a trust source, trust-all mixed with
         *     trust sources), or the provider cannot run here (Conscrypt's native library did
         *     not load; netty-tcnative's classes or native library are missing), with what to add
         * @throws IllegalArgumentException if a protocol or suite is not supported, among them
         *     DTLS protocols without {@link #dtls()} and TLS protocols with it
         */
        public SslContexts build() throws IOException, GeneralSecurityException {
            if (server && identity == null) {
                throw new IllegalStateException("a server needs an identity");
            }
            if (trustAll && !trust.isEmpty()) {
                throw new IllegalStateException("trustAllInsecure() cannot be combined with trust sources");
            }
            if (server && clientAuth != ClientAuth.NONE && !trustAll && trust.isEmpty()) {
                throw new IllegalStateException("clientAuth(" + clientAuth
                        + ") needs a trust source for client certificates: trustPem, trustStore, trustCertificates");
            }
            boolean dtls = dtlsMaxPacketSize > 0;
            String[] protos = protocols != null ? protocols.clone()
                    : (dtls ? DEFAULT_DTLS_PROTOCOLS : DEFAULT_PROTOCOLS).toArray(new String[0]);
            if (!dtls) {
                for (String p : protos) {
                    if (p.toUpperCase(Locale.ROOT).startsWith("DTLS")) {
                        throw new IllegalArgumentException("protocol " + p + " is DTLS: call dtls() on the builder,"
                                + " which makes a DTLS context (SunJSSE) and sets the maximum packet size");
                    }
                }
            }
            // DTLS exists only on the JDK (an explicit other choice was refused by provider/dtls).
            SslProvider effective = dtls ? SslProvider.JDK : provider;
            boolean tcnative = effective == SslProvider.TCNATIVE;
            if (tcnative) {
                SslProvider.requireTcnativeClasses();
                TcnativeContext.requireAvailable();
            }
            SingleKeyManager km = identity == null ? null : KeyMaterial.keyManager(identity, effective);
            TrustManager[] tms = KeyMaterial.trustManagers(trust, trustAll);
            SSLContext ctx = null;
            EngineSupport supported;
            if (tcnative) {
                supported = TcnativeContext.support(); // the context itself is made from the checked settings
            } else {
                ctx = dtls ? effective.newDtlsContext() : effective.newContext();
                // An empty array, not null: null makes both providers fall back to a default key
                // manager built from the javax.net.ssl.keyStore system properties.
                ctx.init(km == null ? new KeyManager[0] : new KeyManager[] {km}, tms, new SecureRandom());
                supported = EngineSupport.of(ctx);
            }

            SuiteChecks.requireSupported("protocol", protos, supported.protocols());
            String[] suites = cipherSuites == null ? null : cipherSuites.clone();
            if (suites != null) {
                SuiteChecks.requireSupported("cipher suite", suites, supported.cipherSuites());
                if (server && effective == SslProvider.CONSCRYPT && SuiteChecks.allTls13(suites)) {
                    // Conscrypt quirk, see the class comment: a server with only TLS 1.3 suites
                    // sets no certificate (NO_CERTIFICATE_SET).
                    suites = SuiteChecks.withTls12SuitesFor(suites, SingleKeyManager.keyType(km.key()),
                            supported.cipherSuites());
                    protos = SuiteChecks.tls13Only(protos);
                }
            }
            if (tcnative) {
                ctx = TcnativeContext.create(server, km, tms[0], protos, suites, alpn, clientAuth);
            }
            return new SslContexts(this, effective, ctx, km, protos, suites);
        }
    }
}
