package org.jevent.bufferevent.ssl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLS errors of one {@link SslBufferevent}, oldest first, as OpenSSL keeps its error queue
 * for {@code bufferevent_get_openssl_error}.
 *
 * <p>Invariant: at most {@link SslBufferevent#MAX_ERRORS} entries; when full, adding drops the
 * oldest first.
 */
final class SslErrorQueue {
    private final ArrayDeque<SslError> errors = new ArrayDeque<>();

    void add(SslError e) {
        if (errors.size() == SslBufferevent.MAX_ERRORS) {
            errors.pollFirst();
        }
        errors.addLast(e);
    }

    /** Removes and returns the oldest error, or null. */
    SslError poll() {
        return errors.pollFirst();
    }

    /** Every error, oldest first, without removing them. */
    List<SslError> snapshot() {
        return new ArrayList<>(errors);
    }
}
