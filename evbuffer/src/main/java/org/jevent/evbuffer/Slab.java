package org.jevent.evbuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * One allocation of direct memory cut into equal segments. A slab can be given up only as a
 * whole, once none of its segments is in a buffer: then its pool drops every reference to it and
 * the garbage collector frees the memory (nothing frees it explicitly: a view a caller still
 * holds would otherwise read freed memory).
 *
 * <p>Invariant: {@code freeCount + lost <= segments}; {@code freeCount} counts this slab's
 * segments on its size class's free stack, {@code lost} the segments released on another thread,
 * which never come back. Only the owning thread touches anything but {@code lost}.
 */
final class Slab {
    private static final VarHandle LOST;

    static {
        try {
            LOST = MethodHandles.lookup().findVarHandle(Slab.class, "lost", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final SegmentPool pool;
    final SegmentPool.SizeClass sizeClass;
    final int segmentSize;
    final int segments;
    private ByteBuffer memory;
    int freeCount;
    /** Segments dropped on another thread; written with an atomic add, read by the owner. */
    @SuppressWarnings("unused") // through LOST
    private volatile int lost;
    /** Where the pool's slab table holds this slab. */
    int index;
    /** Given up by the pool: its segments are being taken off the free stack. */
    boolean released;

    /** Allocates the memory; {@link #pushAllTo} cuts it. */
    Slab(SegmentPool pool, SegmentPool.SizeClass sizeClass, int segments) {
        this.pool = pool;
        this.sizeClass = sizeClass;
        this.segmentSize = sizeClass.size;
        this.segments = segments;
        this.memory = ByteBuffer.allocateDirect(segmentSize * segments);
    }

    /**
     * Cuts every segment and pushes them all on the size class's free stack, the first cut on
     * top: a chain filled from a fresh slab walks its memory forwards.
     */
    void pushAllTo(SegmentPool.SizeClass c) {
        for (int i = segments - 1; i >= 0; i--) {
            c.push(new Segment(memory.slice(i * segmentSize, segmentSize), this));
        }
        freeCount = segments;
        memory = null; // the segments' slices keep it alive
    }

    long bytes() {
        return (long) segmentSize * segments;
    }

    /** Counts a segment released on a thread other than the pool's: it will never come back. */
    void lose() {
        LOST.getAndAdd(this, 1);
        pool.lostPending = true;
    }

    /** True when every segment is free or lost: nothing in any buffer still uses the memory. */
    boolean allBack() {
        return freeCount + (int) LOST.getVolatile(this) == segments;
    }
}
