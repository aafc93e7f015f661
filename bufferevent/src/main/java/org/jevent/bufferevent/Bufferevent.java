package org.jevent.bufferevent;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import org.jevent.eventbase.DeferredCallback;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.CbEntry;
import org.jevent.evbuffer.EvBuffer;

/**
 * libevent's {@code struct bufferevent}: an input and an output {@link EvBuffer} tied to some
 * transport, with callbacks for data read, output drained and events. Subclasses supply the
 * transport: {@link SocketBufferevent} (a socket), {@link PairBufferevent} (the other half of a
 * pair), {@link FilterBufferevent} (another bufferevent, through filters); the TLS bufferevents
 * of {@code bufferevent-ssl} are built the same way.
 *
 * <h2>Semantics kept from libevent</h2>
 * <ul>
 * <li>What the user asked for ({@link #enable}/{@link #disable}) and what actually runs are
 * separate: a direction runs only while enabled and not suspended (by a watermark, a rate limit,
 * a name lookup, a filter). A new bufferevent has EV_WRITE enabled and EV_READ disabled.</li>
 * <li>Read low watermark: no read callback below it. Read high watermark: reading pauses there
 * and resumes as the input drains. Write low watermark: the write callback runs when the output
 * falls to it (0: when it is empty).</li>
 * <li>A timeout disables its direction and reports {@code READING|TIMEOUT} or
 * {@code WRITING|TIMEOUT}; re-enable to go on. The write timeout counts only while there is
 * something to write, for a filter until the bytes have also left the bufferevents under it
 * (libevent's socket variant also counts with an empty output when EV_WRITE is
 * enabled; we do not, for every variant alike).</li>
 * <li>With {@link #BEV_OPT_DEFER_CALLBACKS} callbacks run from the base's deferred queue after
 * the current event, coalesced: one read callback for many reads, event bits OR-ed. Unlike
 * libevent, a queued read callback whose input has meanwhile fallen below the low watermark
 * (drained by an earlier callback) is dropped unless it was forced (IGNORE_WATERMARKS, end of
 * stream, flush); and a callback that throws does not lose the callbacks queued behind it.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Everything runs on the base's loop thread; a call from another thread throws
 * {@link IllegalStateException}, except, with {@link #BEV_OPT_THREADSAFE}, the writes and
 * enable/disable, which hop onto the loop in call order.
 *
 * <h2>Invariant</h2>
 * {@code readSuspended}/{@code writeSuspended} hold the reasons a direction is paused; the
 * transport reads exactly while {@code (enabled & EV_READ) != 0 && readSuspended == 0} and the
 * bufferevent is not freed (likewise for writing, which also needs output to write). After
 * {@link #free()} no callback runs and no I/O happens.
 */
public abstract class Bufferevent implements AutoCloseable {
    /** Event flag: the event happened while reading. */
    public static final int BEV_EVENT_READING = 0x01;
    /** Event flag: the event happened while writing. */
    public static final int BEV_EVENT_WRITING = 0x02;
    /** Event flag: end of stream. */
    public static final int BEV_EVENT_EOF = 0x10;
    /** Event flag: an error; {@link #getLastError()} says which. */
    public static final int BEV_EVENT_ERROR = 0x20;
    /** Event flag: a read or write timeout expired. */
    public static final int BEV_EVENT_TIMEOUT = 0x40;
    /** Event flag: a connect (or TLS handshake) finished. */
    public static final int BEV_EVENT_CONNECTED = 0x80;

    /** Option: free closes the channel, or frees the underlying bufferevent. */
    public static final int BEV_OPT_CLOSE_ON_FREE = 0x01;
    /** Option: writes and enable/disable may come from any thread. */
    public static final int BEV_OPT_THREADSAFE = 0x02;
    /** Option: callbacks run from the deferred queue, after the current event. */
    public static final int BEV_OPT_DEFER_CALLBACKS = 0x04;
    /**
     * Option accepted for source compatibility: libevent runs deferred callbacks without the
     * bufferevent lock; there is no lock here.
     */
    public static final int BEV_OPT_UNLOCK_CALLBACKS = 0x08;
    static final int ALL_OPTIONS = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS
            | BEV_OPT_UNLOCK_CALLBACKS;

