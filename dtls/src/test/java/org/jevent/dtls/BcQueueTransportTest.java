package org.jevent.dtls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.tls.TlsFatalAlert;
import org.jevent.eventbase.EventBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The transport under a bctls handshake thread: its deadline runs from {@code begin()} (when a
 * pool thread takes the handshake up), a receive never waits past it, and closing the session
 * wakes a waiting thread at once. Waits here are bounded by what they must not reach (the long
 * wait asked for), never asserted as speeds.
 */
class BcQueueTransportTest {
    private static final long TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    private final EventBase base = new EventBase();

    @AfterEach
    void free() {
        base.free();
    }

    private BcQueueTransport transport() {
        return new BcQueueTransport(base, d -> { }, 8, 1452, TIMEOUT_NANOS);
    }

    @Test
    void theDeadlineRunsFromBeginNotFromCreation() throws Exception {
        AtomicLong now = new AtomicLong();
        BcQueueTransport t = new BcQueueTransport(base, d -> { }, 8, 1452, TIMEOUT_NANOS, now::get);
        now.addAndGet(10 * TIMEOUT_NANOS); // waiting for a pool thread
        t.begin();
        assertEquals(-1, t.receive(new byte[100], 0, 100, 10), "time spent before begin() does not count");
        t.offer(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        byte[] buf = new byte[100];
        assertEquals(3, t.receive(buf, 0, 100, 10));
        assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(buf, 3));
        now.addAndGet(TIMEOUT_NANOS - 1);
        assertEquals(-1, t.receive(new byte[100], 0, 100, 10), "1 ns before the deadline");
        now.addAndGet(1);
        assertThrows(DtlsHandshakeTimeoutException.class, () -> t.receive(new byte[100], 0, 100, 10), "at the deadline");
    }

    @Test
    void aReceiveNeverWaitsPastTheDeadline() throws Exception {
        BcQueueTransport t = transport();
        t.begin();
        long t0 = System.nanoTime();
        // bctls asks for a long wait; the deadline cuts it short and fails the handshake.
        assertThrows(DtlsHandshakeTimeoutException.class, () -> {
            while (true) {
                t.receive(new byte[100], 0, 100, 60_000);
            }
        });
        long waited = System.nanoTime() - t0;
        assertTrue(waited >= TIMEOUT_NANOS, "returned before the deadline: " + waited);
        assertTrue(waited < TimeUnit.SECONDS.toNanos(60), "waited the whole 60 s");
    }

    @Test
    void closeWakesAThreadWaitingInReceive() throws Exception {
        BcQueueTransport t = new BcQueueTransport(base, d -> { }, 8, 1452, TimeUnit.MINUTES.toNanos(10));
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
            t.begin();
            try {
                return t.receive(new byte[100], 0, 100, 600_000);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100); // let it wait
        t.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause().getCause() instanceof TlsFatalAlert, String.valueOf(e.getCause()));
        assertTrue(t.isClosed());
        assertEquals(false, t.offer(ByteBuffer.wrap(new byte[1])), "nothing is queued after close");
    }

    @Test
    void inLoopModeReceiveHandsOverWhatWasFedOnceThenWouldBlock() throws Exception {
        BcQueueTransport t = transport();
        t.begin();
        t.offer(ByteBuffer.wrap(new byte[] {9}));
        byte[][] early = t.switchToLoop();
        assertEquals(1, early.length, "what arrived during the hand-over is given back");
        t.feed(ByteBuffer.wrap(new byte[] {4, 5}));
        byte[] buf = new byte[10];
        assertEquals(2, t.receive(buf, 0, 10, 1));
        assertThrows(java.io.InterruptedIOException.class, () -> t.receive(buf, 0, 10, 1));
        assertEquals(BcQueueTransport.WOULD_BLOCK, assertThrows(java.io.InterruptedIOException.class,
                () -> t.receive(buf, 0, 10, 1)));
    }
}
