package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** {@link SslError#of}: the alert and its direction from each engine's way of saying it. */
class SslErrorTest {
    @Test
    void jdkReceivedAlertIsRemoteWithItsName() {
        SSLException e = new SSLHandshakeException("Received fatal alert: bad_certificate");
        SslError error = SslError.of(e);
        assertSame(e, error.cause());
        assertEquals("bad_certificate", error.alert());
        assertTrue(error.remote());
        assertEquals("peer reported alert bad_certificate: Received fatal alert: bad_certificate", error.describe());
    }

    @Test
    void boringSslReasonIsRemoteInLowerCase() {
        SslError error = SslError.of(new SSLException(
                "error:10000418:SSL routines:OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA (external/boringssl)"));
        assertEquals("unknown_ca", error.alert());
        assertTrue(error.remote());
    }

    @Test
    void anythingElseIsLocalWithoutAlertEvenIfACauseNamesOne() {
        SslError error = SslError.of(new SSLException("PKIX path validation failed",
                new SSLException("Received fatal alert: handshake_failure")));
        assertNull(error.alert());
        assertFalse(error.remote());
        assertNull(SslError.of(new SSLException((String) null)).alert(), "no message");
    }
}
