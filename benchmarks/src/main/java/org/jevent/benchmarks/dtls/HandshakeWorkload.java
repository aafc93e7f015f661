package org.jevent.benchmarks.dtls;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Map;
import org.jevent.benchmarks.echo.ProcFs;
import org.jevent.benchmarks.echo.ServerProcess;
import org.jevent.eventbase.EventBase;

/**
 * Full handshakes per second: each client loop keeps its share of {@code parallel} handshakes in
 * flight; a link that completes is counted, closed with close_notify (so that the server drops
 * its session) and replaced by a new one from a new port. Nothing resumes ({@link ClientSide}).
 * A handshake that fails or times out is counted apart and replaced.
 */
final class HandshakeWorkload {
    /** What a timed window measured; {@code clientCpuSeconds} is this whole JVM's. */
    record Result(long count, double seconds, double serverCpuSeconds, Map<String, Double> threads, long failed,
            double clientCpuSeconds, String lastFailure) {
        double perSecond() {
            return count / seconds;
        }

        double perCpuSecond() {
            return count / serverCpuSeconds;
        }

        /** Server CPU-seconds of its application threads (JIT and GC left out). */
        double appCpuSeconds() {
            return threads.getOrDefault("app", serverCpuSeconds);
        }
    }

    private HandshakeWorkload() {
    }

    static Result run(ServerProcess server, ClientSide side, ClientLoops loops, int parallel, int warmup, int seconds)
            throws Exception {
        Driver[] drivers = start(side, loops, parallel);
        try {
            Thread.sleep(warmup * 1000L);
            long n0 = sum(drivers, false);
            long f0 = sum(drivers, true);
            long client0 = clientCpuNanos();
            Map<String, Long> threads0 = server.threadCpuNanos();
            long cpu0 = server.cpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long n1 = sum(drivers, false);
            long cpu1 = server.cpuNanos();
            long t1 = System.nanoTime();
            String last = null;
            for (Driver d : drivers) {
                last = d.lastFailure != null ? d.lastFailure : last;
            }
            return new Result(n1 - n0, (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9,
                    ProcFs.diff(threads0, server.threadCpuNanos()), sum(drivers, true) - f0,
                    (clientCpuNanos() - client0) / 1e9, last);
        } finally {
            stop(loops, drivers);
        }
    }

    /**
     * Opens {@code count} sessions, {@code parallel} at a time, and closes each (close_notify)
     * once its handshake completed: the warm-up before idle sessions are measured.
     */
    static void warm(ClientSide side, ClientLoops loops, int parallel, long count) throws Exception {
        Driver[] drivers = start(side, loops, parallel);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (sum(drivers, false) < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        stop(loops, drivers);
    }

    private static Driver[] start(ClientSide side, ClientLoops loops, int parallel) {
        Driver[] drivers = new Driver[loops.size()];
        for (int i = 0; i < drivers.length; i++) {
            int share = parallel / drivers.length + (i < parallel % drivers.length ? 1 : 0);
            Driver d = new Driver(side, loops.base(i), i);
            drivers[i] = d;
            loops.run(i, () -> {
                for (int k = 0; k < share; k++) {
                    d.next();
                }
            });
        }
        return drivers;
    }

    private static void stop(ClientLoops loops, Driver[] drivers) throws Exception {
        for (Driver d : drivers) {
            loops.call(d.loop, () -> {
                d.running = false;
                return null;
            });
        }
        Thread.sleep(1000); // the handshakes in flight finish (or are freed below)
        for (Driver d : drivers) {
            loops.call(d.loop, () -> {
                d.freeAll();
                return null;
            });
        }
    }

    private static long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static long sum(Driver[] drivers, boolean failed) {
        long n = 0;
        for (Driver d : drivers) {
            n += failed ? d.failed : d.completed;
        }
        return n;
    }

    /** One loop's handshakes; written on that loop only. */
    private static final class Driver implements ClientSide.Handler {
        final int loop;
        private final ClientSide side;
        private final EventBase base;
        private final java.util.Set<ClientSide.Link> inFlight = new java.util.HashSet<>();
        volatile boolean running = true;
        volatile long completed;
        volatile long failed;
        volatile String lastFailure;

        Driver(ClientSide side, EventBase base, int loop) {
            this.side = side;
            this.base = base;
            this.loop = loop;
        }

        void next() {
            if (!running) {
                return;
            }
            try {
                inFlight.add(side.open(loop, base, this, null));
            } catch (Exception e) {
                failed++;
                lastFailure = "open: " + e;
            }
        }

        @Override
        public void connected(ClientSide.Link link) {
            inFlight.remove(link);
            completed++;
            link.close();
            next();
        }

        @Override
        public void message(ClientSide.Link link, ByteBuffer message) {
            // the server says nothing after its handshake
        }

        @Override
        public void ended(ClientSide.Link link, String why) {
            inFlight.remove(link);
            failed++;
            lastFailure = why;
            next();
        }

        void freeAll() {
            for (ClientSide.Link l : inFlight) {
                l.free();
            }
            inFlight.clear();
        }
    }
}
