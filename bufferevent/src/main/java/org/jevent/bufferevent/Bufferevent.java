package org.jevent.bufferevent;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.JfrHooks;
import org.jevent.evbuffer.EvBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libevent's {@code struct bufferevent}: an input and an output {@link EvBuffer} tied to some
 * transport, with callbacks for data read, output drained and events. Subclasses supply the
 * transport: {@link SocketBufferevent} (a socket), {@link PairBufferevent} (the other half of a
 * pair), {@link FilterBufferevent} (another bufferevent, through filters),
 * {@link StreamBufferevent} (blocking streams: stdin, FIFOs, pipes, on threads); the TLS bufferevents
 * of {@code bufferevent-ssl} are layered the same way, on {@link LayeredBufferevent}.
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
 * <h2>Use after free, and a transport that is gone</h2>
 * One rule for every variant (socket, pair, filter, TLS) and every public method:
 * <ol>
 * <li><b>After {@link #free()}</b> (or {@link #close()}) the bufferevent is dead, as a freed
 * pointer is in C. Every method that would act on it (enable, disable, the writes and reads,
 * {@link #getInput()}/{@link #getOutput()}, the setters, flush, trigger, the rate-limit calls,
 * a socket's connect and setChannel, a TLS bufferevent's shutdown, renegotiate, connect and
 * flag setters) throws {@link IllegalStateException} ("this SocketBufferevent was freed ..."), at
 * once and on the loop thread: a programming error, like a write after a TLS
 * {@code shutdown}. {@code free()} and {@code close()} again do nothing; what happened stays
 * readable: {@link #isFreed()}, {@link #getEndReason()} ({@link EndReason#FREED_LOCALLY} if
 * nothing ended it first), {@link #getLastError()}, {@link #getEnabled()}, the callback,
 * watermark, timeout and limit getters, a TLS bufferevent's error queue. A call that hops from
 * another thread ({@link #BEV_OPT_THREADSAFE}) and reaches the loop after the free is dropped:
 * the caller could not have known.</li>
 * <li><b>A transport that is gone while the bufferevent lives</b> (its channel closed by someone
 * else, the underlying bufferevent of a filter or TLS layer freed, a pair's partner freed without
 * first finishing its stream with {@code flush(EV_WRITE, FINISHED)}, whose EOF ends it) is an
 * I/O failure, not a programming error: {@link #enable} and the writes return normally, the
 * direction that needed the transport (reading for EV_READ; writing when there are bytes to
 * write) is disabled, and the event callback gets {@code READING|ERROR} or
 * {@code WRITING|ERROR} with a {@link java.nio.channels.ClosedChannelException} in
 * {@link #getLastError()} and {@link EndReason#TRANSPORT_CLOSED}, once per direction, from the
 * deferred queue: never from inside the call. {@code flush} says -1. A TLS layer that ended its
 * transport itself (a completed {@code shutdown}) has lost nothing.</li>
 * </ol>
 * libevent as the guide: its socket variant reports a failed write on a closed descriptor as
 * {@code WRITING|ERROR} from the write callback, which rule 2 keeps; its
 * {@code bufferevent_enable} returns -1 instead (no return value here: the event says it), and a
 * pair half whose partner is gone buffers writes silently there (here: rule 2). Using a freed
 * {@code struct bufferevent} is undefined behaviour in C; rule 1 makes it a clear exception.
 *
 * <h2>Invariant</h2>
 * The transport reads exactly while EV_READ is enabled, no reason suspends reading (the
 * {@code Directions} of this bufferevent) and the bufferevent is not freed (likewise for writing,
 * which also needs output to write). After {@link #free()} no callback runs and no I/O happens.
 * Each concern has its own package-private class: {@code CallbackDispatch}, {@code IoTimeouts},
 * {@code Watermarks}, {@code Directions}, {@code RateLimiter}.
 */
public abstract class Bufferevent implements AutoCloseable {
    /**
     * Lifecycle of every bufferevent at DEBUG: the events that end or connect it (with the error
     * behind an ERROR) and its free. Each variant logs its own transport on its own logger; all
     * are under {@code org.jevent.bufferevent}.
     */
    static final Logger LOG = LoggerFactory.getLogger(Bufferevent.class);

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

    /** Direction flag, reading: the same value as the event base's {@link Event#EV_READ}. */
    public static final int EV_READ = Event.EV_READ;
    /** Direction flag, writing: the same value as the event base's {@link Event#EV_WRITE}. */
    public static final int EV_WRITE = Event.EV_WRITE;

    /**
     * Default cap on one read and one write: 64 KiB, where libevent has 16 KiB. Measured here
     * (benchmarks/README.md, echo load run): with 16 KiB a 64 KiB echo needs four loop turns and
     * ran at 0.68x Netty's throughput (Netty's adaptive reader goes up to 64 KiB); with 64 KiB,
     * 1.17x. The cap still keeps one busy connection from starving the others.
     */
    public static final int DEFAULT_MAX_SINGLE_IO = 65536;

    // Why a direction is paused (libevent's bufferevent_suspend_flags).
    static final int SUSPEND_WM = 0x01;
    static final int SUSPEND_BW = 0x02;
    static final int SUSPEND_BW_GROUP = 0x04;
    static final int SUSPEND_LOOKUP = 0x08;
    static final int SUSPEND_FILT_READ = 0x10;

    /** libevent's {@code bufferevent_data_cb}; the C {@code ctx} is what the lambda captures. */
    @FunctionalInterface
    public interface DataCb {
        /**
         * Told that input arrived (read callback) or output drained (write callback), on the
         * loop thread, according to the watermarks.
         *
         * @param bev the bufferevent concerned; the callback may read, write or free it
         */
        void call(Bufferevent bev);
    }

    /** libevent's {@code bufferevent_event_cb}: {@code what} is a combination of BEV_EVENT_* flags. */
    @FunctionalInterface
    public interface EventCb {
        /**
         * Told that the connection connected, ended, failed or timed out, on the loop thread;
         * {@link #getEndReason()} and {@link #getLastError()} say why.
         *
         * @param bev the bufferevent concerned; the callback may free it
         * @param what {@link #BEV_EVENT_EOF}, {@link #BEV_EVENT_ERROR}, {@link #BEV_EVENT_TIMEOUT}
         *     or {@link #BEV_EVENT_CONNECTED}, or-ed with {@link #BEV_EVENT_READING} or
         *     {@link #BEV_EVENT_WRITING}; {@link #describeEvents} names them
         */
        void call(Bufferevent bev, int what);
    }

    /**
     * Low and high watermark of one direction; 0 means unset.
     *
     * @param low the low watermark in bytes: no read callback below it, the write callback at
     *     or below it
     * @param high the high watermark in bytes: reading pauses at it; for writing, a filter or
     *     TLS layer above stops filling this output at it
     */
    public record Watermark(long low, long high) {
    }

    final EventBase base;
    final EvBuffer input = new EvBuffer();
    final EvBuffer output = new EvBuffer();
    final int options;

    final CallbackDispatch callbacks = new CallbackDispatch(this);
    final IoTimeouts timeouts = new IoTimeouts(this);
    final Watermarks wm = new Watermarks(this);
    final Directions directions = new Directions(this);
    boolean freed;

    /**
     * The single-I/O caps and the rate limits, made by the first call that sets one: a
     * bufferevent on the defaults (most connections) keeps none, 40 bytes less each.
     */
    private RateLimiter rateLimiter;
    private Throwable lastError;
    /** Why the connection ended, as of the last EOF, ERROR or TIMEOUT this bufferevent raised; null before. */
    private EndReason endReason;
    /** Bytes that arrived in the input, and that left the output, so far (each variant counts its own). */
    long bytesRead;
    long bytesWritten;
    /**
     * The base's monotonic time when this was made (the cached time: no clock read), for the
     * lifetime in the JFR event; 0 with the hooks compiled out ({@code -Djevent.jfr=false}).
     */
    private final long createdNanos;

    Bufferevent(EventBase base, int options) {
        this.base = Objects.requireNonNull(base, "base");
        if ((options & ~ALL_OPTIONS) != 0) {
            throw new IllegalArgumentException("unknown options 0x" + Integer.toHexString(options & ~ALL_OPTIONS));
        }
        if ((options & BEV_OPT_UNLOCK_CALLBACKS) != 0 && (options & BEV_OPT_DEFER_CALLBACKS) == 0) {
            throw new IllegalArgumentException("BEV_OPT_UNLOCK_CALLBACKS requires BEV_OPT_DEFER_CALLBACKS, as in libevent");
        }
        base.checkInLoopThread();
        this.options = options;
        this.createdNanos = JfrHooks.ON ? base.gettimeMonotonic() : 0;
        input.setMaxRead(DEFAULT_MAX_SINGLE_IO);
        // The one output hook of every variant: what the user adds is moved on at once. A field
        // of the buffer, not a NODEFER callback entry (libevent's way): 64 bytes less each.
        output.setAddedListener(n -> {
            outputAdded();
            timeouts.adjustWrite();
        });
    }

    // ------------------------------------------------------------------ factories

    /**
     * {@code bufferevent_socket_new}: see {@link SocketBufferevent#create}.
     *
     * @param base the base whose loop runs it; the caller must be on its loop thread
     * @param channel the socket, connected or not; null to {@code connect} one later
     * @param options {@code BEV_OPT_*} flags, or-ed
     * @return the new bufferevent, with EV_WRITE enabled and EV_READ disabled
     */
    public static SocketBufferevent socket(EventBase base, java.nio.channels.SocketChannel channel, int options) {
        return SocketBufferevent.create(base, channel, options);
    }

    /**
     * {@code bufferevent_pair_new}: two connected bufferevents, see {@link PairBufferevent#create}.
     *
     * @param base the base whose loop runs both; the caller must be on its loop thread
     * @param options {@code BEV_OPT_*} flags for both halves, or-ed
     * @return the two halves: what one writes, the other reads
     */
    public static PairBufferevent[] pair(EventBase base, int options) {
        return PairBufferevent.create(base, options);
    }

    /**
     * {@code bufferevent_socket_new(base, fd, options)} for stdin, a FIFO, a pipe or a child
     * process (a descriptor Java cannot select on): see {@link StreamBufferevent#create}.
     *
     * @param base the base whose loop runs the callbacks; the caller must be on its loop thread
     * @param in read by a thread of its own; null for a write-only bufferevent
     * @param out written by a thread of its own; null for a read-only bufferevent
     * @param options {@code BEV_OPT_*} flags, or-ed; CLOSE_ON_FREE closes the streams
     * @return the new bufferevent
     */
    public static StreamBufferevent stream(EventBase base, java.io.InputStream in, java.io.OutputStream out,
            int options) {
        return StreamBufferevent.create(base, in, out, options);
    }

    /**
     * {@code bufferevent_filter_new}: see {@link FilterBufferevent#create}.
     *
     * @param underlying the bufferevent the filtered bytes travel through
     * @param inputFilter turns what {@code underlying} reads into this one's input; null
     *     passes bytes through
     * @param outputFilter turns this one's output into what {@code underlying} writes; null
     *     passes bytes through
     * @param options {@code BEV_OPT_*} flags, or-ed; CLOSE_ON_FREE frees {@code underlying}
     * @return the new bufferevent
     */
    public static FilterBufferevent filter(Bufferevent underlying, BuffereventFilter inputFilter,
            BuffereventFilter outputFilter, int options) {
        return FilterBufferevent.create(underlying, inputFilter, outputFilter, options);
    }

    // ------------------------------------------------------------------ buffers and callbacks

    /**
     * {@code bufferevent_get_input}. Loop thread only.
     *
     * @return the buffer of bytes read and not yet consumed; drain it to consume them
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public EvBuffer getInput() {
        checkLoopThread();
        checkNotFreed();
        return input;
    }

    /**
     * {@code bufferevent_get_output}. Loop thread only.
     *
     * @return the buffer of bytes waiting to be written; add to it to write
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public EvBuffer getOutput() {
        checkLoopThread();
        checkNotFreed();
        return output;
    }

    /** {@return the base whose loop runs this bufferevent} ({@code bufferevent_get_base}) */
    public EventBase getBase() {
        return base;
    }

    /** {@return the {@code BEV_OPT_*} flags it was made with} ({@code bufferevent_get_options}) */
    public int getOptions() {
        return options;
    }

    /**
     * {@code bufferevent_setcb}: any may be null. Replaces all three. Loop thread only.
     *
     * @param readcb run when the input reaches the read low watermark; null for none
     * @param writecb run when the output falls to the write low watermark; null for none
     * @param eventcb run on connect, EOF, error and timeout; null for none
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setCallbacks(DataCb readcb, DataCb writecb, EventCb eventcb) {
        checkLoopThread();
        checkNotFreed();
        callbacks.set(readcb, writecb, eventcb);
    }

    /** {@return the read callback, or null} ({@code bufferevent_getcb}) */
    public DataCb getReadCallback() {
        return callbacks.readcb();
    }

    /** {@return the write callback, or null} ({@code bufferevent_getcb}) */
    public DataCb getWriteCallback() {
        return callbacks.writecb();
    }

    /** {@return the event callback, or null} ({@code bufferevent_getcb}) */
    public EventCb getEventCallback() {
        return callbacks.eventcb();
    }

    // ------------------------------------------------------------------ enable / disable

    /**
     * {@code bufferevent_enable}: wants reading and/or writing. With THREADSAFE it may be
     * called from any thread.
     *
     * @param events {@link #EV_READ} and/or {@link #EV_WRITE}
     * @throws IllegalArgumentException if {@code events} has another bit
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     *     without {@link #BEV_OPT_THREADSAFE}
     */
    public void enable(int events) {
        checkDirections(events);
        if (!base.isInLoopThread() && hopIfForeign(() -> enable(events))) {
            return;
        }
        checkNotFreed();
        directions.enable(events);
        reportTransportLost(events);
    }

    /**
     * {@code bufferevent_disable}: stops reading and/or writing; buffered bytes stay. With
     * THREADSAFE it may be called from any thread.
     *
     * @param events {@link #EV_READ} and/or {@link #EV_WRITE}
     * @throws IllegalArgumentException if {@code events} has another bit
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     *     without {@link #BEV_OPT_THREADSAFE}
     */
    public void disable(int events) {
        checkDirections(events);
        if (!base.isInLoopThread() && hopIfForeign(() -> disable(events))) {
            return;
        }
        checkNotFreed();
        directions.disable(events);
    }

    /**
     * {@return the directions the user enabled, {@link #EV_READ} and/or {@link #EV_WRITE}}
     * ({@code bufferevent_get_enabled}) A direction may be enabled and still paused by a
     * watermark or a rate limit.
     */
    public int getEnabled() {
        return directions.enabled;
    }

    private static void checkDirections(int events) {
        if ((events & ~(EV_READ | EV_WRITE)) != 0) {
            throw new IllegalArgumentException("only EV_READ and EV_WRITE can be enabled: 0x" + Integer.toHexString(events));
        }
    }

    /** The transport should start (or keep) reading. */
    abstract void startReading();

    /** The transport should stop reading. */
    abstract void stopReading();

    /** The transport should write whatever output there is, now or when it can. */
    abstract void startWriting();

    /** The transport should stop writing. */
    abstract void stopWriting();

    /** Bytes were added to the output: by default, write them if writing runs. */
    void outputAdded() {
        if (directions.writingActive()) {
            startWriting();
        }
    }

    // ------------------------------------------------------------------ reading and writing

    /**
     * {@code bufferevent_write}: appends a copy to the output. THREADSAFE: any thread.
     *
     * @param data the bytes to write, all of them
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     *     without {@link #BEV_OPT_THREADSAFE}
     */
    public void write(byte[] data) {
        write(data, 0, Objects.requireNonNull(data, "data").length);
    }

    /**
     * {@code bufferevent_write} of part of an array. THREADSAFE: any thread (the bytes are copied
     * first).
     *
     * @param data the array holding the bytes
     * @param off index in {@code data} of the first byte to write
     * @param len number of bytes to write
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code data}
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     *     without {@link #BEV_OPT_THREADSAFE}
     */
    public void write(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        if (!base.isInLoopThread() && hopWrite(java.util.Arrays.copyOfRange(data, off, off + len))) {
            return;
        }
        checkNotFreed();
        output.add(data, off, len);
        reportTransportLost(EV_WRITE);
    }

    /**
     * {@code bufferevent_write} from a {@link ByteBuffer}: appends a copy of {@code src}'s
     * remaining bytes. THREADSAFE: any thread.
     *
     * @param src the bytes between its position and its limit; its position ends at its limit
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     *     without {@link #BEV_OPT_THREADSAFE}
     */
    public void write(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        if (!base.isInLoopThread() && hopWrite(remainingOf(src))) {
            return;
        }
        checkNotFreed();
        output.add(src);
        reportTransportLost(EV_WRITE);
    }

    /**
     * {@code bufferevent_write_buffer}: moves all of {@code src} to the output. THREADSAFE: any
     * thread, provided {@code src} is not touched by anyone else until it has been moved.
     *
     * @param src the buffer to empty into the output
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     *     without {@link #BEV_OPT_THREADSAFE}
     */
    public void writeBuffer(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (!base.isInLoopThread() && hopIfForeign(() -> writeBuffer(src))) {
            return;
        }
        checkNotFreed();
        output.addBuffer(src);
        reportTransportLost(EV_WRITE);
    }

    /**
     * {@code bufferevent_read}: moves up to {@code dst.length} input bytes into {@code dst};
     * returns how many. Where C returns 0 because the input's front is frozen, this throws
     * {@link IllegalStateException} (EvBuffer's rule) and moves nothing. Loop thread only.
     *
     * @param dst the array to fill from index 0
     * @return how many bytes were moved, 0 when the input is empty
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public int read(byte[] dst) {
        return read(dst, 0, Objects.requireNonNull(dst, "dst").length);
    }

    /**
     * {@code bufferevent_read} into part of an array. Loop thread only.
     *
     * @param dst the array to copy into
     * @param off index in {@code dst} of the first byte written
     * @param len the most bytes to move
     * @return how many bytes were moved, 0 when the input is empty
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code dst}
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public int read(byte[] dst, int off, int len) {
        checkLoopThread();
        checkNotFreed();
        return input.remove(dst, off, len);
    }

    /**
     * {@code bufferevent_read_buffer}: moves the whole input to {@code dst}. Loop thread only.
     *
     * @param dst the buffer the input is appended to
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void readBuffer(EvBuffer dst) {
        checkLoopThread();
        checkNotFreed();
        dst.addBuffer(input);
    }

    // ------------------------------------------------------------------ watermarks

    /**
     * {@code bufferevent_setwatermark}: for each direction in {@code events}, low and high
     * watermark; 0 unsets. A high watermark below the low one is raised to it, as in libevent.
     * Loop thread only.
     *
     * @param events {@link #EV_READ} and/or {@link #EV_WRITE}
     * @param low the low watermark in bytes (see {@link Watermark})
     * @param high the high watermark in bytes (see {@link Watermark})
     * @throws IllegalArgumentException if {@code events} has another bit
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setWatermark(int events, long low, long high) {
        checkDirections(events);
        checkLoopThread();
        checkNotFreed();
        wm.set(events, low, high);
    }

    /**
     * {@code bufferevent_getwatermark}: exactly one of EV_READ or EV_WRITE, as libevent
     * requires.
     *
     * @param events {@link #EV_READ} or {@link #EV_WRITE}
     * @return that direction's watermarks; 0 where unset
     * @throws IllegalArgumentException if {@code events} is not exactly one direction
     */
    public Watermark getWatermark(int events) {
        return wm.get(events);
    }

    // ------------------------------------------------------------------ timeouts

    /**
     * {@code bufferevent_set_timeouts}: null or zero disables that timeout. A timer restarts on
     * every successful read or write, and from now with the new value when this is called. A
     * layer with a handshake (TLS) may bind both to it: they then bound the handshake as a whole.
     * Loop thread only.
     *
     * @param read how long reading may wait for data; null or zero for no limit
     * @param write how long pending output may wait to be written; null or zero for no limit
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setTimeouts(Duration read, Duration write) {
        checkLoopThread();
        checkNotFreed();
        timeouts.set(read, write);
    }

    /** {@return the read timeout, or null when there is none} */
    public Duration getReadTimeout() {
        return timeouts.read();
    }

    /** {@return the write timeout, or null when there is none} */
    public Duration getWriteTimeout() {
        return timeouts.write();
    }

    /** True while a connect is under way (the socket variant); the write timeout then bounds it. */
    boolean connectPending() {
        return false;
    }

    /** True while there is something to write; a variant writing elsewhere may say more. */
    boolean hasPendingOutput() {
        return output.getLength() > 0;
    }

    // ------------------------------------------------------------------ flush, trigger, limits

    /**
     * {@code bufferevent_flush(bev, iotype, mode)}: pushes data along as far as the variant can.
     * Returns -1 on failure (nothing to flush to: a pair half without partner), 0 if nothing
     * was produced, 1 if something was. Loop thread only.
     *
     * @param iotype {@link #EV_READ} and/or {@link #EV_WRITE}: which direction to push
     * @param mode how hard to push; {@link FlushMode#FINISHED} also says no more data will
     *     come (a pair's partner then sees EOF)
     * @return -1, 0 or 1 as above
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public int flush(int iotype, FlushMode mode) {
        Objects.requireNonNull(mode, "mode");
        checkLoopThread();
        checkNotFreed();
        return onFlush(iotype, mode);
    }

    /** Variant's flush; default: nothing to do (libevent's socket variant). */
    int onFlush(int iotype, FlushMode mode) {
        return 0;
    }

    /**
     * {@code bufferevent_trigger}: runs the read and/or write callback as if data had arrived
     * or drained, respecting the watermarks unless {@link #BEV_TRIG_IGNORE_WATERMARKS}. Loop
     * thread only.
     *
     * @param iotype {@link #EV_READ} and/or {@link #EV_WRITE}: which callbacks
     * @param options {@link #BEV_TRIG_IGNORE_WATERMARKS} and/or
     *     {@link #BEV_TRIG_DEFER_CALLBACKS}, or-ed; 0 for none
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void trigger(int iotype, int options) {
        checkLoopThread();
        checkNotFreed();
        callbacks.trigger(iotype, options);
    }

    /**
     * {@code bufferevent_trigger_event}: runs the event callback with {@code what}. It does not
     * change {@link #getEndReason()}. Loop thread only.
     *
     * @param what the {@code BEV_EVENT_*} flags the callback receives
     * @param options {@link #BEV_TRIG_DEFER_CALLBACKS} to run it from the deferred queue; 0
     *     runs it now (unless the bufferevent defers all its callbacks)
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void triggerEvent(int what, int options) {
        checkLoopThread();
        checkNotFreed();
        callbacks.runEvent(what, options);
    }

    /**
     * {@code bufferevent_set_max_single_read}: caps the bytes one read takes. Loop thread only.
     *
     * @param size the cap in bytes; 0 restores the default, {@link #DEFAULT_MAX_SINGLE_IO}
     * @throws IllegalArgumentException if {@code size} is negative
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setMaxSingleRead(int size) {
        checkLoopThread();
        checkNotFreed();
        rateLimiter().setMaxSingleRead(size);
    }

    /**
     * {@code bufferevent_set_max_single_write}: caps the bytes one write gives the transport.
     * Loop thread only.
     *
     * @param size the cap in bytes; 0 restores the default, {@link #DEFAULT_MAX_SINGLE_IO}
     * @throws IllegalArgumentException if {@code size} is negative
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setMaxSingleWrite(int size) {
        checkLoopThread();
        checkNotFreed();
        rateLimiter().setMaxSingleWrite(size);
    }

    /** {@return the cap on one read, in bytes} ({@code bufferevent_get_max_single_read}) */
    public int getMaxSingleRead() {
        RateLimiter r = rateLimiter;
        return r == null ? DEFAULT_MAX_SINGLE_IO : r.maxSingleRead;
    }

    /** {@return the cap on one write, in bytes} ({@code bufferevent_get_max_single_write}) */
    public int getMaxSingleWrite() {
        RateLimiter r = rateLimiter;
        return r == null ? DEFAULT_MAX_SINGLE_IO : r.maxSingleWrite;
    }

    /**
     * {@return how many bytes one read may take now} The single-read cap lowered by the own
     * and the group's rate limits ({@code bufferevent_get_max_to_read}); 0 or less while a limit
     * is exhausted.
     */
    public long getMaxToRead() {
        RateLimiter r = rateLimiter;
        return r == null ? DEFAULT_MAX_SINGLE_IO : r.maxToRead();
    }

    /**
     * {@return how many bytes one write may give the transport now} The single-write cap lowered
     * by the own and the group's rate limits ({@code bufferevent_get_max_to_write}).
     */
    public long getMaxToWrite() {
        RateLimiter r = rateLimiter;
        return r == null ? DEFAULT_MAX_SINGLE_IO : r.maxToWrite();
    }

    /** The rate limiter, made now if none was needed before. */
    private RateLimiter rateLimiter() {
        RateLimiter r = rateLimiter;
        if (r == null) {
            r = rateLimiter = new RateLimiter(this);
        }
        return r;
    }

    /** All the read tokens of the own bucket and the group now ({@link RateLimiter#tokensToRead}). */
    long tokensToRead() {
        RateLimiter r = rateLimiter;
        return r == null ? Long.MAX_VALUE : r.tokensToRead();
    }

    /** As {@link #tokensToRead()}, for writing. */
    long tokensToWrite() {
        RateLimiter r = rateLimiter;
        return r == null ? Long.MAX_VALUE : r.tokensToWrite();
    }

    /** Charges {@code n} bytes read to the own bucket and the group, if limited. */
    void chargeRead(long n) {
        RateLimiter r = rateLimiter;
        if (r != null) {
            r.chargeRead(n);
        }
    }

    /** Charges {@code n} bytes written, as {@link #chargeRead}. */
    void chargeWrite(long n) {
        RateLimiter r = rateLimiter;
        if (r != null) {
            r.chargeWrite(n);
        }
    }

    // ------------------------------------------------------------------ rate limits

    /**
     * {@code bufferevent_set_rate_limit}: limits this bufferevent with its own token bucket;
     * null removes the limit. Loop thread only.
     *
     * @param cfg rates, bursts and tick of the bucket (may be shared between bufferevents,
     *     each gets its own bucket); null to remove the limit
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void setRateLimit(TokenBucketCfg cfg) {
        checkLoopThread();
        checkNotFreed();
        if (cfg != null || rateLimiter != null) {
            rateLimiter().setCfg(cfg);
        }
    }

    /**
     * {@code bufferevent_add_to_rate_limit_group}: leaves any other group first. Loop thread only.
     *
     * @param group the group whose shared buckets limit this bufferevent too
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void addToRateLimitGroup(RateLimitGroup group) {
        Objects.requireNonNull(group, "group");
        checkLoopThread();
        checkNotFreed();
        rateLimiter().joinGroup(group);
    }

    /**
     * {@code bufferevent_remove_from_rate_limit_group}: the group limits it no longer; nothing
     * happens if it is in none. Loop thread only.
     *
     * @throws IllegalStateException if the bufferevent was freed, or called off the loop thread
     */
    public void removeFromRateLimitGroup() {
        checkLoopThread();
        checkNotFreed();
        if (rateLimiter != null) {
            rateLimiter.leaveGroup();
        }
    }

    /** {@return the own bucket's configuration, or null without one} ({@code bufferevent_get_token_bucket_cfg}) */
    public TokenBucketCfg getTokenBucketCfg() {
        checkLoopThread();
        return rateLimiter == null ? null : rateLimiter.cfg();
    }

    /**
     * {@return the read tokens of the own bucket now, in bytes; {@code Long.MAX_VALUE} without
     * one} ({@code bufferevent_get_read_limit}) May be negative after a
     * {@link #decrementReadLimit}.
     */
    public long getReadLimit() {
        checkLoopThread();
        return rateLimiter == null ? Long.MAX_VALUE : rateLimiter.ownReadLimit();
    }

    /**
     * {@return the write tokens of the own bucket now, in bytes; {@code Long.MAX_VALUE} without
     * one} ({@code bufferevent_get_write_limit})
     */
    public long getWriteLimit() {
        checkLoopThread();
        return rateLimiter == null ? Long.MAX_VALUE : rateLimiter.ownWriteLimit();
    }

    /**
     * {@code bufferevent_decrement_read_limit}: takes read tokens from the own bucket by hand;
     * it may go negative, which pauses reading until the refills pay the debt. Loop thread only.
     *
     * @param n the tokens (bytes) to take; negative gives tokens back
     * @throws IllegalStateException if no rate limit is set, the bufferevent was freed, or
     *     called off the loop thread
     */
    public void decrementReadLimit(long n) {
        checkLoopThread();
        checkNotFreed();
        rateLimiter().decrementRead(n);
    }

    /**
     * {@code bufferevent_decrement_write_limit}: takes write tokens from the own bucket by hand,
     * as {@link #decrementReadLimit} does for reading. Loop thread only.
     *
     * @param n the tokens (bytes) to take; negative gives tokens back
     * @throws IllegalStateException if no rate limit is set, the bufferevent was freed, or
     *     called off the loop thread
     */
    public void decrementWriteLimit(long n) {
        checkLoopThread();
        checkNotFreed();
        rateLimiter().decrementWrite(n);
    }

    /**
     * The error behind the last {@link #BEV_EVENT_ERROR}, or null: the I/O exception, the
     * refused connect, the failed name lookup (libevent's errno and
     * {@code bufferevent_socket_get_dns_error}).
     *
     * @return the error, or null while there was none
     */
    public Throwable getLastError() {
        return lastError;
    }

    /** {@return the bufferevent this one reads and writes through, or null} ({@code bufferevent_get_underlying}) */
    public Bufferevent getUnderlying() {
        return null;
    }

    // ------------------------------------------------------------------ callbacks

    /**
     * Why the connection ended: the reason behind the last EOF, ERROR or TIMEOUT event this
     * bufferevent raised (set before its callback runs, so the callback can read it), or
     * {@link EndReason#FREED_LOCALLY} once freed without one; null while there was none, and for
     * events the program raised itself with {@link #triggerEvent}. A timeout the program goes on
     * after (re-enabling its direction) stays here until a later event replaces it.
     *
     * @return the reason, or null as above
     */
    public EndReason getEndReason() {
        return endReason;
    }

    /**
     * Bytes that arrived in this bufferevent's input so far: read from its socket, moved from
     * its pair's partner, produced by its input filter, or (TLS) decrypted. A Java addition, like
     * {@link #getBytesWritten()}; also in the JFR event {@code org.jevent.ConnectionClose}.
     *
     * @return the byte count since the bufferevent was made
     */
    public long getBytesRead() {
        return bytesRead;
    }

    /**
     * {@return the bytes that left this bufferevent's output so far} Written to its socket,
     * moved to its partner, taken by its output filter, or (TLS) encrypted.
     */
    public long getBytesWritten() {
        return bytesWritten;
    }

    /**
     * The BEV_EVENT_* flags in {@code what} by name, joined with '|': what happened first, then
     * the direction ({@code "EOF|READING"}, {@code "ERROR|WRITING"}, {@code "CONNECTED"}); bits
     * that are no flag in hex ({@code "EOF|0x100"}); {@code "0"} for none. libevent has no such
     * call; this is for log lines and messages.
     *
     * @param what {@code BEV_EVENT_*} flags, or-ed, as an event callback receives them
     * @return the flags' names, never null
     */
    public static String describeEvents(int what) {
        StringBuilder sb = new StringBuilder();
        int rest = what;
        for (int i = 0; i < EVENT_FLAGS.length; i++) {
            if ((what & EVENT_FLAGS[i]) != 0) {
                if (sb.length() > 0) {
                    sb.append('|');
                }
                sb.append(EVENT_FLAG_NAMES[i]);
                rest &= ~EVENT_FLAGS[i];
            }
        }
        if (rest != 0) {
            if (sb.length() > 0) {
                sb.append('|');
            }
            sb.append("0x").append(Integer.toHexString(rest));
        }
        return sb.length() == 0 ? "0" : sb.toString();
    }

    /** The order {@link #describeEvents} names flags in: what happened first, then the direction it happened in. */
    private static final int[] EVENT_FLAGS = {BEV_EVENT_CONNECTED, BEV_EVENT_EOF, BEV_EVENT_ERROR, BEV_EVENT_TIMEOUT,
        BEV_EVENT_READING, BEV_EVENT_WRITING};
    private static final String[] EVENT_FLAG_NAMES = {"CONNECTED", "EOF", "ERROR", "TIMEOUT", "READING", "WRITING"};

    /** Reports an I/O failure: remembers it and runs the event callback with {@code what | ERROR}; the reason from its type. */
    final void fail(int what, Throwable error) {
        fail(what, error, EndReason.ofIoFailure(error));
    }

    /** Reports a failure for {@code reason}: remembers it and runs the event callback with {@code what | ERROR}. */
    final void fail(int what, Throwable error, EndReason reason) {
        lastError = error;
        end(what | BEV_EVENT_ERROR, reason, 0);
    }

    /**
     * Raises {@code what} (an EOF, ERROR or TIMEOUT, with its direction) for {@code reason}: the
     * reason is set first, so the event callback finds it in {@link #getEndReason()}.
     */
    final void end(int what, EndReason reason, int opts) {
        if (!freed) {
            endReason = reason;
        }
        callbacks.runEvent(what, opts);
    }

    void setLastError(Throwable error) {
        lastError = error;
    }

    // ------------------------------------------------------------------ free

    /**
     * {@code bufferevent_free}: no callback runs from now on; the transport stops; with
     * {@link #BEV_OPT_CLOSE_ON_FREE} the channel is closed (or the underlying bufferevent freed).
     * As in libevent, output not yet written is dropped. Safe inside a callback; freeing twice
     * does nothing.
     */
    public void free() {
        if (!base.isInLoopThread() && hopIfForeign(this::free)) {
            return;
        }
        if (freed) {
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: freed, {} bytes unread, {} bytes not yet written dropped", logName(), input.getLength(),
                    output.getLength());
        }
        freed = true;
        if (endReason == null) {
            endReason = EndReason.FREED_LOCALLY;
        }
        if (JfrHooks.AVAILABLE) {
            ConnectionRecorder.closed(this, base.gettimeMonotonic() - createdNanos);
        }
        callbacks.clear();
        timeouts.cancel();
        if (rateLimiter != null) {
            rateLimiter.detach();
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

    /** {@return true once {@link #free()} or {@link #close()} ran} */
    public boolean isFreed() {
        return freed;
    }

    /** Variant's part of free: stop the transport, close what CLOSE_ON_FREE says to close. */
    abstract void onFree();

    // ------------------------------------------------------------------ threads

    void checkLoopThread() {
        base.checkInLoopThread();
    }

    /** The first rule of the class comment: a freed bufferevent takes no more calls. */
    void checkNotFreed() {
        if (freed) {
            throw new IllegalStateException("this " + getClass().getSimpleName()
                    + " was freed: after free() only the getters of what happened answer");
        }
    }

    /** The directions (BEV_EVENT_READING, _WRITING) already reported as having lost their transport. */
    private int transportLossReported;

    /** True while what this bufferevent reads and writes through is there (or not yet given). */
    boolean transportAlive() {
        return true;
    }

    /** A new transport (a socket's new channel): its loss will be reported afresh. */
    final void transportLossReset() {
        transportLossReported = 0;
    }

    /**
     * After a public call that needs the transport in {@code events}' directions (reading for
     * EV_READ, writing for EV_WRITE when there is output): reports the loss if it is gone.
     */
    final void reportTransportLost(int events) {
        if (transportAlive()) {
            return;
        }
        if ((events & EV_READ) != 0) {
            transportLost(BEV_EVENT_READING, "the transport is gone (" + getClass().getSimpleName() + ")");
        }
        if ((events & EV_WRITE) != 0 && output.getLength() > 0) {
            transportLost(BEV_EVENT_WRITING, "the transport is gone (" + getClass().getSimpleName() + ")");
        }
    }

    /**
     * The second rule of the class comment: what this bufferevent reads and writes through is
     * gone while it lives (its channel closed by someone else, its underlying bufferevent or its
     * pair's partner freed), and {@code direction} (BEV_EVENT_READING or _WRITING) needed it. An
     * I/O failure, reported like one: that direction is disabled, and {@code direction|ERROR}
     * with a {@link java.nio.channels.ClosedChannelException} and
     * {@link EndReason#TRANSPORT_CLOSED} comes from the deferred queue, never from inside the
     * call that found it; once per direction.
     */
    final void transportLost(int direction, String what) {
        if (freed || (transportLossReported & direction) != 0) {
            return;
        }
        transportLossReported |= direction;
        java.nio.channels.ClosedChannelException e = new java.nio.channels.ClosedChannelException();
        e.initCause(new IllegalStateException(what));
        directions.disable(direction == BEV_EVENT_READING ? EV_READ : EV_WRITE);
        lastError = e;
        end(direction | BEV_EVENT_ERROR, EndReason.TRANSPORT_CLOSED, BEV_OPT_DEFER_CALLBACKS);
    }

    /**
     * On the loop thread: false, the caller goes on. Elsewhere: with THREADSAFE the action is
     * queued to the loop (in call order) and true is returned; without it this throws.
     */
    final boolean hopIfForeign(Runnable action) {
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

    /** Off the loop thread, a write of {@code copy} (the caller's bytes, copied first) hops onto it; see {@link #hopIfForeign}. */
    private boolean hopWrite(byte[] copy) {
        return hopIfForeign(() -> write(copy));
    }

    private static byte[] remainingOf(ByteBuffer src) {
        byte[] copy = new byte[src.remaining()];
        src.get(copy);
        return copy;
    }

    // ------------------------------------------------------------------ logging

    /**
     * How log lines name this bufferevent: its class and identity, and what a variant adds (a
     * socket's addresses, a layer's transport). Called only when a line is logged.
     */
    String logName() {
        return getClass().getSimpleName() + "@" + Integer.toHexString(System.identityHashCode(this));
    }

    /**
     * An event that connects or ends the connection was raised: one DEBUG line with the end
     * reason and the error behind an ERROR (the caller checked the level).
     */
    final void logEvent(int what) {
        if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) == 0) {
            LOG.debug("{}: event {}", logName(), describeEvents(what));
            return;
        }
        Throwable error = (what & BEV_EVENT_ERROR) != 0 ? lastError : null;
        LOG.debug("{}: event {}, end reason {}{}", logName(), describeEvents(what), endReason,
                error == null ? "" : ": " + error);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[in=" + input.getLength() + ", out=" + output.getLength()
                + ", " + directions + (freed ? ", freed" : "") + "]";
    }
}
