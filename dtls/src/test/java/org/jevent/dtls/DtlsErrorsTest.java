package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import javax.net.ssl.SSLException;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.jevent.bufferevent.ssl.SslError;
import org.junit.jupiter.api.Test;

/** {@link DtlsErrors#of}: each DTLS engine's exception as an error queue entry, searched through its causes. */
class DtlsErrorsTest {
    @Test
    void jdkReceivedAlertEvenAsACause() {
        IOException outer = new IOException("handshake failed", new SSLException("Received fatal alert: bad_certificate"));
        SslError error = DtlsErrors.of(outer);
        assertSame(outer, error.cause(), "the entry keeps the exception the engine threw");
        assertEquals("bad_certificate", error.alert());
        assertTrue(error.remote());
    }

    @Test
    void bctlsAlertsByType() {
        SslError received = DtlsErrors.of(new TlsFatalAlertReceived(AlertDescription.unknown_psk_identity));
        assertEquals("unknown_psk_identity", received.alert());
        assertTrue(received.remote());
        SslError sent = DtlsErrors.of(new IOException(new TlsFatalAlert(AlertDescription.decrypt_error)));
        assertEquals("decrypt_error", sent.alert());
        assertFalse(sent.remote());
    }

    @Test
    void noAlertIsLocal() {
        SslError error = DtlsErrors.of(new SSLException("PKIX path validation failed"));
        assertNull(error.alert());
        assertFalse(error.remote());
    }
}
