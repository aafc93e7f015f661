package org.jevent.evbuffer;

import static org.jevent.evbuffer.RegressSupport.b;
import static org.jevent.evbuffer.RegressSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a buffer no longer keeps for itself but borrows from its thread: a caller's reservation
 * (lent by the pool from {@code reserveSpace} to the {@code commitSpace} that ends it), the
 * readLine cursor, and the reports handed to callbacks. Each must behave as when every buffer
 * had its own: reservations pending on several buffers at once stay independent, a pending one
 * survives other buffers' reserve/commit cycles and a hand-over to another thread, and nested
 * deliveries keep their own reports.
 */
@Timeout(30)
class ThreadScratchTest {

    private static void write(ByteBuffer[] v, int n, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        int off = 0;
        for (int i = 0; i < n && off < bytes.length; i++) {
            int k = Math.min(v[i].remaining(), bytes.length - off);
            v[i].put(bytes, off, k);
            off += k;
        }
    }

    /** Reserves room for {@code s} in one view of {@code buf} and writes it there, uncommitted. */
    private static ByteBuffer[] reserveWriting(EvBuffer buf, String s) {
        ByteBuffer[] v = new ByteBuffer[1];
        buf.reserveSpace(Math.max(16, s.length()), v);
        write(v, 1, s);
        return v;
    }

    /** Runs {@code action} on a thread of its own and waits for it (bounded). */
    private static void onOtherThread(String name, Runnable action) throws Exception {
        CompletableFuture.runAsync(action, r -> new Thread(r, name).start()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void reservations_pending_on_more_buffers_than_the_pool_keeps_spare_stay_independent() {
        int n = 7; // more than the pool's spare reservations
        List<EvBuffer> bufs = new ArrayList<>();
        List<ByteBuffer[]> views = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EvBuffer buf = new EvBuffer();
            buf.add(b("head" + i + ":"));
            ByteBuffer[] v = new ByteBuffer[2];
            assertTrue(buf.reserveSpace(64, v) >= 1);
            bufs.add(buf);
            views.add(v);
        }
        // Write and commit in another order than the reservations were made.
        for (int i = n - 1; i >= 0; i -= 2) {
            write(views.get(i), 1, "body" + i);
            bufs.get(i).commitSpace(views.get(i), 1);
        }
        for (int i = n - 2; i >= 0; i -= 2) {
            write(views.get(i), 1, "body" + i);
            bufs.get(i).commitSpace(views.get(i), 1);
        }
        for (int i = 0; i < n; i++) {
            EvBuffer buf = bufs.get(i);
            buf.checkInvariants();
            assertEquals("head" + i + ":body" + i, text(buf));
            buf.free();
        }
    }

    @Test
    void a_pending_reservation_survives_other_buffers_reserving_and_committing() {
        EvBuffer pending = new EvBuffer();
        ByteBuffer[] pv = new ByteBuffer[1];
        pending.reserveSpace(16, pv);
        write(pv, 1, "kept");
        EvBuffer other = new EvBuffer();
        ByteBuffer[] ov = new ByteBuffer[1];
        for (int i = 0; i < 10; i++) {
            other.reserveSpace(8, ov);
            write(ov, 1, Integer.toString(i));
            other.commitSpace(ov, 1);
        }
        assertEquals("0123456789", text(other));
        // Reserving again without a change returns the same space, with what was written in it.
        ByteBuffer[] again = new ByteBuffer[1];
        pending.reserveSpace(16, again);
        assertEquals('k', again[0].get(0));
        again[0].position(4);
        pending.commitSpace(again, 1);
        assertEquals("kept", text(pending));
        pending.free();
        other.free();
    }

    @Test
    void a_reservation_made_on_one_thread_is_committed_on_another() throws Exception {
        EvBuffer buf = new EvBuffer();
        ByteBuffer[][] v = new ByteBuffer[1][];
        onOtherThread("reserving", () -> v[0] = reserveWriting(buf, "across threads"));
        buf.commitSpace(v[0], 1);
        assertEquals("across threads", text(buf));
        buf.checkInvariants();
        buf.free();
    }

    @Test
    void freeing_a_buffer_with_a_pending_reservation_gives_it_back() {
        EvBuffer gone = new EvBuffer();
        ByteBuffer[] gv = new ByteBuffer[1];
        gone.reserveSpace(16, gv);
        gone.free();
        assertThrows(IllegalStateException.class, () -> gone.commitSpace(gv, 1));
        EvBuffer next = new EvBuffer();
        ByteBuffer[] nv = new ByteBuffer[1];
        next.reserveSpace(16, nv);
        write(nv, 1, "fresh");
        next.commitSpace(nv, 1);
        assertEquals("fresh", text(next));
        next.free();
    }

    @Test
    void a_commit_without_a_reservation_fails_and_changes_nothing() {
        EvBuffer buf = new EvBuffer();
        buf.add(b("data"));
        ByteBuffer[] v = {ByteBuffer.allocateDirect(8)};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> buf.commitSpace(v, 1));
        assertEquals(Reservation.NONE, e.getMessage());
        assertEquals("data", text(buf));
        buf.commitSpace(v, 0); // as in libevent: committing nothing is fine
        buf.free();
    }

