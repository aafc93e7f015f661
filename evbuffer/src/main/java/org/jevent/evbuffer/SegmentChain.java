package org.jevent.evbuffer;

import java.nio.ByteBuffer;

/**
 * The segments of one buffer and every operation that fills, empties or relinks them: the
 * engine under the public buffer, which checks arguments, freezing and callbacks and then calls
 * here. Nothing in this class runs a buffer callback or throws for a caller's mistake (a
 * lender's cleanup runs where lent memory is let go, wherever that happens). It is
 * {@link EvBuffer}'s base class, so that a buffer is one object rather than two; nothing here
 * knows the subclass.
 *
 * <p>Invariant (checked by {@link ChainInvariants}):
 * <ul>
 * <li>{@code length} is the sum of the segments' lengths.</li>
 * <li>The chain runs {@code head → … → lastData → (empty segments) → tail}: every segment up to
 * and including {@code lastData} holds at least one byte, every segment after it is empty, owned
 * and waiting to be filled (reserved or expanded space). {@code lastData} is null exactly when
 * the chain is empty.</li>
 * <li>No segment is in two chains; shared memory is reached through distinct segments that
 * count themselves in {@link SharedMemory#holders}.</li>
 * <li>{@code mayHoldFiles} is true whenever a file segment is in the chain.</li>
 * </ul>
 * The fields are read directly by the other classes of the package (scanner, channel transfer,
 * reservation, pointers, invariant checks); only this class changes the links.
 */
abstract class SegmentChain {
    /** An append moves data to the front of a segment only when this little must move. */
    static final int MAX_TO_REALIGN = 2048;

    Segment head;
    Segment lastData;
    Segment tail;
    long length;
    /** True when a file segment may be in the chain; operations that need bytes read it first. */
    boolean mayHoldFiles;
    /** Bumped by every change of content: a reservation is valid only while it is unchanged. */
    int modCount;
    /** Bumped by every change of the chain: cached pointer positions are valid while it is unchanged. */
    int layoutVersion;

    private SegmentPool pool = SegmentPool.current();

    /** The calling thread's pool: a buffer handed to another thread allocates from that one's. */
    SegmentPool pool() {
        SegmentPool p = pool;
        if (p.owner != Thread.currentThread()) {
            p = pool = SegmentPool.current();
        }
        return p;
    }

    void mutated() {
        modCount++;
        layoutVersion++;
    }

    int segmentCount() {
        int n = 0;
        for (Segment s = head; s != null; s = s.next) {
            n++;
        }
        return n;
    }

    // ------------------------------------------------------------------ links

    void linkAtTail(Segment s) {
        if (tail == null) {
            head = tail = s;
        } else {
            tail.next = s;
            tail = s;
        }
    }

    /** Takes {@code s}, whose predecessor is {@code before} (null: s is the head), out of the chain. */
    void unlink(Segment before, Segment s) {
        if (before == null) {
            head = s.next;
        } else {
            before.next = s.next;
        }
        if (tail == s) {
            tail = before;
        }
        if (lastData == s) {
            lastData = before;
        }
        s.next = null;
    }

    /**
     * Puts the chain {@code first..last} where {@code s} is ({@code before} is its predecessor,
     * null for the head) and unlinks {@code s}, which the caller then releases.
     */
    void replace(Segment before, Segment s, Segment first, Segment last) {
        last.next = s.next;
        if (before == null) {
            head = first;
        } else {
            before.next = first;
        }
        if (lastData == s) {
            lastData = last;
        }
        if (tail == s) {
            tail = last;
        }
        s.next = null;
        layoutVersion++;
    }

    /**
     * Copies the bytes of {@code lastData}, the last segment, into a fresh segment of their size
     * class and gives the old one back; {@code before} is the segment linked before it (null when
     * it is the head).
     */
    void moveLastDataToFit(Segment before) {
        Segment old = lastData;
        int n = old.readable();
        Segment fit = newAppendSegment(n);
        fit.ioView(0, n).put(old.ioView(old.pos, old.limit));
        fit.limit = n;
        replace(before, old, fit, fit);
        modCount++;
        old.release();
    }

    /** The segment appends fill first: the last one with data, or the first reserved one. */
    Segment appendStart() {
        return lastData != null ? lastData : head;
    }

    void releaseTrailingEmpty() {
        Segment s = lastData == null ? head : lastData.next;
        if (s == null) {
            return;
        }
        if (lastData == null) {
            head = tail = null;
        } else {
            lastData.next = null;
            tail = lastData;
        }
        releaseFrom(s);
    }

    /** Empties the chain, giving every segment back (the buffer is being freed). */
    void releaseAll() {
        Segment s = head;
        head = lastData = tail = null;
        length = 0;
        mutated();
        releaseFrom(s);
    }

