package org.jevent.bufferevent.ssl;

import java.time.Duration;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.EndReason;
import org.jevent.eventbase.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one {@link SslBufferevent} ends: our close_notify ({@link SslBufferevent#shutdown}), the
 * peer's, the bounded wait for it, and what the transport's end of stream means by our own state
 * (Conscrypt raises nothing on an EOF without close_notify): a clean EOF after the peer's
 * close_notify, otherwise a truncation, reported as an ERROR unless a dirty shutdown is allowed
 * ({@link SslBufferevent#BUFFEREVENT_SSL_DIRTY_SHUTDOWN}), then as EOF.
 *
 * <p>Invariant: the state is one int of named bits. EOF is reported at most once
 * ({@code EOF_REPORTED}); a shutdown ends exactly once ({@code SHUTDOWN_DONE}), reporting
 * {@code EOF} or {@code EOF|TIMEOUT} and closing the transport if it is ours; its timer runs
 * from {@code shutdown} until then, so that no shutdown waits forever.
 */
final class SecureClose {
    /** Each close_notify sent and received, what an end of stream meant, and the shutdown's end, at DEBUG. */
    private static final Logger LOG = LoggerFactory.getLogger(SecureClose.class);

    /** Named bit: {@code shutdown} was called. */
    private static final int SHUTTING_DOWN = 0x01;
    /** Named bit: our close_notify is queued in the engine (its outbound side is closed). */
    private static final int OURS_QUEUED = 0x02;
    /** Named bit: the peer's close_notify arrived. */
    private static final int PEERS_RECEIVED = 0x04;
    /** Named bit: the peer's close_notify arrived outside a shutdown; EOF is reported when the pump that read it ends. */
    private static final int EOF_PENDING = 0x08;
    /** Named bit: EOF (or the shutdown's end) was reported. */
    private static final int EOF_REPORTED = 0x10;
    /** Named bit: the shutdown ended (reported, transport closed). */
    private static final int SHUTDOWN_DONE = 0x20;

    private final SslBufferevent session;
    private final SessionState sessionState;
    private final TlsFailure failure;
    private final SslErrorQueue errors;
    private final SSLEngine engine;
    /**
     * Whether the engine is told of an end of stream without close_notify: an engine released by
     * closing both ways (Conscrypt) takes it quietly and needs it to free its native state; the
     * JDK's engine would throw, with a stack trace, and queue an internal_error alert, for a
     * truncation we decide ourselves anyway, and netty-tcnative's would throw too (freeing the
     * session destroys that one: {@link SslProvider.NativeRelease#DESTROY}).
     */
    private final boolean closeInboundOnTruncation;
    private int state;
    /** How long a shutdown waits for the peer's close_notify; null: it does not wait. */
    private Duration wait;
    private Event timer;

    SecureClose(SslBufferevent session, SessionState sessionState, TlsFailure failure, SslErrorQueue errors,
            SSLEngine engine, SslProvider provider) {
        this.session = session;
        this.sessionState = sessionState;
        this.failure = failure;
        this.errors = errors;
        this.engine = engine;
        this.closeInboundOnTruncation = provider.nativeRelease == SslProvider.NativeRelease.CLOSE_BOTH_WAYS;
    }

    boolean isShuttingDown() {
        return (state & SHUTTING_DOWN) != 0;
    }

    /** A shutdown waits for the peer's close_notify: the transport must keep being read. */
    boolean waitsForPeer() {
        return isShuttingDown() && wait != null;
    }

    boolean oursQueued() {
        return (state & OURS_QUEUED) != 0;
    }

    /**
     * Starts the secure disconnect (the caller checked thread, liveness and argument): from now
     * on, once the output is drained, the pump queues our close_notify. Bounded in every case:
     * without a wait for the peer, a transport that never takes the close_notify (a peer that
     * does not read) must not hold the shutdown forever.
     */
    void start(Duration waitForPeer) {
        state |= SHUTTING_DOWN;
        wait = waitForPeer == null || waitForPeer.isZero() ? null : waitForPeer;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: shutdown: close_notify once the output is written, {}", session.name(),
                    wait == null ? "not waiting for the peer's" : "waiting up to " + wait + " for the peer's");
        }
        timer = Event.timer(session.getBase(), (ev, what) -> timedOut());
        timer.add(wait != null ? wait : SslBufferevent.SHUTDOWN_FLUSH_LIMIT);
    }

    /**
     * If a shutdown waits for the output to drain (it has: the pump saw it empty), closes the
     * engine's outbound side so that the next wrap makes our close_notify; true if it did.
     */
    boolean queueOursIfShuttingDown() {
        if (!isShuttingDown() || oursQueued()) {
            return false;
        }
        engine.closeOutbound();
        state |= OURS_QUEUED;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: sending close_notify", session.name());
        }
        return true;
    }

    /**
     * The pump unwrapped the peer's close_notify: answer with ours (the engine may have queued it
     * already: the next wrap sends it). Outside a shutdown, EOF is reported after this pump, once
     * the answer is wrapped into the transport: a callback that frees the bufferevent on EOF (the
     * usual thing to do) then still lets the answer leave.
     */
    void peerSentCloseNotify() {
        state |= PEERS_RECEIVED;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: close_notify received{}", session.name(), engine.isOutboundDone() || oursQueued()
                    ? "" : ", answering with ours");
        }
        if (!engine.isOutboundDone()) {
            engine.closeOutbound();
            state |= OURS_QUEUED;
        }
        if (!isShuttingDown()) {
            state |= EOF_PENDING; // in a shutdown maybeFinish reports, once our close_notify is out
        }
    }

    /** After each pump: a pending EOF is reported, and a shutdown whose work is done ends. */
    void afterPump() {
        if ((state & EOF_PENDING) != 0 && !session.isFreed()) {
            state &= ~EOF_PENDING;
            reportEof(Bufferevent.BEV_EVENT_READING | Bufferevent.BEV_EVENT_EOF, EndReason.CLEAN_CLOSE_NOTIFY);
        }
        maybeFinish();
    }

    /**
     * A transport error after the peer closed cleanly and EOF was reported is no news: its
     * socket refused our answering close_notify because it had gone already (EPIPE, reset).
     */
    boolean isStaleTransportError() {
        return (state & (PEERS_RECEIVED | EOF_REPORTED)) == (PEERS_RECEIVED | EOF_REPORTED);
    }

    /**
     * The transport reached end of stream, and the pump has read what it held: a clean EOF after
     * the peer's close_notify; otherwise, before the first handshake completed, a failure; after
     * a finished shutdown, nothing; else a truncation (EOF only if a dirty shutdown is allowed).
     */
    void transportEof(boolean connectedOnce) {
        if ((state & PEERS_RECEIVED) != 0) {
            reportEof(Bufferevent.BEV_EVENT_READING | Bufferevent.BEV_EVENT_EOF, EndReason.CLEAN_CLOSE_NOTIFY);
            return;
        }
        if (closeInboundOnTruncation) {
            try {
                engine.closeInbound();
            } catch (SSLException notFromConscrypt) {
                // Conscrypt does not complain of the missing close_notify; we decide that ourselves below.
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: end of stream without close_notify: {}", session.name(),
                    !connectedOnce ? "the handshake did not complete"
                    : (state & SHUTDOWN_DONE) != 0 ? "after our shutdown, nothing to report"
                    : session.getAllowDirtyShutdown() ? "truncation, reported as EOF (dirty shutdown allowed)"
                    : "truncation");
        }
        if (!connectedOnce) {
            failure.failWith(new TlsEndException("the connection closed during the TLS handshake"),
                    Bufferevent.BEV_EVENT_READING, EndReason.HANDSHAKE_EOF);
        } else if ((state & SHUTDOWN_DONE) != 0) {
            return;
        } else if (session.getAllowDirtyShutdown()) {
            reportEof(Bufferevent.BEV_EVENT_READING | Bufferevent.BEV_EVENT_EOF, EndReason.TRUNCATED);
        } else {
            failure.failWith(new TlsEndException("the connection closed without close_notify (truncation)"),
                    Bufferevent.BEV_EVENT_READING, EndReason.TRUNCATED);
        }
    }

    private void reportEof(int what, EndReason reason) {
        if ((state & EOF_REPORTED) != 0) {
            return;
        }
        state |= EOF_REPORTED;
        session.cancelTimers();
        session.endOfStream(what, reason);
    }

    /** Ends the shutdown once our close_notify has left the transport and, if we wait, the peer's came. */
    void maybeFinish() {
        if (!isShuttingDown() || (state & SHUTDOWN_DONE) != 0 || session.isFreed() || !oursQueued()) {
            return;
        }
        if (!engine.isOutboundDone() || session.transportPending() > 0) {
            return; // close_notify not yet out of the transport
        }
        if (wait != null && (state & PEERS_RECEIVED) == 0 && !sessionState.failed()) {
            return; // waiting for the peer's close_notify; the timer bounds it
        }
        finish(false);
    }

    private void timedOut() {
        if ((state & SHUTDOWN_DONE) != 0 || session.isFreed()) {
            return;
        }
        String why = wait == null || (state & PEERS_RECEIVED) != 0
                ? "our close_notify could not be flushed to the transport within " + SslBufferevent.SHUTDOWN_FLUSH_LIMIT
                : "the peer did not answer close_notify within " + wait;
        errors.add(new SslError(new TlsEndException(why), null, false));
        finish(true);
    }

    private void finish(boolean timedOut) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: shutdown done{}", session.name(), timedOut ? " (timed out: " + (wait == null
                    || (state & PEERS_RECEIVED) != 0 ? "close_notify not flushed)" : "no close_notify from the peer)")
                    : (state & PEERS_RECEIVED) != 0 ? ", close_notify exchanged" : "");
        }
        state |= SHUTDOWN_DONE | EOF_REPORTED;
        session.cancelTimers();
        session.endTransport();
        session.endOfStream(Bufferevent.BEV_EVENT_EOF | (timedOut ? Bufferevent.BEV_EVENT_TIMEOUT : 0),
                timedOut ? EndReason.SHUTDOWN_TIMEOUT : EndReason.SHUTDOWN);
    }

    void cancelTimer() {
        if (timer != null) {
            timer.del();
        }
    }
}
