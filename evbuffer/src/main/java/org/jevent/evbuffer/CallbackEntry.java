package org.jevent.evbuffer;

/**
 * A callback registered on a buffer: the twin of {@code struct evbuffer_cb_entry}, returned by
 * the buffer's {@code addCallback} and accepted by its {@code removeCallbackEntry}, {@code callbackSetFlags}
 * and {@code callbackClearFlags}.
 */
public final class CallbackEntry {
    /** The entry runs; the value of the buffer's public {@code EVBUFFER_CB_ENABLED}. */
    static final int ENABLED = 1;
    /** The entry runs at once even when the buffer defers; the public {@code EVBUFFER_CB_NODEFER}. */
    static final int NODEFER = 2;

    final EvBufferCallback callback;
    int flags;
    CallbackEntry next;
    boolean removed;

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
        return flags;
    }
}
