package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where each server's CPU goes per byte echoed, by part, so that a gap between two servers can be
 * put down to something: the kernel's copies between user memory and socket buffers, the rest of
 * the kernel (TCP, epoll, system calls), JIT-compiled Java, and other user code (libc, the JDK's
 * native I/O, the JVM itself; libevent and OpenSSL for the C server).
 *
 * <p>Each window is a {@link CStreamLoad} window (the C client, every echoed byte checked) with
 * {@code perf record -e cpu-clock} sampling the server process over it; the parts are sample
 * counts from {@code perf report}, given as CPU milliseconds per GB echoed. This machine has no
 * hardware counters, and its rounds move by 10-25 %, so what matters is the median of many
 * rounds and which part differs: the copies and the rest of the kernel drift with the machine
 * from run to run, while the JIT part and a change's own kernel symbols hold still
 * ({@code benchmarks/PERF-NOTES.md}, "Session 8").
 *
 * <p>Usage, from the repository root after {@code benchmarks/build-echo-load.sh}, with the
 * driver on one CPU and the servers on the other (as {@link EchoLoad}):
 * <pre>
 * taskset -c 0 java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.echo.CpuSplit \
 *     --servers nio,jevent,jevent-example --workload large --rounds 10 --seconds 6 --warmup 5 --pin 1
 * </pre>
 * Any {@link Servers} name works; the first is the one the others are compared with. Needs
 * {@code perf} (Debian: {@code linux-perf}) allowed to sample other processes (root, or
 * {@code kernel.perf_event_paranoid} at most 1).
 */
public final class CpuSplit {
    /** The parts a sample is counted in. */
    enum Part {
        /** The kernel copying bytes to or from user memory (a read's copy out, a write's copy in). */
        COPY,
        /** Every other kernel symbol: TCP/IP, epoll, the system call paths, the scheduler. */
        KERNEL,
        /** JIT-compiled Java (and user code perf cannot name, which in a JVM is JIT code). */
        JIT,
        /** Other user code: libc, the JDK's native libraries, the JVM, a C server's libraries. */
        NATIVE
    }

    /** Kernel symbols that are the copy between user memory and the kernel, across kernel versions. */
    private static final List<String> COPY_SYMBOLS = List.of("_copy_to_iter", "_copy_from_iter", "copyin", "copyout",
            "rep_movs_alternative", "copy_user_", "__copy_user");

    private CpuSplit() {
    }

    /** Sample counts of one window by part. */
    record Samples(Map<Part, Long> byPart) {
        long total() {
            return byPart.values().stream().mapToLong(Long::longValue).sum();
        }

        long of(Part p) {
            return byPart.getOrDefault(p, 0L);
        }
    }

