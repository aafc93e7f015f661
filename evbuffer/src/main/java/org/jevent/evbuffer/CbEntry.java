package org.jevent.evbuffer;

/**
 * A callback registered on a buffer: the twin of {@code struct evbuffer_cb_entry}, returned by
 * {@link EvBuffer#addCallback} and accepted by {@link EvBuffer#removeCbEntry},
 * {@link EvBuffer#cbSetFlags} and {@link EvBuffer#cbClearFlags}.
 */
public final class CbEntry {
    final EvBufferCallback callback;
    int flags;
    CbEntry next;
    boolean removed;

    CbEntry(EvBufferCallback callback, int flags) {
        this.callback = callback;
        this.flags = flags;
    }

    public EvBufferCallback callback() {
        return callback;
    }

    public int flags() {
        return flags;
    }
}
