package org.jevent.eventbase;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * libevent's {@code struct event}: a callback waiting for I/O readiness on a
 * {@link SelectableChannel}, a timeout, a signal, or an explicit {@link #activate(int)}.
 *
 * <p>States, as in libevent: <em>initialized</em> (has a base); <em>pending</em> (added: its
 * I/O or signal interest is registered and/or a timer is armed); <em>active</em> (queued to run
 * in this turn). Without {@link #EV_PERSIST} an event stops being pending when it becomes active
 * by I/O, signal or timeout, so its callback may re-add it; with it, it stays pending and a
 * timeout is re-armed: relative to the previous deadline if it fired by timeout, relative to now
 * otherwise, and from now if that deadline has already passed (libevent's
 * {@code event_persist_closure}). Adding with a timeout while already pending replaces the
 * timeout; {@code add()} without one leaves an existing timeout alone, as {@code event_add(ev, NULL)}.
 *
 * <p>Invariant: {@code registration != null} iff the I/O interest is inserted; {@code signalAdded}
 * iff registered with the signal dispatcher; {@code heapIndex >= 0} xor {@code timerQueue != null}
 * iff a timer is armed; {@code active} iff linked in the base's active queues, with {@code
 * activeRes != 0}. All of it is touched only by the owning base's loop thread, except
 * {@code remoteRes}, which foreign threads OR into and the loop thread takes.
 *
 * <p>Threading: every method except {@link #activate(int)} must be called on the base's loop
 * thread and throws {@link IllegalStateException} otherwise.
 */
public final class Event extends TimerNode {
    /** The timeout fired; never needed in the flags passed at creation. */
    public static final int EV_TIMEOUT = 0x01;
    /** The channel is readable (or, for a server socket, acceptable). */
    public static final int EV_READ = 0x02;
    /** The channel is writable (or a pending connect finished). */
    public static final int EV_WRITE = 0x04;
    /** A POSIX signal arrived (through {@code sun.misc.Signal}, delivered on the loop thread). */
    public static final int EV_SIGNAL = 0x08;
    /** Stay pending after firing. */
    public static final int EV_PERSIST = 0x10;
    /** Edge-triggered: not expressible with java.nio (level-triggered only); rejected. */
    public static final int EV_ET = 0x20;
    /** libevent's finalize flag: meaningless without cross-thread event_del; rejected. */
    public static final int EV_FINALIZE = 0x40;
    /** Early close detection (EPOLLRDHUP): no Selector equivalent (a read returns -1); rejected. */
    public static final int EV_CLOSED = 0x80;

    private static final int SUPPORTED = EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_PERSIST;

    private static final VarHandle REMOTE_RES;

    static {
        try {
            REMOTE_RES = MethodHandles.lookup().findVarHandle(Event.class, "remoteRes", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    EventBase base;
    SelectableChannel channel;
    String signal;
    int events;
    EventCallback callback;
    int priority;

    /** I/O: the per-channel registration while inserted, and our slot in it. */
    ChannelRegistration registration;
    int regIndex = -1;
    boolean signalAdded;

    /** Timer: the duration a persistent event re-arms with (-1: none) and its common queue. */
    long ioTimeoutNanos = -1;
    CommonTimeout persistQueue;
    /** The common queue the armed timer sits in, or null (heap or no timer). */
    CommonTimeout timerQueue;
    Event commonPrev;
    Event commonNext;

    /** Active-queue state. */
    boolean active;
    int activePriority;
    int activeRes;
    Event activePrev;
    Event activeNext;

    /** Result bits OR-ed in by foreign threads; non-zero while the event sits in the inbox. */
    @SuppressWarnings("unused")
    private volatile int remoteRes;

    /** An uninitialized event, to be {@link #assign}ed (a {@code struct event} on the stack). */
    public Event() {
    }

    /**
     * {@code event_new(base, fd, events, cb, arg)}. {@code channel} may be null for a pure
     * timer or an event that is only ever activated by hand. The event is initialized, not yet
     * added; call {@link #add()} or {@link #add(Duration)}.
     *
     * @param base the base whose loop will run the callback; the caller must be on its loop
     *     thread
     * @param channel the channel to watch for EV_READ/EV_WRITE; null for none
     * @param events {@link #EV_READ}, {@link #EV_WRITE} and {@link #EV_PERSIST} or-ed; 0 for a
     *     timer
     * @param callback called on the loop thread with the event and the flags that fired
     * @throws IllegalArgumentException if {@code events} has EV_SIGNAL, EV_ET, EV_CLOSED or
     *     EV_FINALIZE
     * @throws IllegalStateException if called off {@code base}'s loop thread
     */
    public Event(EventBase base, SelectableChannel channel, int events, EventCallback callback) {
        assign(base, channel, events, callback);
    }

    /**
     * {@code evtimer_new(base, cb, arg)}: a timeout-only event, not persistent; arm it with
     * {@link #add(Duration)}.
     *
     * @param base the base whose loop will run the callback; the caller must be on its loop
     *     thread
     * @param callback called with {@link #EV_TIMEOUT} when the timer fires
     * @return the new event, initialized but not added
     */
    public static Event timer(EventBase base, EventCallback callback) {
        return new Event(base, null, 0, callback);
    }

    /** {@link EventBase#once}'s event, made and added (or activated, for a timeout of zero). */
    static void once(EventBase base, SelectableChannel channel, int events, EventCallback cb, Duration timeout) {
        Objects.requireNonNull(cb, "cb");
        if ((events & (EV_SIGNAL | EV_PERSIST)) != 0) {
            throw new IllegalArgumentException("once does not take EV_SIGNAL or EV_PERSIST");
        }
        if (events == EV_TIMEOUT) {
            Event ev = new Event(base, null, 0, cb);
            if (timeout == null || timeout.isZero()) {
                base.activateLocal(ev, EV_TIMEOUT);
            } else {
                ev.add(timeout);
            }
        } else if ((events & (EV_READ | EV_WRITE)) != 0) {
            new Event(base, channel, events & (EV_READ | EV_WRITE), cb).add(timeout);
        } else {
            throw new IllegalArgumentException("once needs EV_TIMEOUT, EV_READ or EV_WRITE: 0x" + Integer.toHexString(events));
        }
    }

    /**
     * {@code evsignal_new(base, signum, cb, arg)}: {@code EV_SIGNAL | EV_PERSIST} on e.g. "HUP".
     * The signal handler is installed when the event is added.
     *
     * @param base the base whose loop will run the callback; the caller must be on its loop
     *     thread
     * @param signal the signal's name without "SIG", as {@code sun.misc.Signal} takes it
     * @param callback called on the loop thread with {@link #EV_SIGNAL} each time it arrives
     * @return the new event, initialized but not added
     */
    public static Event signal(EventBase base, String signal, EventCallback callback) {
        Event ev = new Event();
        ev.assignSignal(base, signal, EV_SIGNAL | EV_PERSIST, callback);
        return ev;
    }

    /**
     * {@code event_assign}: (re)initialize an event that is not pending and not active. Its
     * priority becomes the base's default ({@code npriorities / 2}), as in libevent.
     *
     * @param base the base whose loop will run the callback; the caller must be on its loop
     *     thread
     * @param channel the channel to watch for EV_READ/EV_WRITE; null for none
     * @param events {@link #EV_READ}, {@link #EV_WRITE} and {@link #EV_PERSIST} or-ed; 0 for a
     *     timer
     * @param callback called on the loop thread with the event and the flags that fired
     * @return this event
     * @throws IllegalArgumentException if {@code events} has EV_SIGNAL, EV_ET, EV_CLOSED or
     *     EV_FINALIZE
     * @throws IllegalStateException if the event is pending or active, or the caller is off the
     *     loop thread
     */
    public Event assign(EventBase base, SelectableChannel channel, int events, EventCallback callback) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(callback, "callback");
        base.checkInLoopThread();
        if ((events & ~SUPPORTED) != 0) {
            throw new IllegalArgumentException("unsupported event flags 0x" + Integer.toHexString(events & ~SUPPORTED)
                    + " (EV_ET, EV_CLOSED and EV_FINALIZE have no java.nio equivalent)");
        }
        if ((events & EV_SIGNAL) != 0) {
            throw new IllegalArgumentException("EV_SIGNAL needs a signal name: use assignSignal or Event.signal");
        }
        return init(base, channel, null, events, callback);
    }

    /**
     * {@code evsignal_assign}: (re)initialize a not pending, not active event as a signal event.
     *
     * @param base the base whose loop will run the callback; the caller must be on its loop
     *     thread
     * @param signal the signal's name without "SIG", e.g. "HUP"
     * @param events {@link #EV_SIGNAL}, optionally or-ed with {@link #EV_PERSIST}
     * @param callback called on the loop thread with {@link #EV_SIGNAL} when it arrives
     * @return this event
     * @throws IllegalArgumentException if {@code events} lacks EV_SIGNAL or has anything but
     *     EV_PERSIST besides
     * @throws IllegalStateException if the event is pending or active, or the caller is off the
     *     loop thread
     */
    public Event assignSignal(EventBase base, String signal, int events, EventCallback callback) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(callback, "callback");
        base.checkInLoopThread();
        if ((events & ~SUPPORTED) != 0 || (events & EV_SIGNAL) == 0 || (events & (EV_READ | EV_WRITE)) != 0) {
            throw new IllegalArgumentException("a signal event takes EV_SIGNAL [| EV_PERSIST] only: 0x"
                    + Integer.toHexString(events));
        }
        return init(base, null, signal, events, callback);
    }

    /** The common part of assign and assignSignal, once the arguments are checked. */
    private Event init(EventBase base, SelectableChannel channel, String signal, int events, EventCallback callback) {
        checkReassignable();
        this.base = base;
        this.channel = channel;
        this.signal = signal;
        this.events = events;
        this.callback = callback;
        this.priority = base.defaultPriority();
        this.ioTimeoutNanos = -1;
        this.persistQueue = null;
        return this;
    }

    private void checkReassignable() {
        if (base != null) {
            base.checkInLoopThread();
            if (isPendingOrActive()) {
                // libevent's bad_assign: reassigning an added event corrupts the base.
                throw new IllegalStateException("cannot assign an event that is pending or active: " + this);
            }
        }
    }

    /**
     * {@code event_add(ev, NULL)}: insert the I/O or signal interest; an armed timer stays.
     *
     * @throws IllegalStateException if the event is not initialized, its base was freed, the
     *     caller is off the loop thread or inside {@link EventBase#foreachEvent}, or it wants
     *     EV_READ/EV_WRITE without a channel
     * @throws IllegalArgumentException if a signal event names a signal that does not exist or
     *     that the JVM reserves
     */
    public void add() {
        base().addEvent(this, -2, null);
    }

    /**
     * {@code event_add(ev, tv)}: insert, and (re)arm the timer {@code timeout} from now.
     *
     * @param timeout how long from now the timer fires with {@link #EV_TIMEOUT}; zero fires in
     *     the next turn; null is {@link #add()} (the timer is left as it is)
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException as for {@link #add()}
     */
    public void add(Duration timeout) {
        if (timeout == null) {
            add();
            return;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        base().addEvent(this, EventTimers.toNanos(timeout), null);
    }

    /**
     * {@code event_add(ev, common_timeout)}: arm the timer in a shared-duration queue, O(1).
     *
     * @param timeout a queue from this event's base's {@link EventBase#initCommonTimeout}
     * @throws IllegalArgumentException if the queue belongs to another base
     * @throws IllegalStateException as for {@link #add()}
     */
    public void add(CommonTimeout timeout) {
        Objects.requireNonNull(timeout, "timeout");
        EventBase b = base();
        if (timeout.base != b) {
            throw new IllegalArgumentException("common timeout belongs to another base");
        }
        b.addEvent(this, timeout.durationNanos, timeout);
    }

    /** {@code event_del}: not pending, not active. Safe inside the event's own callback. */
    public void del() {
        base().delEvent(this);
    }

    /** {@code event_remove_timer}: drop the timeout, keep the I/O interest. */
    public void removeTimer() {
        base().removeTimerOf(this);
    }

    /**
     * {@code event_active(ev, res, ncalls)} from any thread. On the loop thread the event joins
     * its priority's active queue now (or OR-s {@code res} into an activation already queued);
     * from another thread it is handed over through the base's lock-free inbox, without
     * allocating, and the loop is woken if it sleeps. On a freed base it does nothing.
     *
     * @param res the flags the callback receives ({@link #EV_READ}, {@link #EV_WRITE},
     *     {@link #EV_TIMEOUT}, {@link #EV_SIGNAL} or any other bits), or-ed
     * @throws IllegalStateException if the event is not initialized
     */
    public void activate(int res) {
        EventBase b = base;
        if (b == null) {
            throw new IllegalStateException("event not initialized");
        }
        if (b.isInLoopThread()) {
            b.activateLocal(this, res);
        } else {
            b.activateRemote(this, res);
        }
    }

    /**
     * {@code event_active(ev, res, ncalls)}: {@link #activate(int)}; {@code ncalls} is ignored,
     * as libevent does for non-signals.
     *
     * @param res the flags the callback receives, or-ed
     * @param ncalls ignored
     * @throws IllegalStateException if the event is not initialized
     */
    public void active(int res, int ncalls) {
        activate(res);
    }

    /**
     * {@code event_pending(ev, what, NULL)}: which of {@code what}'s EV_READ/EV_WRITE/EV_SIGNAL/
     * EV_TIMEOUT the event is pending or active for. Loop thread only.
     *
     * @param what the flags to ask about, or-ed
     * @return the subset of {@code what} the event is pending or active for; 0 for none
     * @throws IllegalStateException if the event is not initialized or the caller is off the
     *     loop thread
     */
    public int pending(int what) {
        base().checkInLoopThread();
        int flags = 0;
        if (registration != null || signalAdded) {
            flags |= events & (EV_READ | EV_WRITE | EV_SIGNAL);
        }
        if (active) {
            flags |= activeRes;
        }
        if (hasTimer()) {
            flags |= EV_TIMEOUT;
        }
        return flags & what & (EV_READ | EV_WRITE | EV_SIGNAL | EV_TIMEOUT);
    }

    /**
     * The {@code tv} out-parameter of {@code event_pending}: the armed timer's deadline on the
     * base's monotonic clock ({@link EventBase#gettimeMonotonic()}), or empty. Loop thread only.
     *
     * @return the deadline in nanoseconds, or empty when no timer is armed
     */
    public OptionalLong pendingDeadlineNanos() {
        base().checkInLoopThread();
        return hasTimer() ? OptionalLong.of(deadline) : OptionalLong.empty();
    }

    /**
     * {@code event_priority_set}: only while not active; 0 is the most urgent.
     *
     * @param pri the priority, from 0 to the base's {@link EventBase#getNpriorities()} - 1
     * @throws IllegalArgumentException if {@code pri} is out of range
     * @throws IllegalStateException if the event is active or not initialized, or the caller is
     *     off the loop thread
     */
    public void prioritySet(int pri) {
        EventBase b = base();
        b.checkInLoopThread();
        if (active) {
            throw new IllegalStateException("cannot change the priority of an active event");
        }
        if (pri < 0 || pri >= b.getNpriorities()) {
            throw new IllegalArgumentException("priority " + pri + " not in 0.." + (b.getNpriorities() - 1));
        }
        this.priority = pri;
    }

    /** {@return the event's priority, 0 being the most urgent} ({@code event_get_priority}) */
    public int getPriority() {
        return priority;
    }

    /** {@return true once the event has a base} ({@code event_initialized}) */
    public boolean isInitialized() {
        return base != null;
    }

    /** {@return the base the event was assigned to, or null before that} ({@code event_get_base}) */
    public EventBase getBase() {
        return base;
    }

    /** {@return the channel, or null for timers and signals} ({@code event_get_fd}) */
    public SelectableChannel getChannel() {
        return channel;
    }

    /** {@return the signal name, or null for a non-signal event} ({@code event_get_signal}) */
    public String getSignal() {
        return signal;
    }

    /** {@return the flags the event was assigned with} ({@code event_get_events}) */
    public int getEvents() {
        return events;
    }

    /** {@return the callback the event was assigned with} ({@code event_get_callback}) */
    public EventCallback getCallback() {
        return callback;
    }

    /** {@code event_free}: deletes it; a freed event may be re-{@link #assign}ed. */
    public void free() {
        if (base != null) {
            base.delEvent(this);
        }
    }

    boolean hasTimer() {
        return heapIndex >= 0 || timerQueue != null;
    }

    boolean isPendingOrActive() {
        return registration != null || signalAdded || hasTimer() || active;
    }

    private EventBase base() {
        EventBase b = base;
        if (b == null) {
            throw new IllegalStateException("event not initialized: assign it first");
        }
        return b;
    }

    /** Foreign thread: OR res in; true if the caller must enqueue the event (first bits). */
    boolean orRemote(int res) {
        return ((int) REMOTE_RES.getAndBitwiseOr(this, res)) == 0;
    }

    /** Loop thread: take the bits foreign threads left. */
    int takeRemote() {
        return (int) REMOTE_RES.getAndSet(this, 0);
    }

    /** Human-readable flags, e.g. "READ|PERSIST". */
    static String flagsToString(int f) {
        StringBuilder sb = new StringBuilder();
        if ((f & EV_TIMEOUT) != 0) {
            sb.append("TIMEOUT|");
        }
        if ((f & EV_READ) != 0) {
            sb.append("READ|");
        }
        if ((f & EV_WRITE) != 0) {
            sb.append("WRITE|");
        }
        if ((f & EV_SIGNAL) != 0) {
            sb.append("SIGNAL|");
        }
        if ((f & EV_PERSIST) != 0) {
            sb.append("PERSIST|");
        }
        if (sb.length() == 0) {
            return "0";
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Event[");
        if (channel != null) {
            sb.append(channel);
        } else if (signal != null) {
            sb.append("SIG").append(signal);
        } else {
            sb.append("no channel");
        }
        sb.append(", ").append(flagsToString(events)).append(", prio=").append(priority);
        if (callback != null) {
            sb.append(", cb=").append(callback.getClass().getName());
        }
        return sb.append(']').toString();
    }
}
