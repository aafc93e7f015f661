package org.jevent.evbuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * A range of a file that buffers can hold without reading it: the twin of libevent's
 * {@code struct evbuffer_file_segment}. When a buffer holding it is written to a channel the
 * bytes go with {@link FileChannel#transferTo} (sendfile where the platform has it); an operation
 * that needs the bytes themselves (search, copyout, pullup, ...) reads the range into ordinary
 * segments first, as libevent does when it cannot mmap.
 *
 * <p>Invariant: {@code holders} counts the creator's hold (until {@link #free()}) plus one per
 * buffer segment that refers to the range; when it reaches zero the cleanup runs once and, with
 * {@link #EVBUF_FS_CLOSE_ON_FREE}, the channel is closed.
 */
public final class FileSegment {
    /** Close the channel when the last holder lets go ({@code EVBUF_FS_CLOSE_ON_FREE}). */
    public static final int EVBUF_FS_CLOSE_ON_FREE = 0x01;

    /** Called once when the segment is no longer held by anyone. */
    @FunctionalInterface
    public interface Cleanup {
        /**
         * @param segment the segment being released
         * @param flags the flags it was created with
         */
        void cleanup(FileSegment segment, int flags);
    }

    private final FileChannel channel;
    private final long offset;
    private final long length;
    private final int flags;
    private int holders = 1;
    private boolean creatorReleased;
    private Cleanup cleanup;

    private FileSegment(FileChannel channel, long offset, long length, int flags) {
        this.channel = channel;
        this.offset = offset;
        this.length = length;
        this.flags = flags;
    }

    /**
     * The twin of {@code evbuffer_file_segment_new(fd, offset, length, flags)}.
     *
     * The creator holds the segment until it calls {@link #free()}; add it to buffers with
     * their {@code addFileSegment}.
     *
     * @param channel the open file; closed when the last holder lets go if {@code flags}
     *     has {@link #EVBUF_FS_CLOSE_ON_FREE}, otherwise left to the caller
     * @param offset position in the file of the first byte, at least 0
     * @param length bytes to use, or -1 for everything from {@code offset} to the file's end
     * @param flags {@link #EVBUF_FS_CLOSE_ON_FREE} or 0
     * @return the new segment, held once by the caller
     * @throws IllegalArgumentException if the range is negative or runs past the end of the file
     * @throws java.io.UncheckedIOException if the file's size cannot be read
     */
    public static FileSegment create(FileChannel channel, long offset, long length, int flags) {
        Objects.requireNonNull(channel, "channel");
        if (offset < 0) {
            throw new IllegalArgumentException("negative file offset: " + offset);
        }
        long size;
        try {
            size = channel.size();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of the file", e);
        }
        if (length == -1) {
            length = Math.max(0, size - offset);
        }
        if (length < 0 || offset + length > size) {
            throw new IllegalArgumentException(
                    "file range " + offset + "+" + length + " does not fit a file of " + size + " bytes");
        }
        return new FileSegment(channel, offset, length, flags);
    }

    /**
     * Sets the callback that runs once when no buffer and not the creator holds the segment any
     * more, before the channel is closed ({@code evbuffer_file_segment_add_cleanup_cb}).
     *
     * @param cb the callback, replacing any earlier one; null for none
     */
    public void addCleanupCallback(Cleanup cb) {
        this.cleanup = cb;
    }

    /**
     * Drops the creator's hold ({@code evbuffer_file_segment_free}); the range stays usable for
     * every buffer that still holds it. Calling it twice has no further effect.
     */
    public void free() {
        if (!creatorReleased) {
            creatorReleased = true;
            release();
        }
    }

    /** {@return the position in the file of the segment's first byte} */
    public long offset() {
        return offset;
    }

    /** {@return the number of bytes of the file the segment covers} */
    public long length() {
        return length;
    }

    /** {@return the file the segment reads from} */
    public FileChannel channel() {
        return channel;
    }

    /** {@return true once every hold is gone and the cleanup ran} */
    public boolean isReleased() {
        return holders == 0;
    }

    /**
     * The length of the part {@code [offset, offset + length)} of this segment, {@code length}
     * -1 meaning to its end, as {@code evbuffer_add_file_segment} takes them.
     *
     * @throws IllegalArgumentException if the part is not inside the segment
     */
    long partLength(long offset, long length) {
        if (length == -1 && offset >= 0 && offset <= this.length) {
            length = this.length - offset;
        }
        if (offset < 0 || length < 0 || offset + length > this.length) {
            throw new IllegalArgumentException("range " + offset + "+" + length
                    + " is outside a file segment of " + this.length + " bytes");
        }
        return length;
    }

    void retain() {
        if (holders == 0) {
            throw new IllegalStateException("file segment already released");
        }
        holders++;
    }

    void release() {
        if (holders == 0) {
            return;
        }
        if (--holders == 0) {
            try {
                if (cleanup != null) {
                    cleanup.cleanup(this, flags);
                }
            } finally {
                if ((flags & EVBUF_FS_CLOSE_ON_FREE) != 0) {
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // Nothing useful to do: the bytes were already delivered or dropped.
                    }
                }
            }
        }
    }

    /** Reads exactly {@code dst.remaining()} bytes at absolute file position {@code position}. */
    void readFully(long position, ByteBuffer dst) {
        try {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position);
                if (n < 0) {
                    throw new UncheckedIOException(new IOException(
                            "file shrank: end of file at " + position + " inside a buffered range"));
                }
                position += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a buffered file range failed", e);
        }
    }

    long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return channel.transferTo(position, count, target);
    }
}
