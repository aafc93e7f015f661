package org.jevent.examples;

import java.util.List;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.bufferevent.ssl.SslError;

/**
 * Why a connection ended, from the event that ended it, in the words the examples log:
 * {@code clean close_notify} (TLS), {@code EOF} (plaintext), {@code truncated} (TLS without
 * close_notify), {@code timeout (reading|writing)}, or {@code error: message}. The C samples
 * print {@code bufferevent_get_openssl_error} codes and {@code perror} instead; this is the same
 * information, readable in one line. pg-tls-proxy words it its own way ({@link #withDirection}).
 * Which end it was comes from the library ({@link Bufferevent#getEndReason()}); this class only
 * words it.
 */
final class EndReason {
    private EndReason() {
    }

    /** le-proxy's and becat's wording; a timeout with no direction is a handshake's or a connect's. */
    static String of(Bufferevent b, int what) {
        return of(b, what, "handshake or connect");
    }

    /**
     * {@link #of(Bufferevent, int)} with {@code noDirection} naming what a timeout that is
     * neither reading nor writing ended (echo-server: {@code shutdown}).
     */
    static String of(Bufferevent b, int what, String noDirection) {
        String dir = direction(what, noDirection);
        if ((what & Bufferevent.BEV_EVENT_TIMEOUT) != 0) {
            return "timeout (" + dir + ")";
        }
        if (b.getEndReason() == org.jevent.bufferevent.EndReason.TRUNCATED) {
            return "truncated (EOF without close_notify)";
        }
        if ((what & Bufferevent.BEV_EVENT_ERROR) != 0) {
            String tls = firstSslError(b);
            return "error: " + (tls != null ? tls : lastError(b));
        }
        if ((what & Bufferevent.BEV_EVENT_EOF) != 0) {
            return closeNotify(b) ? "clean close_notify" : "EOF";
        }
        return other(what);
    }

    /**
     * pg-tls-proxy's wording, which gives the direction of errors too: {@code timeout (dir)},
     * {@code TLS error (dir): message}, {@code error (dir): message}, {@code closed (close_notify)}
     * or {@code closed (EOF)}; a timeout or error with no direction is a connect's.
     */
    static String withDirection(Bufferevent b, int what) {
        String dir = direction(what, "connecting");
        if ((what & Bufferevent.BEV_EVENT_TIMEOUT) != 0) {
            return "timeout (" + dir + ")";
        }
        if ((what & Bufferevent.BEV_EVENT_ERROR) != 0) {
            String tls = firstSslError(b);
            return tls != null ? "TLS error (" + dir + "): " + tls : "error (" + dir + "): " + lastError(b);
        }
        if ((what & Bufferevent.BEV_EVENT_EOF) != 0) {
            return closeNotify(b) ? "closed (close_notify)" : "closed (EOF)";
        }
        return other(what);
    }

    /** The TLS session ended with close_notify: the peer's, or ours at the end of a shutdown. */
    private static boolean closeNotify(Bufferevent b) {
        org.jevent.bufferevent.EndReason r = b.getEndReason();
        return r == org.jevent.bufferevent.EndReason.CLEAN_CLOSE_NOTIFY || r == org.jevent.bufferevent.EndReason.SHUTDOWN;
    }

    /** True for the events that end a connection: EOF, ERROR, TIMEOUT. */
    static boolean isEnd(int what) {
        return (what & (Bufferevent.BEV_EVENT_EOF | Bufferevent.BEV_EVENT_ERROR | Bufferevent.BEV_EVENT_TIMEOUT)) != 0;
    }

    private static String direction(int what, String otherwise) {
        return (what & Bufferevent.BEV_EVENT_READING) != 0 ? "reading"
                : (what & Bufferevent.BEV_EVENT_WRITING) != 0 ? "writing" : otherwise;
    }

    /** The first queued TLS error, described; null for none or a plaintext bufferevent. */
    private static String firstSslError(Bufferevent b) {
        if (b instanceof SslBufferevent s) {
            List<SslError> errors = s.getSslErrors();
            if (!errors.isEmpty()) {
                return errors.get(0).describe();
            }
        }
        return null;
    }

    /** The bufferevent's last I/O error, as its message. */
    private static String lastError(Bufferevent b) {
        Throwable t = b.getLastError();
        return t == null ? "unknown" : t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private static String other(int what) {
        return "event " + Bufferevent.describeEvents(what);
    }
}
