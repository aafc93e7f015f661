package org.jevent.evbuffer;

/**
 * A callback registered on a buffer: the twin of {@code struct evbuffer_cb_entry}, returned by
 * the buffer's {@code addCallback} and accepted by its {@code removeCallbackEntry}, {@code callbackSetFlags}
 * and {@code callbackClearFlags}.
 *
 * <p>Invariant: {@code flags} holds the caller's flags and, once the entry left its list, the
 * internal {@link #REMOVED} bit, which callers neither see nor set (libevent keeps its internal
 * flags out of {@code evbuffer_cb_set_flags} the same way); a removed entry keeps {@code next}.
 */
public final class CallbackEntry {
    /** The entry runs; the value of the buffer's public {@code EVBUFFER_CB_ENABLED}. */
    static final int ENABLED = 1;
    /** The entry runs at once even when the buffer defers; the public {@code EVBUFFER_CB_NODEFER}. */
    static final int NODEFER = 2;
    /** Internal: the entry left its list (a bit rather than a field: an entry is 24 bytes, not 32). */
    static final int REMOVED = 1 << 30;

    final EvBufferCallback callback;
    int flags;
    CallbackEntry next;

    CallbackEntry(EvBufferCallback callback, int flags) {
        this.callback = callback;
        this.flags = flags;
    }

    /** {@return the callback this entry runs, as given to the buffer's {@code addCallback}} */
    public EvBufferCallback callback() {
        return callback;
    }

    /**
     * {@return the entry's current flags} A combination of the buffer's
     * {@code EVBUFFER_CB_ENABLED} and {@code EVBUFFER_CB_NODEFER}.
     */
    public int flags() {
        return flags & ~REMOVED;
    }

    /** Sets caller flags; the internal bit cannot be set or cleared this way. */
    void setFlags(int f) {
        flags |= f & ~REMOVED;
    }

    void clearFlags(int f) {
        flags &= ~(f & ~REMOVED);
    }

    boolean isRemoved() {
        return (flags & REMOVED) != 0;
    }

    void markRemoved() {
        flags |= REMOVED;
    }
}
