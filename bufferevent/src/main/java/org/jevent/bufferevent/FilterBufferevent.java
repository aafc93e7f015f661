package org.jevent.bufferevent;

import java.io.IOException;
import java.util.Objects;
import org.jevent.evbuffer.EvBuffer;

/**
 * A bufferevent that reads and writes through another one, transforming the bytes each way:
 * libevent's {@code bufferevent_filter.c}. Bytes read by the underlying bufferevent pass the
 * input filter into this one's input; bytes written to this one pass the output filter into the
 * underlying's output. A null filter passes bytes through unchanged. Filters stack to any depth.
 *
 * <p>The underlying bufferevent's callbacks are taken over, and its reading waits until this one
 * is enabled for reading. Each filter call is told how much its destination may take (the room
 * under the destination's high watermark); when this input is full the underlying stops reading,
 * and filtering resumes as soon as the user drains, so no byte is left stranded in the
 * underlying input (libevent's {@code bufferevent_filter_data_stuck}).
 *
 * <p>Where libevent falls short we do better and say so: a filter's {@link FilterResult#ERROR} is
 * reported as {@code READING|ERROR} or {@code WRITING|ERROR} (libevent drops it), and end of
 * stream from the underlying runs the input filter once with {@link FlushMode#FINISHED} before
 * the EOF is passed on, so a filter can release what it buffered (libevent never sets its
 * {@code got_eof}).
 *
 * <p>Invariant: the output filter never runs inside itself ({@code processingOutput}), so a write
 * from within the filter or from a write callback cannot recurse; the input side never runs
 * inside its own synchronous read callback ({@code inReadcb}): a drain there that resumes
 * reading is served by the loop in {@code processInput}, so the stack depth stays bounded.
 */
public final class FilterBufferevent extends Bufferevent {
    private final Bufferevent underlying;
    private final BuffereventFilter inputFilter;
    private final BuffereventFilter outputFilter;
    private boolean processingOutput;
    private boolean processingInput;
    /** True while our read callback runs synchronously from {@link #processInput}. */
    private boolean inReadcb;
    /** Set when more input was asked for from inside that callback. */
    private boolean moreInput;

    private FilterBufferevent(Bufferevent underlying, BuffereventFilter inputFilter,
            BuffereventFilter outputFilter, int options) {
        super(underlying.base, options);
        this.underlying = underlying;
        this.inputFilter = inputFilter;
        this.outputFilter = outputFilter;
        output.cbSetFlags(output.addCallback((buf, info) -> {
            if (info.nAdded() > 0) {
                processOutput(FlushMode.NORMAL);
                adjustWriteTimeout();
            }
        }), EvBuffer.EVBUFFER_CB_NODEFER);
    }

    /**
     * {@code bufferevent_filter_new(underlying, input_filter, output_filter, options, free_context, ctx)}.
     * With {@link #BEV_OPT_CLOSE_ON_FREE}, freeing this frees the underlying bufferevent;
     * without it the underlying is handed back with no callbacks and reading resumed.
     */
    public static FilterBufferevent create(Bufferevent underlying, BuffereventFilter inputFilter,
            BuffereventFilter outputFilter, int options) {
        Objects.requireNonNull(underlying, "underlying");
        underlying.checkLoopThread();
        underlying.checkNotFreed();
        FilterBufferevent f = new FilterBufferevent(underlying, inputFilter, outputFilter, options);
        underlying.setCallbacks(f::underlyingReadable, f::underlyingWritten, f::underlyingEvent);
        underlying.suspendRead(SUSPEND_FILT_READ);
        underlying.enable(EV_READ | EV_WRITE);
        return f;
    }

    @Override
    public Bufferevent getUnderlying() {
        return underlying;
    }

    // ------------------------------------------------------------------ input side

    private void underlyingReadable(Bufferevent ub) {
        processInput(FlushMode.NORMAL);
    }