    /** Trigger option: run the callback whatever the watermarks say. */
    public static final int BEV_TRIG_IGNORE_WATERMARKS = 0x10000;
    /** Trigger option: run the callback from the deferred queue. */
    public static final int BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS;

    /** Direction flags, the same values as the event base's. */
    public static final int EV_READ = Event.EV_READ;
    public static final int EV_WRITE = Event.EV_WRITE;

    /**
     * Default cap on one read and one write: 64 KiB, where libevent has 16 KiB. Measured here
     * (benchmarks/README.md, echo load run): with 16 KiB a 64 KiB echo needs four loop turns and
     * ran at 0.68x Netty's throughput (Netty's adaptive reader goes up to 64 KiB); with 64 KiB,
     * 1.17x. The cap still keeps one busy connection from starving the others.
     */
    public static final int DEFAULT_MAX_SINGLE_IO = 65536;

    // Why a direction is paused (libevent's bufferevent_suspend_flags).
    protected static final int SUSPEND_WM = 0x01;
    protected static final int SUSPEND_BW = 0x02;
    protected static final int SUSPEND_BW_GROUP = 0x04;
    protected static final int SUSPEND_LOOKUP = 0x08;
    protected static final int SUSPEND_FILT_READ = 0x10;

    /** libevent's {@code bufferevent_data_cb}; the C {@code ctx} is what the lambda captures. */
    @FunctionalInterface
    public interface DataCb {
        void call(Bufferevent bev);
    }

    /** libevent's {@code bufferevent_event_cb}: {@code what} is a combination of BEV_EVENT_* flags. */
    @FunctionalInterface
    public interface EventCb {
        void call(Bufferevent bev, int what);
    }

    /** Low and high watermark of one direction; 0 means unset. */
    public record Watermark(long low, long high) {
    }

    protected final EventBase base;
    protected final EvBuffer input = new EvBuffer();
    protected final EvBuffer output = new EvBuffer();
    final int options;

    private DataCb readcb;
    private DataCb writecb;
    private EventCb eventcb;

    int enabled = EV_WRITE;
    int readSuspended;
    int writeSuspended;
    boolean freed;

    protected long wmReadLow;
    protected long wmReadHigh;
    protected long wmWriteLow;
    protected long wmWriteHigh;
    private CbEntry readHighEntry;

    private Duration timeoutRead;
    private Duration timeoutWrite;
    private Event readTimer;
    private Event writeTimer;

    int maxSingleRead = DEFAULT_MAX_SINGLE_IO;
    int maxSingleWrite = DEFAULT_MAX_SINGLE_IO;
    private Throwable lastError;

    RateLimiter rateLimiter;

    private DeferredCallback deferred;
    private boolean readcbPending;
    /** The pending read callback runs whatever the low watermark says (it was forced). */
    private boolean readcbForced;
    private boolean writecbPending;
    private int eventcbPending;

    protected Bufferevent(EventBase base, int options) {
        this.base = Objects.requireNonNull(base, "base");
        if ((options & ~ALL_OPTIONS) != 0) {
            throw new IllegalArgumentException("unknown options 0x" + Integer.toHexString(options & ~ALL_OPTIONS));
        }
        if ((options & BEV_OPT_UNLOCK_CALLBACKS) != 0 && (options & BEV_OPT_DEFER_CALLBACKS) == 0) {
            throw new IllegalArgumentException("BEV_OPT_UNLOCK_CALLBACKS requires BEV_OPT_DEFER_CALLBACKS, as in libevent");
        }
        base.checkInLoopThread();
        this.options = options;
        input.setMaxRead(maxSingleRead);
    }

    // ------------------------------------------------------------------ factories

    /** {@code bufferevent_socket_new}: see {@link SocketBufferevent#create}. */
    public static SocketBufferevent socket(EventBase base, java.nio.channels.SocketChannel channel, int options) {
        return SocketBufferevent.create(base, channel, options);
    }

    /** {@code bufferevent_pair_new}: two connected bufferevents, see {@link PairBufferevent#create}. */
    public static PairBufferevent[] pair(EventBase base, int options) {
        return PairBufferevent.create(base, options);
    }

    /** {@code bufferevent_filter_new}: see {@link FilterBufferevent#create}. */
    public static FilterBufferevent filter(Bufferevent underlying, BuffereventFilter inputFilter,
            BuffereventFilter outputFilter, int options) {
        return FilterBufferevent.create(underlying, inputFilter, outputFilter, options);
    }