    private static void releaseFrom(Segment s) {
        while (s != null) {
            Segment next = s.next;
            s.release();
            s = next;
        }
    }

    // ------------------------------------------------------------------ adding

    /** A fresh segment for appending {@code want} more bytes: small for short writes, else large. */
    Segment newAppendSegment(int want) {
        return pool().take(want <= SegmentPool.SMALL_SIZE ? want : SegmentPool.LARGE_SIZE);
    }

    /**
     * Copies bytes to the end, from {@code array} if not null, else from {@code src} at
     * absolute index {@code off}; returns {@code len}. Does not touch src's position; changes
     * nothing when {@code len} is 0.
     */
    int appendBytes(byte[] array, int off, int len, ByteBuffer src) {
        if (len == 0) {
            return 0;
        }
        Segment s = appendStart();
        int done = 0;
        while (done < len) {
            int remaining = len - done;
            if (s == null) {
                s = newAppendSegment(remaining);
                linkAtTail(s);
            }
            int room = s.writable();
            if (room < remaining && s == lastData && shouldRealign(s, remaining)) {
                realign(s);
                room = s.writable();
            }
            if (room > 0) {
                int k = Math.min(room, remaining);
                copyInto(s, s.limit, array, src, off + done, k);
                s.limit += k;
                lastData = s;
                done += k;
            }
            if (done < len) {
                s = s.next;
            }
        }
        length += len;
        mutated();
        return len;
    }

    /** Appends the remaining bytes of each buffer of {@code vec} and advances their positions; returns the total. */
    long appendEach(ByteBuffer[] vec) {
        long total = 0;
        for (ByteBuffer b : vec) {
            int len = b.remaining();
            appendBytes(null, b.position(), len, b);
            b.position(b.position() + len);
            total += len;
        }
        return total;
    }

    /** libevent's {@code evbuffer_chain_should_realign}: moving the data to the front is cheap and frees enough. */
    private static boolean shouldRealign(Segment s, int want) {
        int n = s.readable();
        return s.isExclusive() && s.pos > 0 && s.capacity() - n >= want
                && n < s.capacity() / 2 && n <= MAX_TO_REALIGN;
    }

    private static void realign(Segment s) {
        int n = s.readable();
        if (n > 0) {
            s.data.put(0, s.data, s.pos, n);
        }
        s.pos = 0;
        s.limit = n;
    }

    /** Copies bytes in front of the data, filling the head's free front first; returns {@code len}. */
    int prependBytes(byte[] array, int off, int len, ByteBuffer src) {
        if (len == 0) {
            return 0;
        }
        int remaining = len;
        Segment h = length > 0 ? head : null;
        if (h != null && h.prependable() > 0) {
            int k = Math.min(h.prependable(), remaining);
            copyInto(h, h.pos - k, array, src, off + remaining - k, k);
            h.pos -= k;
            remaining -= k;
        }
        while (remaining > 0) {
            Segment s = pool().take(Math.min(remaining, SegmentPool.LARGE_SIZE));
            int cap = s.capacity();
            int k = Math.min(cap, remaining);
            copyInto(s, cap - k, array, src, off + remaining - k, k);
            s.pos = cap - k;
            s.limit = cap;
            linkAtHead(s, s);
            remaining -= k;
        }
        length += len;
        mutated();
        return len;
    }

    private static void copyInto(Segment s, int at, byte[] array, ByteBuffer src, int srcOff, int k) {
        if (array != null) {
            s.data.put(at, array, srcOff, k);
        } else {
            s.data.put(at, src, srcOff, k);
        }
    }

    /** Links {@code first..last} (all holding data) in front; the caller counts the length. */
    private void linkAtHead(Segment first, Segment last) {
        last.next = head;
        head = first;
        if (lastData == null) {
            lastData = last;
        }
        if (tail == null) {
            tail = last;
        }
    }

    /**
     * Links the chain {@code first..last} (all holding data) after the data. Empty reserved
     * segments at the end are released first, as libevent does; a short, exclusively owned
     * segment is copied into the last one when it fits.
     */
    void appendChain(Segment first, Segment last) {
        releaseTrailingEmpty();
        // Now tail == lastData: the last segment linked so far, kept in a local while linking.
        Segment t = lastData;
        long n = 0;
        Segment s = first;
        while (s != null) {
            Segment next = s == last ? null : s.next;
            n += s.length();
            if (t != null && s.slab != null && s.isExclusive() && s.readable() < Segment.SHARE_MINIMUM
                    && t.writable() >= s.readable()) {
                t.data.put(t.limit, s.data, s.pos, s.readable());
                t.limit += s.readable();
                s.release();
            } else {
                if (t == null) {
                    head = s;
                } else {
                    t.next = s;
                }
                t = s;
            }
            s = next;
        }
        t.next = null;
        lastData = tail = t;
        length += n;
        mutated();
    }

