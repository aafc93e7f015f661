package org.jevent.evbuffer;

import java.util.Arrays;
import java.util.concurrent.Executor;

/**
 * The callbacks of one buffer and what changed since they last ran: libevent's callback list
 * with its {@code n_add_for_cb}/{@code n_del_for_cb} counters and deferred delivery.
 *
 * <p>Invariant: {@code nAdded}/{@code nDeleted} count the bytes added and removed since the
 * last delivery, so {@code origSize = length + nDeleted - nAdded}. The newest entry runs first
 * (libevent inserts at the head). A removed entry keeps its {@code next}, so that a delivery in
 * progress walks on past it: a callback may remove itself (or any other) while running. Each
 * nesting level of delivery on a thread has its own report ({@link Reports}), so a callback that
 * changes a buffer sees its own report and the outer one is not overwritten.
 *
 * <p>What one list keeps is what a buffer with one undeferred callback needs (a bufferevent's
 * output: 40 bytes with the buffer's subclass): the reports belong to the thread, the state of
 * deferred delivery to a {@link Deferral} made by {@link #deferTo}.
 *
 * <p>The buffer subclasses it with the two things only the buffer knows (its length and itself,
 * which the callbacks receive) and the thread's reports, so that this class never refers to the
 * public buffer.
 */
abstract class CallbackList {
    private CallbackEntry head;
    private long nAdded;
    private long nDeleted;
    /** Null until the buffer's callbacks are deferred. */
    private Deferral deferral;

    /** The buffer's length now, from which a report's {@code origSize} is worked out. */
    abstract long length();

    /** Calls {@code callback} with the buffer it is registered on. */
    abstract void deliver(EvBufferCallback callback, EvBufferCbInfo info);

    /** The calling thread's reports. */
    abstract Reports reports();

    CallbackEntry add(EvBufferCallback callback) {
        CallbackEntry e = new CallbackEntry(callback, CallbackEntry.ENABLED);
        e.next = head;
        head = e;
        return e;
    }

    boolean remove(CallbackEntry entry) {
        CallbackEntry prev = null;
        for (CallbackEntry e = head; e != null; prev = e, e = e.next) {
            if (e == entry) {
                if (prev == null) {
                    head = e.next;
                } else {
                    prev.next = e.next;
                }
                e.markRemoved();
                return true;
            }
        }
        return false;
    }

    /** The newest entry for {@code callback}, or null. */
    CallbackEntry find(EvBufferCallback callback) {
        for (CallbackEntry e = head; e != null; e = e.next) {
            if (e.callback == callback) {
                return e;
            }
        }
        return null;
    }

    void clear() {
        for (CallbackEntry e = head; e != null; e = e.next) {
            e.markRemoved();
        }
        head = null;
    }

    void deferTo(Executor executor) {
        if (deferral == null) {
            deferral = new Deferral(this);
        }
        deferral.executor = executor;
    }

    void added(long n) {
        nAdded += n;
        invoke();
    }

    void deleted(long n) {
        nDeleted += n;
        invoke();
    }

    /**
     * Counts a change without running anything yet, for a move between two buffers that counts
     * on both before either's callbacks run (libevent's {@code n_add_for_cb += len} on both).
     */
    void count(long added, long deleted) {
        nAdded += added;
        nDeleted += deleted;
    }

    /** Runs (or schedules) the callbacks for what was counted since they last ran. */
    void invoke() {
        Deferral d = deferral;
        if (d != null) {
            if (head != null && !d.pending && (nAdded | nDeleted) != 0) {
                d.pending = true;
                d.executor.execute(d);
            }
            // NODEFER entries run now and see the running total; the counters are kept for the
            // deferred delivery, as libevent's evbuffer_run_callbacks does.
            run(CallbackEntry.NODEFER, CallbackEntry.NODEFER, false);
        } else {
            run(0, 0, true);
        }
    }

    /** Runs the enabled entries whose {@code flags & mask == value}. */
    private void run(int mask, int value, boolean clear) {
        if (head == null) {
            nAdded = 0;
            nDeleted = 0;
            return;
        }
        if (nAdded == 0 && nDeleted == 0) {
            return;
        }
        Reports reports = reports();
        EvBufferCbInfo info = reports.enter();
        try {
            info.origSize = length() + nDeleted - nAdded;
            info.nAdded = nAdded;
            info.nDeleted = nDeleted;
            if (clear) {
                nAdded = 0;
                nDeleted = 0;
            }
            for (CallbackEntry e = head; e != null; e = e.next) {
                int f = e.flags;
                if ((f & (CallbackEntry.REMOVED | CallbackEntry.ENABLED)) == CallbackEntry.ENABLED
                        && (f & mask) == value) {
                    deliver(e.callback, info);
                }
            }
        } finally {
            reports.exit();
        }
    }

    /** A deferred delivery: scheduled at most once at a time, through the buffer's executor. */
    private static final class Deferral implements Runnable {
        private final CallbackList list;
        Executor executor;
        boolean pending;

        Deferral(CallbackList list) {
            this.list = list;
        }

        @Override
        public void run() {
            pending = false;
            list.run(CallbackEntry.NODEFER, 0, true);
        }

        @Override
        public String toString() {
            return "deferred evbuffer callbacks";
        }
    }

    /**
     * One thread's reports to callbacks, one per nesting level of delivery across every buffer
     * of the thread: a delivery takes the next one and gives it back when its callbacks have run.
     * Kept per thread rather than per buffer, since a buffer's callbacks only ever run on the
     * thread that changed it, and a report is only read during its callback.
     *
     * <p>Invariant: {@code infos[0..depth)} are the reports of the deliveries now on this
     * thread's stack, outermost first.
     */
    static final class Reports {
        private EvBufferCbInfo[] infos = new EvBufferCbInfo[4];
        private int depth;

        EvBufferCbInfo enter() {
            if (depth == infos.length) {
                infos = Arrays.copyOf(infos, depth * 2);
            }
            EvBufferCbInfo info = infos[depth];
            if (info == null) {
                info = infos[depth] = new EvBufferCbInfo();
            }
            depth++;
            return info;
        }

        void exit() {
            depth--;
        }
    }
}
