package org.jevent.benchmarks.echo;

import java.util.Locale;
import java.util.Map;

/**
 * Prints the tables of one run and the ratios that the issues' floors are stated in: against
 * Netty with the same TLS provider (per server CPU-second), against {@code netty-tls-jdk} (the
 * handshake floor), and against plain NIO.
 */
final class Report {
    /** Everything measured for one server; a workload that did not run is null. */
    static final class Row {
        StreamLoad.Run small;
        StreamLoad.Run large;
        EchoLoad.Handshakes hs;
        IdleLoad.Result idle;
    }

    private Report() {
    }

    /**
     * The Netty server using the same TLS provider (or none), or null; with the same loop count
     * when the name has one ({@code jevent-example:2} is compared with {@code netty:2}).
     */
    static String samePeer(String server) {
        String peer = samePeerOf(Servers.base(server));
        return peer == null || !Servers.hasLoops(server) ? peer : peer + ":" + Servers.loops(server);
    }

    private static String samePeerOf(String server) {
        return switch (server) {
            case "jevent" -> "netty";
            case "jevent-tls-conscrypt" -> "netty-tls-conscrypt";
            case "jevent-tls-jdk", "jevent-example-tls-jdk" -> "netty-tls-jdk";
            case "jevent-example" -> "netty";
            case "jevent-example-tls" -> "netty-tls-conscrypt";
            case "jevent-tls-tcnative", "jevent-example-tls-tcnative" -> "netty-tls-openssl";
            default -> null;
        };
    }

    static void print(Map<String, Row> rows, EchoLoad.Options o) {
        streams(rows);
        handshakes(rows, o);
        idle(rows);
        ratios(rows);
    }

