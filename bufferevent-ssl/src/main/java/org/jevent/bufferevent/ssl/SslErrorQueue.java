package org.jevent.bufferevent.ssl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The errors of one TLS or DTLS session, oldest first, as OpenSSL keeps its error queue for
 * {@code bufferevent_get_openssl_error}: what {@link SslBufferevent#getSslError()} and
 * {@link SslBufferevent#getSslErrors()} read, and the DTLS sessions of the {@code jevent-dtls}
 * module keep the same way. Not thread-safe: it belongs to its session's loop thread.
 *
 * <p>Invariant: at most {@link SslBufferevent#MAX_ERRORS} entries; when full, adding drops the
 * oldest first. The deque is made on the first error, so a session without errors (the usual
 * idle connection) holds none.
 */
public final class SslErrorQueue {
    private ArrayDeque<SslError> errors;

    /** An empty queue. */
    public SslErrorQueue() {
    }

    /**
     * Appends {@code error}, dropping the oldest entry if the queue holds
     * {@link SslBufferevent#MAX_ERRORS} already.
     *
     * @param error the failure to keep
     */
    public void add(SslError error) {
        if (errors == null) {
            errors = new ArrayDeque<>(4);
        }
        if (errors.size() == SslBufferevent.MAX_ERRORS) {
            errors.pollFirst();
        }
        errors.addLast(error);
    }

    /**
     * Removes and returns the oldest error, as {@code bufferevent_get_openssl_error} does.
     *
     * @return the oldest error, or null if there is none
     */
    public SslError poll() {
        return errors == null ? null : errors.pollFirst();
    }

    /**
     * Every error, oldest first, without removing them.
     *
     * @return a copy the caller may keep
     */
    public List<SslError> snapshot() {
        return errors == null ? new ArrayList<>() : new ArrayList<>(errors);
    }
}
