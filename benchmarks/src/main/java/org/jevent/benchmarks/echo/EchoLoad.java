package org.jevent.benchmarks.echo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The end-to-end echo load run: starts each echo server in its own process
 * ({@link ServerProcess}: the benchmark's own {@link EchoServer}s, jevent's {@code echo-server}
 * example, the libevent C server; {@link Servers}), drives it from this one, and prints tables
 * with ratios against the peers (Netty, plain NIO, libevent), including per server CPU-second.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.echo.EchoLoad
 *     [--tls] [--servers a,b,c|plain|tls|issue14|loops|jfr] [--workloads small,large,hs,idle] [--seconds 10]
 *     [--warmup 3] [--hs-warmup S] [--rounds 1] [--alternate] [--together] [--idle N] [--idle-tls N] [--pin CPUS] [--hs-client java|openssl]
 *     [--stream-client java|c] [--hs-parallel 8] [--hs-threads 2] [--server-heap 2g] [--server-young 32m]</pre>
 *
 * <p>Workloads (issues 4, 5 and 14): {@code small} 50 connections × 64-byte messages × 16 in
 * flight (messages/s); {@code large} 10 connections × 64 KiB messages (MB/s); both driven by
 * {@code --stream-client}: {@code java} (default) one thread of this JVM ({@link StreamLoad}),
 * {@code c} the C client {@code benchmarks/c/echo-load.c} in a child process ({@link CStreamLoad}),
 * as issue 14's comparison was driven;
 * {@code hs} (TLS servers) full handshakes per second with {@code --hs-parallel} in flight
 * ({@link HandshakeLoad}); {@code idle} server memory per idle connection, on a fresh server
 * process ({@link IdleLoad}). Each server speaks TLS or not by its name, so one run can hold
 * both. {@code -Djevent.echo.serverJvmArgs="..."} adds JVM options to every Java server process,
 * {@code -Djevent.echo.exampleJvmArgs="..."} to the example's only. A Netty server or the example
 * named {@code NAME:N} runs N event loops; {@code --servers loops} prints the 1&rarr;2 loop curve
 * ({@link LoopCurve}). A Java server named {@code NAME@nojfr} or {@code NAME@jfr} runs without
 * jevent's observability hooks or under a flight recording; {@code --servers jfr} prints their cost
 * ({@link JfrCost}); the example named {@code NAME@pinned} runs on the benchmark servers' pinned
 * heap, so that its idle memory is counted as theirs (heap plus RSS). {@code --alternate} runs the servers in reverse order in even rounds, so that
 * a drift of the machine's load within a round does not always favour the same ones;
 * {@code --together} runs the variants of one server at the same time ({@link TogetherRun}).
 */
public final class EchoLoad {
    /** The options of one run. */
    static final class Options {
        boolean tls;
        List<String> servers;
        Set<String> workloads = Set.of("small", "large", "hs", "idle");
        int seconds = 10;
        int warmup = 3;
        /**
         * Warm-up of the handshake workload; -1: {@link #warmup}. Handshake code paths keep the
         * JIT busy far longer than the streaming ones (measured: 30-50% of a Java server's CPU in
         * an 8 s window after a 5 s warm-up, near 0 after 30 s).
         */
        int hsWarmup = -1;
        /** Times the whole run is repeated, servers in the same order each time (unless {@link #alternate}). */
        int rounds = 1;
        /** Even rounds run the servers in reverse order. */
        boolean alternate;
        /** Variants of one server run at the same time ({@link TogetherRun}); streams only. */
        boolean together;
        /** Idle connections per plain server; -1: {@link #defaultIdle}. */
        int idle = -1;
        /** Idle connections per TLS server; -1: {@link #defaultIdle}. */
        int idleTls = -1;
        /** {@code taskset -c} CPU list for every server process, or null. */
        String pin;
        HandshakeLoad.Kind hsClient = HandshakeLoad.Kind.JAVA;
        /** The client of the stream workloads ({@code small}, {@code large}). */
        StreamClient streamClient = StreamClient.JAVA;
        int hsParallel = 8;
        int hsThreads = 2;
        String serverHeap = "2g";
        String serverYoung = "32m";
    }

    private EchoLoad() {
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        ChildProcesses.drivenBy(Thread.currentThread());
        try {
            run(o);
        } catch (Exception | Error e) {
            if (!ChildProcesses.shuttingDown()) {
                throw e;
            }
            // SIGTERM or Ctrl-C: the hook stopped the servers under the workload; nothing failed
            System.err.println("interrupted: shutting down");
        }
    }

