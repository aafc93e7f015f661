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
 * from within the filter or from a write callback cannot recurse; neither does the input filter
 * ({@code processingInput}); the read callback never runs inside itself (the delivery loop of
 * {@link LayeredBufferevent}), so the stack depth stays bounded.
 */
public final class FilterBufferevent extends LayeredBufferevent {
    private final BuffereventFilter inputFilter;
    private final BuffereventFilter outputFilter;
    private boolean processingOutput;
    private boolean processingInput;

    private FilterBufferevent(Bufferevent underlying, BuffereventFilter inputFilter,
            BuffereventFilter outputFilter, int options) {
        super(underlying, options, false);
        this.inputFilter = inputFilter;
        this.outputFilter = outputFilter;
    }

    /**
     * {@code bufferevent_filter_new(underlying, input_filter, output_filter, options, free_context, ctx)}.
     * With {@link #BEV_OPT_CLOSE_ON_FREE}, freeing this frees the underlying bufferevent;
     * without it the underlying is handed back with no callbacks and reading resumed. Loop
     * thread only.
     *
     * @param underlying the bufferevent the filtered bytes travel through; this one takes over
     *     its callbacks
     * @param inputFilter turns what {@code underlying} reads into this one's input; null passes
     *     bytes through unchanged
     * @param outputFilter turns this one's output into what {@code underlying} writes; null
     *     passes bytes through unchanged
     * @param options {@code BEV_OPT_*} flags, or-ed
     * @return the new bufferevent
     * @throws IllegalArgumentException if {@code options} has an unknown bit
     * @throws IllegalStateException if {@code underlying} was freed, or called off its loop
     *     thread
     */
    public static FilterBufferevent create(Bufferevent underlying, BuffereventFilter inputFilter,
            BuffereventFilter outputFilter, int options) {
        Objects.requireNonNull(underlying, "underlying");
        underlying.checkLoopThread();
        underlying.checkNotFreed();
        FilterBufferevent f = new FilterBufferevent(underlying, inputFilter, outputFilter, options);
        f.takeOverTransport();
        return f;
    }

    // ------------------------------------------------------------------ input side

    /**
     * The underlying read, or reading resumed: runs the input filter and the read callback
     * through the delivery loop ({@link LayeredBufferevent#deliverInput}).
     */
    @Override
    protected void moveInput() {
        deliverInput(FlushMode.NORMAL);
    }

    /** One pass of the input filter from the underlying input into ours. */
    @Override
    protected boolean produceInput(FlushMode mode) {
        if (freed || processingInput || (mode == FlushMode.NORMAL && !directions.readingActive())) {
            return false;
        }
        EvBuffer src = transport().input;
        boolean produced = false;
        processingInput = true;
        try {
            while (true) {
                long room = wm.readRoom();
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
                    fail(BEV_EVENT_READING, new IOException("input filter reported an error"), EndReason.FILTER_ERROR);
                    return produced;
                }
                boolean progress = input.getLength() != before || src.getLength() != srcBefore;
                produced |= input.getLength() > before;
                bytesRead += Math.max(0, input.getLength() - before);
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

    @Override
    protected void transportDrained() {
        processOutput(FlushMode.NORMAL);
        if (!freed && output.getLength() <= wm.writeLow && transport().output.getLength() <= transport().wm.writeLow) {
            callbacks.runWrite(0);
        }
    }

    @Override
    protected void moveOutput() {
        processOutput(FlushMode.NORMAL);
    }

    /** Runs the output filter while it makes progress; returns true if it produced bytes. */
    private boolean processOutput(FlushMode mode) {
        if (freed || processingOutput || (mode == FlushMode.NORMAL && !directions.writingActive())) {
            return false;
        }
        EvBuffer dst = transport().output;
        boolean produced = false;
        processingOutput = true;
        try {
            boolean first = true;
            while (true) {
                long room = transport().wm.writeHigh == 0 ? -1 : Math.max(0, transport().wm.writeHigh - dst.getLength());
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
                    fail(BEV_EVENT_WRITING, new IOException("output filter reported an error"), EndReason.FILTER_ERROR);
                    return produced;
                }
                boolean progress = dst.getLength() != before || output.getLength() != srcBefore;
                produced |= dst.getLength() > before;
                bytesWritten += Math.max(0, srcBefore - output.getLength());
                if (r != FilterResult.OK || !progress) {
                    break;
                }
            }
        } finally {
            processingOutput = false;
        }
        timeouts.writeProgress();
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
    boolean hasPendingOutput() {
        return output.getLength() > 0 || (!transport().freed && transport().hasPendingOutput());
    }

    // ------------------------------------------------------------------ events

    @Override
    protected void transportEvent(int what) {
        if ((what & BEV_EVENT_EOF) != 0) {
            deliverInput(FlushMode.FINISHED);
        }
        if ((what & BEV_EVENT_ERROR) != 0) {
            setLastError(transport().getLastError());
        }
        passOnTransportEvent(what);
    }

    // ------------------------------------------------------------------ flush and free

    @Override
    protected int onFlush(int iotype, FlushMode mode) {
        boolean produced = false;
        if ((iotype & EV_READ) != 0) {
            produced |= deliverInput(mode);
        }
        if ((iotype & EV_WRITE) != 0) {
            produced |= processOutput(mode);
        }
        if (!transport().freed) {
            int r = transport().flush(iotype, mode);
            if (r < 0) {
                return -1;
            }
            produced |= r > 0;
        }
        return produced ? 1 : 0;
    }

    /** Frees the filters; the underlying is then freed (CLOSE_ON_FREE) or handed back. */
    @Override
    protected void freeLayer() {
        if (inputFilter != null) {
            inputFilter.free();
        }
        if (outputFilter != null && outputFilter != inputFilter) {
            outputFilter.free();
        }
    }
}