    /**
     * Runs the input filter while it makes progress, then the read callback; returns true if it
     * produced bytes. A read callback that drains the input resumes reading (the high watermark
     * lifts), which asks for this again: asked from inside our own synchronous read callback,
     * that only sets {@code moreInput} and the loop here goes round once more, so the stack does
     * not grow with the amount of data waiting in the underlying input.
     */
    private boolean processInput(FlushMode mode) {
        if (inReadcb && mode == FlushMode.NORMAL) {
            moreInput = true;
            return false;
        }
        boolean nested = inReadcb; // e.g. flush(EV_READ, FINISHED) from inside our read callback
        boolean producedAny = false;
        FlushMode m = mode;
        do {
            moreInput = false;
            boolean produced = filterInput(m);
            producedAny |= produced;
            if (produced && !freed) {
                readProgress();
                if (input.getLength() >= wmReadLow || m != FlushMode.NORMAL) {
                    boolean outer = inReadcb;
                    inReadcb = true;
                    try {
                        runReadcb(m != FlushMode.NORMAL ? BEV_TRIG_IGNORE_WATERMARKS : 0);
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

    /** One pass of the input filter from the underlying input into ours. */
    private boolean filterInput(FlushMode mode) {
        if (freed || processingInput || (mode == FlushMode.NORMAL && !readingActive())) {
            return false;
        }
        EvBuffer src = underlying.input;
        boolean produced = false;
        processingInput = true;
        try {
            while (true) {
                long room = readRoom();
                if (mode == FlushMode.NORMAL && room == 0) {
                    break;
                }
                long before = input.getLength();
                long srcBefore = src.getLength();
                FilterResult r = run(inputFilter, src, input, mode == FlushMode.NORMAL ? room : -1, mode);
                if (freed) {
                    return produced;
                }
                if (r == FilterResult.ERROR) {
                    disable(EV_READ);
                    fail(BEV_EVENT_READING, new IOException("input filter reported an error"));
                    return produced;
                }
                boolean progress = input.getLength() != before || src.getLength() != srcBefore;
                produced |= input.getLength() > before;
                if (r != FilterResult.OK || !progress || src.getLength() == 0) {
                    break;
                }
            }
        } finally {
            processingInput = false;
        }
        return produced;
    }

    // ------------------------------------------------------------------ output side

    private void underlyingWritten(Bufferevent ub) {
        processOutput(FlushMode.NORMAL);
        if (!freed && output.getLength() <= wmWriteLow && underlying.output.getLength() <= underlying.wmWriteLow) {
            runWritecb(0);
        }
    }

    /** Runs the output filter while it makes progress; returns true if it produced bytes. */
    private boolean processOutput(FlushMode mode) {
        if (freed || processingOutput || (mode == FlushMode.NORMAL && !writingActive())) {
            return false;
        }
        EvBuffer dst = underlying.output;
        boolean produced = false;
        processingOutput = true;
        try {
            boolean first = true;
            while (true) {
                long room = underlying.wmWriteHigh == 0 ? -1 : Math.max(0, underlying.wmWriteHigh - dst.getLength());
                if (mode == FlushMode.NORMAL && room == 0) {
                    break;
                }
                if (mode == FlushMode.NORMAL && output.getLength() == 0) {
                    break;
                }
                if (!first && output.getLength() == 0) {
                    break;
                }
                first = false;
                long before = dst.getLength();
                long srcBefore = output.getLength();
                FilterResult r = run(outputFilter, output, dst, mode == FlushMode.NORMAL ? room : -1, mode);
                if (freed) {
                    return produced;
                }
                if (r == FilterResult.ERROR) {
                    disable(EV_WRITE);
                    fail(BEV_EVENT_WRITING, new IOException("output filter reported an error"));
                    return produced;
                }
                boolean progress = dst.getLength() != before || output.getLength() != srcBefore;
                produced |= dst.getLength() > before;
                if (r != FilterResult.OK || !progress) {
                    break;
                }
            }
        } finally {
            processingOutput = false;
        }
        writeProgress();
        return produced;
    }

    private static FilterResult run(BuffereventFilter f, EvBuffer src, EvBuffer dst, long limit, FlushMode mode) {
        if (f != null) {
            FilterResult r = f.filter(src, dst, limit, mode);
            return r == null ? FilterResult.ERROR : r;
        }
        long n = limit < 0 ? src.getLength() : Math.min(limit, src.getLength());
        if (n > 0) {
            src.removeBuffer(dst, n);
        }
        return FilterResult.OK;
    }

    /**
     * Bytes written to this bufferevent are still to be written while the underlying one holds
     * them, so the write timeout keeps counting until they have left the bottom of the stack.
     */
    @Override
    protected boolean hasPendingOutput() {
        return output.getLength() > 0 || (!underlying.freed && underlying.hasPendingOutput());
    }

    // ------------------------------------------------------------------ events

    private void underlyingEvent(Bufferevent ub, int what) {
        if ((what & BEV_EVENT_EOF) != 0) {
            processInput(FlushMode.FINISHED);
        }
        if ((what & BEV_EVENT_ERROR) != 0) {
            setLastError(ub.getLastError());
        }
        runEventcb(what, 0);
    }

    // ------------------------------------------------------------------ transport

    @Override
    protected void startReading() {
        underlying.unsuspendRead(SUSPEND_FILT_READ);
        processInput(FlushMode.NORMAL);
    }

    @Override
    protected void stopReading() {
        if (!underlying.freed) {
            underlying.suspendRead(SUSPEND_FILT_READ);
        }
    }

    @Override
    protected void startWriting() {
        processOutput(FlushMode.NORMAL);
    }

    @Override
    protected void stopWriting() {
        // Bytes already in the underlying output are the underlying's to write.
    }

    @Override
    protected int onFlush(int iotype, FlushMode mode) {
        boolean produced = false;
        if ((iotype & EV_READ) != 0) {
            produced |= processInput(mode);
        }
        if ((iotype & EV_WRITE) != 0) {
            produced |= processOutput(mode);
        }
        if (!underlying.freed) {
            int r = underlying.flush(iotype, mode);
            if (r < 0) {
                return -1;
            }
            produced |= r > 0;
        }
        return produced ? 1 : 0;
    }

    @Override
    protected void onFree() {
        try {
            if (inputFilter != null) {
                inputFilter.free();
            }
            if (outputFilter != null && outputFilter != inputFilter) {
                outputFilter.free();
            }
        } finally {
            if ((options & BEV_OPT_CLOSE_ON_FREE) != 0) {
                underlying.free();
            } else if (!underlying.freed) {
                underlying.setCallbacks(null, null, null);
                underlying.unsuspendRead(SUSPEND_FILT_READ);
            }
        }
    }
}
