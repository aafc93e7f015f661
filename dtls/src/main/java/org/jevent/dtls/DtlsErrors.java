package org.jevent.dtls;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslError;

/**
 * The error queue of one {@link DtlsSession}, oldest first, as {@code SslBufferevent} keeps its
 * own (and OpenSSL its error queue): entries are {@link SslError}s, so code that reads TLS
 * errors reads DTLS ones the same way.
 *
 * <p>Classification: bctls names the alert in its exception types ({@link TlsFatalAlertReceived}:
 * the peer sent it; {@link TlsFatalAlert}: we did); the JDK says {@code "Received fatal alert:
 * NAME"} for an alert from the peer and names no alert it sent.
 *
 * <p>Invariant: at most {@link SslBufferevent#MAX_ERRORS} entries; when full, adding drops the
 * oldest. The deque is made on the first error: a session without errors holds none.
 */
final class DtlsErrors {
    private static final String RECEIVED = "Received fatal alert: ";
    private ArrayDeque<SslError> errors;

    void add(SslError e) {
        if (errors == null) {
            errors = new ArrayDeque<>(4);
        }
        if (errors.size() == SslBufferevent.MAX_ERRORS) {
            errors.pollFirst();
        }
        errors.addLast(e);
    }

    /** Removes and returns the oldest error, or null. */
    SslError poll() {
        return errors == null ? null : errors.pollFirst();
    }

    /** Every error, oldest first, without removing them. */
    List<SslError> snapshot() {
        return errors == null ? List.of() : new ArrayList<>(errors);
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
            String msg = t.getMessage();
            int i = msg == null ? -1 : msg.indexOf(RECEIVED);
            if (i >= 0) {
                String alert = msg.substring(i + RECEIVED.length()).trim();
                int end = alert.indexOf(' ');
                return new SslError(e, end > 0 ? alert.substring(0, end) : alert, true);
            }
        }
        return new SslError(e, null, false);
    }
}
