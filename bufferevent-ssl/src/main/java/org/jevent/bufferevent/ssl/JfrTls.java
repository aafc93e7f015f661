package org.jevent.bufferevent.ssl;

import javax.net.ssl.SSLSession;
import jdk.jfr.FlightRecorder;

/**
 * The {@code jdk.jfr} side of {@link TlsRecorder}; loaded only when the {@code jdk.jfr} module
 * is present, and doing anything only once JFR has started in this JVM.
 *
 * <p>Invariant: the event type is registered once, by class initialization; an event object is
 * made only when JFR is initialized, and filled and committed only when a recording has it
 * enabled.
 */
final class JfrTls {
    private JfrTls() {
    }

    /** True once JFR runs in this JVM (a static read); registers the event type the first time. */
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
            FlightRecorder.register(TlsHandshakeEvent.class);
        }

        static void ensure() {
            // nothing: loading this class did the work
        }
    }

    static void handshake(SessionLog log, String failure) {
        TlsHandshakeEvent e = new TlsHandshakeEvent();
        if (!e.isEnabled()) {
            return;
        }
        HandshakeTiming timing = log.timing();
        SSLSession session = log.engine().getSession();
        e.loopThread = Thread.currentThread();
        e.bufferevent = log.name();
        e.role = log.role();
        e.startedBy = timing.startedBy();
        e.peer = HandshakeTiming.peer(log.engine());
        e.protocol = session.getProtocol();
        e.cipherSuite = session.getCipherSuite();
        e.handshakeTime = timing.elapsedNanos();
        e.resumed = failure == null && log.resumed(session);
        e.failure = failure;
        e.commit();
    }
}
