package org.jevent.eventbase;

/**
 * The callback of an {@link Event}: libevent's {@code event_callback_fn(fd, what, arg)}.
 *
 * <p>The C {@code fd} is {@code ev.getChannel()} (or {@code ev.getSignal()}), the {@code arg} is whatever
 * the lambda captures; passing the event itself is what C's {@code event_self_cbarg()} was for.
 * {@code what} is the set of flags that made it run: {@link Event#EV_READ}, {@link Event#EV_WRITE},
 * {@link Event#EV_TIMEOUT}, {@link Event#EV_SIGNAL}, or whatever {@link Event#activate(int)} passed.
 */
@FunctionalInterface
public interface EventCallback {
    /**
     * Runs on the base's loop thread when the event fires. A throwable it throws goes to the
     * base's {@link ExceptionHook}; the loop goes on.
     *
     * @param ev the event that fired; the callback may re-add, delete or free it
     * @param what the flags that made it run, or-ed
     */
    void call(Event ev, int what);
}
