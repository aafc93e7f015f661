package org.jevent.bufferevent;

import static org.jevent.bufferevent.Bufferevent.BEV_OPT_CLOSE_ON_FREE;
import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventConfig;
import org.jevent.eventbase.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Token buckets, per bufferevent and per group, measured over loopback in ticks aligned as the
 * buckets align them ({@code monotonic time / tick}), so "at most {@code rate} bytes per tick"
 * can be checked exactly when {@code burst == rate}; plus the deterministic parts (shares,
 * manual decrements, totals, invalid configurations).
 */
@Timeout(60)
class RateLimitTest extends LoopTestBase {
    private static final long TICK_MS = 100;
    private static final long TICK_NANOS = TICK_MS * 1_000_000;
    private static final long RATE = 20 * 1024;
    private static final long MEASURE_MS = 1000;


    /** A connected pair of socket bufferevents; [0] sends, [1] receives. */
    private SocketBufferevent[] connection() throws Exception {
        SocketChannel[] sp = BevTestSupport.socketPair();
        return new SocketBufferevent[] {closeLater(Bufferevent.socket(base, sp[0], BEV_OPT_CLOSE_ON_FREE)),
            closeLater(Bufferevent.socket(base, sp[1], BEV_OPT_CLOSE_ON_FREE))};
    }

    /** Keeps the sender's output topped up; counts what left it per aligned tick. */
    private static final class Feeder {
        final TreeMap<Long, Long> writtenPerTick = new TreeMap<>();
        long lastLen;

        Feeder(Bufferevent sender, EventBase base) {
            byte[] chunk = new byte[256 * 1024];
            sender.setWatermark(EV_WRITE, Long.MAX_VALUE / 4, 0); // a write callback after every write
            sender.setCallbacks(null, b -> {
                long now = b.getOutput().getLength();
                long written = lastLen - now;
                if (written > 0) {
                    writtenPerTick.merge(base.gettimeMonotonic() / TICK_NANOS, written, Long::sum);
                }
                if (now < 512 * 1024) {
                    b.write(chunk);
                }
                lastLen = b.getOutput().getLength();
            }, null);
            sender.write(chunk);
            sender.write(chunk);
            lastLen = sender.getOutput().getLength();
        }
    }

    /** Drains the receiver; counts bytes per aligned tick. */
    private static TreeMap<Long, Long> countReads(Bufferevent receiver, EventBase base) {
        TreeMap<Long, Long> perTick = new TreeMap<>();
        receiver.setCallbacks(b -> {
            long n = b.getInput().getLength();
            b.getInput().drain(n);
            perTick.merge(base.gettimeMonotonic() / TICK_NANOS, n, Long::sum);
        }, null, null);
        receiver.enable(EV_READ);
        return perTick;
    }

    private void runFor(long ms) {
        base.loopExit(Duration.ofMillis(ms));
        BevTestSupport.dispatchBounded(base, ms + 10_000);
    }

    /**
     * Every aligned tick at most {@code rate} (exact: the buckets never hand out more); the whole
     * ticks (not the first or last) together at least a quarter of the rate, a loose floor that
     * a starved loop on shared cores still meets but a stalled limiter does not.
     */
    private static void assertRate(TreeMap<Long, Long> perTick, long rate, String what) {
        assertTrue(perTick.size() >= 5, what + ": only " + perTick.size() + " ticks saw bytes: " + perTick);
        for (var e : perTick.entrySet()) {
            assertTrue(e.getValue() <= rate, what + ": " + e.getValue() + " bytes in one tick, limit " + rate + ": " + perTick);
        }
        long first = perTick.firstKey();
        long last = perTick.lastKey();
        long inner = 0;
        int innerTicks = 0;
        for (long t = first + 1; t < last; t++) {
            inner += perTick.getOrDefault(t, 0L);
            innerTicks++;
        }
        assertTrue(inner >= innerTicks * rate / 4, what + ": starved, " + inner + " bytes in " + innerTicks + " ticks: " + perTick);
    }

