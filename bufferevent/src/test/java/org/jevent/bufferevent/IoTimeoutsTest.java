package org.jevent.bufferevent;

import static org.jevent.bufferevent.Bufferevent.EV_READ;
import static org.jevent.bufferevent.Bufferevent.EV_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jevent.eventbase.EventBase;
import org.jevent.eventbase.EventConfig;
import org.jevent.eventbase.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lazy restart of {@link IoTimeouts}, on a manual clock (every step advances it and runs the
 * loop once, so nothing depends on how fast this machine is): progress in the middle of a
 * period moves the expiry to a full period after that progress, never earlier and never later,
 * as libevent's re-add on every read and write does; with no progress the timeout comes after
 * exactly one period.
 */
class IoTimeoutsTest {
    private final ManualClock clock = new ManualClock();
    private final EventBase base = new EventBase(new EventConfig().clock(clock));
    /** Each event with the manual time it came at, "TIMEOUT|READING@160". */
    private final List<String> events = new ArrayList<>();

    @AfterEach
    void free() {
        base.free();
    }

    /** The manual clock's time when the test began. */
    private final long start = clock.monotonicNanos();

    private void step(long ms) {
        clock.advance(Duration.ofMillis(ms));
        base.loop(EventBase.EVLOOP_NONBLOCK);
    }

    private long nowMs() {
        return clock.monotonicNanos() / 1_000_000L;
    }

    private void record(Bufferevent b, int what) {
        events.add(b.describeEvents(what) + "@" + nowMs());
    }

    /** A pair whose second half reads (draining what arrives) with a read timeout of {@code ms}; the first half writes. */
    private PairBufferevent[] reader(long ms) {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        p[1].setCallbacks(b -> b.getInput().drain(b.getInput().getLength()), null, this::record);
        p[1].setTimeouts(Duration.ofMillis(ms), null);
        p[1].enable(EV_READ);
        p[0].enable(EV_WRITE);
        base.loop(EventBase.EVLOOP_NONBLOCK);
        return p;
    }

    @Test
    void readTimeoutComesAFullPeriodAfterTheLastRead() {
        PairBufferevent[] p = reader(100);
        step(60);
        p[0].write(new byte[] {1, 2, 3}); // progress at 60: the period now ends at 160
        base.loop(EventBase.EVLOOP_NONBLOCK);
        step(40); // 100: the first arming's deadline passes quietly
        step(59); // 159
        assertEquals(List.of(), events);
        step(1); // 160
        assertEquals(List.of("TIMEOUT|READING@160"), events);
        // Reported once, and the direction is disabled, as in C.
        step(500);
        assertEquals(1, events.size());
        assertEquals(0, p[1].getEnabled() & EV_READ);
    }

    @Test
    void readTimeoutWithoutProgressComesAfterExactlyOnePeriod() {
        PairBufferevent[] p = reader(100);
        step(99);
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|READING@100"), events);
    }

    @Test
    void manyReadsInOnePeriodStillGiveOneFullPeriodAfterTheLast() {
        PairBufferevent[] p = reader(100);
        for (int i = 0; i < 25; i++) { // a read every 30 ms, 750 ms in all: never a timeout
            step(30);
            p[0].write(new byte[] {(byte) i});
            base.loop(EventBase.EVLOOP_NONBLOCK);
        }
        assertEquals(List.of(), events);
        step(99);
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|READING@850"), events);
    }

    /**
     * The point of the lazy restart: reads do not move the timer (one heap operation per period,
     * not per read); it stays at its first deadline, and only there re-arms itself for what is left
     * of the period since the last read.
     */
    @Test
    void progressDoesNotMoveTheArmedTimer() {
        PairBufferevent[] p = reader(100);
        assertEquals(ms(100), p[1].timeouts.readDeadlineNanos().getAsLong());
        for (int i = 0; i < 3; i++) { // reads at 20, 40, 60
            step(20);
            p[0].write(new byte[] {(byte) i});
            base.loop(EventBase.EVLOOP_NONBLOCK);
            assertEquals(ms(100), p[1].timeouts.readDeadlineNanos().getAsLong(), "after the read at " + nowMs());
        }
        step(40); // 100: the timer fires, finds the read at 60, and waits for the rest: until 160
        assertEquals(List.of(), events);
        assertEquals(ms(160), p[1].timeouts.readDeadlineNanos().getAsLong());
        step(60);
        assertEquals(List.of("TIMEOUT|READING@160"), events);
        assertEquals(java.util.OptionalLong.empty(), p[1].timeouts.readDeadlineNanos(), "disabled: not armed");
    }

    /** {@code t} ms on the manual clock, which starts where this test found it. */
    private long ms(long t) {
        return start + t * 1_000_000L;
    }

