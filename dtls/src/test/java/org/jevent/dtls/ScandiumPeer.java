package org.jevent.dtls;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.eclipse.californium.elements.AddressEndpointContext;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.config.CertificateAuthenticationMode;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;

/**
 * Eclipse Californium's Scandium {@link DTLSConnector} as a test peer: the minimal configuration
 * for a PSK or X.509 client or server on loopback. What arrives is queued for the test's loop;
 * Scandium runs its own threads. A server echoes every datagram back prefixed with "echo:".
 */
final class ScandiumPeer implements AutoCloseable {
    static {
        DtlsConfig.register();
    }

    final DTLSConnector connector;
    final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();

    private ScandiumPeer(DtlsConnectorConfig.Builder b, boolean echo) throws Exception {
        b.setAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        connector = new DTLSConnector(b.build());
        connector.setRawDataReceiver(raw -> {
            String text = new String(raw.getBytes(), StandardCharsets.UTF_8);
            received.add(text);
            if (echo) {
                connector.send(RawData.outbound(("echo:" + text).getBytes(StandardCharsets.UTF_8),
                        raw.getEndpointContext(), null, false));
            }
        });
        connector.start();
    }

    private static DtlsConnectorConfig.Builder builder(DtlsConfig.DtlsRole role) {
        Configuration config = new Configuration();
        DtlsConnectorConfig.Builder b = DtlsConnectorConfig.builder(config);
        b.set(DtlsConfig.DTLS_ROLE, role);
        b.set(DtlsConfig.DTLS_MAX_TRANSMISSION_UNIT, 1452);
        return b;
    }

    /** A PSK server knowing one identity. */
    static ScandiumPeer pskServer(String identity, byte[] key) throws Exception {
        DtlsConnectorConfig.Builder b = builder(DtlsConfig.DtlsRole.SERVER_ONLY);
        AdvancedMultiPskStore store = new AdvancedMultiPskStore();
        store.setKey(identity, key);
        b.setAdvancedPskStore(store);
        return new ScandiumPeer(b, true);
    }

    /** A PSK client. */
    static ScandiumPeer pskClient(String identity, byte[] key) throws Exception {
        DtlsConnectorConfig.Builder b = builder(DtlsConfig.DtlsRole.CLIENT_ONLY);
        b.setAdvancedPskStore(new AdvancedSinglePskStore(identity, key));
        return new ScandiumPeer(b, false);
    }

    /** An X.509 server that asks for no client certificate. */
    static ScandiumPeer certificateServer(PrivateKey key, X509Certificate cert) throws Exception {
        DtlsConnectorConfig.Builder b = builder(DtlsConfig.DtlsRole.SERVER_ONLY);
        b.setCertificateIdentityProvider(new SingleCertificateProvider(key, new X509Certificate[] {cert}, CertificateType.X_509));
        b.set(DtlsConfig.DTLS_CLIENT_AUTHENTICATION_MODE, CertificateAuthenticationMode.NONE);
        return new ScandiumPeer(b, true);
    }

    /** An X.509 client trusting {@code anchor}; no client certificate, no subject check (we dial an IP). */
    static ScandiumPeer certificateClient(X509Certificate anchor) throws Exception {
        DtlsConnectorConfig.Builder b = builder(DtlsConfig.DtlsRole.CLIENT_ONLY);
        b.setAdvancedCertificateVerifier(StaticNewAdvancedCertificateVerifier.builder().setTrustedCertificates(anchor).build());
        b.set(DtlsConfig.DTLS_VERIFY_SERVER_CERTIFICATES_SUBJECT, false);
        return new ScandiumPeer(b, false);
    }

    InetSocketAddress address() {
        return connector.getAddress();
    }

    /** Sends; Scandium does the handshake first when there is no session with {@code to}. */
    void send(String text, InetSocketAddress to) {
        connector.send(RawData.outbound(text.getBytes(StandardCharsets.UTF_8), new AddressEndpointContext(to), null, false));
    }

    @Override
    public void close() {
        connector.destroy();
    }
}
