package org.jevent.bufferevent;

import org.jevent.eventbase.EventBase;

/**
 * One half of a pair of bufferevents joined without a socket: libevent's
 * {@code bufferevent_pair.c}. What one half writes moves to the other's input by relinking
 * segments, never by copying, as soon as the writer may write and the reader may read, limited
 * by the reader's high watermark.
 *
 * <p>Rate limits hold for pairs too (libevent ignores them here): a move takes at most the
 * tokens the reader may read and the writer may write, and a pair whose bucket is empty waits
 * for the next tick.
 *
 * <p>As in libevent, callbacks are always deferred (a write calling the partner's read callback,
 * which writes back, would otherwise recurse without bound), freeing one half does not tell the
 * other, and only {@code flush(EV_WRITE, FINISHED)} delivers end of stream to the partner.
 *
 * <p>Invariant: {@code partner.partner == this} while both halves live; a freed half has no
 * partner and is nobody's partner.
 */
public final class PairBufferevent extends Bufferevent {
    private PairBufferevent partner;
    /** The partner ended its stream to us (flush with FINISHED): its going away later is that EOF, not a loss. */
    private boolean partnerFinished;

    private PairBufferevent(EventBase base, int options) {
        super(base, options | BEV_OPT_DEFER_CALLBACKS);
    }

    /**
     * {@code bufferevent_pair_new(base, options, pair)}: the two halves, each the other's
     * partner. {@link #BEV_OPT_DEFER_CALLBACKS} is always added; CLOSE_ON_FREE means nothing here.
     *
     * @param base the base whose loop runs both halves; the caller must be on its loop thread
     * @param options {@code BEV_OPT_*} flags for both halves, or-ed
     * @return an array of the two halves; EV_WRITE enabled, EV_READ disabled on each
     * @throws IllegalArgumentException if {@code options} has an unknown bit
     * @throws IllegalStateException if called off the base's loop thread
     */
    public static PairBufferevent[] create(EventBase base, int options) {
        PairBufferevent a = new PairBufferevent(base, options);
        PairBufferevent b = new PairBufferevent(base, options);
        a.partner = b;
        b.partner = a;
        return new PairBufferevent[] {a, b};
    }

    /** {@return the other half, or null once either was freed} ({@code bufferevent_pair_get_partner}) */
    public PairBufferevent getPartner() {
        return partner;
    }

    private static boolean wantsToTalk(PairBufferevent src, PairBufferevent dst) {
        return dst != null && src.directions.writingActive() && dst.directions.readingActive() && src.output.getLength() > 0;
    }

    /** Moves src's output into dst's input and runs the callbacks the move calls for. */
    private static long transfer(PairBufferevent src, PairBufferevent dst, boolean ignoreWatermarks) {
        long n = src.output.getLength();
        if (!ignoreWatermarks) {
            long room = dst.wm.readRoom();
            if (room == 0) {
                return 0;
            }
            if (room > 0) {
                n = Math.min(n, room);
            }
            // Rate limits: never more than the tokens (see RateLimiter.tokensToRead).
            n = Math.min(n, dst.rateLimiter.tokensToRead());
            n = Math.min(n, src.rateLimiter.tokensToWrite());
        }
        if (n == 0) {
            return 0;
        }
        src.output.removeBuffer(dst.input, n);
        dst.bytesRead += n;
        src.bytesWritten += n;
        dst.rateLimiter.chargeRead(n);
        src.rateLimiter.chargeWrite(n);
        dst.timeouts.readProgress();
        src.timeouts.writeProgress();
        if (ignoreWatermarks || dst.input.getLength() >= dst.wm.readLow) {
            dst.callbacks.runRead(ignoreWatermarks ? BEV_TRIG_IGNORE_WATERMARKS : 0);
        }
        if (ignoreWatermarks || src.output.getLength() <= src.wm.writeLow) {
            src.callbacks.runWrite(0);
        }
        return n;
    }

    /**
     * The partner lives, or it finished its stream before it was freed (that end is the EOF it
     * sent). A partner freed without finishing is a transport gone (see {@link Bufferevent}'s
     * class comment).
     */
    @Override
    boolean transportAlive() {
        return partner != null || partnerFinished;
    }

    @Override
    void startReading() {
        if (partner != null && wantsToTalk(partner, this)) {
            transfer(partner, this, false);
        }
    }

    @Override
    void stopReading() {
        // Nothing to stop: data only moves when both sides want it.
    }

    @Override
    void startWriting() {
        if (wantsToTalk(this, partner)) {
            transfer(this, partner, false);
        }
    }

    @Override
    void stopWriting() {
        // As stopReading.
    }

    @Override
    int onFlush(int iotype, FlushMode mode) {
        if (partner == null) {
            return -1; // as libevent: nobody to flush to
        }
        if (mode == FlushMode.NORMAL) {
            return 0;
        }
        long moved = 0;
        if ((iotype & EV_READ) != 0) {
            moved += transfer(partner, this, true);
        }
        if ((iotype & EV_WRITE) != 0) {
            moved += transfer(this, partner, true);
        }
        if (mode == FlushMode.FINISHED) {
            partner.partnerFinished = true;
            int what = BEV_EVENT_EOF;
            if ((iotype & EV_READ) != 0) {
                what |= BEV_EVENT_WRITING;
            }
            if ((iotype & EV_WRITE) != 0) {
                what |= BEV_EVENT_READING;
            }
            partner.end(what, EndReason.EOF, 0);
        }
        return moved > 0 ? 1 : 0; // libevent returns 0 here; 1 = bytes moved, as flush() documents
    }

    @Override
    void onFree() {
        if (partner != null) {
            partner.partner = null;
            partner = null;
        }
    }
}
