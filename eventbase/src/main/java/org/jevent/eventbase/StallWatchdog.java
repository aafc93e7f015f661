package org.jevent.eventbase;

import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The loop-stall detector: one daemon thread for all the bases of the JVM that notices a callback
 * holding its loop longer than the base's threshold and reports it once per stall, with the loop
 * thread's stack at the moment it was seen stalled, through the log (WARN) and a JFR
 * {@code org.jevent.LoopStall} event. On the side, it notices when JFR starts and then registers
 * jevent's event types ({@link LoopEvents#tick()}), so that a JVM without JFR pays nothing for them.
 *
 * <p>Why one shared thread rather than one per base: a server runs one base per core, and a
 * watchdog per base would double the threads for a job that takes microseconds per tick; the
 * work per tick is a few reads per base, so one thread scans hundreds of bases without effort,
 * and a stuck loop never delays the watch of another (the watchdog never waits on a loop).
 *
 * <p>How: every tick (a quarter of the smallest threshold of a live base, at least 1 ms, at most
 * 1 s) it reads each watched base's {@link StallWatch}. A run (one odd sequence number) seen on
 * consecutive ticks for at least the threshold is a stall; the stack is taken and kept
 * only if that same run is still on the loop afterwards. So a callback is reported after it has
 * held the loop for between the threshold and the threshold plus a tick, and never when it ran
 * shorter. A stop of the whole JVM (a long GC pause) while a callback runs looks the same and is
 * reported the same: the detector cannot tell them apart.
 *
 * <p>Invariant: {@code watches} holds a weak reference to the watch of every base made and not
 * freed (a base dropped without {@code free} is collected and its entry pruned); a watch with
 * threshold 0 is only listed (for the JFR statistics), never checked; {@code tickNanos} follows
 * the smallest threshold listed. The thread exists from the first base on and waits, without
 * ticking, while no base is alive. Guarded by {@code this}.
 */
final class StallWatchdog implements Runnable {
    static final StallWatchdog INSTANCE = new StallWatchdog();
    private static final long MIN_TICK_NANOS = 1_000_000L;
    private static final long MAX_TICK_NANOS = 1_000_000_000L;

    private final List<WeakReference<StallWatch>> watches = new ArrayList<>();
    private final List<StallWatch> scan = new ArrayList<>();
    private long tickNanos = MAX_TICK_NANOS;
    private Thread thread;
    private volatile long ticks;

    private StallWatchdog() {
    }

    /** Every new base: listed for the JFR statistics, and watched when its threshold is not 0. */
    synchronized void register(StallWatch w) {
        watches.add(new WeakReference<>(w));
        retick();
        if (thread == null) {
            thread = new Thread(this, "jevent-stall-watchdog");
            thread.setDaemon(true);
            thread.start();
        }
        notifyAll();
    }

    synchronized void unregister(StallWatch w) {
        watches.removeIf(r -> r.get() == null || r.get() == w);
        retick();
    }

    private void retick() {
        long t = MAX_TICK_NANOS;
        for (WeakReference<StallWatch> r : watches) {
            StallWatch w = r.get();
            if (w != null && w.thresholdNanos > 0) {
                t = Math.min(t, Math.max(MIN_TICK_NANOS, w.thresholdNanos / 4));
            }
        }
        tickNanos = t;
    }

    /** The live bases' watches, for the JFR statistics. */
    synchronized List<StallWatch> snapshot() {
        List<StallWatch> list = new ArrayList<>(watches.size());
        for (WeakReference<StallWatch> r : watches) {
            StallWatch w = r.get();
            if (w != null) {
                list.add(w);
            }
        }
        return list;
    }

    /** Ticks run so far; tests wait on it to know the watchdog has looked. */
    long ticks() {
        return ticks;
    }

    synchronized long tickNanos() {
        return tickNanos;
    }

    synchronized boolean isRegistered(StallWatch w) {
        for (WeakReference<StallWatch> r : watches) {
            if (r.get() == w) {
                return true;
            }
        }
        return false;
    }

