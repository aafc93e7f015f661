package org.jevent.evbuffer;

/**
 * Searches over a chain's segments: needles that may cross segment boundaries, each end-of-line
 * style of {@link EolStyle}, and the searches and line reads built on them.
 *
 * <p>The scanning methods take a cursor resolved to a segment ({@link EvBufferPtr#resolve}) and,
 * on success, leave it on the match with its position, segment and offset filled in. The chain
 * holds no file ranges while they run: the entry points read them in first.
 */
final class LineScanner {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] CRLF_BYTES = {CR, LF};

    private LineScanner() {
    }

    /**
     * The first occurrence of {@code what} that starts at or after {@code from} (the position
     * of {@code start}, if not null) and ends at or before {@code endPos}; a pointer at -1 if
     * there is none. An empty needle matches at {@code from}. Both positions are valid.
     */
    static EvBufferPtr search(SegmentChain chain, byte[] what, EvBufferPtr start, long from, long endPos) {
        EvBufferPtr result = new EvBufferPtr(-1);
        if (what.length == 0) {
            result.pos = from;
            return result;
        }
        if (endPos - from < what.length) {
            return result;
        }
        ChannelTransfer.materializeFiles(chain);
        result.pos = from;
        if (start != null) {
            start.copyCacheTo(chain, result);
        }
        result.resolve(chain);
        if (find(chain, result, what, endPos) >= 0) {
            result.matchLength = what.length;
        }
        return result;
    }

    /** The next end of line at or after {@code from} (valid; the position of {@code start} if not null). */
    static EvBufferPtr searchEol(SegmentChain chain, EvBufferPtr start, long from, EolStyle style) {
        EvBufferPtr cursor = new EvBufferPtr(from);
        if (from == chain.length) {
            cursor.invalidate();
            return cursor;
        }
        ChannelTransfer.materializeFiles(chain);
        if (start != null) {
            start.copyCacheTo(chain, cursor);
        }
        cursor.resolve(chain);
        findEol(chain, cursor, style);
        return cursor;
    }

    /**
     * Removes the first line and its end-of-line from a non-empty chain and returns the line's
     * bytes, or returns null and changes nothing if no complete line is there. {@code cursor} is
     * the caller's reusable scratch; it is left with the end-of-line's length in
     * {@link EvBufferPtr#matchLength} and no segment in its cache.
     */
    static byte[] takeLine(SegmentChain chain, EvBufferPtr cursor, EolStyle style) {
        ChannelTransfer.materializeFiles(chain);
        cursor.pos = 0;
        cursor.matchLength = 0;
        cursor.owner = null;
        cursor.resolve(chain);
        findEol(chain, cursor, style);
        byte[] line = null;
        if (cursor.pos >= 0) {
            line = new byte[(int) cursor.pos];
            if (line.length > 0) {
                SegmentChain.copyFrom(chain.head, chain.head.pos, line, 0, line.length, null);
            }
            chain.dropFront(cursor.pos + cursor.matchLength);
        }
        cursor.forgetSegments();
        return line;
    }

    /**
     * Moves {@code cursor} to the first occurrence of {@code what} (non-empty) that ends at or
     * before {@code endPos}; returns its position, or -1 with the cursor invalidated.
     */
    static long find(SegmentChain chain, EvBufferPtr cursor, byte[] what, long endPos) {
        byte first = what[0];
        while (scan(chain, cursor, first, first)) {
            if (cursor.pos + what.length > endPos) {
                break;
            }
            if (matchesAt(chain, cursor.seg, cursor.seg.pos + cursor.offset, what)) {
                return cursor.pos;
            }
            step(chain, cursor);
        }
        cursor.invalidate();
        return -1;
    }

    /**
     * Moves {@code cursor} to the next end of line in {@code style} and records its length in
     * {@link EvBufferPtr#matchLength}; invalidates the cursor if there is none.
     */
    static void findEol(SegmentChain chain, EvBufferPtr cursor, EolStyle style) {
        switch (style) {
            case LF:
                found(chain, cursor, scan(chain, cursor, LF, LF), 1);
                return;
            case NUL:
                found(chain, cursor, scan(chain, cursor, (byte) 0, (byte) 0), 1);
                return;
            case CRLF_STRICT:
                if (find(chain, cursor, CRLF_BYTES, chain.length) >= 0) {
                    cursor.matchLength = 2;
                }
                return;
            case ANY:
                if (scan(chain, cursor, CR, LF)) {
                    cursor.matchLength = runOfCrLf(cursor);
                } else {
                    cursor.invalidate();
                }
                return;
            case CRLF:
                // The first LF ends the line, with the CR right before it if there is one: the
                // same answer as libevent's walk over every CR, with one byte scan instead of two.
                if (scan(chain, cursor, LF, LF)) {
                    if (cursor.before == CR) {
                        back(chain, cursor);
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

    private static void found(SegmentChain chain, EvBufferPtr cursor, boolean ok, int len) {
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
    private static boolean scan(SegmentChain chain, EvBufferPtr cursor, byte a, byte b) {
        Segment s = cursor.seg;
        Segment last = chain.lastData;
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
    private static void back(SegmentChain chain, EvBufferPtr cursor) {
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
    private static void step(SegmentChain chain, EvBufferPtr cursor) {
        cursor.pos++;
        cursor.offset++;
        Segment s = cursor.seg;
        if (cursor.offset == s.readable() && s != chain.lastData) {
            cursor.seg = s.next;
            cursor.offset = 0;
        }
    }

    private static boolean matchesAt(SegmentChain chain, Segment s, int index, byte[] what) {
        Segment last = chain.lastData;
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