    @Test
    void views_reserved_on_one_buffer_are_refused_by_another_and_neither_changes() {
        EvBuffer a = new EvBuffer();
        EvBuffer c = new EvBuffer();
        a.add(b("a:"));
        c.add(b("c:"));
        ByteBuffer[] av = reserveWriting(a, "for a");
        ByteBuffer[] cv = reserveWriting(c, "for c");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.commitSpace(av, 1));
        assertTrue(e.getMessage().contains("not the view reserveSpace returned"), e.getMessage());
        assertEquals("c:", text(c));
        assertEquals("a:", text(a));
        // Both reservations are still pending and still their own.
        c.commitSpace(cv, 1);
        a.commitSpace(av, 1);
        assertEquals("a:for a", text(a));
        assertEquals("c:for c", text(c));
        a.checkInvariants();
        c.checkInvariants();
        a.free();
        c.free();
    }

    @Test
    void a_second_commit_is_refused_and_leaves_the_buffer_that_now_holds_the_reservation_alone() {
        EvBuffer first = new EvBuffer();
        ByteBuffer[] fv = reserveWriting(first, "once");
        first.commitSpace(fv, 1);
        // The reservation object went back to the thread's pool; the next buffer borrows it.
        EvBuffer next = new EvBuffer();
        ByteBuffer[] nv = reserveWriting(next, "next");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> first.commitSpace(fv, 1));
        assertEquals(Reservation.NONE, e.getMessage());
        assertEquals("once", text(first));
        assertEquals(0, next.getLength(), "nothing of next's pending space became data");
        next.commitSpace(nv, 1);
        assertEquals("next", text(next));
        first.free();
        next.free();
    }

    @Test
    void a_commit_on_a_thread_with_reservations_of_its_own_pending_keeps_them_apart() throws Exception {
        EvBuffer travelling = new EvBuffer();
        ByteBuffer[] tv = reserveWriting(travelling, "from main");
        List<String> seen = new ArrayList<>();
        onOtherThread("committing", () -> {
            // This thread's own buffers hold reservations from its pool while the travelling
            // buffer's comes back into that pool.
            EvBuffer[] own = {new EvBuffer(), new EvBuffer()};
            ByteBuffer[][] ov = new ByteBuffer[own.length][];
            for (int i = 0; i < own.length; i++) {
                ov[i] = reserveWriting(own[i], "own" + i);
            }
            travelling.commitSpace(tv, 1);
            EvBuffer after = new EvBuffer();
            after.commitSpace(reserveWriting(after, "after"), 1);
            for (int i = own.length - 1; i >= 0; i--) {
                own[i].commitSpace(ov[i], 1);
                seen.add(text(own[i]));
                own[i].free();
            }
            seen.add(text(after));
            after.free();
        });
        assertEquals(List.of("own1", "own0", "after"), seen);
        assertEquals("from main", text(travelling));
        // Back on this thread, the buffer reserves from this thread's pool again.
        travelling.commitSpace(reserveWriting(travelling, "!"), 1);
        assertEquals("from main!", text(travelling));
        travelling.checkInvariants();
        travelling.free();
    }

    @Test
    void a_buffer_freed_on_another_thread_with_a_reservation_pending_refuses_the_commit() throws Exception {
        EvBuffer buf = new EvBuffer();
        ByteBuffer[] v = reserveWriting(buf, "lost");
        onOtherThread("freeing", buf::free);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> buf.commitSpace(v, 1));
        assertEquals("the buffer was freed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> buf.reserveSpace(16, v));
        assertEquals(0, buf.getLength());
    }

    @Test
    void nested_deliveries_keep_their_own_reports() {
        EvBuffer outer = new EvBuffer();
        EvBuffer inner = new EvBuffer();
        List<String> log = new ArrayList<>();
        inner.addCallback((buf, info) -> log.add("inner(" + info.origSize() + "," + info.nAdded() + ")"));
        outer.addCallback((buf, info) -> {
            String before = "outer(" + info.origSize() + "," + info.nAdded() + ")";
            inner.add(b("xyz")); // delivers inner's callbacks inside this one
            log.add(before);
            assertEquals(before, "outer(" + info.origSize() + "," + info.nAdded() + ")", "report overwritten");
        });
        outer.add(b("ab"));
        assertEquals(List.of("inner(0,3)", "outer(0,2)"), log);
        outer.free();
        inner.free();
    }

    @Test
    void read_lines_of_two_buffers_alternately() {
        EvBuffer a = new EvBuffer();
        EvBuffer c = new EvBuffer();
        a.add(b("a1\na2\n"));
        c.add(b("c1\r\nc2\r\n"));
        assertEquals("a1", a.readLine(EolStyle.LF));
        assertEquals("c1", c.readLine(EolStyle.CRLF));
        assertEquals("a2", a.readLine(EolStyle.LF));
        assertEquals("c2", c.readLine(EolStyle.CRLF));
        assertEquals(null, a.readLine(EolStyle.LF));
        a.free();
        c.free();
    }

    /**
     * Borrowing and giving back reservations allocates nothing. Each round commits nothing
     * (position 0), so that the next reservation starts where the last one did and the segment's
     * cached view is reused: a reservation at a new offset slices a new view (64 bytes), which is
     * the view's cost, not the lending's.
     */
    @Test
    void interleaved_reserve_and_commit_on_two_buffers_lend_without_allocating() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        EvBuffer a = new EvBuffer();
        EvBuffer c = new EvBuffer();
        a.add(b("a"));
        c.add(b("c"));
        ByteBuffer[] av = new ByteBuffer[2];
        ByteBuffer[] cv = new ByteBuffer[2];
        Runnable round = () -> {
            a.reserveSpace(48, av);
            c.reserveSpace(48, cv);
            c.commitSpace(cv, 1);
            a.commitSpace(av, 1);
        };
        for (int i = 0; i < 20_000; i++) {
            round.run();
        }
        long tid = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(tid);
        int rounds = 10_000;
        for (int i = 0; i < rounds; i++) {
            round.run();
        }
        double perRound = (mx.getThreadAllocatedBytes(tid) - before) / (double) rounds;
        assertTrue(perRound < 1, perRound + " bytes per round");
        assertEquals("a", text(a));
        assertEquals("c", text(c));
        a.free();
        c.free();
    }
}
