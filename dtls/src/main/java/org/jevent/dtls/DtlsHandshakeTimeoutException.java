package org.jevent.dtls;

import javax.net.ssl.SSLException;

/**
 * A DTLS handshake ran out of time: the session's handshake timer fired, or a handshake thread
 * reached its deadline (bctls, or our transport under it). Whoever sees it first, the session
 * reports one {@code BEV_EVENT_TIMEOUT} and queues this as the cause of its error
 * ({@link DtlsSession#getSslError()}); the message names the timeout, e.g. "the DTLS handshake
 * did not complete within 30000 ms".
 */
public final class DtlsHandshakeTimeoutException extends SSLException {
    private static final long serialVersionUID = 1L;

    DtlsHandshakeTimeoutException(String message) {
        super(message);
    }

    /**
     * The one wording, whoever saw the time run out, so that the error names the timeout.
     *
     * @param timeoutMillis the handshake timeout
     * @param who what saw it ("" for the session's own timer)
     */
    static DtlsHandshakeTimeoutException after(long timeoutMillis, String who) {
        return new DtlsHandshakeTimeoutException("the DTLS handshake did not complete within " + timeoutMillis + " ms"
                + (who.isEmpty() ? "" : " (" + who + ")"));
    }
}
