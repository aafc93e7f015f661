package org.jevent.examples;

import java.time.Duration;
import java.util.function.Consumer;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.ssl.SslBufferevent;
import org.jevent.eventbase.Event;

/**
 * Relays bytes both ways between a client and its upstream once the startup phase is over, the
 * way libevent's {@code le-proxy} sample does: whatever one side reads is moved (segments
 * relinked, no copy) to the other side's output; when that output holds {@code maxOutput}
 * bytes ({@link #MAX_OUTPUT} by default), reading from the source stops until it has drained to
 * half, so a slow reader never makes the proxy buffer without bound. When one side ends, what it
 * delivered still goes out, then the other side is closed after its output is flushed (with
 * close_notify if it is TLS).
 *
 * <p>A relay with no byte in either direction for a whole {@code idle} period ends. Idle means
 * both directions: per-bufferevent read timeouts would end a session whose client waits,
 * silent, for a long query's answer. The check is one timer per period, not per byte: a relay
 * ends after between one and two idle periods of silence.
 */
final class PgRelay {
    /** le-proxy's MAX_OUTPUT: the most bytes queued towards one side before its source pauses. */
    static final long MAX_OUTPUT = 512 * 1024;

    private final Bufferevent client;
    private final Bufferevent upstream;
    private final Consumer<String> onEnd;
    private final long maxOutput;
    private final Duration idle;
    private Event idleTimer;
    /** A byte moved since the idle timer last fired. */
    private boolean active;
    private long toUpstream;
    private long toClient;
    private boolean ended;

    /**
     * {@code alreadyToUpstream} counts what the session sent upstream itself (the client's first
     * message); {@code onEnd} is called once, with the reason, when the first side ends. Null
     * {@code idle}: no idle limit.
     */
    PgRelay(Bufferevent client, Bufferevent upstream, long alreadyToUpstream, Consumer<String> onEnd, long maxOutput,
            Duration idle) {
        this.client = client;
        this.upstream = upstream;
        this.toUpstream = alreadyToUpstream;
        this.onEnd = onEnd;
        this.maxOutput = maxOutput;
        this.idle = idle;
    }

    long toUpstream() {
        return toUpstream;
    }

    long toClient() {
        return toClient;
    }

    void start() {
        client.setCallbacks(this::readcb, null, this::eventcb);
        upstream.setCallbacks(this::readcb, null, this::eventcb);
        client.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        upstream.enable(Bufferevent.EV_READ | Bufferevent.EV_WRITE);
        if (idle != null) {
            idleTimer = Event.timer(client.getBase(), (ev, what) -> idleCheck());
            idleTimer.add(idle);
        }
        // Bytes that arrived while the other side was being set up raise no new read callback.
        if (client.getInput().getLength() > 0) {
            readcb(client);
        }
        if (upstream.getInput().getLength() > 0) {
            readcb(upstream);
        }
    }

    private Bufferevent partner(Bufferevent b) {
        return b == client ? upstream : client;
    }

    private void readcb(Bufferevent src) {
        Bufferevent dst = partner(src);
        long n = src.getInput().getLength();
        if (ended || dst.isFreed()) {
            src.getInput().drain(n); // the other side is gone: nowhere to send it
            return;
        }
        if (src == client) {
            toUpstream += n;
        } else {
            toClient += n;
        }
        active = true;
        dst.writeBuffer(src.getInput());
        if (dst.getOutput().getLength() >= maxOutput) {
            // le-proxy's backpressure: wake up when dst has drained to half, stop reading src.
            dst.setWatermark(Bufferevent.EV_WRITE, maxOutput / 2, maxOutput);
            dst.setCallbacks(this::readcb, this::drained, this::eventcb);
            src.disable(Bufferevent.EV_READ);
        }
    }

    /** {@code drained_writecb}: dst is below half of MAX_OUTPUT again; its source may read. */
    private void drained(Bufferevent dst) {
        dst.setCallbacks(this::readcb, null, this::eventcb);
        dst.setWatermark(Bufferevent.EV_WRITE, 0, 0);
        Bufferevent src = partner(dst);
        if (!src.isFreed() && !ended) {
            src.enable(Bufferevent.EV_READ);
        }
    }

    private void eventcb(Bufferevent b, int what) {
        if ((what & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
            // A TLS 1.3 key update or renegotiation finished: nothing to do for a relay.
            what &= ~Bufferevent.BEV_EVENT_CONNECTED;
            if (what == 0) {
                return;
            }
        }
        if (!EndReason.isEnd(what)) {
            return;
        }
        Bufferevent other = partner(b);
        if (b.getInput().getLength() > 0 && !other.isFreed() && !ended) {
            readcb(b); // what the ending side said before it ended still reaches the other side
        }
        if (!ended) {
            ended = true;
            stopIdleTimer();
            onEnd.accept((b == client ? "client " : "upstream ") + EndReason.withDirection(b, what));
        }
        closeEnded(b, what);
        closeAfterFlush(other);
    }

    /** Every idle period: ends the relay if nothing moved during it. */
    private void idleCheck() {
        if (ended) {
            return;
        }
        if (active) {
            active = false;
            idleTimer.add(idle);
            return;
        }
        ended = true;
        onEnd.accept("idle (no byte either way for " + Limits.describe(idle) + ")");
        closeAfterFlush(client);
        closeAfterFlush(upstream);
    }

    /** The session ends for another reason (proxy shutdown): the idle check goes too. */
    void stopIdleTimer() {
        if (idleTimer != null) {
            idleTimer.free();
        }
    }

    /** The side that ended: a peer's clean close_notify is answered with ours, else freed. */
    static void closeEnded(Bufferevent b, int what) {
        if (b.isFreed()) {
            return;
        }
        if (b instanceof SslBufferevent s && !s.isShuttingDown() && (what & Bufferevent.BEV_EVENT_EOF) != 0
                && (what & (Bufferevent.BEV_EVENT_ERROR | Bufferevent.BEV_EVENT_TIMEOUT)) == 0) {
            s.setCallbacks(null, null, (x, w) -> x.free());
            s.shutdown(Duration.ZERO);
            return;
        }
        b.free();
    }

    /**
     * How long a plaintext side that is being closed may take to accept what is still queued for
     * it, without progress, before it is closed anyway: a peer that stops reading must not hold
     * the connection open after its session ended (the TLS side has its own such limit).
     */
    static final Duration CLOSE_FLUSH_LIMIT = Duration.ofSeconds(10);

    /**
     * Closes a side once what is queued for it has left: TLS by the secure disconnect (which
     * flushes first and is bounded by its own limit), plaintext when its output is empty, or
     * after {@link #CLOSE_FLUSH_LIMIT} without progress.
     */
    static void closeAfterFlush(Bufferevent b) {
        if (b == null || b.isFreed()) {
            return;
        }
        b.disable(Bufferevent.EV_READ);
        b.setWatermark(Bufferevent.EV_WRITE, 0, 0);
        if (b instanceof SslBufferevent s) {
            s.setCallbacks(x -> x.getInput().drain(x.getInput().getLength()), null, (x, w) -> x.free());
            if (!s.isShuttingDown()) {
                s.shutdown(Duration.ZERO);
            }
        } else if (b.getOutput().getLength() == 0) {
            b.free();
        } else {
            b.setCallbacks(null, Bufferevent::free, (x, w) -> x.free());
            b.setTimeouts(null, CLOSE_FLUSH_LIMIT);
        }
    }
}
