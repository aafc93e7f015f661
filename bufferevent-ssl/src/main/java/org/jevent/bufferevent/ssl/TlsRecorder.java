package org.jevent.bufferevent.ssl;

/**
 * The door to JFR for this module, free of {@code jdk.jfr} types: the event
 * {@code org.jevent.TlsHandshake} (the naming convention of eventbase's package-info). Nothing
 * is registered or built until JFR has started; a handshake's end then costs one static read.
 *
 * <p>Invariant: {@link #AVAILABLE} is fixed at class load; {@link JfrTls} is touched only when
 * it is true.
 */
final class TlsRecorder {
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private TlsRecorder() {
    }

    /** The running handshake of {@code log}'s session ended: finished ({@code failure} null) or failed. */
    static void handshakeEnded(SessionLog log, String failure) {
        if (AVAILABLE && JfrTls.started()) {
            JfrTls.handshake(log, failure);
        }
    }
}