    // ------------------------------------------------------------------ buffers and callbacks

    /** {@code bufferevent_get_input}: the bytes read and not yet consumed. */
    public EvBuffer getInput() {
        checkLoopThread();
        return input;
    }

    /** {@code bufferevent_get_output}: the bytes waiting to be written. */
    public EvBuffer getOutput() {
        checkLoopThread();
        return output;
    }

    public EventBase getBase() {
        return base;
    }

    public int getOptions() {
        return options;
    }

    /**
     * {@code bufferevent_setcb}: any may be null. Replaces all three.
     */
    public void setCallbacks(DataCb readcb, DataCb writecb, EventCb eventcb) {
        checkLoopThread();
        this.readcb = readcb;
        this.writecb = writecb;
        this.eventcb = eventcb;
    }

    /** The read callback ({@code bufferevent_getcb}). */
    public DataCb getReadCallback() {
        return readcb;
    }

    public DataCb getWriteCallback() {
        return writecb;
    }

    public EventCb getEventCallback() {
        return eventcb;
    }

    // ------------------------------------------------------------------ enable / disable

    /**
     * {@code bufferevent_enable}: wants reading and/or writing. With THREADSAFE it may be
     * called from any thread.
     */
    public void enable(int events) {
        checkDirections(events);
        if (hopIfForeign(() -> enable(events))) {
            return;
        }
        checkNotFreed();
        enabled |= events;
        if ((events & EV_READ) != 0 && readSuspended == 0) {
            startReading();
        }
        if ((events & EV_WRITE) != 0 && writeSuspended == 0) {
            startWriting();
        }
        adjustTimeouts();
    }

    /** {@code bufferevent_disable}. With THREADSAFE it may be called from any thread. */
    public void disable(int events) {
        checkDirections(events);
        if (hopIfForeign(() -> disable(events))) {
            return;
        }
        if (freed) {
            return;
        }
        enabled &= ~events;
        if ((events & EV_READ) != 0) {
            stopReading();
        }
        if ((events & EV_WRITE) != 0) {
            stopWriting();
        }
        adjustTimeouts();
    }

    /** {@code bufferevent_get_enabled}. */
    public int getEnabled() {
        return enabled;
    }

    private static void checkDirections(int events) {
        if ((events & ~(EV_READ | EV_WRITE)) != 0) {
            throw new IllegalArgumentException("only EV_READ and EV_WRITE can be enabled: 0x" + Integer.toHexString(events));
        }
    }

    /** True if reading should be happening now. */
    protected final boolean readingActive() {
        return !freed && (enabled & EV_READ) != 0 && readSuspended == 0;
    }

    /** True if writing should be happening now (when there is output). */
    protected final boolean writingActive() {
        return !freed && (enabled & EV_WRITE) != 0 && writeSuspended == 0;
    }

    protected final void suspendRead(int reason) {
        boolean was = readSuspended == 0;
        readSuspended |= reason;
        if (was && !freed) {
            stopReading();
            adjustTimeouts();
        }
    }

    protected final void unsuspendRead(int reason) {
        int before = readSuspended;
        readSuspended &= ~reason;
        if (before != 0 && readSuspended == 0 && !freed && (enabled & EV_READ) != 0) {
            startReading();
            adjustTimeouts();
        }
    }

    protected final void suspendWrite(int reason) {
        boolean was = writeSuspended == 0;
        writeSuspended |= reason;
        if (was && !freed) {
            stopWriting();
            adjustTimeouts();
        }
    }

    protected final void unsuspendWrite(int reason) {
        int before = writeSuspended;
        writeSuspended &= ~reason;
        if (before != 0 && writeSuspended == 0 && !freed && (enabled & EV_WRITE) != 0) {
            startWriting();
            adjustTimeouts();
        }
    }

    /** The transport should start (or keep) reading. */
    protected abstract void startReading();

    /** The transport should stop reading. */
    protected abstract void stopReading();

    /** The transport should write whatever output there is, now or when it can. */
    protected abstract void startWriting();

    /** The transport should stop writing. */
    protected abstract void stopWriting();

    // ------------------------------------------------------------------ reading and writing

