package org.jevent.evbuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
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
 * <h2>Structure</h2>
 * This class is the façade: it checks arguments, freezing and the freed state, and reports each
 * change to the callbacks. The bytes live in the {@code SegmentChain} this class extends (whose
 * invariant {@link #checkInvariants()} checks; a base class rather than a field so that a buffer
 * is one object, not two: 24 bytes less per buffer, two buffers per connection), channel and
 * file transfer is {@code ChannelTransfer}, searching is {@code LineScanner}, reserved space is
 * a {@code Reservation}, callbacks are a {@code CallbackList}. None of those refers back to this
 * class.
 *
 * <p>Invariant: a freed buffer has both ends frozen and an empty chain; every operation that
 * changes the chain reports exactly the bytes it added and removed to the callbacks, after the
 * change is complete.
 */
public final class EvBuffer extends SegmentChain implements AutoCloseable {
    /** Flag of a callback entry: the callback runs. */
    public static final int EVBUFFER_CB_ENABLED = CallbackEntry.ENABLED;
    /**
     * Flag of a callback entry: it runs at once even on a buffer whose callbacks are deferred
     * (libevent's internal flag, used by the bufferevent layer).
     */
    public static final int EVBUFFER_CB_NODEFER = CallbackEntry.NODEFER;

    /** Default for {@link #getMaxRead()}: libevent's {@code EVBUFFER_MAX_READ_DEFAULT}. */
    public static final int DEFAULT_MAX_READ = 4096;

    private boolean frozenStart;
    private boolean frozenEnd;
    private boolean freed;
    private int maxRead = DEFAULT_MAX_READ;
    /**
     * Borrowed from the thread's pool by {@link #reserveSpace} and given back by the
     * {@link #commitSpace} that ends it (or by {@link #free}): a buffer holds one only while a
     * caller's reservation is pending, not for the rest of its life.
     */
    private Reservation reservation;
    /** Made on first use: a buffer nobody listens to keeps no counters at all. */
    private Callbacks callbacks;
    /** The owner's hook for added bytes ({@link #setAddedListener}), or null. */
    private AddedListener addedListener;

    /** An empty buffer: {@code evbuffer_new()}. */
    public EvBuffer() {
    }

    // ------------------------------------------------------------------ size

    /** {@return the number of bytes in the buffer} ({@code evbuffer_get_length}) */
    public long getLength() {
        return this.length;
    }

    /**
     * Bytes that can be read from the front without {@link #pullup} copying anything
     * ({@code evbuffer_get_contiguous_space}): the data of the first segment, 0 when that is a
     * file range that would have to be read first.
     *
     * @return the bytes readable from the first segment without a copy, 0 when the buffer is
     *     empty or starts with a file range
     */
    public int getContiguousSpace() {
        Segment h = this.head;
        if (this.length == 0 || h.isFile()) {
            return 0;
        }
        return h.readable();
    }

    /**
     * Caps the bytes one {@link #readFrom} call reads when it is given no amount (-1); the
     * default is {@link #DEFAULT_MAX_READ}. Bufferevents use it as their single-read size.
     *
     * @param maxRead the most bytes one such read takes, at least 1
     * @throws IllegalArgumentException if {@code maxRead} is 0 or negative
     */
    public void setMaxRead(int maxRead) {
        if (maxRead <= 0) {
            throw new IllegalArgumentException("max read must be positive: " + maxRead);
        }
        this.maxRead = maxRead;
    }

    /**
     * {@return the most bytes one {@link #readFrom} call with no amount (-1) reads}
     * Set with {@link #setMaxRead}; {@link #DEFAULT_MAX_READ} until then.
     */
    public int getMaxRead() {
        return maxRead;
    }

    // ------------------------------------------------------------------ adding

    /**
     * Appends a copy of {@code data} ({@code evbuffer_add}); later changes to the array do not
     * reach the buffer.
     *
     * @param data the bytes to append, all of them
     * @throws IllegalStateException if the end is frozen or the buffer freed
     */
    public void add(byte[] data) {
        Objects.requireNonNull(data, "data");
        add(data, 0, data.length);
    }

    /**
     * Appends a copy of {@code len} bytes of {@code data} from {@code off}
     * ({@code evbuffer_add} on a pointer into an array).
     *
     * @param data the array holding the bytes
     * @param off index in {@code data} of the first byte to append
     * @param len number of bytes to append; 0 appends nothing
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code data}
     * @throws IllegalStateException if the end is frozen or the buffer freed
     */
    public void add(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        checkEnd();
        added(this.appendBytes(data, off, len, null));
    }

    /**
     * Appends a copy of {@code src}'s remaining bytes and advances its position past them
     * ({@code evbuffer_add} from a {@link ByteBuffer}); heap and direct buffers both work.
     *
     * @param src the bytes between its position and its limit are appended; its position ends
     *     at its limit
     * @throws IllegalStateException if the end is frozen or the buffer freed
     */
    public void add(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        checkEnd();
        int len = this.appendBytes(null, src.position(), src.remaining(), src);
        src.position(src.position() + len);
        added(len);
    }

    /**
     * Appends {@code text} encoded with {@code charset}; no terminating NUL is added.
     *
     * @param text the characters to encode
     * @param charset how to encode them, e.g. {@link StandardCharsets#UTF_8}
     * @return the number of bytes appended
     * @throws IllegalStateException if the end is frozen or the buffer freed
     */
    public int add(CharSequence text, Charset charset) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(charset, "charset");
        checkEnd();
        byte[] bytes = text.toString().getBytes(charset);
        add(bytes, 0, bytes.length);
        return bytes.length;
    }

    /**
     * Appends {@code String.format(Locale.ROOT, format, args)} as UTF-8
     * ({@code evbuffer_add_printf}). The format syntax is {@link java.util.Formatter}'s, not
     * C's: {@code %d} takes any integral type, and there is no {@code %zu} or {@code %ld}.
     *
     * @param format the {@link java.util.Formatter} format string
     * @param args the values the format refers to
     * @return the number of bytes appended
     * @throws java.util.IllegalFormatException if the format does not fit the arguments; the
     *     buffer is then unchanged
     * @throws IllegalStateException if the end is frozen or the buffer freed
     */
    public int addPrintf(String format, Object... args) {
        Objects.requireNonNull(format, "format");
        checkEnd();
        return add(String.format(Locale.ROOT, format, args), StandardCharsets.UTF_8);
    }

    /**
     * Appends the remaining bytes of each buffer in order and advances their positions
     * ({@code evbuffer_add_iovec}).
     *
     * @param vec the buffers to append, in order; none may be null
     * @return the number of bytes appended, the sum of their remaining bytes
     * @throws IllegalStateException if the end is frozen or the buffer freed
     */
    public long addIovec(ByteBuffer... vec) {
        Objects.requireNonNull(vec, "vec");
        checkEnd();
        for (ByteBuffer b : vec) {
            Objects.requireNonNull(b, "vec element");
        }
        long total = this.appendEach(vec);
        added(total);
        return total;
    }

    /**
     * Puts a copy of {@code data} in front of the buffer ({@code evbuffer_prepend}).
     *
     * @param data the bytes to put in front, all of them, in their order
     * @throws IllegalStateException if the front is frozen or the buffer freed
     */
    public void prepend(byte[] data) {
        Objects.requireNonNull(data, "data");
        prepend(data, 0, data.length);
    }

    /**
     * Puts a copy of {@code len} bytes of {@code data} from {@code off} in front of the buffer
     * ({@code evbuffer_prepend} on a pointer into an array).
     *
     * @param data the array holding the bytes
     * @param off index in {@code data} of the first byte
     * @param len number of bytes to put in front; 0 changes nothing
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code data}
     * @throws IllegalStateException if the front is frozen or the buffer freed
     */
    public void prepend(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        checkStart();
        added(this.prependBytes(data, off, len, null));
    }

    /**
     * Puts a copy of {@code src}'s remaining bytes in front of the buffer and advances its
     * position ({@code evbuffer_prepend} from a {@link ByteBuffer}).
     *
     * @param src the bytes between its position and its limit go in front; its position ends
     *     at its limit
     * @throws IllegalStateException if the front is frozen or the buffer freed
     */
    public void prepend(ByteBuffer src) {
        Objects.requireNonNull(src, "src");
        checkStart();
        int len = this.prependBytes(null, src.position(), src.remaining(), src);
        src.position(src.position() + len);
        added(len);
    }

    /**
     * Moves every byte of {@code src} to the end of this buffer ({@code evbuffer_add_buffer}).
     * Whole segments are relinked, not copied; only a segment shorter than
     * 1 KiB is folded into this buffer's last one when it fits, so that a
     * stream of small messages does not become a chain of nearly empty segments. Both buffers'
     * callbacks run, the source's first, as in libevent. Moving a buffer into itself does nothing.
     *
     * @param src the buffer to empty into this one; it is empty afterwards
     * @throws IllegalStateException if this buffer's end or {@code src}'s front is frozen
     */
    public void addBuffer(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src == this) {
            return;
        }
        checkEnd();
        src.checkStart();
        moveAllFrom(src, false);
    }

    /**
     * Moves every byte of {@code src} to the front of this buffer, relinking its segments
     * ({@code evbuffer_prepend_buffer(dst, src)}); the source's callbacks run first, as in libevent.
     * Moving a buffer into itself does nothing.
     *
     * @param src the buffer to empty into the front of this one; it is empty afterwards
     * @throws IllegalStateException if either buffer's front is frozen
     */
    public void prependBuffer(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src == this) {
            return;
        }
        checkStart();
        src.checkStart();
        moveAllFrom(src, true);
    }

    /**
     * Appends a read-only view of all of {@code src}'s bytes without copying or removing them
     * ({@code evbuffer_add_buffer_reference}). The two buffers share the memory from then on and
     * neither ever writes into it; each can drain, add and prepend independently.
     *
     * @param src the buffer whose current bytes are viewed; it is not changed
     * @throws IllegalArgumentException if {@code src} is this buffer
     * @throws IllegalStateException if this buffer's end is frozen
     */
    public void addBufferReference(EvBuffer src) {
        Objects.requireNonNull(src, "src");
        if (src == this) {
            throw new IllegalArgumentException("a buffer cannot reference itself");
        }
        checkEnd();
        if (src.length > 0) {
            added(src.shareAllTo(this));
        }
    }

    /**
     * Adds {@code data}'s remaining bytes without copying them ({@code evbuffer_add_reference};
     * a buffer positioned past its start is {@code evbuffer_add_reference_with_offset}). The
     * memory is never written. {@code cleanup}, if not null, runs exactly once, as soon as no
     * buffer reads this memory any more: when the last byte still in it is drained, or the last
     * buffer holding it is freed. A {@link #pullup} or {@link #removeBuffer} that takes part of
     * it copies that part, as libevent does, so only what is left in the memory keeps it;
     * {@link #addBufferReference} views share it and keep it too. An empty {@code data} goes to
     * the cleanup at once, inside this call (libevent 2.1 runs it later, when the empty chain it
     * inserted is freed).
     *
     * @param data the memory to lend: the bytes between its position and its limit; the
     *     buffer's own position and limit are not changed, and the caller must not write to
     *     that memory until the cleanup runs
     * @param cleanup called once with {@code data}, on the thread that let go of the last
     *     byte; null if the caller needs no notice
     * @throws IllegalStateException if the end is frozen; the cleanup is then not called,
     *     as in libevent
     */
    public void addReference(ByteBuffer data, ReferenceCleanup cleanup) {
        Objects.requireNonNull(data, "data");
        checkEnd();
        added(this.appendLent(data, cleanup));
    }

    /**
     * {@link #addReference(ByteBuffer, ReferenceCleanup)} over {@code len} bytes of an array
     * ({@code evbuffer_add_reference}); the cleanup receives a {@link ByteBuffer#wrap wrap} of
     * that range.
     *
     * @param data the array lent; the caller must not write to the range until the cleanup runs
     * @param off index in {@code data} of the first byte lent
     * @param len number of bytes lent
     * @param cleanup called once when no buffer reads the range any more; null for no notice
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code data}
     * @throws IllegalStateException if the end is frozen; the cleanup is then not called
     */
    public void addReference(byte[] data, int off, int len, ReferenceCleanup cleanup) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(data, "data").length);
        addReference(ByteBuffer.wrap(data, off, len), cleanup);
    }

    /**
     * Appends {@code length} bytes of a file from {@code offset} without reading them
     * ({@code evbuffer_add_file}). The buffer owns the channel from now on and closes it when
     * the bytes are gone, or at once if this call fails. Written to a channel, the range goes
     * with {@link FileChannel#transferTo}; anything that needs the bytes themselves reads them
     * into memory first.
     *
     * @param channel the open file; owned by the buffer from this call on, even when it throws
     * @param offset position in the file of the first byte, at least 0
     * @param length bytes to add, or -1 for the rest of the file
     * @throws IllegalArgumentException if the range is negative or runs past the end of the file
     * @throws java.io.UncheckedIOException if the file's size cannot be read
     * @throws IllegalStateException if the end is frozen or the buffer freed
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
     *
     * @param segment the file range, made with {@link FileSegment#create}; its creator may
     *     {@link FileSegment#free() free} it afterwards without affecting this buffer
     * @param offset position inside the segment of the first byte, at least 0
     * @param length bytes to add, or -1 for the rest of the segment
     * @throws IllegalArgumentException if the part is not inside the segment
     * @throws IllegalStateException if the end is frozen or the buffer freed
     */
    public void addFileSegment(FileSegment segment, long offset, long length) {
        Objects.requireNonNull(segment, "segment");
        checkEnd();
        added(this.appendFile(segment, segment.offset() + offset, segment.partLength(offset, length)));
    }

    // ------------------------------------------------------------------ removing

    /**
     * Removes {@code len} bytes from the front ({@code evbuffer_drain}). As in libevent, asking
     * for more than the length drains everything.
     *
     * @param len number of bytes to remove, at least 0
     * @throws IllegalArgumentException if {@code len} is negative
     * @throws IllegalStateException if the front is frozen or the buffer freed
     */
    public void drain(long len) {
        checkCount(len, "length");
        checkStart();
        dropReported(Math.min(len, this.length));
    }

    /**
     * Moves up to {@code len} bytes from the front into {@code dst} ({@code evbuffer_remove});
     * the bytes are gone from the buffer afterwards.
     *
     * @param dst the array to copy into
     * @param off index in {@code dst} of the first byte written
     * @param len the most bytes to move
     * @return how many bytes were moved: {@code min(len, getLength())}, 0 for an empty buffer
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code dst}
     * @throws IllegalStateException if the front is frozen or the buffer freed
     */
    public int remove(byte[] dst, int off, int len) {
        int n = copyout(dst, off, len);
        dropReported(n);
        return n;
    }

    /**
     * {@link #remove(byte[], int, int)} into the whole array ({@code evbuffer_remove}).
     *
     * @param dst the array to fill from index 0
     * @return how many bytes were moved: {@code min(dst.length, getLength())}
     * @throws IllegalStateException if the front is frozen or the buffer freed
     */
    public int remove(byte[] dst) {
        return remove(Objects.requireNonNull(dst, "dst"), 0, dst.length);
    }

    /**
     * Moves bytes from the front into {@code dst} until it is full or this buffer empty
     * ({@code evbuffer_remove} into a {@link ByteBuffer}).
     *
     * @param dst written from its position; its position advances past the bytes written
     * @return how many bytes were moved: {@code min(dst.remaining(), getLength())}
     * @throws IllegalStateException if the front is frozen or the buffer freed
     */
    public int remove(ByteBuffer dst) {
        int n = copyout(dst);
        dropReported(n);
        return n;
    }

    /**
     * Moves up to {@code len} bytes from the front of this buffer to the end of {@code dst}
     * ({@code evbuffer_remove_buffer(src, dst, len)}); returns how many. Whole segments are
     * relinked; of the one segment that is split, a part shorter than 1 KiB (or any part of
     * memory lent with {@link #addReference}) is copied and a longer one is shared read-only. As in libevent, moving everything
     * is {@link #addBuffer} (this buffer's callbacks first); moving part runs {@code dst}'s
     * callbacks first.
     *
     * @param dst the buffer to append to; moving into this buffer itself moves nothing
     * @param len the most bytes to move, at least 0
     * @return how many bytes were moved: {@code min(len, getLength())}, 0 when {@code dst} is
     *     this buffer
     * @throws IllegalArgumentException if {@code len} is negative
     * @throws IllegalStateException if this buffer's front or {@code dst}'s end is frozen
     */
    public long removeBuffer(EvBuffer dst, long len) {
        Objects.requireNonNull(dst, "dst");
        checkCount(len, "length");
        checkStart();
        dst.checkEnd();
        if (dst == this || len == 0 || this.length == 0) {
            return 0;
        }
        if (len >= this.length) {
            long n = this.length;
            dst.addBuffer(this);
            return n;
        }
        this.moveFrontTo(dst, len);
        dst.added(len); // as evbuffer_remove_buffer: the destination's callbacks first here
        deleted(len);
        return len;
    }

    // ------------------------------------------------------------------ copying out

    /**
     * Copies up to {@code len} bytes from the front into {@code dst} without removing them
     * ({@code evbuffer_copyout}).
     *
     * @param dst the array to copy into
     * @param off index in {@code dst} of the first byte written
     * @param len the most bytes to copy
     * @return how many bytes were copied: {@code min(len, getLength())}
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code dst}
     * @throws IllegalStateException if the front is frozen (libevent refuses this too)
     */
    public int copyout(byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(dst, "dst").length);
        return copyFront(len, dst, off, null);
    }

    /**
     * {@link #copyout(byte[], int, int)} into the whole array ({@code evbuffer_copyout}).
     *
     * @param dst the array to fill from index 0
     * @return how many bytes were copied: {@code min(dst.length, getLength())}
     * @throws IllegalStateException if the front is frozen
     */
    public int copyout(byte[] dst) {
        return copyout(Objects.requireNonNull(dst, "dst"), 0, dst.length);
    }

    /**
     * Copies bytes from the front into {@code dst} without removing them
     * ({@code evbuffer_copyout} into a {@link ByteBuffer}).
     *
     * @param dst written from its position; its position advances past the bytes written
     * @return how many bytes were copied: {@code min(dst.remaining(), getLength())}
     * @throws IllegalStateException if the front is frozen
     */
    public int copyout(ByteBuffer dst) {
        int n = copyFront(Objects.requireNonNull(dst, "dst").remaining(), null, dst.position(), dst);
        dst.position(dst.position() + n);
        return n;
    }

    /**
     * Copies up to {@code len} bytes starting at {@code from} into {@code dst}
     * ({@code evbuffer_copyout_from}), without removing them.
     *
     * @param from where to start copying; a pointer set on or returned by this buffer
     * @param dst the array to copy into
     * @param off index in {@code dst} of the first byte written
     * @param len the most bytes to copy
     * @return how many bytes were copied: {@code min(len, getLength() - from.pos())}
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code dst}
     * @throws IllegalArgumentException if {@code from} is invalid or past the end
     * @throws IllegalStateException if the front is frozen
     */
    public int copyoutFrom(EvBufferPtr from, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, Objects.requireNonNull(dst, "dst").length);
        Objects.requireNonNull(from, "from");
        checkStart();
        checkPosition(from.pos);
        int n = (int) Math.min(len, this.length - from.pos);
        if (n > 0) {
            ChannelTransfer.materializeFiles(this);
            from.resolve(this);
            SegmentChain.copyFrom(from.seg, from.seg.pos + from.offset, dst, off, n, null);
        }
        return n;
    }

    /**
     * Makes the first {@code size} bytes contiguous and returns a read-only view of them
     * positioned at 0 ({@code evbuffer_pullup}); {@code size} -1 means every byte. As in
     * libevent, returns null when {@code size} is 0 or more than the length. The view is valid
     * until the buffer next changes.
     *
     * @param size how many bytes from the front to make contiguous, or -1 for all of them
     * @return a read-only view of {@code size} bytes, or null when {@code size} is 0 or more
     *     than the length
     * @throws IllegalArgumentException if {@code size} is less than -1
     */
    public ByteBuffer pullup(long size) {
        checkCountOrAll(size, "size");
        long n = size == -1 ? this.length : size;
        if (n == 0 || n > this.length) {
            return null;
        }
        ChannelTransfer.materializeFiles(this);
        return pullupFront((int) Math.min(n, Integer.MAX_VALUE));
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
     *
     * @param len how many bytes to expose, or -1 for every byte from {@code start}
     * @param start where to begin, a pointer into this buffer; null for the front
     * @param vecOut receives the views from index 0; null to count only
     * @return the number of views the requested bytes span (0 when there are none), which
     *     may exceed {@code vecOut.length}
     * @throws IllegalArgumentException if {@code len} is less than -1 or {@code start} lies
     *     outside the buffer
     */
    public int peek(long len, EvBufferPtr start, ByteBuffer[] vecOut) {
        checkCountOrAll(len, "len");
        long startPos = start == null ? 0 : start.pos;
        checkPosition(startPos);
        if (this.length == startPos || len == 0) {
            return 0;
        }
        ChannelTransfer.materializeFiles(this);
        if (start == null) {
            return this.peek(len, this.head, 0, vecOut);
        }
        start.resolve(this);
        return this.peek(len, start.seg, start.offset, vecOut);
    }

    /**
     * Makes at least {@code size} bytes of free space writable at the end and returns it in up
     * to {@code vec.length} views ({@code evbuffer_reserve_space}); returns how many views it
     * filled. Each view starts at position 0; write into it, leave its position after the last
     * byte written, then {@link #commitSpace} it. Nothing reserved is data until committed, and
     * any other change of the buffer in between cancels the reservation. Reserving again without
     * a change returns the same space.
     *
     * @param size the least number of free bytes wanted, at least 0 (0 reserves some space
     *     anyway, as 1 would)
     * @param vec receives the views from index 0; at most {@code vec.length}, and never more
     *     than 16, are used
     * @return how many entries of {@code vec} were filled, at least 1
     * @throws IllegalArgumentException if {@code size} is negative or too large for one
     *     reservation, or {@code vec} is empty
     * @throws IllegalStateException if the end is frozen
     */
    public int reserveSpace(long size, ByteBuffer[] vec) {
        Objects.requireNonNull(vec, "vec");
        checkCount(size, "size");
        if (vec.length == 0) {
            throw new IllegalArgumentException("no room for even one extent");
        }
        if (size > Integer.MAX_VALUE - SegmentPool.LARGE_SIZE) {
            throw new IllegalArgumentException("cannot reserve " + size + " bytes");
        }
        checkEnd();
        Reservation r = reservation;
        if (r == null) {
            r = reservation = this.pool().lendReservation();
        }
        r.reserve(this, (int) Math.max(size, 1), Math.min(vec.length, Reservation.MAX_VECTORS));
        for (int i = 0; i < r.count; i++) {
            vec[i] = r.view(i);
        }
        return r.count;
    }

    /**
     * Makes the first {@code n} views of the last {@link #reserveSpace} data
     * ({@code evbuffer_commit_space}): {@code vec[i].position()} bytes of each. A view may be
     * committed short, and 0 bytes is fine. A commit of one view or more ends the reservation,
     * and the space it left unused goes back to the pool (libevent keeps it on the this): a
     * connection that reserved a record's worth and received nothing does not keep 17 KiB while
     * it idles.
     *
     * @param vec the views {@link #reserveSpace} filled, with their positions after the bytes
     *     written
     * @param n how many of them, from index 0, to commit; 0 commits nothing and keeps the
     *     reservation
     * @throws IllegalArgumentException if {@code n} is negative or more than {@code vec.length}
     * @throws IllegalStateException if the end is frozen, or the buffer changed since the
     *     reservation, or {@code vec} does not hold the reserved views
     */
    public void commitSpace(ByteBuffer[] vec, int n) {
        Objects.requireNonNull(vec, "vec");
        checkEnd();
        if (n < 0 || n > vec.length) {
            throw new IllegalArgumentException("cannot commit " + n + " extents of " + vec.length);
        }
        if (n == 0) {
            return; // as in libevent: nothing happens, the reservation stays valid
        }
        Reservation r = reservation;
        if (r == null) {
            throw new IllegalStateException(Reservation.NONE);
        }
        r.takeWritten(this, vec, n);
        long total = r.commit(this, n);
        reservation = null;
        this.pool().returnReservation(r);
        this.releaseTrailingEmpty();
        added(total);
    }

    /**
     * Makes sure at least {@code n} bytes can be appended into one segment without another
     * allocation ({@code evbuffer_expand}). The length does not change.
     *
     * @param n the free bytes wanted at the end, at least 0
     * @throws IllegalArgumentException if {@code n} is negative or too large for one segment
     * @throws IllegalStateException if the buffer was freed
     */
    public void expand(int n) {
        checkCount(n, "size");
        if (n > Integer.MAX_VALUE - SegmentPool.LARGE_SIZE) {
            throw new IllegalArgumentException("cannot expand by " + n + " bytes");
        }
        checkNotFreed();
        this.expandOne(n);
    }

    // ------------------------------------------------------------------ searching

    /**
     * Moves {@code ptr} ({@code evbuffer_ptr_set}); returns false, leaving {@code ptr} at -1, if
     * the result would lie past the end, as libevent returns -1. The end itself is a valid
     * position.
     *
     * @param ptr the pointer to move; it must be used with this buffer only
     * @param position the new offset from the start ({@link PtrHow#SET}) or how far to move
     *     forward ({@link PtrHow#ADD})
     * @param how whether {@code position} is absolute or relative
     * @return true if the pointer now lies within {@code [0, getLength()]}
     */
    public boolean ptrSet(EvBufferPtr ptr, long position, PtrHow how) {
        Objects.requireNonNull(ptr, "ptr");
        Objects.requireNonNull(how, "how");
        return ptr.move(this, position, how);
    }

    /**
     * First occurrence of {@code what} anywhere in the buffer ({@code evbuffer_search} with a
     * null start).
     *
     * @param what the bytes to look for
     * @return a new pointer at the match, with {@link EvBufferPtr#matchLength()} the length of
     *     {@code what}; its position is -1 if there is none
     */
    public EvBufferPtr search(byte[] what) {
        return searchRange(what, null, null);
    }

    /**
     * First occurrence of {@code what} at or after {@code start} (null: the front)
     * ({@code evbuffer_search}); the result's position is -1 if there is none. As in libevent,
     * an empty {@code what} matches at {@code start}.
     *
     * @param what the bytes to look for
     * @param start where to begin, a pointer into this buffer; null for the front
     * @return a new pointer at the match; its position is -1 if there is none
     * @throws IllegalArgumentException if {@code start} lies outside the buffer
     */
    public EvBufferPtr search(byte[] what, EvBufferPtr start) {
        return searchRange(what, start, null);
    }

    /**
     * First occurrence of {@code what} that starts at or after {@code start} and ends at or
     * before {@code end} (either may be null) ({@code evbuffer_search_range}).
     *
     * @param what the bytes to look for
     * @param start where the match may begin at the earliest; null for the front
     * @param end where the match must have ended at the latest; null for the end of the buffer
     * @return a new pointer at the match; its position is -1 if there is none
     * @throws IllegalArgumentException if {@code start} or {@code end} lies outside the buffer
     */
    public EvBufferPtr searchRange(byte[] what, EvBufferPtr start, EvBufferPtr end) {
        Objects.requireNonNull(what, "what");
        long from = start == null ? 0 : start.pos;
        checkPosition(from);
        long endPos = end == null ? this.length : end.pos;
        if (end != null) {
            checkPosition(endPos);
        }
        return LineScanner.search(this, what, start, from, endPos);
    }

    /**
     * Finds the next end of line at or after {@code start} (null: the front)
     * ({@code evbuffer_search_eol}). The result's {@link EvBufferPtr#matchLength()} is the
     * length of the end-of-line itself; its position is -1 if there is none.
     *
     * @param start where to begin, a pointer into this buffer; null for the front
     * @param style which bytes end a line
     * @return a new pointer at the first byte of the end-of-line
     * @throws IllegalArgumentException if {@code start} lies outside the buffer
     */
    public EvBufferPtr searchEol(EvBufferPtr start, EolStyle style) {
        Objects.requireNonNull(style, "style");
        long from = start == null ? 0 : start.pos;
        checkPosition(from);
        return LineScanner.searchEol(this, start, from, style);
    }

    /**
     * The deprecated {@code evbuffer_find}: position of the first occurrence of {@code what},
     * or -1.
     *
     * @param what the bytes to look for
     * @return the offset from the start of the first match, or -1 if there is none
     */
    public long find(byte[] what) {
        return search(what).pos;
    }

    /**
     * Removes one line and its end-of-line from the front and returns the line's bytes
     * ({@code evbuffer_readln}), or null, leaving the buffer as it was, if no complete line is
     * there.
     *
     * @param style which bytes end a line
     * @return the line without its end-of-line (possibly empty), or null if no complete line
     *     is buffered
     * @throws IllegalStateException if the front is frozen
     */
    public byte[] readLineBytes(EolStyle style) {
        Objects.requireNonNull(style, "style");
        checkStart();
        if (this.length == 0) {
            return null;
        }
        // The thread's cursor: takeLine runs no callback, so nothing else uses it meanwhile.
        EvBufferPtr cursor = this.pool().lineCursor();
        byte[] line = LineScanner.takeLine(this, cursor, style);
        if (line != null) {
            deleted(line.length + cursor.matchLength);
        }
        return line;
    }

    /**
     * {@link #readLineBytes} decoded as UTF-8 ({@code evbuffer_readln}).
     *
     * @param style which bytes end a line
     * @return the line without its end-of-line, or null if no complete line is buffered
     * @throws IllegalStateException if the front is frozen
     */
    public String readLine(EolStyle style) {
        return readLine(style, StandardCharsets.UTF_8);
    }

    /**
     * {@link #readLineBytes} decoded with {@code charset} ({@code evbuffer_readln}).
     *
     * @param style which bytes end a line
     * @param charset how to decode the line; malformed input becomes the replacement character
     * @return the line without its end-of-line, or null if no complete line is buffered
     * @throws IllegalStateException if the front is frozen
     */
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
     * @param channel the channel to read from; a non-blocking one returns 0 when it has no
     *     data
     * @param howmuch most bytes to read; -1 for {@link #getMaxRead()}
     * @return the bytes read and appended, 0 if none were available, -1 at end of stream
     * @throws IOException if the channel's read fails; nothing is appended then
     * @throws IllegalArgumentException if {@code howmuch} is less than -1
     * @throws IllegalStateException if the end is frozen
     */
    public int readFrom(ReadableByteChannel channel, int howmuch) throws IOException {
        Objects.requireNonNull(channel, "channel");
        checkCountOrAll(howmuch, "howmuch");
        checkEnd();
        int want = howmuch == -1 ? maxRead : howmuch;
        if (want == 0) {
            return 0;
        }
        int n = ChannelTransfer.read(this, channel, want);
        added(n);
        return n;
    }

    /**
     * Writes as much of the buffer as the channel takes in one gathering write over up to 128
     * segments, and drains what was written ({@code evbuffer_write}). A file range at the front
     * goes with {@link FileChannel#transferTo}.
     *
     * @param channel the channel to write to; a non-blocking one may take fewer bytes, or none
     * @return the bytes written and drained, 0 when the buffer is empty or the channel took none
     * @throws IOException if the channel's write fails; the bytes not written stay buffered
     * @throws IllegalStateException if the front is frozen
     */
    public long writeTo(WritableByteChannel channel) throws IOException {
        return writeTo(channel, -1);
    }

    /**
     * {@link #writeTo(WritableByteChannel)} of at most {@code howmuch} bytes
     * ({@code evbuffer_write_atmost}).
     *
     * @param channel the channel to write to
     * @param howmuch the most bytes to write; -1 means no limit
     * @return the bytes written and drained
     * @throws IOException if the channel's write fails; the bytes not written stay buffered
     * @throws IllegalArgumentException if {@code howmuch} is less than -1
     * @throws IllegalStateException if the front is frozen
     */
    public long writeTo(WritableByteChannel channel, long howmuch) throws IOException {
        Objects.requireNonNull(channel, "channel");
        checkCountOrAll(howmuch, "howmuch");
        checkStart();
        long want = howmuch == -1 ? this.length : Math.min(howmuch, this.length);
        if (want == 0) {
            return 0;
        }
        return deleted(ChannelTransfer.write(this, channel, want));
    }

    // ------------------------------------------------------------------ freezing

    /**
     * Forbids changes at the front ({@code atFront}) or the end of the buffer
     * ({@code evbuffer_freeze}); a forbidden operation throws {@link IllegalStateException} and
     * changes nothing. Front: drain, remove, removeBuffer, prepend, prependBuffer, copyout,
     * readLine, writeTo. End: add, addPrintf, addBuffer, addBufferReference, addReference,
     * addFile, reserveSpace, commitSpace, readFrom.
     *
     * @param atFront true to freeze the front, false to freeze the end
     */
    public void freeze(boolean atFront) {
        if (atFront) {
            frozenStart = true;
        } else {
            frozenEnd = true;
        }
    }

    /**
     * Lifts {@link #freeze} ({@code evbuffer_unfreeze}).
     *
     * @param atFront true to unfreeze the front, false to unfreeze the end
     * @throws IllegalStateException if the buffer was freed (both ends stay frozen for good)
     */
    public void unfreeze(boolean atFront) {
        checkNotFreed();
        if (atFront) {
            frozenStart = false;
        } else {
            frozenEnd = false;
        }
    }

    /**
     * Tells whether one end is frozen by {@link #freeze} or by {@link #free}.
     *
     * @param atFront true to ask about the front, false about the end
     * @return true if operations at that end are refused
     */
    public boolean isFrozen(boolean atFront) {
        return atFront ? frozenStart : frozenEnd;
    }

    // ------------------------------------------------------------------ callbacks

    /**
     * Registers a callback, enabled, that runs after every change ({@code evbuffer_add_cb}). As
     * in libevent the newest callback runs first; a callback may remove itself while running.
     *
     * @param callback told what changed, on the thread that changed the buffer, or later
     *     through the executor given to {@link #deferCallbacks}
     * @return the entry, to pass to {@link #removeCallbackEntry} or the flag methods
     */
    public CallbackEntry addCallback(EvBufferCallback callback) {
        Objects.requireNonNull(callback, "callback");
        return callbackList().add(callback);
    }

    /**
     * Unregisters one entry ({@code evbuffer_remove_cb_entry}); it does not run again, even if
     * changes are pending.
     *
     * @param entry an entry returned by this buffer's {@link #addCallback}
     * @throws IllegalArgumentException if the entry is not registered on this buffer (any
     *     more)
     */
    public void removeCallbackEntry(CallbackEntry entry) {
        Objects.requireNonNull(entry, "entry");
        if (callbacks == null || !callbacks.remove(entry)) {
            throw new IllegalArgumentException("callback entry is not registered on this buffer");
        }
    }

    /**
     * Unregisters the newest entry for {@code callback} ({@code evbuffer_remove_cb}); returns
     * false, as C returns -1, if there is none.
     *
     * @param callback the callback as given to {@link #addCallback} (compared by identity)
     * @return true if an entry was removed
     */
    public boolean removeCallback(EvBufferCallback callback) {
        CallbackEntry e = callbacks == null ? null : callbacks.find(callback);
        return e != null && callbacks.remove(e);
    }

    /**
     * Sets flags on an entry ({@code evbuffer_cb_set_flags}); flags already set stay set.
     *
     * @param entry an entry returned by {@link #addCallback}
     * @param flags {@link #EVBUFFER_CB_ENABLED} and/or {@link #EVBUFFER_CB_NODEFER}, or-ed
     */
    public void callbackSetFlags(CallbackEntry entry, int flags) {
        Objects.requireNonNull(entry, "entry").setFlags(flags);
    }

    /**
     * Clears flags on an entry ({@code evbuffer_cb_clear_flags}); clearing
     * {@link #EVBUFFER_CB_ENABLED} keeps the entry registered but silent.
     *
     * @param entry an entry returned by {@link #addCallback}
     * @param flags the flags to clear, or-ed
     */
    public void callbackClearFlags(CallbackEntry entry, int flags) {
        Objects.requireNonNull(entry, "entry").clearFlags(flags);
    }

    /**
     * The obsolete {@code evbuffer_setcb}: replaces every callback with {@code callback}, or with
     * none when it is null.
     *
     * @param callback the only callback from now on; null removes every callback
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
     * What the owner of a buffer (a bufferevent over its output) is told when bytes are added.
     * Not one of libevent's callbacks: it is the hook libevent's bufferevents get from an
     * internal {@code EVBUFFER_CB_NODEFER} entry, kept in one field instead of a list entry.
     */
    @FunctionalInterface
    public interface AddedListener {
        /**
         * Told, at once and on the thread that added them, that {@code n} bytes were added, after
         * the buffer's callbacks that run at once.
         *
         * @param n the bytes added, at least 1
         */
        void bytesAdded(long n);
    }

    /**
     * Sets the owner's listener for added bytes, replacing any earlier one (null: none). It runs
     * after every change that adds bytes, after the callbacks that run at once, even when
     * callbacks are deferred; {@link #setCallback} and {@link #removeCallback} do not touch it,
     * so a user's callbacks cannot unhook the owner. A bufferevent uses it to start writing what
     * is added to its output: one field per buffer, not a callback entry and list.
     *
     * @param listener told of every addition; null for none
     */
    public void setAddedListener(AddedListener listener) {
        this.addedListener = listener;
    }

    /**
     * From now on, runs callbacks later through {@code executor} instead of inside the
     * operation that changed the buffer ({@code evbuffer_defer_callbacks}); changes keep adding
     * up until then. Entries flagged {@link #EVBUFFER_CB_NODEFER} still run at once. The
     * bufferevent layer passes its event base's deferred queue.
     *
     * @param executor runs the pending callbacks; it must run them on the buffer's thread
     */
    public void deferCallbacks(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        callbackList().deferTo(executor);
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
        Reservation r = reservation;
        if (r != null) {
            reservation = null;
            r.clear();
            this.pool().returnReservation(r);
        }
        if (callbacks != null) {
            callbacks.clear();
        }
        addedListener = null;
        this.releaseAll();
    }

    /** Same as {@link #free()}. */
    @Override
    public void close() {
        free();
    }

    /** {@return true once {@link #free()} or {@link #close()} ran} */
    public boolean isFreed() {
        return freed;
    }

    /**
     * Checks the buffer's invariant (the chain's, stated on {@code SegmentChain}), as libevent's
     * tests do with {@code evbuffer_validate}; throws {@link AssertionError} describing the
     * first breach.
     */
    public void checkInvariants() {
        ChainInvariants.check(this);
        if (freed && (!frozenStart || !frozenEnd || this.head != null)) {
            throw new AssertionError("a freed buffer still holds segments or has an end open");
        }
    }

    /** {@return the number of segments in the this, trailing empty ones included} For tests and debugging. */
    @Override
    public int segmentCount() {
        return super.segmentCount();
    }

    @Override
    public String toString() {
        return "EvBuffer[length=" + this.length + ", segments=" + segmentCount()
                + (frozenStart ? ", front frozen" : "") + (frozenEnd ? ", end frozen" : "")
                + (freed ? ", freed" : "") + "]";
    }

    // ================================================================== internals

    /** The segments, for the tests of this package that read them without any public operation. */
    SegmentChain chain() {
        return this;
    }

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

    private static void checkCount(long n, String what) {
        if (n < 0) {
            throw new IllegalArgumentException("negative " + what + ": " + n);
        }
    }

    /** A count where -1 means "all", as C's {@code ev_ssize_t} arguments. */
    private static void checkCountOrAll(long n, String name) {
        if (n < -1) {
            throw new IllegalArgumentException(name + " must be -1 or at least 0: " + n);
        }
    }

    private void checkPosition(long pos) {
        if (pos < 0 || pos > this.length) {
            throw new IllegalArgumentException("position " + pos + " is outside a buffer of "
                    + this.length + " bytes");
        }
    }

    /**
     * Copies up to {@code max} bytes from the front into {@code array} at {@code off}, or into
     * {@code dst} at absolute index {@code off}; returns how many.
     */
    private int copyFront(long max, byte[] array, int off, ByteBuffer dst) {
        checkStart();
        int n = (int) Math.min(max, this.length);
        if (n > 0) {
            ChannelTransfer.materializeFiles(this);
            SegmentChain.copyFrom(this.head, this.head.pos, array, off, n, dst);
        }
        return n;
    }

    /**
     * Moves all of {@code src} here (to the front or the end). As {@code evbuffer_add_buffer}
     * and {@code evbuffer_prepend_buffer} do, the move is counted on both buffers first, then
     * the source's callbacks run, then ours: a source callback that writes here is reported
     * together with the move.
     */
    private void moveAllFrom(EvBuffer src, boolean front) {
        long n = src.length;
        if (n == 0) {
            return;
        }
        src.moveAllTo(this, front);
        if (callbacks != null) {
            callbacks.count(n, 0);
        }
        if (src.callbacks != null) {
            src.callbacks.count(0, n);
            src.callbacks.invoke();
        }
        if (callbacks != null) {
            callbacks.invoke();
        }
        if (addedListener != null) {
            addedListener.bytesAdded(n);
        }
    }

    /** Removes {@code n <= length} bytes from the front and reports it. */
    private void dropReported(long n) {
        if (n > 0) {
            this.dropFront(n);
            deleted(n);
        }
    }

    /** Reports {@code n} bytes added, if any, to the callbacks, then to the owner's listener. */
    private void added(long n) {
        if (n > 0) {
            if (callbacks != null) {
                callbacks.added(n);
            }
            if (addedListener != null) {
                addedListener.bytesAdded(n);
            }
        }
    }

    /** Reports {@code n} bytes removed, if any, to the callbacks; returns {@code n}. */
    private long deleted(long n) {
        if (n > 0 && callbacks != null) {
            callbacks.deleted(n);
        }
        return n;
    }

    private CallbackList callbackList() {
        Callbacks c = callbacks;
        if (c == null) {
            c = callbacks = new Callbacks(this);
        }
        return c;
    }

    /** The callback list of one buffer: knows the buffer, so that the list itself need not. */
    private static final class Callbacks extends CallbackList {
        private final EvBuffer buffer;

        Callbacks(EvBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        long length() {
            return buffer.length;
        }

        @Override
        void deliver(EvBufferCallback callback, EvBufferCbInfo info) {
            callback.onChange(buffer, info);
        }

        @Override
        Reports reports() {
            return buffer.pool().reports;
        }
    }
}
