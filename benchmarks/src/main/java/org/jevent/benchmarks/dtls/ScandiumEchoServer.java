package org.jevent.benchmarks.dtls;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.eclipse.californium.elements.RawData;
import org.eclipse.californium.elements.config.CertificateAuthenticationMode;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.ConnectionListener;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.Connection;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.jevent.benchmarks.echo.EchoServer;

/**
 * Eclipse Californium's Scandium {@link DTLSConnector} (3.13.0) as a DTLS echo server: every
 * application datagram is sent back to its endpoint. Its defaults are kept (its own receiver and
 * connection threads, sized by the core count), except the role (server only), the same maximum
 * datagram size as jevent's (1,452), a HelloVerifyRequest for every new peer in both modes (as
 * jevent's verifier always does), and, with certificates, no client certificate asked for.
 * Sessions are counted by its {@link ConnectionListener}: established and not yet removed.
 */
final class ScandiumEchoServer implements EchoServer.Impl {
    static {
        DtlsConfig.register();
    }

    private final DtlsConnectorConfig.Builder config;
    /** Connections established and not yet removed (Scandium's threads add and remove). */
    private final Set<Connection> sessions = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private DTLSConnector connector;

    private ScandiumEchoServer(DtlsConnectorConfig.Builder config) {
        this.config = config;
    }

    private static DtlsConnectorConfig.Builder base() {
        DtlsConnectorConfig.Builder b = DtlsConnectorConfig.builder(new Configuration());
        b.set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.SERVER_ONLY);
        b.set(DtlsConfig.DTLS_MAX_TRANSMISSION_UNIT, 1452);
        b.set(DtlsConfig.DTLS_USE_HELLO_VERIFY_REQUEST, true);
        b.set(DtlsConfig.DTLS_USE_HELLO_VERIFY_REQUEST_FOR_PSK, true);
        b.setAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return b;
    }

    /** PSK: the client's identity gets the Qt example's key. */
    static ScandiumEchoServer psk() {
        DtlsConnectorConfig.Builder b = base();
        AdvancedMultiPskStore store = new AdvancedMultiPskStore();
        store.setKey(Credentials.PSK_IDENTITY, Credentials.pskKey());
        b.setAdvancedPskStore(store);
        return new ScandiumEchoServer(b);
    }

    /** X.509: the run's certificate; no client certificate. */
    static ScandiumEchoServer certificate(PrivateKey key, X509Certificate cert) {
        DtlsConnectorConfig.Builder b = base();
        b.setCertificateIdentityProvider(new SingleCertificateProvider(key, new X509Certificate[] {cert},
                CertificateType.X_509));
        b.set(DtlsConfig.DTLS_CLIENT_AUTHENTICATION_MODE, CertificateAuthenticationMode.NONE);
        return new ScandiumEchoServer(b);
    }

    @Override
    public int start() throws Exception {
        config.setConnectionListener(new Counter());
        connector = new DTLSConnector(config.build());
        connector.setRawDataReceiver(raw -> connector.send(
                RawData.outbound(raw.getBytes(), raw.getEndpointContext(), null, false)));
        connector.start();
        return connector.getAddress().getPort();
    }

    @Override
    public int connections() {
        return sessions.size();
    }

    @Override
    public void stop() {
        connector.destroy();
    }

    /** Counts established and removed connections; nothing else. */
    private final class Counter implements ConnectionListener {
        @Override
        public void onConnectionEstablished(Connection connection) {
            sessions.add(connection);
        }

        @Override
        public void onConnectionRemoved(Connection connection) {
            sessions.remove(connection);
        }

        @Override
        public boolean onConnectionUpdatesSequenceNumbers(Connection connection, boolean writeSequenceNumber) {
            return false;
        }

        @Override
        public boolean onConnectionMacError(Connection connection) {
            return false;
        }

        @Override
        public void beforeExecution(Connection connection) {
        }

        @Override
        public void updateExecution(Connection connection) {
        }

        @Override
        public void afterExecution(Connection connection) {
        }
    }
}
