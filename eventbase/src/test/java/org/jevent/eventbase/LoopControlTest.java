package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where the loop stops running one queue and looks again: loopcontinue and the time bound of
 * event_config_set_max_dispatch_interval. Each scenario: five events e1..e5 active at priority 1;
 * e1 arms a zero-delay timer T at priority 0. T overtakes e2..e5 only if the queue is left early.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LoopControlTest {

    private static List<String> run(EventConfig cfg, Consumer<EventBase> inFirst) {
        EventBase base = new EventBase(cfg.priorities(2));
        List<String> order = new ArrayList<>();
        Event urgent = Event.timer(base, (e, w) -> order.add("T"));
        urgent.prioritySet(0);
        for (int i = 1; i <= 5; i++) {
            String name = "e" + i;
            boolean first = i == 1;
            Event ev = new Event(base, null, 0, (e, w) -> {
                order.add(name);
                if (first) {
                    urgent.add(Duration.ZERO);
                    inFirst.accept(base);
                }
            });
            ev.prioritySet(1);
            ev.activate(Event.EV_READ);
        }
        base.dispatch();
        base.free();
        return order;
    }

    @Test
    void without_either_the_queue_runs_to_its_end() {
        assertEquals(List.of("e1", "e2", "e3", "e4", "e5", "T"), run(new EventConfig(), b -> { }));
    }

    @Test
    void loopcontinue_rescans_after_the_current_callback() {
        assertEquals(List.of("e1", "T", "e2", "e3", "e4", "e5"), run(new EventConfig(), EventBase::loopContinue));
    }

    @Test
    void max_dispatch_interval_time_bound() {
        // e1 outlasts the 1 ms budget: the queue is left after it and the timer runs next.
        EventConfig cfg = new EventConfig().maxDispatchInterval(Duration.ofMillis(1), -1, 0);
        assertEquals(List.of("e1", "T", "e2", "e3", "e4", "e5"), run(cfg, b -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3);
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }));
    }

    @Test
    void max_dispatch_interval_spares_priorities_below_min_priority() {
        // min_priority 2: priority 1 is not limited, so even a slow e1 does not yield.
        EventConfig cfg = new EventConfig().maxDispatchInterval(Duration.ofMillis(1), 1, 2);
        assertEquals(List.of("e1", "e2", "e3", "e4", "e5", "T"), run(cfg, b -> { }));
    }
}