    /**
     * Appends a read-only segment over {@code data}'s remaining bytes, lent by a caller whose
     * {@code cleanup} (null: none) gets {@code data} back, as it was, when no segment sees the
     * memory any more; an empty {@code data} is given back at once. Returns the bytes added.
     */
    int appendLent(ByteBuffer data, ReferenceCleanup cleanup) {
        ByteBuffer asLent = data.duplicate();
        int len = data.remaining();
        if (len == 0) {
            if (cleanup != null) {
                cleanup.cleanup(asLent);
            }
            return 0;
        }
        Segment s = new Segment(data.duplicate().clear(), null);
        s.owner = false;
        s.shared = new SharedMemory(cleanup == null ? NO_CLEANUP : cleanup, asLent);
        s.pos = data.position();
        s.limit = data.limit();
        appendChain(s, s);
        return len;
    }

    private static final ReferenceCleanup NO_CLEANUP = data -> { };

    /** Appends {@code length} bytes of {@code file} from absolute file offset {@code offset}; returns {@code length}. */
    long appendFile(FileSegment file, long offset, long length) {
        if (length == 0) {
            return 0;
        }
        file.retain();
        Segment s = new Segment(file, offset, length);
        mayHoldFiles = true;
        appendChain(s, s);
        return length;
    }

    /**
     * Makes {@code newLast}, a segment after {@code lastData} (or lastData itself) whose window
     * was just widened by a commit, the last data segment, {@code n} bytes longer in all; empty
     * reserved segments before it are unlinked and released.
     */
    void extendData(Segment newLast, long n) {
        if (newLast != lastData) {
            Segment prev = lastData;
            Segment s = prev == null ? head : prev.next;
            while (s != newLast) {
                Segment next = s.next;
                if (s.readable() == 0) {
                    unlink(prev, s);
                    s.release();
                } else {
                    prev = s;
                }
                s = next;
            }
        }
        lastData = newLast;
        length += n;
        mutated();
    }

    // ------------------------------------------------------------------ moving between chains

    /**
     * Takes every data segment out (reserved empty ones stay) and links them after {@code dst}'s
     * data ({@code front} false) or in front of it.
     */
    void moveAllTo(SegmentChain dst, boolean front) {
        Segment first = head;
        Segment last = lastData;
        long n = length;
        Segment rest = last.next;
        last.next = null;
        head = rest;
        if (rest == null) {
            tail = null;
        }
        lastData = null;
        length = 0;
        mutated();
        if (front) {
            dst.linkAtHead(first, last);
            dst.length += n;
            dst.mutated();
        } else {
            dst.appendChain(first, last);
        }
        dst.mayHoldFiles |= mayHoldFiles;
    }

    /**
     * Moves the first {@code len} bytes ({@code 0 < len < length}) to the end of {@code dst}:
     * whole segments are relinked; of the one segment that is split, a part shorter than
     * {@link Segment#SHARE_MINIMUM} is copied and a longer one shared, except that a part of
     * lent memory is always copied, as libevent copies every split: the lender's cleanup then
     * waits only for the bytes left here, not for a copy that moved on.
     */
    void moveFrontTo(SegmentChain dst, long len) {
        long moved = 0;
        Segment first = head;
        Segment lastWhole = null;
        Segment s = head;
        while (moved + s.length() <= len) {
            moved += s.length();
            lastWhole = s;
            s = s.next;
        }
        if (lastWhole != null) {
            head = s;
            lastWhole.next = null;
            dst.appendChain(first, lastWhole);
        }
        // s is now the head and holds more than the rest of what was asked for.
        int rest = (int) (len - moved);
        if (rest > 0) {
            if (s.isFile()) {
                s.file.retain();
                Segment piece = new Segment(s.file, s.fileOffset, rest);
                s.fileOffset += rest;
                s.fileLength -= rest;
                dst.appendChain(piece, piece);
            } else if (rest >= Segment.SHARE_MINIMUM && !s.isLent()) {
                Segment piece = s.shareHead(rest);
                s.pos += rest;
                dst.appendChain(piece, piece);
            } else {
                dst.appendBytes(null, s.pos, rest, s.data);
                s.pos += rest;
            }
        }
        length -= len;
        dst.mayHoldFiles |= mayHoldFiles;
        mutated();
    }

    /** Appends to {@code dst} a read-only view of every byte here (at least one), sharing the memory; returns the count. */
    long shareAllTo(SegmentChain dst) {
        Segment first = null;
        Segment last = null;
        for (Segment s = head; ; s = s.next) {
            Segment copy;
            if (s.isFile()) {
                s.file.retain();
                copy = new Segment(s.file, s.fileOffset, s.fileLength);
            } else {
                copy = s.shareHead(s.readable());
            }
            if (first == null) {
                first = copy;
            } else {
                last.next = copy;
            }
            last = copy;
            if (s == lastData) {
                break;
            }
        }
        mutated(); // our segments are now shared: no more in-place prepends or realigns
        dst.appendChain(first, last);
        dst.mayHoldFiles |= mayHoldFiles;
        return length;
    }