    /** {@code bufferevent_write}: appends a copy to the output. THREADSAFE: any thread. */
    public void write(byte[] data) {
        write(data, 0, Objects.requireNonNull(data, "data").length);
    }

    /** {@code bufferevent_write} of part of an array. THREADSAFE: any thread (the bytes are copied first). */
    public void write(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        if (!base.isInLoopThread()) {
            byte[] copy = java.util.Arrays.copyOfRange(data, off, off + len);
            if (hopIfForeign(() -> write(copy))) {
                return;
            }
        }
        checkNotFreed();
        output.add(data, off, len);
    }

    /** Appends a copy of {@code src}'s remaining bytes. THREADSAFE: any thread. */
    public void write(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        if (!base.isInLoopThread()) {
            byte[] copy = new byte[src.remaining()];
            src.get(copy);
            if (hopIfForeign(() -> write(copy))) {
                return;
            }
        }
        checkNotFreed();
        output.add(src);
    }

    /**
     * {@code bufferevent_write_buffer}: moves all of {@code src} to the output. THREADSAFE: any
     * thread, provided {@code src} is not touched by anyone else until it has been moved.
     */
    public void writeBuffer(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (hopIfForeign(() -> writeBuffer(src))) {
            return;
        }
        checkNotFreed();
        output.addBuffer(src);
    }

    /**
     * {@code bufferevent_read}: moves up to {@code dst.length} input bytes into {@code dst};
     * returns how many. Where C returns 0 because the input's front is frozen, this throws
     * {@link IllegalStateException} (EvBuffer's rule) and moves nothing.
     */
    public int read(byte[] dst) {
        return read(dst, 0, Objects.requireNonNull(dst, "dst").length);
    }

    public int read(byte[] dst, int off, int len) {
        checkLoopThread();
        checkNotFreed();
        return input.remove(dst, off, len);
    }

    /** {@code bufferevent_read_buffer}: moves the whole input to {@code dst}. */
    public void readBuffer(EvBuffer dst) {
        checkLoopThread();
        checkNotFreed();
        dst.addBuffer(input);
    }

    // ------------------------------------------------------------------ watermarks

    /**
     * {@code bufferevent_setwatermark}: for each direction in {@code events}, low and high
     * watermark; 0 unsets. A high watermark below the low one is raised to it, as in libevent.
     */
    public void setWatermark(int events, long low, long high) {
        checkDirections(events);
        checkLoopThread();
        if (low < 0 || high < 0) {
            throw new IllegalArgumentException("negative watermark: " + low + ", " + high);
        }
        if (high != 0 && high < low) {
            high = low;
        }
        if ((events & EV_WRITE) != 0) {
            wmWriteLow = low;
            wmWriteHigh = high;
        }
        if ((events & EV_READ) != 0) {
            wmReadLow = low;
            wmReadHigh = high;
            if (high != 0) {
                if (readHighEntry == null) {
                    readHighEntry = input.addCallback((buf, info) -> checkReadHighWatermark());
                    input.cbSetFlags(readHighEntry, EvBuffer.EVBUFFER_CB_NODEFER);
                }
                checkReadHighWatermark();
            } else {
                if (readHighEntry != null) {
                    input.removeCbEntry(readHighEntry);
                    readHighEntry = null;
                }
                unsuspendRead(SUSPEND_WM);
            }
        }
    }

    private void checkReadHighWatermark() {
        if (wmReadHigh == 0) {
            return;
        }
        if (input.getLength() >= wmReadHigh) {
            suspendRead(SUSPEND_WM);
        } else {
            unsuspendRead(SUSPEND_WM);
        }
    }

    /**
     * {@code bufferevent_getwatermark}: exactly one of EV_READ or EV_WRITE, as libevent
     * requires.
     */
    public Watermark getWatermark(int events) {
        if (events == EV_READ) {
            return new Watermark(wmReadLow, wmReadHigh);
        }
        if (events == EV_WRITE) {
            return new Watermark(wmWriteLow, wmWriteHigh);
        }
        throw new IllegalArgumentException("getWatermark takes exactly EV_READ or EV_WRITE: 0x" + Integer.toHexString(events));
    }

    /** Bytes the input may still take before the read high watermark; -1 when unlimited. */
    protected final long readRoom() {
        if (wmReadHigh == 0) {
            return -1;
        }
        return Math.max(0, wmReadHigh - input.getLength());
    }

