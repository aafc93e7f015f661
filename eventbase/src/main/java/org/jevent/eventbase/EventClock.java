package org.jevent.eventbase;

/**
 * Where a base reads the time. Replaceable so that timer tests can run on a {@link ManualClock}
 * instead of sleeping.
 *
 * <p>{@link #monotonicNanos()} drives every timer (libevent's {@code evutil_gettime_monotonic_});
 * {@link #wallMillis()} only feeds {@link EventBase#gettimeofdayCached()}.
 */
public interface EventClock {
    /** {@return monotonic time in nanoseconds, as {@link System#nanoTime()}} Only differences matter. */
    long monotonicNanos();

    /** {@return wall-clock time in milliseconds since the epoch, as {@link System#currentTimeMillis()}} */
    long wallMillis();

    /** The system clocks. */
    EventClock SYSTEM = new EventClock() {
        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public String toString() {
            return "EventClock.SYSTEM";
        }
    };
}
