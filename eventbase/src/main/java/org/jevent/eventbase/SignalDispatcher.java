package org.jevent.eventbase;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Process-wide routing of POSIX signals to signal events, through {@code sun.misc.Signal}
 * (module {@code jdk.unsupported}; the only JDK way to catch SIGHUP, SIGUSR2, ...).
 *
 * <p>The JVM runs a signal handler on a fresh thread, never on a loop thread, so delivery uses the
 * cross-thread activation path: the event becomes active with EV_SIGNAL on its own loop thread.
 * Several deliveries before the loop runs coalesce into one callback (libevent counts them in
 * {@code ncalls}; we do not).
 *
 * <p>Invariant: a slot exists for a signal exactly while at least one event is added for it; the
 * previous JVM handler is reinstalled when the last one goes away. Guarded by the class lock.
 */
final class SignalDispatcher {
    private static final Map<String, Slot> SLOTS = new HashMap<>();

    private SignalDispatcher() {
    }

    private static final class Slot implements SignalHandler {
        final Signal signal;
        final List<Event> events = new ArrayList<>(2);
        SignalHandler previous;

        Slot(Signal signal) {
            this.signal = signal;
        }

        @Override
        public void handle(Signal sig) {
            Event[] targets;
            synchronized (SignalDispatcher.class) {
                targets = events.toArray(new Event[0]);
            }
            for (Event ev : targets) {
                ev.base.activateRemote(ev, Event.EV_SIGNAL);
            }
        }
    }

    /** @throws IllegalArgumentException if the JVM reserves the signal or it does not exist */
    static synchronized void add(Event ev) {
        Slot slot = SLOTS.get(ev.getSignal());
        if (slot == null) {
            Signal sig = new Signal(ev.getSignal());
            slot = new Slot(sig);
            slot.previous = Signal.handle(sig, slot);
            if (slot.previous == sun.misc.SignalHandler.SIG_IGN) {
                // The JVM leaves a signal that was ignored when it started ignored (a process
                // started in the background by a non-interactive shell ignores SIGINT, nohup
                // ignores SIGHUP); libevent's sigaction would override that, Java cannot.
                org.slf4j.LoggerFactory.getLogger(SignalDispatcher.class).warn(
                        "SIG{} was ignored when this JVM started; the JVM will not deliver it, so the signal event for it"
                        + " will never fire (start the process without ignoring the signal)", ev.getSignal());
            }
            SLOTS.put(ev.getSignal(), slot);
        }
        slot.events.add(ev);
    }

    static synchronized void remove(Event ev) {
        Slot slot = SLOTS.get(ev.getSignal());
        if (slot == null) {
            return;
        }
        slot.events.remove(ev);
        if (slot.events.isEmpty()) {
            SLOTS.remove(ev.getSignal());
            Signal.handle(slot.signal, slot.previous);
        }
    }
}