    /**
     * Writes that make progress through a partner taking 10 bytes at a time: the write timeout
     * counts from the last progress. Then nothing moves: WRITING|TIMEOUT a full period later.
     */
    @Test
    void writeTimeoutComesAFullPeriodAfterTheLastWrite() {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        p[0].setCallbacks(null, null, this::record);
        p[1].setWatermark(EV_READ, 0, 10);
        p[1].enable(EV_READ);
        p[0].setTimeouts(null, Duration.ofMillis(100));
        p[0].enable(EV_WRITE);
        p[0].write(new byte[30]); // 10 move at once, 20 wait behind the partner's watermark
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(20, p[0].getOutput().getLength());
        step(70);
        p[1].getInput().drain(10); // the partner takes 10 more: progress at 70
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(10, p[0].getOutput().getLength());
        step(99); // 169
        assertEquals(List.of(), events);
        step(1); // 170
        assertEquals(List.of("TIMEOUT|WRITING@170"), events);
    }

    /** setTimeouts restarts a running period from now, as libevent's re-add does. */
    @Test
    void settingTheTimeoutsAgainRestartsThePeriod() {
        PairBufferevent[] p = reader(100);
        step(80);
        p[1].setTimeouts(Duration.ofMillis(50), null); // ends at 130
        step(49);
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|READING@130"), events);
    }

    /** A direction disabled and enabled again gets a full period from the enable. */
    @Test
    void reEnablingStartsAFullPeriod() {
        PairBufferevent[] p = reader(100);
        step(90);
        p[1].disable(EV_READ);
        step(200);
        p[1].enable(EV_READ); // 290: ends at 390
        step(99);
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|READING@390"), events);
    }

    /**
     * A pair whose first half has read timeout {@code readMs} and write timeout {@code writeMs},
     * both directions enabled, nothing written yet; the partner sends nothing and stops reading
     * at 10 bytes.
     */
    private PairBufferevent[] bothTimeouts(long readMs, long writeMs) {
        PairBufferevent[] p = Bufferevent.pair(base, 0);
        p[0].setCallbacks(null, null, this::record);
        p[1].setWatermark(EV_READ, 0, 10);
        p[1].enable(EV_READ);
        p[0].setTimeouts(Duration.ofMillis(readMs), Duration.ofMillis(writeMs));
        p[0].enable(EV_READ | EV_WRITE);
        base.loop(EventBase.EVLOOP_NONBLOCK);
        return p;
    }

    /**
     * As {@link #bothTimeouts}, and the first half then has 20 bytes it cannot write, from the
     * time this is called.
     */
    private PairBufferevent[] stuckBothWays(long readMs, long writeMs) {
        PairBufferevent[] p = bothTimeouts(readMs, writeMs);
        p[0].write(new byte[30]);
        base.loop(EventBase.EVLOOP_NONBLOCK);
        assertEquals(20, p[0].getOutput().getLength());
        return p;
    }

    /**
     * Both periods share one timer, yet each is reported at its own end, with its own direction,
     * as libevent's two timer events are: the write timeout first (50), then the read timeout (100).
     */
    @Test
    void readAndWriteTimeoutsOnOneTimerEachComeAtTheirOwnEnd() {
        stuckBothWays(100, 50);
        step(49);
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|WRITING@50"), events);
        step(49);
        assertEquals(List.of("TIMEOUT|WRITING@50"), events);
        step(1);
        assertEquals(List.of("TIMEOUT|WRITING@50", "TIMEOUT|READING@100"), events);
    }

    /**
     * Both ending at the same moment: both reported in that turn. A pair defers its event
     * callback, so the two arrive in one call, or-ed, as libevent's deferred event callback
     * merges what was raised before it ran.
     */
    @Test
    void bothPeriodsEndingTogetherReportBoth() {
        PairBufferevent[] p = stuckBothWays(100, 100);
        step(99);
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|READING|WRITING@100"), events);
        assertEquals(0, p[0].getEnabled() & (EV_READ | EV_WRITE), "both directions disabled");
    }

    /**
     * A write period that starts while the timer waits for a later read deadline pulls the timer
     * forward: the write timeout comes at its own end (20 + 50), not at the read deadline.
     */
    @Test
    void aShorterPeriodStartingLaterPullsTheTimerForward() {
        PairBufferevent[] p = bothTimeouts(200, 50);
        step(20);
        p[0].write(new byte[30]); // output stuck from 20: the write period ends at 70
        base.loop(EventBase.EVLOOP_NONBLOCK);
        step(49);
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|WRITING@70"), events);
        step(130);
        assertEquals(List.of("TIMEOUT|WRITING@70", "TIMEOUT|READING@200"), events);
    }

    /**
     * The output draining stops the write period only: the read period goes on to its end on
     * the same timer, and no write timeout comes.
     */
    @Test
    void anEmptiedOutputStopsOnlyTheWritePeriod() {
        PairBufferevent[] p = stuckBothWays(100, 30);
        step(10);
        p[1].getInput().drain(30); // the partner takes everything: progress at 10, output empties
        p[1].setWatermark(EV_READ, 0, 0);
        base.loop(EventBase.EVLOOP_NONBLOCK);
        step(1);
        assertEquals(0, p[0].getOutput().getLength());
        step(88); // 99
        assertEquals(List.of(), events);
        step(1);
        assertEquals(List.of("TIMEOUT|READING@100"), events);
        step(200);
        assertEquals(List.of("TIMEOUT|READING@100"), events);
    }
}
