package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.contentOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Segment memory accounting and copy-on-write sharing.
 *
 * <p>Each scenario runs on a thread of its own, so that it has a fresh {@link SegmentPool} and
 * {@code outstanding()} counts only what the scenario took. Every buffer is checked against a
 * trivially correct model (a byte array) as it goes.
 */
@Timeout(60)
class SegmentPoolLeakTest {

    /** Runs {@code body} on a new thread (a new pool) and rethrows what it threw. */
    private static void onFreshThread(Callable<Void> body) throws Throwable {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            ex.submit(body).get(50, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        } finally {
            ex.shutdownNow();
        }
    }

    /** A byte queue that is obviously right. */
    private static final class Model {
        private byte[] bytes = new byte[0];

        void add(byte[] b) {
            byte[] n = Arrays.copyOf(bytes, bytes.length + b.length);
            System.arraycopy(b, 0, n, bytes.length, b.length);
            bytes = n;
        }

        void prepend(byte[] b) {
            byte[] n = new byte[bytes.length + b.length];
            System.arraycopy(b, 0, n, 0, b.length);
            System.arraycopy(bytes, 0, n, b.length, bytes.length);
            bytes = n;
        }

        byte[] take(int k) {
            byte[] out = Arrays.copyOf(bytes, k);
            bytes = Arrays.copyOfRange(bytes, k, bytes.length);
            return out;
        }

        int length() {
            return bytes.length;
        }

