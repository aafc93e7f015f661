package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * Free space at the end of a chain handed out in extents, and the one way it becomes data: to a
 * caller of {@code reserveSpace} (lent by the thread's pool, held by the buffer until the
 * {@code commitSpace} that ends it) or to one channel read (a per-thread scratch one), both ending
 * in {@link #commit}. Which chain a reservation is for is the holder's business: it records only
 * extents and the chain's modification count.
 *
 * <p>Invariant: extent {@code i < count} is {@code [starts[i], capacity)} of {@code segments[i]},
 * a segment at the end of the chain; the extents follow the chain's order; {@code filled[i]},
 * set just before a commit, never exceeds its extent.
 */
final class Reservation {
    /** Why a commit of a reservation the buffer changed under fails. */
    static final String STALE = "the buffer changed since the space was reserved";
    /** Why a commit with no reservation pending fails (none made, or it was committed or freed). */
    static final String NONE = "no space is reserved: reserveSpace was not called, or its space was committed since";

    /** The most extents a reservation uses; libevent only ever uses two in practice. */
    static final int MAX_VECTORS = 16;

    final Segment[] segments = new Segment[MAX_VECTORS];
    final int[] starts = new int[MAX_VECTORS];
    final ByteBuffer[] views = new ByteBuffer[MAX_VECTORS];
    /** Bytes written into each extent, set just before a commit. */
    final int[] filled = new int[MAX_VECTORS];
    int count;
    /**
     * The first bulk segment the last spreadOver took, if any, and the segment before it then
     * (null: it was the head): a short read ends in that one, whatever followed it.
     */
    Segment bulk;
    Segment beforeBulk;
    /** The chain's modification count when the space was handed out. */
    int modCount;

    /**
     * Takes free space for {@code want} bytes at the end of {@code c}: spread over up to
     * {@code maxVectors} segments, or one segment big enough when that many cannot hold it.
     */
    void reserve(SegmentChain c, int want, int maxVectors) {
        reserve(c, want, maxVectors, true);
    }

    /**
     * As {@link #reserve(SegmentChain, int, int)}, for a channel read: when the room left in the
     * last data segment takes a vector that {@code want} then misses, the read skips that room
     * rather than taking one exact-size segment. Such a segment would be direct memory outside
     * the pool, given back only by a garbage collection, and a busy TLS transport, whose input
     * nearly always ends inside a record, would take one on every 64 KiB read.
     */
    void reserveForRead(SegmentChain c, int want, int maxVectors) {
        count = 0;
        if (spreadOver(c, want, maxVectors, true)) {
            modCount = c.modCount;
            return;
        }
        count = 0;
        reserve(c, want, maxVectors, false);
    }

    private void reserve(SegmentChain c, int want, int maxVectors, boolean useDataRoom) {
        count = 0;
        if (maxVectors == 1 || !spreadOver(c, want, maxVectors, useDataRoom)) {
            Segment s = c.expandOne(want);
            count = 0;
            add(s, s.limit);
        }
        modCount = c.modCount;
    }

    /**
     * Records free space totalling at least {@code want} over at most {@code maxVectors}
     * segments at the end of {@code c}, adding segments as needed; false if that many segments
     * cannot hold it without a larger one. Without {@code useDataRoom} the room at the end of the
     * last data segment is passed over.
     */
    private boolean spreadOver(SegmentChain c, int want, int maxVectors, boolean useDataRoom) {
        Segment s = c.appendStart();
        long room = 0;
        while (s != null && room < want && count < maxVectors) {
            int w = s.writable();
            if (w > 0 && (useDataRoom || s != c.lastData)) {
                add(s, s.limit);
                room += w;
            } else if (s != c.lastData) {
                // An empty reserved segment we cannot write is impossible by the invariant.
                throw new AssertionError("unwritable trailing segment " + s);
            }
            s = s.next;
        }
        boolean changed = false;
        bulk = beforeBulk = null;
        while (room < want && count < maxVectors) {
            // 64 KiB or more still to place: one bulk segment instead of four large ones, so the
            // read (and the write of what it brought) is one contiguous vector, as a plain NIO
            // server's single buffer. Smaller wants keep the 4 KiB / 17 KiB segments, so a
            // connection that reads little pins little.
            Segment fresh;
            if (want - room >= SegmentPool.BULK_SIZE) {
                fresh = c.pool().takeBulk();
                if (bulk == null) {
                    bulk = fresh;
                    beforeBulk = c.tail;
                }
            } else {
                fresh = c.newAppendSegment((int) Math.min(want - room, SegmentPool.LARGE_SIZE));
            }
            c.linkAtTail(fresh);
            add(fresh, 0);
            room += fresh.capacity();
            changed = true;
        }
        if (changed) {
            c.mutated();
        }
        return room >= want;
    }

    private void add(Segment s, int start) {
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

    /**
     * Checks that the first {@code n} of {@code vec} are the views this reservation handed out,
     * still valid for {@code c}, and records each one's position as the bytes written into it.
     *
     * @throws IllegalStateException if the chain changed since, or a view is not one of ours
     * @throws IllegalArgumentException if more extents are committed than were reserved
     */
    void takeWritten(SegmentChain c, ByteBuffer[] vec, int n) {
        if (modCount != c.modCount || count == 0) {
            throw new IllegalStateException(STALE);
        }
        if (n > count) {
            throw new IllegalArgumentException("commit of " + n + " extents, " + count + " reserved");
        }
        for (int i = 0; i < n; i++) {
            ByteBuffer v = vec[i];
            if (v != views[i] || v.position() > segments[i].capacity() - starts[i]) {
                throw new IllegalStateException("extent " + i + " is not the view reserveSpace returned");
            }
        }
        for (int i = 0; i < n; i++) {
            filled[i] = vec[i].position();
        }
    }

    /** Records {@code n} bytes read by a channel into the extents in order, each filled before the next. */
    void takeRead(long n) {
        long left = n;
        for (int i = 0; i < count; i++) {
            int k = (int) Math.min(left, segments[i].capacity() - starts[i]);
            filled[i] = k;
            left -= k;
        }
    }

    /**
     * Makes data in {@code c} of what was written into the first {@code n} extents
     * ({@code filled[i]} bytes of extent {@code i}): the one commit behind both a caller's
     * {@code commitSpace} and a channel read. Extents left empty before the last one written are
     * unlinked; the ones after it stay reserved. Ends the reservation; returns the bytes
     * committed.
     */
    long commit(SegmentChain c, int n) {
        long total = 0;
        Segment newLast = c.lastData;
        for (int i = 0; i < n; i++) {
            int k = filled[i];
            if (k > 0) {
                Segment s = segments[i];
                s.limit = starts[i] + k;
                total += k;
                newLast = s;
            }
        }
        clear();
        if (total > 0) {
            c.extendData(newLast, total);
        }
        return total;
    }

    /** Forgets the segments and views, so that a finished reservation pins no memory. */
    void clear() {
        for (int i = 0; i < count; i++) {
            segments[i] = null;
            views[i] = null;
        }
        count = 0;
        bulk = beforeBulk = null;
    }
}