    // ------------------------------------------------------------------ timeouts

    /**
     * {@code bufferevent_set_timeouts}: null or zero disables that timeout. A timer restarts on
     * every successful read or write, and from now with the new value when this is called.
     */
    public void setTimeouts(Duration read, Duration write) {
        checkLoopThread();
        checkNotFreed();
        if ((read != null && read.isNegative()) || (write != null && write.isNegative())) {
            throw new IllegalArgumentException("negative timeout");
        }
        timeoutRead = read == null || read.isZero() ? null : read;
        timeoutWrite = write == null || write.isZero() ? null : write;
        // A running timer restarts from now with the new value, as libevent re-adds its events.
        if (readTimer != null) {
            readTimer.del();
        }
        if (writeTimer != null) {
            writeTimer.del();
        }
        adjustTimeouts();
    }

    public Duration getReadTimeout() {
        return timeoutRead;
    }

    public Duration getWriteTimeout() {
        return timeoutWrite;
    }

    /** Arms or cancels the timers to match what is running (libevent's generic_adj_timeouts). */
    protected final void adjustTimeouts() {
        if (freed) {
            return;
        }
        if (timeoutRead != null) {
            Event t = readTimer();
            if (readingActive()) {
                if (t.pending(Event.EV_TIMEOUT) == 0) {
                    t.add(timeoutRead);
                }
            } else {
                t.del();
            }
        }
        adjustWriteTimeout();
    }

    protected final void adjustWriteTimeout() {
        if (timeoutWrite != null) {
            Event t = writeTimer();
            if (writingActive() && hasPendingOutput()) {
                if (t.pending(Event.EV_TIMEOUT) == 0) {
                    t.add(timeoutWrite);
                }
            } else {
                t.del();
            }
        }
    }

    /** True while there is something to write; a variant writing elsewhere may say more. */
    protected boolean hasPendingOutput() {
        return output.getLength() > 0;
    }

    /** Restarts the read timer after progress. */
    protected final void readProgress() {
        if (timeoutRead != null && readingActive()) {
            readTimer().add(timeoutRead);
        }
    }

    /** Restarts (or, with nothing left to write, stops) the write timer after progress. */
    protected final void writeProgress() {
        if (timeoutWrite != null) {
            if (writingActive() && hasPendingOutput()) {
                writeTimer().add(timeoutWrite);
            } else {
                writeTimer().del();
            }
        }
    }

    private Event readTimer() {
        if (readTimer == null) {
            readTimer = Event.timer(base, (ev, what) -> timedOut(EV_READ));
        }
        return readTimer;
    }

    private Event writeTimer() {
        if (writeTimer == null) {
            writeTimer = Event.timer(base, (ev, what) -> timedOut(EV_WRITE));
        }
        return writeTimer;
    }

    private void timedOut(int direction) {
        if (freed) {
            return;
        }
        disable(direction);
        runEventcb((direction == EV_READ ? BEV_EVENT_READING : BEV_EVENT_WRITING) | BEV_EVENT_TIMEOUT, 0);
    }

    // ------------------------------------------------------------------ flush, trigger, limits

    /**
     * {@code bufferevent_flush(bev, iotype, mode)}: pushes data along as far as the variant can.
     * Returns -1 on failure, 0 if nothing was produced, 1 if something was.
     */
    public int flush(int iotype, FlushMode mode) {
        Objects.requireNonNull(mode, "mode");
        checkLoopThread();
        if (freed) {
            return -1;
        }
        return onFlush(iotype, mode);
    }

    /** Variant's flush; default: nothing to do (libevent's socket variant). */
    protected int onFlush(int iotype, FlushMode mode) {
        return 0;
    }

    /**
     * {@code bufferevent_trigger}: runs the read and/or write callback as if data had arrived
     * or drained, respecting the watermarks unless {@link #BEV_TRIG_IGNORE_WATERMARKS}.
     */
    public void trigger(int iotype, int options) {
        checkLoopThread();
        if (freed) {
            return;
        }
        boolean ignore = (options & BEV_TRIG_IGNORE_WATERMARKS) != 0;
        if ((iotype & EV_READ) != 0 && (ignore || input.getLength() >= wmReadLow)) {
            runReadcb(options);
        }
        if ((iotype & EV_WRITE) != 0 && (ignore || output.getLength() <= wmWriteLow)) {
            runWritecb(options);
        }
    }

