package org.jevent.eventbase;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One base's side of the loop-stall detector, and the base's record of what callback runs now
 * ({@code event_base_get_running_event} reads it too): published so that the shared
 * {@link StallWatchdog} thread can notice a callback that holds the loop too long.
 *
 * <p>Hot-path cost per callback, paid whether the detector watches this base or not (so that
 * turning it on changes no timing): {@link #enter} stores the running object (the one reference
 * store the loop made before the detector existed, for {@code getRunningEvent}) and a release
 * store of a {@code long}; {@link #exit} one release store of a {@code long}. On x86 both release
 * stores and the store-store fence are plain moves; no clock is read (the watchdog measures with
 * its own ticks), and no reference is stored at exit (a G1 reference store has barriers).
 * With the hooks compiled out ({@code -Djevent.jfr=false}, {@link JfrHooks#ON}) the watch is
 * never handed to the watchdog and keeps only what {@code getRunningEvent} needs, as the loop did
 * before the detector: {@code running} set at enter and cleared at exit, {@code seq} untouched.
 *
 * <p>Invariant (hooks on): {@code seq} is odd exactly while a callback of this base is on the
 * loop thread's stack, and grows by one at each enter and each exit, so an odd value names one run;
 * {@code running} is the object of the last run entered. The store-store fence in {@link #enter}
 * keeps a new {@code running} from becoming visible before the previous exit's {@code seq}: so a
 * watchdog that reads {@code seq} (acquire), then {@code running}, then {@code seq} again and sees
 * the same odd value has read that run's object (a seqlock read). The fields marked "watchdog" are
 * touched by the watchdog thread only.
 */
final class StallWatch {
    private static final VarHandle RUNNING;
    private static final VarHandle SEQ;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RUNNING = l.findVarHandle(StallWatch.class, "running", Object.class);
            SEQ = l.findVarHandle(StallWatch.class, "seq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final Logger LOG = LoggerFactory.getLogger(StallWatchdog.class);

    final EventBase base;
    final LoopOwner owner;
    /** How long a callback may hold the loop before it is reported, in nanoseconds; 0: not watched. */
    final long thresholdNanos;
    /** The loop's running totals, listed with the watch for the JFR statistics. */
    final LoopStats stats = new LoopStats();
    /** Where reports are logged (to stderr when SLF4J has no binding); replaced by tests. */
    Logger log = LOG;
    private long seq;
    private Object running;

    /** Watchdog: the odd seq last seen, since when, and whether that run was reported. */
    long seenSeq;
    long seenSinceNanos;
    boolean reported;

    StallWatch(EventBase base, LoopOwner owner, long thresholdNanos) {
        this.base = base;
        this.owner = owner;
        this.thresholdNanos = thresholdNanos;
    }

    /** On a new base: listed for the watchdog and the JFR statistics, unless the hooks are compiled out. */
    void open() {
        if (JfrHooks.ON) {
            StallWatchdog.INSTANCE.register(this);
        }
    }

    /** On free: leaves the watchdog's list and the JFR statistics. */
    void close() {
        if (JfrHooks.ON) {
            StallWatchdog.INSTANCE.unregister(this);
        }
        stats.closed = true;
    }

    /** Loop thread: {@code what} (an Event, a task, a DeferredCallback) starts running. */
    void enter(Object what) {
        if (!JfrHooks.ON) {
            running = what;
            return;
        }
        VarHandle.storeStoreFence();
        running = what;
        SEQ.setRelease(this, seq + 1);
    }

    /** Loop thread: the callback returned or threw. */
    void exit() {
        if (!JfrHooks.ON) {
            running = null;
            return;
        }
        SEQ.setRelease(this, seq + 1);
    }

    /** Loop thread: the event whose callback runs now, or null (no callback, or a task runs). */
    Event runningEvent() {
        boolean inCallback = !JfrHooks.ON || (seq & 1) != 0;
        return inCallback && running instanceof Event ? (Event) running : null;
    }

    /** Watchdog: the run counter; odd while a callback runs. */
    long seqAcquire() {
        return (long) SEQ.getAcquire(this);
    }

    /** Watchdog: the object of the last run entered; valid for a run only if seq is unchanged after. */
    Object runningRacy() {
        return RUNNING.getOpaque(this);
    }
}
