package org.jevent.evbuffer;

/**
 * A position inside an {@link EvBuffer}: the twin of {@code struct evbuffer_ptr}. Search results
 * are returned as one; {@link EvBuffer#ptrSet} moves one.
 *
 * <p>A position of -1 means "not found" or "invalid". A pointer remembers which segment its
 * position falls in, so that searching on from it costs nothing; when the buffer has changed
 * since, the pointer is resolved again from its numeric position (libevent leaves it dangling).
 */
public final class EvBufferPtr {
    long pos;
    /** Length of what a search matched: the needle's, or the end-of-line's for searchEol. */
    int matchLength;

    // Cache of where pos lies, valid while owner.layoutVersion == version.
    EvBuffer owner;
    int version;
    Segment seg;
    int offset;
    /** Set by a scan: the byte just before the match (-1 if the match is where the scan began) and its segment. */
    int before = -1;
    Segment beforeSeg;

    /** A pointer at position 0 of no buffer yet; set it with {@link EvBuffer#ptrSet}. */
    public EvBufferPtr() {
    }

    EvBufferPtr(long pos) {
        this.pos = pos;
    }

    /** Offset from the start of the buffer, or -1 when not found or invalid. */
    public long pos() {
        return pos;
    }

    /** True unless the position is -1. */
    public boolean isValid() {
        return pos >= 0;
    }

    /**
     * Bytes matched by the search that produced this pointer: the needle's length for
     * {@code search}, the end-of-line's length for {@code searchEol} (libevent's
     * {@code eol_len_out}); 0 when nothing was found.
     */
    public int matchLength() {
        return matchLength;
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
