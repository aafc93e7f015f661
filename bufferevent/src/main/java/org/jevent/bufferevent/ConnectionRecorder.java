package org.jevent.bufferevent;

import org.jevent.eventbase.JfrHooks;

/**
 * The door to JFR for this module, free of {@code jdk.jfr} types (a runtime without the
 * {@code jdk.jfr} module must still load every class that reaches here): the connection events
 * {@code org.jevent.ConnectionOpen} and {@code org.jevent.ConnectionClose}, following the naming
 * convention of eventbase's package-info. Nothing is registered or built until JFR has started:
 * a connection's open and close each cost one static read then, and nothing runs per read or
 * write (the byte counts are two plain fields of the bufferevent).
 *
 * <p>{@code -Djevent.jfr=false} (any case; {@link JfrHooks}, the switch of every module)
 * compiles this module's hooks out: {@link JfrHooks#ON} false, no event type is ever registered, no
 * event built, and a bufferevent does not note when it was made. For a JVM that wants none of
 * it, and for the benchmark that measures what the hooks cost with no recording running. The
 * byte counts stay: they are public API ({@code getBytesRead}), not only JFR's.
 *
 * <p>Invariant: {@link JfrHooks#ON} and {@link JfrHooks#AVAILABLE} are fixed at class load ({@code static final}:
 * the JIT folds them); {@link JfrConnections} is touched only when {@link JfrHooks#AVAILABLE} is true.
 */
final class ConnectionRecorder {
    private ConnectionRecorder() {
    }

    /** A socket bufferevent's connection is established; {@code connectNanos} 0 for one that came connected. */
    static void opened(SocketBufferevent b, long connectNanos) {
        if (JfrHooks.AVAILABLE && JfrConnections.started()) {
            JfrConnections.opened(b, connectNanos);
        }
    }

    /** {@code b} is being freed (its end reason is set; its transport still there). */
    static void closed(Bufferevent b, long lifetimeNanos) {
        if (JfrHooks.AVAILABLE && JfrConnections.started()) {
            JfrConnections.closed(b, lifetimeNanos);
        }
    }
}
