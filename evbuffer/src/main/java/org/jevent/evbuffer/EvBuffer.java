package org.jevent.evbuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A queue of bytes made of linked segments: libevent's {@code struct evbuffer} for the JVM.
 * Bytes are added at the end and taken from the front; whole segments move between buffers
 * without copying.
 *
 * <h2>Porting</h2>
 * Each {@code evbuffer_xxx(buf, ...)} call is {@code buf.xxx(...)} in camelCase:
 * {@code evbuffer_add_buffer(dst, src)} is {@code dst.addBuffer(src)},
 * {@code evbuffer_readln(buf, &n, EVBUFFER_EOL_CRLF)} is {@code buf.readLine(EolStyle.CRLF)}.
 * Where C returns -1 for a refused operation (a frozen end, a bad argument) this class throws:
 * {@link IllegalStateException} for a frozen or freed buffer, {@link IllegalArgumentException}
 * for a bad size or position, {@link NullPointerException} for a missing argument; the buffer is
 * unchanged in every such case. Lenient results that libevent defines are kept and documented
 * on each method (draining more than the length drains everything, {@link #pullup} of more than
 * the length returns null, ...). {@code docs/porting.md} has the whole table.
 *
 * <h2>Threading</h2>
 * Not thread-safe: a buffer is used by one thread at a time, normally its event base's. Segment
 * memory comes from the calling thread's {@link SegmentPool}.
 *
 * <h2>Invariant</h2>
 * (checked by {@link #checkInvariants()} after every step of the tests)
 * <ul>
 * <li>{@code length} is the sum of the segments' lengths.</li>
 * <li>The chain runs {@code head → … → lastData → (empty segments) → tail}: every segment up to
 * and including {@code lastData} holds at least one byte, every segment after it is empty, owned
 * and waiting to be filled (reserved or expanded space). {@code lastData} is null exactly when
 * the buffer is empty.</li>
 * <li>No segment is in two buffers; shared memory is reached through distinct segments that
 * count themselves in {@link SharedMemory#holders}.</li>
 * </ul>
 */
public final class EvBuffer implements AutoCloseable {
    /** Flag of a callback entry: the callback runs ({@code EVBUFFER_CB_ENABLED}). */
    public static final int EVBUFFER_CB_ENABLED = 1;
    /**
     * Flag of a callback entry: it runs at once even on a buffer whose callbacks are deferred
     * (libevent's internal {@code EVBUFFER_CB_NODEFER}, used by the bufferevent layer).
     */
    public static final int EVBUFFER_CB_NODEFER = 2;

    /** Default for {@link #getMaxRead()}: libevent's {@code EVBUFFER_MAX_READ_DEFAULT}. */
    public static final int DEFAULT_MAX_READ = 4096;
    /** Most segments handed to one scattering read, as libevent's {@code NUM_READ_IOVEC}. */
    static final int MAX_READ_VECTORS = 4;
    /** Most segments handed to one gathering write, as libevent's {@code DEFAULT_WRITE_IOVEC}. */
    static final int MAX_WRITE_VECTORS = 128;
    /** An append moves data to the front of a segment only when this little must move. */
    static final int MAX_TO_REALIGN = 2048;

    private Segment head;
    private Segment lastData;
    private Segment tail;
    private long length;
    private SegmentPool pool = SegmentPool.current();

    private boolean frozenStart;
    private boolean frozenEnd;
    private boolean freed;
    private int maxRead = DEFAULT_MAX_READ;
    /** True when a file segment may be in the chain; operations that need bytes read it first. */
    private boolean mayHoldFiles;

    /** Bumped by every change of content: a reservation is valid only while it is unchanged. */
    private int modCount;
    /** Bumped by every change of the chain: cached pointer positions are valid while it is unchanged. */
    int layoutVersion;

    /** The cursor readLine searches with, made on first use and reused. */
    private EvBufferPtr lineCursor;
    /** Made on first use: most buffers are never reserved into (an idle connection holds two). */
    private Reservation reservation;

    // Callbacks
    /** Made on first use: a buffer nobody listens to keeps no counters at all. */
    private CallbackList callbacks;

    /** An empty buffer: {@code evbuffer_new()}. */
    public EvBuffer() {
    }

    // ------------------------------------------------------------------ size

    /** Bytes in the buffer ({@code evbuffer_get_length}). */
    public long getLength() {
        return length;
    }

    /**
     * Bytes that can be read from the front without {@link #pullup} copying anything
     * ({@code evbuffer_get_contiguous_space}): the data of the first segment, 0 when that is a
     * file range that would have to be read first.
     */
    public int getContiguousSpace() {
        Segment h = head;
        if (length == 0 || h.isFile()) {
            return 0;
        }
        return h.readable();
    }

    /** Caps the bytes one {@link #readFrom} call reads when it is given no amount. */
    public void setMaxRead(int maxRead) {
        if (maxRead <= 0) {
            throw new IllegalArgumentException("max read must be positive: " + maxRead);
        }
        this.maxRead = maxRead;
    }

    public int getMaxRead() {
        return maxRead;
    }

    // ------------------------------------------------------------------ adding

    /** Appends a copy of {@code data} ({@code evbuffer_add}). */
    public void add(byte[] data) {
        Objects.requireNonNull(data, "data");
        add(data, 0, data.length);
    }

    /** Appends a copy of {@code len} bytes of {@code data} from {@code off}. */
    public void add(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        checkEnd();
        if (len == 0) {
            return;
        }
        appendBytes(data, off, len, null);
        added(len);
    }

    /** Appends a copy of {@code src}'s remaining bytes and advances its position past them. */
    public void add(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        checkEnd();
        int len = src.remaining();
        if (len == 0) {
            return;
        }
        appendBytes(null, src.position(), len, src);
        src.position(src.position() + len);
        added(len);
    }

    /** Appends {@code text} encoded with {@code charset}; returns the number of bytes added. */
    public int add(CharSequence text, Charset charset) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(charset, "charset");
        checkEnd();
        byte[] bytes = text.toString().getBytes(charset);
        if (bytes.length > 0) {
            appendBytes(bytes, 0, bytes.length, null);
            added(bytes.length);
        }
        return bytes.length;
    }

    /**
     * Appends {@code String.format(Locale.ROOT, format, args)} as UTF-8
     * ({@code evbuffer_add_printf}); returns the number of bytes added.
     */
    public int addPrintf(String format, Object... args) {
        Objects.requireNonNull(format, "format");
        checkEnd();
        return add(String.format(Locale.ROOT, format, args), StandardCharsets.UTF_8);
    }

    /**
     * Appends the remaining bytes of each buffer in order and advances their positions
     * ({@code evbuffer_add_iovec}); returns the number of bytes added.
     */
    public long addIovec(ByteBuffer... vec) {
        Objects.requireNonNull(vec, "vec");
        checkEnd();
        long total = 0;
        for (ByteBuffer b : vec) {
            total += Objects.requireNonNull(b, "vec element").remaining();
        }
        for (ByteBuffer b : vec) {
            int len = b.remaining();
            if (len > 0) {
                appendBytes(null, b.position(), len, b);
                b.position(b.position() + len);
            }
        }
        if (total > 0) {
            added(total);
        }
        return total;
    }

    /** Puts a copy of {@code data} in front of the buffer ({@code evbuffer_prepend}). */
    public void prepend(byte[] data) {
        Objects.requireNonNull(data, "data");
        prepend(data, 0, data.length);
    }

    /** Puts a copy of {@code len} bytes of {@code data} from {@code off} in front of the buffer. */
    public void prepend(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        checkStart();
        if (len == 0) {
            return;
        }
        prependBytes(data, off, len, null);
        added(len);
    }

    /** Puts a copy of {@code src}'s remaining bytes in front of the buffer and advances its position. */
    public void prepend(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        checkStart();
        int len = src.remaining();
        if (len == 0) {
            return;
        }
        prependBytes(null, src.position(), len, src);
        src.position(src.position() + len);
        added(len);
    }

    /**
     * Moves every byte of {@code src} to the end of this buffer ({@code evbuffer_add_buffer}).
     * Whole segments are relinked, not copied; only a segment shorter than
     * 1 KiB is folded into this buffer's last one when it fits, so that a
     * stream of small messages does not become a chain of nearly empty segments. Both buffers'
     * callbacks run. Moving a buffer into itself does nothing.
     *
     * @throws IllegalStateException if this buffer's end or {@code src}'s front is frozen
     */
    public void addBuffer(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src == this) {
            return;
        }
        checkEnd();
        src.checkStart();
        long n = src.length;
        if (n == 0) {
            return;
        }
        Segment first = src.head;
        Segment last = src.lastData;
        src.detachData();
        appendChain(first, last);
        mayHoldFiles |= src.mayHoldFiles;
        added(n);
        src.deleted(n);
    }

    /**
     * Moves every byte of {@code src} to the front of this buffer, relinking its segments
     * ({@code evbuffer_prepend_buffer(dst, src)}).
     *
     * @throws IllegalStateException if either buffer's front is frozen
     */
    public void prependBuffer(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src == this) {
            return;
        }
        checkStart();
        src.checkStart();
        long n = src.length;
        if (n == 0) {
            return;
        }
        Segment first = src.head;
        Segment last = src.lastData;
        src.detachData();
        last.next = head;
        head = first;
        if (lastData == null) {
            lastData = last;
        }
        if (tail == null) {
            tail = last;
        }
        length += n;
        mayHoldFiles |= src.mayHoldFiles;
        mutated();
        added(n);
        src.deleted(n);
    }

    /**
     * Appends a read-only view of all of {@code src}'s bytes without copying or removing them
     * ({@code evbuffer_add_buffer_reference}). The two buffers share the memory from then on and
     * neither ever writes into it; each can drain, add and prepend independently.
     *
     * @throws IllegalArgumentException if {@code src} is this buffer
     * @throws IllegalStateException if this buffer's end is frozen
     */
    public void addBufferReference(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src == this) {
            throw new IllegalArgumentException("a buffer cannot reference itself");
        }
        checkEnd();
        long n = src.length;
        if (n == 0) {
            return;
        }
        Segment first = null;
        Segment last = null;
        for (Segment s = src.head; ; s = s.next) {
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
            if (s == src.lastData) {
                break;
            }
        }
        src.mutated(); // src's segments are now shared: no more in-place prepends or realigns
        appendChain(first, last);
        mayHoldFiles |= src.mayHoldFiles;
        added(n);
    }

    /**
     * Adds {@code data}'s remaining bytes without copying them ({@code evbuffer_add_reference};
     * a buffer positioned past its start is {@code evbuffer_add_reference_with_offset}). The
     * memory is never written. {@code cleanup}, if not null, runs exactly once when no buffer
     * holds any of these bytes any more: when the last of them is drained or when the last
     * buffer holding them is freed. An empty {@code data} is released at once.
     *
     * @throws IllegalStateException if the end is frozen; the cleanup is then not called,
     *     as in libevent
     */
    public void addReference(ByteBuffer data, ReferenceCleanup cleanup) {
        Objects.requireNonNull(data, "data");
        checkEnd();
        int len = data.remaining();
        ByteBuffer lent = data.duplicate();
        if (len == 0) {
            if (cleanup != null) {
                cleanup.cleanup(lent);
            }
            return;
        }
        Segment s = new Segment(data.duplicate().clear(), null);
        s.owner = false;
        s.shared = new SharedMemory(cleanup == null ? NO_CLEANUP : cleanup, lent);
        s.pos = data.position();
        s.limit = data.limit();
        appendChain(s, s);
        added(len);
    }

    /** {@link #addReference(ByteBuffer, ReferenceCleanup)} over {@code len} bytes of an array. */
    public void addReference(byte[] data, int off, int len, ReferenceCleanup cleanup) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        addReference(ByteBuffer.wrap(data, off, len), cleanup);
    }

    private static final ReferenceCleanup NO_CLEANUP = data -> { };

    /**
     * Appends {@code length} bytes of a file from {@code offset} without reading them
     * ({@code evbuffer_add_file}). The buffer owns the channel from now on and closes it when
     * the bytes are gone, or at once if this call fails. Written to a channel, the range goes
     * with {@link FileChannel#transferTo}; anything that needs the bytes themselves reads them
     * into memory first.
     *
     * @param length bytes to add, or -1 for the rest of the file
     */
    public void addFile(FileChannel channel, long offset, long length) {
        Objects.requireNonNull(channel, "channel");
        FileSegment fs;
        try {
            checkEnd();
            fs = FileSegment.create(channel, offset, length, FileSegment.EVBUF_FS_CLOSE_ON_FREE);
        } catch (RuntimeException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        try {
            addFileSegment(fs, 0, fs.length());
        } finally {
            fs.free();
        }
    }

    /**
     * Appends {@code length} bytes of {@code segment} from {@code offset} (both relative to the
     * segment; {@code length} -1 means to the segment's end, as in C)
     * ({@code evbuffer_add_file_segment}). The segment stays alive while any buffer holds part
     * of it.
     */
    public void addFileSegment(FileSegment segment, long offset, long length) {
        Objects.requireNonNull(segment, "segment");
        checkEnd();
        if (length == -1 && offset >= 0 && offset <= segment.length()) {
            length = segment.length() - offset;
        }
        if (offset < 0 || length < 0 || offset + length > segment.length()) {
            throw new IllegalArgumentException("range " + offset + "+" + length
                    + " is outside a file segment of " + segment.length() + " bytes");
        }
        if (length == 0) {
            return;
        }
        segment.retain();
        Segment s = new Segment(segment, segment.offset() + offset, length);
        mayHoldFiles = true;
        appendChain(s, s);
        added(length);
    }

    // ------------------------------------------------------------------ removing

    /**
     * Removes {@code len} bytes from the front ({@code evbuffer_drain}). As in libevent, asking
     * for more than the length drains everything.
     *
     * @throws IllegalArgumentException if {@code len} is negative
     */
    public void drain(long len) {
        if (len < 0) {
            throw new IllegalArgumentException("negative length: " + len);
        }
        checkStart();
        long n = Math.min(len, length);
        if (n == 0) {
            return;
        }
        dropFront(n);
        deleted(n);
    }

    /**
     * Moves up to {@code len} bytes from the front into {@code dst} ({@code evbuffer_remove});
     * returns how many, possibly 0.
     */
    public int remove(byte[] dst, int off, int len) {
        int n = copyout(dst, off, len);
        if (n > 0) {
            dropFront(n);
            deleted(n);
        }
        return n;
    }

    /** {@link #remove(byte[], int, int)} into the whole array. */
    public int remove(byte[] dst) {
        return remove(Objects.requireNonNull(dst, "dst"), 0, dst.length);
    }

    /** Moves bytes from the front into {@code dst} until it is full or this buffer empty. */
    public int remove(ByteBuffer dst) {
        int n = copyout(dst);
        if (n > 0) {
            dropFront(n);
            deleted(n);
        }
        return n;
    }

    /**
     * Moves up to {@code len} bytes from the front of this buffer to the end of {@code dst}
     * ({@code evbuffer_remove_buffer(src, dst, len)}); returns how many. Whole segments are
     * relinked; of the one segment that is split, a part shorter than
     * 1 KiB is copied and a longer one is shared read-only.
     *
     * @throws IllegalStateException if this buffer's front or {@code dst}'s end is frozen
     */
    public long removeBuffer(EvBuffer dst, long len) {
        Objects.requireNonNull(dst, "dst");
        if (len < 0) {
            throw new IllegalArgumentException("negative length: " + len);
        }
        checkStart();
        dst.checkEnd();
        if (dst == this || len == 0 || length == 0) {
            return 0;
        }
        if (len >= length) {
            long n = length;
            dst.addBuffer(this);
            return n;
        }
        // Cut the chain after the last whole segment that fits.
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
            } else if (rest >= Segment.SHARE_MINIMUM) {
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
        dst.added(len);
        deleted(len);
        return len;
    }

    // ------------------------------------------------------------------ copying out

    /**
     * Copies up to {@code len} bytes from the front into {@code dst} without removing them
     * ({@code evbuffer_copyout}); returns how many.
     *
     * @throws IllegalStateException if the front is frozen (libevent refuses this too)
     */
    public int copyout(byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(dst, "dst").length);
        checkStart();
        int n = (int) Math.min(len, length);
        if (n > 0) {
            materializeFiles();
            copyFrom(head, head.pos, dst, off, n, null);
        }
        return n;
    }

    /** {@link #copyout(byte[], int, int)} into the whole array. */
    public int copyout(byte[] dst) {
        return copyout(Objects.requireNonNull(dst, "dst"), 0, dst.length);
    }

    /** Copies bytes from the front into {@code dst}, advancing its position; returns how many. */
    public int copyout(ByteBuffer dst) {
        Objects.requireNonNull(dst, "dst");
        checkStart();
        int n = (int) Math.min(dst.remaining(), length);
        if (n > 0) {
            materializeFiles();
            copyFrom(head, head.pos, null, dst.position(), n, dst);
            dst.position(dst.position() + n);
        }
        return n;
    }

    /**
     * Copies up to {@code len} bytes starting at {@code from} into {@code dst}
     * ({@code evbuffer_copyout_from}); returns how many.
     *
     * @throws IllegalArgumentException if {@code from} is invalid or past the end
     */
    public int copyoutFrom(EvBufferPtr from, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(dst, "dst").length);
        Objects.requireNonNull(from, "from");
        checkStart();
        checkPosition(from.pos);
        int n = (int) Math.min(len, length - from.pos);
        if (n > 0) {
            materializeFiles();
            resolve(from);
            copyFrom(from.seg, from.seg.pos + from.offset, dst, off, n, null);
        }
        return n;
    }

    /**
     * Makes the first {@code size} bytes contiguous and returns a read-only view of them
     * positioned at 0 ({@code evbuffer_pullup}); {@code size} -1 means every byte. As in
     * libevent, returns null when {@code size} is 0 or more than the length. The view is valid
     * until the buffer next changes.
     */
    public ByteBuffer pullup(long size) {
        int want = pullupLength(size);
        if (want < 0) {
            return null;
        }
        Segment h = head;
        if (h.readable() < want) {
            h = gatherFront(want);
        }
        return h.readView(h.pos, h.pos + want).slice();
    }

    /** The byte count a pullup of {@code size} makes contiguous, or -1 for libevent's NULL cases. */
    private int pullupLength(long size) {
        if (size < -1) {
            throw new IllegalArgumentException("size must be -1 or at least 0: " + size);
        }
        long n = size == -1 ? length : size;
        if (n == 0 || n > length) {
            return -1;
        }
        materializeFiles();
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    // ------------------------------------------------------------------ zero-copy access

    /**
     * Exposes the data from {@code start} (null: the front) as read-only views without copying
     * ({@code evbuffer_peek}). Fills at most {@code vecOut.length} views, each positioned at its
     * first byte with {@code remaining()} bytes; returns how many views {@code len} bytes need,
     * which may be more than were filled. A null or empty {@code vecOut} only counts. With
     * {@code len} -1 ("everything") the result is every view when only counting, and as many as
     * {@code vecOut} holds otherwise, as in libevent. The views are valid until the buffer next
     * changes.
     */
    public int peek(long len, EvBufferPtr start, ByteBuffer[] vecOut) {
        if (len < -1) {
            throw new IllegalArgumentException("len must be -1 or at least 0: " + len);
        }
        long startPos = start == null ? 0 : start.pos;
        checkPosition(startPos);
        if (length == startPos || len == 0) {
            return 0;
        }
        materializeFiles();
        Segment s;
        int off;
        if (start == null) {
            s = head;
            off = 0;
        } else {
            resolve(start);
            s = start.seg;
            off = start.offset;
        }
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

    /**
     * Makes at least {@code size} bytes of free space writable at the end and returns it in up
     * to {@code vec.length} views ({@code evbuffer_reserve_space}); returns how many views it
     * filled. Each view starts at position 0; write into it, leave its position after the last
     * byte written, then {@link #commitSpace} it. Nothing reserved is data until committed, and
     * any other change of the buffer in between cancels the reservation. Reserving again without
     * a change returns the same space.
     *
     * @throws IllegalStateException if the end is frozen
     */
    public int reserveSpace(long size, ByteBuffer[] vec) {
        Objects.requireNonNull(vec, "vec");
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        if (vec.length == 0) {
            throw new IllegalArgumentException("no room for even one extent");
        }
        if (size > Integer.MAX_VALUE - SegmentPool.LARGE_SIZE) {
            throw new IllegalArgumentException("cannot reserve " + size + " bytes");
        }
        checkEnd();
        int want = (int) Math.max(size, 1);
        Reservation r = reservation();
        reserveExtents(want, Math.min(vec.length, MAX_RESERVE_VECTORS), r);
        for (int i = 0; i < r.count; i++) {
            vec[i] = r.view(i);
        }
        r.modCount = modCount;
        return r.count;
    }

    /** The most extents a reservation uses; libevent only ever uses two in practice. */
    static final int MAX_RESERVE_VECTORS = 16;

    /**
     * Makes the first {@code n} views of the last {@link #reserveSpace} data
     * ({@code evbuffer_commit_space}): {@code vec[i].position()} bytes of each. A view may be
     * committed short, and 0 bytes is fine. A commit of one view or more ends the reservation,
     * and the space it left unused goes back to the pool (libevent keeps it on the chain): a
     * connection that reserved a record's worth and received nothing does not keep 17 KiB while
     * it idles.
     *
     * @throws IllegalStateException if the end is frozen, or the buffer changed since the
     *     reservation, or {@code vec} does not hold the reserved views
     */
    public void commitSpace(ByteBuffer[] vec, int n) {
        Objects.requireNonNull(vec, "vec");
        checkEnd();
        Reservation r = reservation();
        if (n < 0 || n > vec.length) {
            throw new IllegalArgumentException("cannot commit " + n + " extents of " + vec.length);
        }
        if (n == 0) {
            return; // as in libevent: nothing happens, the reservation stays valid
        }
        if (r.modCount != modCount || r.count == 0) {
            throw new IllegalStateException("the buffer changed since the space was reserved");
        }
        if (n > r.count) {
            throw new IllegalArgumentException("commit of " + n + " extents, " + r.count + " reserved");
        }
        for (int i = 0; i < n; i++) {
            ByteBuffer v = vec[i];
            if (v != r.views[i] || v.position() > r.segments[i].capacity() - r.starts[i]) {
                throw new IllegalStateException("extent " + i + " is not the view reserveSpace returned");
            }
        }
        long total = 0;
        Segment newLast = lastData;
        for (int i = 0; i < n; i++) {
            int k = vec[i].position();
            if (k > 0) {
                Segment s = r.segments[i];
                s.limit = r.starts[i] + k;
                total += k;
                newLast = s;
            }
        }
        r.clear();
        if (total == 0) {
            releaseTrailingEmpty();
            return;
        }
        if (newLast != lastData) {
            // Reserved segments left empty before the new last data segment are dropped.
            Segment prev = lastData;
            Segment s = prev == null ? head : prev.next;
            while (s != newLast) {
                Segment next = s.next;
                if (s.readable() == 0) {
                    unlinkAfter(prev, s);
                    s.release();
                } else {
                    prev = s;
                }
                s = next;
            }
        }
        lastData = newLast;
        releaseTrailingEmpty();
        length += total;
        mutated();
        added(total);
    }

    /**
     * Makes sure at least {@code n} bytes can be appended into one segment without another
     * allocation ({@code evbuffer_expand}).
     */
    public void expand(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative size: " + n);
        }
        if (n > Integer.MAX_VALUE - SegmentPool.LARGE_SIZE) {
            throw new IllegalArgumentException("cannot expand by " + n + " bytes");
        }
        checkNotFreed();
        expandOne(n);
    }

    // ------------------------------------------------------------------ searching

    /**
     * Moves {@code ptr} ({@code evbuffer_ptr_set}); returns false, leaving {@code ptr} at -1, if
     * the result would lie past the end, as libevent returns -1. The end itself is a valid
     * position.
     */
    public boolean ptrSet(EvBufferPtr ptr, long position, PtrHow how) {
        Objects.requireNonNull(ptr, "ptr");
        Objects.requireNonNull(how, "how");
        long target;
        if (how == PtrHow.SET) {
            target = position;
        } else {
            if (ptr.pos < 0 || position < 0 || position > Long.MAX_VALUE - ptr.pos) {
                ptr.invalidate();
                return false;
            }
            target = ptr.pos + position;
        }
        if (target < 0 || target > length) {
            ptr.invalidate();
            return false;
        }
        boolean advanceCached = how == PtrHow.ADD && ptr.owner == this && ptr.version == layoutVersion
                && ptr.seg != null;
        ptr.pos = target;
        ptr.matchLength = 0;
        if (advanceCached && !mayHoldFiles) {
            advanceCache(ptr, position);
        } else {
            ptr.seg = null;
            ptr.owner = null;
        }
        return true;
    }

    /** First occurrence of {@code what} anywhere in the buffer ({@code evbuffer_search} from the start). */
    public EvBufferPtr search(byte[] what) {
        return searchRange(what, null, null);
    }

    /**
     * First occurrence of {@code what} at or after {@code start} (null: the front)
     * ({@code evbuffer_search}); the result's position is -1 if there is none. As in libevent,
     * an empty {@code what} matches at {@code start}.
     */
    public EvBufferPtr search(byte[] what, EvBufferPtr start) {
        return searchRange(what, start, null);
    }

    /**
     * First occurrence of {@code what} that starts at or after {@code start} and ends at or
     * before {@code end} (either may be null) ({@code evbuffer_search_range}).
     */
    public EvBufferPtr searchRange(byte[] what, EvBufferPtr start, EvBufferPtr end) {
        Objects.requireNonNull(what, "what");
        long from = start == null ? 0 : start.pos;
        checkPosition(from);
        long endPos = end == null ? length : end.pos;
        if (end != null) {
            checkPosition(endPos);
        }
        EvBufferPtr result = new EvBufferPtr(-1);
        if (what.length == 0) {
            result.pos = from;
            return result;
        }
        if (endPos - from < what.length) {
            return result;
        }
        materializeFiles();
        EvBufferPtr cursor = result;
        cursor.pos = from;
        if (start != null) {
            copyCache(start, cursor);
        }
        resolve(cursor);
        long found = LineScanner.find(this, cursor, what, endPos);
        if (found < 0) {
            result.invalidate();
        } else {
            result.matchLength = what.length;
        }
        return result;
    }

    /**
     * Finds the next end of line at or after {@code start} (null: the front)
     * ({@code evbuffer_search_eol}). The result's {@link EvBufferPtr#matchLength()} is the
     * length of the end-of-line itself; its position is -1 if there is none.
     */
    public EvBufferPtr searchEol(EvBufferPtr start, EolStyle style) {
        Objects.requireNonNull(style, "style");
        long from = start == null ? 0 : start.pos;
        checkPosition(from);
        EvBufferPtr cursor = new EvBufferPtr(from);
        if (from == length) {
            cursor.invalidate();
            return cursor;
        }
        materializeFiles();
        if (start != null) {
            copyCache(start, cursor);
        }
        resolve(cursor);
        LineScanner.findEol(this, cursor, style);
        return cursor;
    }

    /**
     * The deprecated {@code evbuffer_find}: position of the first occurrence of {@code what},
     * or -1.
     */
    public long find(byte[] what) {
        return search(what).pos;
    }

    /**
     * Removes one line and its end-of-line from the front and returns the line's bytes
     * ({@code evbuffer_readln}), or null, leaving the buffer as it was, if no complete line is
     * there.
     *
     * @throws IllegalStateException if the front is frozen
     */
    public byte[] readLineBytes(EolStyle style) {
        Objects.requireNonNull(style, "style");
        checkStart();
        if (length == 0) {
            return null;
        }
        materializeFiles();
        EvBufferPtr eol = lineCursor;
        if (eol == null) {
            eol = lineCursor = new EvBufferPtr();
        }
        eol.pos = 0;
        eol.matchLength = 0;
        eol.owner = null;
        resolve(eol);
        LineScanner.findEol(this, eol, style);
        if (eol.pos < 0) {
            return null;
        }
        byte[] line = new byte[(int) eol.pos];
        if (line.length > 0) {
            copyFrom(head, head.pos, line, 0, line.length, null);
        }
        long n = eol.pos + eol.matchLength;
        dropFront(n);
        deleted(n);
        return line;
    }

    /** {@link #readLineBytes} decoded as UTF-8. */
    public String readLine(EolStyle style) {
        return readLine(style, StandardCharsets.UTF_8);
    }

    /** {@link #readLineBytes} decoded with {@code charset}. */
    public String readLine(EolStyle style, Charset charset) {
        Objects.requireNonNull(charset, "charset");
        byte[] line = readLineBytes(style);
        return line == null ? null : new String(line, charset);
    }

    // ------------------------------------------------------------------ channels

    /**
     * Reads from {@code channel} straight into free segment space, scattering over up to four
     * segments ({@code evbuffer_read}). Returns the bytes read, 0 if none were available, or
     * -1 at end of stream (C returns 0 for that; Java channels say -1).
     *
     * @param howmuch most bytes to read; -1 for {@link #getMaxRead()}
     * @throws IllegalStateException if the end is frozen
     */
    public int readFrom(ReadableByteChannel channel, int howmuch) throws IOException {
        Objects.requireNonNull(channel, "channel");
        if (howmuch < -1) {
            throw new IllegalArgumentException("howmuch must be -1 or at least 0: " + howmuch);
        }
        checkEnd();
        int want = howmuch == -1 ? maxRead : howmuch;
        if (want == 0) {
            return 0;
        }
        Reservation r = pool().readReservation();
        reserveExtents(want, MAX_READ_VECTORS, r);
        ByteBuffer[] scratch = pool().scratch();
        int room = 0;
        for (int i = 0; i < r.count; i++) {
            Segment s = r.segments[i];
            int end = Math.min(s.capacity(), r.starts[i] + (want - room));
            room += end - r.starts[i];
            scratch[i] = s.ioView(r.starts[i], end);
        }
        long n;
        try {
            if (r.count == 1) {
                n = channel.read(scratch[0]);
            } else if (channel instanceof ScatteringByteChannel) {
                n = ((ScatteringByteChannel) channel).read(scratch, 0, r.count);
            } else {
                n = channel.read(scratch[0]);
            }
        } finally {
            java.util.Arrays.fill(scratch, 0, r.count, null);
        }
        int count = r.count;
        if (n <= 0) {
            r.clear();
            return (int) n;
        }
        long left = n;
        Segment newLast = lastData;
        for (int i = 0; i < count && left > 0; i++) {
            Segment s = r.segments[i];
            int k = (int) Math.min(left, s.capacity() - r.starts[i]);
            s.limit = r.starts[i] + k;
            left -= k;
            newLast = s;
        }
        r.clear();
        lastData = newLast;
        length += n;
        mutated();
        added(n);
        return (int) n;
    }

    /**
     * Writes as much of the buffer as the channel takes in one gathering write over up to 128
     * segments, and drains what was written ({@code evbuffer_write}). A file range at the front
     * goes with {@link FileChannel#transferTo}. Returns the bytes written.
     *
     * @throws IllegalStateException if the front is frozen
     */
    public long writeTo(WritableByteChannel channel) throws IOException {
        return writeTo(channel, -1);
    }

    /**
     * {@link #writeTo(WritableByteChannel)} of at most {@code howmuch} bytes
     * ({@code evbuffer_write_atmost}); -1 means no limit.
     */
    public long writeTo(WritableByteChannel channel, long howmuch) throws IOException {
        Objects.requireNonNull(channel, "channel");
        if (howmuch < -1) {
            throw new IllegalArgumentException("howmuch must be -1 or at least 0: " + howmuch);
        }
        checkStart();
        long want = howmuch == -1 ? length : Math.min(howmuch, length);
        if (want == 0) {
            return 0;
        }
        long n;
        Segment s = head;
        if (s.isFile()) {
            n = s.file.transferTo(s.fileOffset, Math.min(want, s.fileLength), channel);
        } else if (s.readable() >= want || s.next == null || s.next.length() == 0 || s.next.isFile()) {
            // One segment holds all there is to write: no vector to fill.
            n = channel.write(s.ioView(s.pos, s.pos + (int) Math.min(s.readable(), want)));
        } else {
            ByteBuffer[] scratch = pool().scratch();
            int count = 0;
            long total = 0;
            for (; s != null && count < MAX_WRITE_VECTORS && total < want && !s.isFile(); s = s.next) {
                int k = (int) Math.min(s.readable(), want - total);
                if (k == 0) {
                    break;
                }
                scratch[count++] = s.ioView(s.pos, s.pos + k);
                total += k;
            }
            try {
                if (count == 1 || !(channel instanceof GatheringByteChannel)) {
                    n = channel.write(scratch[0]);
                } else {
                    n = ((GatheringByteChannel) channel).write(scratch, 0, count);
                }
            } finally {
                java.util.Arrays.fill(scratch, 0, count, null);
            }
        }
        if (n > 0) {
            dropFront(n);
            deleted(n);
        }
        return n;
    }

    // ------------------------------------------------------------------ freezing

    /**
     * Forbids changes at the front ({@code atFront}) or the end of the buffer
     * ({@code evbuffer_freeze}); a forbidden operation throws {@link IllegalStateException} and
     * changes nothing. Front: drain, remove, removeBuffer, prepend, prependBuffer, copyout,
     * readLine, writeTo. End: add, addPrintf, addBuffer, addBufferReference, addReference,
     * addFile, reserveSpace, commitSpace, readFrom.
     */
    public void freeze(boolean atFront) {
        if (atFront) {
            frozenStart = true;
        } else {
            frozenEnd = true;
        }
    }

    /** Lifts {@link #freeze} ({@code evbuffer_unfreeze}). */
    public void unfreeze(boolean atFront) {
        checkNotFreed();
        if (atFront) {
            frozenStart = false;
        } else {
            frozenEnd = false;
        }
    }

    public boolean isFrozen(boolean atFront) {
        return atFront ? frozenStart : frozenEnd;
    }

    // ------------------------------------------------------------------ callbacks

    /**
     * Registers a callback, enabled, that runs after every change ({@code evbuffer_add_cb}). As
     * in libevent the newest callback runs first; a callback may remove itself while running.
     */
    public CbEntry addCallback(EvBufferCallback callback) {
        Objects.requireNonNull(callback, "callback");
        return callbackList().add(callback);
    }

    /** Unregisters one entry ({@code evbuffer_remove_cb_entry}). */
    public void removeCbEntry(CbEntry entry) {
        Objects.requireNonNull(entry, "entry");
        if (callbacks == null || !callbacks.remove(entry)) {
            throw new IllegalArgumentException("callback entry is not registered on this buffer");
        }
    }

    /**
     * Unregisters the newest entry for {@code callback} ({@code evbuffer_remove_cb}); returns
     * false, as C returns -1, if there is none.
     */
    public boolean removeCallback(EvBufferCallback callback) {
        CbEntry e = callbacks == null ? null : callbacks.find(callback);
        return e != null && callbacks.remove(e);
    }

    /** Sets flags on an entry ({@code evbuffer_cb_set_flags}): {@link #EVBUFFER_CB_ENABLED}, {@link #EVBUFFER_CB_NODEFER}. */
    public void cbSetFlags(CbEntry entry, int flags) {
        Objects.requireNonNull(entry, "entry").flags |= flags;
    }

    /** Clears flags on an entry ({@code evbuffer_cb_clear_flags}). */
    public void cbClearFlags(CbEntry entry, int flags) {
        Objects.requireNonNull(entry, "entry").flags &= ~flags;
    }

    /**
     * The obsolete {@code evbuffer_setcb}: replaces every callback with {@code callback}, or with
     * none when it is null.
     */
    public void setCallback(EvBufferCallback callback) {
        if (callbacks != null) {
            callbacks.clear();
        }
        if (callback != null) {
            addCallback(callback);
        }
    }

    /**
     * From now on, runs callbacks later through {@code executor} instead of inside the
     * operation that changed the buffer ({@code evbuffer_defer_callbacks}); changes keep adding
     * up until then. Entries flagged {@link #EVBUFFER_CB_NODEFER} still run at once. The bufferevent
     * layer passes its event base's deferred queue.
     */
    public void deferCallbacks(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        callbackList().deferTo(executor);
    }

    private CallbackList callbackList() {
        CallbackList c = callbacks;
        if (c == null) {
            c = callbacks = new CallbackList(this);
        }
        return c;
    }

    // ------------------------------------------------------------------ life cycle

    /**
     * Releases every segment, running reference cleanups and returning memory to the pool
     * ({@code evbuffer_free}); the buffer cannot be used afterwards. Callbacks do not run.
     * Freeing twice does nothing.
     */
    public void free() {
        if (freed) {
            return;
        }
        freed = true;
        frozenStart = true;
        frozenEnd = true;
        Segment s = head;
        head = lastData = tail = null;
        length = 0;
        reservation = null;
        mutated();
        if (callbacks != null) {
            callbacks.clear();
        }
        while (s != null) {
            Segment next = s.next;
            s.release();
            s = next;
        }
    }

    /** Same as {@link #free()}. */
    @Override
    public void close() {
        free();
    }

    public boolean isFreed() {
        return freed;
    }

    /**
     * Checks the invariant stated at the top of this class, as libevent's tests do with
     * {@code evbuffer_validate}; throws {@link AssertionError} describing the first breach.
     */
    public void checkInvariants() {
        long sum = 0;
        boolean seenLastData = lastData == null;
        Segment prev = null;
        int count = 0;
        for (Segment s = head; s != null; prev = s, s = s.next) {
            count++;
            if (count > 100_000_000) {
                throw new AssertionError("chain does not end: " + this);
            }
            if (s.isFile()) {
                if (s.fileLength <= 0 || s.file.isReleased()) {
                    throw new AssertionError("bad file segment " + s);
                }
                if (!mayHoldFiles) {
                    throw new AssertionError("file segment in a buffer not marked as holding one");
                }
            } else {
                if (s.data == null || s.pos < 0 || s.pos > s.limit || s.limit > s.capacity()) {
                    throw new AssertionError("segment out of bounds: " + s);
                }
                if (s.shared != null && s.shared.holders < 1) {
                    throw new AssertionError("shared segment with no holders: " + s);
                }
            }
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
            if (s == lastData) {
                seenLastData = true;
            }
            sum += len;
        }
        if (!seenLastData) {
            throw new AssertionError("lastData is not in the chain");
        }
        if (prev != tail) {
            throw new AssertionError("tail is not the last segment");
        }
        if (sum != length) {
            throw new AssertionError("length " + length + " but segments hold " + sum);
        }
        if ((lastData == null) != (length == 0)) {
            throw new AssertionError("lastData " + lastData + " with length " + length);
        }
    }

    /** Number of segments in the chain, trailing empty ones included; for tests and debugging. */
    public int segmentCount() {
        int n = 0;
        for (Segment s = head; s != null; s = s.next) {
            n++;
        }
        return n;
    }

    @Override
    public String toString() {
        return "EvBuffer[length=" + length + ", segments=" + segmentCount()
                + (frozenStart ? ", front frozen" : "") + (frozenEnd ? ", end frozen" : "")
                + (freed ? ", freed" : "") + "]";
    }

    // ================================================================== internals

    private void checkStart() {
        if (frozenStart) {
            throw new IllegalStateException(freed ? "the buffer was freed" : "the buffer's front is frozen");
        }
    }

    private void checkEnd() {
        if (frozenEnd) {
            throw new IllegalStateException(freed ? "the buffer was freed" : "the buffer's end is frozen");
        }
    }

    private void checkNotFreed() {
        if (freed) {
            throw new IllegalStateException("the buffer was freed");
        }
    }

    private void checkPosition(long pos) {
        if (pos < 0 || pos > length) {
            throw new IllegalArgumentException("position " + pos + " is outside a buffer of " + length + " bytes");
        }
    }

    private void mutated() {
        modCount++;
        layoutVersion++;
    }

    private SegmentPool pool() {
        SegmentPool p = pool;
        if (p.owner != Thread.currentThread()) {
            p = pool = SegmentPool.current();
        }
        return p;
    }

    /** A fresh segment for appending {@code want} more bytes: small for short writes, else large. */
    private Segment newAppendSegment(int want) {
        return pool().take(want <= SegmentPool.SMALL_SIZE ? want : SegmentPool.LARGE_SIZE);
    }

    private void linkAtTail(Segment s) {
        if (tail == null) {
            head = tail = s;
        } else {
            tail.next = s;
            tail = s;
        }
    }

    /** Unlinks {@code s}, whose predecessor is {@code before} (null if s is the head). */
    private void unlinkAfter(Segment before, Segment s) {
        if (before == null) {
            head = s.next;
        } else {
            before.next = s.next;
        }
        if (tail == s) {
            tail = before;
        }
        s.next = null;
    }

    /** The segment appends fill first: the last one with data, or the first reserved one. */
    private Segment appendStart() {
        return lastData != null ? lastData : head;
    }

    /**
     * Copies bytes to the end, from {@code array} if not null, else from {@code src} at
     * absolute index {@code off}. Does not touch src's position or run callbacks.
     */
    private void appendBytes(byte[] array, int off, int len, ByteBuffer src) {
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
                if (array != null) {
                    s.data.put(s.limit, array, off + done, k);
                } else {
                    s.data.put(s.limit, src, off + done, k);
                }
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

    private void prependBytes(byte[] array, int off, int len, ByteBuffer src) {
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
            s.next = head;
            head = s;
            if (tail == null) {
                tail = s;
            }
            if (lastData == null) {
                lastData = s;
            }
            remaining -= k;
        }
        length += len;
        mutated();
    }

    private static void copyInto(Segment s, int at, byte[] array, ByteBuffer src, int srcOff, int k) {
        if (array != null) {
            s.data.put(at, array, srcOff, k);
        } else {
            s.data.put(at, src, srcOff, k);
        }
    }

    /**
     * Links the chain {@code first..last} (all holding data) after this buffer's data. Empty
     * reserved segments at the end are released first, as libevent does; a short, exclusively
     * owned segment is copied into the last one when it fits.
     */
    private void appendChain(Segment first, Segment last) {
        releaseTrailingEmpty();
        long n = 0;
        Segment s = first;
        while (s != null) {
            Segment next = s == last ? null : s.next;
            s.next = null;
            n += s.length();
            Segment t = lastData;
            if (t != null && s.pool != null && s.isExclusive() && s.readable() < Segment.SHARE_MINIMUM
                    && t.writable() >= s.readable()) {
                t.data.put(t.limit, s.data, s.pos, s.readable());
                t.limit += s.readable();
                s.release();
            } else {
                linkAtTail(s);
                lastData = s;
            }
            s = next;
        }
        length += n;
        mutated();
    }

    private void releaseTrailingEmpty() {
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
        while (s != null) {
            Segment next = s.next;
            s.release();
            s = next;
        }
    }

    /**
     * Takes every data segment out of this buffer (its reserved empty ones stay) for a move;
     * the caller relinks them and reports the deletion.
     */
    private void detachData() {
        Segment rest = lastData.next;
        lastData.next = null;
        head = rest;
        if (rest == null) {
            tail = null;
        }
        lastData = null;
        length = 0;
        mutated();
    }

    /** Removes {@code n <= length} bytes from the front, releasing emptied segments. */
    private void dropFront(long n) {
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
     * {@code off}. The range must lie within the buffer and hold no file segment.
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

    /**
     * Makes the first {@code want} bytes one segment's readable window and returns that
     * segment, which becomes the head.
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
            target.next = h.next;
            head = target;
            if (lastData == h) {
                lastData = target;
            }
            if (tail == h) {
                tail = target;
            }
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
                target.next = s.next;
                if (lastData == s) {
                    lastData = target;
                }
                if (tail == s) {
                    tail = target;
                }
                s.release();
            }
        }
        mutated();
        return target;
    }

    /**
     * A segment at the end with at least {@code n} bytes of free space in one piece, reusing the
     * last data segment (realigned if cheap) or a reserved empty one when possible.
     */
    private Segment expandOne(int n) {
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

    /**
     * Fills {@code r} with free space for {@code want} bytes at the end: spread over up to
     * {@code maxVectors} segments, or one segment big enough when that many cannot hold it.
     */
    private void reserveExtents(int want, int maxVectors, Reservation r) {
        r.count = 0;
        if (maxVectors == 1 || !spreadOver(want, maxVectors, r)) {
            Segment s = expandOne(want);
            r.count = 0;
            r.add(s, s.limit);
        }
    }

    /**
     * Records in {@code r} free space totalling at least {@code want} over at most
     * {@code maxVectors} segments at the end, adding segments as needed; false if that many
     * segments cannot hold it without a larger one.
     */
    private boolean spreadOver(int want, int maxVectors, Reservation r) {
        Segment s = appendStart();
        long room = 0;
        Segment last = null;
        while (s != null && room < want && r.count < maxVectors) {
            int w = s.writable();
            if (w > 0) {
                r.add(s, s.limit);
                room += w;
            } else if (s != lastData) {
                // An empty reserved segment we cannot write is impossible by the invariant.
                throw new AssertionError("unwritable trailing segment " + s);
            }
            last = s;
            s = s.next;
        }
        boolean changed = false;
        while (room < want && r.count < maxVectors) {
            Segment fresh = newAppendSegment((int) Math.min(want - room, SegmentPool.LARGE_SIZE));
            linkAtTail(fresh);
            r.add(fresh, 0);
            room += fresh.capacity();
            changed = true;
        }
        if (changed) {
            mutated();
        }
        return room >= want;
    }

    /** Reads every file range into memory segments, for operations that need the bytes. */
    private void materializeFiles() {
        if (!mayHoldFiles) {
            return;
        }
        Segment before = null;
        Segment s = head;
        while (s != null) {
            if (!s.isFile()) {
                before = s;
                s = s.next;
                continue;
            }
            long left = s.fileLength;
            long at = s.fileOffset;
            Segment first = null;
            Segment last = null;
            while (left > 0) {
                Segment m = pool().take(SegmentPool.LARGE_SIZE);
                int k = (int) Math.min(left, m.capacity());
                s.file.readFully(at, m.ioView(0, k));
                m.limit = k;
                at += k;
                left -= k;
                if (first == null) {
                    first = m;
                } else {
                    last.next = m;
                }
                last = m;
            }
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
            s.release();
            before = last;
            s = last.next;
        }
        mayHoldFiles = false;
        layoutVersion++;
    }

    /** Fills in the segment cache of {@code ptr} for its position, which must be valid. */
    void resolve(EvBufferPtr ptr) {
        if (ptr.owner == this && ptr.version == layoutVersion && ptr.seg != null) {
            return;
        }
        long left = ptr.pos;
        Segment s = head;
        while (s != null && left >= s.length() && s != lastData) {
            left -= s.length();
            s = s.next;
        }
        // Past the last data segment: the position is the end; point just after its bytes.
        ptr.owner = this;
        ptr.version = layoutVersion;
        ptr.seg = s;
        ptr.offset = (int) left;
    }

    private void advanceCache(EvBufferPtr ptr, long by) {
        Segment s = ptr.seg;
        long off = ptr.offset + by;
        while (off >= s.length() && s != lastData) {
            off -= s.length();
            s = s.next;
        }
        ptr.seg = s;
        ptr.offset = (int) off;
    }

    private void copyCache(EvBufferPtr from, EvBufferPtr to) {
        if (from.owner == this && from.version == layoutVersion) {
            to.owner = this;
            to.version = layoutVersion;
            to.seg = from.seg;
            to.offset = from.offset;
        }
    }

    Segment head() {
        return head;
    }

    Segment lastData() {
        return lastData;
    }

    // ------------------------------------------------------------------ callbacks, internals

    private void added(long n) {
        if (callbacks != null) {
            callbacks.added(n);
        }
    }

    private void deleted(long n) {
        if (callbacks != null) {
            callbacks.deleted(n);
        }
    }

    private Reservation reservation() {
        Reservation r = reservation;
        if (r == null) {
            r = reservation = new Reservation();
        }
        return r;
    }

}
