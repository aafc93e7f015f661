package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Random add / re-add / del / advance sequences on a {@link ManualClock}, against a model: every
 * timer alive at its deadline fires exactly once, in (deadline, add order), never a deleted one,
 * never early, never late (each step runs the loop). Heap timers and common timeouts are mixed.
 */
class TimerPropertiesTest {

    /** One step: op 0 add/re-add with delay, 1 del, 2 advance the clock by delay. */
    record Step(int op, int timer, int delayMs) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, 15),
                Arbitraries.integers().between(0, 60))
                .as((op, t, d) -> new Step(op < 5 ? 0 : op < 7 ? 1 : 2, t, d));
        return step.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 1000)
    void timers_fire_once_in_deadline_order_never_when_deleted(@ForAll("steps") List<Step> steps,
            @ForAll @IntRange(min = 0, max = 3) int commonMask) {
        ManualClock clock = new ManualClock();
        EventBase base = new EventBase(new EventConfig().clock(clock));
        CommonTimeout[] commons = {base.initCommonTimeout(Duration.ofMillis(10)), base.initCommonTimeout(Duration.ofMillis(25))};
        int n = 16;
        Event[] evs = new Event[n];
        // Model: deadline (ms) and add order of each live timer.
        Map<Integer, long[]> live = new HashMap<>();
        List<long[]> fired = new ArrayList<>(); // {timer, deadlineMs, nowMs}
        long[] addSeq = {0};
        for (int i = 0; i < n; i++) {
            int idx = i;
            evs[i] = Event.timer(base, (e, w) -> {
                long nowMs = clock.monotonicNanos() / 1_000_000L;
                long[] m = live.remove(idx);
                fired.add(new long[] {idx, m == null ? -1 : m[0], nowMs, m == null ? -1 : m[1]});
            });
        }
        long nowMs = 0;
        for (Step s : steps) {
            switch (s.op()) {
                case 0 -> {
                    int delay = s.delayMs();
                    // Timers 0..3 may use a common timeout (10 or 25 ms) when the mask allows it.
                    if (s.timer() < 4 && (commonMask & 1 << (s.timer() & 1)) != 0) {
                        CommonTimeout ct = commons[s.timer() & 1];
                        evs[s.timer()].add(ct);
                        delay = (int) ct.duration().toMillis();
                    } else {
                        evs[s.timer()].add(Duration.ofMillis(delay));
                    }
                    live.put(s.timer(), new long[] {nowMs + delay, addSeq[0]++});
                }
                case 1 -> {
                    evs[s.timer()].del();
                    live.remove(s.timer());
                }
                default -> {
                    clock.advance(Duration.ofMillis(s.delayMs()));
                    nowMs += s.delayMs();
                    int before = fired.size();
                    base.loop(EventBase.EVLOOP_NONBLOCK);
                    checkTurn(fired, before, nowMs);
                }
            }
            base.checkInvariants();
        }
        // Drain: everything still live fires, in order, at the end of time.
        clock.advance(Duration.ofMillis(1000));
        nowMs += 1000;
        int before = fired.size();
        base.loop(EventBase.EVLOOP_NONBLOCK);
        checkTurn(fired, before, nowMs);
        assertTrue(live.isEmpty(), "timers that never fired: " + live.keySet());
        base.free();
    }

    /** Everything that fired in one turn was live, was due, was not overdue before this turn's advance, and came in order. */
    private static void checkTurn(List<long[]> fired, int from, long nowMs) {
        long[] prev = null;
        for (int i = from; i < fired.size(); i++) {
            long[] f = fired.get(i);
            assertTrue(f[1] >= 0, "a deleted or already-fired timer fired: " + f[0]);
            assertEquals(nowMs, f[2]);
            assertTrue(f[1] <= nowMs, "fired early");
            if (prev != null) {
                assertTrue(prev[1] < f[1] || (prev[1] == f[1] && prev[3] < f[3]),
                        "out of order: timer " + prev[0] + "@" + prev[1] + " before " + f[0] + "@" + f[1]);
            }
            prev = f;
        }
    }
}
