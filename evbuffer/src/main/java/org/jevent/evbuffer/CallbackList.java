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
 * nesting level of delivery has its own info object, so a callback that changes the buffer sees
 * its own report and the outer one is not overwritten.
 *
 * <p>The buffer subclasses it with the two things only the buffer knows (its length and itself,
 * which the callbacks receive), so that this class never refers to the public buffer.
 */
abstract class CallbackList {
    private CallbackEntry head;
    private long nAdded;
    private long nDeleted;
    private Executor deferTo;
    private boolean deferredPending;
    private Runnable deferredRun;
    private EvBufferCbInfo[] infos;
    private int depth;

    /** The buffer's length now, from which a report's {@code origSize} is worked out. */
    abstract long length();

    /** Calls {@code callback} with the buffer it is registered on. */
    abstract void deliver(EvBufferCallback callback, EvBufferCbInfo info);

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
                e.removed = true;
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
            e.removed = true;
        }
        head = null;
    }

    void deferTo(Executor executor) {
        this.deferTo = executor;
        if (deferredRun == null) {
            deferredRun = () -> {
                deferredPending = false;
                run(CallbackEntry.NODEFER, 0, true);
            };
        }
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
        if (deferTo != null) {
            if (head != null && !deferredPending && (nAdded | nDeleted) != 0) {
                deferredPending = true;
                deferTo.execute(deferredRun);
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
        EvBufferCbInfo info = nextInfo();
        info.origSize = length() + nDeleted - nAdded;
        info.nAdded = nAdded;
        info.nDeleted = nDeleted;
        if (clear) {
            nAdded = 0;
            nDeleted = 0;
        }
        depth++;
        try {
            for (CallbackEntry e = head; e != null; e = e.next) {
                if (!e.removed && (e.flags & mask) == value && (e.flags & CallbackEntry.ENABLED) != 0) {
                    deliver(e.callback, info);
                }
            }
        } finally {
            depth--;
        }
    }

    private EvBufferCbInfo nextInfo() {
        if (infos == null) {
            infos = new EvBufferCbInfo[2];
        } else if (depth == infos.length) {
            infos = Arrays.copyOf(infos, depth * 2);
        }
        EvBufferCbInfo info = infos[depth];
        if (info == null) {
            info = infos[depth] = new EvBufferCbInfo();
        }
        return info;
    }
}
