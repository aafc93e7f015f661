package org.jevent.benchmarks.echo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The 1&rarr;N event-loop curve ({@code --servers loops}): a server run on one loop and on N
 * loops in the same run ({@code NAME:1} and {@code NAME:N}: the example's {@code --loops N},
 * Netty's N worker threads), for the 64 B and 64 KiB streams. For each: the rate, the rate per
 * server CPU-second, how busy the server process and the load client's thread were, and the CPU
 * time of each event-loop thread (how evenly the connections were spread); then N/1 of the rate
 * and of the rate per CPU-second, taken within a round (both runs shared the machine's load) and,
 * with several rounds, their median.
 *
 * <p>How to read it is in {@code benchmarks/README.md} ("The 1&rarr;2 loop curve"): in short, a
 * second loop can only raise the rate when there is a free core for it; the client's busy share
 * says whether the client set the rate, and the rate per CPU-second says what the second loop
 * cost.
 */
final class LoopCurve {

    private LoopCurve() {
    }

    /**
     * Servers of the round that ran with explicit loop counts, by name without the count, each
     * with its counts in order; only those with a 1-loop run and at least one other.
     */
    private static Map<String, TreeSet<Integer>> curves(Map<String, Report.Row> round) {
        Map<String, TreeSet<Integer>> out = new LinkedHashMap<>();
        for (String name : round.keySet()) {
            if (Servers.hasLoops(name)) {
                out.computeIfAbsent(Servers.base(name), b -> new TreeSet<>()).add(Servers.loops(name));
            }
        }
        out.values().removeIf(counts -> !counts.contains(1) || counts.size() < 2);
        return out;
    }

    /** The table of one round; nothing when the round has no server on both 1 and N loops. */
    static void printRound(Map<String, Report.Row> round) {
        Map<String, TreeSet<Integer>> curves = curves(round);
        if (curves.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("1 -> N event loops (the example's --loops N, Netty's N worker threads beside its boss);"
                + " N/1 = the N-loop run over the 1-loop run of the same server");
        System.out.println("busy = CPU-seconds / wall seconds: srv = the whole server process, client = the load"
                + " generator's one thread (near 100%: the client set the rate); loop threads = CPU-seconds of each"
                + " event-loop thread in the window");
        System.out.printf(Locale.ROOT, "%-18s %-10s %5s %12s %12s %9s %12s  %s%n", "server", "workload", "loops", "rate",
                "per cpu-s", "srv busy", "client busy", "loop threads, cpu s");
        for (Map.Entry<String, TreeSet<Integer>> c : curves.entrySet()) {
            for (StreamWorkload w : StreamWorkload.BOTH) {
                StreamLoad.Run one = run(round, c.getKey(), 1, w);
                if (one == null) {
                    continue;
                }
                for (int n : c.getValue()) {
                    StreamLoad.Run r = run(round, c.getKey(), n, w);
                    if (r == null) {
                        continue;
                    }
                    System.out.printf(Locale.ROOT, "%-18s %-10s %5d %12.0f %12.0f %8.0f%% %11.0f%%  %s%n", c.getKey(),
                            w.title(), n, w.rate(r), w.perCpu(r), 100 * r.serverCpuSeconds() / r.seconds(),
                            100 * r.clientCpuSeconds() / r.seconds(), loopThreads(r));
                }
                for (int n : c.getValue()) {
                    StreamLoad.Run r = run(round, c.getKey(), n, w);
                    if (n != 1 && r != null) {
                        System.out.printf(Locale.ROOT, "%-18s %-10s %5s %12s %12s%n", c.getKey(), w.title(), n + "/1",
                                ratio(w.rate(r) / w.rate(one)), ratio(w.perCpu(r) / w.perCpu(one)));
                    }
                }
            }
        }
    }

    /** With several rounds: the median over the rounds of each N/1 ratio, and its range. */
    static void printSummary(List<Map<String, Report.Row>> rounds) {
        if (rounds.size() < 2 || curves(rounds.get(0)).isEmpty()) {
            return;
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "1 -> N event loops, N/1 ratios over %d rounds: median (min - max)%n",
                rounds.size());
        System.out.printf(Locale.ROOT, "%-18s %-10s %5s %22s %22s%n", "server", "workload", "N/1", "rate", "per cpu-s");
        for (Map.Entry<String, TreeSet<Integer>> c : curves(rounds.get(0)).entrySet()) {
            for (StreamWorkload w : StreamWorkload.BOTH) {
                for (int n : c.getValue()) {
                    if (n == 1) {
                        continue;
                    }
                    List<Double> rates = new ArrayList<>();
                    List<Double> perCpu = new ArrayList<>();
                    for (Map<String, Report.Row> round : rounds) {
                        StreamLoad.Run one = run(round, c.getKey(), 1, w);
                        StreamLoad.Run r = run(round, c.getKey(), n, w);
                        if (one != null && r != null) {
                            rates.add(w.rate(r) / w.rate(one));
                            perCpu.add(w.perCpu(r) / w.perCpu(one));
                        }
                    }
                    if (!rates.isEmpty()) {
                        System.out.printf(Locale.ROOT, "%-18s %-10s %5s %22s %22s%n", c.getKey(), w.title(), n + "/1",
                                spread(rates), spread(perCpu));
                    }
                }
            }
        }
    }

    private static StreamLoad.Run run(Map<String, Report.Row> round, String base, int loops, StreamWorkload w) {
        Report.Row row = round.get(base + ":" + loops);
        return w.of(row);
    }

    /** Each loop thread's CPU-seconds, busiest first: {@code 4.1 3.7}. */
    private static String loopThreads(StreamLoad.Run r) {
        StringBuilder b = new StringBuilder();
        r.loopThreads().values().stream().sorted((x, y) -> Double.compare(y, x))
                .forEach(s -> b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", s)));
        return b.length() == 0 ? "-" : b.toString();
    }

    private static String ratio(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%.2fx", v);
    }

    /** {@code 0.93x (0.88x - 0.97x)}. */
    private static String spread(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return ratio(median) + " (" + ratio(v[0]) + " - " + ratio(v[n - 1]) + ")";
    }
}
