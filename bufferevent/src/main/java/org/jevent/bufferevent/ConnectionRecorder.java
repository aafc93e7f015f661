package org.jevent.bufferevent;

/**
 * The door to JFR for this module, free of {@code jdk.jfr} types (a runtime without the
 * {@code jdk.jfr} module must still load every class that reaches here): the connection events
 * {@code org.jevent.ConnectionOpen} and {@code org.jevent.ConnectionClose}, following the naming
 * convention of eventbase's package-info. Nothing is registered or built until JFR has started:
 * a connection's open and close each cost one static read then, and nothing runs per read or
 * write (the byte counts are two plain fields of the bufferevent).
 *
 * <p>Invariant: {@link #AVAILABLE} is fixed at class load; {@link JfrConnections} is touched
 * only when it is true.
 */
final class ConnectionRecorder {
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private ConnectionRecorder() {
    }

    /** A socket bufferevent's connection is established; {@code connectNanos} 0 for one that came connected. */
    static void opened(SocketBufferevent b, long connectNanos) {
        if (AVAILABLE && JfrConnections.started()) {
            JfrConnections.opened(b, connectNanos);
        }
    }

    /** {@code b} is being freed (its end reason is set; its transport still there). */
    static void closed(Bufferevent b, long lifetimeNanos) {
        if (AVAILABLE && JfrConnections.started()) {
            JfrConnections.closed(b, lifetimeNanos);
        }
    }
}
