package org.jevent.benchmarks.echo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What jevent's observability hooks (JFR events, loop-stall detector) cost ({@code --servers jfr}):
 * one server run in its three JVM variants in the same round ({@link Servers#variantJvmArgs}):
 * as shipped with no recording ({@code default}), with the hooks compiled out ({@code nojfr},
 * {@code -Djevent.jfr=false}) and under a flight recording ({@code jfr}). Per stream workload:
 * the rate, the rate per server CPU-second (all threads of the process) and per CPU-second of its
 * event-loop threads (where the hooks run; JIT, GC and JFR's own threads left out); then
 * {@code default/nojfr} and {@code jfr/nojfr} of both, within the round, and over several rounds
 * their median and range. A ratio below 1.00x is the cost: {@code 0.99x} per CPU-second is 1 %
 * more CPU per message.
 */
final class JfrCost {
    private static final List<String> COMPARED = List.of("", "jfr");

    private JfrCost() {
    }

    /** Servers of the round (names without variant) that ran both as shipped and with {@code @nojfr}. */
    private static List<String> servers(Map<String, Report.Row> round) {
        List<String> out = new ArrayList<>();
        for (String name : round.keySet()) {
            String plain = Servers.withoutVariant(name);
            if (Servers.variant(name).equals("nojfr") && round.containsKey(plain) && !out.contains(plain)) {
                out.add(plain);
            }
        }
        return out;
    }

    private static String name(String server, String variant) {
        return variant.isEmpty() ? server : server + "@" + variant;
    }

    private static String label(String variant) {
        return variant.isEmpty() ? "default" : variant;
    }

    static void printRound(Map<String, Report.Row> round) {
        List<String> servers = servers(round);
        if (servers.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("JFR hooks: default = as shipped, no recording; nojfr = -Djevent.jfr=false (JFR events and"
                + " stall detector compiled out); jfr = -XX:StartFlightRecording (default settings)");
        System.out.println("per cpu-s = per CPU-second of the whole server process; per loop-s = per CPU-second of its"
                + " event-loop threads; jit = compiler threads' share of the server's CPU in the window");
        System.out.printf(Locale.ROOT, "%-22s %-10s %-8s %12s %12s %12s %9s %5s%n", "server", "workload", "variant",
                "rate", "per cpu-s", "per loop-s", "srv busy", "jit");
        for (String s : servers) {
            for (StreamWorkload w : StreamWorkload.BOTH) {
                StreamLoad.Run base = run(round, s, "nojfr", w);
                if (base == null) {
                    continue;
                }
                for (String v : List.of("", "nojfr", "jfr")) {
                    StreamLoad.Run r = run(round, s, v, w);
                    if (r != null) {
                        System.out.printf(Locale.ROOT, "%-22s %-10s %-8s %12.0f %12.0f %12.0f %8.0f%% %4.1f%%%n", s,
                                w.title(), label(v), w.rate(r), w.perCpu(r), perLoop(r, w),
                                100 * r.serverCpuSeconds() / r.seconds(),
                                100 * r.threads().getOrDefault("jit", 0.0) / r.serverCpuSeconds());
                    }
                }
                for (String v : COMPARED) {
                    StreamLoad.Run r = run(round, s, v, w);
                    if (r != null) {
                        System.out.printf(Locale.ROOT, "%-22s %-10s %-8s %12s %12s %12s%n", s, w.title(),
                                label(v) + "/nojfr", ratio(w.rate(r) / w.rate(base)),
                                ratio(w.perCpu(r) / w.perCpu(base)), ratio(perLoop(r, w) / perLoop(base, w)));
                    }
                }
            }
        }
    }

    /** With several rounds: each ratio's median over the rounds and its range. */
    static void printSummary(List<Map<String, Report.Row>> rounds) {
        if (rounds.size() < 2 || servers(rounds.get(0)).isEmpty()) {
            return;
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "JFR hooks, ratios to nojfr over %d rounds: median (min - max);"
                + " CPU per message = 1 / median per cpu-s - 1; at equal rate = per cpu-s where the rate ratio is 1,"
                + " from a least-squares line through the rounds' (log rate ratio, log per cpu-s ratio)%n",
                rounds.size());
        System.out.printf(Locale.ROOT, "%-22s %-10s %-14s %22s %22s %22s %14s %14s%n", "server", "workload", "ratio",
                "rate", "per cpu-s", "per loop-s", "CPU per msg", "at equal rate");
        for (String s : servers(rounds.get(0))) {
            for (StreamWorkload w : StreamWorkload.BOTH) {
                for (String v : COMPARED) {
                    List<Double> rates = new ArrayList<>();
                    List<Double> perCpu = new ArrayList<>();
                    List<Double> perLoop = new ArrayList<>();
                    for (Map<String, Report.Row> round : rounds) {
                        StreamLoad.Run base = run(round, s, "nojfr", w);
                        StreamLoad.Run r = run(round, s, v, w);
                        if (base != null && r != null) {
                            rates.add(w.rate(r) / w.rate(base));
                            perCpu.add(w.perCpu(r) / w.perCpu(base));
                            perLoop.add(perLoop(r, w) / perLoop(base, w));
                        }
                    }
                    if (!rates.isEmpty()) {
                        System.out.printf(Locale.ROOT, "%-22s %-10s %-14s %22s %22s %22s %+13.1f%% %14s%n", s,
                                w.title(), label(v) + "/nojfr", spread(rates), spread(perCpu), spread(perLoop),
                                100 * (1 / median(perCpu) - 1), ratio(atEqualRate(rates, perCpu)));
                    }
                }
            }
        }
    }

    /**
     * The per-CPU-second ratio where the rate ratio is 1: the intercept of the least-squares line
     * of log(per cpu-s ratio) over log(rate ratio). Why: a server that got more of the machine in
     * a window also spent less CPU per message (more messages per wake-up), so a round's ratio
     * moves with its rate ratio; the intercept compares the variants at the same rate. NaN with
     * fewer than 3 rounds or no spread in the rates.
     */
    static double atEqualRate(List<Double> rateRatios, List<Double> perCpuRatios) {
        int n = rateRatios.size();
        if (n < 3) {
            return Double.NaN;
        }
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            double x = Math.log(rateRatios.get(i));
            double y = Math.log(perCpuRatios.get(i));
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double var = n * sxx - sx * sx;
        if (var <= 0) {
            return Double.NaN;
        }
        double slope = (n * sxy - sx * sy) / var;
        return Math.exp((sy - slope * sx) / n);
    }

    private static StreamLoad.Run run(Map<String, Report.Row> round, String server, String variant, StreamWorkload w) {
        Report.Row row = round.get(name(server, variant));
        return w.of(row);
    }

    /** Per CPU-second of the event-loop threads; NaN for a server without named loop threads. */
    private static double perLoop(StreamLoad.Run r, StreamWorkload w) {
        double loop = r.loopThreads().values().stream().mapToDouble(Double::doubleValue).sum();
        return loop == 0 ? Double.NaN : r.bytes() / w.bytesPerUnit() / loop;
    }

    private static String ratio(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%.3fx", v);
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** {@code 0.993x (0.981x - 1.004x)}. */
    private static String spread(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return ratio(median(values)) + " (" + ratio(v[0]) + " - " + ratio(v[v.length - 1]) + ")";
    }
}
