package org.jevent.evbuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * One allocation of direct memory cut into equal segments, and the free ones among them. A
 * slab can be given up only as a whole, once none of its segments is in a buffer: then the pool
 * drops every reference to it and the garbage collector frees the memory (nothing frees it
 * explicitly: a view a caller still holds would otherwise read freed memory).
 *
 * <p>Invariant: {@code freeCount + lost <= segments}; {@code free[0 .. freeCount)} are the free
 * segments, reset for reuse; {@code lost} counts segments released on another thread, which
 * never come back. While its pool holds it, the slab is in one list of its size class: full when
 * no segment is free, available otherwise. Only the owning thread touches anything but
 * {@code lost}.
 */
final class Slab {
    static final int IN_NO_LIST = 0;
    static final int AVAILABLE = 1;
    static final int FULL = 2;

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
    final Segment[] free;
    int freeCount;
    /** Segments dropped on another thread; written with an atomic add, read by the owner. */
    @SuppressWarnings("unused") // through LOST
    private volatile int lost;
    /** Which list of its size class holds this slab: {@link #AVAILABLE}, {@link #FULL} or none. */
    int list = IN_NO_LIST;
    Slab prev;
    Slab next;

    /** Allocates the memory and cuts every segment now, all free. */
    Slab(SegmentPool pool, SegmentPool.SizeClass sizeClass, int segments) {
        this.pool = pool;
        this.sizeClass = sizeClass;
        int segmentSize = sizeClass.size;
        this.segmentSize = segmentSize;
        this.segments = segments;
        ByteBuffer memory = ByteBuffer.allocateDirect(segmentSize * segments);
        free = new Segment[segments];
        // Cut in address order and stacked so that the first taken is the first cut: a chain
        // filled from a fresh slab walks its memory forwards.
        for (int i = 0; i < segments; i++) {
            free[segments - 1 - i] = new Segment(memory.slice(i * segmentSize, segmentSize), this);
        }
        freeCount = segments;
    }

    long bytes() {
        return (long) segmentSize * segments;
    }

    Segment pop() {
        Segment s = free[--freeCount];
        free[freeCount] = null;
        return s;
    }

    /** Stacks a free segment; returns how many are free now. */
    int push(Segment s) {
        int n = freeCount;
        free[n++] = s;
        freeCount = n;
        return n;
    }

    /** Counts a segment released on a thread other than the pool's: it will never be pushed back. */
    void lose() {
        LOST.getAndAdd(this, 1);
        pool.lostPending = true;
    }

    /** True when every segment is free or lost: nothing in any buffer still uses the memory. */
    boolean allBack() {
        return freeCount + (int) LOST.getVolatile(this) == segments;
    }
}
