package org.jevent.evbuffer;

/**
 * The check of {@link SegmentChain}'s invariant that tests run after every step, as libevent's
 * tests call {@code evbuffer_validate}. Kept apart from the chain so that the chain reads as
 * what it does, and this as what must always hold.
 */
final class ChainInvariants {
    /** A walk longer than this is a cycle, not a chain. */
    private static final int MAX_SEGMENTS = 100_000_000;

    private ChainInvariants() {
    }

    /** Throws {@link AssertionError} describing the first breach of the invariant. */
    static void check(SegmentChain c) {
        long sum = 0;
        boolean seenLastData = c.lastData == null;
        Segment prev = null;
        int count = 0;
        for (Segment s = c.head; s != null; prev = s, s = s.next) {
            count++;
            if (count > MAX_SEGMENTS) {
                throw new AssertionError("chain does not end after " + MAX_SEGMENTS + " segments");
            }
            checkSegment(c, s);
            long len = s.length();
            if (!seenLastData) {
                if (len == 0) {
                    throw new AssertionError("empty segment before the last data segment at #" + count);
                }
            } else if (len != 0) {
                throw new AssertionError("data after the last data segment at #" + count + ": " + s);
            } else if (!s.isExclusive()) {
                throw new AssertionError("trailing empty segment that cannot be written: " + s);
            }
            if (s == c.lastData) {
                seenLastData = true;
            }
            sum += len;
        }
        if (!seenLastData) {
            throw new AssertionError("lastData is not in the chain");
        }
        if (prev != c.tail) {
            throw new AssertionError("tail is not the last segment");
        }
        if (sum != c.length) {
            throw new AssertionError("length " + c.length + " but segments hold " + sum);
        }
        if ((c.lastData == null) != (c.length == 0)) {
            throw new AssertionError("lastData " + c.lastData + " with length " + c.length);
        }
    }

    private static void checkSegment(SegmentChain c, Segment s) {
        if (s.isFile()) {
            if (s.fileLength <= 0 || s.file.isReleased()) {
                throw new AssertionError("bad file segment " + s);
            }
            if (!c.mayHoldFiles) {
                throw new AssertionError("file segment in a buffer not marked as holding one");
            }
            return;
        }
        if (s.data == null || s.pos < 0 || s.pos > s.limit || s.limit > s.capacity()) {
            throw new AssertionError("segment out of bounds: " + s);
        }
        if (s.shared != null && s.shared.holders < 1) {
            throw new AssertionError("shared segment with no holders: " + s);
        }
    }
}