    /** {@code bufferevent_trigger_event}: runs the event callback with {@code what}. */
    public void triggerEvent(int what, int options) {
        checkLoopThread();
        if (!freed) {
            runEventcb(what, options);
        }
    }

    /** {@code bufferevent_set_max_single_read}: 0 restores the default, {@link #DEFAULT_MAX_SINGLE_IO}. */
    public void setMaxSingleRead(int size) {
        checkLoopThread();
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        maxSingleRead = size == 0 ? DEFAULT_MAX_SINGLE_IO : size;
        input.setMaxRead(maxSingleRead);
    }

    /** {@code bufferevent_set_max_single_write}: 0 restores the default, {@link #DEFAULT_MAX_SINGLE_IO}. */
    public void setMaxSingleWrite(int size) {
        checkLoopThread();
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        maxSingleWrite = size == 0 ? DEFAULT_MAX_SINGLE_IO : size;
    }

    public int getMaxSingleRead() {
        return maxSingleRead;
    }

    public int getMaxSingleWrite() {
        return maxSingleWrite;
    }

    /** {@code bufferevent_get_max_to_read}: what one read may take now (single cap and rate limits). */
    public long getMaxToRead() {
        long n = maxSingleRead;
        if (rateLimiter != null) {
            n = Math.min(n, rateLimiter.maxToRead(this));
        }
        return Math.max(0, n);
    }

    /** {@code bufferevent_get_max_to_write}. */
    public long getMaxToWrite() {
        long n = maxSingleWrite;
        if (rateLimiter != null) {
            n = Math.min(n, rateLimiter.maxToWrite(this));
        }
        return Math.max(0, n);
    }

    /** Charges {@code n} bytes read to the rate limits. */
    protected final void chargeRead(long n) {
        if (rateLimiter != null) {
            rateLimiter.chargeRead(this, n);
        }
    }

    /** Charges {@code n} bytes written to the rate limits. */
    protected final void chargeWrite(long n) {
        if (rateLimiter != null) {
            rateLimiter.chargeWrite(this, n);
        }
    }

    // ------------------------------------------------------------------ rate limits

    /**
     * {@code bufferevent_set_rate_limit}: limits this bufferevent with its own token bucket;
     * null removes the limit.
     */
    public void setRateLimit(TokenBucketCfg cfg) {
        checkLoopThread();
        checkNotFreed();
        if (cfg == null && rateLimiter == null) {
            return;
        }
        limiter().setCfg(cfg);
    }

    /** {@code bufferevent_add_to_rate_limit_group}: leaves any other group first. */
    public void addToRateLimitGroup(RateLimitGroup group) {
        Objects.requireNonNull(group, "group");
        checkLoopThread();
        checkNotFreed();
        RateLimiter r = limiter();
        if (r.group == group) {
            return;
        }
        RateLimitGroup old = r.group;
        r.group = group; // before leaving the old one, whose remove() resumes I/O
        if (old != null) {
            old.remove(this);
        }
        group.add(this);
    }

    /** {@code bufferevent_remove_from_rate_limit_group}. */
    public void removeFromRateLimitGroup() {
        checkLoopThread();
        if (rateLimiter != null && rateLimiter.group != null) {
            // Out of the group first: leaving resumes I/O, which must not see the group's limit.
            RateLimitGroup g = rateLimiter.group;
            rateLimiter.group = null;
            g.remove(this);
        }
    }

    /** {@code bufferevent_get_token_bucket_cfg}: the own bucket's configuration, or null. */
    public TokenBucketCfg getTokenBucketCfg() {
        checkLoopThread();
        return rateLimiter == null || rateLimiter.bucket == null ? null : rateLimiter.bucket.cfg;
    }

    /** {@code bufferevent_get_read_limit}: tokens of the own bucket, {@code Long.MAX_VALUE} without one. */
    public long getReadLimit() {
        checkLoopThread();
        if (rateLimiter == null || rateLimiter.bucket == null) {
            return Long.MAX_VALUE;
        }
        rateLimiter.bucket.refill(rateLimiter.now());
        return rateLimiter.bucket.readLimit;
    }

