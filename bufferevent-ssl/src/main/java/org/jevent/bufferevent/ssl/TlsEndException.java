package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLException;

/**
 * An {@link SSLException} for a TLS session that ended in one of the ordinary ways this package
 * detects itself: a truncation, a close during the handshake, a handshake or shutdown that ran
 * out of time, a peer-started handshake refused. It carries no stack trace: where it was made
 * says nothing (always the same few lines of the pump), and a server under a handshake load
 * ends every connection this way, where building the trace cost 3.5 % of the loop's CPU
 * (benchmarks/PERF-NOTES.md). Failures nobody expects keep their traces: the engine's own
 * exceptions, and the refusal of bytes that are not TLS.
 */
final class TlsEndException extends SSLException {
    private static final long serialVersionUID = 1L;

    TlsEndException(String message) {
        super(message);
    }

    TlsEndException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // see the class comment: no trace for an ordinary end
    }
}
