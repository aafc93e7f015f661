package org.jevent.bufferevent;

import jdk.jfr.FlightRecorder;

/**
 * The {@code jdk.jfr} side of {@link ConnectionRecorder}; loaded only when the {@code jdk.jfr}
 * module is present, and doing anything only once JFR has started in this JVM.
 *
 * <p>Invariant: the event types are registered once, by class initialization when the first
 * loop thread finds JFR initialized; an event object is made only when JFR is initialized, and
 * filled and committed only when a recording has it enabled.
 */
final class JfrConnections {
    private JfrConnections() {
    }

    /** True once JFR runs in this JVM (a static read); registers the event types the first time. */
    static boolean started() {
        if (!FlightRecorder.isInitialized()) {
            return false;
        }
        Registration.ensure();
        return true;
    }

    /** Class initialization registers exactly once, whichever thread comes first. */
    private static final class Registration {
        static {
            FlightRecorder.register(ConnectionOpenEvent.class);
            FlightRecorder.register(ConnectionCloseEvent.class);
        }

        static void ensure() {
            // nothing: loading this class did the work
        }
    }

    static void opened(SocketBufferevent b, long connectNanos) {
        ConnectionOpenEvent e = new ConnectionOpenEvent();
        if (!e.isEnabled()) {
            return;
        }
        e.loopThread = Thread.currentThread();
        e.bufferevent = b.logName();
        e.local = b.addressText(true);
        e.remote = b.addressText(false);
        e.connectTime = connectNanos;
        e.commit();
    }

    static void closed(Bufferevent b, long lifetimeNanos) {
        ConnectionCloseEvent e = new ConnectionCloseEvent();
        if (!e.isEnabled()) {
            return;
        }
        e.loopThread = Thread.currentThread();
        e.bufferevent = b.logName();
        e.kind = b.getClass().getSimpleName();
        e.bytesRead = b.getBytesRead();
        e.bytesWritten = b.getBytesWritten();
        e.lifetime = lifetimeNanos;
        EndReason r = b.getEndReason();
        e.endReason = r == null ? null : r.name();
        Throwable t = b.getLastError();
        e.lastError = t == null ? null : t.toString();
        e.commit();
    }
}
