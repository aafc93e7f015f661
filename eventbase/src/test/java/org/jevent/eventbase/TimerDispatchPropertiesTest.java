package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Timers changed from inside the callbacks of a turn, against a model of libevent's loop: at the
 * start of a turn every due timer becomes active in (deadline, arming order); then each runs, a
 * persistent one first re-armed (its deadline plus its interval, or now plus it when that has
 * passed), and its callback deletes, re-adds (cancelling a pending timeout run), reschedules or
 * strips the timeout of other timers or of itself; the loop takes turns until one has nothing
 * due. Plain and persistent timers, in the heap and in two common-timeout queues, all at once.
 *
 * <p>Pins what the keys-in-arrays heap and the events' side {@link EventExtras} must keep: which
 * timers fire in each turn and in which order, and every armed deadline after every callback
 * ({@link Event#pendingDeadlineNanos()}), with the heap and queues consistent throughout.
 */
class TimerDispatchPropertiesTest {
    private static final int TIMERS = 12;
    private static final long MS = 1_000_000L;

    /** What a timer is: kind = index % 4 (0 heap, 1 heap persistent, 2 common, 3 common persistent). */
    private static boolean persistent(int t) {
        return (t & 1) != 0;
    }

    private static boolean common(int t) {
        return (t & 2) != 0;
    }

    /** One action: 0-3 add (t, delay), 4 del, 5 removeTimer; for the top level also 6-8 advance. */
    record Action(int op, int timer, int delayMs) {
    }

    @Provide
    Arbitrary<List<Action>> topLevel() {
        return action(9).list().ofMinSize(1).ofMaxSize(60);
    }

    @Provide
    Arbitrary<List<Action>> inCallbacks() {
        return action(6).list().ofMinSize(1).ofMaxSize(40);
    }

    private static Arbitrary<Action> action(int ops) {
        return Combinators.combine(Arbitraries.integers().between(0, ops - 1),
                Arbitraries.integers().between(0, TIMERS - 1), Arbitraries.integers().between(1, 40))
                .as(Action::new);
    }

    /** The model: deadlines in nanos, -1 when not armed. */
    static final class Model {
        final long[] deadline = new long[TIMERS];
        final long[] seq = new long[TIMERS];
        /** Interval a persistent timer re-arms with, -1 for none. */
        final long[] interval = new long[TIMERS];
        /** The deadline each timer last expired at. */
        final long[] firedAt = new long[TIMERS];
        final long[] commonNanos;
        final List<Integer> active = new ArrayList<>();
        long nextSeq;

        Model(long[] commonNanos) {
            this.commonNanos = commonNanos;
            java.util.Arrays.fill(deadline, -1);
            java.util.Arrays.fill(interval, -1);
        }

        long delayOf(int t, int delayMs) {
            return common(t) ? commonNanos[(t >> 2) & 1] : delayMs * MS;
        }

        void add(int t, long now, int delayMs) {
            long delay = delayOf(t, delayMs);
            if (persistent(t)) {
                interval[t] = delay;
            }
            // A pending timeout run is cancelled by the re-add (event.c's event_add_nolock).
            active.remove(Integer.valueOf(t));
            arm(t, now + delay);
        }

        void arm(int t, long at) {
            deadline[t] = at;
            seq[t] = nextSeq++;
        }

        void del(int t) {
            deadline[t] = -1;
            active.remove(Integer.valueOf(t));
        }

        void removeTimer(int t) {
            deadline[t] = -1;
            interval[t] = -1;
        }

        /** The turn's expiry pass: due timers, disarmed, appended in (deadline, seq) order. */
        void expire(long now) {
            List<Integer> due = new ArrayList<>();
            for (int t = 0; t < TIMERS; t++) {
                if (deadline[t] >= 0 && deadline[t] <= now) {
                    due.add(t);
                }
            }
            due.sort((a, b) -> deadline[a] != deadline[b] ? Long.compare(deadline[a], deadline[b])
                    : Long.compare(seq[a], seq[b]));
            for (int t : due) {
                firedAt[t] = deadline[t];
                deadline[t] = -1;
                active.add(t);
            }
        }

        /** Before t's callback: a persistent timer with an interval is re-armed. */
        void beforeCallback(int t, long now) {
            if (persistent(t) && interval[t] >= 0) {
                long at = firedAt[t] + interval[t];
                if (at - now < 0) {
                    at = now + interval[t];
                }
                arm(t, at);
            }
        }
    }

    @Property(tries = 600)
    void timers_changed_during_dispatch_fire_as_the_model_says(@ForAll("topLevel") List<Action> top,
            @ForAll("inCallbacks") List<Action> inside) {
        ManualClock clock = new ManualClock();
        // A failed assertion in a callback reaches the hook, not the loop's caller: keep it.
        List<Throwable> failures = new ArrayList<>();
        EventBase base = new EventBase(new EventConfig().clock(clock).exceptionHook((b, r, e) -> failures.add(e)));
        try {
            CommonTimeout[] commons = {base.initCommonTimeout(Duration.ofMillis(10)),
                    base.initCommonTimeout(Duration.ofMillis(25))};
            Model model = new Model(new long[] {10 * MS, 25 * MS});
            Event[] evs = new Event[TIMERS];
            List<Integer> fired = new ArrayList<>();
            int[] nextInside = {0};
            Runnable check = () -> {
                base.checkInvariants();
                for (int t = 0; t < TIMERS; t++) {
                    long got = evs[t].pendingDeadlineNanos().orElse(-1);
                    assertEquals(model.deadline[t], got, "deadline of timer " + t);
                }
            };
            for (int i = 0; i < TIMERS; i++) {
                int self = i;
                EventCallback cb = (e, what) -> {
                    assertEquals(Event.EV_TIMEOUT, what);
                    long now = clock.monotonicNanos();
                    if (model.active.isEmpty()) {
                        // The last turn's callbacks have all run: under EVLOOP_NONBLOCK the loop
                        // takes another turn, which starts with its own expiry pass.
                        model.expire(now);
                    }
                    int expected = model.active.remove(0);
                    assertEquals(expected, self, "ran out of the model's order");
                    model.beforeCallback(self, now);
                    fired.add(self);
                    // Each callback takes its next action (every third one none), and checks all.
                    if (fired.size() % 3 != 0) {
                        Action a = inside.get(nextInside[0]++ % inside.size());
                        apply(a, evs, commons, model, now);
                    }
                    check.run();
                };
                evs[i] = new Event(base, null, persistent(i) ? Event.EV_PERSIST : 0, cb);
            }
            long nowMs = 0;
            for (Action a : top) {
                if (a.op() >= 6) {
                    clock.advance(Duration.ofMillis(a.delayMs()));
                    nowMs += a.delayMs();
                    long now = nowMs * MS;
                    model.expire(now);
                    fired.clear();
                    // EVLOOP_NONBLOCK takes turns until one has nothing to run (libevent's
                    // event_base_loop), so timers re-armed due now by a callback run in this loop.

                    // Run the model's turn by letting the real one run: the callbacks pop the model's
                    // active queue and fail on the first difference; what remains must be nothing.
                    base.loop(EventBase.EVLOOP_NONBLOCK);
                    if (!failures.isEmpty()) {
                        throw new AssertionError("in a callback, after " + fired, failures.get(0));
                    }
                    model.expire(now);
                    assertEquals(List.of(), model.active, "due in the model, never run; fired " + fired);
                } else {
                    apply(a, evs, commons, model, nowMs * MS);
                }
                check.run();
            }
            // No timer fires except by the model: the rest are deleted without firing.
            for (Event ev : evs) {
                ev.del();
            }
            base.checkInvariants();
            assertEquals(0, commons[0].size() + commons[1].size());
        } finally {
            base.free();
        }
    }

    private static void apply(Action a, Event[] evs, CommonTimeout[] commons, Model model, long now) {
        int t = a.timer();
        switch (a.op()) {
            case 0, 1, 2, 3 -> {
                if (common(t)) {
                    evs[t].add(commons[(t >> 2) & 1]);
                } else {
                    evs[t].add(Duration.ofMillis(a.delayMs()));
                }
                model.add(t, now, a.delayMs());
            }
            case 4 -> {
                evs[t].del();
                model.del(t);
            }
            default -> {
                evs[t].removeTimer();
                model.removeTimer(t);
            }
        }
    }
}
