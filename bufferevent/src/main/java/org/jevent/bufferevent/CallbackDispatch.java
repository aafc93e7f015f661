package org.jevent.bufferevent;

import org.jevent.eventbase.DeferredCallback;

/**
 * The three user callbacks of one bufferevent ({@code bufferevent_setcb}) and how they run: at
 * once, or, with {@link Bufferevent#BEV_OPT_DEFER_CALLBACKS} (or a trigger asking for it), from
 * the base's deferred queue after the current event, coalesced: one read callback for many
 * reads, event bits OR-ed.
 *
 * <p>Unlike libevent, a queued read callback whose input has meanwhile fallen below the low
 * watermark (drained by an earlier callback) is dropped unless it was forced (IGNORE_WATERMARKS,
 * end of stream, flush).
 *
 * <p>Invariant: a deferred run delivers CONNECTED first, then read, write and the other event
 * bits, as libevent does; on its exit, even when a user callback throws, whatever is still pending
 * is scheduled again, so a throwing read callback cannot swallow the EOF queued behind it. Once
 * the bufferevent is freed nothing runs.
 */
final class CallbackDispatch {
    private final Bufferevent bev;
    private Bufferevent.DataCb readcb;
    private Bufferevent.DataCb writecb;
    private Bufferevent.EventCb eventcb;

    private DeferredCallback deferred;
    private boolean readPending;
    /** The pending read callback runs whatever the low watermark says (it was forced). */
    private boolean readForced;
    private boolean writePending;
    private int eventsPending;

    /** The events logged at DEBUG when raised: those that connect or end a connection. */
    private static final int LOGGED_EVENTS = Bufferevent.BEV_EVENT_EOF | Bufferevent.BEV_EVENT_ERROR
            | Bufferevent.BEV_EVENT_TIMEOUT | Bufferevent.BEV_EVENT_CONNECTED;

    CallbackDispatch(Bufferevent bev) {
        this.bev = bev;
    }

    void set(Bufferevent.DataCb readcb, Bufferevent.DataCb writecb, Bufferevent.EventCb eventcb) {
        this.readcb = readcb;
        this.writecb = writecb;
        this.eventcb = eventcb;
    }

    Bufferevent.DataCb readcb() {
        return readcb;
    }

    Bufferevent.DataCb writecb() {
        return writecb;
    }

    Bufferevent.EventCb eventcb() {
        return eventcb;
    }

    private boolean deferring(int opts) {
        return ((bev.options | opts) & Bufferevent.BEV_OPT_DEFER_CALLBACKS) != 0;
    }

    /** Runs (or defers) the read callback; the low watermark is honoured by the callers. */
    void runRead(int opts) {
        if (readcb == null || bev.freed) {
            return;
        }
        if (deferring(opts)) {
            readPending = true;
            if ((opts & Bufferevent.BEV_TRIG_IGNORE_WATERMARKS) != 0) {
                readForced = true;
            }
            schedule();
        } else {
            readcb.call(bev);
            afterReadcb();
        }
    }

    void runWrite(int opts) {
        if (writecb == null || bev.freed) {
            return;
        }
        if (deferring(opts)) {
            writePending = true;
            schedule();
        } else {
            writecb.call(bev);
        }
    }

    void runEvent(int what, int opts) {
        if (bev.freed) {
            return;
        }
        if ((what & LOGGED_EVENTS) != 0 && Bufferevent.LOG.isDebugEnabled()) {
            bev.logEvent(what);
        }
        if (eventcb == null) {
            return;
        }
        if (deferring(opts)) {
            eventsPending |= what;
            schedule();
        } else {
            eventcb.call(bev, what);
        }
    }

    /**
     * {@code bufferevent_trigger}: the read and/or write callback as if data had arrived or
     * drained, within the watermarks unless {@link Bufferevent#BEV_TRIG_IGNORE_WATERMARKS}.
     */
    void trigger(int iotype, int options) {
        if (bev.freed) {
            return;
        }
        boolean ignore = (options & Bufferevent.BEV_TRIG_IGNORE_WATERMARKS) != 0;
        if ((iotype & Bufferevent.EV_READ) != 0 && (ignore || bev.input.getLength() >= bev.wm.readLow)) {
            runRead(options);
        }
        if ((iotype & Bufferevent.EV_WRITE) != 0 && (ignore || bev.output.getLength() <= bev.wm.writeLow)) {
            runWrite(options);
        }
    }

    /** On free: no callback is kept, and a deferred run that was queued does not come. */
    void clear() {
        set(null, null, null);
        if (deferred != null) {
            deferred.cancel();
        }
    }

    /**
     * After the user's read callback: if the input is still over the high watermark while
     * reading is wanted, nothing would ever call the user again, so call again later
     * (libevent's overrun fix, issue #690).
     */
    private void afterReadcb() {
        if (!bev.freed && bev.wm.readHigh != 0 && (bev.directions.enabled & Bufferevent.EV_READ) != 0
                && bev.input.getLength() >= bev.wm.readHigh && readcb != null) {
            readPending = true;
            schedule();
        }
    }

    private void schedule() {
        if (deferred == null) {
            deferred = new DeferredCallback(bev.base, this::runDeferred);
        }
        deferred.schedule();
    }

    /** The deferred run: CONNECTED first, then read, write and the other event bits. */
    private void runDeferred() {
        if (bev.freed) {
            return;
        }
        try {
            if ((eventsPending & Bufferevent.BEV_EVENT_CONNECTED) != 0) {
                eventsPending &= ~Bufferevent.BEV_EVENT_CONNECTED;
                if (eventcb != null) {
                    eventcb.call(bev, Bufferevent.BEV_EVENT_CONNECTED);
                }
            }
            if (readPending && !bev.freed) {
                // The input may have shrunk since the call was queued (the user drained it in
                // an earlier callback): no read callback below the low watermark unless forced
                // (IGNORE_WATERMARKS, end of stream, flush).
                boolean forced = readForced;
                readPending = false;
                readForced = false;
                if (readcb != null && (forced || bev.input.getLength() >= bev.wm.readLow)) {
                    readcb.call(bev);
                    afterReadcb();
                }
            }
            if (writePending && !bev.freed) {
                writePending = false;
                if (writecb != null) {
                    writecb.call(bev);
                }
            }
            if (eventsPending != 0 && !bev.freed) {
                int what = eventsPending;
                eventsPending = 0;
                if (eventcb != null) {
                    eventcb.call(bev, what);
                }
            }
        } finally {
            if (!bev.freed && (readPending || writePending || eventsPending != 0)) {
                schedule();
            }
        }
    }
}
