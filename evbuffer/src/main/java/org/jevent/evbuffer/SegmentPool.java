package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * Recycles segment memory for one thread. Segments are direct memory cut from larger slabs, so
 * sockets and TLS engines read and write them without a copy, and one allocation serves many
 * segments.
 *
 * <p>Two sizes exist. {@link #SMALL_SIZE} serves the many short messages of a busy server without
 * pinning much memory per idle connection; {@link #LARGE_SIZE} holds a whole TLS record (up to
 * 16,709 bytes on the wire) or a full 16 KiB socket read. A request above the large size gets
 * exact-size memory that is not recycled.
 *
 * <p>Invariant: only {@link #owner} touches the stacks and counters, so nothing here needs an
 * atomic; a segment handed back on another thread is simply dropped for the garbage collector
 * (Okio's pool does the same under contention). The stacks never hold more than
 * {@link #maxPooledBytes} bytes; {@code taken - returned} is the number of pooled segments now in
 * use by some buffer, which tests use to prove that nothing leaks.
 */
public final class SegmentPool {
    /** Capacity of a small segment. */
    public static final int SMALL_SIZE = 4096;
    /** Capacity of a large segment: a full TLS record fits. */
    public static final int LARGE_SIZE = 17 * 1024;
    /** Segments cut from one slab. */
    static final int SLAB_SEGMENTS = 64;
    /** Default bound on pooled bytes per thread; system property {@code jevent.segmentPool.maxBytes}. */
    public static final long DEFAULT_MAX_POOLED_BYTES =
            Long.getLong("jevent.segmentPool.maxBytes", 16L * 1024 * 1024);

    private static final ThreadLocal<SegmentPool> PER_THREAD = ThreadLocal.withInitial(SegmentPool::new);

    final Thread owner;
    private final long maxPooledBytes;
    private final SizeClass small = new SizeClass(SMALL_SIZE);
    private final SizeClass large = new SizeClass(LARGE_SIZE);
    private long taken;
    private long returned;
    /** Vectors for one scattering read or gathering write at a time on this thread. */
    private final ByteBuffer[] scratch = new ByteBuffer[ChannelTransfer.MAX_WRITE_VECTORS];

    private SegmentPool() {
        this(DEFAULT_MAX_POOLED_BYTES);
    }

    private SegmentPool(long maxPooledBytes) {
        this.owner = Thread.currentThread();
        this.maxPooledBytes = maxPooledBytes;
    }

    /** The pool of the calling thread. */
    public static SegmentPool current() {
        return PER_THREAD.get();
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
        SizeClass c = minCapacity <= SMALL_SIZE ? small : large;
        taken++;
        return c.take(this);
    }

    /** Takes back a segment whose memory nobody else holds any more. */
    void recycle(Segment s) {
        if (Thread.currentThread() != owner) {
            s.next = null;
            return;
        }
        returned++;
        SizeClass c = s.capacity() == SMALL_SIZE ? small : large;
        if (pooledBytes() + c.size > maxPooledBytes) {
            s.next = null;
            return;
        }
        s.resetForReuse();
        c.push(s);
    }

    private final Reservation readReservation = new Reservation();

    ByteBuffer[] scratch() {
        return scratch;
    }

    /** Scratch extents for one channel read at a time on this thread. */
    Reservation readReservation() {
        return readReservation;
    }

    /** Pooled segments currently held by buffers: zero once every buffer was drained or freed. */
    public long outstanding() {
        return taken - returned;
    }

    /** Segments waiting in the pool. */
    public int pooledSegments() {
        return small.count + large.count;
    }

    /** Bytes of memory waiting in the pool. */
    public long pooledBytes() {
        return (long) small.count * small.size + (long) large.count * large.size;
    }

    /** One size of segment: a stack of free ones and the slab the next new one is cut from. */
    private static final class SizeClass {
        final int size;
        Segment[] stack = new Segment[16];
        int count;
        ByteBuffer slab;
        int cut = SLAB_SEGMENTS;

        SizeClass(int size) {
            this.size = size;
        }

        Segment take(SegmentPool pool) {
            if (count > 0) {
                Segment s = stack[--count];
                stack[count] = null;
                return s;
            }
            if (cut == SLAB_SEGMENTS) {
                slab = ByteBuffer.allocateDirect(size * SLAB_SEGMENTS);
                cut = 0;
            }
            ByteBuffer memory = slab.slice(cut * size, size);
            cut++;
            return new Segment(memory, pool);
        }

        void push(Segment s) {
            if (count == stack.length) {
                stack = java.util.Arrays.copyOf(stack, count * 2);
            }
            stack[count++] = s;
        }
    }
}
