package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * Called once when memory lent with {@link EvBuffer#addReference(ByteBuffer, ReferenceCleanup)}
 * is no longer used by any buffer: its last byte was drained, or every buffer holding it was
 * freed. The twin of libevent's {@code evbuffer_ref_cleanup_cb}; the C {@code extra} argument is
 * whatever the lambda captures.
 */
@FunctionalInterface
public interface ReferenceCleanup {
    /**
     * @param data the buffer that was lent, with the position and limit it had when it was added
     */
    void cleanup(ByteBuffer data);
}
