package org.jevent.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ports of libevent's sample/ programs: each starts, does its job against a real peer, and stops. */
class SamplesTest {
    private static String run(int expectedRc, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(expectedRc, rc, out);
        return out;
    }

    @Test
    @Timeout(20)
    void everyExampleIsListedAndPrintsItsOptions() {
        String list = run(0);
        for (String name : List.of("hello-world", "time-test", "signal-test", "echo-server", "echo-client")) {
            assertTrue(list.contains(name), list);
            String help = run(0, name, "--help");
            assertTrue(help.startsWith("usage: " + name), help);
        }
        assertTrue(run(0, "echo-server", "--help").contains("--loops N"));
        assertTrue(run(0, "echo-client", "--help").contains("--depth D"));
        assertTrue(run(2, "time-test", "--no-such-option").contains("unknown option"));
    }

    /** hello-world on port 0, read by a plain blocking SocketChannel; SIGINT exits after 2 s. */
    @Test
    @Timeout(30)
    void helloWorldGreetsAClientAndExitsCleanlyOnSigint() throws Exception {
        assumeTrue(Child.sigintDeliverable(), "SIGINT is ignored in this process tree and perl is absent");
        try (Child child = Child.start("hello-world", "--host", "127.0.0.1", "--port", "0")) {
            int port = child.awaitListeningPort();
            assertTrue(port > 0);
            for (int i = 0; i < 2; i++) {
                try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                    ByteBuffer buf = ByteBuffer.allocate(64);
                    while (ch.read(buf) >= 0) {
                        // read until the server closes after flushing its answer
                    }
                    buf.flip();
                    assertEquals("Hello, World!\n", StandardCharsets.US_ASCII.decode(buf).toString());
                }
            }
            child.await(l -> l.equals("flushed answer"), 5000);
            long t0 = System.nanoTime();
            child.signal("INT");
            child.await(l -> l.startsWith("Caught an interrupt signal"), 5000);
            assertEquals(0, child.awaitExit(10_000), child.output());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 1500 && ms < 8000, "exited " + ms + " ms after SIGINT (loopexit of 2 s)");
            assertTrue(child.output().lines().anyMatch("done"::equals), child.output());
        }
    }

    private static final Pattern TICK = Pattern.compile("timeout_cb called at \\d+: (\\d+\\.\\d{3}) seconds elapsed\\.");

    /**
     * Each tick came no later than a second after it was due, and none early. A re-added timer
     * is due {@code seconds} after the last tick; a persistent one {@code seconds} after its
     * last deadline (libevent's event_persist_closure), so after a late tick the next gap may
     * be shorter, and only the sum of the gaps is bounded below (k ticks: k × seconds).
     */
    private static void checkTicks(String out, int count, double seconds, boolean persistent) {
        List<String> ticks = out.lines().filter(l -> l.startsWith("timeout_cb")).toList();
        assertEquals(count, ticks.size(), out);
        double sinceStart = 0;
        int k = 0;
        for (String t : ticks) {
            Matcher m = TICK.matcher(t);
            assertTrue(m.matches(), t);
            double elapsed = Double.parseDouble(m.group(1));
            sinceStart += elapsed;
            k++;
            double early = persistent ? sinceStart - k * seconds : elapsed - seconds;
            assertTrue(early >= -seconds * 0.1 && elapsed < seconds + 1.0, t + " (tick " + k + ", " + sinceStart + " s in)");
        }
    }

    /** time-test as the C sample (one-shot event re-added every 2 s), stopping by itself after 2. */
    @Test
    @Timeout(20)
    void timeTestReaddsItsTimerEveryTwoSeconds() {
        checkTicks(run(0, "time-test", "--count", "2"), 2, 2.0, false);
    }

    /** time-test -p: the persistent event is re-armed by the loop. */
    @Test
    @Timeout(20)
    void timeTestPersistentTimer() {
        checkTicks(run(0, "time-test", "-p", "--count", "3", "--interval-ms", "200"), 3, 0.2, true);
    }

    /** signal-test: three SIGINTs (C deletes the event once called >= 2), then exit 0. */
    @Test
    @Timeout(30)
    void signalTestCountsSigintsAndExits() throws Exception {
        assumeTrue(Child.sigintDeliverable(), "SIGINT is ignored in this process tree and perl is absent");
        try (Child child = Child.start("signal-test")) {
            child.await("waiting for SIGINT"::equals, 20_000);
            for (int i = 1; i <= 3; i++) {
                assertTrue(child.process.isAlive(), "exited before signal " + i + ":\n" + child.output());
                child.signal("INT");
                int want = i;
                // Deliveries before the loop runs coalesce: wait for each callback before the next.
                child.await(l -> child.output().lines().filter(s -> s.equals("signal_cb: got signal INT")).count() >= want,
                        5000);
            }
            assertEquals(0, child.awaitExit(5000), child.output());
        }
    }
}
