package org.jevent.examples;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * The attacks of the fault suite, each against a running echo server (its port, and its PID
 * for what {@link ProcStats} reads), each returning what it measured. {@link FaultSuiteTest}
 * asserts on the results against the servers of this build; {@link FaultProbe} prints them for
 * any server, such as one started from an older jar, which is how the "before" figures of
 * issue 11 were taken.
 */
final class FaultChecks {
    private FaultChecks() {
    }

    /**
     * What {@link #stalledWriters} saw: the server's RSS before, with the first group of stalled
     * connections, and with the second group added. The figure per connection is the marginal
     * one, between the two groups: what the first group set off once (the segment pool filling
     * up to its bound, JIT-compiled code) is not charged to each connection.
     */
    record StalledResult(int first, int more, long baselineRss, long firstRss, long allRss, long written) {
        long perConnection() {
            return (allRss - firstRss) / more;
        }

        @Override
        public String toString() {
            return String.format("%d + %d stalled connections, %d MiB written: RSS %d -> %d -> %d MiB, %d KiB per"
                    + " connection (marginal)", first, more, written >> 20, baselineRss >> 20, firstRss >> 20,
                    allRss >> 20, perConnection() >> 10);
        }
    }

    /**
     * Clients that write and never read (each at most {@code limit} bytes), {@code first} of them,
     * then {@code more}: each group until it stalls or reaches the limit; the server's RSS before
     * and after each group. {@code whileStalled} runs before they are all closed.
     */
    static StalledResult stalledWriters(ProcStats server, int port, SSLContext tls, int first, int more, long limit,
            long maxMillis, Stalled whileStalled) throws Exception {
        long before = server.rssBytes();
        try (StalledWriters a = new StalledWriters(port, tls, first, limit)) {
            long written = a.awaitStalled(1500, maxMillis);
            long firstRss = server.rssBytes();
            try (StalledWriters b = new StalledWriters(port, tls, more, limit)) {
                written += b.awaitStalled(1500, maxMillis);
                StalledResult r = new StalledResult(first, more, before, firstRss, server.rssBytes(), written);
                whileStalled.run(r);
                return r;
            }
        }
    }

    /** What to do while the stalled connections are still open (check that others are served, look inside). */
    @FunctionalInterface
    interface Stalled {
        void run(StalledResult r) throws Exception;
    }

    /** What {@link #handshakeDeadline} saw: milliseconds until the server closed, -1 for never. */
    record DeadlineResult(long trickleMillis, long truncatedMillis) {
        @Override
        public String toString() {
            return "ClientHello at 1 byte/s cut after " + describe(trickleMillis) + "; truncated record then silence cut after "
                    + describe(truncatedMillis);
        }

        private static String describe(long ms) {
            return ms < 0 ? "never (still open)" : ms + " ms";
        }
    }

    /**
     * A ClientHello trickled at one byte per {@code intervalMillis}, and a record header that
     * announces more than follows, then silence: how long each connection lives (at most
     * {@code maxMillis}). Both run at the same time.
     */
    static DeadlineResult handshakeDeadline(int port, long intervalMillis, long maxMillis) throws Exception {
        byte[] hello = TlsStepper.clientHello(TlsStepper.insecureClient());
        try (SocketChannel trickled = FaultClients.connect(port);
                SocketChannel truncated = FaultClients.connect(port)) {
            long start = System.nanoTime();
            FaultClients.writeAll(truncated, java.nio.ByteBuffer.wrap(FaultClients.truncatedRecord(hello, 4000, 100)), 5000);
            long[] truncatedMillis = {-1};
            Thread t = new Thread(() -> {
                try {
                    if (FaultClients.awaitClosed(truncated, maxMillis)) {
                        truncatedMillis[0] = (System.nanoTime() - start) / 1_000_000L;
                    }
                } catch (IOException e) {
                    truncatedMillis[0] = (System.nanoTime() - start) / 1_000_000L;
                }
            }, "truncated-record");
            t.start();
            long trickle = FaultClients.trickle(trickled, hello, intervalMillis, maxMillis);
            t.join(maxMillis + 5000);
            return new DeadlineResult(trickle, truncatedMillis[0]);
        }
    }

    /** Descriptors of the server before and after a flood, and how long they took to come back. */
    record FloodResult(int connections, int baselineFds, int peakFds, int afterFds, long settleMillis, String fdsLeft,
            Map<TlsStepper.Stage, Integer> failures) {
        @Override
        public String toString() {
            return String.format("%d connections: descriptors %d before, %d at most during, %d after (%s ms; %s)%s",
                    connections, baselineFds, peakFds, afterFds, settleMillis < 0 ? "never settled in" : settleMillis,
                    fdsLeft, failures.isEmpty() ? "" : "; client-side failures " + failures);
        }
    }

