package org.jevent.evbuffer;

/**
 * Told after a buffer changed: the twin of {@code evbuffer_cb_func}. The C {@code arg} is
 * whatever the implementation captures.
 */
@FunctionalInterface
public interface EvBufferCallback {
    /**
     * @param buffer the buffer that changed
     * @param info what changed since the last call; reused, valid during this call only
     */
    void onChange(EvBuffer buffer, EvBufferCbInfo info);
}
