package org.jevent.bufferevent.ssl;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.bufferevent.FlushMode;
import org.jevent.bufferevent.SocketBufferevent;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;

/**
 * TLS over another bufferevent, through an {@link SSLEngine}: libevent's
 * {@code bufferevent_openssl} for the JVM, built on the memory-BIO pattern: the engine never
 * touches a socket. Ciphertext that the transport read is unwrapped into this bufferevent's
 * input; plaintext written to its output is wrapped into the transport's output.
 *
 * <p>Two variants share this one pump: {@link #filter} runs over any bufferevent the caller
 * gives (a socket, a pair half, another filter or TLS bufferevent); {@link #socket} runs over a
 * channel, through a private {@link SocketBufferevent} that nobody else sees.
 *
 * <h2>Behaviour</h2>
 * <ul>
 * <li>States {@link SslState#OPEN}, {@link SslState#CONNECTING}, {@link SslState#ACCEPTING}.
 * Exactly one {@link #BEV_EVENT_CONNECTED} when the handshake completes (the transport's own
 * CONNECTED is not passed on), before the first byte of data is delivered. Data written before
 * that waits in the output and is sent once the handshake allows it: never lost, never in
 * clear.</li>
 * <li>A handshake may start again at any time (the peer renegotiates, a TLS 1.3 key update or
 * session ticket arrives): the pump answers NEED_WRAP and NEED_UNWRAP whenever they come.
 * {@link #renegotiate()} starts one from our side where the provider can; its completion raises
 * CONNECTED again, as libevent does.</li>
 * <li>Every TLS failure is queued ({@link #getSslError()}, oldest first, at most
 * {@value #MAX_ERRORS} kept) and reported as {@code ERROR} with READING or WRITING.</li>
 * <li>The transport's EOF after the peer's close_notify is a clean {@code READING|EOF}; before it,
 * a truncation: {@code READING|ERROR}, or {@code READING|EOF} with {@link #DIRTY_SHUTDOWN}. This
 * is decided from our own state, because Conscrypt raises nothing on such an EOF. A peer's
 * close_notify is answered with ours.</li>
 * <li>Timeouts set before the first handshake completes bound the handshake as a whole: one
 * bare {@code TIMEOUT} event, never per-direction ones too ({@link #setTimeouts}).</li>
 * <li>{@link #shutdown(Duration)} is the secure disconnect libevent lacks: flush, close_notify,
 * then wait a bounded time for the peer's, or not at all.</li>
 * <li>Layering on a live plaintext connection (an SSLRequest or STARTTLS upgrade) refuses bytes
 * the plaintext layer already read and left unconsumed: they are neither handshake nor
 * application data, and taking them either way is the bug class of PostgreSQL's CVE-2021-23214.
 * The result is an ERROR naming them.</li>
 * </ul>
 *
 * <h2>Invariant</h2>
 * The pump ({@link #pump()}) never runs inside itself: a callback or a re-entrant call during a
 * pump only sets {@code pumpAgain}. {@code handshaking} is true from the start of a handshake
 * until the engine reports FINISHED; while it is, plaintext is neither wrapped nor delivered.
 * After {@code failed} nothing is wrapped or unwrapped any more.
 */
public final class SslBufferevent extends Bufferevent {
    /** Flag: an EOF without close_notify is reported as EOF, not ERROR ({@code BUFFEREVENT_SSL_DIRTY_SHUTDOWN}). */
    public static final int DIRTY_SHUTDOWN = 0x01;
    /**
     * Flag accepted for libevent compatibility ({@code BUFFEREVENT_SSL_BATCH_WRITE}): small writes
     * are always batched into full records here, since wrap takes many source buffers at once.
     */
    public static final int BATCH_WRITE = 0x02;
    /**
     * How much ciphertext the pump lets wait in a transport that has no write high watermark of
     * its own (the socket variant's hidden one, or a filter's underlying the caller left
     * unbounded). Beyond it plaintext stays in this bufferevent's output, so that its length and
     * its write callback tell the caller how fast the peer really takes data, as a socket's
     * would; without a bound everything written would be encrypted into memory at once and a
     * relay could never feel back-pressure. (libevent's socket variant gets the same from the
     * kernel, whose buffer makes SSL_write stop; its filter has no bound.) Four full records.
     */
    public static final int TRANSPORT_WRITE_BOUND = 64 * 1024;
    /** Most errors kept in the queue; older ones are dropped first, as OpenSSL's queue does. */
    public static final int MAX_ERRORS = 16;

    /**
     * How long {@link #shutdown} without a wait for the peer (null or zero) lets the close_notify
     * take to leave through the transport before it closes anyway and reports
     * {@code EOF|TIMEOUT}.
     */
    public static final Duration SHUTDOWN_FLUSH_LIMIT = Duration.ofSeconds(1);

