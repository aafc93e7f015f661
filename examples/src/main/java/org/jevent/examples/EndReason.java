package org.jevent.examples;

import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslError;

/**
 * Why a connection ended, from the event that ended it, in the words the examples log:
 * {@code clean close_notify} (TLS), {@code EOF} (plaintext), {@code truncated} (TLS without
 * close_notify), {@code timeout (reading|writing)}, or {@code error: message}. The C samples
 * print {@code bufferevent_get_openssl_error} codes and {@code perror} instead; this is the same
 * information, readable in one line.
 */
final class EndReason {
    private EndReason() {
    }

    static String of(Bufferevent b, int what) {
        String dir = (what & Bufferevent.BEV_EVENT_READING) != 0 ? "reading"
                : (what & Bufferevent.BEV_EVENT_WRITING) != 0 ? "writing" : "handshake or connect";
        if ((what & Bufferevent.BEV_EVENT_TIMEOUT) != 0) {
            return "timeout (" + dir + ")";
        }
        if ((what & Bufferevent.BEV_EVENT_ERROR) != 0) {
            if (b instanceof SslBufferevent s) {
                for (SslError e : s.getSslErrors()) {
                    if (String.valueOf(e.cause().getMessage()).contains("truncation")) {
                        return "truncated (EOF without close_notify)";
                    }
                }
                if (!s.getSslErrors().isEmpty()) {
                    return "error: " + s.getSslErrors().get(0).describe();
                }
            }
            Throwable t = b.getLastError();
            return "error: " + (t == null ? "unknown" : t.getMessage() == null ? t.toString() : t.getMessage());
        }
        if ((what & Bufferevent.BEV_EVENT_EOF) != 0) {
            return b instanceof SslBufferevent ? "clean close_notify" : "EOF";
        }
        return "event 0x" + Integer.toHexString(what);
    }

    /** True for the events that end a connection: EOF, ERROR, TIMEOUT. */
    static boolean isEnd(int what) {
        return (what & (Bufferevent.BEV_EVENT_EOF | Bufferevent.BEV_EVENT_ERROR | Bufferevent.BEV_EVENT_TIMEOUT)) != 0;
    }
}
