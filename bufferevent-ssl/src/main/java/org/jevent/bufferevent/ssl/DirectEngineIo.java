package org.jevent.bufferevent.ssl;

import java.nio.ByteBuffer;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.jevent.evbuffer.EvBuffer;

/**
 * The zero-copy path, for engines that read and write direct memory without staging it
 * (Conscrypt, netty-tcnative): a record is unwrapped where it lies in the transport's input (made
 * contiguous only when it spans segments), plaintext is decrypted straight into space reserved in
 * the bufferevent's input, and a wrap gathers the output's segments and encrypts into space
 * reserved in the transport's output.
 *
 * <p>Small pieces of a gathering source are copied into one buffer of the thread first (used only
 * within one wrap, which runs no callback), and the engine is given that one buffer. Engines do
 * not all gather themselves (netty-tcnative wraps only the first buffer), and the one that does,
 * Conscrypt, copies the pieces into a record-sized direct buffer it allocates for the engine on
 * first use, zeroes, and keeps until the engine is collected: 16,709 bytes of resident memory per
 * connection that ever gathered, idle or not (measured with {@code IdleTlsNative --data gathered} in
 * {@code benchmarks}). The
 * copy is the same either way; only whose buffer it lands in differs, so no connection holds one.
 */
final class DirectEngineIo extends EngineIo {
    /** Some engines look at every element of the destination array, even past the count. */
    private static final ByteBuffer NO_ROOM = ByteBuffer.allocateDirect(0);
    /**
     * A first segment holding at least this much is wrapped alone, even when it ends short of a
     * full record: a gathered source is copied into one buffer before it is encrypted, which
     * costs more than the shorter record does (64 KiB echo: 1.2× Netty-on-Conscrypt with this,
     * 0.96× when every record was gathered). Smaller pieces are still gathered, so that many
     * small writes fill one record.
     */
    private static final int SINGLE_VIEW_MIN = 1024;
    /** Where small pieces are gathered, for every engine (see the class comment). */
    private static final ThreadLocal<ByteBuffer> GATHER_STAGES =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(MAX_RECORD_PLAINTEXT));

    /** Whether the engine tells some things one call late ({@link SslProvider#reportsLate}). */
    private final boolean reportsLate;
    /** The empty destination of the call that asks such an engine whether it finished. */
    private final ByteBuffer[] nothingOut = {NO_ROOM};
    /** Such an engine's last unwrap asked for a wrap that has not been made yet. */
    private boolean wrapOwed;
    /** Such an engine's last failure came from the wrap after the one that wrote its alert. */
    private boolean alertBeforeFailure;
    /**
     * Such an engine's last unwrap asked for wraps, and no wrap since has said it is done with
     * them: a failure those wraps throw is one the unwrap found (a record refused, its alert
     * handed out first) and held back.
     */
    private boolean unwrapAskedForWraps;
    /** Such an engine's last failure was thrown by a wrap an unwrap asked for: found while reading. */
    private boolean failureFoundByUnwrap;

    private final ByteBuffer[] plainOut = new ByteBuffer[2];
    private final ByteBuffer[] cipherOut = new ByteBuffer[1];
    /**
     * What a wrap encrypts: at most one buffer ({@link #plainSource}); the second slot only lets
     * {@code peek} show whether the source goes on past its first segment.
     */
    private final ByteBuffer[] plainIn = new ByteBuffer[2];
    private final ByteBuffer[] recordView = new ByteBuffer[1];
    private boolean filledRoom;

    DirectEngineIo(SslProvider provider) {
        this.reportsLate = provider.reportsLate;
    }

    @Override
    SSLEngineResult unwrap(SSLEngine engine, EvBuffer src, int recordLength, EvBuffer dst) throws SSLException {
        ByteBuffer record = recordLength > 0 ? front(src, recordLength) : EMPTY;
        int n = dst.reserveSpace(engine.getSession().getApplicationBufferSize(), plainOut);
        if (n == 1) {
            plainOut[1] = NO_ROOM;
        }
        long room = plainOut[0].remaining() + (n > 1 ? plainOut[1].remaining() : 0);
        SSLEngineResult r;
        try {
            r = engine.unwrap(record, plainOut, 0, n);
        } catch (SSLException | RuntimeException e) {
            giveBack(dst, plainOut, n);
            throw e;
        }
        filledRoom = r.bytesProduced() >= room;
        dst.commitSpace(plainOut, n);
        if (r.bytesConsumed() > 0) {
            src.drain(r.bytesConsumed());
            if (reportsLate && r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_UNWRAP
                    && r.getStatus() == SSLEngineResult.Status.OK) {
                r = askWhetherFinished(engine, r);
            }
        }
        wrapOwed = reportsLate && r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP;
        unwrapAskedForWraps = wrapOwed;
        return r;
    }

    @Override
    SSLEngineResult.HandshakeStatus handshakeStatus(SSLEngine engine) {
        return wrapOwed ? SSLEngineResult.HandshakeStatus.NEED_WRAP : engine.getHandshakeStatus();
    }

    @Override
    boolean wroteAlertBeforeFailing() {
        return alertBeforeFailure;
    }

    @Override
    boolean failureFoundByUnwrap() {
        return failureFoundByUnwrap;
    }

    /**
     * {@code r} with the handshake status an unwrap of nothing reports now: the engine finishes
     * its handshake (FINISHED, or NEED_WRAP for what it sends next) only when called again.
     * Handshake records only, a few per connection, so the one result made here costs nothing
     * that matters; an engine that still wants a record leaves {@code r} as it was.
     */
    private SSLEngineResult askWhetherFinished(SSLEngine engine, SSLEngineResult r) throws SSLException {
        SSLEngineResult.HandshakeStatus now = engine.unwrap(EMPTY, nothingOut, 0, 1).getHandshakeStatus();
        return now == SSLEngineResult.HandshakeStatus.NEED_UNWRAP ? r
                : new SSLEngineResult(r.getStatus(), now, r.bytesConsumed(), r.bytesProduced());
    }

    @Override
    boolean lastUnwrapFilledRoom() {
        return filledRoom;
    }

    /** Ends a reservation with nothing in it, so that its space goes back to the pool. */
    private static void giveBack(EvBuffer dst, ByteBuffer[] views, int n) {
        for (int i = 0; i < n; i++) {
            views[i].clear();
        }
        dst.commitSpace(views, n);
    }

    /**
     * The first {@code len} bytes of {@code src} as one buffer. A record that lies in one segment
     * (the usual case) is read through the segment's own view, with nothing allocated; one that
     * spans segments is made contiguous first.
     */
    private ByteBuffer front(EvBuffer src, int len) {
        if (src.peek(len, null, recordView) != 1) {
            src.pullup(len);
            src.peek(len, null, recordView);
        }
        ByteBuffer v = recordView[0];
        recordView[0] = null;
        return v.limit(v.position() + len);
    }

    @Override
    SSLEngineResult wrap(SSLEngine engine, EvBuffer src, EvBuffer dst) throws SSLException {
        int nsrc = plainSource(src);
        wrapOwed = false;
        SSLEngineResult r;
        try {
            r = wrapInto(engine, nsrc, dst);
            if (reportsLate && r.bytesProduced() > 0 && r.bytesConsumed() == 0) {
                r = surfaceHeldFailure(engine, r, dst);
            }
        } catch (SSLException | RuntimeException e) {
            failureFoundByUnwrap = unwrapAskedForWraps;
            throw e;
        } finally {
            Arrays.fill(plainIn, 0, nsrc, null); // do not keep views of memory the buffer may reuse
        }
        if (r.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_WRAP) {
            unwrapAskedForWraps = false;
        }
        return r;
    }

    /**
     * Puts what the next record encrypts into {@code plainIn[0]}: the first segment of {@code
     * src} when it is all there is or holds at least {@link #SINGLE_VIEW_MIN}, else up to a
     * record's worth of small pieces copied into the thread's stage (see the class comment).
     *
     * @return 1, or 0 when there is nothing to encrypt (a handshake or closing wrap)
     */
    private int plainSource(EvBuffer src) {
        int views = src == null ? 0 : src.peek(MAX_RECORD_PLAINTEXT, null, plainIn);
        if (views <= 1) {
            return views;
        }
        plainIn[1] = null;
        if (plainIn[0].remaining() < SINGLE_VIEW_MIN) {
            ByteBuffer stage = GATHER_STAGES.get().clear();
            src.copyout(stage);
            plainIn[0] = stage.flip();
        }
        return 1;
    }

    private SSLEngineResult wrapInto(SSLEngine engine, int nsrc, EvBuffer dst) throws SSLException {
        dst.reserveSpace(engine.getSession().getPacketBufferSize(), cipherOut);
        try {
            SSLEngineResult r = engine.wrap(plainIn, 0, nsrc, cipherOut[0]);
            dst.commitSpace(cipherOut, 1);
            return r;
        } catch (SSLException | RuntimeException e) {
            giveBack(dst, cipherOut, 1);
            throw e;
        }
    }

    /**
     * After a wrap that wrote a record of its own (a flight, an alert, a close_notify), one
     * more wrap of nothing: an engine that {@link SslProvider#reportsLate} holds a failure back
     * until the wrap after its alert, and nothing else would make that wrap. Otherwise it
     * writes what is still queued, if anything, and {@code r} stands with those bytes added.
     */
    private SSLEngineResult surfaceHeldFailure(SSLEngine engine, SSLEngineResult r, EvBuffer dst)
            throws SSLException {
        SSLEngineResult more;
        try {
            more = wrapInto(engine, 0, dst);
        } catch (SSLException | RuntimeException e) {
            alertBeforeFailure = true;
            throw e;
        }
        if (more.bytesProduced() == 0 && more.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.FINISHED) {
            return r;
        }
        SSLEngineResult.HandshakeStatus hs = r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED
                ? SSLEngineResult.HandshakeStatus.FINISHED : more.getHandshakeStatus();
        return new SSLEngineResult(more.getStatus(), hs, r.bytesConsumed(), r.bytesProduced() + more.bytesProduced());
    }
}