    /** {@code bufferevent_get_write_limit}. */
    public long getWriteLimit() {
        checkLoopThread();
        if (rateLimiter == null || rateLimiter.bucket == null) {
            return Long.MAX_VALUE;
        }
        rateLimiter.bucket.refill(rateLimiter.now());
        return rateLimiter.bucket.writeLimit;
    }

    /** {@code bufferevent_decrement_read_limit}: takes tokens by hand; may go negative. */
    public void decrementReadLimit(long n) {
        checkLoopThread();
        RateLimiter r = requireBucket();
        r.bucket.refill(r.now()); // ticks before now are owed before the decrement, not after it
        r.bucket.readLimit -= n;
        r.applyOwnLimits();
    }

    /** {@code bufferevent_decrement_write_limit}. */
    public void decrementWriteLimit(long n) {
        checkLoopThread();
        RateLimiter r = requireBucket();
        r.bucket.refill(r.now());
        r.bucket.writeLimit -= n;
        r.applyOwnLimits();
    }

    private RateLimiter requireBucket() {
        if (rateLimiter == null || rateLimiter.bucket == null) {
            throw new IllegalStateException("no rate limit set on this bufferevent");
        }
        return rateLimiter;
    }

    private RateLimiter limiter() {
        if (rateLimiter == null) {
            rateLimiter = new RateLimiter(this);
        }
        return rateLimiter;
    }

    /**
     * The error behind the last {@link #BEV_EVENT_ERROR}, or null: the I/O exception, the
     * refused connect, the failed name lookup (libevent's errno and
     * {@code bufferevent_socket_get_dns_error}).
     */
    public Throwable getLastError() {
        return lastError;
    }

    /** The bufferevent this one reads and writes through, or null ({@code bufferevent_get_underlying}). */
    public Bufferevent getUnderlying() {
        return null;
    }

    // ------------------------------------------------------------------ callbacks

    /** Runs (or defers) the read callback; honours the low watermark only through callers. */
    protected final void runReadcb(int opts) {
        if (readcb == null || freed) {
            return;
        }
        if (((options | opts) & BEV_OPT_DEFER_CALLBACKS) != 0) {
            readcbPending = true;
            if ((opts & BEV_TRIG_IGNORE_WATERMARKS) != 0) {
                readcbForced = true;
            }
            scheduleDeferred();
        } else {
            readcb.call(this);
            afterReadcb();
        }
    }

    protected final void runWritecb(int opts) {
        if (writecb == null || freed) {
            return;
        }
        if (((options | opts) & BEV_OPT_DEFER_CALLBACKS) != 0) {
            writecbPending = true;
            scheduleDeferred();
        } else {
            writecb.call(this);
        }
    }

    protected final void runEventcb(int what, int opts) {
        if (eventcb == null || freed) {
            return;
        }
        if (((options | opts) & BEV_OPT_DEFER_CALLBACKS) != 0) {
            eventcbPending |= what;
            scheduleDeferred();
        } else {
            eventcb.call(this, what);
        }
    }

    /** Reports an error: remembers it and runs the event callback with {@code what | ERROR}. */
    protected final void fail(int what, Throwable error) {
        lastError = error;
        runEventcb(what | BEV_EVENT_ERROR, 0);
    }

    protected final void setLastError(Throwable error) {
        lastError = error;
    }

    /**
     * After the user's read callback: if the input is still over the high watermark while
     * reading is wanted, nothing would ever call the user again, so call again later
     * (libevent's overrun fix, issue #690).
     */
    private void afterReadcb() {
        if (!freed && wmReadHigh != 0 && (enabled & EV_READ) != 0 && input.getLength() >= wmReadHigh
                && readcb != null) {
            readcbPending = true;
            scheduleDeferred();
        }
    }

    private void scheduleDeferred() {
        if (deferred == null) {
            deferred = new DeferredCallback(base, this::runDeferred);
        }
        deferred.schedule();
    }