    private static void streams(Map<String, Row> rows) {
        if (rows.values().stream().allMatch(r -> r.small == null && r.large == null)) {
            return;
        }
        System.out.println();
        System.out.println("srv busy = server CPU-seconds / wall seconds (about 100% for a saturated one-loop server)");
        System.out.printf(Locale.ROOT, "%-22s %11s %11s %8s %9s %10s %8s%n", "server", "64B msg/s", "msg/cpu-s",
                "srv busy", "64K MB/s", "MB/cpu-s", "srv busy");
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            Row x = e.getValue();
            System.out.printf(Locale.ROOT, "%-22s %11.0f %11.0f %7.0f%% %9.0f %10.0f %7.0f%%%n", e.getKey(), msgs(x),
                    msgsPerCpu(x), busy(x.small), mb(x), mbPerCpu(x), busy(x.large));
        }
    }

    private static void handshakes(Map<String, Row> rows, EchoLoad.Options o) {
        if (rows.values().stream().allMatch(r -> r.hs == null)) {
            return;
        }
        Row jdk = rows.get("netty-tls-jdk");
        System.out.println();
        System.out.printf(Locale.ROOT, "full handshakes, %d in flight, client %s%s%n", o.hsParallel,
                o.hsClient == HandshakeLoad.Kind.OPENSSL ? "openssl s_time (one process each)"
                        : "Java/Conscrypt on " + o.hsThreads + " threads",
                ", ratios x = server / netty-tls-jdk, same = server / Netty with the same provider");
        System.out.println("jit = share of the server's CPU in the window spent by JIT compiler threads;"
                + " hs/app-s = handshakes per CPU-second of its application threads (JIT and GC left out)");
        System.out.printf(Locale.ROOT, "%-22s %8s %8s %7s %8s %10s %5s %9s %11s %8s %8s %8s%n", "server", "hs", "hs/s",
                "srv cpu", "srv busy", "hs/cpu-s", "jit", "hs/app-s", "client ms/hs", "x hs/s", "x cpu-s", "same cpu");
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            EchoLoad.Handshakes h = e.getValue().hs;
            if (h == null) {
                continue;
            }
            Row same = samePeer(e.getKey()) == null ? null : rows.get(samePeer(e.getKey()));
            System.out.printf(Locale.ROOT, "%-22s %8d %8.0f %7.2f %7.0f%% %10.0f %4.0f%% %9.0f %11.3f %8s %8s %8s%n",
                    e.getKey(), h.count(), hsRate(h), h.serverCpuSeconds(), 100 * h.serverCpuSeconds() / h.seconds(),
                    hsPerCpu(h), 100 * h.threads().getOrDefault("jit", 0.0) / h.serverCpuSeconds(), hsPerAppCpu(h),
                    h.count() == 0 ? 0 : 1000 * h.clientCpuSeconds() / h.count(),
                    ratio(hsRate(h), jdk == null || jdk.hs == null ? 0 : hsRate(jdk.hs)),
                    ratio(hsPerCpu(h), jdk == null || jdk.hs == null ? 0 : hsPerCpu(jdk.hs)),
                    ratio(hsPerCpu(h), same == null || same.hs == null ? 0 : hsPerCpu(same.hs)));
        }
    }

    private static void idle(Map<String, Row> rows) {
        if (rows.values().stream().allMatch(r -> r.idle == null)) {
            return;
        }
        System.out.println();
        System.out.println("idle connections, bytes per connection: marginal = (all open − first third open) / the"
                + " other two thirds; from empty = (all open − none) / all; each a median of 3 readings after full GCs;"
                + " spread = max − min of the 3 readings with all open, per connection; heap+rss counts each byte once:"
                + " where the heap is not pinned (*, the example as users run it) the RSS already holds the heap's"
                + " growth and is the figure; the C server has no heap (-)");
        System.out.printf(Locale.ROOT, "%-22s %6s %9s %9s %9s %8s %12s %12s %8s %8s%n", "server", "conns", "heap",
                "rss", "heap+rss", "KiB", "empty: heap", "empty: rss", "spr heap", "spr rss");
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            IdleLoad.Result i = e.getValue().idle;
            if (i == null) {
                continue;
            }
            System.out.printf(Locale.ROOT, "%-22s %6d %9s %9.0f %8.0f%s %8.1f %12s %12.0f %8s %8.0f%n", e.getKey(),
                    i.connections(), num(i.heapPerConn()), i.rssPerConn(), i.sumPerConn(), i.heapInRss() ? "*" : " ",
                    i.sumPerConn() / 1024, num(i.heapFromEmpty()), i.rssFromEmpty(), num(i.heapSpread()), i.rssSpread());
        }
    }

    private static void ratios(Map<String, Row> rows) {
        System.out.println();
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            String peer = samePeer(e.getKey());
            Row p = peer == null ? null : rows.get(peer);
            if (p == null) {
                continue;
            }
            Row j = e.getValue();
            StringBuilder b = new StringBuilder(e.getKey() + " / " + peer + ":");
            if (j.small != null && p.small != null) {
                b.append(" 64B msg/s ").append(ratio(msgs(j), msgs(p))).append(", per cpu-s ")
                        .append(ratio(msgsPerCpu(j), msgsPerCpu(p))).append(';');
            }
            if (j.large != null && p.large != null) {
                b.append(" 64K MB/s ").append(ratio(mb(j), mb(p))).append(", per cpu-s ")
                        .append(ratio(mbPerCpu(j), mbPerCpu(p))).append(';');
            }
            if (j.hs != null && p.hs != null) {
                b.append(" handshakes/s ").append(ratio(hsRate(j.hs), hsRate(p.hs))).append(", per cpu-s ")
                        .append(ratio(hsPerCpu(j.hs), hsPerCpu(p.hs))).append(';');
            }
            if (j.idle != null && p.idle != null) {
                b.append(" idle heap+rss/conn ").append(ratio(j.idle.sumPerConn(), p.idle.sumPerConn()));
            }
            System.out.println(b);
        }
        Row nio = rows.get("nio");
        for (String name : new String[] {"jevent", "jevent-example"}) {
            Row j = rows.get(name);
            if (j != null && nio != null && j.small != null && nio.small != null && j.large != null
                    && nio.large != null) {
                System.out.printf(Locale.ROOT, "%s / nio: msg per cpu-s %.2fx, MB per cpu-s %.2fx%n", name,
                        msgsPerCpu(j) / msgsPerCpu(nio), mbPerCpu(j) / mbPerCpu(nio));
            }
        }
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static double busy(StreamLoad.Run r) {
        return r == null ? 0 : 100 * r.serverCpuSeconds() / r.seconds();
    }

    private static String ratio(double a, double b) {
        return b == 0 || a == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", a / b);
    }

    static double msgs(Row r) {
        return r.small == null ? 0 : r.small.bytes() / 64.0 / r.small.seconds();
    }

    static double msgsPerCpu(Row r) {
        return r.small == null ? 0 : r.small.bytes() / 64.0 / r.small.serverCpuSeconds();
    }

    static double mb(Row r) {
        return r.large == null ? 0 : r.large.bytes() / 1e6 / r.large.seconds();
    }

    static double mbPerCpu(Row r) {
        return r.large == null ? 0 : r.large.bytes() / 1e6 / r.large.serverCpuSeconds();
    }

    static double hsRate(EchoLoad.Handshakes h) {
        return h.count() / h.seconds();
    }

    static double hsPerAppCpu(EchoLoad.Handshakes h) {
        return h.count() / h.appCpuSeconds();
    }

    static double mbPerAppCpu(Row r) {
        return r.large == null ? 0 : r.large.bytes() / 1e6 / r.large.appCpuSeconds();
    }

    static double hsPerCpu(EchoLoad.Handshakes h) {
        return h.count() / h.serverCpuSeconds();
    }
}
