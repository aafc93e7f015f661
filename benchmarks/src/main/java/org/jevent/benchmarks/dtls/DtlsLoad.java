package org.jevent.benchmarks.dtls;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jevent.benchmarks.echo.BenchServerProcess;
import org.jevent.benchmarks.echo.IdleLoad;
import org.jevent.benchmarks.echo.ProcFs;
import org.jevent.benchmarks.echo.ServerProcess;

/**
 * The DTLS echo load run of issue 10: each server in its own JVM ({@link DtlsEchoServer}, read
 * as the TCP load run reads its servers: CPU time of the whole process, heap and RSS), driven in
 * turn by the same jevent client in this JVM ({@link ClientSide}), with tables of ratios per
 * server CPU-second: jevent over Scandium in the same mode (the floors) and over plain
 * UDP echo on the same loop (the limit).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.dtls.DtlsLoad
 *     [--servers jevent-cert,scandium-cert,jevent-psk,scandium-psk,udp] [--workloads echo64,echo1k,hs,idle]
 *     [--seconds 8] [--warmup 5] [--hs-warmup 15] [--rounds 1] [--sessions 16] [--depth 4] [--large 1024]
 *     [--hs-parallel 8] [--client-threads 2] [--idle 1000] [--psk-suite TLS_PSK_WITH_AES_128_GCM_SHA256]
 *     [--server-heap 1g] [--server-young 64m] [--pin CPUS]</pre>
 *
 * <p>Workloads: {@code echo64} and {@code echo1k}: {@code --sessions} established sessions, each
 * with {@code --depth} messages of 64 bytes (or {@code --large}) in flight, every echo checked
 * ({@link EchoWorkload}); {@code hs}: full handshakes per second with {@code --hs-parallel} in
 * flight ({@link HandshakeWorkload}); {@code idle}: server memory per idle session, {@code --idle}
 * of them, on a fresh server process ({@link IdleSessions}). Plain UDP has no handshake and no
 * session. {@code -Djevent.echo.serverJvmArgs="..."} adds JVM options to every server (a flight
 * recording, say).
 */
public final class DtlsLoad {
    /** The options of one run. */
    static final class Options {
        List<String> servers = DtlsServers.ALL;
        Set<String> workloads = Set.of("echo64", "echo1k", "hs", "idle");
        int seconds = 8;
        int warmup = 5;
        int hsWarmup = 15;
        int rounds = 1;
        int sessions = 16;
        int depth = 4;
        int large = 1024;
        int hsParallel = 8;
        int clientThreads = 2;
        int idle = 1000;
        String pskSuite = "TLS_PSK_WITH_AES_128_GCM_SHA256";
        String serverHeap = "1g";
        String serverYoung = "64m";
        String pin;
    }

    /** Everything measured for one server in one round; a workload that did not run is null. */
    static final class Row {
        EchoWorkload.Result small;
        EchoWorkload.Result large;
        HandshakeWorkload.Result hs;
        IdleLoad.Result idle;
        final Set<String> suites = new java.util.TreeSet<>();
    }

    private DtlsLoad() {
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        Credentials.Written cert = Credentials.write();
        System.err.printf(Locale.ROOT, "# servers %s, workloads %s, %d s windows (+%d s warm-up, handshakes +%d s),"
                        + " %d sessions x %d in flight, %d handshakes in flight, %d client loops, %d idle sessions,"
                        + " server heap %s, young %s%n", o.servers, o.workloads, o.seconds, o.warmup, o.hsWarmup,
                o.sessions, o.depth, o.hsParallel, o.clientThreads, o.idle, o.serverHeap, o.serverYoung);
        List<Map<String, Row>> rounds = new ArrayList<>();
        try (ClientLoops loops = new ClientLoops(o.clientThreads)) {
            for (int round = 1; round <= o.rounds; round++) {
                Map<String, Row> rows = new LinkedHashMap<>();
                for (String s : o.servers) {
                    System.err.println("== " + s + (o.rounds > 1 ? " (round " + round + " of " + o.rounds + ")" : ""));
                    rows.put(s, runAll(s, cert, loops, o));
                }
                System.out.println();
                System.out.println("=== round " + round + " of " + o.rounds);
                DtlsReport.round(rows, o);
                rounds.add(rows);
            }
        }
        DtlsReport.summary(rounds, o);
    }

