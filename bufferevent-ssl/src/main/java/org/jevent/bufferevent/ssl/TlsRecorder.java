package org.jevent.bufferevent.ssl;

import org.jevent.eventbase.JfrHooks;

/**
 * The door to JFR for this module, free of {@code jdk.jfr} types: the event
 * {@code org.jevent.TlsHandshake} (the naming convention of eventbase's package-info). Nothing
 * is registered or built until JFR has started; a handshake's end then costs one static read.
 *
 * <p>{@code -Djevent.jfr=false} (any case; {@link JfrHooks}, the switch of every module)
 * compiles the event out: {@link JfrHooks#AVAILABLE} false, nothing registered or built. The handshake's
 * timing stays, since its DEBUG log line reports it too (two clock reads per handshake).
 *
 * <p>Invariant: {@link JfrHooks#AVAILABLE} is fixed at class load ({@code static final}: the JIT folds
 * it); {@link JfrTls} is touched only when it is true.
 */
final class TlsRecorder {
    private TlsRecorder() {
    }

    /** The running handshake of {@code log}'s session ended: finished ({@code failure} null) or failed. */
    static void handshakeEnded(SessionLog log, String failure) {
        if (JfrHooks.AVAILABLE && JfrTls.started()) {
            JfrTls.handshake(log, failure);
        }
    }
}
