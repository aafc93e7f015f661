package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Conscrypt's "a server whose enabled suites are all TLS 1.3 sets no certificate" quirk, seen on
 * 2.5.2, and the guard in {@link SslContexts.Builder#cipherSuites}.
 */
class SslContextsConscryptQuirkTest {
    private static final String[] TLS13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256"};
    private static SelfSignedCertificate cert;

    @BeforeAll
    static void certificate() {
        cert = SelfSignedCertificate.generate();
    }

    private static SSLEngine client(SslProvider p, String... protocols) throws Exception {
        return SslContexts.forClient().provider(p).trustCertificates(cert.certificate()).protocols(protocols).build()
                .newClientEngine("localhost", 443);
    }

    /**
     * Still there in 2.9.0: an engine configured by hand with only TLS 1.3 suites fails every
     * handshake. If this test starts failing, Conscrypt fixed it and the guard can go.
     */
    @ParameterizedTest
    @EnumSource(SslProvider.class)
    void conscrypt290StillFailsWithOnlyTls13SuitesSetByHand(SslProvider clientProvider) throws Exception {
        SSLEngine s = SslContexts.forServer(cert).provider(SslProvider.CONSCRYPT).build().newServerEngine();
        s.setEnabledCipherSuites(TLS13);
        SSLException e = assertThrows(SSLException.class,
                () -> SslContextsHandshake.run(client(clientProvider, "TLSv1.3"), s));
        assertTrue(e.getMessage().contains("NO_CERTIFICATE_SET"), e.getMessage());
    }

    /** Through the builder the same request works, and means what it says: TLS 1.3 only. */
    @ParameterizedTest
    @EnumSource(SslProvider.class)
    void builderGuardMakesTls13OnlySuitesWork(SslProvider clientProvider) throws Exception {
        SslContexts server = SslContexts.forServer(cert).provider(SslProvider.CONSCRYPT).cipherSuites(TLS13).build();
        assertEquals(List.of("TLSv1.3"), server.protocols(), "TLS 1.2 is off, so the added TLS 1.2 suites cannot be used");
        SSLEngine s = server.newServerEngine();
        assertTrue(List.of(s.getEnabledCipherSuites()).contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
        SSLEngine c = client(clientProvider, "TLSv1.3", "TLSv1.2");
        SslContextsHandshake.run(c, s).echo("tls13-only");
        assertEquals("TLSv1.3", c.getSession().getProtocol());

        assertThrows(SSLException.class,
                () -> SslContextsHandshake.run(client(clientProvider, "TLSv1.2"), server.newServerEngine()));
    }

    /** The JDK has no such quirk, and the guard leaves it alone. */
    @ParameterizedTest
    @EnumSource(SslProvider.class)
    void jdkServerNeedsNoGuard(SslProvider clientProvider) throws Exception {
        SslContexts server = SslContexts.forServer(cert).provider(SslProvider.JDK).cipherSuites(TLS13).build();
        assertEquals(SslContexts.DEFAULT_PROTOCOLS, server.protocols());
        SSLEngine s = server.newServerEngine();
        assertEquals(List.of(TLS13), List.of(s.getEnabledCipherSuites()));
        SSLEngine c = client(clientProvider, "TLSv1.3");
        SslContextsHandshake.run(c, s).echo("jdk");
    }
}
