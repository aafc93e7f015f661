package org.jevent.dtls;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.jevent.bufferevent.ssl.SslError;
import org.jevent.bufferevent.ssl.SslErrorQueue;

/**
 * How a DTLS engine's exception becomes an entry of its {@link DtlsSession}'s error queue (an
 * {@link SslErrorQueue}, the one {@code SslBufferevent} keeps): an {@link SslError}, so code that
 * reads TLS errors reads DTLS ones the same way.
 *
 * <p>Classification: bctls names the alert in its exception types ({@link TlsFatalAlertReceived}:
 * the peer sent it; {@link TlsFatalAlert}: we did); the JDK says {@code "Received fatal alert:
 * NAME"} for an alert from the peer and names no alert it sent, read by {@link SslError#of} as
 * for TLS. The exception's causes are searched too: the first that names an alert decides.
 */
final class DtlsErrors {
    private DtlsErrors() {
    }

    /** An engine's exception as a queue entry, with the alert and its direction where known. */
    static SslError of(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TlsFatalAlertReceived r) {
                return new SslError(e, AlertDescription.getName(r.getAlertDescription()), true);
            }
            if (t instanceof TlsFatalAlert a) {
                return new SslError(e, AlertDescription.getName(a.getAlertDescription()), false);
            }
            SslError named = SslError.of(t); // the JDK's "Received fatal alert: NAME"
            if (named.alert() != null) {
                return t == e ? named : new SslError(e, named.alert(), named.remote());
            }
        }
        return new SslError(e, null, false);
    }
}
