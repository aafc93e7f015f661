package org.jevent.bufferevent;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A bufferevent that reads and writes through another one, its transport: the base of
 * {@link FilterBufferevent} and of the TLS bufferevents of {@code bufferevent-ssl}. What every
 * layer does alike is written here once:
 * <ul>
 * <li>Take-over ({@link #takeOverTransport()}): the transport's callbacks become the layer's, its
 * reading is suspended until the layer wants its bytes ({@link #wantsTransportRead()}), and both of
 * its directions are enabled.</li>
 * <li>Hand-back on free: a transport the layer owns, or any with {@link #BEV_OPT_CLOSE_ON_FREE}, is
 * freed; otherwise it is left with no callbacks and its reading resumed.</li>
 * <li>Direction changes: resuming reading adjusts the transport's reading and moves input up
 * ({@link #moveInput()}); resuming writing, or bytes added to the output, move output down
 * ({@link #moveOutput()}).</li>
 * <li>A flat read-delivery loop ({@link #deliverInput}): input is produced
 * ({@link #produceInput}) and handed to the read callback; more input asked for from inside that
 * callback (a drain that lifts the high watermark resumes reading) is only noted, and the running
 * loop goes round again, so the stack does not grow with the amount of data waiting.</li>
 * </ul>
 *
 * <h2>For layers in other packages</h2>
 * A layer implements the abstract hooks and uses the protected members of this class, which are
 * the whole surface it is given; everything else of {@link Bufferevent}'s machinery is
 * package-private.
 *
 * <p>Invariant: while the layer lives, the transport's callbacks are the layer's and its reading
 * is suspended with {@code SUSPEND_FILT_READ} exactly while the layer does not want its bytes
 * (as of the last {@link #updateTransportReading()}); the read callback never runs inside itself
 * from {@link #deliverInput}; after free the transport is freed or has been handed back.
 */
public abstract class LayeredBufferevent extends Bufferevent {
    private final Bufferevent transport;
    private final boolean ownsTransport;
    /** True while our read callback runs synchronously from {@link #deliverInput}. */
    private boolean inReadcb;
    /** Set when more input was asked for from inside that callback. */
    private boolean moreInput;
    /** Set by {@link #finishWithTransport()}: the layer itself ended its transport. */
    private boolean transportFinished;

    /**
     * A layer over {@code transport}, on the transport's base. The transport is not touched until
     * {@link #takeOverTransport()}.
     *
     * @param transport the bufferevent below, live, on the caller's loop thread
     * @param options BEV_OPT_* of this layer; with {@link #BEV_OPT_CLOSE_ON_FREE} freeing it frees
     *     the transport
     * @param ownsTransport true if the layer made the transport itself and nobody else sees it:
     *     it is freed with the layer whatever the options say
     */
    protected LayeredBufferevent(Bufferevent transport, int options, boolean ownsTransport) {
        super(Objects.requireNonNull(transport, "transport").base, options);
        this.transport = transport;
        this.ownsTransport = ownsTransport;
    }

    // ------------------------------------------------------------------ the transport

    /** {@return the bufferevent below: the one this layer reads and writes through} */
    protected final Bufferevent transport() {
        return transport;
    }

    /**
     * {@return the transport} For {@code bufferevent_get_underlying}; a layer that hides its own
     * may return null.
     */
    @Override
    public Bufferevent getUnderlying() {
        return transport;
    }

    /**
     * Takes the transport over: its callbacks become this layer's, its reading is suspended
     * (until {@link #updateTransportReading()} finds the layer wants bytes), and both its
     * directions are enabled.
     */
    protected final void takeOverTransport() {
        transport.setCallbacks(b -> moveInput(), b -> transportDrained(), (b, what) -> transportEvent(what));
        transport.directions.suspendRead(SUSPEND_FILT_READ);
        transport.enable(EV_READ | EV_WRITE);
    }

    /**
     * {@return true if freeing this layer (or ending it) frees the transport} That is when the
     * layer owns it, or CLOSE_ON_FREE was given.
     */
    protected final boolean closesTransport() {
        return ownsTransport || (options & BEV_OPT_CLOSE_ON_FREE) != 0;
    }

    /** Suspends or resumes the transport's reading to match {@link #wantsTransportRead()}. */
    protected final void updateTransportReading() {
        if (transport.freed) {
            return;
        }
        if (wantsTransportRead()) {
            transport.directions.unsuspendRead(SUSPEND_FILT_READ);
        } else {
            transport.directions.suspendRead(SUSPEND_FILT_READ);
        }
    }

    /**
     * Whether the layer wants the transport's bytes now; by default exactly while this layer
     * reads. A layer overrides it when it must read regardless, e.g. during a handshake.
     *
     * @return true to let the transport read
     */
    protected boolean wantsTransportRead() {
        return readingActive();
    }

    /** {@return the bytes waiting in the transport's output; 0 once the transport is freed} */
    protected final long transportOutputLength() {
        return transport.output.getLength();
    }

    /**
     * The layer is done with its transport (a secure close that completed): frees it if the
     * layer closes it ({@link #closesTransport()}), otherwise stops reading it. A transport freed
     * this way is no loss: the rule for a transport freed under a live layer (see
     * {@link Bufferevent}'s class comment) does not apply to it.
     */
    protected final void finishWithTransport() {
        transportFinished = true;
        if (transport.freed) {
            return;
        }
        if (closesTransport()) {
            transport.free();
        } else {
            transport.disable(EV_READ);
        }
    }

    /**
     * {@return the transport's write high watermark in bytes, 0 for none} Unlike
     * {@link #getWatermark}, this allocates no record.
     */
    protected final long transportWriteHighWatermark() {
        return transport.wm.writeHigh;
    }

    // ------------------------------------------------------------------ handshake-bound timeouts

    /**
     * Binds the timeouts to a handshake: from now until {@link #endHandshakeTimeout}, the read
     * timeout (else the write timeout) given to {@link #setTimeouts} does not run per direction
     * but bounds the handshake as a whole, and its expiry calls {@code expired} with that bound,
     * once. The getters keep returning what was set.
     *
     * @param expired called on the loop thread with the bound that expired; the layer then
     *     fails its handshake
     */
    protected final void bindTimeoutsToHandshake(Consumer<Duration> expired) {
        timeouts.bindToHandshake(Objects.requireNonNull(expired, "expired"));
    }

    /** (Re)starts the handshake's bound from now, if the timeouts are bound and one is set. */
    protected final void armHandshakeTimeout() {
        timeouts.armHandshake();
    }

    /**
     * Unbinds the timeouts (nothing happens if they are not bound): with {@code completed} they
     * run per direction from now, as if just set; otherwise (the layer failed or ended before its
     * handshake completed) they are dropped.
     *
     * @param completed true if the handshake completed, false if it failed or was abandoned
     */
    protected final void endHandshakeTimeout(boolean completed) {
        timeouts.endHandshake(completed);
    }

    // ------------------------------------------------------------------ hooks

    /** Moves what the transport holds up into this layer's input and delivers it. */
    protected abstract void moveInput();

    /** Moves this layer's output down into the transport's output, as far as the layer may. */
    protected abstract void moveOutput();

    /**
     * One production step of {@link #deliverInput}: puts input in place, or says that some was put
     * in place since the last step.
     *
     * @param mode NORMAL for ordinary reading; FLUSH or FINISHED to push out whatever the layer
     *     holds (FINISHED: no more bytes will come from the transport)
     * @return true if the input grew
     */
    protected abstract boolean produceInput(FlushMode mode);

    /** The transport's write callback: its output fell to its low watermark. */
    protected abstract void transportDrained();

    /**
     * The transport's event callback.
     *
     * @param what the transport's {@code BEV_EVENT_*} flags; {@link #passOnTransportEvent}
     *     raises them on this layer as they came
     */
    protected abstract void transportEvent(int what);

    /** The layer's part of free, before the transport is freed or handed back. */
    protected abstract void freeLayer();

    /**
     * {@code bufferevent_flush} for this layer: pushes data along in {@code iotype}'s directions
     * as far as it can, and through the transport if that is the layer's way; returns -1 on
     * failure, 0 if nothing was produced, 1 if something was.
     *
     * @param iotype {@link #EV_READ} and/or {@link #EV_WRITE}
     * @param mode how hard to push, as {@link #flush} was given it
     * @return -1, 0 or 1 as above
     */
    @Override
    protected abstract int onFlush(int iotype, FlushMode mode);

    // ------------------------------------------------------------------ Bufferevent's state, for layers

    /** {@return true if reading should be happening now: enabled, not suspended, not freed} */
    protected final boolean readingActive() {
        return directions.readingActive();
    }

    /**
     * {@return true if writing should be happening now (when there is output)} That is:
     * enabled, not suspended, not freed.
     */
    protected final boolean writingActive() {
        return directions.writingActive();
    }

    /** {@return the bytes the input may still take before the read high watermark; -1 when unlimited} */
    protected final long readRoom() {
        return wm.readRoom();
    }

    /**
     * Counts bytes that arrived in this layer's input ({@link #getBytesRead()}).
     *
     * @param n how many bytes arrived
     */
    protected final void countRead(long n) {
        bytesRead += n;
    }

    /**
     * Counts bytes that left this layer's output ({@link #getBytesWritten()}).
     *
     * @param n how many bytes left
     */
    protected final void countWritten(long n) {
        bytesWritten += n;
    }

    /** Restarts (or, with nothing left to write, stops) the write timer: output was taken. */
    protected final void writeProgress() {
        timeouts.writeProgress();
    }

    /** Remembers the error behind the next ERROR event ({@link #getLastError()}). */
    @Override
    protected final void setLastError(Throwable error) {
        super.setLastError(error);
    }

    /** Throws {@link IllegalStateException} unless called on the base's loop thread. */
    @Override
    protected final void checkLoopThread() {
        super.checkLoopThread();
    }

    /** Throws {@link IllegalStateException} if this bufferevent was freed. */
    @Override
    protected final void checkNotFreed() {
        super.checkNotFreed();
    }

    // ------------------------------------------------------------------ events

    /**
     * Raises {@code what} on this layer for {@code reason}, set first so that the event callback
     * finds it in {@link #getEndReason()}: for the EOF, ERROR and TIMEOUT events a layer decides
     * itself.
     *
     * @param what the {@code BEV_EVENT_*} flags, e.g. {@code BEV_EVENT_EOF | BEV_EVENT_READING}
     * @param reason why the connection ended, for {@link #getEndReason()}
     * @throws IllegalStateException if called off the loop thread
     */
    protected final void triggerEnd(int what, EndReason reason) {
        checkLoopThread();
        end(what, reason, 0);
    }

    /**
     * Raises the transport's event {@code what} on this layer as it came, with the transport's
     * end reason if it is an EOF, ERROR or TIMEOUT.
     *
     * @param what the flags the transport's event callback received
     */
    protected final void passOnTransportEvent(int what) {
        if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) != 0) {
            end(what, transport.getEndReason(), 0);
        } else {
            callbacks.runEvent(what, 0);
        }
    }

    // ------------------------------------------------------------------ logging

    /**
     * How log lines name this bufferevent: {@link #layerLabel()}, then the name of the
     * transport below (a socket's names its addresses). For a layer's own log lines; built only
     * when a line is logged.
     *
     * @return the name, e.g. {@code "FilterBufferevent@1b2c3d over SocketBufferevent@..."}
     */
    @Override
    protected final String logName() {
        return layerLabel() + " over " + transport.logName();
    }

    /**
     * This layer's own part of {@link #logName()}: by default its class and identity.
     *
     * @return a short label, e.g. {@code "FilterBufferevent@1b2c3d"}
     */
    protected String layerLabel() {
        return getClass().getSimpleName() + "@" + Integer.toHexString(System.identityHashCode(this));
    }

    // ------------------------------------------------------------------ the delivery loop

    /**
     * Produces input and runs the read callback, while there is more: returns true if any input
     * was produced. With a mode other than NORMAL (a flush, end of stream) the first step runs
     * in that mode and the callback runs whatever the low watermark says. Asked with NORMAL from
     * inside our own read callback, this only notes the request ({@code moreInput}) and the
     * running loop goes round once more.
     *
     * @param mode NORMAL for ordinary delivery, FLUSH or FINISHED to push everything up
     * @return true if any input was produced
     */
    protected final boolean deliverInput(FlushMode mode) {
        if (inReadcb && mode == FlushMode.NORMAL) {
            moreInput = true;
            return false;
        }
        boolean nested = inReadcb; // e.g. flush(EV_READ, FINISHED) from inside our read callback
        boolean producedAny = false;
        FlushMode m = mode;
        do {
            moreInput = false;
            boolean produced = produceInput(m);
            producedAny |= produced;
            if (produced && !freed) {
                timeouts.readProgress();
                if (input.getLength() >= wm.readLow || m != FlushMode.NORMAL) {
                    boolean outer = inReadcb;
                    inReadcb = true;
                    try {
                        callbacks.runRead(m != FlushMode.NORMAL ? BEV_TRIG_IGNORE_WATERMARKS : 0);
                    } finally {
                        inReadcb = outer;
                    }
                }
            }
            m = FlushMode.NORMAL;
        } while (moreInput && !freed);
        if (nested) {
            moreInput = true; // the outer loop looks once more: we may have cleared its request
        }
        return producedAny;
    }

    // ------------------------------------------------------------------ Bufferevent's transport hooks

    /**
     * The transport is there and has its own (a socket variant's channel is open), or was ended
     * by this layer itself ({@link #finishWithTransport()}).
     */
    @Override
    final boolean transportAlive() {
        return transportFinished || (!transport.freed && transport.transportAlive());
    }

    @Override
    final void startReading() {
        if (transport.freed) {
            return; // nothing to read from; the public call that got here reports it (transportAlive)
        }
        updateTransportReading();
        moveInput();
    }

    @Override
    final void stopReading() {
        updateTransportReading();
    }

    @Override
    final void startWriting() {
        if (!transport.freed) {
            moveOutput();
        }
    }

    @Override
    final void stopWriting() {
        // What already went down is the transport's to write; the rest waits here.
    }

    @Override
    final void outputAdded() {
        if (!transport.freed) {
            moveOutput();
        }
    }

    /**
     * Something is still to be written while this output or the transport's holds bytes (one
     * level down: a transport's pending connect is not counted, see FilterBufferevent for the
     * whole stack).
     */
    @Override
    boolean hasPendingOutput() {
        return output.getLength() > 0 || (!transport.freed && transport.output.getLength() > 0);
    }

    @Override
    final void onFree() {
        try {
            freeLayer();
        } finally {
            if (!transport.freed) {
                if (closesTransport()) {
                    transport.free();
                } else {
                    transport.setCallbacks(null, null, null);
                    transport.directions.unsuspendRead(SUSPEND_FILT_READ);
                }
            }
        }
    }
}