    private static long sum(TreeMap<Long, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    // ------------------------------------------------------------------ over loopback

    @Test
    void perBuffereventReadLimitHolds() throws Exception {
        SocketBufferevent[] c = connection();
        new Feeder(c[0], base);
        c[1].setRateLimit(TokenBucketCfg.create(RATE, RATE, 1 << 30, 1 << 30, Duration.ofMillis(TICK_MS)));
        TreeMap<Long, Long> perTick = countReads(c[1], base);
        runFor(MEASURE_MS);
        assertRate(perTick, RATE, "read");
    }

    @Test
    void perBuffereventWriteLimitHolds() throws Exception {
        SocketBufferevent[] c = connection();
        c[0].setRateLimit(TokenBucketCfg.create(1 << 30, 1 << 30, RATE, RATE, Duration.ofMillis(TICK_MS)));
        Feeder f = new Feeder(c[0], base);
        TreeMap<Long, Long> received = countReads(c[1], base);
        runFor(MEASURE_MS);
        assertRate(f.writtenPerTick, RATE, "write");
        long sent = sum(f.writtenPerTick);
        long got = sum(received);
        assertTrue(got <= sent + RATE && got >= sent - 2 * RATE, "received " + got + " of " + sent);
    }

    /**
     * Three receivers share one group bucket of {@code 3 * RATE} per tick: the group total per
     * tick holds, every member gets a fair part (none starved), and the totals count every byte.
     */
    @Test
    void groupLimitHoldsAndIsSharedFairly() throws Exception {
        final int n = 3;
        long groupRate = n * RATE;
        RateLimitGroup group = RateLimitGroup.create(base,
                TokenBucketCfg.create(groupRate, groupRate, 1 << 30, 1 << 30, Duration.ofMillis(TICK_MS)));
        TreeMap<Long, Long> all = new TreeMap<>();
        long[] perMember = new long[n];
        List<SocketBufferevent> receivers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SocketBufferevent[] c = connection();
            new Feeder(c[0], base);
            int idx = i;
            c[1].addToRateLimitGroup(group);
            c[1].setCallbacks(b -> {
                long k = b.getInput().getLength();
                b.getInput().drain(k);
                perMember[idx] += k;
                all.merge(base.gettimeMonotonic() / TICK_NANOS, k, Long::sum);
            }, null, null);
            c[1].enable(EV_READ);
            receivers.add(c[1]);
        }
        assertEquals(n, group.memberCount());
        runFor(MEASURE_MS);
        assertRate(all, groupRate, "group");
        long total = sum(all);
        for (int i = 0; i < n; i++) {
            assertTrue(perMember[i] >= total / (2 * n), "member " + i + " got " + perMember[i] + " of " + total
                    + " (fair: " + total / n + ")");
        }
        long[] totals = group.getTotals();
        assertEquals(total, totals[0], "the group counted every byte its members read");
        assertEquals(0, totals[1]);
        group.resetTotals();
        assertArrayEquals(new long[] {0, 0}, group.getTotals());
        assertThrows(IllegalStateException.class, group::free, "only an empty group can be freed");
        for (SocketBufferevent r : receivers) {
            r.removeFromRateLimitGroup();
        }
        assertEquals(0, group.memberCount());
        group.free();
    }

    // ------------------------------------------------------------------ deterministic

    private static final Duration LONG_TICK = Duration.ofSeconds(100);

