package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * Free space at the end of a buffer handed out in extents: by {@link EvBuffer#reserveSpace} to a
 * caller (kept by the buffer until commit) or to one channel read (a per-thread scratch one).
 * Extent {@code i} is {@code [starts[i], capacity)} of {@code segments[i]}.
 */
final class Reservation {
    final Segment[] segments = new Segment[EvBuffer.MAX_RESERVE_VECTORS];
    final int[] starts = new int[EvBuffer.MAX_RESERVE_VECTORS];
    final ByteBuffer[] views = new ByteBuffer[EvBuffer.MAX_RESERVE_VECTORS];
    int count;
    /** The buffer's modification count when the space was handed out. */
    int modCount;

    void add(Segment s, int start) {
        segments[count] = s;
        starts[count] = start;
        count++;
    }

    /** The caller's view of extent {@code i}, positioned at 0. */
    ByteBuffer view(int i) {
        ByteBuffer v = segments[i].writeView(starts[i]);
        views[i] = v;
        return v;
    }

    /** Forgets the segments, so that a scratch reservation pins nothing between reads. */
    void clear() {
        for (int i = 0; i < count; i++) {
            segments[i] = null;
        }
        count = 0;
    }
}
