package org.jevent.evbuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

/**
 * Moves bytes between a chain and the outside world: scattering reads straight into free
 * segment space, gathering writes straight from the segments, file ranges sent with
 * {@code transferTo} or read into memory when a caller needs their bytes.
 *
 * <p>Invariant: the per-thread scratch vectors and read reservation it borrows from the
 * {@link SegmentPool} hold no reference once a call returns, so nothing here pins memory and
 * no call allocates.
 */
final class ChannelTransfer {
    /** Most segments handed to one scattering read, as libevent's {@code NUM_READ_IOVEC}. */
    static final int MAX_READ_VECTORS = 4;
    /** Most segments handed to one gathering write, as libevent's {@code DEFAULT_WRITE_IOVEC}. */
    static final int MAX_WRITE_VECTORS = 128;

    private ChannelTransfer() {
    }

    /**
     * Reads at most {@code want} (at least 1) bytes from {@code channel} into free space at the
     * end of {@code chain}, scattering over up to four segments; returns what the channel
     * returned (-1 at end of stream, 0 if nothing was there). What was read is committed.
     */
    static int read(SegmentChain chain, ReadableByteChannel channel, int want) throws IOException {
        SegmentPool pool = chain.pool();
        Reservation r = pool.readReservation();
        r.reserveForRead(chain, want, MAX_READ_VECTORS);
        ByteBuffer[] scratch = pool.scratch();
        int room = 0;
        for (int i = 0; i < r.count; i++) {
            Segment s = r.segments[i];
            int end = Math.min(s.capacity(), r.starts[i] + (want - room));
            room += end - r.starts[i];
            scratch[i] = s.ioView(r.starts[i], end);
        }
        long n;
        try {
            if (r.count > 1 && channel instanceof ScatteringByteChannel) {
                n = ((ScatteringByteChannel) channel).read(scratch, 0, r.count);
            } else {
                n = channel.read(scratch[0]);
            }
        } finally {
            Arrays.fill(scratch, 0, r.count, null);
        }
        if (n > 0) {
            Segment bulk = r.bulk;
            Segment beforeBulk = r.beforeBulk;
            r.takeRead(n);
            r.commit(chain, r.count);
            // Room the read asked for and did not use goes back to the pool now: a connection
            // that goes quiet after a large read would otherwise keep up to three empty
            // segments. The commit has already ended any reservation of the caller's.
            chain.releaseTrailingEmpty();
            if (bulk != null && chain.lastData == bulk && bulk.readable() <= SegmentPool.LARGE_SIZE) {
                // A 64 KiB segment that a short read left holding little would pin 64 KiB on a
                // connection that then waits: its bytes move to a segment of their size.
                chain.moveLastDataToFit(beforeBulk);
            }
        } else {
            r.clear();
        }
        return (int) n;
    }

    /**
     * Writes at most {@code want} (at least 1) bytes from the front of {@code chain} in one
     * gathering write over up to 128 segments, or one {@code transferTo} of a file range at the
     * front, and drops what was written; returns the count.
     */
    static long write(SegmentChain chain, WritableByteChannel channel, long want) throws IOException {
        long n;
        Segment s = chain.head;
        if (s.isFile()) {
            n = s.file.transferTo(s.fileOffset, Math.min(want, s.fileLength), channel);
        } else if (s.readable() >= want || s.next == null || s.next.length() == 0 || s.next.isFile()) {
            // One segment holds all there is to write: no vector to fill.
            n = channel.write(s.ioView(s.pos, s.pos + (int) Math.min(s.readable(), want)));
        } else {
            ByteBuffer[] scratch = chain.pool().scratch();
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
                Arrays.fill(scratch, 0, count, null);
            }
        }
        if (n > 0) {
            chain.dropFront(n);
        }
        return n;
    }

    /** Reads every file range of {@code chain} into memory segments, for operations that need the bytes. */
    static void materializeFiles(SegmentChain chain) {
        if (!chain.mayHoldFiles) {
            return;
        }
        Segment before = null;
        Segment s = chain.head;
        while (s != null) {
            if (!s.isFile()) {
                before = s;
                s = s.next;
                continue;
            }
            Segment first = null;
            Segment last = null;
            long left = s.fileLength;
            long at = s.fileOffset;
            while (left > 0) {
                Segment m = chain.pool().take(SegmentPool.LARGE_SIZE);
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
            chain.replace(before, s, first, last);
            s.release();
            before = last;
            s = last.next;
        }
        chain.mayHoldFiles = false;
    }
}
