package org.jevent.evbuffer;

/**
 * A position inside a buffer: the twin of {@code struct evbuffer_ptr}. Search results are
 * returned as one; the buffer's {@code ptrSet} moves one.
 *
 * <p>A position of -1 means "not found" or "invalid". A pointer remembers which segment its
 * position falls in, so that searching on from it costs nothing; when the buffer has changed
 * since, the pointer is resolved again from its numeric position (libevent leaves it dangling).
 * Invariant: the cache ({@code seg}, {@code offset}) is trusted only while {@code owner} is the
 * chain asking and its {@code layoutVersion} still equals {@code version}.
 */
public final class EvBufferPtr {
    long pos;
    /** Length of what a search matched: the needle's, or the end-of-line's for searchEol. */
    int matchLength;

    // Cache of where pos lies, valid while owner.layoutVersion == version.
    SegmentChain owner;
    int version;
    Segment seg;
    int offset;
    /** Set by a scan: the byte just before the match (-1 if the match is where the scan began) and its segment. */
    int before = -1;
    Segment beforeSeg;

    /** A pointer at position 0 of no buffer yet; set it with the buffer's {@code ptrSet}. */
    public EvBufferPtr() {
    }

    EvBufferPtr(long pos) {
        this.pos = pos;
    }

    /** {@return the offset from the start of the buffer, or -1 when not found or invalid} ({@code pos}) */
    public long pos() {
        return pos;
    }

    /** {@return true unless the position is -1} */
    public boolean isValid() {
        return pos >= 0;
    }

    /**
     * Bytes matched by the search that produced this pointer: the needle's length for
     * {@code search}, the end-of-line's length for {@code searchEol} (libevent's
     * {@code eol_len_out}); 0 when nothing was found.
     *
     * @return the length of the match in bytes, 0 when there is none or the pointer was moved
     *     with {@code ptrSet}
     */
    public int matchLength() {
        return matchLength;
    }

    /**
     * Moves to {@code position} ({@link PtrHow#SET}) or by it ({@link PtrHow#ADD}) within
     * {@code c}; false, leaving the pointer at -1, if the result lies outside {@code [0, length]}.
     */
    boolean move(SegmentChain c, long position, PtrHow how) {
        long target;
        if (how == PtrHow.SET) {
            target = position;
        } else {
            if (pos < 0 || position < 0 || position > Long.MAX_VALUE - pos) {
                invalidate();
                return false;
            }
            target = pos + position;
        }
        if (target < 0 || target > c.length) {
            invalidate();
            return false;
        }
        boolean advanceCached = how == PtrHow.ADD && owner == c && version == c.layoutVersion && seg != null;
        pos = target;
        matchLength = 0;
        if (advanceCached && !c.mayHoldFiles) {
            Segment s = seg;
            long off = offset + position;
            while (off >= s.length() && s != c.lastData) {
                off -= s.length();
                s = s.next;
            }
            seg = s;
            offset = (int) off;
        } else {
            seg = null;
            owner = null;
        }
        return true;
    }

    /** Fills in the segment cache for {@link #pos}, which must be a valid position of {@code c}. */
    void resolve(SegmentChain c) {
        if (owner == c && version == c.layoutVersion && seg != null) {
            return;
        }
        long left = pos;
        Segment s = c.head;
        while (s != null && left >= s.length() && s != c.lastData) {
            left -= s.length();
            s = s.next;
        }
        // Past the last data segment: the position is the end; point just after its bytes.
        owner = c;
        version = c.layoutVersion;
        seg = s;
        offset = (int) left;
    }

    /** Gives {@code to} this pointer's segment cache when it is valid for {@code c} (same position assumed). */
    void copyCacheTo(SegmentChain c, EvBufferPtr to) {
        if (owner == c && version == c.layoutVersion) {
            to.owner = c;
            to.version = version;
            to.seg = seg;
            to.offset = offset;
        }
    }

    /** Drops every segment reference, so that a pointer kept by the buffer pins no memory. */
    void forgetSegments() {
        owner = null;
        seg = null;
        beforeSeg = null;
    }

    void invalidate() {
        pos = -1;
        matchLength = 0;
        seg = null;
        beforeSeg = null;
        owner = null;
    }

    @Override
    public String toString() {
        return "EvBufferPtr[pos=" + pos + (matchLength != 0 ? ", matchLength=" + matchLength : "") + "]";
    }
}