    private static void run(Options o) throws Exception {
        boolean anyTls = o.servers.stream().anyMatch(Servers::isTls);
        ClientTls tls = anyTls ? new ClientTls() : null;
        String client = !anyTls ? "" : ", handshake client " + o.hsClient.name().toLowerCase(Locale.ROOT) + " × "
                + o.hsParallel + (o.hsClient == HandshakeLoad.Kind.JAVA ? " on " + o.hsThreads + " threads" : "");
        System.err.printf(Locale.ROOT,
                "# workloads %s, %d s (+%d s warm-up, handshakes +%d s), stream client %s, server heap %s pinned, young %s%s%s%n",
                o.workloads, o.seconds, o.warmup, o.hsWarmup, o.streamClient.name().toLowerCase(Locale.ROOT),
                o.serverHeap, o.serverYoung, client,
                o.pin == null ? "" : ", servers on CPU " + o.pin);
        List<Map<String, Report.Row>> rounds = new ArrayList<>();
        for (int round = 1; round <= o.rounds; round++) {
            Map<String, Report.Row> rows = new LinkedHashMap<>();
            List<String> order = new ArrayList<>(o.servers);
            if (o.alternate && round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            if (o.together) {
                for (List<String> group : TogetherRun.groups(order)) {
                    System.err.println("== " + group + " together" + (o.rounds > 1 ? " (round " + round + " of "
                            + o.rounds + ")" : ""));
                    TogetherRun.run(group, tls, o, rows);
                }
            }
            for (String s : o.together ? List.<String>of() : order) {
                System.err.println("== " + s + (o.rounds > 1 ? " (round " + round + " of " + o.rounds + ")" : ""));
                rows.put(s, runAll(s, Servers.isTls(s) ? tls : null, o));
            }
            if (o.rounds > 1) {
                System.out.println();
                System.out.println("=== round " + round + " of " + o.rounds);
            }
            Report.print(rows, o);
            LoopCurve.printRound(rows);
            JfrCost.printRound(rows);
            rounds.add(rows);
        }
        IssueTable.print(rounds);
        LoopCurve.printSummary(rounds);
        JfrCost.printSummary(rounds);
    }

    /**
     * The default idle count: 10,000, or fewer where {@code ulimit -n} cannot hold them in one
     * server process. A Conscrypt engine holds a pipe (two descriptors) for as long as it lives,
     * so an idle TLS connection costs a Conscrypt server three descriptors; the server inherits
     * this process's limit, which only a privileged shell can raise above the hard limit.
     */
    private static int defaultIdle(boolean tls) throws java.io.IOException {
        long soft = Long.MAX_VALUE;
        for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
            if (l.startsWith("Max open files")) {
                String f = l.substring("Max open files".length()).trim().split("\\s+")[0];
                soft = f.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f);
            }
        }
        long fit = (soft - 1000) / (tls ? 3 : 1);
        if (fit < 10_000) {
            System.err.printf(Locale.ROOT, "# ulimit -n %d: %d idle connections instead of 10000%s%n", soft, fit,
                    tls ? " (a Conscrypt server holds 3 descriptors per TLS connection)" : "");
        }
        return (int) Math.max(0, Math.min(10_000, fit));
    }

    private static Options parse(String[] args) throws java.io.IOException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tls" -> o.tls = true;
                case "--servers" -> o.servers = Servers.parse(args[++i]);
                case "--workloads" -> o.workloads = Set.of(args[++i].split(","));
                case "--seconds" -> o.seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                case "--hs-warmup" -> o.hsWarmup = Integer.parseInt(args[++i]);
                case "--idle" -> o.idle = Integer.parseInt(args[++i]);
                case "--idle-tls" -> o.idleTls = Integer.parseInt(args[++i]);
                case "--pin" -> o.pin = args[++i];
                case "--rounds" -> o.rounds = Integer.parseInt(args[++i]);
                case "--alternate" -> o.alternate = true;
                case "--together" -> o.together = true;
                case "--hs-client" -> o.hsClient = HandshakeLoad.Kind.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--stream-client" -> o.streamClient = StreamClient.parse(args[++i]);
                case "--hs-parallel" -> o.hsParallel = Integer.parseInt(args[++i]);
                case "--hs-threads" -> o.hsThreads = Integer.parseInt(args[++i]);
                case "--server-heap" -> o.serverHeap = args[++i];
                case "--server-young" -> o.serverYoung = args[++i];
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (o.servers == null) {
            o.servers = o.tls ? Servers.TLS : Servers.PLAIN;
        }
        if (o.hsWarmup < 0) {
            o.hsWarmup = o.warmup;
        }
        boolean idle = o.workloads.contains("idle");
        if (o.idle < 0) {
            o.idle = idle && o.servers.stream().anyMatch(s -> !Servers.isTls(s)) ? defaultIdle(false) : 0;
        }
        if (o.idleTls < 0) {
            o.idleTls = idle && o.servers.stream().anyMatch(Servers::isTls) ? defaultIdle(true) : 0;
        }
        return o;
    }

    private static Report.Row runAll(String impl, ClientTls tls, Options o) throws Exception {
        Report.Row r = new Report.Row();
        boolean traffic = o.workloads.contains("small") || o.workloads.contains("large")
                || (tls != null && o.workloads.contains("hs"));
        if (traffic) {
            traffic(impl, tls, o, r);
        }
        int idle = tls == null ? o.idle : o.idleTls;
        if (idle > 0 && o.workloads.contains("idle")) {
            try (ServerProcess fresh = ServerProcess.start(impl, tls, o)) {
                r.idle = IdleLoad.run(fresh, tls, idle);
                System.err.printf(Locale.ROOT, "  idle: %d conns, heap %.0f B/conn, rss %.0f B/conn%n",
                        r.idle.connections(), r.idle.heapPerConn(), r.idle.rssPerConn());
            }
        }
        return r;
    }

    /** The small, large and handshake workloads, one after the other on one server process. */
    private static void traffic(String impl, ClientTls tls, Options o, Report.Row r) throws Exception {
        try (ServerProcess server = ServerProcess.start(impl, tls, o)) {
            if (o.workloads.contains("small")) {
                r.small = o.streamClient.run(server, tls, StreamWorkload.SMALL, o.warmup, o.seconds);
                System.err.printf(Locale.ROOT, "  small: %.0f msg/s, server cpu %.2f s (%s), client cpu %.2f s%n",
                        r.small.bytes() / 64.0 / r.small.seconds(), r.small.serverCpuSeconds(), ProcFs.describe(r.small.threads()),
                        r.small.clientCpuSeconds());
            }
            if (o.workloads.contains("large")) {
                r.large = o.streamClient.run(server, tls, StreamWorkload.LARGE, o.warmup, o.seconds);
                System.err.printf(Locale.ROOT, "  large: %.0f MB/s, server cpu %.2f s (%s), client cpu %.2f s%n",
                        r.large.bytes() / 1e6 / r.large.seconds(), r.large.serverCpuSeconds(), ProcFs.describe(r.large.threads()),
                        r.large.clientCpuSeconds());
            }
            if (tls != null && o.workloads.contains("hs")) {
                r.hs = handshakes(server, tls, o);
                System.err.printf(Locale.ROOT, "  handshakes: %.0f /s, server cpu %.2f s (%s), client cpu %.2f s%n",
                        r.hs.count() / r.hs.seconds(), r.hs.serverCpuSeconds(), ProcFs.describe(r.hs.threads()),
                        r.hs.clientCpuSeconds());
            }
        }
    }

    /** What the handshake window measured. */
    record Handshakes(long count, double seconds, double serverCpuSeconds, double clientCpuSeconds,
            Map<String, Double> threads) {
        /** Server CPU-seconds of its application threads, JIT and GC left out. */
        double appCpuSeconds() {
            return threads.getOrDefault("app", serverCpuSeconds);
        }
    }

    private static Handshakes handshakes(ServerProcess server, ClientTls tls, Options o) throws Exception {
        // s_time runs for a fixed time: longer than warm-up plus window, then it is killed
        try (HandshakeLoad load = o.hsClient.start(server.address, tls, o.hsParallel, o.hsThreads,
                o.hsWarmup + o.seconds + 60)) {
            Thread.sleep(o.hsWarmup * 1000L);
            long n0 = load.completed();
            long client0 = load.clientCpuNanos();
            java.util.Map<String, Long> threads0 = server.threadCpuNanos();
            long cpu0 = server.cpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(o.seconds * 1000L);
            long n1 = load.completed();
            long cpu1 = server.cpuNanos();
            long t1 = System.nanoTime();
            long client1 = load.clientCpuNanos();
            return new Handshakes(n1 - n0, (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9, (client1 - client0) / 1e9,
                    ProcFs.diff(threads0, server.threadCpuNanos()));
        } finally {
            server.awaitConnections(0, 30); // the next workload starts from a quiet server
        }
    }
}
