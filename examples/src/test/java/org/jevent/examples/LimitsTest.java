package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The pieces the server examples bound their connections with: options, cap, warnings. */
class LimitsTest {
    private static Opts opts(String... args) {
        return new Opts("usage").value(Limits.MAX_CONNECTIONS, Limits.BACKLOG, Limits.HIGH_WATER,
                Limits.HANDSHAKE_TIMEOUT).parse(args);
    }

    @Test
    void highWaterTakesBytesKibAndMib() {
        assertEquals(256 * 1024, Limits.highWater(opts(), 256 * 1024), "the default when absent");
        assertEquals(4096, Limits.highWater(opts("--high-water", "4096"), 1));
        assertEquals(64 * 1024, Limits.highWater(opts("--high-water", "64k"), 1));
        assertEquals(2L << 20, Limits.highWater(opts("--high-water", "2M"), 1));
        for (String bad : List.of("100", "0", "-5k", "lots", "9999999999999m")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Limits.highWater(opts("--high-water", bad), 1), bad);
            assertTrue(e.getMessage().contains(Limits.HIGH_WATER), e.getMessage());
        }
    }

    @Test
    void timesAreSecondsAndZeroMeansNone() {
        assertEquals(Duration.ofSeconds(10), Limits.seconds(opts(), Limits.HANDSHAKE_TIMEOUT, 10));
        assertEquals(Duration.ofMillis(1500), Limits.seconds(opts(Limits.HANDSHAKE_TIMEOUT, "1.5"), Limits.HANDSHAKE_TIMEOUT, 10));
        assertNull(Limits.seconds(opts(Limits.HANDSHAKE_TIMEOUT, "0"), Limits.HANDSHAKE_TIMEOUT, 10));
        assertThrows(IllegalArgumentException.class, () -> Limits.seconds(opts(Limits.HANDSHAKE_TIMEOUT, "-1"),
                Limits.HANDSHAKE_TIMEOUT, 10));
        assertEquals("10 s", Limits.describe(Duration.ofSeconds(10)));
        assertEquals("none", Limits.describe(null));
    }

    @Test
    void countsMustBePositive() {
        assertEquals(Limits.DEFAULT_MAX_CONNECTIONS, Limits.maxConnections(opts()));
        assertEquals(7, Limits.backlog(opts(Limits.BACKLOG, "7")));
        assertThrows(IllegalArgumentException.class, () -> Limits.maxConnections(opts(Limits.MAX_CONNECTIONS, "0")));
        assertThrows(IllegalArgumentException.class, () -> Limits.backlog(opts(Limits.BACKLOG, "x")));
    }

    @Test
    void aBadLimitIsAUsageErrorOfEveryServer() {
        String[][] cases = {
            {"echo-server", "--high-water", "12"},
            {"echo-server", "--max-connections", "0"},
            {"le-proxy", "--connect-timeout", "-1", "127.0.0.1:0", "127.0.0.1:1"},
            {"pg-tls-proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--backlog", "0"},
            {"becat", "--backlog", "5"}, // without -l
            {"becat", "-l", "--handshake-timeout", "3"}, // without -S
        };
        for (String[] c : cases) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int rc = Main.run(c, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertEquals(2, rc, String.join(" ", c) + ":\n" + out);
            assertTrue(out.contains("usage:"), out);
        }
    }

    @Test
    void everyServerListsItsLimitsInHelp() {
        String[][] cases = {
            {"echo-server", "--max-connections", "--backlog", "--high-water", "--handshake-timeout", "--timeout"},
            {"le-proxy", "--max-connections", "--backlog", "--high-water", "--connect-timeout", "--timeout"},
            {"pg-tls-proxy", "--max-connections", "--backlog", "--high-water", "--startup-timeout", "--idle-timeout"},
            {"becat", "--backlog", "--handshake-timeout", "-t S", "-T S"},
        };
        for (String[] c : cases) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            assertEquals(0, Main.run(new String[] {c[0], "--help"}, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
            String help = bytes.toString(StandardCharsets.UTF_8);
            for (int i = 1; i < c.length; i++) {
                assertTrue(help.contains(c[i]), c[0] + " --help names " + c[i] + ":\n" + help);
            }
            for (String line : help.split("\n")) {
                assertTrue(line.length() <= 96, c[0] + " --help line too long: " + line);
            }
        }
    }

    @Test
    void theCapHoldsItsMaximumAndGivesSlotsBack() {
        ConnectionCap cap = new ConnectionCap(2, LoggerFactory.getLogger(LimitsTest.class));
        assertTrue(cap.tryAcquire());
        assertTrue(cap.tryAcquire());
        assertFalse(cap.tryAcquire(), "full");
        assertEquals(2, cap.open());
        cap.release();
        assertTrue(cap.tryAcquire(), "a released slot is taken again");
        cap.release();
        cap.release();
        assertThrows(IllegalStateException.class, cap::release, "more releases than slots taken");
    }

    @Test
    void aWarningRepeatsAtMostOncePerIntervalAndCountsWhatItStoodFor() {
        List<String> lines = new ArrayList<>();
        long[] now = {0};
        RateLimitedWarning w = new RateLimitedWarning(lines::add, "refused", () -> now[0]);
        w.hit("peer 1");
        assertEquals(1, lines.size(), "the first is said at once");
        assertTrue(lines.get(0).contains("peer 1"), lines.get(0));
        for (int i = 2; i <= 50; i++) {
            now[0] += 100_000_000L; // 0.1 s apart: 4.9 s in all
            w.hit("peer " + i);
        }
        assertEquals(1, lines.size(), "nothing more within the interval");
        now[0] += RateLimitedWarning.INTERVAL.toNanos();
        w.hit("peer 51");
        assertEquals(2, lines.size());
        assertTrue(lines.get(1).contains("50 since the last report, 51 in all (latest: peer 51)"), lines.get(1));
        assertEquals(51, w.total());
    }
}