    @Test
    void groupShareIsTheTokensDividedByMembersWithAMinimum() {
        RateLimitGroup group = RateLimitGroup.create(base, TokenBucketCfg.create(1000, 1000, 1000, 1000, LONG_TICK));
        List<PairBufferevent> members = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            for (PairBufferevent p : Bufferevent.pair(base, 0)) {
                closeLater(p);
                p.addToRateLimitGroup(group);
                members.add(p);
            }
        }
        PairBufferevent m = members.get(0);
        assertEquals(250, m.getMaxToRead(), "1000 tokens / 4 members");
        assertEquals(250, m.getMaxToWrite());
        group.setMinShare(400);
        assertEquals(400, m.getMaxToRead(), "the minimum share");
        group.setMinShare(5000);
        assertEquals(1000, m.getMaxToRead(), "never more than the group has");
        group.setMinShare(RateLimitGroup.DEFAULT_MIN_SHARE);
        group.decrementReadLimit(900);
        assertEquals(100, group.getReadLimit());
        assertEquals(64, m.getMaxToRead(), "100 / 4 is below the default minimum share of 64");
        group.setMinShare(0);
        assertEquals(25, m.getMaxToRead());
        group.decrementReadLimit(200);
        assertEquals(-100, group.getReadLimit(), "a manual decrement may go negative");
        assertEquals(0, m.getMaxToRead());
        for (PairBufferevent p : members) {
            assertTrue((p.directions.readSuspended & Bufferevent.SUSPEND_BW_GROUP) != 0, "an empty group suspends every member");
            assertEquals(0, p.directions.writeSuspended, "writing has tokens");
        }
        group.decrementReadLimit(-600);
        assertEquals(500, group.getReadLimit());
        for (PairBufferevent p : members) {
            assertEquals(0, p.directions.readSuspended, "tokens again: every member resumes");
        }
        assertThrows(IllegalArgumentException.class, () -> group.setMinShare(-1));
        // Leaving the group lifts the group's limit.
        m.removeFromRateLimitGroup();
        assertEquals(Bufferevent.DEFAULT_MAX_SINGLE_IO, m.getMaxToRead());
        for (PairBufferevent p : members) {
            p.removeFromRateLimitGroup();
        }
        group.free();
    }

    @Test
    void perBuffereventBucketManualDecrement() {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[0]);
        closeLater(pair[1]);
        PairBufferevent b = pair[1];
        assertEquals(Long.MAX_VALUE, b.getReadLimit(), "no bucket: unlimited");
        assertThrows(IllegalStateException.class, () -> b.decrementReadLimit(1), "no bucket to decrement");
        b.setRateLimit(TokenBucketCfg.create(1000, 3000, 500, 500, LONG_TICK));
        assertEquals(1000, b.getReadLimit(), "a new bucket starts with one tick's worth");
        assertEquals(500, b.getWriteLimit());
        assertEquals(1000, b.getMaxToRead());
        b.decrementReadLimit(300);
        assertEquals(700, b.getReadLimit());
        assertEquals(700, b.getMaxToRead());
        b.decrementReadLimit(1000);
        assertEquals(-300, b.getReadLimit());
        assertEquals(0, b.getMaxToRead());
        assertTrue((b.directions.readSuspended & Bufferevent.SUSPEND_BW) != 0);
        b.decrementWriteLimit(500);
        assertTrue((b.directions.writeSuspended & Bufferevent.SUSPEND_BW) != 0);
        b.decrementReadLimit(-400);
        assertEquals(100, b.getReadLimit());
        assertEquals(0, b.directions.readSuspended);
        // A new configuration keeps the tokens, clamped to the new burst.
        b.setRateLimit(TokenBucketCfg.create(50, 50, 50, 50, LONG_TICK));
        assertEquals(50, b.getReadLimit());
        b.setRateLimit(null);
        assertEquals(Long.MAX_VALUE, b.getReadLimit());
        assertEquals(0, b.directions.readSuspended);
        assertEquals(0, b.directions.writeSuspended);
    }

    /** A pair moves no more than the reader's tokens; the rest waits until there are tokens again. */
    @Test
    void pairHonoursTheReadersBucket() {
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[0]);
        closeLater(pair[1]);
        pair[1].setRateLimit(TokenBucketCfg.create(1000, 1000, 1000, 1000, LONG_TICK));
        pair[1].enable(EV_READ);
        pair[0].write(new byte[5000]);
        assertEquals(1000, pair[1].getInput().getLength(), "one bucketful moved");
        assertEquals(4000, pair[0].getOutput().getLength());
        assertEquals(0, pair[1].getReadLimit());
        assertTrue((pair[1].directions.readSuspended & Bufferevent.SUSPEND_BW) != 0);
        pair[1].decrementReadLimit(-2500); // tokens by hand: reading resumes and takes them
        assertEquals(3500, pair[1].getInput().getLength());
        assertEquals(1500, pair[0].getOutput().getLength());
        assertEquals(0, pair[1].getReadLimit());
    }

    /** The same with a group: the pair takes the group's tokens, then every member waits. */
    @Test
    void pairHonoursTheGroupBucket() {
        RateLimitGroup group = RateLimitGroup.create(base, TokenBucketCfg.create(3000, 3000, 1 << 20, 1 << 20, LONG_TICK));
        PairBufferevent[] pair = Bufferevent.pair(base, 0);
        closeLater(pair[0]);
        closeLater(pair[1]);
        pair[1].addToRateLimitGroup(group);
        pair[1].enable(EV_READ);
        pair[0].write(new byte[5000]);
        assertEquals(3000, pair[1].getInput().getLength());
        assertEquals(0, group.getReadLimit());
        assertTrue((pair[1].directions.readSuspended & Bufferevent.SUSPEND_BW_GROUP) != 0);
        assertEquals(3000, group.getTotals()[0]);
        pair[1].removeFromRateLimitGroup();
        assertEquals(5000, pair[1].getInput().getLength(), "out of the group: no limit, the rest moves");
        group.free();
    }

    /**
     * A member paused twice over, by its read high watermark and by the group's empty bucket:
     * draining lifts only the watermark's pause, the group's tick lifts its own, and every byte
     * arrives. (The hypotheses behind a stalled property sample: a refill that does not resume a
     * reader whose watermark was lifted meanwhile, or a watermark re-check missed on the way.)
     */
    @Test
    void groupTickResumesAReaderWhoseHighWatermarkWasLiftedWhileTheGroupWasEmpty() {
        // On a manual clock: a tick boundary passing between two statements on a busy machine
        // refilled the group early and let the reader take 600 where the test expects 400.
        ManualClock clock = new ManualClock();
        EventBase manual = new EventBase(new EventConfig().clock(clock));
        try {
            RateLimitGroup group = RateLimitGroup.create(manual, TokenBucketCfg.create(1000, 1000, 1 << 20,
                    1 << 20, Duration.ofMillis(20)));
            PairBufferevent[] pair = Bufferevent.pair(manual, 0);
            pair[1].addToRateLimitGroup(group);
            pair[1].setWatermark(EV_READ, 0, 600);
            pair[1].enable(EV_READ);
            pair[0].write(new byte[5000]);
            assertEquals(600, pair[1].getInput().getLength(), "stopped at the high watermark");
            assertEquals(Bufferevent.SUSPEND_WM, pair[1].directions.readSuspended);
            pair[1].getInput().drain(600); // the watermark lifts; the group has 400 tokens left
            assertEquals(400, pair[1].getInput().getLength());
            assertEquals(Bufferevent.SUSPEND_BW_GROUP, pair[1].directions.readSuspended,
                    "now only the group pauses it");
            long[] received = {600};
            pair[1].setCallbacks(b -> {
                received[0] += b.getInput().getLength();
                b.getInput().drain(b.getInput().getLength());
            }, null, null);
            pair[1].getInput().drain(400);
            received[0] += 400;
            manual.loop(EventBase.EVLOOP_NONBLOCK);
            assertEquals(1000, received[0], "nothing more before the next tick");
            // 4,000 bytes left at 1,000 a tick: four ticks, each delivering the group's whole share.
            for (int tick = 1; tick <= 4; tick++) {
                clock.advance(Duration.ofMillis(20));
                manual.loop(EventBase.EVLOOP_NONBLOCK);
                assertEquals(1000 + 1000L * tick, received[0], "after tick " + tick);
            }
            assertEquals(0, pair[0].getOutput().getLength());
            pair[1].removeFromRateLimitGroup();
            group.free();
            pair[0].free();
            pair[1].free();
        } finally {
            manual.free();
        }
    }

    /** A bucket decremented by hand below zero holds reading back until the ticks have paid it off. */
    @Test
    void manualDecrementPausesAFlowForTheTicksItOwes() {
        // On a manual clock, so that a slow machine cannot pay off ticks between two statements.
        ManualClock clock = new ManualClock();
        EventBase manual = new EventBase(new EventConfig().clock(clock));
        try {
            PairBufferevent[] pair = Bufferevent.pair(manual, 0);
            Duration tick = Duration.ofMillis(50);
            pair[1].setRateLimit(TokenBucketCfg.create(1000, 1000, 1000, 1000, tick));
            pair[1].enable(EV_READ);
            long[] received = {0};
            pair[1].setCallbacks(b -> {
                received[0] += b.getInput().getLength();
                b.getInput().drain(b.getInput().getLength());
            }, null, null);
            pair[1].decrementReadLimit(3000); // 1000 - 3000: owes two ticks, pays the third
            pair[0].write(new byte[500]);
            manual.loop(EventBase.EVLOOP_NONBLOCK);
            assertEquals(500, pair[0].getOutput().getLength(), "nothing moves while the reader owes tokens");
            for (int paid = 1; paid <= 2; paid++) {
                clock.advance(tick);
                manual.loop(EventBase.EVLOOP_NONBLOCK);
                assertEquals(0, received[0], "still in debt after " + paid + " tick(s)");
            }
            clock.advance(tick);
            manual.loop(EventBase.EVLOOP_NONBLOCK);
            assertEquals(500, received[0], "the third tick's tokens carry the data");
            assertEquals(0, pair[0].getOutput().getLength());
            pair[0].free();
            pair[1].free();
        } finally {
            manual.free();
        }
    }

    @Test
    void invalidConfigurationsThrow() {
        Duration t = Duration.ofMillis(100);
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(0, 1, 1, 1, t), "read rate 0");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(1, 1, 0, 1, t), "write rate 0");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(-1, 1, 1, 1, t), "negative rate");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(2, 1, 1, 1, t), "read rate > burst");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(1, 1, 2, 1, t), "write rate > burst");
        assertThrows(IllegalArgumentException.class,
                () -> TokenBucketCfg.create(1, TokenBucketCfg.RATE_LIMIT_MAX + 1, 1, 1, t), "burst over the maximum");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(1, 1, 1, 1, Duration.ZERO), "tick 0");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(1, 1, 1, 1, Duration.ofNanos(999_999)),
                "tick below 1 ms");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(1, 1, 1, 1, Duration.ofMillis(-5)),
                "negative tick");
        assertThrows(IllegalArgumentException.class,
                () -> TokenBucketCfg.create(1, 1, 1, 1, Duration.ofSeconds(Integer.MAX_VALUE / 1000, 1)), "tick over the maximum");
        assertThrows(IllegalArgumentException.class, () -> TokenBucketCfg.create(1, 1, 1, 1, Duration.ofSeconds(Long.MIN_VALUE)),
                "hugely negative tick");
        TokenBucketCfg ok = TokenBucketCfg.create(1, 1, 1, 1, null);
        assertEquals(Duration.ofSeconds(1), ok.tick(), "null tick: one second");
        assertEquals(TokenBucketCfg.create(1, 1, 1, 1, Duration.ofMillis(1000)), ok);
        assertThrows(NullPointerException.class, () -> RateLimitGroup.create(base, null));
    }
}
