package org.jevent.benchmarks.dtls;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jevent.benchmarks.echo.IssueTable;

/**
 * The DTLS run's tables: every round's figures, then the medians over the rounds with the ratios
 * of issue 10 (jevent over Scandium in the same mode, per server CPU-second: the floors; jevent
 * over plain UDP echo on the same loop: the limit). Each ratio is taken within a round, where the
 * servers shared the machine's load, before its median over the rounds.
 */
final class DtlsReport {
    /** A figure of a row: its title, whether lower is better, how to read it (0 or NaN: none). */
    private record Metric(String title, boolean floor, boolean lowerIsBetter, ToDoubleFunction<DtlsLoad.Row> value) {
    }

    private static final List<Metric> METRICS = List.of(
            new Metric("echo 64 B msg/cpu-s", true, false, r -> r.small == null ? 0 : r.small.perCpuSecond()),
            new Metric("echo 1 KiB msg/cpu-s", true, false, r -> r.large == null ? 0 : r.large.perCpuSecond()),
            new Metric("full hs/cpu-s", true, false, r -> r.hs == null ? 0 : r.hs.perCpuSecond()),
            new Metric("echo 64 B msg/app-cpu-s", false, false, r -> r.small == null ? 0 : r.small.perAppCpuSecond()),
            new Metric("echo 1 KiB msg/app-cpu-s", false, false, r -> r.large == null ? 0 : r.large.perAppCpuSecond()),
            new Metric("full hs/app-cpu-s", false, false, r -> r.hs == null ? 0 : r.hs.count() / r.hs.appCpuSeconds()),
            new Metric("echo 64 B msg/s", false, false, r -> r.small == null ? 0 : r.small.perSecond()),
            new Metric("echo 1 KiB msg/s", false, false, r -> r.large == null ? 0 : r.large.perSecond()),
            new Metric("full hs/s", false, false, r -> r.hs == null ? 0 : r.hs.perSecond()),
            new Metric("idle KiB/session", false, true, r -> r.idle == null ? 0 : r.idle.sumPerConn() / 1024));

    private DtlsReport() {
    }

    static void round(Map<String, DtlsLoad.Row> rows, DtlsLoad.Options o) {
        System.out.println("busy = server CPU-seconds / wall seconds; lost = echoes that never came (UDP);"
                + " idle = heap + RSS per session, marginal (IdleLoad)");
        System.out.printf(Locale.ROOT, "%-14s %9s %9s %5s %5s %9s %9s %5s %5s %7s %8s %5s %4s %5s %7s %7s %6s  %s%n",
                "server", "64B msg/s", "msg/cpu", "busy", "lost", "1K msg/s", "msg/cpu", "busy", "lost", "hs/s",
                "hs/cpu", "busy", "jit", "fail", "heap B", "rss B", "KiB", "suite");
        for (Map.Entry<String, DtlsLoad.Row> e : rows.entrySet()) {
            DtlsLoad.Row r = e.getValue();
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-14s", e.getKey()));
            echo(b, r.small);
            echo(b, r.large);
            if (r.hs == null) {
                b.append(String.format(Locale.ROOT, " %7s %8s %5s %4s %5s", "-", "-", "-", "-", "-"));
            } else {
                b.append(String.format(Locale.ROOT, " %7.0f %8.0f %4.0f%% %3.0f%% %5d", r.hs.perSecond(),
                        r.hs.perCpuSecond(), 100 * r.hs.serverCpuSeconds() / r.hs.seconds(),
                        100 * r.hs.threads().getOrDefault("jit", 0.0) / r.hs.serverCpuSeconds(), r.hs.failed()));
            }
            if (r.idle == null) {
                b.append(String.format(Locale.ROOT, " %7s %7s %6s", "-", "-", "-"));
            } else {
                b.append(String.format(Locale.ROOT, " %7.0f %7.0f %6.1f", r.idle.heapPerConn(), r.idle.rssPerConn(),
                        r.idle.sumPerConn() / 1024));
            }
            b.append("  ").append(r.suites.isEmpty() ? "-" : String.join(",", r.suites));
            System.out.println(b);
        }
    }

    private static void echo(StringBuilder b, EchoWorkload.Result r) {
        if (r == null) {
            b.append(String.format(Locale.ROOT, " %9s %9s %5s %5s", "-", "-", "-", "-"));
        } else {
            b.append(String.format(Locale.ROOT, " %9.0f %9.0f %4.0f%% %5d", r.perSecond(), r.perCpuSecond(),
                    100 * r.serverCpuSeconds() / r.seconds(), r.lost()));
        }
    }

