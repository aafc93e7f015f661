package org.jevent.benchmarks.echo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code --together}: the JVM variants of one server ({@code NAME}, {@code NAME@nojfr},
 * {@code NAME@jfr}) run at the same time, each with its own load client thread, instead of one
 * after the other. On a machine whose other load comes and goes (a shared box), servers run in
 * turn meet different loads, and the CPU a server spends per message moves with its load (fewer
 * messages per wake-up when it gets less CPU); servers run together meet the same load, so that
 * their ratio within a round is far steadier. Each is then a fraction of the machine, so the
 * rates are lower than alone: read the ratios, not the rates. Streams only ({@code small},
 * {@code large}); the handshake and idle workloads run each server alone.
 */
final class TogetherRun {
    private TogetherRun() {
    }

    /** {@code servers} split into runs of consecutive names that differ only in their variant. */
    static List<List<String>> groups(List<String> servers) {
        List<List<String>> out = new ArrayList<>();
        for (String s : servers) {
            List<String> last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && Servers.withoutVariant(last.get(0)).equals(Servers.withoutVariant(s))) {
                last.add(s);
            } else {
                out.add(new ArrayList<>(List.of(s)));
            }
        }
        return out;
    }

    /** Starts every server of {@code group}, drives each stream workload on all at once, and adds their rows. */
    static void run(List<String> group, ClientTls tls, EchoLoad.Options o, Map<String, Report.Row> rows)
            throws Exception {
        Map<String, Report.Row> out = new LinkedHashMap<>();
        List<ServerProcess> servers = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(group.size());
        try {
            for (String s : group) {
                servers.add(ServerProcess.start(s, Servers.isTls(s) ? tls : null, o));
                out.put(s, new Report.Row());
            }
            for (StreamWorkload w : StreamWorkload.BOTH) {
                if (!o.workloads.contains(w.name())) {
                    continue;
                }
                List<Future<StreamLoad.Run>> runs = new ArrayList<>();
                for (ServerProcess server : servers) {
                    ClientTls t = Servers.isTls(server.impl) ? tls : null;
                    runs.add(clients.submit(() -> o.streamClient.run(server, t, w, o.warmup, o.seconds)));
                }
                for (int i = 0; i < servers.size(); i++) {
                    StreamLoad.Run r = runs.get(i).get();
                    Report.Row row = out.get(servers.get(i).impl);
                    if (w == StreamWorkload.SMALL) {
                        row.small = r;
                    } else {
                        row.large = r;
                    }
                    System.err.printf(Locale.ROOT, "  %s %s: %.0f %s, server cpu %.2f s (%s)%n", servers.get(i).impl,
                            w.name(), w.rate(r), w == StreamWorkload.SMALL ? "msg/s" : "MB/s", r.serverCpuSeconds(),
                            ProcFs.describe(r.threads()));
                }
            }
        } finally {
            clients.shutdownNow();
            for (ServerProcess s : servers) {
                s.close();
            }
        }
        rows.putAll(out);
    }
}
