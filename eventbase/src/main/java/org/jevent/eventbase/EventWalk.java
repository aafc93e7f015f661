package org.jevent.eventbase;

import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.List;

/**
 * Read-only walks over everything a base holds, for {@code event_base_foreach_event},
 * {@code event_base_dump_events} and {@code event_base_get_num_events}; kept out of the loop class.
 *
 * <p>Invariant: visits each event once, in libevent's order: I/O events per channel, signal
 * events, heap timers, common-timeout timers (each skipped if already seen as I/O or signal),
 * then events that are only active. It never changes the base; {@link EventBase} forbids the
 * visitor to change it either.
 */
final class EventWalk {
    private final EventBase base;
    private final ChannelRegistry channels;
    private final SignalEvents signals;
    private final TimerHeap timers;
    private final List<CommonTimeout> commonTimeouts;
    private final ActiveQueues activeQueues;

    EventWalk(EventBase base, ChannelRegistry channels, SignalEvents signals, EventTimers timers,
            ActiveQueues activeQueues) {
        this.base = base;
        this.channels = channels;
        this.signals = signals;
        this.timers = timers.heap();
        this.commonTimeouts = timers.commonTimeouts();
        this.activeQueues = activeQueues;
    }

    /** Visits events until one visit returns non-zero; {@code addedOnly} skips active-only events. */
    int walk(EventBase.EventVisitor visitor, boolean addedOnly) {
        for (SelectionKey key : channels.keys()) {
            ChannelRegistration reg = (ChannelRegistration) key.attachment();
            for (int i = 0, n = reg.count(); i < n; i++) {
                int r = visitor.visit(base, reg.get(i));
                if (r != 0) {
                    return r;
                }
            }
        }
        for (int i = 0; i < signals.size(); i++) {
            int r = visitor.visit(base, signals.get(i));
            if (r != 0) {
                return r;
            }
        }
        for (int i = 0; i < timers.size(); i++) {
            TimerNode n = timers.get(i);
            if (n instanceof Event && !((Event) n).hasInterest()) {
                int r = visitor.visit(base, (Event) n);
                if (r != 0) {
                    return r;
                }
            }
        }
        for (int c = 0; c < commonTimeouts.size(); c++) {
            for (Event ev = commonTimeouts.get(c).head; ev != null; ev = ev.extras.commonNext) {
                if (!ev.hasInterest()) {
                    int r = visitor.visit(base, ev);
                    if (r != 0) {
                        return r;
                    }
                }
            }
        }
        if (addedOnly) {
            return 0;
        }
        for (int p = 0; p < activeQueues.priorities(); p++) {
            for (Event ev = activeQueues.head(p); ev != null; ev = ev.activeNext) {
                if (!ev.hasInterest() && !ev.hasTimer()) {
                    int r = visitor.visit(base, ev);
                    if (r != 0) {
                        return r;
                    }
                }
            }
        }
        return 0;
    }

    int countAdded() {
        int[] n = {0};
        walk((b, ev) -> {
            n[0]++;
            return 0;
        }, true);
        return n[0];
    }

    String dump(long now) {
        StringBuilder sb = new StringBuilder("Inserted events:\n");
        walk((b, ev) -> {
            sb.append("  ").append(ev);
            int pend = ev.pending(Event.EV_READ | Event.EV_WRITE | Event.EV_SIGNAL);
            if (pend != 0) {
                sb.append(' ').append(Event.flagsToString(pend));
            }
            if (ev.hasTimer()) {
                sb.append(" Timeout=").append(Duration.ofNanos(base.timerDeadline(ev) - now)).append(" from now");
            }
            sb.append('\n');
            return 0;
        }, true);
        sb.append("Active events:\n");
        for (int p = 0; p < activeQueues.priorities(); p++) {
            for (Event ev = activeQueues.head(p); ev != null; ev = ev.activeNext) {
                sb.append("  ").append(ev).append(" Active: ").append(Event.flagsToString(ev.activeRes)).append('\n');
            }
        }
        return sb.toString();
    }
}
