package org.jevent.benchmarks.echo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The comparison table of issue 14, laid out as the issue lays it out (workloads down, servers
 * across: libevent, Netty on the JDK, on Conscrypt and on BoringSSL, plain NIO, jevent's
 * {@code echo-server} example, and the benchmark's own jevent server beside it), per server
 * CPU-second, with the issue's floors checked against the example. With several rounds each
 * cell is the median of the rounds, a second table gives the spread, and every ratio is taken
 * within a round (servers of one round shared the machine's load) before its median is taken.
 *
 * <p>Idle memory: what a connection holds is its live heap plus the memory outside the heap it
 * adds to the RSS. The peers' Java servers run on a pinned, pre-touched heap, where that is what
 * is measured; the two idle rows with floors count the example the same way ({@code
 * jevent-example@pinned}, {@code jevent-example-tls@pinned}). The two {@code G1 RSS} rows are the
 * example as users start it (JVM defaults): its RSS alone, which moves with every heap page the
 * collector commits or gives back, garbage included, so it says more about the collector's
 * sizing than about the connection; shown, not judged (PERF-NOTES, "Session 6").
 */
public final class IssueTable {
    /** A column: its title, and the server that fills it in plain rows and in TLS rows (or null). */
    private record Column(String title, String plain, String tls) {
        String server(boolean tlsRow) {
            return tlsRow ? tls : plain;
        }
    }

    private static final List<Column> PEERS = List.of(
            new Column("libevent", "libevent", "libevent-tls"),
            new Column("Netty JDK", "netty", "netty-tls-jdk"),
            new Column("Netty Consc", null, "netty-tls-conscrypt"),
            new Column("Netty BSSL", null, "netty-tls-openssl"),
            new Column("plain NIO", "nio", null));
    private static final Column EXAMPLE = new Column("jevent ex", "jevent-example", "jevent-example-tls");
    private static final Column BENCH = new Column("jevent bench", "jevent", "jevent-tls-conscrypt");

    /** How a floor of the issue is checked on one round: null where the row has none. */
    private interface Floor {
        /** The figure the floor is stated in (a ratio, or KiB), or NaN if it cannot be computed. */
        double value(Map<String, Report.Row> round);

        boolean met(double value);

        String text();
    }

    /**
     * One row. {@code exampleVariant} is the JVM variant the example's cell is taken from
     * ({@code ""}: the example as users run it; {@code "pinned"}: on the peers' pinned heap).
     */
    private record Line(String title, boolean tls, boolean lowerIsBetter, ToDoubleFunction<Report.Row> metric,
            Floor floor, String exampleVariant) {
        Line(String title, boolean tls, boolean lowerIsBetter, ToDoubleFunction<Report.Row> metric, Floor floor) {
            this(title, tls, lowerIsBetter, metric, floor, "");
        }

        /** The server a column's cell of this row comes from. */
        String server(Column c) {
            return c == EXAMPLE ? example(tls, exampleVariant) : c.server(tls);
        }
    }

    private static final List<Line> LINES = List.of(
            new Line("plain 64 B msg/cpu-s", false, false, Report::msgsPerCpu, null),
            new Line("plain 64 KiB MB/cpu-s", false, false, Report::mbPerCpu,
                    ratioFloor("ex/max(netty,nio) >= 1.0", false, Report::mbPerCpu, "netty", "nio")),
            new Line("plain 64K MB/app-cpu-s", false, false, Report::mbPerAppCpu, null),
            new Line("TLS 64 B msg/cpu-s", true, false, Report::msgsPerCpu, null),
            new Line("TLS 64 KiB MB/cpu-s", true, false, Report::mbPerCpu, null),
            new Line("TLS full hs/cpu-s", true, false, r -> r.hs == null ? 0 : Report.hsPerCpu(r.hs),
                    ratioFloor("ex/libevent >= 1.0", true, r -> r.hs == null ? 0 : Report.hsPerCpu(r.hs),
                            "libevent-tls")),
            new Line("TLS full hs/app-cpu-s", true, false, r -> r.hs == null ? 0 : Report.hsPerAppCpu(r.hs), null),
            new Line("idle plain KiB/conn", false, true, IssueTable::idleKiB, kibFloor(false, "pinned", 2), "pinned"),
            new Line("idle TLS KiB/conn", true, true, IssueTable::idleKiB, kibFloor(true, "pinned", 16), "pinned"),
            new Line("idle plain, ex G1 RSS", false, true, IssueTable::idleKiB, null),
            new Line("idle TLS, ex G1 RSS", true, true, IssueTable::idleKiB, null));

    private IssueTable() {
    }

    private static double idleKiB(Report.Row r) {
        return r.idle == null ? 0 : r.idle.sumPerConn() / 1024;
    }

    private static Floor ratioFloor(String text, boolean tls, ToDoubleFunction<Report.Row> metric, String... peers) {
        return new Floor() {
            @Override
            public double value(Map<String, Report.Row> round) {
                double ex = cell(round, EXAMPLE.server(tls), metric);
                double best = 0;
                for (String p : peers) {
                    best = Math.max(best, cell(round, p, metric));
                }
                return ex > 0 && best > 0 ? ex / best : Double.NaN;
            }

            @Override
            public boolean met(double value) {
                return value >= 1.0;
            }

            @Override
            public String text() {
                return text;
            }
        };
    }

    private static Floor kibFloor(boolean tls, String exampleVariant, double maxKiB) {
        String example = example(tls, exampleVariant);
        return new Floor() {
            @Override
            public double value(Map<String, Report.Row> round) {
                double v = cell(round, example, IssueTable::idleKiB);
                return v > 0 ? v : Double.NaN;
            }

            @Override
            public boolean met(double value) {
                return value <= maxKiB;
            }

            @Override
            public String text() {
                return String.format(Locale.ROOT, "ex <= %.0f KiB", maxKiB);
            }
        };
    }

    /** The example's server name for plain or TLS rows, in the JVM {@code variant} ({@code ""}: none). */
    private static String example(boolean tls, String variant) {
        return EXAMPLE.server(tls) + (variant.isEmpty() ? "" : "@" + variant);
    }

    /** The metric of {@code server} in one round, or 0 where it did not run. */
    private static double cell(Map<String, Report.Row> round, String server, ToDoubleFunction<Report.Row> metric) {
        if (server == null) {
            return 0;
        }
        Report.Row r = round.get(server);
        return r == null ? 0 : metric.applyAsDouble(r);
    }

    /** Prints the table if the run had the example or a peer of it; {@code rounds} in run order. */
    static void print(List<Map<String, Report.Row>> rounds) {
        boolean any = rounds.stream().anyMatch(r -> r.containsKey(EXAMPLE.plain) || r.containsKey(EXAMPLE.tls));
        if (!any) {
            return;
        }
        List<Column> cols = new ArrayList<>(PEERS);
        cols.add(EXAMPLE);
        cols.add(BENCH);
        System.out.println();
        System.out.printf(Locale.ROOT, "issue 14 comparison, per server CPU-second (idle: KiB per connection), median of"
                + " %d round(s); ex = jevent's echo-server example; ratios taken within each round%n", rounds.size());
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-22s", "workload"));
        for (Column c : cols) {
            head.append(String.format(Locale.ROOT, " %12s", c.title));
        }
        head.append(String.format(Locale.ROOT, " %10s %8s  %s", "ex/best", "ex/bench", "floor (median, verdict)"));
        System.out.println(head);
        for (Line row : LINES) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-22s", row.title));
            for (Column c : cols) {
                double m = median(perRound(rounds, r -> cell(r, row.server(c), row.metric)));
                b.append(String.format(Locale.ROOT, " %12s", fmt(m, row.lowerIsBetter)));
            }
            double exBest = median(perRound(rounds, r -> {
                double ex = cell(r, row.server(EXAMPLE), row.metric);
                double best = Double.NaN;
                for (Column p : PEERS) {
                    double v = cell(r, p.server(row.tls), row.metric);
                    if (v > 0) {
                        best = Double.isNaN(best) ? v : row.lowerIsBetter ? Math.min(best, v) : Math.max(best, v);
                    }
                }
                return ex > 0 ? ex / best : Double.NaN;
            }));
            double exBench = median(perRound(rounds, r -> {
                double ex = cell(r, row.server(EXAMPLE), row.metric);
                double bench = cell(r, BENCH.server(row.tls), row.metric);
                return ex > 0 && bench > 0 ? ex / bench : Double.NaN;
            }));
            b.append(String.format(Locale.ROOT, " %10s %8s", ratio(exBest), ratio(exBench)));
            if (row.floor != null) {
                double f = median(perRound(rounds, row.floor::value));
                b.append(String.format(Locale.ROOT, "  %s: %s %s", row.floor.text(),
                        Double.isNaN(f) ? "-" : String.format(Locale.ROOT, "%.2f", f),
                        Double.isNaN(f) ? "" : row.floor.met(f) ? "met" : "MISSED"));
            }
            System.out.println(b);
        }
        if (rounds.size() > 1) {
            System.out.println("spread over the rounds, (max - min) / median, %:");
            System.out.println(head.substring(0, 22 + 13 * cols.size()));
            for (Line row : LINES) {
                StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-22s", row.title));
                for (Column c : cols) {
                    double[] v = perRound(rounds, r -> cell(r, row.server(c), row.metric));
                    double m = median(v);
                    b.append(String.format(Locale.ROOT, " %12s",
                            Double.isNaN(m) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * spread(v) / m)));
                }
                System.out.println(b);
            }
        }
        System.out.println("ex/best: the example over the best peer of the row (for idle rows: over the lowest;"
                + " below 1.0 is better there); ex/bench: the example over the benchmark's own jevent server;"
                + " app-cpu rows count only the servers' application threads (JIT compiler and GC threads left out);"
                + " idle rows: heap plus RSS added, the example on the peers' pinned heap (@pinned); G1 RSS rows:"
                + " the example as started with JVM defaults, its RSS alone");
    }

    /** The figure of every round where it exists (0 and NaN dropped). */
    private static double[] perRound(List<Map<String, Report.Row>> rounds, ToDoubleFunction<Map<String, Report.Row>> f) {
        return rounds.stream().mapToDouble(f).filter(v -> v > 0 && !Double.isNaN(v)).sorted().toArray();
    }

    /**
     * The median of sorted figures, NaN for none.
     *
     * @param sorted ascending
     * @return the middle one, or the mean of the two middle ones
     */
    public static double median(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * Max minus min of sorted figures, NaN for none.
     *
     * @param sorted ascending
     * @return the spread
     */
    public static double spread(double[] sorted) {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] - sorted[0];
    }

    private static String fmt(double v, boolean kib) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (kib) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return v >= 10_000 ? String.format(Locale.ROOT, "%.0f k", v / 1000) : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String ratio(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2fx", v);
    }
}
