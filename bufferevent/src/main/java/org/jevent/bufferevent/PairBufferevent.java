package org.jevent.bufferevent;

import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/**
 * One half of a pair of bufferevents joined without a socket: libevent's
 * {@code bufferevent_pair.c}. What one half writes moves to the other's input by relinking
 * segments, never by copying, as soon as the writer may write and the reader may read, limited
 * by the reader's high watermark.
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

    private PairBufferevent(EventBase base, int options) {
        super(base, options | BEV_OPT_DEFER_CALLBACKS);
        output.cbSetFlags(output.addCb((buf, info) -> {
            if (info.nAdded() > 0) {
                if (wantsToTalk(this, partner)) {
                    transfer(this, partner, false);
                }
                adjustWriteTimeout();
            }
        }), EvBuffer.CB_NODEFER);
    }

    /**
     * {@code bufferevent_pair_new(base, options, pair)}: the two halves, each the other's
     * partner. {@link #BEV_OPT_DEFER_CALLBACKS} is always added; CLOSE_ON_FREE means nothing here.
     */
    public static PairBufferevent[] create(EventBase base, int options) {
        PairBufferevent a = new PairBufferevent(base, options);
        PairBufferevent b = new PairBufferevent(base, options);
        a.partner = b;
        b.partner = a;
        return new PairBufferevent[] {a, b};
    }

    /** {@code bufferevent_pair_get_partner}: the other half, or null once either was freed. */
    public PairBufferevent getPartner() {
        return partner;
    }

    private static boolean wantsToTalk(PairBufferevent src, PairBufferevent dst) {
        return dst != null && src.writingActive() && dst.readingActive() && src.output.getLength() > 0;
    }

    /** Moves src's output into dst's input and runs the callbacks the move calls for. */
    private static void transfer(PairBufferevent src, PairBufferevent dst, boolean ignoreWatermarks) {
        long n = src.output.getLength();
        if (!ignoreWatermarks) {
            long room = dst.readRoom();
            if (room == 0) {
                return;
            }
            if (room > 0) {
                n = Math.min(n, room);
            }
        }
        if (n == 0) {
            return;
        }
        src.output.removeBuffer(dst.input, n);
        dst.chargeRead(n);
        src.chargeWrite(n);
        dst.readProgress();
        src.writeProgress();
        if (ignoreWatermarks || dst.input.getLength() >= dst.wmReadLow) {
            dst.runReadcb(0);
        }
        if (ignoreWatermarks || src.output.getLength() <= src.wmWriteLow) {
            src.runWritecb(0);
        }
    }

    @Override
    protected void startReading() {
        if (partner != null && wantsToTalk(partner, this)) {
            transfer(partner, this, false);
        }
    }

    @Override
    protected void stopReading() {
        // Nothing to stop: data only moves when both sides want it.
    }

    @Override
    protected void startWriting() {
        if (wantsToTalk(this, partner)) {
            transfer(this, partner, false);
        }
    }

    @Override
    protected void stopWriting() {
        // As stopReading.
    }

    @Override
    protected int onFlush(int iotype, FlushMode mode) {
        if (mode == FlushMode.NORMAL || partner == null) {
            return 0;
        }
        if ((iotype & EV_READ) != 0) {
            transfer(partner, this, true);
        }
        if ((iotype & EV_WRITE) != 0) {
            transfer(this, partner, true);
        }
        if (mode == FlushMode.FINISHED) {
            int what = BEV_EVENT_EOF;
            if ((iotype & EV_READ) != 0) {
                what |= BEV_EVENT_WRITING;
            }
            if ((iotype & EV_WRITE) != 0) {
                what |= BEV_EVENT_READING;
            }
            partner.runEventcb(what, 0);
        }
        return 0;
    }

    @Override
    protected void onFree() {
        if (partner != null) {
            partner.partner = null;
            partner = null;
        }
    }
}