    /** Delegated tasks (JDK) run here, off the loop thread, so that other connections go on. */
    private static final ExecutorService TASKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jevent-tls-task");
        t.setDaemon(true);
        return t;
    });

    private final Bufferevent underlying;
    /** True for the socket variant: the transport is ours, hidden, and closed with us. */
    private final boolean ownTransport;
    private final SSLEngine engine;
    private final SslProvider provider;
    private final EngineIo io;
    private final SslState initialState;
    private int flags;

    private boolean handshaking;
    private boolean handshakeStarted;
    private boolean everConnected;
    private boolean localRenegotiation;
    private boolean failed;
    private boolean taskRunning;
    private boolean heldPlaintext;
    private boolean pumping;
    private boolean pumpAgain;
    private boolean deliveringRead;
    private boolean readAgain;
    private boolean peerClosed;
    private boolean eofReported;
    /** The peer's close_notify arrived; EOF is reported when the pump that read it ends. */
    private boolean eofPending;

    // Secure disconnect
    private boolean closing;
    private boolean closeNotifyQueued;
    private Duration shutdownWait;
    private Event shutdownTimer;
    private boolean shutdownDone;

    private Event handshakeTimer;
    /** Timeouts set before the first handshake completed; they become the generic timers then. */
    private boolean timeoutsHeld;
    private Duration heldReadTimeout;
    private Duration heldWriteTimeout;
    /** The bound the handshake timer was last armed with (for its message). */
    private Duration handshakeBound;
    private Event taskKeepAlive;

    private final ArrayDeque<SslError> errors = new ArrayDeque<>();
    private final byte[] header = new byte[TlsRecordHeader.LENGTH];

    private SslBufferevent(EventBase base, Bufferevent underlying, boolean ownTransport, SSLEngine engine,
            SslState state, int options) {
        super(base, options);
        this.underlying = underlying;
        this.ownTransport = ownTransport;
        this.engine = engine;
        this.provider = SslProvider.of(engine);
        this.io = EngineIo.forProvider(provider);
        this.initialState = state;
        output.cbSetFlags(output.addCallback((buf, info) -> {
            if (info.nAdded() > 0) {
                pump();
                adjustWriteTimeout();
            }
        }), EvBuffer.EVBUFFER_CB_NODEFER);
    }

    // ------------------------------------------------------------------ construction

    /**
     * {@code bufferevent_openssl_filter_new(base, underlying, ssl, state, options)}: TLS over
     * {@code underlying}, whose callbacks are taken over. With {@link #BEV_OPT_CLOSE_ON_FREE}
     * freeing this frees the underlying bufferevent; without it the underlying is handed back
     * with no callbacks. Bytes the underlying already holds in its input are refused (see the
     * class comment).
     */
    public static SslBufferevent filter(EventBase base, Bufferevent underlying, SSLEngine engine, SslState state,
            int options) {
        Objects.requireNonNull(underlying, "underlying");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(state, "state");
        if (underlying.getBase() != base) {
            throw new IllegalArgumentException("the underlying bufferevent belongs to another event base");
        }
        if (underlying.isFreed()) {
            throw new IllegalStateException("the underlying bufferevent was freed");
        }
        SslBufferevent bev = new SslBufferevent(base, underlying, false, engine, state, options);
        bev.attach(true);
        return bev;
    }

    /**
     * {@code bufferevent_openssl_socket_new(base, fd, ssl, state, options)}: TLS over
     * {@code channel}, or over no channel until {@link #connect}. With
     * {@link #BEV_OPT_CLOSE_ON_FREE} freeing closes the channel (a channel we opened ourselves
     * is always closed).
     */
    public static SslBufferevent socket(EventBase base, SocketChannel channel, SSLEngine engine, SslState state,
            int options) {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(state, "state");
        int socketOptions = options & BEV_OPT_CLOSE_ON_FREE;
        SocketBufferevent transport = SocketBufferevent.create(base, channel, socketOptions);
        noDelay(channel);
        SslBufferevent bev = new SslBufferevent(base, transport, true, engine, state,
                options & ~BEV_OPT_CLOSE_ON_FREE);
        // Without a connected channel the handshake waits for the transport's CONNECTED.
        bev.attach(channel != null && channel.isConnected());
        return bev;
    }

    /**
     * TLS records are coalesced per loop turn already; Nagle's algorithm would only hold back the
     * last partial record of a burst until the peer's delayed ACK (40 ms on Linux), so the socket
     * variant turns it off, as Netty does for every socket.
     */
    private static void noDelay(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        } catch (java.io.IOException | UnsupportedOperationException ignored) {
            // Not a TCP socket, or already closed: nothing to tune.
        }
    }

    private void attach(boolean transportReady) {
        // Look before enabling: enabling may pull bytes in that were sent for the TLS layer.
        long stray = underlying.getInput().getLength();
        underlying.setCallbacks(b -> pump(), b -> underlyingDrained(), this::underlyingEvent);
        underlying.enable(EV_READ | EV_WRITE);
        if (stray > 0) {
            byte[] head = new byte[(int) Math.min(16, stray)];
            underlying.getInput().copyout(head);
            failed = true;
            SSLException refusal = new SSLException(stray + " bytes arrived in plaintext before the TLS layer was"
                    + " added and were not consumed (" + TlsRecordHeader.hex(head) + (stray > 16 ? " ..." : "")
                    + "); refusing them: they are neither handshake nor application data");
            recordError(new SslError(refusal, null, false));
            updateUnderlyingReading();
            // Reported from the deferred queue: the caller sets the callbacks after this
            // constructor returns, and an event with no callback yet would be dropped.
            base.deferredExecutor().execute(() -> {
                if (!isFreed()) {
                    fail(BEV_EVENT_READING, refusal);
                }
            });
            return;
        }
        switch (initialState) {
            case OPEN -> {
                handshaking = false;
                everConnected = true;
                handshakeStarted = true;
            }
            case CONNECTING, ACCEPTING -> {
                handshaking = true;
                try {
                    engine.setUseClientMode(initialState == SslState.CONNECTING);
                } catch (IllegalArgumentException alreadyStarted) {
                    // The caller began the handshake with its own mode; keep it.
                }
                if (transportReady) {
                    startHandshake();
                }
            }
            default -> throw new AssertionError(initialState);
        }
        updateUnderlyingReading();
    }

    private void startHandshake() {
        if (handshakeStarted) {
            return;
        }
        handshakeStarted = true;
        try {
            engine.beginHandshake();
        } catch (SSLException e) {
            tlsFailure(e, 0);
            return;
        }
        armHandshakeTimer();
        pump();
    }

    // ------------------------------------------------------------------ public API

    /** {@code bufferevent_openssl_get_ssl}: the engine. */
    public SSLEngine getEngine() {
        return engine;
    }

    /** The state this bufferevent was created in. */
    public SslState getInitialState() {
        return initialState;
    }

    /** True while a handshake (the first one or a later one) is in progress. */
    public boolean isHandshaking() {
        return handshaking;
    }

    /**
     * {@code bufferevent_get_openssl_error}: removes and returns the oldest queued TLS error, or
     * null when there is none.
     */
    public SslError getSslError() {
        checkLoopThread();
        return errors.pollFirst();
    }

    /** Every queued TLS error, oldest first, without removing them. */
    public List<SslError> getSslErrors() {
        checkLoopThread();
        return new ArrayList<>(errors);
    }

    /** {@code bufferevent_ssl_get_flags}. */
    public int getFlags() {
        return flags;
    }

    /** {@code bufferevent_ssl_set_flags}: adds flags; returns the new set. */
    public int setFlags(int f) {
        checkFlags(f);
        flags |= f;
        return flags;
    }

    /** {@code bufferevent_ssl_clear_flags}: removes flags; returns the new set. */
    public int clearFlags(int f) {
        checkFlags(f);
        flags &= ~f;
        return flags;
    }

    private static void checkFlags(int f) {
        if ((f & ~(DIRTY_SHUTDOWN | BATCH_WRITE)) != 0) {
            throw new IllegalArgumentException("unknown TLS flags 0x" + Integer.toHexString(f));
        }
    }

    /** {@code bufferevent_openssl_get_allow_dirty_shutdown}. */
    public boolean getAllowDirtyShutdown() {
        return (flags & DIRTY_SHUTDOWN) != 0;
    }

    /** {@code bufferevent_openssl_set_allow_dirty_shutdown}. */
    public void setAllowDirtyShutdown(boolean allow) {
        if (allow) {
            flags |= DIRTY_SHUTDOWN;
        } else {
            flags &= ~DIRTY_SHUTDOWN;
        }
    }

    /**
     * {@code bufferevent_ssl_renegotiate}: starts a new handshake from our side. On TLS 1.2 with
     * a provider that supports it (the JDK's) this is a renegotiation; on TLS 1.3 the JDK sends a
     * key update instead. Its completion raises CONNECTED again. Returns false, and changes
     * nothing, where the provider cannot (Conscrypt ignores a second {@code beginHandshake()}),
     * before the first handshake finished, or after a failure or shutdown.
     */
    public boolean renegotiate() {
        checkLoopThread();
        if (!provider.renegotiates || !everConnected || handshaking || failed || closing || isFreed()) {
            return false;
        }
        try {
            engine.beginHandshake();
        } catch (SSLException | IllegalStateException e) {
            recordError(SslError.of(e));
            return false;
        }
        localRenegotiation = true;
        handshaking = engine.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING;
        pump();
        return true;
    }

    /**
     * The secure disconnect: writes what the output holds, sends close_notify, then, with a
     * positive {@code waitForPeer}, waits at most that long for the peer's close_notify, and with
     * null or zero does not wait. The event callback then gets {@code EOF} (the peer answered,
     * or nobody waited), or {@code EOF|TIMEOUT} (the peer stayed silent, or without a wait the
     * close_notify could not even be flushed within {@link #SHUTDOWN_FLUSH_LIMIT}; an
     * {@link SslError} says so), and the transport is closed if it is ours (the socket variant, or a filter with
     * CLOSE_ON_FREE). Writing after this fails with {@link IllegalStateException}. Calling it
     * again does nothing.
     */
    public void shutdown(Duration waitForPeer) {
        checkLoopThread();
        checkNotFreed();
        if (closing) {
            return;
        }
        if (waitForPeer != null && waitForPeer.isNegative()) {
            throw new IllegalArgumentException("negative wait: " + waitForPeer);
        }
        closing = true;
        shutdownWait = waitForPeer == null || waitForPeer.isZero() ? null : waitForPeer;
        // Bounded in every case: without a wait for the peer, a transport that never takes
        // the close_notify (a peer that does not read) must not hold the shutdown forever.
        shutdownTimer = Event.timer(base, (ev, what) -> shutdownTimedOut());
        shutdownTimer.add(shutdownWait != null ? shutdownWait : SHUTDOWN_FLUSH_LIMIT);
        updateUnderlyingReading();
        pump();
        maybeFinishShutdown();
    }

    /** True once {@link #shutdown} was called. */
    public boolean isShuttingDown() {
        return closing;
    }

    /**
     * {@code bufferevent_socket_connect} for the socket variant: connects its channel; the
     * handshake of a CONNECTING bufferevent starts when the connection is made.
     *
     * @throws IllegalStateException for the filter variant (connect its underlying bufferevent)
     */
    public void connect(SocketAddress address) {
        checkLoopThread();
        if (!ownTransport) {
            throw new IllegalStateException("connect the underlying bufferevent of a TLS filter instead");
        }
        ((SocketBufferevent) underlying).connect(address);
        noDelay(getChannel());
    }

    /** The channel of the socket variant (null before connect); null for the filter variant. */
    public SocketChannel getChannel() {
        return ownTransport ? ((SocketBufferevent) underlying).getChannel() : null;
    }

    @Override
    public Bufferevent getUnderlying() {
        return ownTransport ? null : underlying;
    }

    // ------------------------------------------------------------------ writes after shutdown

    @Override
    public void write(byte[] data, int off, int len) {
        refuseIfClosing();
        super.write(data, off, len);
    }

    @Override
    public void write(ByteBuffer src) {
        refuseIfClosing();
        super.write(src);
    }

    @Override
    public void writeBuffer(EvBuffer src) {
        refuseIfClosing();
        super.writeBuffer(src);
    }

    private void refuseIfClosing() {
        if (closing && base.isInLoopThread()) {
            throw new IllegalStateException("the TLS bufferevent is shut down: no more writes");
        }
    }

    // ------------------------------------------------------------------ the pump

    /** Moves bytes both ways until neither direction makes progress. Never nested. */
    private void pump() {
        if (pumping) {
            pumpAgain = true;
            return;
        }
        if (isFreed()) {
            return;
        }
        pumping = true;
        boolean delivered = false;
        try {
            do {
                pumpAgain = false;
                boolean progress;
                do {
                    if (failed || isFreed() || taskRunning) {
                        return;
                    }
                    long before = input.getLength();
                    progress = unwrapAvailable();
                    delivered |= input.getLength() > before;
                    if (failed || isFreed()) {
                        return;
                    }
                    progress |= wrapPending();
                } while (progress);
            } while (pumpAgain);
        } finally {
            pumping = false;
            if (!isFreed()) {
                afterPump(delivered);
            }
        }
    }

    /**
     * Delivers what a pump produced. A read callback that drains the input may resume reading
     * and so pump again; that nested pump only asks for another round here ({@code readAgain})
     * instead of calling the user inside the user, so the stack stays flat however much data
     * waits (the same shape as FilterBufferevent's input loop).
     */
    private void afterPump(boolean delivered) {
        if (delivered) {
            if (deliveringRead) {
                readAgain = true;
            } else {
                deliveringRead = true;
                try {
                    boolean again = true;
                    while (again && !isFreed()) {
                        readAgain = false;
                        readProgress();
                        if (input.getLength() >= wmReadLow) {
                            runReadcb(0);
                        }
                        again = readAgain;
                    }
                } finally {
                    deliveringRead = false;
                }
            }
        }
        if (eofPending && !isFreed()) {
            eofPending = false;
            reportEof(BEV_EVENT_READING | BEV_EVENT_EOF);
        }
        if (!isFreed()) {
            maybeFinishShutdown();
        }
    }

    /** Unwraps every complete record the transport holds; true if anything moved. */
    private boolean unwrapAvailable() {
        EvBuffer src = underlying.getInput();
        boolean progress = false;
        while (!engine.isInboundDone()) {
            if (!handshaking && !readingActive() && !closing) {
                break; // the user does not want data now; it stays in the transport's input
            }
            if (readRoom() == 0) {
                break; // over the read high watermark: the transport pauses (updateUnderlyingReading)
            }
            long available = src.getLength();
            int need = -1;
            if (available >= TlsRecordHeader.LENGTH) {
                src.copyout(header);
                try {
                    need = TlsRecordHeader.recordLength(header);
                } catch (SSLException e) {
                    tlsFailure(e, BEV_EVENT_READING);
                    return true;
                }
            }
            int recordLength;
            if (need > 0 && available >= need) {
                recordLength = need;
            } else if (heldPlaintext) {
                recordLength = 0; // only what the engine still holds
            } else {
                break;
            }
            SSLEngineResult r;
            try {
                r = io.unwrap(engine, src, recordLength, input);
            } catch (SSLException | RuntimeException e) {
                tlsFailure(e, BEV_EVENT_READING);
                return true;
            }
            boolean moved = r.bytesConsumed() > 0 || r.bytesProduced() > 0;
            progress |= moved;
            heldPlaintext = r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW
                    || (recordLength == 0 && r.bytesProduced() > 0)
                    || io.lastUnwrapFilledRoom();
            handshakeStatus(r.getHandshakeStatus());
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                peerSentCloseNotify();
                return true;
            }
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW && recordLength > 0) {
                break; // the engine wants more than one record: wait for more bytes
            }
            if (!moved && r.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW) {
                // Nothing taken, nothing given: the engine wants something else first (a wrap,
                // a task) or holds no more plaintext. The pump's outer loop comes back.
                heldPlaintext = false;
                break;
            }
            if (failed || isFreed() || taskRunning) {
                return true;
            }
            if (r.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                break; // answer first: the peer may be waiting for our flight
            }
        }
        return progress;
    }

    /** Wraps what the handshake or the output needs; true if anything moved. */
    private boolean wrapPending() {
        boolean progress = false;
        while (true) {
            if (failed || isFreed() || taskRunning || underlying.isFreed()) {
                return progress;
            }
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                runDelegatedTasks();
                return progress;
            }
            // Conscrypt does not report NEED_WRAP after closeOutbound(): a queued close_notify is
            // wrapped until the engine says the outbound side is done.
            boolean handshakeWrap = hs == HandshakeStatus.NEED_WRAP || (closeNotifyQueued && !engine.isOutboundDone());
            boolean data = !handshaking && writingActive() && output.getLength() > 0 && !engine.isOutboundDone();
            if (closing && !closeNotifyQueued && output.getLength() == 0 && !handshakeWrap) {
                engine.closeOutbound();
                closeNotifyQueued = true;
                handshakeWrap = engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP || !engine.isOutboundDone();
            }
            if (!handshakeWrap && !data) {
                return progress;
            }
            if (!handshakeWrap && transportFull()) {
                return progress; // resumes when the transport drains (underlyingDrained)
            }
            SSLEngineResult r;
            try {
                r = io.wrap(engine, data ? output : null, underlying.getOutput());
            } catch (SSLException | RuntimeException e) {
                tlsFailure(e, BEV_EVENT_WRITING);
                return true;
            }
            if (r.bytesConsumed() > 0) {
                output.drain(r.bytesConsumed());
                writeProgress();
            }
            boolean moved = r.bytesConsumed() > 0 || r.bytesProduced() > 0;
            progress |= moved;
            handshakeStatus(r.getHandshakeStatus());
            if (r.getStatus() == SSLEngineResult.Status.CLOSED && r.bytesProduced() == 0) {
                return progress;
            }
            if (!moved && r.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                return progress;
            }
        }
    }

    /**
     * True if the transport's output is at or over its write high watermark, or, when it has
     * none, over {@link #TRANSPORT_WRITE_BOUND}.
     */
    private boolean transportFull() {
        long high = writeHighWatermarkOf(underlying);
        return underlying.getOutput().getLength() >= (high > 0 ? high : TRANSPORT_WRITE_BOUND);
    }

    private void handshakeStatus(HandshakeStatus hs) {
        switch (hs) {
            case FINISHED -> handshakeFinished();
            case NEED_TASK -> runDelegatedTasks();
            case NEED_WRAP, NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                if (!handshaking && everConnected) {
                    // The peer started a new handshake (renegotiation): keep data back meanwhile.
                    handshaking = true;
                }
            }
            default -> {
            }
        }
    }

    private void handshakeFinished() {
        boolean first = !everConnected;
        handshaking = false;
        everConnected = true;
        if (handshakeTimer != null) {
            handshakeTimer.del();
        }
        updateUnderlyingReading();
        if (timeoutsHeld) {
            timeoutsHeld = false;
            super.setTimeouts(heldReadTimeout, heldWriteTimeout);
        }
        if (first || localRenegotiation) {
            localRenegotiation = false;
            runEventcb(BEV_EVENT_CONNECTED, 0);
        }
        pumpAgain = true; // data held during the handshake can go now
    }

    private void runDelegatedTasks() {
        List<Runnable> tasks = new ArrayList<>();
        Runnable t;
        while ((t = engine.getDelegatedTask()) != null) {
            tasks.add(t);
        }
        if (tasks.isEmpty()) {
            return;
        }
        taskRunning = true;
        // Nothing else may keep the loop alive while the task runs elsewhere (a pair has no
        // I/O events): a far timer does, as libevent's virtual events do.
        if (taskKeepAlive == null) {
            taskKeepAlive = Event.timer(base, (ev, what) -> { });
        }
        taskKeepAlive.add(Duration.ofDays(1));
        TASKS.execute(() -> {
            for (Runnable task : tasks) {
                task.run();
            }
            try {
                base.execute(() -> {
                    taskKeepAlive.del();
                    taskRunning = false;
                    handshakeStatus(engine.getHandshakeStatus());
                    pump();
                });
            } catch (IllegalStateException baseGone) {
                // The event base was freed meanwhile; nobody is waiting for this handshake.
            }
        });
    }

    // ------------------------------------------------------------------ transport events

    private void underlyingDrained() {
        pump();
        if (isFreed()) {
            return;
        }
        if (output.getLength() <= wmWriteLow && underlying.getOutput().getLength() == 0 && everConnected && !closing) {
            runWritecb(0);
        }
        maybeFinishShutdown();
    }

    private void underlyingEvent(Bufferevent ub, int what) {
        if ((what & BEV_EVENT_CONNECTED) != 0) {
            if (handshaking && !handshakeStarted) {
                startHandshake();
            }
            what &= ~BEV_EVENT_CONNECTED;
            if (what == 0) {
                return;
            }
        }
        if ((what & BEV_EVENT_EOF) != 0) {
            transportEof();
            return;
        }
        if ((what & BEV_EVENT_ERROR) != 0 && peerClosed && eofReported) {
            // The peer closed cleanly and EOF was reported; that its socket then refused our
            // answering close_notify (it had gone already: EPIPE, reset) is no news.
            return;
        }
        if ((what & BEV_EVENT_ERROR) != 0) {
            Throwable cause = ub.getLastError();
            setLastError(cause);
            if (cause != null) {
                recordError(new SslError(cause, null, false));
            }
            failed = true;
            cancelTimers();
        }
        runEventcb(what, 0);
    }

    /** The transport reached end of stream: clean, dirty or truncated, by our own state. */
    private void transportEof() {
        pump(); // records still buffered, possibly the close_notify itself
        if (isFreed()) {
            return;
        }
        if (peerClosed) {
            reportEof(BEV_EVENT_READING | BEV_EVENT_EOF);
            return;
        }
        try {
            engine.closeInbound();
        } catch (SSLException expected) {
            // The JDK complains of the missing close_notify; we decide that ourselves below.
        }
        if (handshaking && !everConnected) {
            failWith(new SSLException("the connection closed during the TLS handshake"), BEV_EVENT_READING);
        } else if (closing && shutdownDone) {
            return;
        } else if ((flags & DIRTY_SHUTDOWN) != 0) {
            reportEof(BEV_EVENT_READING | BEV_EVENT_EOF);
        } else {
            failWith(new SSLException("the connection closed without close_notify (truncation)"),
                    BEV_EVENT_READING);
        }
    }

    private void peerSentCloseNotify() {
        peerClosed = true;
        // Answer with ours (the engine may already have queued it: the wrap then sends it).
        if (!engine.isOutboundDone()) {
            engine.closeOutbound();
            closeNotifyQueued = true;
        }
        pumpAgain = true;
        if (closing) {
            return; // maybeFinishShutdown reports, once our close_notify is out
        }
        // Reported after this pump, once our answer is wrapped into the transport: a callback
        // that frees us on EOF (the usual thing to do) then still lets it leave (see onFree).
        eofPending = true;
    }

    private void reportEof(int what) {
        if (eofReported) {
            return;
        }
        eofReported = true;
        cancelTimers();
        runEventcb(what, 0);
    }

    // ------------------------------------------------------------------ shutdown

    private void maybeFinishShutdown() {
        if (!closing || shutdownDone || isFreed() || !closeNotifyQueued) {
            return;
        }
        if (!engine.isOutboundDone() || underlying.getOutput().getLength() > 0) {
            return; // close_notify not yet out of the transport
        }
        if (shutdownWait != null && !peerClosed && !failed) {
            return; // waiting for the peer's close_notify; the timer bounds it
        }
        finishShutdown(false);
    }

    private void shutdownTimedOut() {
        if (shutdownDone || isFreed()) {
            return;
        }
        String why = shutdownWait == null || peerClosed
                ? "our close_notify could not be flushed to the transport within " + SHUTDOWN_FLUSH_LIMIT
                : "the peer did not answer close_notify within " + shutdownWait;
        recordError(new SslError(new SSLException(why), null, false));
        finishShutdown(true);
    }

    private void finishShutdown(boolean timedOut) {
        shutdownDone = true;
        cancelTimers();
        closeTransport();
        eofReported = true;
        runEventcb(BEV_EVENT_EOF | (timedOut ? BEV_EVENT_TIMEOUT : 0), 0);
    }

    /** Closes the transport if it is ours to close. */
    private void closeTransport() {
        if (underlying.isFreed()) {
            return;
        }
        if (ownTransport || (getOptions() & BEV_OPT_CLOSE_ON_FREE) != 0) {
            underlying.free();
        } else {
            underlying.disable(EV_READ);
        }
    }

    @Override
    protected int onFlush(int iotype, FlushMode mode) {
        if ((iotype & EV_WRITE) != 0 && mode == FlushMode.FINISHED) {
            shutdown(null);
            return 1;
        }
        long before = underlying.getOutput().getLength();
        pump();
        return underlying.getOutput().getLength() > before ? 1 : 0;
    }

    // ------------------------------------------------------------------ failures and timers

    private void tlsFailure(Throwable e, int direction) {
        recordError(SslError.of(e));
        stop(direction, e);
    }

    private void failWith(SSLException e, int direction) {
        recordError(new SslError(e, null, false));
        stop(direction, e);
    }

    /** Flushes any alert the engine wants to send, stops the pump, reports ERROR once. */
    private void stop(int direction, Throwable e) {
        if (failed) {
            return;
        }
        failed = true;
        cancelTimers();
        flushAlert();
        updateUnderlyingReading();
        fail(direction, e);
    }

    /**
     * After a failure the engine may hold an alert for the peer: send it if it can be had. The
     * first wrap is made whatever the handshake status says: Conscrypt holds its alert (a
     * certificate it rejected, a bad record) without reporting NEED_WRAP, and without the alert
     * a peer on a transport nobody closes would wait forever.
     */
    private void flushAlert() {
        for (int i = 0; i < 4 && !underlying.isFreed(); i++) {
            if (i > 0 && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                break;
            }
            SSLEngineResult r;
            try {
                r = io.wrap(engine, null, underlying.getOutput());
            } catch (SSLException | RuntimeException ignored) {
                return; // the alert is a courtesy; the failure itself is already recorded
            }
            if (r.bytesProduced() == 0) {
                break;
            }
        }
    }

    private void recordError(SslError e) {
        if (errors.size() == MAX_ERRORS) {
            errors.pollFirst();
        }
        errors.addLast(e);
    }

    private void armHandshakeTimer() {
        Duration t = getReadTimeout() != null ? getReadTimeout() : getWriteTimeout();
        if (t == null) {
            return;
        }
        handshakeBound = t;
        if (handshakeTimer == null) {
            handshakeTimer = Event.timer(base, (ev, what) -> {
                if (handshaking && !failed && !isFreed()) {
                    recordError(new SslError(new SSLException("TLS handshake timed out after " + handshakeBound),
                            null, false));
                    failed = true;
                    updateUnderlyingReading();
                    runEventcb(BEV_EVENT_TIMEOUT, 0);
                }
            });
        }
        handshakeTimer.add(t);
    }

    /**
     * {@code bufferevent_set_timeouts}. Until the first handshake completes the two timeouts do
     * not run per direction: the read timeout (else the write timeout) bounds the connect (socket
     * variant) and the handshake as a whole and its expiry is one bare {@code TIMEOUT} event, as
     * libevent's socket variant reports it (never also READING|TIMEOUT and WRITING|TIMEOUT).
     * Once connected they are the ordinary per-direction timeouts.
     */
    @Override
    public void setTimeouts(Duration read, Duration write) {
        if (!everConnected && !failed) {
            checkLoopThread();
            checkNotFreed();
            if ((read != null && read.isNegative()) || (write != null && write.isNegative())) {
                throw new IllegalArgumentException("negative timeout");
            }
            heldReadTimeout = read == null || read.isZero() ? null : read;
            heldWriteTimeout = write == null || write.isZero() ? null : write;
            timeoutsHeld = true;
            super.setTimeouts(null, null);
            if (handshakeTimer != null) {
                handshakeTimer.del();
            }
            if (handshaking) {
                // Also while the socket variant still connects: the bound covers connect and
                // handshake (it restarts when the handshake itself starts).
                armHandshakeTimer();
            }
            return;
        }
        super.setTimeouts(read, write);
    }

    @Override
    public Duration getReadTimeout() {
        return timeoutsHeld ? heldReadTimeout : super.getReadTimeout();
    }

    @Override
    public Duration getWriteTimeout() {
        return timeoutsHeld ? heldWriteTimeout : super.getWriteTimeout();
    }

    private void cancelTimers() {
        if (taskKeepAlive != null) {
            taskKeepAlive.del();
        }
        if (handshakeTimer != null) {
            handshakeTimer.del();
        }
        if (shutdownTimer != null) {
            shutdownTimer.del();
        }
    }

    // ------------------------------------------------------------------ transport control

    /** The transport reads while a handshake, a shutdown or the user needs it, and we have room. */
    private void updateUnderlyingReading() {
        if (underlying.isFreed()) {
            return;
        }
        boolean want = !failed && !isFreed() && readRoom() != 0
                && (handshaking || (closing && shutdownWait != null) || readingActive());
        if (want) {
            unsuspendReadOf(underlying, SUSPEND_FILT_READ);
        } else {
            suspendReadOf(underlying, SUSPEND_FILT_READ);
        }
    }

    @Override
    protected void startReading() {
        updateUnderlyingReading();
        pump();
    }

    @Override
    protected void stopReading() {
        updateUnderlyingReading();
    }

    @Override
    protected void startWriting() {
        pump();
    }

    @Override
    protected void stopWriting() {
        // Plaintext stays in the output until writing is enabled again.
    }

    @Override
    protected boolean hasPendingOutput() {
        return output.getLength() > 0 || (!underlying.isFreed() && underlying.getOutput().getLength() > 0);
    }

    /**
     * Releases the engine's native state now rather than at garbage collection: both directions
     * closed, and the close_notify that closing queues wrapped once and dropped (a free sends
     * none, as in libevent). Conscrypt lets go of its SSL object and its pipe only after that
     * wrap; without it a server churning through handshakes held two descriptors per closed
     * connection until the next GC (19,986 pipes seen in a 10 s load run).
     */
    private void releaseEngine() {
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (SSLException ignored) {
            // Closing without the peer's close_notify: expected when freeing a live connection.
        }
        if (engine.isOutboundDone()) {
            return;
        }
        EvBuffer discard = new EvBuffer();
        try {
            io.wrap(engine, null, discard);
        } catch (SSLException | RuntimeException ignored) {
            // The engine is being dropped; whatever it wanted to say goes nowhere.
        } finally {
            discard.free();
        }
    }

    @Override
    protected void onFree() {
        cancelTimers();
        releaseEngine();
        if (underlying.isFreed()) {
            return;
        }
        if (ownTransport || (getOptions() & BEV_OPT_CLOSE_ON_FREE) != 0) {
            // Ciphertext still waiting in the transport (typically our answer to the peer's
            // close_notify) gets one immediate write before the transport closes.
            if (underlying.getOutput().getLength() > 0) {
                underlying.flush(EV_WRITE, FlushMode.FLUSH);
            }
            if (!underlying.isFreed()) {
                underlying.free();
            }
        } else {
            underlying.setCallbacks(null, null, null);
            unsuspendReadOf(underlying, SUSPEND_FILT_READ);
        }
    }

    @Override
    public String toString() {
        return "SslBufferevent[" + (ownTransport ? "socket" : "filter") + ", " + initialState
                + (handshaking ? ", handshaking" : "") + (closing ? ", closing" : "") + (failed ? ", failed" : "")
                + ", in=" + input.getLength() + ", out=" + output.getLength() + "]";
    }
}
