package org.jevent.eventbase;

/**
 * The callback of an {@link Event}: libevent's {@code event_callback_fn(fd, what, arg)}.
 *
 * <p>The C {@code fd} is {@code ev.channel()} (or {@code ev.signal()}), the {@code arg} is whatever
 * the lambda captures; passing the event itself is what C's {@code event_self_cbarg()} was for.
 * {@code what} is the set of flags that made it run: {@link Event#EV_READ}, {@link Event#EV_WRITE},
 * {@link Event#EV_TIMEOUT}, {@link Event#EV_SIGNAL}, or whatever {@link Event#activate(int)} passed.
 */
@FunctionalInterface
public interface EventCallback {
    void call(Event ev, int what);
}