    /**
     * {@code rounds} times, one connection per stage of {@link TlsStepper.Stage} (in parallel
     * over {@code threads}), each reset at its stage (every other round closed with a FIN
     * instead; TLS 1.3 and 1.2 in turn, whose flights differ), and one that completes and closes
     * cleanly;
     * then waits up to {@code settleMillis} for the server's descriptor count to come back to
     * where it was before.
     */
    static FloodResult tlsFlood(ProcStats server, int port, SSLContext ctx, int rounds, int threads, VerifyingClient good,
            long settleMillis) throws InterruptedException {
        good.pause();
        int baseline = settledFds(server);
        good.resume();
        int[] peak = {baseline};
        Map<TlsStepper.Stage, Integer> failures = new EnumMap<>(TlsStepper.Stage.class);
        List<Thread> workers = new ArrayList<>();
        int perThread = (rounds + threads - 1) / threads;
        for (int w = 0; w < threads; w++) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    for (TlsStepper.Stage stage : TlsStepper.Stage.values()) {
                        oneConnection(port, ctx, stage, i % 4 < 2 ? "TLSv1.3" : "TLSv1.2", i % 2 == 0, failures);
                    }
                    cleanConnection(port, ctx, failures);
                    if (i % 8 == 0) {
                        int now = server.fds();
                        synchronized (peak) {
                            peak[0] = Math.max(peak[0], now);
                        }
                    }
                }
            }, "tls-flood-" + w);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        good.pause();
        long start = System.nanoTime();
        long after = ProcStats.awaitValue(server::fds, v -> v <= baseline, settleMillis);
        long took = after <= baseline ? (System.nanoTime() - start) / 1_000_000L : -1;
        String left = server.describeFds() + ", sockets " + server.socketStates();
        good.resume();
        return new FloodResult(perThread * threads * (TlsStepper.Stage.values().length + 1), baseline, peak[0],
                (int) after, took, left, failures);
    }

    /** One connection that stops at {@code stage}, then is reset ({@code abrupt}) or closed with a FIN. */
    private static void oneConnection(int port, SSLContext ctx, TlsStepper.Stage stage, String protocol, boolean abrupt,
            Map<TlsStepper.Stage, Integer> failures) {
        try (TlsStepper c = TlsStepper.connect(ctx, port, protocol)) {
            try {
                c.runTo(stage, 10_000);
            } finally {
                if (abrupt) {
                    c.reset();
                }
            }
        } catch (IOException e) {
            synchronized (failures) {
                failures.merge(stage, 1, Integer::sum);
            }
        }
    }

    /** A full handshake, then close_notify and a normal close: the well-behaved end. */
    private static void cleanConnection(int port, SSLContext ctx, Map<TlsStepper.Stage, Integer> failures) {
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
        } catch (IOException e) {
            synchronized (failures) {
                failures.merge(TlsStepper.Stage.DONE, 1, Integer::sum);
            }
        }
    }

    /**
     * The server's descriptor count once it stopped changing (two readings 300 ms apart agree),
     * at most 10 s after the call. The first count of a server comes after a full collection in
     * it ({@link #collectStartUpGarbage}), so that what its start-up left for the collector does
     * not count as a descriptor of the baseline.
     */
    static int settledFds(ProcStats server) throws InterruptedException {
        if (COLLECTED.add(server.pid())) {
            collectStartUpGarbage(server.pid());
        }
        long deadline = System.currentTimeMillis() + 10_000;
        int last = server.fds();
        while (System.currentTimeMillis() < deadline) {
            Thread.sleep(300); // polling a counter until it is stable; the deadline bounds it
            int now = server.fds();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** Servers whose start-up garbage was collected before their first descriptor count. */
    private static final java.util.Set<Long> COLLECTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * {@code jcmd PID GC.run}: a full collection in the server. Why: building a Conscrypt
     * {@code SslContexts} leaves an SSL object whose pipe (two descriptors) is closed only when
     * it is finalized, after the first collection; a baseline taken before that collection is
     * two descriptors too high once an attack has allocated enough to cause it, and one taken
     * after it is not. Best effort: a server that is no JVM (FaultProbe) is counted as it is.
     */
    private static void collectStartUpGarbage(long pid) throws InterruptedException {
        String jcmd = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), "GC.run").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                System.out.println("fault suite: no collection in " + pid + " before counting its descriptors: " + out);
            }
        } catch (IOException e) {
            System.out.println("fault suite: no collection in " + pid + " before counting its descriptors: " + e);
        }
    }

    /** What {@link #fdOverload} saw. */
    record OverloadResult(int opened, int baselineFds, int peakFds, long windowMillis, long cpuMillis,
            long loopCpuMillis, long recoveredMillis, int afterFds, String fdsLeft) {
        double loopCpuShare() {
            return (double) loopCpuMillis / windowMillis;
        }

        @Override
        public String toString() {
            return String.format("%d connections opened, server at %d descriptors (%d before); while over its limit the"
                    + " event loop used %d ms of CPU in %d ms (%.0f%% of a core; the whole process %d ms); served again %s"
                    + " after they closed; descriptors then %d (%s)", opened, peakFds, baselineFds, loopCpuMillis,
                    windowMillis, loopCpuShare() * 100, cpuMillis,
                    recoveredMillis < 0 ? "never" : recoveredMillis + " ms", afterFds, fdsLeft);
        }
    }

    /**
     * Opens {@code n} connections (more than the server's descriptor limit), runs {@code atLimit}
     * (which may wait until the server says it hit its limit), waits until the server holds no
     * more, then measures its CPU over {@code windowMillis}; resets them and measures how long
     * until {@code good} is served again (at most {@code recoverMillis}).
     *
     * <p>Why a reset and not a FIN: many of these connections the server's kernel has not finished
     * when they close. Their client end is ESTABLISHED (the SYN-ACK came) but the final ACK was
     * dropped because the accept queue was full, so the server end is a SYN_RECV entry (or, with
     * SYN cookies, nothing at all); up to 70 of 400 were in that state 0.5 s after the flood
     * closed, in the runs looked at. A FIN sent to such an entry is dropped while the queue stays
     * full, then comes again only when TCP retransmits it, with a doubling back-off (0.2, 0.6, 1.4,
     * ... 25.4, 51 s after the close), and a SYN-ACK the server retransmits meanwhile can draw an
     * ACK from the closed client (a challenge ACK) that completes the connection without the FIN.
     * Until that FIN arrives the server holds an ESTABLISHED socket whose client has gone, and
     * nothing a server can do tells it otherwise: a close its kernel has not received is not there
     * to be read. A reset needs no room in the queue and takes effect at once in each of those
     * states (it removes a SYN_RECV entry, it resets a queued connection, which the server then
     * reads as a reset), and a closed client answers any later SYN-ACK with another. What the
     * server holds after the reset is what it kept, not what TCP has not said yet.
     */
    static OverloadResult fdOverload(ProcStats server, int port, int n, long windowMillis, VerifyingClient good,
            long recoverMillis, Stalled atLimit) throws Exception {
        good.pause();
        int baseline = settledFds(server);
        good.resume();
        List<SocketChannel> flood = FaultClients.openMany(port, n);
        try {
            atLimit.run(null);
            // The server accepts until it hits its limit; wait until its descriptor count stops rising.
            int now = settledFds(server);
            // The good client rests during the window: its exchanges (when it got a descriptor) are
            // work, not spinning, and would hide what the window is for.
            good.pause();
            long cpu0 = server.cpuNanos();
            long loop0 = server.loopCpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(windowMillis); // the observation window: CPU spent while nothing can be accepted
            long cpu = (server.cpuNanos() - cpu0) / 1_000_000L;
            long loopCpu = (server.loopCpuNanos() - loop0) / 1_000_000L;
            long window = (System.nanoTime() - t0) / 1_000_000L;
            good.resume();
            FaultClients.resetAll(flood);
            long start = System.nanoTime();
            long recovered;
            try {
                good.awaitServed(2, recoverMillis);
                recovered = (System.nanoTime() - start) / 1_000_000L;
            } catch (AssertionError notServed) {
                recovered = -1;
            }
            good.pause();
            // Bounded: after the reset nothing is left for TCP to deliver late (see above).
            long after = ProcStats.awaitValue(server::fds, v -> v <= baseline, 30_000);
            String left = server.describeFds() + ", sockets " + server.socketStates();
            good.resume();
            return new OverloadResult(n, baseline, now, window, cpu, loopCpu, recovered, (int) after, left);
        } finally {
            FaultClients.closeAll(flood);
        }
    }

    /** What {@link #renegotiation} saw. */
    record RenegotiationResult(int asked, int completed, String refusal, long cpuMillis) {
        @Override
        public String toString() {
            return String.format("%d renegotiations asked, %d completed%s; server CPU %d ms (%.1f ms each)", asked,
                    completed, refusal == null ? "" : ", then refused: " + refusal, cpuMillis,
                    (double) cpuMillis / Math.max(1, asked));
        }
    }

    /** One TLS 1.2 client asking for {@code n} renegotiations; stops at the first refusal. */
    static RenegotiationResult renegotiation(ProcStats server, int port, int n) throws IOException, InterruptedException {
        try (RenegotiatingClient c = new RenegotiatingClient(port)) {
            long cpu0 = server.cpuNanos();
            String refusal = null;
            int asked = 0;
            while (asked < n && refusal == null) {
                asked++;
                refusal = c.renegotiate();
            }
            long cpu = (server.cpuNanos() - cpu0) / 1_000_000L;
            // Completion is announced on a JDK notifier thread: let the last one arrive. After a
            // refusal at least the first handshake completed (the client got to renegotiate),
            // though its notice may still be on its way.
            int expected = refusal == null ? asked + 1 : Math.max(1, c.handshakes());
            ProcStats.awaitValue(c::handshakes, v -> v >= expected, 2000);
            return new RenegotiationResult(asked, c.handshakes() - 1, refusal, cpu);
        }
    }
}
