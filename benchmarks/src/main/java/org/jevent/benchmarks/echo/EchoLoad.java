package org.jevent.benchmarks.echo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The end-to-end echo load run: starts each echo server ({@link EchoServer}) in its own process
 * ({@link ServerProcess}), drives it from this one, and prints tables with ratios against the
 * peers (Netty, plain NIO), including per server CPU-second.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.echo.EchoLoad
 *     [--tls] [--servers a,b,c] [--workloads small,large,hs,idle] [--seconds 10] [--warmup 3]
 *     [--idle N] [--hs-client java|openssl] [--hs-parallel 8] [--hs-threads 2]
 *     [--server-heap 2g] [--server-young 32m]</pre>
 *
 * <p>Workloads (issues 4 and 5): {@code small} 50 connections × 64-byte messages × 16 in flight
 * (messages/s, {@link StreamLoad}); {@code large} 10 connections × 64 KiB messages (MB/s);
 * {@code hs} (with {@code --tls}) full handshakes per second with {@code --hs-parallel} in flight
 * ({@link HandshakeLoad}); {@code idle} server heap and RSS per idle connection, on a fresh server
 * process ({@link IdleLoad}). {@code -Djevent.echo.serverJvmArgs="..."} adds JVM options to every
 * server process.
 */
public final class EchoLoad {
    private static final List<String> PLAIN = List.of("jevent", "netty", "nio");
    private static final List<String> TLS = List.of("jevent-tls-conscrypt", "netty-tls-conscrypt", "jevent-tls-jdk",
            "netty-tls-jdk", "netty-tls-openssl");

    /** The options of one run. */
    static final class Options {
        boolean tls;
        List<String> servers;
        Set<String> workloads = Set.of("small", "large", "hs", "idle");
        int seconds = 10;
        int warmup = 3;
        /** Idle connections; -1: {@link #defaultIdle}. */
        int idle = -1;
        HandshakeLoad.Kind hsClient = HandshakeLoad.Kind.JAVA;
        int hsParallel = 8;
        int hsThreads = 2;
        String serverHeap = "2g";
        String serverYoung = "32m";
    }

    private EchoLoad() {
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        ClientTls tls = o.tls ? new ClientTls() : null;
        String client = !o.tls ? "" : ", handshake client " + o.hsClient.name().toLowerCase(Locale.ROOT) + " × "
                + o.hsParallel + (o.hsClient == HandshakeLoad.Kind.JAVA ? " on " + o.hsThreads + " threads" : "");
        System.err.printf(Locale.ROOT, "# workloads %s, %d s (+%d s warm-up), server heap %s pinned, young %s%s%n",
                o.workloads, o.seconds, o.warmup, o.serverHeap, o.serverYoung, client);
        Map<String, Report.Row> rows = new LinkedHashMap<>();
        for (String s : o.servers) {
            System.err.println("== " + s);
            rows.put(s, runAll(s, tls, o));
        }
        Report.print(rows, o);
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
                case "--servers" -> o.servers = List.of(args[++i].split(","));
                case "--workloads" -> o.workloads = Set.of(args[++i].split(","));
                case "--seconds" -> o.seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                case "--idle" -> o.idle = Integer.parseInt(args[++i]);
                case "--hs-client" -> o.hsClient = HandshakeLoad.Kind.valueOf(args[++i].toUpperCase(Locale.ROOT));
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
            o.servers = o.tls ? TLS : PLAIN;
        }
        if (o.idle < 0) {
            o.idle = o.workloads.contains("idle") ? defaultIdle(o.tls) : 0;
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
        if (o.idle > 0 && o.workloads.contains("idle")) {
            try (ServerProcess fresh = ServerProcess.start(impl, tls, o.serverHeap, o.serverYoung)) {
                r.idle = IdleLoad.run(fresh, tls, o.idle);
                System.err.printf(Locale.ROOT, "  idle: %d conns, heap %.0f B/conn, rss %.0f B/conn%n",
                        r.idle.connections(), r.idle.heapPerConn(), r.idle.rssPerConn());
            }
        }
        return r;
    }

    /** The small, large and handshake workloads, one after the other on one server process. */
    private static void traffic(String impl, ClientTls tls, Options o, Report.Row r) throws Exception {
        try (ServerProcess server = ServerProcess.start(impl, tls, o.serverHeap, o.serverYoung)) {
            if (o.workloads.contains("small")) {
                r.small = StreamLoad.run(server, tls, 50, 64, 16, o.warmup, o.seconds);
                System.err.printf(Locale.ROOT, "  small: %.0f msg/s, server cpu %.2f s%n",
                        r.small.bytes() / 64.0 / r.small.seconds(), r.small.serverCpuSeconds());
            }
            if (o.workloads.contains("large")) {
                r.large = StreamLoad.run(server, tls, 10, 64 * 1024, 1, o.warmup, o.seconds);
                System.err.printf(Locale.ROOT, "  large: %.0f MB/s, server cpu %.2f s%n",
                        r.large.bytes() / 1e6 / r.large.seconds(), r.large.serverCpuSeconds());
            }
            if (tls != null && o.workloads.contains("hs")) {
                r.hs = handshakes(server, tls, o);
                System.err.printf(Locale.ROOT, "  handshakes: %.0f /s, server cpu %.2f s, client cpu %.2f s%n",
                        r.hs.count() / r.hs.seconds(), r.hs.serverCpuSeconds(), r.hs.clientCpuSeconds());
            }
        }
    }

    /** What the handshake window measured. */
    record Handshakes(long count, double seconds, double serverCpuSeconds, double clientCpuSeconds) {
    }

    private static Handshakes handshakes(ServerProcess server, ClientTls tls, Options o) throws Exception {
        // s_time runs for a fixed time: longer than warm-up plus window, then it is killed
        try (HandshakeLoad load = o.hsClient.start(server.address, tls, o.hsParallel, o.hsThreads,
                o.warmup + o.seconds + 60)) {
            Thread.sleep(o.warmup * 1000L);
            long n0 = load.completed();
            long client0 = load.clientCpuNanos();
            long cpu0 = server.cpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(o.seconds * 1000L);
            long n1 = load.completed();
            long cpu1 = server.cpuNanos();
            long t1 = System.nanoTime();
            long client1 = load.clientCpuNanos();
            return new Handshakes(n1 - n0, (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9, (client1 - client0) / 1e9);
        } finally {
            server.awaitConnections(0, 30); // the next workload starts from a quiet server
        }
    }
}
