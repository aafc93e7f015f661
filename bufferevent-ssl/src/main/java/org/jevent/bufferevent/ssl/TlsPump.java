package org.jevent.bufferevent.ssl;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.jevent.bufferevent.Bufferevent;
import org.jevent.eventbase.Event;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SSLEngine pump of one {@link SslBufferevent}: unwraps the ciphertext the transport read
 * into the plaintext input, wraps the plaintext output into the transport's output, and answers
 * whatever the engine asks for (NEED_WRAP, NEED_UNWRAP, NEED_TASK) whenever it asks, not only
 * during the first handshake. The pump decides how bytes move; the session decides whether they
 * may (its phase, the enabled directions, the watermarks, a shutdown).
 *
 * <p>Invariant: {@link #run()} never runs inside itself; a call made during a run (from a user
 * callback, a buffer callback, a write) only sets {@code AGAIN} and the running pump goes round
 * once more. Nothing moves unless {@link #canPump()}: the session is live (not failed, not
 * freed) and no delegated task holds the engine. Its own state is one int of named bits.
 *
 * <p>Bounds: plaintext is wrapped only while the transport's output is under
 * {@link SslBufferevent#transportWriteLimit()}, so data stops at most one record beyond it. The
 * handshake records written once the first handshake is done (a renegotiation's flights, a key
 * update and its answer) may go {@link #HANDSHAKE_ALLOWANCE} beyond the limit and wait beyond
 * that: while one waits ({@code WRAP_BLOCKED}) nothing more is unwrapped and the transport is not
 * read, so a peer that keeps asking and never reads meets back-pressure instead of growing our
 * memory (the transport's output stays under limit + allowance). The allowance is what lets an
 * honest handshake record overtake the data that filled the transport: a relay that pauses
 * reading while its output is full, facing an end that stops reading while its handshake record
 * waits, would otherwise wait with it for ever. The first handshake's flights and our
 * close_notify are written whatever the transport holds: each comes once per session.
 */
final class TlsPump {
    /** Every record unwrapped or wrapped, at TRACE. */
    private static final Logger LOG = LoggerFactory.getLogger(TlsPump.class);

    /** Delegated tasks (JDK) run here, off the loop thread, so that other connections go on. */
    private static final ExecutorService TASKS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jevent-tls-task");
        t.setDaemon(true);
        return t;
    });

    /** Named bit: a run is in progress. */
    private static final int RUNNING = 0x01;
    /** Named bit: something asked for a run during this one: go round again. */
    private static final int AGAIN = 0x02;
    /** Named bit: the engine may hold plaintext of a record it already consumed (Conscrypt after BUFFER_OVERFLOW). */
    private static final int HELD_PLAINTEXT = 0x04;
    /** Named bit: a delegated task runs off the loop thread; nothing moves until it is back. */
    private static final int TASK_RUNNING = 0x08;
    /**
     * Named bit: a handshake record the peer asked for waits until the transport's output falls
     * under its bound; meanwhile nothing is unwrapped and the transport is not read.
     */
    private static final int WRAP_BLOCKED = 0x10;
    /**
     * Named bit: delegated tasks came back and no engine call has succeeded since. A task
     * consumes handshake messages the peer sent (the JDK's certificate check runs in one), and
     * the engine throws what it found from its next call, often a wrap: a failure thrown now was
     * found while reading the peer's flight, a READING failure whichever call throws it.
     */
    private static final int TASK_VERDICT_DUE = 0x20;

    /**
     * How far beyond the transport's bound the handshake records after the first handshake may
     * go: one full record (the most that data can already stand beyond the bound) plus 16 KiB,
     * room for a renegotiation's flight or hundreds of key update answers.
     */
    static final int HANDSHAKE_ALLOWANCE = TlsRecordHeader.LENGTH + TlsRecordHeader.MAX_FRAGMENT + 16 * 1024;

    /** Where {@link #releaseEngine()} lets a Conscrypt engine drop what closing queued (a close_notify: tens of bytes). */
    private static final int RELEASE_SCRATCH_BYTES = 1024;
    private static final ThreadLocal<ByteBuffer> RELEASE_SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(RELEASE_SCRATCH_BYTES));
    private static final ByteBuffer NO_PLAINTEXT = ByteBuffer.allocate(0);

    private final SslBufferevent session;
    private final SessionState state;
    private final SecureClose close;
    private final TlsFailure failure;
    private final PeerHandshakeGuard peer;
    private final EventBase base;
    private final SSLEngine engine;
    /** How {@link #releaseEngine()} lets go of the engine's native state. */
    private final SslProvider.NativeRelease nativeRelease;
    /** The engine never reports FINISHED for a handshake after the first ({@link SslProvider#silentLaterHandshakes}). */
    private final boolean silentLaterHandshakes;
    private final EngineIo io;
    private final Bufferevent transport;
    /** The session's input and output, and the transport's: fixed for the bufferevents' lives. */
    private final EvBuffer plainIn;
    private final EvBuffer plainOut;
    private final EvBuffer cipherIn;
    private final EvBuffer cipherOut;
    private final byte[] header = new byte[TlsRecordHeader.LENGTH];
    private int bits;
    private Event taskKeepAlive;

    TlsPump(SslBufferevent session, SessionState state, SecureClose close, TlsFailure failure,
            PeerHandshakeGuard peer, SSLEngine engine, SslProvider provider, Bufferevent transport) {
        this.session = session;
        this.state = state;
        this.close = close;
        this.failure = failure;
        this.peer = peer;
        this.base = session.getBase();
        this.engine = engine;
        this.nativeRelease = provider.nativeRelease;
        this.silentLaterHandshakes = provider.silentLaterHandshakes;
        this.io = EngineIo.forProvider(provider);
        this.transport = transport;
        this.plainIn = session.getInput();
        this.plainOut = session.getOutput();
        this.cipherIn = transport.getInput();
        this.cipherOut = transport.getOutput();
    }

    /** The one guard: nothing moves after a failure or free, nor while a delegated task holds the engine. */
    boolean canPump() {
        return !state.failed() && !session.isFreed() && (bits & TASK_RUNNING) == 0;
    }

    /** True while a handshake record the peer asked for waits for the transport to drain: the transport is not read. */
    boolean waitsForTransportDrain() {
        return (bits & WRAP_BLOCKED) != 0;
    }

    /** Asks a running pump for one more round (data held during a handshake may go now). */
    void again() {
        bits |= AGAIN;
    }

    /**
     * Moves bytes both ways until neither direction makes progress, then lets the session
     * deliver what arrived ({@link SslBufferevent#pumped}). Nested calls only ask for another
     * round.
     */
    void run() {
        if ((bits & RUNNING) != 0) {
            bits |= AGAIN;
            return;
        }
        if (session.isFreed()) {
            return;
        }
        bits |= RUNNING;
        boolean delivered = false;
        try {
            do {
                bits &= ~AGAIN;
                boolean progress;
                do {
                    if (!canPump()) {
                        return;
                    }
                    long before = plainIn.getLength();
                    progress = unwrapAvailable();
                    delivered |= plainIn.getLength() > before;
                    if (!canPump()) {
                        return;
                    }
                    progress |= wrapPending();
                } while (progress);
            } while ((bits & AGAIN) != 0);
        } finally {
            bits &= ~RUNNING;
            if (!session.isFreed()) {
                session.pumped(delivered);
            }
        }
    }

    /** Unwraps every complete record the transport holds; true if anything moved. */
    private boolean unwrapAvailable() {
        if ((bits & WRAP_BLOCKED) != 0) {
            return false; // our answer to the peer's last request goes first (see the class comment)
        }
        boolean progress = false;
        while (!engine.isInboundDone()) {
            if (!state.handshaking() && !close.isShuttingDown() && !session.userReads()) {
                break; // the user does not want data now; it stays in the transport's input
            }
            if (session.plaintextRoom() == 0) {
                break; // over the read high watermark: the transport pauses until the user drains
            }
            long available = cipherIn.getLength();
            int need = -1;
            if (available >= TlsRecordHeader.LENGTH) {
                cipherIn.copyout(header);
                try {
                    need = TlsRecordHeader.recordLength(header);
                } catch (SSLException e) {
                    failure.engineFailed(e, Bufferevent.BEV_EVENT_READING, false);
                    return true;
                }
            }
            int recordLength;
            if (need > 0 && available >= need) {
                recordLength = need;
                if (header[0] == TlsRecordHeader.CONTENT_HANDSHAKE && state.isOpen()) {
                    peer.handshakeRecord(); // TLS 1.2: the peer asks for a renegotiation
                    if (!canPump()) {
                        return true;
                    }
                }
            } else if ((bits & HELD_PLAINTEXT) != 0) {
                recordLength = 0; // only what the engine still holds
            } else {
                break;
            }
            SSLEngineResult r;
            try {
                r = io.unwrap(engine, cipherIn, recordLength, plainIn);
            } catch (SSLException | RuntimeException e) {
                // The header of the record that failed says whether the peer sent an alert (in
                // the clear: TLS 1.2, or before TLS 1.3's handshake keys).
                failure.engineFailed(e, Bufferevent.BEV_EVENT_READING,
                        recordLength > 0 && header[0] == TlsRecordHeader.CONTENT_ALERT);
                return true;
            }
            bits &= ~TASK_VERDICT_DUE;
            if (LOG.isTraceEnabled()) {
                LOG.trace("{}: unwrap of a {} byte record: {} consumed, {} plaintext bytes, {} {}", session.name(),
                        recordLength, r.bytesConsumed(), r.bytesProduced(), r.getStatus(), r.getHandshakeStatus());
            }
            session.plaintextRead(r.bytesProduced());
            boolean moved = r.bytesConsumed() > 0 || r.bytesProduced() > 0;
            progress |= moved;
            boolean held = r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW
                    || (recordLength == 0 && r.bytesProduced() > 0)
                    || io.lastUnwrapFilledRoom();
            bits = held ? bits | HELD_PLAINTEXT : bits & ~HELD_PLAINTEXT;
            handshakeStatus(r.getHandshakeStatus());
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                close.peerSentCloseNotify(); // answered, and reported as the close says
                again();
                return true;
            }
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW && recordLength > 0) {
                break; // the engine wants more than one record: wait for more bytes
            }
            if (!moved && r.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW) {
                // Nothing taken, nothing given: the engine wants something else first (a wrap,
                // a task) or holds no more plaintext. The outer loop of run() comes back.
                bits &= ~HELD_PLAINTEXT;
                break;
            }
            if (!canPump()) {
                return true;
            }
            if (r.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                break; // answer first: the peer may be waiting for our flight
            }
        }
        return progress;
    }

    /** Wraps what the handshake, a close_notify or the output needs; true if anything moved. */
    private boolean wrapPending() {
        boolean progress = false;
        while (true) {
            if (!canPump() || transport.isFreed()) {
                return progress;
            }
            HandshakeStatus hs = io.handshakeStatus(engine);
            if (hs == HandshakeStatus.NEED_TASK) {
                runDelegatedTasks();
                return progress;
            }
            // Conscrypt does not report NEED_WRAP after closeOutbound(): a queued close_notify is
            // wrapped until the engine says the outbound side is done.
            boolean handshakeWrap = hs == HandshakeStatus.NEED_WRAP
                    || (close.oursQueued() && !engine.isOutboundDone());
            boolean data = state.isOpen() && session.userWrites() && plainOut.getLength() > 0
                    && !engine.isOutboundDone();
            if (!handshakeWrap && plainOut.getLength() == 0 && close.queueOursIfShuttingDown()) {
                handshakeWrap = engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP || !engine.isOutboundDone();
            }
            if (!handshakeWrap) {
                unblockHandshakeWrap(); // nothing of the handshake waits any more
                if (!data) {
                    return progress;
                }
            }
            if (handshakeWrap ? boundsHandshakeWrap() && transportFull(HANDSHAKE_ALLOWANCE) : transportFull(0)) {
                if (handshakeWrap) {
                    blockHandshakeWrap();
                }
                return progress; // resumes when the transport drains
            }
            unblockHandshakeWrap();
            SSLEngineResult r;
            try {
                r = io.wrap(engine, data ? plainOut : null, cipherOut);
            } catch (SSLException | RuntimeException e) {
                boolean foundReading = io.failureFoundByUnwrap() || (bits & TASK_VERDICT_DUE) != 0;
                failure.engineFailed(e, foundReading ? Bufferevent.BEV_EVENT_READING : Bufferevent.BEV_EVENT_WRITING,
                        false);
                return true;
            }
            bits &= ~TASK_VERDICT_DUE;
            if (LOG.isTraceEnabled()) {
                LOG.trace("{}: wrap{}: {} plaintext bytes into {}, {} {}", session.name(), data ? "" : " (no data)",
                        r.bytesConsumed(), r.bytesProduced(), r.getStatus(), r.getHandshakeStatus());
            }
            if (r.bytesConsumed() > 0) {
                plainOut.drain(r.bytesConsumed());
                session.plaintextWritten(r.bytesConsumed());
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
     * none, over {@link SslBufferevent#TRANSPORT_WRITE_BOUND}; plus {@code allowance}.
     */
    private boolean transportFull(int allowance) {
        return cipherOut.getLength() >= session.transportWriteLimit() + allowance;
    }

    /**
     * Whether a handshake wrap waits for room like data: every one the peer can ask for again
     * and again, that is every one after the first handshake but our close_notify.
     */
    private boolean boundsHandshakeWrap() {
        return state.connectedOnce() && !close.oursQueued();
    }

    private void blockHandshakeWrap() {
        if ((bits & WRAP_BLOCKED) == 0) {
            bits |= WRAP_BLOCKED;
            session.transportReadingChanged();
        }
    }

    private void unblockHandshakeWrap() {
        if ((bits & WRAP_BLOCKED) != 0) {
            bits &= ~WRAP_BLOCKED;
            session.transportReadingChanged();
        }
    }

    private void handshakeStatus(HandshakeStatus hs) {
        switch (hs) {
            case FINISHED -> session.handshakeFinished();
            case NEED_TASK -> runDelegatedTasks();
            case NEED_WRAP, NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                // After OPEN: the peer renegotiates (not the answer a close_notify asks for).
                if (state.handshakeRunning() && !engine.isInboundDone() && !engine.isOutboundDone()) {
                    peer.handshakeStarted();
                }
            }
            case NOT_HANDSHAKING -> {
                // An engine that never says FINISHED for a later handshake: done once BoringSSL says so.
                if (silentLaterHandshakes && state.connectedOnce() && state.handshaking()
                        && !TcnativeEngines.inHandshake(engine)) {
                    session.handshakeFinished();
                }
            }
            default -> {
            }
        }
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
        bits |= TASK_RUNNING;
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
                    bits = (bits & ~TASK_RUNNING) | TASK_VERDICT_DUE;
                    handshakeStatus(engine.getHandshakeStatus());
                    run();
                });
            } catch (IllegalStateException baseGone) {
                // The event base was freed meanwhile; nobody is waiting for this handshake.
            }
        });
    }

    /** Stops keeping the loop alive for a delegated task (the session ended; the task's return changes nothing). */
    void dropTaskKeepAlive() {
        if (taskKeepAlive != null) {
            taskKeepAlive.del();
        }
    }

    /**
     * After a failure the engine may hold an alert for the peer: send it if it can be had. The
     * first wrap is made whatever the handshake status says: Conscrypt holds its alert (a
     * certificate it rejected, a bad record) without reporting NEED_WRAP, and without the alert
     * a peer on a transport nobody closes would wait forever. Returns true if an alert was
     * produced for the transport.
     */
    boolean flushAlert() {
        boolean produced = io.wroteAlertBeforeFailing();
        for (int i = 0; i < 4 && !transport.isFreed(); i++) {
            if (i > 0 && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                break;
            }
            SSLEngineResult r;
            try {
                r = io.wrap(engine, null, cipherOut);
            } catch (SSLException | RuntimeException ignored) {
                return produced; // the alert is a courtesy; the failure itself is already recorded
            }
            if (r.bytesProduced() == 0) {
                break;
            }
            produced = true;
        }
        return produced;
    }

    /**
     * Releases the engine's native state now rather than at garbage collection, the provider's
     * way ({@link SslProvider.NativeRelease}). The JDK's engine holds nothing outside the heap: it
     * is only told that nothing more will be written (its {@code closeInbound} without the peer's
     * close_notify would throw, with a stack trace, for nothing).
     */
    void releaseEngine() {
        switch (nativeRelease) {
            case NONE -> engine.closeOutbound();
            case CLOSE_BOTH_WAYS -> closeBothWays();
            case DESTROY -> TcnativeEngines.destroy(engine);
        }
    }

    /**
     * Conscrypt lets go of its SSL object and its pipe (two descriptors) only once both
     * directions are closed and the close_notify that closing queued has been taken out by a
     * wrap; without that wrap a server churning through handshakes held two descriptors per
     * closed connection until the next GC (19,986 pipes seen in a 10 s load run). The
     * close_notify is dropped (a free sends none, as in libevent): it goes into a small buffer of
     * the loop thread, not through the transport nor a buffer made for it.
     */
    private void closeBothWays() {
        engine.closeOutbound();
        try {
            engine.closeInbound();
        } catch (SSLException ignored) {
            // Conscrypt does not complain of a missing close_notify; nothing to do either way.
        }
        if (engine.isOutboundDone()) {
            return; // nothing was queued: released already
        }
        ByteBuffer scratch = RELEASE_SCRATCH.get();
        scratch.clear();
        try {
            if (engine.wrap(NO_PLAINTEXT, scratch).getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW) {
                return;
            }
            // More than a close_notify was queued: take it all out through a buffer of its size.
            EvBuffer discard = new EvBuffer();
            try {
                io.wrap(engine, null, discard);
            } finally {
                discard.free();
            }
        } catch (SSLException | RuntimeException ignored) {
            // The engine is being dropped; whatever it wanted to say goes nowhere.
        }
    }
}
