package org.jevent.eventbase;

import java.util.ArrayList;
import java.util.List;

/**
 * The signal events added on one base, in adding order, and their link to the process-wide
 * {@link SignalDispatcher}.
 *
 * <p>Invariant: an event is in the list exactly when its {@code extras.signal.added} is set, and then
 * it is registered with the dispatcher. Loop thread only.
 */
final class SignalEvents {
    private final List<Event> events = new ArrayList<>(2);

    boolean isEmpty() {
        return events.isEmpty();
    }

    int size() {
        return events.size();
    }

    Event get(int i) {
        return events.get(i);
    }

    /** @throws IllegalArgumentException if the JVM reserves the signal or it does not exist */
    void add(Event ev) {
        SignalDispatcher.add(ev);
        ev.extras.signal.added = true;
        events.add(ev);
    }

    void remove(Event ev) {
        ev.extras.signal.added = false;
        events.remove(ev);
        SignalDispatcher.remove(ev);
    }

    /** {@code event_base_active_by_signal}: activates every event added for {@code signal}. */
    void activate(EventBase base, String signal) {
        for (int i = 0; i < events.size(); i++) {
            Event ev = events.get(i);
            if (ev.extras.signal.name.equals(signal)) {
                base.activateLocal(ev, Event.EV_SIGNAL);
            }
        }
    }

    /** On free: every event leaves, and the JVM's previous handlers come back. */
    void clear() {
        for (int i = 0; i < events.size(); i++) {
            Event ev = events.get(i);
            ev.extras.signal.added = false;
            SignalDispatcher.remove(ev);
        }
        events.clear();
    }
}
