package org.jevent.bufferevent.ssl;

import java.util.Locale;

/**
 * One TLS failure that caused an ERROR event: the entry of {@link SslBufferevent#getSslError()},
 * the twin of one code in OpenSSL's error queue as {@code bufferevent_get_openssl_error} returns
 * it. Where a C program passes that code to {@code ERR_error_string} or {@code
 * ERR_reason_error_string}, Java calls {@link #describe()}.
 *
 * <p>Immutable: made on the loop thread when the failure is seen, then safe to read, keep or
 * log from any thread.
 *
 * @param cause the exception the engine threw, or one describing what we detected ourselves
 *     (a truncation, a record that is not TLS, a handshake timeout)
 * @param alert the TLS alert involved, in the standard lower-case spelling
 *     ({@code "handshake_failure"}), or null if none is known
 * @param remote true if the peer reported the problem (it sent the alert), false if we found it
 */
public record SslError(Throwable cause, String alert, boolean remote) {
    /**
     * A readable one-line account for a log or an error message, the counterpart of OpenSSL's
     * {@code ERR_error_string}. The cause's own cause is appended where the message does not
     * already say it: netty-tcnative reports a certificate the trust manager refused as
     * "General OpenSslEngine problem", the reason only in the cause.
     *
     * @return who failed ({@code "peer reported"} or {@code "local"}), then {@code " alert "}
     *     and the alert's name if one is known, then {@code ": "} and the exception's message
     *     (its class name if it has none), e.g. {@code "peer reported alert bad_certificate:
     *     Received fatal alert: bad_certificate"}
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(remote ? "peer reported" : "local");
        if (alert != null) {
            sb.append(" alert ").append(alert);
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        sb.append(": ").append(message);
        Throwable why = cause.getCause();
        if (why != null && why.getMessage() != null && !message.contains(why.getMessage())) {
            sb.append(": ").append(why.getMessage());
        }
        return sb.toString();
    }

    /**
     * Classifies an engine's exception by its message, as {@link SslBufferevent} does for its
     * error queue; public so that the DTLS sessions of {@code jevent-dtls} read the JDK's
     * messages the same way. The JDK says {@code "Received fatal alert: NAME"} for an alert from
     * the peer; Conscrypt and netty-tcnative (BoringSSL) name a received alert with a reason like
     * {@code SSLV3_ALERT_HANDSHAKE_FAILURE} or {@code TLSV1_ALERT_UNKNOWN_CA}. Only {@code e}'s
     * own message is read, not its causes'.
     *
     * @param e the exception an engine threw
     * @return an entry for {@code e}: remote with the alert's name (lower case) if the message
     *     names an alert the peer sent, else local with no alert
     */
    public static SslError of(Throwable e) {
        String msg = String.valueOf(e.getMessage());
        int i = msg.indexOf("Received fatal alert: ");
        if (i >= 0) {
            String alert = msg.substring(i + "Received fatal alert: ".length()).trim();
            int end = alert.indexOf(' ');
            return new SslError(e, end > 0 ? alert.substring(0, end) : alert, true);
        }
        int a = msg.indexOf("_ALERT_");
        if (a >= 0) {
            int start = a + "_ALERT_".length();
            int end = start;
            while (end < msg.length() && (Character.isLetterOrDigit(msg.charAt(end)) || msg.charAt(end) == '_')) {
                end++;
            }
            return new SslError(e, msg.substring(start, end).toLowerCase(Locale.ROOT), true);
        }
        return new SslError(e, null, false);
    }

    /** {@return {@code "SslError["} and {@link #describe()}, then {@code "]"}} */
    @Override
    public String toString() {
        return "SslError[" + describe() + "]";
    }
}
