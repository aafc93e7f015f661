package org.jevent.evbuffer;

import java.util.Arrays;

/**
 * The obviously right model of an {@link EvBuffer}'s content: a growable byte array, plus a tag
 * per byte saying where the byte came from (0 plain, a positive reference id for memory lent
 * with addReference, {@link #FILE} for bytes added from a file). Tags travel with the bytes; a
 * byte that a buffer must hold as a copy rather than in the lent memory is re-tagged 0.
 *
 * <p>It also counts what the current step added and deleted, which is what the buffer's callback
 * must report.
 */
final class ByteModel {
    static final int FILE = -1;

    private byte[] data = new byte[64];
    private int[] tags = new int[64];
    private int len;

    /** Length at the start of the current step, and what the step added and deleted. */
    long stepOrig;
    long stepAdded;
    long stepDeleted;

    void beginStep() {
        stepOrig = len;
        stepAdded = 0;
        stepDeleted = 0;
    }

    boolean changedThisStep() {
        return stepAdded != 0 || stepDeleted != 0;
    }

    int length() {
        return len;
    }

    byte get(int i) {
        if (i < 0 || i >= len) {
            throw new IndexOutOfBoundsException(i);
        }
        return data[i];
    }

    int tag(int i) {
        return tags[i];
    }

    byte[] bytes() {
        return Arrays.copyOf(data, len);
    }

    byte[] slice(int from, int to) {
        return Arrays.copyOfRange(data, from, to);
    }

    int[] tagSlice(int from, int to) {
        return Arrays.copyOfRange(tags, from, to);
    }

    /**
     * Re-tags 0 the run of {@code tag} that ends at the last byte, looking back at most
     * {@code max} bytes: those bytes are now a copy, not the memory the tag names.
     */
    void untagTail(int tag, int max) {
        for (int i = len - 1; i >= len - max && tags[i] == tag; i--) {
            tags[i] = 0;
        }
    }

    boolean anyTag(int from, int to, int tag) {
        for (int i = from; i < to; i++) {
            if (tags[i] == tag) {
                return true;
            }
        }
        return false;
    }

    private void ensure(int n) {
        if (n > data.length) {
            int cap = Math.max(n, data.length * 2);
            data = Arrays.copyOf(data, cap);
            tags = Arrays.copyOf(tags, cap);
        }
    }

    void append(byte[] b, int tag) {
        int[] t = new int[b.length];
        Arrays.fill(t, tag);
        append(b, t);
    }

    void append(byte[] b, int[] t) {
        ensure(len + b.length);
        System.arraycopy(b, 0, data, len, b.length);
        System.arraycopy(t, 0, tags, len, b.length);
        len += b.length;
        stepAdded += b.length;
    }

    void prepend(byte[] b, int tag) {
        int[] t = new int[b.length];
        Arrays.fill(t, tag);
        prepend(b, t);
    }

    void prepend(byte[] b, int[] t) {
        ensure(len + b.length);
        System.arraycopy(data, 0, data, b.length, len);
        System.arraycopy(tags, 0, tags, b.length, len);
        System.arraycopy(b, 0, data, 0, b.length);
        System.arraycopy(t, 0, tags, 0, b.length);
        len += b.length;
        stepAdded += b.length;
    }

    /** Removes the first n bytes (n ≤ length). */
    void drain(int n) {
        if (n < 0 || n > len) {
            throw new IllegalArgumentException("model drain " + n + " of " + len);
        }
        System.arraycopy(data, n, data, 0, len - n);
        System.arraycopy(tags, n, tags, 0, len - n);
        len -= n;
        stepDeleted += n;
    }

    /** Moves the first n bytes to the end of dst. */
    void moveTo(ByteModel dst, int n) {
        byte[] b = slice(0, n);
        int[] t = tagSlice(0, n);
        drain(n);
        dst.append(b, t);
    }

    /** Moves everything to the front of dst. */
    void moveToFront(ByteModel dst) {
        byte[] b = bytes();
        int[] t = tagSlice(0, len);
        drain(len);
        dst.prepend(b, t);
    }

    void clear() {
        len = 0;
    }

    // -------------------------------------------------------------- searching, the plain way

    /** First i ≥ from with the whole needle in [from, end); empty needle: from. -1 if none. */
    long search(byte[] what, long from, long end) {
        if (what.length == 0) {
            return from;
        }
        outer:
        for (long i = from; i + what.length <= end; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[(int) i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** {position, eolLength} of the first end of line at or after from, or {-1, 0}. */
    long[] searchEol(long from, EolStyle style) {
        final byte cr = '\r';
        final byte lf = '\n';
        for (int i = (int) from; i < len; i++) {
            byte c = data[i];
            switch (style) {
                case LF:
                    if (c == lf) {
                        return new long[] {i, 1};
                    }
                    break;
                case NUL:
                    if (c == 0) {
                        return new long[] {i, 1};
                    }
                    break;
                case CRLF_STRICT:
                    if (c == cr && i + 1 < len && data[i + 1] == lf) {
                        return new long[] {i, 2};
                    }
                    break;
                case CRLF:
                    if (c == lf) {
                        return new long[] {i, 1};
                    }
                    if (c == cr && i + 1 < len && data[i + 1] == lf) {
                        return new long[] {i, 2};
                    }
                    break;
                case ANY:
                    if (c == cr || c == lf) {
                        int j = i;
                        while (j < len && (data[j] == cr || data[j] == lf)) {
                            j++;
                        }
                        return new long[] {i, j - i};
                    }
                    break;
                default:
                    throw new AssertionError(style);
            }
        }
        return new long[] {-1, 0};
    }
}