    /**
     * The deferred run: CONNECTED first, then read, write and the other event bits, as libevent.
     * Invariant on exit, even when a user callback throws: anything still pending is scheduled
     * again, so a throwing read callback cannot swallow the EOF queued behind it.
     */
    private void runDeferred() {
        if (freed) {
            return;
        }
        try {
            if ((eventcbPending & BEV_EVENT_CONNECTED) != 0) {
                eventcbPending &= ~BEV_EVENT_CONNECTED;
                if (eventcb != null) {
                    eventcb.call(this, BEV_EVENT_CONNECTED);
                }
            }
            if (readcbPending && !freed) {
                // The input may have shrunk since the call was queued (the user drained it in
                // an earlier callback): no read callback below the low watermark unless forced
                // (IGNORE_WATERMARKS, end of stream, flush).
                boolean forced = readcbForced;
                readcbPending = false;
                readcbForced = false;
                if (readcb != null && (forced || input.getLength() >= wmReadLow)) {
                    readcb.call(this);
                    afterReadcb();
                }
            }
            if (writecbPending && !freed) {
                writecbPending = false;
                if (writecb != null) {
                    writecb.call(this);
                }
            }
            if (eventcbPending != 0 && !freed) {
                int what = eventcbPending;
                eventcbPending = 0;
                if (eventcb != null) {
                    eventcb.call(this, what);
                }
            }
        } finally {
            if (!freed && (readcbPending || writecbPending || eventcbPending != 0)) {
                scheduleDeferred();
            }
        }
    }

    // ------------------------------------------------------------------ free

    /**
     * {@code bufferevent_free}: no callback runs from now on; the transport stops; with
     * {@link #BEV_OPT_CLOSE_ON_FREE} the channel is closed (or the underlying bufferevent freed).
     * As in libevent, output not yet written is dropped. Safe inside a callback; freeing twice
     * does nothing.
     */
    public void free() {
        if (hopIfForeign(this::free)) {
            return;
        }
        if (freed) {
            return;
        }
        freed = true;
        readcb = null;
        writecb = null;
        eventcb = null;
        if (deferred != null) {
            deferred.cancel();
        }
        if (readTimer != null) {
            readTimer.del();
        }
        if (writeTimer != null) {
            writeTimer.del();
        }
        if (rateLimiter != null) {
            rateLimiter.detach(this);
        }
        try {
            onFree();
        } finally {
            input.free();
            output.free();
        }
    }

    /** Same as {@link #free()}. */
    @Override
    public void close() {
        free();
    }

    public boolean isFreed() {
        return freed;
    }

    /** Variant's part of free: stop the transport, close what CLOSE_ON_FREE says to close. */
    protected abstract void onFree();

    // ------------------------------------------------------------------ for variants in other packages

    /**
     * Pauses reading of {@code other} for {@code reason}: how a variant layered on another
     * bufferevent (a filter, a TLS bufferevent) applies back-pressure to it.
     */
    protected static void suspendReadOf(Bufferevent other, int reason) {
        other.suspendRead(reason);
    }

    /**
     * The write high watermark of {@code other} (0: none), without the record
     * {@link #getWatermark} allocates: a layer writing into another bufferevent checks it on
     * every record.
     */
    protected static long writeHighWatermarkOf(Bufferevent other) {
        return other.wmWriteHigh;
    }

    /** Lifts a {@link #suspendReadOf} pause. */
    protected static void unsuspendReadOf(Bufferevent other, int reason) {
        other.unsuspendRead(reason);
    }

    // ------------------------------------------------------------------ threads

    protected final void checkLoopThread() {
        base.checkInLoopThread();
    }

    protected final void checkNotFreed() {
        if (freed) {
            throw new IllegalStateException("the bufferevent was freed");
        }
    }

    /**
     * On the loop thread: false, the caller goes on. Elsewhere: with THREADSAFE the action is
     * queued to the loop (in call order) and true is returned; without it this throws.
     */
    protected final boolean hopIfForeign(Runnable action) {
        if (base.isInLoopThread()) {
            return false;
        }
        if ((options & BEV_OPT_THREADSAFE) == 0) {
            base.checkInLoopThread(); // throws, naming the owner
        }
        base.execute(() -> {
            if (!freed) {
                action.run();
            }
        });
        return true;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[in=" + input.getLength() + ", out=" + output.getLength()
                + ", enabled=" + enabled + (readSuspended != 0 ? ", read suspended 0x" + Integer.toHexString(readSuspended) : "")
                + (writeSuspended != 0 ? ", write suspended 0x" + Integer.toHexString(writeSuspended) : "")
                + (freed ? ", freed" : "") + "]";
    }
}
