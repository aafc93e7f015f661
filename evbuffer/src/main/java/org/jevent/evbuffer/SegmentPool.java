package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * Recycles segment memory for one thread. Segments are direct memory cut from larger slabs, so
 * sockets and TLS engines read and write them without a copy, and one allocation serves many
 * segments.
 *
 * <p>Three sizes exist. {@link #SMALL_SIZE} serves the many short messages of a busy server without
 * pinning much memory per idle connection; {@link #LARGE_SIZE} holds a whole TLS record (up to
 * 16,709 bytes on the wire) or a full 16 KiB socket read. {@link #BULK_SIZE} is only for a
 * read or reservation of at least 64 KiB ({@link #takeBulk()}): one contiguous segment makes the
 * socket call a plain read and a plain write instead of a {@code readv}/{@code writev} over four
 * vectors. Any other request above the large size gets exact-size memory that is not recycled.
 *
 * <p>What a thread keeps: its pool is made when the thread first builds a buffer; the first
 * small segment it takes allocates one slab of {@code slabSegments} × 4 KiB (256 KiB by
 * default), the first large one a slab of {@code slabSegments} × 17 KiB (1,088 KiB), the first bulk one a
 * slab of a quarter as many × 64 KiB (1 MiB). Free
 * segments stay in the pool for reuse, up to {@link #maxPooledBytes()} bytes (16 MiB by default);
 * when a segment coming back takes the pool over that bound, the pool gives up whole slabs whose
 * segments are all back until it is under it again, so that after a burst the pool shrinks back
 * to the bound by itself. A slab is given up by dropping every reference to it: the garbage
 * collector frees its direct memory at its next cycle (explicit freeing would let a view that a
 * caller kept past its validity read freed memory and crash the process). {@link #trim()} gives
 * up every slab that is all back at once, whatever the bound; the rest goes with the thread. Both
 * figures are tunable: system properties {@code jevent.segmentPool.maxBytes} and
 * {@code jevent.segmentPool.slabSegments}, read once when this class loads.
 *
 * <p>Invariant: only {@link #owner} touches the stacks, the slab table and the counters, so
 * nothing here needs an atomic except a slab's count of segments lost to other threads (a
 * segment handed back on another thread is dropped for the garbage collector, as Okio's pool
 * does under contention). Each size class's stack holds exactly the free segments of the slabs
 * in {@code slabs} of that size, and each slab's {@code freeCount} counts its own among them;
 * {@code heldBytes} is the size of those slabs. After every recycle either the free bytes are
 * within {@code maxPooledBytes} or no slab that the owner has seen all back is still held. The
 * hot path (a take, a recycle) is a stack pop or push and one count, as before slabs could go;
 * it allocates nothing. {@code taken - returned} is the number of pooled segments now in use by
 * some buffer, which tests use to prove that nothing leaks.
 */
public final class SegmentPool {
    /** Capacity of a small segment. */
    public static final int SMALL_SIZE = 4096;
    /** Capacity of a large segment: a full TLS record fits. */
    public static final int LARGE_SIZE = 17 * 1024;
    /** Capacity of a bulk segment: a whole 64 KiB read (the bufferevents' largest read guess). */
    public static final int BULK_SIZE = 64 * 1024;
    /**
     * Default bound on the free segment memory one thread's pool keeps, in bytes: 16 MiB, or
     * system property {@code jevent.segmentPool.maxBytes}.
     */
    public static final long DEFAULT_MAX_POOLED_BYTES =
            Math.max(0, Long.getLong("jevent.segmentPool.maxBytes", 16L * 1024 * 1024));
    /**
     * Default number of segments cut from one slab: 64, or system property
     * {@code jevent.segmentPool.slabSegments} (1 to 4096). Fewer means less memory per idle
     * thread and more allocations under load.
     */
    public static final int DEFAULT_SLAB_SEGMENTS =
            Math.max(1, Math.min(4096, Integer.getInteger("jevent.segmentPool.slabSegments", 64)));

    private static final ThreadLocal<SegmentPool> PER_THREAD = ThreadLocal.withInitial(SegmentPool::new);

    final Thread owner;
    private final long maxPooledBytes;
    private final int slabSegments;
    private final SizeClass small = new SizeClass(SMALL_SIZE);
    private final SizeClass large = new SizeClass(LARGE_SIZE);
    private final SizeClass bulk = new SizeClass(BULK_SIZE);
    private long taken;
    private long returned;
    /** Every slab held, for the rare walks that look for slabs to give up. */
    private Slab[] slabs = new Slab[4];
    private int slabCount;
    private long heldBytes;
    /** Set by another thread that dropped one of our segments: some slab may be all back now. */
    volatile boolean lostPending;
    /** False only when the last release looked at every slab and left none all back. */
    private boolean mayHoldComplete;
    /*
     * The thread's scratch for buffer operations, kept here because every buffer reaches its
     * thread's pool cheaply (SegmentChain.pool()) and a buffer only runs on one thread at a time:
     * what a buffer needs only during one call, or only while a caller's reservation is pending,
     * is one per thread instead of one per buffer (an idle connection holds two buffers).
     */
    /** Vectors for one scattering read or gathering write at a time on this thread. */
    private final ByteBuffer[] scratch = new ByteBuffer[ChannelTransfer.MAX_WRITE_VECTORS];
    private final Reservation readReservation = new Reservation();
    /** Reservations no buffer holds; a buffer borrows one from reserveSpace to its commitSpace. */
    private final Reservation[] spareReservations = new Reservation[4];
    private int spareCount;
    /** The cursor of one readLine at a time on this thread. */
    private final EvBufferPtr lineCursor = new EvBufferPtr();
    /** The reports the buffers of this thread hand to their callbacks. */
    final CallbackList.Reports reports = new CallbackList.Reports();

    private SegmentPool() {
        this(DEFAULT_MAX_POOLED_BYTES, DEFAULT_SLAB_SEGMENTS);
    }

    private SegmentPool(long maxPooledBytes, int slabSegments) {
        this.owner = Thread.currentThread();
        this.maxPooledBytes = maxPooledBytes;
        this.slabSegments = slabSegments;
    }

    /** {@return the pool of the calling thread, made on its first use} */
    public static SegmentPool current() {
        return PER_THREAD.get();
    }

    /**
     * Gives the calling thread a pool of its own settings, for tests that measure the pool; the
     * thread must not have used its pool yet.
     */
    static SegmentPool installForThisThread(long maxPooledBytes, int slabSegments) {
        SegmentPool p = new SegmentPool(maxPooledBytes, slabSegments);
        PER_THREAD.set(p);
        return p;
    }

    /**
     * A segment with at least {@code minCapacity} bytes of free space, pos = limit = 0. Sizes up
     * to {@link #LARGE_SIZE} come from the pool; larger ones are allocated exactly and not
     * pooled.
     */
    Segment take(int minCapacity) {
        if (minCapacity > LARGE_SIZE) {
            return new Segment(ByteBuffer.allocateDirect(minCapacity), null);
        }
        return takeFrom(minCapacity <= SMALL_SIZE ? small : large);
    }

    /**
     * A pooled segment of {@link #BULK_SIZE} bytes, pos = limit = 0, for a read or reservation
     * of at least that much: pooled like the other sizes (its slabs count against the same bound
     * and are given up first), so it is only ever taken for as long as a buffer holds its data.
     */
    Segment takeBulk() {
        return takeFrom(bulk);
    }

    private Segment takeFrom(SizeClass c) {
        if (c.count == 0) {
            addSlab(c);
        }
        Segment s = c.pop();
        s.slab.freeCount--;
        taken++;
        return s;
    }

    /** Takes back a segment of one of our slabs whose memory nobody else holds any more. */
    void recycle(Segment s) {
        Slab slab = s.slab;
        if (Thread.currentThread() != owner) {
            s.next = null;
            slab.lose();
            return;
        }
        returned++;
        s.resetForReuse();
        slab.sizeClass.push(s);
        boolean complete = mayHoldComplete;
        if (++slab.freeCount == slab.segments && !complete) {
            mayHoldComplete = complete = true; // this slab, at least
        }
        if ((complete || lostPending) && pooledBytes() > maxPooledBytes) {
            release(maxPooledBytes);
        }
    }

    /**
     * Gives up every slab whose segments are all back, whatever the bound: for a thread that is
     * done with buffers for a while. Memory that buffers still use stays.
     */
    public void trim() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a segment pool is trimmed by its own thread, "
                    + owner.getName() + ", not " + Thread.currentThread().getName());
        }
        release(0);
    }

    private void addSlab(SizeClass c) {
        // A bulk segment is 64 KiB: a quarter as many of them keep its slab near a large one's.
        Slab slab = new Slab(this, c, c == bulk ? Math.max(1, slabSegments / 4) : slabSegments);
        if (slabCount == slabs.length) {
            slabs = java.util.Arrays.copyOf(slabs, slabCount * 2);
        }
        slab.index = slabCount;
        slabs[slabCount++] = slab;
        heldBytes += slab.bytes();
        slab.pushAllTo(c);
    }

    /**
     * Gives up slabs whose segments are all back (free, or lost to other threads), bulk ones
     * first, then large, until at most {@code bound} bytes are free; a slab every segment of which was lost
     * goes whatever the bound (nothing of it is free to keep). The slab table is walked from its
     * end, so that the swap on removal only moves slabs already looked at.
     */
    private void release(long bound) {
        lostPending = false;
        long free = pooledBytes();
        boolean kept = false;
        for (int pass = 0; pass < 3; pass++) {
            SizeClass c = pass == 0 ? bulk : pass == 1 ? large : small;
            boolean removed = false;
            for (int i = slabCount - 1; i >= 0; i--) {
                Slab s = slabs[i];
                if (s.sizeClass != c || !s.allBack()) {
                    continue;
                }
                if (s.freeCount > 0 && free <= bound) {
                    kept = true;
                    continue;
                }
                s.released = true;
                free -= (long) s.freeCount * s.segmentSize;
                removeSlab(s);
                removed = true;
            }
            if (removed) {
                c.dropReleased();
            }
        }
        mayHoldComplete = kept;
    }

    private void removeSlab(Slab s) {
        Slab last = slabs[--slabCount];
        slabs[s.index] = last;
        last.index = s.index;
        slabs[slabCount] = null;
        heldBytes -= s.bytes();
    }

    ByteBuffer[] scratch() {
        return scratch;
    }

    /** Scratch extents for one channel read at a time on this thread. */
    Reservation readReservation() {
        return readReservation;
    }

    /**
     * A reservation for a buffer to hold while a caller's reserveSpace is pending: a spare one,
     * or a new one when the buffers of this thread already hold every spare.
     */
    Reservation lendReservation() {
        if (spareCount == 0) {
            return new Reservation();
        }
        Reservation r = spareReservations[--spareCount];
        spareReservations[spareCount] = null;
        return r;
    }

    /** Takes back a cleared reservation a buffer no longer holds (beyond the spares kept, it is dropped). */
    void returnReservation(Reservation r) {
        if (spareCount < spareReservations.length) {
            spareReservations[spareCount++] = r;
        }
    }

    /** The cursor of one readLine at a time on this thread. */
    EvBufferPtr lineCursor() {
        return lineCursor;
    }

    /** {@return the pooled segments now held by buffers} Zero once every buffer was drained or freed. */
    public long outstanding() {
        return taken - returned;
    }

    /** {@return the number of free segments waiting in the pool} */
    public int pooledSegments() {
        return small.count + large.count + bulk.count;
    }

    /** {@return the bytes of free segment memory waiting in the pool} */
    public long pooledBytes() {
        return (long) small.count * SMALL_SIZE + (long) large.count * LARGE_SIZE
                + (long) bulk.count * BULK_SIZE;
    }

    /** {@return the bytes of direct memory in the slabs this pool holds, free or in use} */
    public long heldBytes() {
        return heldBytes;
    }

    /** {@return the bound, in bytes, on {@link #pooledBytes()} that a recycle trims back to} */
    public long maxPooledBytes() {
        return maxPooledBytes;
    }

    /** {@return the number of segments cut from one slab} */
    public int slabSegments() {
        return slabSegments;
    }

    /** One size of segment: a stack of the free ones, from every slab of that size. */
    static final class SizeClass {
        final int size;
        Segment[] stack = new Segment[16];
        int count;

        SizeClass(int size) {
            this.size = size;
        }

        Segment pop() {
            Segment s = stack[--count];
            stack[count] = null;
            return s;
        }

        void push(Segment s) {
            if (count == stack.length) {
                stack = java.util.Arrays.copyOf(stack, count * 2);
            }
            stack[count++] = s;
        }

        /** Takes the segments of released slabs off the stack, keeping the others in order. */
        void dropReleased() {
            int kept = 0;
            for (int i = 0; i < count; i++) {
                Segment s = stack[i];
                if (!s.slab.released) {
                    stack[kept++] = s;
                }
            }
            java.util.Arrays.fill(stack, kept, count, null);
            count = kept;
        }
    }
}
