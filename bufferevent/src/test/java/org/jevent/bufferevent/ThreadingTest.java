package org.jevent.bufferevent;

import static org.jevent.bufferevent.BevTestSupport.closeQuietly;
import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.BEV_OPT_DEFER_CALLBACKS;
import static org.jevent.bufferevent.Bufferevent.BEV_OPT_THREADSAFE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jevent.eventbase.EventBase;
import org.jevent.evbuffer.EvBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DESIGN.md, Threading: wrong-thread calls fail fast; THREADSAFE writes hop onto the loop in order. */
@Timeout(60)
class ThreadingTest {
    private final EventBase base = new EventBase();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanup() {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            closeQuietly(toClose.get(i));
        }
        base.free();
    }

    private static Throwable onOtherThread(Runnable r) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "foreign");
        t.start();
        t.join(10_000);
        return thrown.get();
    }

    private static void assertIse(Throwable t, String what) {
        assertTrue(t instanceof IllegalStateException, what + " from another thread: " + t);
    }

    @Test
    void callsFromAnotherThreadFailFastWithoutThreadsafe() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent bev = Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
        toClose.add(bev);
        toClose.add(sp[1]);
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        toClose.add(pair[0]);
        toClose.add(pair[1]);
        for (Bufferevent b : new Bufferevent[] {bev, pair[0]}) {
            assertIse(onOtherThread(() -> b.write(new byte[] {1})), "write");
            assertIse(onOtherThread(() -> b.write(ByteBuffer.wrap(new byte[] {1}))), "write(ByteBuffer)");
            assertIse(onOtherThread(() -> b.writeBuffer(new EvBuffer())), "writeBuffer");
            assertIse(onOtherThread(() -> b.enable(EV_READ)), "enable");
            assertIse(onOtherThread(() -> b.disable(EV_WRITE)), "disable");
            assertIse(onOtherThread(() -> b.getInput()), "getInput");
            assertIse(onOtherThread(() -> b.getOutput()), "getOutput");
            assertIse(onOtherThread(() -> b.setCallbacks(null, null, null)), "setCallbacks");
            assertIse(onOtherThread(() -> b.setWatermark(EV_READ, 1, 2)), "setWatermark");
            assertIse(onOtherThread(() -> b.read(new byte[1])), "read");
            assertIse(onOtherThread(() -> b.flush(EV_WRITE, FlushMode.FLUSH)), "flush");
            assertIse(onOtherThread(b::free), "free");
            // Nothing happened.
            assertEquals(0, b.getOutput().getLength());
            assertEquals(EV_WRITE, b.getEnabled());
            assertTrue(!b.isFreed());
        }
        assertIse(onOtherThread(() -> Bufferevent.socket(base, null, 0)), "socket()");
        assertIse(onOtherThread(() -> Bufferevent.pair(base, BEV_OPT_THREADSAFE)), "pair()");
    }

    /**
     * Several threads write numbered messages through one THREADSAFE bufferevent while the
     * loop runs: every message arrives, and each thread's messages in the order it wrote them.
     */
    @ParameterizedTest(name = "options 0x{0}")
    @ValueSource(ints = {BEV_OPT_THREADSAFE, BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS})
    void threadsafeWritesFromSeveralThreadsArriveCompleteAndInOrder(int options) throws Exception {
        final int threads = 4;
        final int perThread = 3000;
        final int msg = 12;
        SocketChannel[] sp = BevTestSupport.socketPair();
        SocketBufferevent writer = Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE | options);
        SocketBufferevent reader = Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE);
        toClose.add(writer);
        toClose.add(reader);
        int[] next = new int[threads];
        List<String> failures = new ArrayList<>();
        long[] received = {0};
        byte[] m = new byte[msg];
        reader.setCallbacks(b -> {
            EvBuffer in = b.getInput();
            while (in.getLength() >= msg) {
                in.remove(m);
                ByteBuffer bb = ByteBuffer.wrap(m);
                int tid = bb.getInt();
                int seq = bb.getInt();
                int check = bb.getInt();
                if (tid < 0 || tid >= threads || check != (tid * 31 + seq)) {
                    failures.add("corrupt message " + tid + "/" + seq + "/" + check);
                } else if (seq != next[tid]) {
                    failures.add("thread " + tid + ": got " + seq + ", want " + next[tid]);
                    next[tid] = seq + 1;
                } else {
                    next[tid]++;
                }
                received[0]++;
            }
        }, null, null);
        reader.enable(EV_READ);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        List<Throwable> thrown = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int tid = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                    for (int seq = 0; seq < perThread; seq++) {
                        ByteBuffer bb = ByteBuffer.allocate(msg);
                        bb.putInt(tid).putInt(seq).putInt(tid * 31 + seq).flip();
                        switch (seq % 3) {
                            case 0 -> writer.write(bb.array());
                            case 1 -> writer.write(bb);
                            default -> {
                                byte[] padded = new byte[msg + 7];
                                System.arraycopy(bb.array(), 0, padded, 3, msg);
                                writer.write(padded, 3, msg);
                            }
                        }
                        if (seq % 500 == 0) {
                            writer.enable(EV_WRITE); // enable from a foreign thread hops too
                        }
                    }
                } catch (Throwable e) {
                    synchronized (thrown) {
                        thrown.add(e);
                    }
                }
            }, "writer-" + t);
            ts.add(th);
            th.start();
        }
        go.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received[0] < (long) threads * perThread && failures.isEmpty() && System.nanoTime() < deadline) {
            BevTestSupport.loopFor(base, EventBase.EVLOOP_ONCE, 100);
        }
        for (Thread th : ts) {
            th.join(10_000);
        }
        assertEquals(List.of(), thrown);
        assertEquals(List.of(), failures.size() > 5 ? failures.subList(0, 5) : failures);
        assertEquals((long) threads * perThread, received[0]);
        for (int t = 0; t < threads; t++) {
            assertEquals(perThread, next[t]);
        }
    }

    /** writeBuffer from another thread: a buffer filled on that thread moves in whole, in order. */
    @Test
    void threadsafeWriteBufferFromAnotherThread() throws Exception {
        PairBufferevent[] pair = Bufferevent.pair(base, BEV_OPT_THREADSAFE);
        toClose.add(pair[0]);
        toClose.add(pair[1]);
        pair[1].enable(EV_READ);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        pair[1].setCallbacks(b -> got.writeBytes(BevTestSupport.drain(b.getInput())), null, null);
        byte[] data = new byte[100_000];
        new java.util.Random(8).nextBytes(data);
        assertEquals(null, onOtherThread(() -> {
            for (int i = 0; i < 10; i++) {
                EvBuffer buf = new EvBuffer(); // segments from this thread's pool
                buf.add(data, i * 10_000, 10_000);
                pair[0].writeBuffer(buf);
            }
        }));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < data.length && System.nanoTime() < deadline) {
            BevTestSupport.loopFor(base, EventBase.EVLOOP_NONBLOCK, 1000);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, got.toByteArray());
    }

    /** free() from another thread on a THREADSAFE bufferevent hops too: no callback runs afterwards. */
    @Test
    void threadsafeFreeFromAnotherThreadHops() throws Exception {
        PairBufferevent[] pair = Bufferevent.pair(base, BEV_OPT_THREADSAFE);
        toClose.add(pair[1]);
        int[] reads = {0};
        pair[1].enable(EV_READ);
        pair[1].setCallbacks(b -> reads[0]++, null, null);
        assertEquals(null, onOtherThread(() -> {
            pair[0].write(new byte[] {1, 2, 3});
            pair[0].free();
            pair[0].write(new byte[] {4}); // queued after the free: dropped
        }));
        assertTrue(!pair[0].isFreed(), "not yet: it hops onto the loop");
        BevTestSupport.loopFor(base, EventBase.EVLOOP_NONBLOCK, 1000);
        BevTestSupport.loopFor(base, EventBase.EVLOOP_NONBLOCK, 1000);
        assertTrue(pair[0].isFreed());
        assertEquals(3, pair[1].getInput().getLength());
        assertEquals(1, reads[0]);
    }
}
