package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * Bookkeeping for memory seen by more than one segment, or lent to us by a caller.
 *
 * <p>Invariant: {@code holders} is the number of live segments whose window lies in this memory;
 * the memory is recycled, or the lender's cleanup runs, exactly once, when it falls to zero.
 */
final class SharedMemory {
    int holders = 1;
    /** The lender's cleanup, for memory lent with {@code addReference}; null for pooled memory. */
    final ReferenceCleanup cleanup;
    /** The buffer exactly as the lender gave it, handed back to the cleanup. */
    final ByteBuffer lent;
    private boolean cleaned;

    SharedMemory(ReferenceCleanup cleanup) {
        this(cleanup, null);
    }

    SharedMemory(ReferenceCleanup cleanup, ByteBuffer lent) {
        this.cleanup = cleanup;
        this.lent = lent;
    }

    void runCleanup() {
        if (!cleaned) {
            cleaned = true;
            cleanup.cleanup(lent);
        }
    }
}