    static void summary(List<Map<String, DtlsLoad.Row>> rounds, DtlsLoad.Options o) {
        System.out.println();
        System.out.printf(Locale.ROOT, "DTLS echo, issue 10: median of %d round(s); ratios taken within each round, then"
                + " their median; cert = JDK DTLS (jevent) vs Scandium, psk = bctls (jevent) vs Scandium, %s offered%n",
                rounds.size(), o.pskSuite);
        System.out.printf(Locale.ROOT, "%-25s %10s %10s %8s %10s %10s %8s %10s %9s %9s%n", "", "jevent-cert",
                "scand-cert", "j/S", "jevent-psk", "scand-psk", "j/S", "udp", "cert/udp", "psk/udp");
        for (Metric m : METRICS) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-25s", m.title()));
            b.append(' ').append(cell(rounds, DtlsServers.JEVENT_CERT, m, 10));
            b.append(' ').append(cell(rounds, DtlsServers.SCANDIUM_CERT, m, 10));
            b.append(' ').append(ratioCell(rounds, DtlsServers.JEVENT_CERT, DtlsServers.SCANDIUM_CERT, m, 8));
            b.append(' ').append(cell(rounds, DtlsServers.JEVENT_PSK, m, 10));
            b.append(' ').append(cell(rounds, DtlsServers.SCANDIUM_PSK, m, 10));
            b.append(' ').append(ratioCell(rounds, DtlsServers.JEVENT_PSK, DtlsServers.SCANDIUM_PSK, m, 8));
            b.append(' ').append(cell(rounds, DtlsServers.UDP, m, 10));
            b.append(' ').append(ratioCell(rounds, DtlsServers.JEVENT_CERT, DtlsServers.UDP, m, 9));
            b.append(' ').append(ratioCell(rounds, DtlsServers.JEVENT_PSK, DtlsServers.UDP, m, 9));
            System.out.println(b);
        }
        System.out.println();
        System.out.println("app-cpu: the server's application threads only (JIT compiler and GC threads left out)");
        System.out.println("floors (issue 10: >= 1.0x Scandium per server CPU-second, certificates and PSK):");
        for (Metric m : METRICS) {
            if (!m.floor()) {
                continue;
            }
            for (String j : List.of(DtlsServers.JEVENT_CERT, DtlsServers.JEVENT_PSK)) {
                double[] v = ratios(rounds, j, DtlsServers.peer(j), m);
                double med = IssueTable.median(v);
                System.out.printf(Locale.ROOT, "  %-25s %-12s %s over %d round(s) (min %s, max %s): %s%n", m.title(), j,
                        fmt(med, "x"), v.length, v.length == 0 ? "-" : fmt(v[0], "x"),
                        v.length == 0 ? "-" : fmt(v[v.length - 1], "x"),
                        Double.isNaN(med) ? "not measured" : med >= 1.0 ? "holds" : "MISSED");
            }
        }
    }

    private static double value(Map<String, DtlsLoad.Row> round, String server, Metric m) {
        DtlsLoad.Row r = round.get(server);
        return r == null ? 0 : m.value().applyAsDouble(r);
    }

    private static double[] ratios(List<Map<String, DtlsLoad.Row>> rounds, String a, String b, Metric m) {
        return rounds.stream().mapToDouble(r -> {
            double x = value(r, a, m);
            double y = value(r, b, m);
            return x > 0 && y > 0 ? x / y : Double.NaN;
        }).filter(v -> !Double.isNaN(v)).sorted().toArray();
    }

    private static String cell(List<Map<String, DtlsLoad.Row>> rounds, String server, Metric m, int width) {
        double[] v = rounds.stream().mapToDouble(r -> value(r, server, m)).filter(x -> x > 0 && !Double.isNaN(x))
                .sorted().toArray();
        double med = IssueTable.median(v);
        String s = Double.isNaN(med) ? "-" : m.lowerIsBetter() ? String.format(Locale.ROOT, "%.1f", med)
                : String.format(Locale.ROOT, "%.0f", med);
        return String.format(Locale.ROOT, "%" + width + "s", s);
    }

    private static String ratioCell(List<Map<String, DtlsLoad.Row>> rounds, String a, String b, Metric m, int width) {
        return String.format(Locale.ROOT, "%" + width + "s", fmt(IssueTable.median(ratios(rounds, a, b, m)), "x"));
    }

    private static String fmt(double v, String unit) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f%s", v, unit);
    }
}