    private static ServerProcess start(String server, Credentials.Written cert, Options o) throws Exception {
        return BenchServerProcess.start(DtlsEchoServer.class.getName(), server,
                List.of(server, cert.file().toString()), o.pin, o.serverHeap, o.serverYoung);
    }

    private static Row runAll(String server, Credentials.Written cert, ClientLoops loops, Options o) throws Exception {
        Row r = new Row();
        DtlsServers.Mode mode = DtlsServers.mode(server);
        boolean dtls = mode != DtlsServers.Mode.UDP;
        if (o.workloads.contains("echo64") || o.workloads.contains("echo1k") || (dtls && o.workloads.contains("hs"))) {
            try (ServerProcess p = start(server, cert, o)) {
                ClientSide side = client(mode, p, cert, loops, o);
                try {
                    if (o.workloads.contains("echo64")) {
                        r.small = EchoWorkload.run(p, side, loops, o.sessions, 64, o.depth, o.warmup, o.seconds);
                        log("echo 64 B", r.small);
                    }
                    if (o.workloads.contains("echo1k")) {
                        r.large = EchoWorkload.run(p, side, loops, o.sessions, o.large, o.depth, o.warmup, o.seconds);
                        log("echo " + o.large + " B", r.large);
                    }
                    if (dtls && o.workloads.contains("hs")) {
                        r.hs = HandshakeWorkload.run(p, side, loops, o.hsParallel, o.hsWarmup, o.seconds);
                        System.err.printf(Locale.ROOT,
                                "  handshakes: %.0f /s, server cpu %.2f s (%s), client cpu %.2f s, failed %d%s%n",
                                r.hs.perSecond(), r.hs.serverCpuSeconds(), ProcFs.describe(r.hs.threads()),
                                r.hs.clientCpuSeconds(), r.hs.failed(),
                                r.hs.lastFailure() == null ? "" : " (last: " + r.hs.lastFailure() + ")");
                    }
                } finally {
                    r.suites.addAll(side.suites);
                    side.close();
                }
            }
        }
        if (dtls && o.workloads.contains("idle") && o.idle > 0) {
            try (ServerProcess fresh = start(server, cert, o)) {
                ClientSide side = client(mode, fresh, cert, loops, o);
                try {
                    r.idle = IdleSessions.run(fresh, side, loops, o.idle);
                    System.err.printf(Locale.ROOT, "  idle: %d sessions, heap %.0f B/session, rss %.0f B/session%n",
                            r.idle.connections(), r.idle.heapPerConn(), r.idle.rssPerConn());
                } finally {
                    r.suites.addAll(side.suites);
                    side.close();
                }
            }
        }
        return r;
    }

    private static ClientSide client(DtlsServers.Mode mode, ServerProcess p, Credentials.Written cert,
            ClientLoops loops, Options o) throws Exception {
        int perLoop = Math.max(2, (o.hsParallel + loops.size() - 1) / loops.size());
        return new ClientSide(mode, p.address, cert.certificate(), o.pskSuite, loops.size(), perLoop);
    }

    private static void log(String what, EchoWorkload.Result r) {
        System.err.printf(Locale.ROOT, "  %s: %.0f msg/s, server cpu %.2f s (%s), lost %d, late %d%n", what,
                r.perSecond(), r.serverCpuSeconds(), ProcFs.describe(r.threads()), r.lost(), r.late());
    }

    private static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--servers" -> o.servers = DtlsServers.parse(args[++i]);
                case "--workloads" -> o.workloads = Set.of(args[++i].split(","));
                case "--seconds" -> o.seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                case "--hs-warmup" -> o.hsWarmup = Integer.parseInt(args[++i]);
                case "--rounds" -> o.rounds = Integer.parseInt(args[++i]);
                case "--sessions" -> o.sessions = Integer.parseInt(args[++i]);
                case "--depth" -> o.depth = Integer.parseInt(args[++i]);
                case "--large" -> o.large = Integer.parseInt(args[++i]);
                case "--hs-parallel" -> o.hsParallel = Integer.parseInt(args[++i]);
                case "--client-threads" -> o.clientThreads = Integer.parseInt(args[++i]);
                case "--idle" -> o.idle = Integer.parseInt(args[++i]);
                case "--psk-suite" -> o.pskSuite = args[++i];
                case "--server-heap" -> o.serverHeap = args[++i];
                case "--server-young" -> o.serverYoung = args[++i];
                case "--pin" -> o.pin = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ClientSide.pskSuiteNumber(o.pskSuite); // fail before any server starts
        return o;
    }
}