    /** The thread's life: it never ends (an interrupt is ignored, a failure skips one look). */
    @Override
    public void run() {
        while (true) {
            long tick;
            synchronized (this) {
                while (watches.isEmpty()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // ours, and needed by every base to come: go on
                    }
                }
                scan.clear();
                for (int i = watches.size() - 1; i >= 0; i--) {
                    StallWatch w = watches.get(i).get();
                    if (w == null) {
                        watches.remove(i);
                    } else if (w.thresholdNanos > 0) {
                        scan.add(w);
                    }
                }
                tick = tickNanos;
            }
            try {
                LoopEvents.tick();
            } catch (RuntimeException | LinkageError e) {
                // JFR refused the event types: the watch goes on without them
            }
            long now = System.nanoTime();
            for (int i = 0; i < scan.size(); i++) {
                try {
                    look(scan.get(i), now);
                } catch (RuntimeException e) {
                    // one base's report failed (a toString, a logger): the other bases stay watched
                }
            }
            scan.clear();
            ticks++;
            try {
                Thread.sleep(tick / 1_000_000L, (int) (tick % 1_000_000L));
            } catch (InterruptedException e) {
                // see above
            }
        }
    }

    private void look(StallWatch w, long now) {
        long seq = w.seqAcquire();
        if ((seq & 1) == 0 || seq != w.seenSeq) {
            w.seenSeq = seq;
            w.seenSinceNanos = now;
            w.reported = false;
            return;
        }
        long held = now - w.seenSinceNanos;
        if (w.reported || held < w.thresholdNanos) {
            return;
        }
        Thread loopThread = w.owner.thread();
        StackTraceElement[] stack = loopThread.getStackTrace();
        Object running = w.runningRacy();
        VarHandle.acquireFence();
        if (w.seqAcquire() != seq || running == null) {
            return; // it ended while the stack was taken: that stack may show something else
        }
        w.reported = true;
        report(new StallReport(w.base, running, loopThread, held, w.thresholdNanos, stack), w);
    }

    private static void report(StallReport r, StallWatch w) {
        try {
            if (w.log == StallWatch.LOG && LoggingExceptionHook.noSlf4jBinding()) {
                System.err.println("[" + Thread.currentThread().getName() + "] WARN " + StallWatchdog.class.getName()
                        + " - " + r.describe());
            } else {
                w.log.warn(r.describe());
            }
        } catch (RuntimeException e) {
            // a broken logger must not stop the watch of the other loops
        }
        LoopEvents.stall(r);
    }

    /** One stall as seen: what, where, for how long at least, and the loop thread's stack. */
    static final class StallReport {
        final EventBase base;
        final Object running;
        final Thread loopThread;
        final long heldNanos;
        final long thresholdNanos;
        final StackTraceElement[] stack;

        StallReport(EventBase base, Object running, Thread loopThread, long heldNanos, long thresholdNanos,
                StackTraceElement[] stack) {
            this.base = base;
            this.running = running;
            this.loopThread = loopThread;
            this.heldNanos = heldNanos;
            this.thresholdNanos = thresholdNanos;
            this.stack = stack;
        }

        /** The class of the code that runs: the event's callback, the task, the deferred action. */
        String callbackClass() {
            Object code = running;
            if (running instanceof Event) {
                code = ((Event) running).callback;
            } else if (running instanceof DeferredCallback) {
                code = ((DeferredCallback) running).action();
            }
            return code == null ? "?" : code.getClass().getName();
        }

        /**
         * The event (its channel, flags, priority) for an event; class and identity for anything
         * else, whose toString is user code that must not run on the watchdog thread.
         */
        String target() {
            if (running instanceof Event) {
                return running.toString();
            }
            String kind = running instanceof DeferredCallback ? "deferred callback " : "task ";
            return kind + callbackClass() + "@" + Integer.toHexString(System.identityHashCode(running));
        }

        String stackText() {
            StringBuilder sb = new StringBuilder();
            for (StackTraceElement e : stack) {
                sb.append("\tat ").append(e).append('\n');
            }
            return sb.toString();
        }

        String describe() {
            return "loop stall: " + callbackClass() + " has held the loop of " + base + " on thread \""
                    + loopThread.getName() + "\" for " + Duration.ofNanos(heldNanos).toMillis() + " ms (threshold "
                    + Duration.ofNanos(thresholdNanos).toMillis() + " ms), running " + target()
                    + "; the loop thread's stack when seen stalled:\n" + stackText();
        }
    }
}
