package org.jevent.bufferevent.ssl;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.jevent.evbuffer.EvBuffer;

/**
 * Moves bytes between {@link EvBuffer}s and an {@link SSLEngine}, one {@code wrap} or
 * {@code unwrap} at a time, in the memory the provider is fastest on: Conscrypt and
 * netty-tcnative work on the buffers' own direct segments ({@link DirectEngineIo}), the JDK on
 * heap arrays it can decrypt in place ({@link HeapEngineIo}). The pump ({@link TlsPump}) decides what to move and when;
 * this class only knows where the bytes lie.
 */
abstract class EngineIo {
    /** Most plaintext offered to one wrap: a full record. */
    static final int MAX_RECORD_PLAINTEXT = 16384;
    static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    static EngineIo forProvider(SslProvider provider) {
        return provider.wantsHeapBuffers ? new HeapEngineIo() : new DirectEngineIo(provider);
    }

    /**
     * Unwraps the {@code recordLength} bytes at the front of {@code src} into {@code dst}, or,
     * with {@code recordLength} 0, asks the engine for plaintext it still holds from an earlier
     * record (Conscrypt after a BUFFER_OVERFLOW). Drains from {@code src} what the engine
     * consumed and appends to {@code dst} what it produced; on an exception neither changes.
     */
    abstract SSLEngineResult unwrap(SSLEngine engine, EvBuffer src, int recordLength, EvBuffer dst)
            throws SSLException;

    /**
     * Wraps up to {@link #MAX_RECORD_PLAINTEXT} bytes from the front of {@code src} (none when
     * {@code src} is null: a handshake flight or a close_notify) into {@code dst}. The consumed
     * plaintext is not drained from {@code src}: the caller does that, so that its own callbacks
     * run after the record is in place.
     */
    abstract SSLEngineResult wrap(SSLEngine engine, EvBuffer src, EvBuffer dst) throws SSLException;

    /**
     * Whether the last unwrap filled all the room it was given, so that the engine may hold
     * more plaintext of the same record (Conscrypt keeps it inside; another unwrap with an empty
     * source gets it). Room it left unused means the record was delivered whole.
     */
    abstract boolean lastUnwrapFilledRoom();

    /**
     * What the engine wants next, as the pump should read it: the engine's own status, except
     * where an engine forgets what its last result asked for ({@link DirectEngineIo}).
     */
    SSLEngineResult.HandshakeStatus handshakeStatus(SSLEngine engine) {
        return engine.getHandshakeStatus();
    }

    /**
     * Whether the wrap that failed last had already written the engine's alert to the transport
     * (netty-tcnative hands out the alert first and throws on the next wrap), so that there is
     * none left for the pump to flush.
     */
    boolean wroteAlertBeforeFailing() {
        return false;
    }

    /**
     * Whether the wrap that failed last threw a failure an unwrap had found (the peer's record
     * refused): netty-tcnative holds such a failure back until the wraps that send its alert, so
     * the pump reports it as the reading failure it is, as the other engines' unwraps throw it.
     * (A failure a delegated task found, which the JDK throws from its next call, the pump
     * recognises itself: it runs the tasks.)
     */
    boolean failureFoundByUnwrap() {
        return false;
    }
}
