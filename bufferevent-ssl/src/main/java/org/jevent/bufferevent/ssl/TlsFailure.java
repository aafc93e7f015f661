package org.jevent.bufferevent.ssl;

import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_ERROR;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_READING;
import static org.jevent.bufferevent.Bufferevent.BEV_EVENT_TIMEOUT;

import java.time.Duration;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.EndReason;
import org.jevent.evbuffer.EvBuffer;

/**
 * How one {@link SslBufferevent}'s session fails, and what it then reports: the one way into
 * FAILED ({@link #fail}), and for each kind of failure (the engine's, one we found, a refusal,
 * the handshake's time limit, bytes found at attach) the event and the {@link EndReason}.
 *
 * <p>Invariant: FAILED ({@link SessionState}) is entered only through {@link #fail}, and an end
 * event is reported only by the call that entered it, so at most once per session; the
 * transport's own errors are the exception: the bufferevent passes them on as they come.
 */
final class TlsFailure {
    private final SslBufferevent session;
    private final SessionState state;
    private final SslErrorQueue errors;
    private final SessionLog log;
    /** True once {@link #fail} sent an alert the failed engine produced. */
    private boolean alertFlushed;
    /** The peer's renegotiation being refused, if one is: the engine's next failure is that refusal. */
    private PeerHandshakes refusing;

    TlsFailure(SslBufferevent session, SessionState state, SslErrorQueue errors, SessionLog log) {
        this.session = session;
        this.state = state;
        this.errors = errors;
        this.log = log;
    }

    /**
     * The one way into FAILED, whatever failed (the engine, the transport, the handshake's time
     * limit, bytes found at attach): queues {@code error} (if any), stops the timers, sends the
     * alert the engine may hold ({@code sendAlert}: only after the engine failed or we ended the
     * session, never on a transport that broke) and stops reading the transport. Returns false,
     * having only queued the error, if the session had failed already; the caller reports an
     * event only on true, except for the transport's own errors, which are passed on as they come.
     */
    boolean fail(SslError error, boolean sendAlert) {
        if (error != null) {
            errors.add(error);
        }
        if (!state.fail()) {
            return false;
        }
        log.sessionFailed(error);
        session.cancelTimers();
        if (sendAlert) {
            alertFlushed = session.flushAlert();
        }
        session.transportReadingChanged();
        return true;
    }

    /**
     * The engine threw {@code e}: fail and report {@code direction|ERROR} (once). The end reason:
     * {@link EndReason#TLS_ALERT_RECEIVED} if the record that failed to unwrap was an alert
     * ({@code alertRecord}, from its header) or the engine names the peer's alert (TLS 1.3 sends
     * alerts encrypted, so only the engine knows); else {@link EndReason#TLS_ALERT_SENT} if the
     * engine produced an alert that went out; else {@link EndReason#TLS_ERROR}. While the peer's
     * renegotiation is being refused, the failure is that refusal.
     */
    void engineFailed(Throwable e, int direction, boolean alertRecord) {
        if (refusing != null) {
            renegotiationRefused(e);
            return;
        }
        SslError error = SslError.of(e);
        if (fail(error, true)) {
            session.report(direction | BEV_EVENT_ERROR, e, alertRecord || error.remote() ? EndReason.TLS_ALERT_RECEIVED
                    : alertFlushed ? EndReason.TLS_ALERT_SENT : EndReason.TLS_ERROR);
        }
    }

    /**
     * We found {@code e} ourselves (a truncation, a close in the handshake): as
     * {@link #engineFailed}, for {@code reason}. No alert is sent: the engine did not fail, and
     * the transport has ended (nobody would read it).
     */
    void failWith(SSLException e, int direction, EndReason reason) {
        if (fail(new SslError(e, null, false), false)) {
            session.report(direction | BEV_EVENT_ERROR, e, reason);
        }
    }

    /** We end the session for what the peer started ({@code reason}): with the engine's alert if it holds one. */
    void refuse(SslError error, EndReason reason) {
        if (fail(error, true)) {
            session.report(BEV_EVENT_READING | BEV_EVENT_ERROR, error.cause(), reason);
        }
    }

    /** {@code p} refuses the peer's renegotiation: the engine's next failure, if any, carries the refusal. */
    void refusingRenegotiation(PeerHandshakes p) {
        refusing = p;
    }

    /** Ends the session for the refused renegotiation; {@code engineError}: the engine's failure that carried it, or null. */
    void renegotiationRefused(Throwable engineError) {
        refuse(new SslError(new TlsEndException(refusing.refusal(), engineError), refusing.refusalAlert(), false),
                EndReason.RENEGOTIATION_REFUSED);
    }

    /** The transport failed with {@code cause} (maybe null); its event is passed on by the caller. */
    void transportFailed(Throwable cause) {
        fail(cause == null ? null : new SslError(cause, null, false), false);
    }

    /**
     * The timeouts bound the first handshake (and, for the socket variant, the connect before
     * it): their expiry is one bare {@code TIMEOUT}, as libevent's socket variant reports it,
     * never also READING|TIMEOUT and WRITING|TIMEOUT. Once connected, the timeouts run per
     * direction.
     */
    void handshakeTimedOut(Duration bound) {
        if (state.handshaking() && !session.isFreed()
                && fail(new SslError(new TlsEndException("TLS handshake timed out after " + bound), null, false), false)) {
            session.endOfStream(BEV_EVENT_TIMEOUT, EndReason.HANDSHAKE_TIMEOUT);
        }
    }

    /**
     * The transport's input held {@code stray} bytes when the TLS layer was added: refused (see
     * {@link SslBufferevent}'s class comment), the session failed, and {@code READING|ERROR}
     * reported from the deferred queue: the caller sets the callbacks after the factory returns,
     * and an event with no callback yet would be dropped.
     */
    void refuseStrayBytes(EvBuffer transportInput, long stray) {
        byte[] head = new byte[(int) Math.min(16, stray)];
        transportInput.copyout(head);
        SSLException refusal = new SSLException(stray + " bytes arrived in plaintext before the TLS layer was"
                + " added and were not consumed (" + TlsRecordHeader.hex(head) + (stray > 16 ? " ..." : "")
                + "); refusing them: they are neither handshake nor application data");
        log.decision(refusal.getMessage());
        fail(new SslError(refusal, null, false), false);
        session.getBase().deferredExecutor().execute(() -> {
            if (!session.isFreed()) {
                session.report(BEV_EVENT_READING | BEV_EVENT_ERROR, refusal, EndReason.TLS_ERROR);
            }
        });
    }
}