    // ------------------------------------------------------------------ removing and reading

    /** Removes {@code n <= length} bytes from the front, releasing emptied segments. */
    void dropFront(long n) {
        long left = n;
        while (left > 0) {
            Segment s = head;
            long len = s.length();
            if (len <= left) {
                left -= len;
                head = s.next;
                if (s == lastData) {
                    lastData = null;
                }
                if (s == tail) {
                    tail = null;
                }
                s.release();
            } else {
                if (s.isFile()) {
                    s.fileOffset += left;
                    s.fileLength -= left;
                } else {
                    s.pos += (int) left;
                }
                left = 0;
            }
        }
        length -= n;
        if (length == 0 && lastData != null) {
            throw new AssertionError("drained everything but lastData remains");
        }
        mutated();
    }

    /**
     * Copies {@code n} bytes beginning at absolute index {@code at} of {@code s} (and following
     * segments) into {@code array} at {@code off}, or into {@code dst} at absolute index
     * {@code off}. The range must lie within the chain and hold no file segment.
     */
    static void copyFrom(Segment s, int at, byte[] array, int off, int n, ByteBuffer dst) {
        int done = 0;
        while (done < n) {
            int k = Math.min(s.limit - at, n - done);
            if (array != null) {
                s.data.get(at, array, off + done, k);
            } else {
                dst.put(off + done, s.data, at, k);
            }
            done += k;
            s = s.next;
            if (s != null) {
                at = s.pos;
            }
        }
    }

    /** A read-only view of the first {@code want} bytes, made contiguous; the chain holds no file segment. */
    ByteBuffer pullupFront(int want) {
        Segment h = head;
        if (h.readable() < want) {
            h = gatherFront(want);
        }
        return h.readView(h.pos, h.pos + want).slice();
    }

    /**
     * Makes the first {@code want} bytes one segment's readable window and returns that
     * segment, which becomes the head. The chain holds no file segment.
     */
    private Segment gatherFront(int want) {
        Segment h = head;
        Segment target;
        if (h.isExclusive() && h.capacity() - h.pos >= want) {
            target = h;
        } else if (h.isExclusive() && h.capacity() >= want) {
            realign(h);
            target = h;
        } else {
            target = pool().take(want);
            target.data.put(0, h.data, h.pos, h.readable());
            target.limit = h.readable();
            replace(null, h, target, target);
            h.release();
        }
        // Pull bytes from the following segments until the target holds enough.
        while (target.readable() < want) {
            Segment s = target.next;
            int k = Math.min(s.readable(), want - target.readable());
            target.data.put(target.limit, s.data, s.pos, k);
            target.limit += k;
            s.pos += k;
            if (s.readable() == 0) {
                unlink(target, s);
                s.release();
            }
        }
        mutated();
        return target;
    }

    /**
     * Views of the data from segment {@code s}, offset {@code off} into {@code vecOut} (the
     * {@code evbuffer_peek} walk); returns how many views covering at least {@code len} bytes
     * (-1: everything) are needed, filling at most {@code vecOut.length}.
     */
    int peek(long len, Segment s, int off, ByteBuffer[] vecOut) {
        int n = 0;
        long covered = 0;
        int room = vecOut == null ? 0 : vecOut.length;
        while (s != null && (len < 0 || covered < len)) {
            if (len < 0 && n == room && room > 0) {
                break; // "everything" with views to fill means as much as they hold, as in libevent
            }
            int from = s.pos + off;
            if (n < room) {
                vecOut[n] = s.readView(from, s.limit);
            }
            covered += s.limit - from;
            n++;
            off = 0;
            if (s == lastData) {
                break;
            }
            s = s.next;
        }
        return n;
    }

    // ------------------------------------------------------------------ space at the end

    /**
     * A segment at the end with at least {@code n} bytes of free space in one piece, reusing the
     * last data segment (realigned if cheap) or a reserved empty one when possible.
     */
    Segment expandOne(int n) {
        Segment s = appendStart();
        if (s != null && s == lastData) {
            if (s.writable() >= n) {
                return s;
            }
            if (shouldRealign(s, n)) {
                realign(s);
                mutated();
                return s;
            }
            s = s.next;
        }
        if (s != null && s.next == null && s.writable() >= n) {
            return s;
        }
        releaseTrailingEmpty();
        Segment fresh = pool().take(Math.max(n, 1));
        linkAtTail(fresh);
        mutated();
        return fresh;
    }
}
