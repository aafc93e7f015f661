package org.jevent.bufferevent.ssl;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;

/**
 * Engines for the TLS tests, from the library's own {@link SslContexts} and one throw-away
 * {@link SelfSignedCertificate} for {@code localhost} (no keytool process).
 *
 * <p>Contexts are built once per provider, role and protocol: building one converts the key
 * and reads what the provider supports from a probe engine, work the tests need not repeat. Each
 * client engine names a peer port of its own, so no session is resumed from an earlier test and
 * every handshake is a full one.
 */
final class TlsTestSupport {
    private static final SelfSignedCertificate CERTIFICATE = SelfSignedCertificate.generate();
    private static final Map<String, SslContexts> CONTEXTS = new HashMap<>();
    private static final AtomicInteger PEER_PORTS = new AtomicInteger();

    private TlsTestSupport() {
    }

    /** The certificate every server engine presents and every client engine trusts (alone). */
    static SelfSignedCertificate certificate() {
        return CERTIFICATE;
    }

    /**
     * A new engine of {@code provider} with only {@code protocol} enabled: a server presenting
     * {@link #certificate()}, or a client for {@code localhost} that trusts only that certificate
     * (and checks the host name against it).
     */
    static SSLEngine engine(SslProvider provider, boolean client, String protocol) throws Exception {
        SslContexts context = context(provider, client, protocol);
        return client
                ? context.newClientEngine("localhost", 1 + PEER_PORTS.getAndIncrement() % 65535)
                : context.newServerEngine();
    }

    private static synchronized SslContexts context(SslProvider provider, boolean client, String protocol)
            throws Exception {
        String key = provider + (client ? " client " : " server ") + protocol;
        SslContexts c = CONTEXTS.get(key);
        if (c == null) {
            c = client
                    ? SslContexts.forClient().provider(provider).protocols(protocol)
                            .trustCertificates(CERTIFICATE.certificate()).build()
                    : SslContexts.forServer(CERTIFICATE).provider(provider).protocols(protocol).build();
            CONTEXTS.put(key, c);
        }
        return c;
    }
}
