package org.jevent.evbuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The state of one stateful run: three real buffers, their models and everything the test lent
 * to them (referenced memory, files, reservations, saved pointers).
 */
final class EvBufferModelState {
    static final int N = 3;

    // ------------------------------------------------------------------ the shared test file

    static final byte[] FILE_BYTES = BytesSpec.biased(48 * 1024 + 123, 0x5eedL, 0);
    static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("evbuffer-model", ".bin");
            Files.write(FILE, FILE_BYTES);
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FileChannel openFile() {
        try {
            return FileChannel.open(FILE, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ state

    final EvBuffer[] bufs = new EvBuffer[N];
    final ByteModel[] models = new ByteModel[N];
    final boolean[] frozenFront = new boolean[N];
    final boolean[] frozenEnd = new boolean[N];
    final List<long[]>[] cbLog;
    /** Our callback on each buffer, its entry, and whether it is enabled. */
    final EvBufferCallback[] callbacks = new EvBufferCallback[N];
    final CallbackEntry[] entries = new CallbackEntry[N];
    final boolean[] cbEnabled = new boolean[N];
    /** Deferred callbacks: the executor's queue and what has piled up since the last run. */
    final List<Runnable>[] deferQueue;
    final boolean[] deferred = new boolean[N];
    final boolean[] pending = new boolean[N];
    final long[] pendOrig = new long[N];
    final long[] pendAdded = new long[N];
    final long[] pendDeleted = new long[N];
    /** A second callback that removes itself when it first runs, and what it saw. */
    final boolean[] oneShotArmed = new boolean[N];
    final List<long[]>[] oneShotLog;
    final EvBufferPtr[] ptrs = new EvBufferPtr[N];
    final Reservation[] reservations = new Reservation[N];
    final List<Ref> refs = new ArrayList<>();
    final List<FileChannel> fileChannels = new ArrayList<>();
    final List<FileSeg> fileSegs = new ArrayList<>();
    final List<String> errors = new ArrayList<>();
    final long poolBaseline;
    int nextTag = 1;
    /**
     * The reference each tag stands for: a reference's own tag, or an alias given to the view
     * that one addBufferReference made of it. Views are told apart so that a removeBuffer cut
     * between two of them (a segment boundary) is not mistaken for a cut inside one.
     */
    private int[] tagRoot = new int[16];
    int steps;
    /** Counts every report of our callbacks across the three buffers, so that their order shows. */
    long callSeq;

    enum Validity { VALID, STALE, EITHER }

    /** What reserveSpace handed out and what the test wrote into each view. */
    static final class Reservation {
        ByteBuffer[] vec;
        int count;
        byte[][] written;
        Validity validity = Validity.VALID;
    }

    /** Memory lent with addReference. */
    static final class Ref {
        int tag;
        ByteBuffer original; // our handle on the memory, used to scribble after cleanup
        int pos;
        int limit;
        byte[] expected;
        int cleanups;
        boolean tracked;
        String what;
    }

    static final class FileSeg {
        FileSegment seg;
        FileChannel channel;
        boolean closeOnFree;
        int cleanups;
    }

    @SuppressWarnings("unchecked")
    EvBufferModelState() {
        poolBaseline = SegmentPool.current().outstanding();
        cbLog = (List<long[]>[]) new List<?>[N];
        deferQueue = (List<Runnable>[]) new List<?>[N];
        oneShotLog = (List<long[]>[]) new List<?>[N];
        for (int i = 0; i < N; i++) {
            cbLog[i] = new ArrayList<>();
            deferQueue[i] = new ArrayList<>();
            oneShotLog[i] = new ArrayList<>();
            fresh(i);
        }
    }

    void fresh(int i) {
        EvBuffer b = new EvBuffer();
        List<long[]> log = cbLog[i];
        callbacks[i] = (buf, info) -> {
            log.add(new long[] {info.origSize(), info.nAdded(), info.nDeleted(), buf.getLength(), callSeq++});
        };
        entries[i] = b.addCallback(callbacks[i]);
        cbEnabled[i] = true;
        deferQueue[i].clear();
        deferred[i] = false;
        pending[i] = false;
        oneShotArmed[i] = false;
        oneShotLog[i].clear();
        bufs[i] = b;
        models[i] = new ByteModel();
        frozenFront[i] = false;
        frozenEnd[i] = false;
        ptrs[i] = new EvBufferPtr();
        reservations[i] = null;
    }

    // ------------------------------------------------------------------ steps

    void begin() {
        steps++;
        errors.clear();
        for (int i = 0; i < N; i++) {
            cbLog[i].clear();
            oneShotLog[i].clear();
            models[i].beginStep();
        }
    }

    /** Checks every buffer against its model after a step. */
    void verify(String step) {
        for (int i = 0; i < N; i++) {
            EvBuffer b = bufs[i];
            ByteModel m = models[i];
            try {
                b.checkInvariants();
            } catch (AssertionError e) {
                throw new AssertionError(step + ": b" + i + " invariant: " + e.getMessage(), e);
            }
            check(b.getLength() == m.length(), step, i, "length " + b.getLength() + " but model has " + m.length());
            byte[] actual = contents(b);
            if (!Arrays.equals(actual, m.bytes())) {
                throw new AssertionError(step + ": b" + i + " content differs from model at index "
                        + Arrays.mismatch(actual, m.bytes()) + " (length " + m.length() + ")");
            }
            // callbacks: exactly one report of the step's net change, or none when nothing changed
            List<long[]> log = cbLog[i];
            if (m.changedThisStep()) {
                if (deferred[i]) {
                    if (!pending[i]) {
                        pending[i] = true;
                        pendOrig[i] = m.stepOrig;
                        pendAdded[i] = 0;
                        pendDeleted[i] = 0;
                    }
                    pendAdded[i] += m.stepAdded;
                    pendDeleted[i] += m.stepDeleted;
                    check(log.isEmpty(), step, i, "deferred callback ran inside the operation: " + logString(log));
                } else {
                    expectReport(step, i, log, cbEnabled[i], m.stepOrig, m.stepAdded, m.stepDeleted, "callback");
                    if (oneShotArmed[i]) {
                        expectReport(step, i, oneShotLog[i], true, m.stepOrig, m.stepAdded, m.stepDeleted,
                                "self-removing callback");
                        oneShotArmed[i] = false;
                    }
                }
                if (reservations[i] != null) {
                    reservations[i].validity = Validity.STALE;
                }
            } else {
                check(log.isEmpty(), step, i, "callback ran though nothing changed: " + logString(log));
            }
            check(oneShotLog[i].isEmpty() || m.changedThisStep(), step, i, "self-removing callback ran though nothing changed");
            // contiguous space
            int cs = b.getContiguousSpace();
            check(cs >= 0 && cs <= m.length(), step, i, "getContiguousSpace " + cs + " of " + m.length());
            if (m.length() > 0 && m.tag(0) != ByteModel.FILE) {
                check(cs > 0, step, i, "getContiguousSpace 0 on a non-empty buffer starting with memory");
            }
            check(b.isFrozen(true) == frozenFront[i] && b.isFrozen(false) == frozenEnd[i], step, i, "freeze flags");
        }
        if (!errors.isEmpty()) {
            throw new AssertionError(step + ": " + errors);
        }
        checkRefs(step);
    }

    /** A tag for a new reference. */
    int newTag() {
        return tagFor(nextTag);
    }

    /** A new tag for another view of the memory that {@code tag} stands for. */
    int aliasOf(int tag) {
        return tagFor(tagRoot[tag]);
    }

    private int tagFor(int root) {
        int t = nextTag++;
        if (t == tagRoot.length) {
            tagRoot = Arrays.copyOf(tagRoot, t * 2);
        }
        tagRoot[t] = root;
        return t;
    }

    void checkRefs(String step) {
        boolean[] live = new boolean[nextTag];
        for (ByteModel m : models) {
            for (int k = 0; k < m.length(); k++) {
                int t = m.tag(k);
                if (t > 0) {
                    live[tagRoot[t]] = true;
                }
            }
        }
        for (Ref r : refs) {
            if (!r.tracked) {
                continue;
            }
            if (r.cleanups > 1) {
                throw new AssertionError(step + ": cleanup of " + r.what + " ran " + r.cleanups + " times");
            }
            if (r.cleanups == 0) {
                byte[] now = new byte[r.limit - r.pos];
                r.original.get(r.pos, now);
                if (!Arrays.equals(now, r.expected)) {
                    throw new AssertionError(step + ": the buffer wrote into memory lent by " + r.what);
                }
                if (!live[r.tag]) {
                    throw new AssertionError(step + ": no buffer holds a byte of " + r.what
                            + " any more but its cleanup has not run");
                }
            }
        }
    }

    /**
     * For a move between two buffers: when both buffers' callbacks reported at once (enabled,
     * not deferred), {@code first}'s report came before {@code second}'s, the order libevent's
     * buffer.c uses for the operation.
     */
    void expectReportedFirst(int first, int second, String what) {
        List<long[]> a = cbLog[first];
        List<long[]> b = cbLog[second];
        if (!a.isEmpty() && !b.isEmpty() && a.get(0)[4] > b.get(0)[4]) {
            throw new AssertionError(what + ": b" + second + "'s callback ran before b" + first + "'s; libevent runs b"
                    + first + "'s first");
        }
    }

    /** One report of (orig, added, deleted) in {@code log} when enabled, none when not. */
    static void expectReport(String step, int i, List<long[]> log, boolean enabled, long orig, long added,
            long deleted, String who) {
        if (!enabled) {
            check(log.isEmpty(), step, i, "disabled " + who + " ran: " + logString(log));
            return;
        }
        check(log.size() == 1, step, i, "expected one " + who + " report " + cbString(orig, added, deleted)
                + " but got " + logString(log));
        long[] e = log.get(0);
        check(e[0] == orig && e[1] == added && e[2] == deleted, step, i,
                who + " reported " + logString(log) + ", expected " + cbString(orig, added, deleted));
        check(e[3] == e[0] + e[1] - e[2], step, i, who + " ran before the change was complete: length "
                + e[3] + " in " + logString(log));
    }

    private static void check(boolean ok, String step, int i, String msg) {
        if (!ok) {
            throw new AssertionError(step + ": b" + i + ": " + msg);
        }
    }

    private static String cbString(long o, long a, long d) {
        return "(orig=" + o + " added=" + a + " deleted=" + d + ")";
    }

    private static String logString(List<long[]> log) {
        StringBuilder sb = new StringBuilder("[");
        for (long[] e : log) {
            sb.append(cbString(e[0], e[1], e[2])).append(" len=").append(e[3]).append(' ');
        }
        return sb.append(']').toString();
    }

    /**
     * The buffer's bytes, read without any public operation so that nothing is materialised or
     * rearranged by the check itself (the test sits in the package for this).
     */
    static byte[] contents(EvBuffer b) {
        long len = b.getLength();
        byte[] out = new byte[(int) len];
        int at = 0;
        Segment last = b.chain().lastData;
        for (Segment s = b.chain().head; s != null && at < len; s = s.next) {
            if (s.isFile()) {
                ByteBuffer dst = ByteBuffer.wrap(out, at, (int) s.fileLength);
                long p = s.fileOffset;
                try {
                    while (dst.hasRemaining()) {
                        int n = s.file.channel().read(dst, p);
                        if (n < 0) {
                            throw new AssertionError("file ended inside a file segment " + s);
                        }
                        p += n;
                    }
                } catch (IOException e) {
                    throw new AssertionError("cannot read file segment " + s + ": " + e, e);
                }
                at += (int) s.fileLength;
            } else {
                s.data.get(s.pos, out, at, s.readable());
                at += s.readable();
            }
            if (s == last) {
                break;
            }
        }
        if (at != len) {
            throw new AssertionError("segments hold " + at + " bytes, length says " + len);
        }
        return out;
    }

    // ------------------------------------------------------------------ end of a run

    /** Frees everything and checks that nothing leaked and every cleanup ran exactly once. */
    void finish() {
        for (int i = 0; i < N; i++) {
            bufs[i].free();
            models[i].clear();
            if (!bufs[i].isFreed()) {
                throw new AssertionError("free() did not free b" + i);
            }
        }
        for (FileSeg fs : fileSegs) {
            fs.seg.free();
        }
        long leaked = SegmentPool.current().outstanding() - poolBaseline;
        if (leaked != 0) {
            throw new AssertionError("segment pool: " + leaked + " segments still outstanding after freeing every buffer");
        }
        for (Ref r : refs) {
            if (r.tracked && r.cleanups != 1) {
                throw new AssertionError("after free, cleanup of " + r.what + " ran " + r.cleanups + " times");
            }
        }
        for (FileChannel ch : fileChannels) {
            if (ch.isOpen()) {
                throw new AssertionError("a channel given to addFile is still open after every buffer was freed");
            }
        }
        for (FileSeg fs : fileSegs) {
            if (!fs.seg.isReleased() || fs.cleanups != 1) {
                throw new AssertionError("file segment not released once: released=" + fs.seg.isReleased()
                        + " cleanups=" + fs.cleanups);
            }
            if (fs.closeOnFree == fs.channel.isOpen()) {
                throw new AssertionError("file segment channel open=" + fs.channel.isOpen()
                        + " with closeOnFree=" + fs.closeOnFree);
            }
            try {
                fs.channel.close();
            } catch (IOException ignored) {
                // test cleanup
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("State[");
        for (int i = 0; i < N; i++) {
            sb.append(" b").append(i).append('=').append(models[i].length());
        }
        return sb.append(" ]").toString();
    }

    // ------------------------------------------------------------------ byte-array channels

    /**
     * An in-memory channel that reads from {@code in} and records what is written, taking at
     * most {@code cap} bytes per call; scatters and gathers.
     */
    static final class MemChannel implements ScatteringByteChannel, GatheringByteChannel {
        final byte[] in;
        int inPos;
        final boolean eof;
        final int cap;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        int calls;

        MemChannel(byte[] in, boolean eof, int cap) {
            this.in = in;
            this.eof = eof;
            this.cap = cap;
        }

        @Override
        public int read(ByteBuffer dst) {
            return (int) read(new ByteBuffer[] {dst}, 0, 1);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            calls++;
            if (inPos == in.length) {
                return eof ? -1 : 0;
            }
            long total = 0;
            for (int i = offset; i < offset + length && total < cap && inPos < in.length; i++) {
                ByteBuffer d = dsts[i];
                int k = (int) Math.min(Math.min(d.remaining(), in.length - inPos), cap - total);
                d.put(in, inPos, k);
                inPos += k;
                total += k;
            }
            return total;
        }

        @Override
        public long read(ByteBuffer[] dsts) {
            return read(dsts, 0, dsts.length);
        }

        @Override
        public int write(ByteBuffer src) {
            return (int) write(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            calls++;
            long total = 0;
            for (int i = offset; i < offset + length && total < cap; i++) {
                ByteBuffer s = srcs[i];
                int k = (int) Math.min(s.remaining(), cap - total);
                byte[] tmp = new byte[k];
                s.get(tmp);
                out.write(tmp, 0, k);
                total += k;
            }
            return total;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** Hides the scattering/gathering interfaces of a channel. */
    static final class PlainChannel implements ReadableByteChannel, WritableByteChannel {
        final MemChannel c;

        PlainChannel(MemChannel c) {
            this.c = c;
        }

        @Override
        public int read(ByteBuffer dst) {
            return c.read(dst);
        }

        @Override
        public int write(ByteBuffer src) {
            return c.write(src);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    // ------------------------------------------------------------------ test data

    /** Bytes described by a size, a seed and a mix; shrinks by size. */
    record BytesSpec(int size, long seed, int mode) {
        byte[] make() {
            return biased(size, seed, mode);
        }

        static byte[] biased(int size, long seed, int mode) {
            SplittableRandom r = new SplittableRandom(seed);
            byte[] b = new byte[size];
            for (int i = 0; i < size; i++) {
                int x = r.nextInt(100);
                switch (mode) {
                    case 0: // line-ish: lots of CR, LF, NUL, few letters
                        b[i] = x < 15 ? (byte) '\r' : x < 32 ? (byte) '\n' : x < 40 ? 0 : (byte) "abc".charAt(x % 3);
                        break;
                    case 1: // text with occasional line ends
                        b[i] = x < 3 ? (byte) '\r' : x < 7 ? (byte) '\n' : x < 8 ? 0 : (byte) ('a' + r.nextInt(4));
                        break;
                    default:
                        b[i] = (byte) r.nextInt(256);
                }
            }
            return b;
        }

        @Override
        public String toString() {
            return size + "B/" + seed + "/m" + mode;
        }
    }
}