        int indexOf(byte c) {
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == c) {
                    return i;
                }
            }
            return -1;
        }
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        // some line ends, so that readLine has something to find
        for (int i = 0; i < n; i += 97 + rnd.nextInt(2000)) {
            b[i] = '\n';
        }
        return b;
    }

    private static void check(EvBuffer buf, Model m, String what) {
        buf.checkInvariants();
        assertEquals(m.length(), buf.getLength(), what + ": length");
        assertArrayEquals(m.bytes, contentOf(buf), what + ": content");
    }

    // ------------------------------------------------------------------ no leak after a mixed workload

    @Test
    void mixedWorkloadReturnsEverySegment() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.current();
            assertEquals(0, pool.outstanding(), "a fresh thread starts with a fresh pool");
            Random rnd = new Random(20261122L);
            EvBuffer[] bufs = {new EvBuffer(), new EvBuffer(), new EvBuffer(), new EvBuffer()};
            Model[] models = {new Model(), new Model(), new Model(), new Model()};
            int[] cleanups = new int[1];
            int referencesAdded = 0;
            long maxOutstanding = 0;
            ByteBuffer[] vec = new ByteBuffer[2];
            for (int step = 0; step < 600; step++) {
                int i = rnd.nextInt(4);
                int j = (i + 1 + rnd.nextInt(3)) % 4; // another buffer
                EvBuffer a = bufs[i];
                EvBuffer o = bufs[j];
                Model ma = models[i];
                Model mo = models[j];
                String what = "step " + step;
                switch (rnd.nextInt(13)) {
                    case 0 -> {
                        byte[] d = randomBytes(rnd, rnd.nextInt(25_000));
                        a.add(d);
                        ma.add(d);
                    }
                    case 1 -> {
                        byte[] d = randomBytes(rnd, rnd.nextInt(6_000));
                        a.prepend(d);
                        ma.prepend(d);
                    }
                    case 2 -> {
                        int n = rnd.nextInt(ma.length() + 1);
                        a.drain(n);
                        ma.take(n);
                    }
                    case 3 -> {
                        o.addBuffer(a);
                        mo.add(ma.take(ma.length()));
                    }
                    case 4 -> {
                        // removeBuffer, mostly with a split of 1 KiB or more somewhere
                        int n = rnd.nextInt(ma.length() + 1);
                        assertEquals(n, a.removeBuffer(o, n));
                        mo.add(ma.take(n));
                    }
                    case 5 -> {
                        o.addBufferReference(a);
                        mo.add(ma.bytes.clone());
                    }
                    case 6 -> {
                        byte[] lent = randomBytes(rnd, rnd.nextInt(3_000));
                        a.addReference(ByteBuffer.wrap(lent), d -> cleanups[0]++);
                        referencesAdded++;
                        ma.add(lent.clone());
                    }
                    case 7 -> {
                        if (ma.length() > 0) {
                            int n = 1 + rnd.nextInt(ma.length());
                            ByteBuffer p = a.pullup(n);
                            assertNotNull(p);
                            assertArrayEquals(Arrays.copyOf(ma.bytes, n), RegressSupport.bytesOf(p), what);
                        }
                    }
                    case 8 -> {
                        int want = 1 + rnd.nextInt(40_000);
                        int n = a.reserveSpace(want, vec);
                        int k = 0;
                        for (int e = 0; e < n; e++) {
                            int use = rnd.nextInt(vec[e].remaining() + 1);
                            byte[] d = randomBytes(rnd, use);
                            vec[e].put(d);
                            ma.add(d);
                            k++;
                        }
                        a.commitSpace(vec, k);
                    }
                    case 9 -> {
                        String line = a.readLine(EolStyle.LF, StandardCharsets.ISO_8859_1);
                        int at = ma.indexOf((byte) '\n');
                        if (at < 0) {
                            assertNull(line, what);
                        } else {
                            byte[] want = ma.take(at + 1);
                            assertEquals(new String(want, 0, at, StandardCharsets.ISO_8859_1), line, what);
                        }
                    }
                    case 10 -> {
                        o.prependBuffer(a);
                        mo.prepend(ma.take(ma.length()));
                    }
                    case 11 -> {
                        byte[] out = new byte[rnd.nextInt(5_000)];
                        int n = a.remove(out, 0, out.length);
                        assertArrayEquals(ma.take(n), Arrays.copyOf(out, n), what);
                    }
                    default -> a.expand(rnd.nextInt(20_000));
                }
                for (int k = 0; k < 4; k++) {
                    check(bufs[k], models[k], what + " buffer " + k);
                }
                maxOutstanding = Math.max(maxOutstanding, pool.outstanding());
                // keep the run small
                for (int k = 0; k < 4; k++) {
                    if (models[k].length() > 400_000) {
                        bufs[k].drain(300_000);
                        models[k].take(300_000);
                    }
                }
            }
            assertTrue(maxOutstanding > 0, "the workload used pooled segments");
            for (EvBuffer b : bufs) {
                b.free();
            }
            assertEquals(0, pool.outstanding(), "segments leaked after freeing every buffer");
            assertEquals(referencesAdded, cleanups[0], "every reference cleaned up exactly once");
            return null;
        });
    }

    /**
     * Space reserved and committed unused goes back to the pool at once: an idle TLS connection
     * reserves a record's worth for every unwrap that may produce nothing, and must not keep it.
     */
    @Test
    void unusedReservedSpaceReturnsAtCommit() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.current();
            EvBuffer a = new EvBuffer();
            ByteBuffer[] vec = new ByteBuffer[2];
            int n = a.reserveSpace(SegmentPool.LARGE_SIZE + 100, vec);
            assertEquals(2, n);
            assertEquals(2, pool.outstanding(), "two segments reserved");
            a.commitSpace(vec, n); // nothing written
            assertEquals(0, pool.outstanding(), "an empty commit keeps nothing");
            a.checkInvariants();

            n = a.reserveSpace(SegmentPool.LARGE_SIZE + 100, vec);
            vec[0].put(new byte[10]);
            a.commitSpace(vec, n); // the first view used, the second not
            assertEquals(1, pool.outstanding(), "only the segment holding data stays");
            assertEquals(10, a.getLength());
            a.checkInvariants();

            n = a.reserveSpace(100, vec);
            a.commitSpace(vec, 0); // as in libevent: no views committed, the reservation stays
            assertEquals(1, a.reserveSpace(100, vec), "the same space again");
            vec[0].put((byte) 1);
            a.commitSpace(vec, 1);
            assertEquals(11, a.getLength());
            a.free();
            assertEquals(0, pool.outstanding());
            return null;
        });
    }

    @Test
    void drainingEverythingReturnsEverySegment() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.current();
            EvBuffer a = new EvBuffer();
            EvBuffer b = new EvBuffer();
            EvBuffer c = new EvBuffer();
            byte[] d = new byte[50_000];
            new Random(7).nextBytes(d);
            a.add(d);
            a.removeBuffer(b, 20_000); // split shared
            c.addBufferReference(a);
            c.addBufferReference(b);
            a.pullup(-1);
            ByteBuffer[] v = new ByteBuffer[2];
            int n = b.reserveSpace(30_000, v);
            for (int e = 0; e < n; e++) {
                while (v[e].hasRemaining()) {
                    v[e].put((byte) e);
                }
            }
            b.commitSpace(v, n);
            assertTrue(pool.outstanding() > 0);
            a.drain(Long.MAX_VALUE);
            b.drain(Long.MAX_VALUE);
            c.drain(Long.MAX_VALUE);
            assertEquals(0, pool.outstanding(), "drained buffers still hold pooled segments");
            a.free();
            b.free();
            c.free();
            assertEquals(0, pool.outstanding());
            return null;
        });
    }

    // ------------------------------------------------------------------ shared memory is never written through

    /** Mutates {@code buf} heavily at both ends, keeping {@code m} in step. */
    private static void mutateHeavily(EvBuffer buf, Model m, Random rnd, Runnable checkOther) {
        ByteBuffer[] vec = new ByteBuffer[2];
        for (int round = 0; round < 40; round++) {
            switch (round % 10) {
                case 0 -> {
                    byte[] d = randomBytes(rnd, 1 + rnd.nextInt(3_000));
                    buf.prepend(d);
                    m.prepend(d);
                }
                case 1 -> {
                    byte[] d = randomBytes(rnd, 1 + rnd.nextInt(9_000));
                    buf.add(d);
                    m.add(d);
                }
                case 2 -> {
                    int n = rnd.nextInt(Math.max(1, m.length() / 3));
                    buf.drain(n);
                    m.take(n);
                }
                case 3 -> {
                    byte[] d = "line one\nline two\n".getBytes(StandardCharsets.ISO_8859_1);
                    buf.prepend(d);
                    m.prepend(d);
                    assertEquals("line one", buf.readLine(EolStyle.LF));
                    m.take(9);
                    assertEquals("line two", buf.readLine(EolStyle.LF));
                    m.take(9);
                }
                case 4 -> {
                    int n = buf.reserveSpace(1 + rnd.nextInt(30_000), vec);
                    for (int e = 0; e < n; e++) {
                        byte[] d = randomBytes(rnd, vec[e].remaining());
                        vec[e].put(d);
                        m.add(d);
                    }
                    buf.commitSpace(vec, n);
                }
                case 5 -> {
                    if (m.length() > 0) {
                        ByteBuffer p = buf.pullup(-1);
                        assertArrayEquals(m.bytes, RegressSupport.bytesOf(p));
                    }
                }
                case 6 -> {
                    buf.expand(5_000);
                    byte[] d = randomBytes(rnd, 4_000);
                    buf.add(d);
                    m.add(d);
                }
                case 7 -> {
                    // everything goes, then fresh memory comes from the pool: it must not be the
                    // memory still shared with the other buffer
                    buf.drain(Long.MAX_VALUE);
                    m.take(m.length());
                    byte[] d = randomBytes(rnd, 40_000);
                    buf.add(d);
                    m.add(d);
                }
                case 8 -> {
                    int n = buf.reserveSpace(20_000, vec);
                    for (int e = 0; e < n; e++) {
                        byte[] d = randomBytes(rnd, vec[e].remaining());
                        vec[e].put(d);
                        m.add(d);
                    }
                    buf.commitSpace(vec, n);
                }
                default -> {
                    byte[] d = randomBytes(rnd, 1 + rnd.nextInt(500));
                    buf.prepend(d);
                    m.prepend(d);
                    buf.add(d);
                    m.add(d);
                }
            }
            check(buf, m, "mutated buffer, round " + round);
            checkOther.run();
        }
    }

    @Test
    void sharedMemoryIsNeverWrittenThrough() throws Throwable {
        onFreshThread(() -> {
            SegmentPool pool = SegmentPool.current();
            Random rnd = new Random(99);
            byte[] pattern = randomBytes(rnd, 8_000);
            byte[] pattern2 = randomBytes(rnd, 6_000);

            // src -> ref by addBufferReference; src is mutated
            EvBuffer src = new EvBuffer();
            src.add(pattern);
            EvBuffer ref = new EvBuffer();
            ref.addBufferReference(src);
            Model srcModel = new Model();
            srcModel.add(pattern);
            // splitSrc -> split by removeBuffer with a shared split of 3000 bytes; splitSrc is mutated
            EvBuffer splitSrc = new EvBuffer();
            splitSrc.add(pattern2);
            EvBuffer split = new EvBuffer();
            assertEquals(3_000, splitSrc.removeBuffer(split, 3_000));
            Model splitSrcModel = new Model();
            splitSrcModel.add(Arrays.copyOfRange(pattern2, 3_000, 6_000));
            check(splitSrc, splitSrcModel, "after the split");

            Runnable refUnchanged = () -> {
                ref.checkInvariants();
                assertArrayEquals(pattern, contentOf(ref), "memory shared by addBufferReference was written");
            };
            Runnable splitUnchanged = () -> {
                split.checkInvariants();
                assertArrayEquals(Arrays.copyOf(pattern2, 3_000), contentOf(split),
                        "memory shared by a removeBuffer split was written");
            };
            refUnchanged.run();
            splitUnchanged.run();
            mutateHeavily(src, srcModel, rnd, refUnchanged);
            mutateHeavily(splitSrc, splitSrcModel, rnd, splitUnchanged);

            // vice versa: the referencing buffers are mutated, the sources must not change
            EvBuffer src2 = new EvBuffer();
            src2.add(pattern);
            EvBuffer ref2 = new EvBuffer();
            ref2.addBufferReference(src2);
            Model ref2Model = new Model();
            ref2Model.add(pattern);
            EvBuffer splitSrc2 = new EvBuffer();
            splitSrc2.add(pattern2);
            EvBuffer split2 = new EvBuffer();
            assertEquals(3_000, splitSrc2.removeBuffer(split2, 3_000));
            Model split2Model = new Model();
            split2Model.add(Arrays.copyOf(pattern2, 3_000));

            mutateHeavily(ref2, ref2Model, rnd, () -> {
                src2.checkInvariants();
                assertArrayEquals(pattern, contentOf(src2), "a reference wrote into its source's memory");
            });
            mutateHeavily(split2, split2Model, rnd, () -> {
                splitSrc2.checkInvariants();
                assertArrayEquals(Arrays.copyOfRange(pattern2, 3_000, 6_000), contentOf(splitSrc2),
                        "the moved part of a split wrote into the source's memory");
            });

            for (EvBuffer b : new EvBuffer[] {src, ref, splitSrc, split, src2, ref2, splitSrc2, split2}) {
                b.free();
            }
            assertEquals(0, pool.outstanding(), "segments leaked");
            return null;
        });
    }
}
