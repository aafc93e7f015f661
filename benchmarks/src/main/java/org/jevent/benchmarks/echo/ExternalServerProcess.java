package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * An echo server that knows nothing of the load run, started as its users start it: jevent's
 * {@code echo-server} example ({@code java -jar jevent-examples.jar echo-server ...}, with the
 * JVM's own defaults unless {@code -Djevent.echo.exampleJvmArgs} says otherwise) or the libevent
 * C server ({@code benchmarks/c/libevent-echo.c}). Everything is read from outside:
 * CPU time and RSS from {@code /proc}, connections from its sockets on the port
 * ({@link ProcFs}), and for a JVM the heap through {@code jcmd} (two {@code GC.run}, then
 * {@code GC.heap_info}). Its standard error (the example's log: one line per connection end) goes
 * to a file, {@code -Djevent.echo.logDir} (default {@code /tmp/jevent-echo-logs}).
 */
final class ExternalServerProcess extends ServerProcess {
    private final boolean jvm;
    /** True when the JVM's heap pages are resident from the start, so RSS does not move with the heap. */
    private final boolean heapPinned;
    private final Thread drain;

    private ExternalServerProcess(String impl, Process process, BufferedReader out, boolean jvm, boolean heapPinned)
            throws IOException {
        super(impl, process, out);
        this.jvm = jvm;
        this.heapPinned = heapPinned;
        // Nothing more is expected on stdout, but it must never fill up and block the server.
        this.drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, impl + "-stdout");
        drain.setDaemon(true);
        drain.start();
    }

    static ExternalServerProcess start(String impl, ClientTls tls, EchoLoad.Options o) throws IOException {
        List<String> cmd = new ArrayList<>(pinPrefix(o));
        boolean jvm = Servers.isExample(impl);
        boolean pinned = false;
        if (jvm) {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            List<String> extra = new ArrayList<>(extraArgs("jevent.echo.exampleJvmArgs"));
            extra.addAll(extraArgs("jevent.echo.serverJvmArgs"));
            extra.addAll(Servers.variantJvmArgs(impl, Servers.logDir(), o.serverHeap, o.serverYoung));
            pinned = extra.contains("-XX:+AlwaysPreTouch");
            cmd.addAll(extra);
            cmd.addAll(List.of("-jar", Servers.examplesJar(impl).toString(), "echo-server", "--host", "127.0.0.1",
                    "--port", "0"));
            // The example caps its connections (1,024 by default) and refuses the rest; the idle
            // workload opens --idle/--idle-tls of them at once, so lift the cap above that count.
            int cap = Math.max(o.idle, o.idleTls);
            if (cap > 0) {
                cmd.addAll(List.of("--max-connections", Integer.toString(cap + 1024)));
            }
            if (Servers.hasLoops(impl)) {
                cmd.addAll(List.of("--loops", Integer.toString(Servers.loops(impl))));
            }
            if (tls != null) {
                cmd.addAll(List.of("--tls", "--cert", tls.cert.toString(), "--key", tls.key.toString()));
                if (Servers.base(impl).endsWith("-jdk")) {
                    cmd.addAll(List.of("--provider", "jdk"));
                } else if (Servers.base(impl).endsWith("-tcnative")) {
                    cmd.addAll(List.of("--provider", "tcnative"));
                }
            }
        } else {
            cmd.add(Servers.libeventEcho().toString());
            if (tls != null) {
                cmd.addAll(List.of("--cert", tls.cert.toString(), "--key", tls.key.toString()));
            }
            cmd.addAll(extraArgs("jevent.echo.libeventArgs"));
        }
        Path logs = Servers.logDir();
        Files.createDirectories(logs);
        File log = Files.createTempFile(logs, impl.replace(':', '-').replace('@', '-') + "-", ".log").toFile();
        Process p = ChildProcesses.start(new ProcessBuilder(cmd).redirectError(log));
        System.err.printf(Locale.ROOT, "  %s: pid %d, log %s%n", impl, p.pid(), log);
        return new ExternalServerProcess(impl, p,
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)), jvm, pinned);
    }

    @Override
    boolean isJvm() {
        return jvm;
    }

    @Override
    public long cpuNanos() throws IOException {
        return ProcFs.cpuNanos(process.pid());
    }

    @Override
    public int connections() throws IOException {
        return ProcFs.connections(process.pid(), address.getPort());
    }

    @Override
    public Memory memory() throws IOException {
        long heap = -1;
        if (jvm) {
            jcmd("GC.run");
            jcmd("GC.run");
            heap = heapUsed(jcmd("GC.heap_info"));
        }
        return new Memory(heap, ProcFs.rss(process.pid()), jvm && !heapPinned);
    }

    /**
     * Heap used from {@code GC.heap_info}: the "used" of the G1 heap line, or the sum over the
     * generations (Serial, Parallel); Metaspace and class space are not heap.
     */
    static long heapUsed(String heapInfo) throws IOException {
        long used = 0;
        boolean found = false;
        for (String l : heapInfo.split("\n")) {
            String t = l.trim();
            if (t.startsWith("Metaspace") || t.startsWith("class space") || !t.contains(" total ")
                    || !t.contains("used ")) {
                continue;
            }
            String v = t.substring(t.indexOf("used ") + 5).trim();
            int end = 0;
            while (end < v.length() && Character.isDigit(v.charAt(end))) {
                end++;
            }
            long n = Long.parseLong(v.substring(0, end));
            used += v.startsWith("K", end) ? n * 1024 : v.startsWith("M", end) ? n << 20 : n;
            found = true;
        }
        if (!found) {
            throw new IOException("no heap figure in: " + heapInfo);
        }
        return used;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: both servers stop cleanly on it
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        drain.join(1000);
    }
}
