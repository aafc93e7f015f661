package org.jevent.bufferevent;

/**
 * Why a connection ended: {@link Bufferevent#getEndReason()}, set before the EOF, ERROR or
 * TIMEOUT event that reports it runs, so the event callback can read it. libevent leaves this to
 * the program (errno, {@code bufferevent_get_openssl_error}, {@code bufferevent_socket_get_dns_error});
 * here it is decided once, from the state of the bufferevent that saw the end: which read or
 * write failed, whether a connect or a handshake was under way, the secure-close state machine of
 * a TLS bufferevent (truncation is "end of stream before the peer's close_notify", never a word in
 * a message), the exception's type where the JDK gives one. A layer (filter, TLS) passes on the
 * reason of the bufferevent below it when it passes that one's event on.
 *
 * <p>Two readings need more than state, and say so: {@link #RESET} (the JDK reports a reset as a
 * plain {@code IOException} whose message is the only mark) and, for TLS 1.3, an alert that
 * arrived encrypted ({@link #TLS_ALERT_RECEIVED}: the engine's message names it).
 */
public enum EndReason {
    /** End of stream: the peer closed its side (a socket read returned -1; a pair's partner flushed with FINISHED). */
    EOF,
    /** TLS: the peer sent close_notify (answered with ours); a clean end. */
    CLEAN_CLOSE_NOTIFY,
    /** TLS: our {@code shutdown} completed: close_notify sent, and answered if we waited for it. */
    SHUTDOWN,
    /** TLS: our {@code shutdown} gave up: the peer did not answer in time, or our close_notify could not leave. */
    SHUTDOWN_TIMEOUT,
    /**
     * TLS: the transport ended after the handshake without the peer's close_notify: a
     * truncation, reported as ERROR, or as EOF where dirty shutdowns are allowed.
     */
    TRUNCATED,
    /** TLS: the transport ended before the handshake completed (a peer that rejected us often just closes). */
    HANDSHAKE_EOF,
    /** The read timeout expired ({@code READING|TIMEOUT}). */
    TIMEOUT_READ,
    /** The write timeout expired ({@code WRITING|TIMEOUT}) with a connection established. */
    TIMEOUT_WRITE,
    /** The write timeout expired while the socket's connect was still pending ({@code WRITING|TIMEOUT}). */
    CONNECT_TIMEOUT,
    /** TLS: the handshake did not complete within the timeouts that bound it (a bare {@code TIMEOUT}). */
    HANDSHAKE_TIMEOUT,
    /**
     * TLS: the peer asked for a renegotiation this end does not allow: a TLS 1.2 client's
     * ClientHello after the handshake, to a server that allows none (the default) or is over its
     * limit; or, to a netty-tcnative client, its server's second HelloRequest on the connection
     * (that client follows one). It was refused with a fatal alert.
     */
    RENEGOTIATION_REFUSED,
    /** TLS 1.3: the peer requested more key updates than the limit allows within its period; the connection was ended. */
    KEY_UPDATE_LIMIT,
    /** TLS: the peer sent a fatal alert (a record of type alert failed to unwrap, or the engine names the peer's alert). */
    TLS_ALERT_RECEIVED,
    /** TLS: our engine failed and produced a fatal alert for the peer, which was sent. */
    TLS_ALERT_SENT,
    /**
     * TLS: a failure with no alert exchanged: bytes that are not TLS (a bad record header,
     * plaintext left over before an in-place upgrade), or an engine that failed without an alert.
     */
    TLS_ERROR,
    /** The peer reset the connection (a read or write failed with the JDK's "Connection reset"). */
    RESET,
    /** The connect was refused ({@code java.net.ConnectException}). */
    REFUSED,
    /** The name lookup of {@code connectHostname} failed, or the address could not be resolved. */
    UNRESOLVED,
    /** Any other I/O failure of a read, write or connect; {@link Bufferevent#getLastError()} has it. */
    IO_ERROR,
    /** A filter of a {@link FilterBufferevent} reported {@link FilterResult#ERROR}. */
    FILTER_ERROR,
    /**
     * What this bufferevent reads and writes through was closed under it while it lived: its
     * channel closed by someone else, the underlying bufferevent freed, a stream closed.
     */
    TRANSPORT_CLOSED,
    /** This program freed the bufferevent before any end was reported. */
    FREED_LOCALLY;

    /**
     * The reason for an I/O failure, from the exception's type: {@link #REFUSED},
     * {@link #UNRESOLVED}, {@link #TRANSPORT_CLOSED}, {@link #RESET} (message only, see the class
     * comment) or {@link #IO_ERROR}.
     */
    static EndReason ofIoFailure(Throwable e) {
        if (e instanceof java.net.ConnectException) {
            return REFUSED;
        }
        if (e instanceof java.nio.channels.UnresolvedAddressException || e instanceof java.net.UnknownHostException) {
            return UNRESOLVED;
        }
        if (e instanceof java.nio.channels.ClosedChannelException) {
            return TRANSPORT_CLOSED;
        }
        String m = e.getMessage();
        if (e instanceof java.io.IOException && m != null && m.contains("reset")) {
            return RESET;
        }
        return IO_ERROR;
    }
}
