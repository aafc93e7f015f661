package org.jevent.dtls;

import javax.net.ssl.SSLException;

/**
 * A DTLS handshake ran out of time: the session's handshake timer fired, or a handshake thread
 * reached its deadline (bctls, or our transport under it). Whoever sees it first, the session
 * reports one {@code BEV_EVENT_TIMEOUT} and queues this as its error.
 */
final class DtlsHandshakeTimeoutException extends SSLException {
    private static final long serialVersionUID = 1L;

    DtlsHandshakeTimeoutException(String message) {
        super(message);
    }
}
