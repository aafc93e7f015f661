package org.jevent.evbuffer;

/**
 * Searches over a buffer's segments: needles that may cross segment boundaries, and each
 * end-of-line style of {@link EolStyle}.
 *
 * <p>All methods take a cursor resolved to a segment ({@link EvBuffer#resolve}) and, on success,
 * leave it on the match with its position, segment and offset filled in. The buffer holds no
 * file ranges while they run (the caller read them in first).
 */
final class LineScanner {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] CRLF_BYTES = {CR, LF};

    private LineScanner() {
    }

    /**
     * Moves {@code cursor} to the first occurrence of {@code what} (non-empty) that ends at or
     * before {@code endPos}; returns its position, or -1 with the cursor invalidated.
     */
    static long find(EvBuffer buf, EvBufferPtr cursor, byte[] what, long endPos) {
        byte first = what[0];
        while (scan(buf, cursor, first, first)) {
            if (cursor.pos + what.length > endPos) {
                break;
            }
            if (matchesAt(buf, cursor.seg, cursor.seg.pos + cursor.offset, what)) {
                return cursor.pos;
            }
            step(buf, cursor);
        }
        cursor.invalidate();
        return -1;
    }

    /**
     * Moves {@code cursor} to the next end of line in {@code style} and records its length in
     * {@link EvBufferPtr#matchLength}; invalidates the cursor if there is none.
     */
    static void findEol(EvBuffer buf, EvBufferPtr cursor, EolStyle style) {
        switch (style) {
            case LF:
                found(buf, cursor, scan(buf, cursor, LF, LF), 1);
                return;
            case NUL:
                found(buf, cursor, scan(buf, cursor, (byte) 0, (byte) 0), 1);
                return;
            case CRLF_STRICT:
                if (find(buf, cursor, CRLF_BYTES, buf.getLength()) >= 0) {
                    cursor.matchLength = 2;
                }
                return;
            case ANY:
                if (scan(buf, cursor, CR, LF)) {
                    cursor.matchLength = runOfCrLf(cursor);
                } else {
                    cursor.invalidate();
                }
                return;
            case CRLF:
                // The first LF ends the line, with the CR right before it if there is one: the
                // same answer as libevent's walk over every CR, with one byte scan instead of two.
                if (scan(buf, cursor, LF, LF)) {
                    if (cursor.before == CR) {
                        back(buf, cursor);
                        cursor.matchLength = 2;
                    } else {
                        cursor.matchLength = 1;
                    }
                } else {
                    cursor.invalidate();
                }
                return;
            default:
                throw new AssertionError(style);
        }
    }

    private static void found(EvBuffer buf, EvBufferPtr cursor, boolean ok, int len) {
        if (ok) {
            cursor.matchLength = len;
        } else {
            cursor.invalidate();
        }
    }

    /**
     * Moves the cursor to the first byte equal to {@code a} or {@code b} at or after it; false
     * (cursor unchanged but meaningless) if there is none.
     */
    private static boolean scan(EvBuffer buf, EvBufferPtr cursor, byte a, byte b) {
        Segment s = cursor.seg;
        Segment last = buf.lastData();
        if (s == null || last == null) {
            return false;
        }
        int from = s.pos + cursor.offset;
        long pos = cursor.pos;
        Segment prev = null;
        while (true) {
            int idx = a == b ? ByteScan.indexOf(s.data, from, s.limit, a)
                    : ByteScan.indexOfEither(s.data, from, s.limit, a, b);
            if (idx >= 0) {
                cursor.pos = pos + (idx - from);
                // The byte before the match, if it lies at or after where the search started.
                if (idx > from) {
                    cursor.before = s.data.get(idx - 1);
                    cursor.beforeSeg = s;
                } else if (prev != null) {
                    cursor.before = prev.data.get(prev.limit - 1);
                    cursor.beforeSeg = prev;
                } else {
                    cursor.before = -1;
                    cursor.beforeSeg = null;
                }
                cursor.seg = s;
                cursor.offset = idx - s.pos;
                return true;
            }
            if (s == last) {
                return false;
            }
            pos += s.limit - from;
            if (s.limit > from) {
                prev = s;
            }
            s = s.next;
            from = s.pos;
        }
    }

    /** Moves the cursor one byte back, onto {@link EvBufferPtr#before}, which must exist. */
    private static void back(EvBuffer buf, EvBufferPtr cursor) {
        cursor.pos--;
        if (cursor.offset > 0) {
            cursor.offset--;
        } else {
            Segment p = cursor.beforeSeg;
            cursor.seg = p;
            cursor.offset = p.readable() - 1;
        }
    }

    /** Moves the cursor one byte on, which must exist (it is on a byte now). */
    private static void step(EvBuffer buf, EvBufferPtr cursor) {
        cursor.pos++;
        cursor.offset++;
        Segment s = cursor.seg;
        if (cursor.offset == s.readable() && s != buf.lastData()) {
            cursor.seg = s.next;
            cursor.offset = 0;
        }
    }

    private static boolean matchesAt(EvBuffer buf, Segment s, int index, byte[] what) {
        Segment last = buf.lastData();
        int j = index;
        for (byte w : what) {
            while (j == s.limit) {
                if (s == last) {
                    return false;
                }
                s = s.next;
                j = s.pos;
            }
            if (s.data.get(j) != w) {
                return false;
            }
            j++;
        }
        return true;
    }

    /** Length of the run of CR and LF bytes starting at the cursor. */
    private static int runOfCrLf(EvBufferPtr cursor) {
        Segment s = cursor.seg;
        int j = s.pos + cursor.offset;
        int n = 0;
        while (true) {
            while (j == s.limit) {
                s = s.next;
                if (s == null || s.readable() == 0) {
                    return n;
                }
                j = s.pos;
            }
            byte c = s.data.get(j);
            if (c != CR && c != LF) {
                return n;
            }
            n++;
            j++;
        }
    }
}
