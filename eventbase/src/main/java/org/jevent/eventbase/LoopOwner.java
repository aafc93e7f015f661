package org.jevent.eventbase;

/**
 * The thread a base belongs to, whether that thread is inside the base's loop, and the check
 * every loop-thread-only method makes.
 *
 * <p>Invariant: {@code thread} is the creating thread until a loop is entered, then the thread
 * that entered it last (a base may be built on one thread and run on another); it changes
 * otherwise only when the owner has terminated outside the loop, and then to the first thread
 * that touches the base (to inspect or free it), never displacing a live owner. {@code running}
 * is written by the owner alone; another thread reads it only after seeing the owner terminated,
 * which orders the owner's last write before the read.
 */
final class LoopOwner {
    private volatile Thread thread = Thread.currentThread();
    private boolean running;

    Thread thread() {
        return thread;
    }

    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    /** True while the owner is inside {@code loop}. Owner thread only. */
    boolean isRunning() {
        return running;
    }

    /** On loop entry: the calling thread owns the base from now on. */
    void enterLoop() {
        thread = Thread.currentThread();
        running = true;
    }

    void leaveLoop() {
        running = false;
    }

    /** Throws {@link IllegalStateException} naming the owner unless called on it (or it died). */
    void check() {
        Thread o = thread;
        Thread me = Thread.currentThread();
        if (me != o && !adoptIfDead(o, me)) {
            throw new IllegalStateException("EventBase is owned by thread \"" + o.getName()
                    + "\"; called from thread \"" + me.getName()
                    + "\" (use execute(Runnable) to hop onto the loop thread)");
        }
    }

    private synchronized boolean adoptIfDead(Thread o, Thread me) {
        if (thread == o && !o.isAlive() && !running) {
            thread = me;
            return true;
        }
        return thread == me;
    }
}
