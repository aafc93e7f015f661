package org.jevent.evbuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A thread's pool gives memory back after a burst: what it keeps free shrinks to its bound by
 * itself, whole slabs at a time, and only slabs whose every segment is back. Checked on the
 * pool's own accounting, which does not depend on when the garbage collector runs; the process's
 * resident memory is measured by {@link PoolBurstRss}.
 */
@Timeout(120)
class SegmentPoolTrimTest {
    private static final long MIB = 1024 * 1024;

    /** Runs {@code body} on a new thread, so that it has a pool of its own, and rethrows what it threw. */
    private static <T> T onFreshThread(Callable<T> body) throws Throwable {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            return on(ex, body);
        } finally {
            ex.shutdownNow();
        }
    }

    /** Fills {@code buffers} buffers with {@code each} bytes apiece, through ordinary appends. */
    static EvBuffer[] burst(int buffers, int each) {
        byte[] chunk = new byte[64 * 1024];
        EvBuffer[] bufs = new EvBuffer[buffers];
        for (int i = 0; i < buffers; i++) {
            bufs[i] = new EvBuffer();
            for (int done = 0; done < each; done += chunk.length) {
                bufs[i].add(chunk, 0, Math.min(chunk.length, each - done));
            }
        }
        return bufs;
    }

    /** The default pool after 200 MiB went through buffers and every buffer was freed. */
    @Test
    void aBurstShrinksBackToTheBound() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.current();
            long bound = pool.maxPooledBytes();
            EvBuffer[] bufs = burst(50, 4 * (int) MIB);
            long peak = pool.heldBytes();
            assertTrue(peak >= 200 * MIB, "the burst holds its 200 MiB: " + peak);
            for (EvBuffer b : bufs) {
                b.free();
            }
            assertEquals(0, pool.outstanding(), "every segment is back");
            assertTrue(pool.pooledBytes() <= bound, "free memory kept " + pool.pooledBytes() + " > bound " + bound);
            assertEquals(pool.pooledBytes(), pool.heldBytes(), "nothing in use, so all that is held is free");
            assertTrue(pool.heldBytes() > bound - largeSlab(pool), "no more given up than needed: " + pool.heldBytes());
            pool.trim();
            assertEquals(0, pool.heldBytes(), "trim gives up every slab that is all back");
            assertEquals(0, pool.pooledSegments());
            // The pool still works after giving everything up.
            EvBuffer again = burst(1, 100_000)[0];
            assertEquals(100_000, again.getLength());
            again.free();
            return null;
        });
    }

    /** A slab one of whose segments a buffer still holds cannot go; it goes when that segment is back. */
    @Test
    void aSlabStaysWhileOneOfItsSegmentsIsInUse() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.installForThisThread(0, 4);
            EvBuffer a = new EvBuffer();
            EvBuffer b = new EvBuffer();
            byte[] record = new byte[SegmentPool.LARGE_SIZE];
            a.add(record);
            b.add(record);
            assertEquals(4L * SegmentPool.LARGE_SIZE, pool.heldBytes(), "one slab of four large segments");
            a.free();
            assertEquals(4L * SegmentPool.LARGE_SIZE, pool.heldBytes(), "b still uses the slab");
            assertEquals(3L * SegmentPool.LARGE_SIZE, pool.pooledBytes(), "a's segment waits, over the bound of 0");
            b.free();
            assertEquals(0, pool.heldBytes(), "all back and over the bound: given up");
            assertEquals(0, pool.pooledBytes());
            return null;
        });
    }

    /** Bulk segments (64 KiB reads) count against the same bound and go back as whole slabs. */
    @Test
    void bulkSlabsFollowTheBound() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.installForThisThread(0, 8);
            EvBuffer a = new EvBuffer();
            EvBuffer b = new EvBuffer();
            byte[] incoming = new byte[SegmentPool.BULK_SIZE];
            a.readFrom(new EvBufferModelState.MemChannel(incoming, false, Integer.MAX_VALUE), incoming.length);
            b.readFrom(new EvBufferModelState.MemChannel(incoming, false, Integer.MAX_VALUE), incoming.length);
            assertEquals(2L * SegmentPool.BULK_SIZE, pool.heldBytes(), "one bulk slab of two segments (a quarter of eight)");
            a.free();
            assertEquals(SegmentPool.BULK_SIZE, pool.pooledBytes(), "a's segment waits: b still uses the slab");
            b.free();
            assertEquals(0, pool.heldBytes(), "all back and over the bound of 0: given up");
            assertEquals(0, pool.pooledSegments());
            return null;
        });
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.installForThisThread(8 * MIB, 8);
            for (int round = 0; round < 3; round++) {
                EvBuffer a = new EvBuffer();
                byte[] incoming = new byte[SegmentPool.BULK_SIZE];
                a.readFrom(new EvBufferModelState.MemChannel(incoming, false, Integer.MAX_VALUE), incoming.length);
                a.free();
                assertEquals(2L * SegmentPool.BULK_SIZE, pool.heldBytes(), "under the bound the bulk slab stays");
                assertEquals(2L * SegmentPool.BULK_SIZE, pool.pooledBytes());
            }
            return null;
        });
    }

    /** Below the bound nothing is given up: a busy thread keeps reusing its slabs. */
    @Test
    void underTheBoundSlabsAreKept() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.installForThisThread(8 * MIB, 8);
            long afterFirst = 0;
            for (int round = 0; round < 20; round++) {
                EvBuffer[] bufs = burst(4, (int) MIB);
                for (EvBuffer b : bufs) {
                    b.free();
                }
                if (round == 0) {
                    afterFirst = pool.heldBytes();
                }
            }
            assertTrue(afterFirst >= 4 * MIB && afterFirst <= 8 * MIB,
                    "4 MiB in flight fits under the 8 MiB bound and stays: " + afterFirst);
            assertEquals(afterFirst, pool.heldBytes(), "later rounds reuse the same slabs, none given up or added");
            return null;
        });
    }

    /**
     * A segment freed on another thread never comes back to its pool; it must not pin its slab
     * for ever. Whichever comes last, the owner's own segment or the foreign release, the slab
     * can go: at the owner's recycle in the first case, at its next trim in the second, and a
     * slab every segment of which was lost is forgotten.
     */
    @Test
    void segmentsFreedOnAnotherThreadDoNotPinTheirSlab() throws Throwable {
        ExecutorService owner = Executors.newSingleThreadExecutor();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            long slab = 4L * SegmentPool.LARGE_SIZE;
            SegmentPool pool = on(owner, () -> SegmentPool.installForThisThread(0, 4));
            // The foreign release first, then the owner's.
            EvBuffer[] bufs = on(owner, () -> burst(2, SegmentPool.LARGE_SIZE));
            assertEquals(slab, pool.heldBytes());
            on(other, () -> {
                bufs[1].free();
                return null;
            });
            on(owner, () -> {
                bufs[0].free();
                return null;
            });
            assertEquals(0, pool.heldBytes(), "the last segment back found the lost one counted");
            // The owner's release first, then the foreign one: the slab goes at the next trim.
            EvBuffer[] more = on(owner, () -> burst(2, SegmentPool.LARGE_SIZE));
            on(owner, () -> {
                more[0].free();
                return null;
            });
            on(other, () -> {
                more[1].free();
                return null;
            });
            assertEquals(slab, pool.heldBytes(), "nothing came back to the owner since");
            assertThrows(IllegalStateException.class, pool::trim, "only the owner trims");
            on(owner, () -> {
                pool.trim();
                return null;
            });
            assertEquals(0, pool.heldBytes(), "trim found the slab all back");
            // Every segment of a slab lost: nothing of it can be reused, the pool forgets it.
            EvBuffer[] all = on(owner, () -> burst(4, SegmentPool.LARGE_SIZE));
            on(other, () -> {
                for (EvBuffer b : all) {
                    b.free();
                }
                return null;
            });
            on(owner, () -> {
                pool.trim();
                return null;
            });
            assertEquals(0, pool.heldBytes(), "a slab whose segments were all lost is not counted as held");
            assertEquals(6, pool.outstanding(), "the six lost segments never came back");
        } finally {
            owner.shutdownNow();
            other.shutdownNow();
        }
    }

    private static <T> T on(ExecutorService thread, Callable<T> body) throws Throwable {
        try {
            return thread.submit(body).get(100, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    private static long largeSlab(SegmentPool pool) {
        return (long) pool.slabSegments() * SegmentPool.LARGE_SIZE;
    }
}