    /**
     * Counts the samples of a {@code perf report --no-children --sort dso,sym -F sample,dso,sym
     * --stdio} listing by part. Lines are {@code COUNT DSO [k|.] SYMBOL}; comments and blank lines
     * are skipped; a line that does not start with a count is an error (perf's format changed).
     */
    static Samples parseReport(String report) {
        Map<Part, Long> parts = new EnumMap<>(Part.class);
        for (String line : report.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+", 2);
            long count;
            try {
                count = Long.parseLong(f[0]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a perf report line: " + line);
            }
            parts.merge(partOf(f.length > 1 ? f[1] : ""), count, Long::sum);
        }
        return new Samples(parts);
    }

    /** The part of one report line's {@code DSO [k|.] SYMBOL}. */
    static Part partOf(String dsoAndSymbol) {
        int k = dsoAndSymbol.indexOf("[k] ");
        if (k >= 0) {
            String symbol = dsoAndSymbol.substring(k + 4).strip();
            return COPY_SYMBOLS.stream().anyMatch(symbol::startsWith) ? Part.COPY : Part.KERNEL;
        }
        String dso = dsoAndSymbol.strip();
        if (dso.startsWith("[JIT]") || dso.startsWith("perf-") || dso.startsWith("[unknown]")) {
            return Part.JIT;
        }
        return Part.NATIVE;
    }

    /** {@code perf record} on a server over one window, and the split of what it sampled. */
    static final class PerfWatch implements CStreamLoad.Watch {
        private final int hz;
        private Path data;
        private Process perf;
        private int seconds;
        Samples samples;

        PerfWatch(int hz) {
            this.hz = hz;
        }

        @Override
        public void begin(ServerProcess server, int seconds) throws IOException {
            this.seconds = seconds;
            data = Files.createTempFile("cpu-split", ".perf");
            perf = ChildProcesses.start(new ProcessBuilder("perf", "record", "-q", "-e", "cpu-clock", "-F",
                    Integer.toString(hz), "-p", Long.toString(server.process.pid()), "-o", data.toString(), "--", "sleep",
                    Integer.toString(seconds)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD));
        }

        @Override
        public void finish() throws IOException {
            try {
                if (!perf.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
                    perf.destroyForcibly();
                    throw new IOException("perf record did not end");
                }
                if (perf.exitValue() != 0) {
                    throw new IOException("perf record failed (exit " + perf.exitValue() + ")");
                }
                Process report = ChildProcesses.start(new ProcessBuilder("perf", "report", "-i", data.toString(),
                        "--no-children", "--sort", "dso,sym", "-F", "sample,dso,sym", "--stdio")
                        .redirectError(ProcessBuilder.Redirect.DISCARD));
                String text = new String(report.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (report.waitFor() != 0) {
                    throw new IOException("perf report failed (exit " + report.exitValue() + ")");
                }
                samples = parseReport(text);
            } catch (InterruptedException e) {
                perf.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for perf", e);
            } finally {
                Files.deleteIfExists(data);
            }
        }
    }

    /** One window of one server: bytes echoed, its CPU time, what perf sampled. */
    record Window(double gigabytes, double serverCpuSeconds, Samples samples, int hz) {
        double mbPerCpuSecond() {
            return gigabytes * 1000 / serverCpuSeconds;
        }

        /** CPU milliseconds per GB echoed in {@code part}. */
        double msPerGb(Part part) {
            return samples.of(part) * 1000.0 / hz / gigabytes;
        }

        double totalMsPerGb() {
            return samples.total() * 1000.0 / hz / gigabytes;
        }
    }

    public static void main(String[] args) throws Exception {
        EchoLoad.Options o = new EchoLoad.Options();
        o.pin = "1";
        o.warmup = 5;
        o.seconds = 6;
        o.rounds = 10;
        StreamWorkload workload = StreamWorkload.LARGE;
        int hz = 4000;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--servers" -> o.servers = List.of(need(args[i], v).split(","));
                case "--workload" -> workload = StreamWorkload.named(need(args[i], v));
                case "--rounds" -> o.rounds = Integer.parseInt(need(args[i], v));
                case "--seconds" -> o.seconds = Integer.parseInt(need(args[i], v));
                case "--warmup" -> o.warmup = Integer.parseInt(need(args[i], v));
                case "--pin" -> o.pin = "none".equals(need(args[i], v)) ? null : v;
                case "--hz" -> hz = Integer.parseInt(need(args[i], v));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--servers A,B,.. --workload large|small --rounds N --seconds S --warmup W --pin CPUS|none --hz HZ)");
            }
            i++;
        }
        if (o.servers == null || o.servers.isEmpty()) {
            throw new IllegalArgumentException("--servers A,B,..: the first is the one the others are compared with");
        }
        ChildProcesses.drivenBy(Thread.currentThread());
        ClientTls tls = o.servers.stream().anyMatch(Servers::isTls) ? new ClientTls() : null;
        Map<String, List<Window>> all = new LinkedHashMap<>();
        o.servers.forEach(s -> all.put(s, new ArrayList<>()));
        System.out.printf(Locale.ROOT, "%-24s %9s %7s | %7s %7s %7s %7s %7s | %s%n", "round server", "MB/cpu-s",
                "busy %", "copy", "kernel", "JIT", "native", "total", "sampled (CPU ms per GB echoed by part)");
        for (int round = 1; round <= o.rounds; round++) {
            List<String> order = new ArrayList<>(o.servers);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (String server : order) {
                Window w = window(server, tls, o, workload, hz);
                all.get(server).add(w);
                System.out.printf(Locale.ROOT, "%-24s %9.0f %7.0f | %7.0f %7.0f %7.0f %7.0f %7.0f | %3.0f %%%n",
                        round + " " + server, w.mbPerCpuSecond(), 100 * w.serverCpuSeconds / o.seconds,
                        w.msPerGb(Part.COPY), w.msPerGb(Part.KERNEL), w.msPerGb(Part.JIT), w.msPerGb(Part.NATIVE),
                        w.totalMsPerGb(), 100.0 * w.samples.total() / hz / w.serverCpuSeconds);
            }
        }
        summary(all, o.rounds);
    }

    private static String need(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static Window window(String server, ClientTls tls, EchoLoad.Options o, StreamWorkload w, int hz)
            throws Exception {
        ClientTls t = Servers.isTls(server) ? tls : null;
        try (ServerProcess p = ServerProcess.start(server, t, o)) {
            PerfWatch perf = new PerfWatch(hz);
            StreamLoad.Run r = CStreamLoad.run(p, t, w.conns(), w.size(), w.depth(), o.warmup, o.seconds, perf);
            return new Window(r.bytes() / 1e9, r.serverCpuSeconds(), perf.samples, hz);
        }
    }

    /** Medians per server, and each part's difference from the first server's, in ms per GB and in % of its total. */
    private static void summary(Map<String, List<Window>> all, int rounds) {
        String first = all.keySet().iterator().next();
        Map<Part, Double> base = new EnumMap<>(Part.class);
        for (Part p : Part.values()) {
            base.put(p, median(all.get(first), w -> w.msPerGb(p)));
        }
        double baseTotal = median(all.get(first), Window::totalMsPerGb);
        System.out.printf(Locale.ROOT, "%nmedians of %d rounds; in brackets, the difference from %s in %% of its total%n",
                rounds, first);
        for (Map.Entry<String, List<Window>> e : all.entrySet()) {
            List<Window> ws = e.getValue();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-24s %6.0f MB/cpu-s |", e.getKey(),
                    median(ws, Window::mbPerCpuSecond)));
            for (Part p : Part.values()) {
                double m = median(ws, w -> w.msPerGb(p));
                line.append(String.format(Locale.ROOT, " %s %5.0f (%+5.1f)", p.name().toLowerCase(Locale.ROOT), m,
                        100 * (m - base.get(p)) / baseTotal));
            }
            double t = median(ws, Window::totalMsPerGb);
            line.append(String.format(Locale.ROOT, " | total %5.0f (%+5.1f)", t, 100 * (t - baseTotal) / baseTotal));
            System.out.println(line);
        }
    }

    private static double median(List<Window> ws, java.util.function.ToDoubleFunction<Window> f) {
        double[] v = ws.stream().mapToDouble(f).sorted().toArray();
        int n = v.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
