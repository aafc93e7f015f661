package org.jevent.bufferevent;

/**
 * Which directions of one bufferevent run: what the user enabled ({@code bufferevent_enable} /
 * {@code _disable}) and why each direction is paused (libevent's suspend flags: a watermark, a
 * rate limit, a name lookup, a layer above that does not want bytes). It tells the transport to
 * start or stop as the answer changes, and the timeouts to follow.
 *
 * <p>Invariant: a direction runs exactly while it is enabled, no reason pauses it, and the
 * bufferevent is not freed; the transport was last told to start a direction exactly when it
 * began to run, and to stop it when it ceased to.
 */
final class Directions {
    private final Bufferevent bev;
    /** EV_READ and/or EV_WRITE, as the user asked; a new bufferevent writes and does not read. */
    int enabled = Bufferevent.EV_WRITE;
    /** The SUSPEND_* reasons pausing reading; 0 when none. */
    int readSuspended;
    /** The SUSPEND_* reasons pausing writing; 0 when none. */
    int writeSuspended;

    Directions(Bufferevent bev) {
        this.bev = bev;
    }

    boolean readingActive() {
        return !bev.freed && (enabled & Bufferevent.EV_READ) != 0 && readSuspended == 0;
    }

    boolean writingActive() {
        return !bev.freed && (enabled & Bufferevent.EV_WRITE) != 0 && writeSuspended == 0;
    }

    /** The user wants {@code events} (the caller checked thread and liveness). */
    void enable(int events) {
        enabled |= events;
        if ((events & Bufferevent.EV_READ) != 0 && readSuspended == 0) {
            bev.startReading();
        }
        if ((events & Bufferevent.EV_WRITE) != 0 && writeSuspended == 0) {
            bev.startWriting();
        }
        bev.timeouts.adjust();
    }

    /** The user no longer wants {@code events}. */
    void disable(int events) {
        enabled &= ~events;
        if ((events & Bufferevent.EV_READ) != 0) {
            bev.stopReading();
        }
        if ((events & Bufferevent.EV_WRITE) != 0) {
            bev.stopWriting();
        }
        bev.timeouts.adjust();
    }

    void suspendRead(int reason) {
        boolean was = readSuspended == 0;
        readSuspended |= reason;
        if (was && !bev.freed) {
            bev.stopReading();
            bev.timeouts.adjust();
        }
    }

    void unsuspendRead(int reason) {
        int before = readSuspended;
        readSuspended &= ~reason;
        if (before != 0 && readSuspended == 0 && !bev.freed && (enabled & Bufferevent.EV_READ) != 0) {
            bev.startReading();
            bev.timeouts.adjust();
        }
    }

    void suspendWrite(int reason) {
        boolean was = writeSuspended == 0;
        writeSuspended |= reason;
        if (was && !bev.freed) {
            bev.stopWriting();
            bev.timeouts.adjust();
        }
    }

    void unsuspendWrite(int reason) {
        int before = writeSuspended;
        writeSuspended &= ~reason;
        if (before != 0 && writeSuspended == 0 && !bev.freed && (enabled & Bufferevent.EV_WRITE) != 0) {
            bev.startWriting();
            bev.timeouts.adjust();
        }
    }

    @Override
    public String toString() {
        return "enabled=" + enabled + (readSuspended != 0 ? ", read suspended 0x" + Integer.toHexString(readSuspended) : "")
                + (writeSuspended != 0 ? ", write suspended 0x" + Integer.toHexString(writeSuspended) : "");
    }
}
