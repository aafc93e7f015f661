package org.jevent.eventbase;

/**
 * What a base does with a throwable that escaped one of its callbacks. libevent's C callbacks
 * cannot throw; a Java one can, and the loop must neither die nor lose the error: the base
 * catches every {@link Throwable} a callback throws, hands it to its hook, and goes on with the
 * next callback. The hook runs on the loop thread, right after the failed callback.
 *
 * <p>Set one per base with {@link EventBase#setExceptionHook} or {@link EventConfig#exceptionHook}.
 * The default, {@link #logging()}, logs through SLF4J at ERROR and, when no SLF4J binding is on the
 * class path (SLF4J then discards everything), prints to {@code System.err}, so an error never
 * vanishes. A hook that throws is itself reported through the default and the loop goes on.
 */
@FunctionalInterface
public interface ExceptionHook {
    /**
     * Handles one throwable that escaped a callback, on the loop thread.
     *
     * @param base the base whose loop ran the callback
     * @param running what threw: the {@link Event} whose callback threw, the {@link Runnable} given
     *     to {@link EventBase#execute} or {@link EventBase#deferredExecutor()}, or the
     *     {@link DeferredCallback}; for an {@link EventBaseGroup} loop thread that ended
     *     abnormally, its {@link Thread}
     * @param error what was thrown
     */
    void onException(EventBase base, Object running, Throwable error);

    /**
     * {@return the default hook} It logs through SLF4J at ERROR (logger
     * {@code org.jevent.eventbase.EventBase}), or prints to stderr when no SLF4J binding is present.
     */
    static ExceptionHook logging() {
        return LoggingExceptionHook.DEFAULT;
    }
}
