package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * One link of a {@link SegmentChain}: a window {@code [pos, limit)} of readable bytes over a
 * piece of memory, followed by free space {@code [limit, capacity)} that only an exclusive owner
 * may fill.
 *
 * <p>Invariant: {@code 0 <= pos <= limit <= capacity()}. The memory in {@code [0, limit)} is only
 * written while {@link #isExclusive()}; once another segment shares the memory ({@link #shared}
 * non-null), bytes a sharer can see are never written again. Only the {@link #owner} writes after
 * {@code limit}, and no sharer's window ever reaches past the owner's limit at the time it was
 * shared, so appending is always safe for the owner.
 *
 * <p>A segment is one of three kinds: pooled memory (owner, cut from a {@link Slab}), a view on
 * memory the caller lent us ({@code addReference}), or a file range with no memory at
 * all ({@link #file} non-null, {@code data} null) that is written with {@code transferTo} and read
 * into memory only when a caller needs its bytes.
 */
final class Segment {
    /** Below this many bytes a split copies instead of sharing (sharing pins the whole segment). */
    static final int SHARE_MINIMUM = 1024;

    /**
     * Our private view of the memory, used with absolute indices only: its position stays 0 and
     * its limit stays at the capacity (absolute get and put check against the limit).
     */
    ByteBuffer data;
    /** First readable byte. */
    int pos;
    /** First byte after the readable ones; also where the owner appends. */
    int limit;
    /** True if this segment may write in {@code [limit, capacity)}. */
    boolean owner;
    /** Null while the memory is ours alone; otherwise the count of its holders and its cleanup. */
    SharedMemory shared;
    /** The slab this memory is part of and returns to, or null for memory we do not recycle. */
    Slab slab;
    /** Non-null for a file range; then {@code pos}/{@code limit} are unused and {@link #fileLength} counts. */
    FileSegment file;
    long fileOffset;
    long fileLength;
    Segment next;

    /** Lazily made view that channel reads and writes move; reused across calls. */
    private ByteBuffer ioView;
    /** Lazily made read-only view handed to callers of peek and pullup, reused across calls. */
    private ByteBuffer readView;
    /** Lazily made writable view handed to callers of reserveSpace, reused across calls. */
    private ByteBuffer writeView;
    private int writeViewStart;

    Segment(ByteBuffer data, Slab slab) {
        this.data = data;
        this.slab = slab;
        this.owner = true;
    }

    /** A segment for a file range. */
    Segment(FileSegment file, long offset, long length) {
        this.file = file;
        this.fileOffset = offset;
        this.fileLength = length;
    }

    int capacity() {
        return data.capacity();
    }

    /** Readable bytes; for a file range, the range's length (which may exceed an int). */
    long length() {
        return file != null ? fileLength : limit - pos;
    }

    /** Readable bytes of a memory segment. */
    int readable() {
        return limit - pos;
    }

    boolean isFile() {
        return file != null;
    }

    /** Space the owner may still append into. */
    int writable() {
        return owner && file == null ? data.capacity() - limit : 0;
    }

    /** True if nobody else can see this memory, so any byte of it may be rewritten. */
    boolean isExclusive() {
        return owner && shared == null && file == null;
    }

    /** True for memory a caller lent with {@code addReference}, whose cleanup waits for every holder. */
    boolean isLent() {
        return shared != null && shared.cleanup != null;
    }

    /** Room in front of {@code pos} that a prepend may use. */
    int prependable() {
        return isExclusive() ? pos : 0;
    }

    byte get(int index) {
        return data.get(index);
    }

    /**
     * Makes a second segment that sees {@code [pos, pos + count)} of the same memory; the new one
     * never owns it. Both now count as holders of the memory.
     */
    Segment shareHead(int count) {
        if (shared == null) {
            shared = new SharedMemory(null);
        }
        shared.holders++;
        Segment copy = new Segment(data.duplicate(), slab);
        copy.owner = false;
        copy.shared = shared;
        copy.pos = pos;
        copy.limit = pos + count;
        return copy;
    }

    /** View of {@code [from, to)} for a channel read or write, valid during that call. */
    ByteBuffer ioView(int from, int to) {
        ByteBuffer v = ioView;
        if (v == null) {
            v = ioView = data.duplicate();
        }
        v.limit(to).position(from);
        return v;
    }

    /** View of {@code [from, to)} for a caller, valid until the buffer changes. */
    ByteBuffer readView(int from, int to) {
        ByteBuffer v = readView;
        if (v == null) {
            v = readView = data.asReadOnlyBuffer();
        }
        v.limit(to).position(from);
        return v;
    }

    /**
     * Writable view of {@code [from, capacity)} positioned at 0, for a reservation. The same
     * object comes back while {@code from} is unchanged, so reserving twice gives equal views.
     */
    ByteBuffer writeView(int from) {
        ByteBuffer v = writeView;
        if (v == null || writeViewStart != from) {
            v = writeView = data.slice(from, data.capacity() - from);
            writeViewStart = from;
        }
        v.clear();
        return v;
    }

    /** Resets a recycled segment so it looks freshly cut from a slab. */
    void resetForReuse() {
        pos = 0;
        limit = 0;
        owner = true;
        shared = null;
        next = null;
        writeView = null;
    }

    /**
     * Gives up this segment's hold on its memory: back to the pool, or the lender's cleanup, once
     * the last holder lets go. The segment object itself must not be used afterwards.
     */
    void release() {
        if (file != null) {
            file.release();
            file = null;
            next = null;
            return;
        }
        SharedMemory s = shared;
        if (s != null) {
            if (--s.holders > 0) {
                // Another segment still sees this memory; it will do the last release.
                next = null;
                data = null;
                return;
            }
            if (s.cleanup != null) {
                s.runCleanup();
                next = null;
                data = null;
                return;
            }
        }
        if (slab != null) {
            slab.pool.recycle(this);
        } else {
            next = null;
        }
    }

    @Override
    public String toString() {
        if (file != null) {
            return "Segment[file " + fileOffset + "+" + fileLength + "]";
        }
        return "Segment[pos=" + pos + " limit=" + limit + " cap=" + (data == null ? -1 : data.capacity())
                + (owner ? " owner" : "") + (shared != null ? " shared(" + shared.holders + ")" : "") + "]";
    }
}
