package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One of the benchmark's own {@link EchoServer}s in its own JVM, and the line protocol over its
 * standard input and output that reads its CPU time, connection count and memory.
 *
 * <p>The JVM is pinned so that its RSS does not move with the heap: {@code -Xms} equals
 * {@code -Xmx} and {@code -XX:+AlwaysPreTouch} makes every heap page resident before the first
 * connection. An RSS difference between two readings is then memory outside the Java heap
 * (direct buffers, native TLS state, malloc arenas, code), and heap-used-after-GC plus that
 * difference is what connections cost without counting anything twice.
 *
 * <p>The young generation is small and fixed ({@code young}, 32m by default) so that a
 * collection comes every thousand handshakes or so: a Conscrypt engine that was closed without
 * wrapping its close_notify keeps its native SSL and a pipe (two descriptors) until it is
 * finalized, which takes two young collections, in jevent's and in Netty's servers alike. The
 * jevent server allocates so little per handshake (about 10-20 KB) that with a 128 MB young
 * generation it ran out of descriptors (20,000) within seconds of the handshake workload.
 */
public final class BenchServerProcess extends ServerProcess {
    private final PrintWriter in;
    private final BufferedReader out;

    private BenchServerProcess(String impl, Process process, BufferedReader out) throws IOException {
        super(impl, process, out);
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        this.out = out;
    }

    /**
     * Starts server {@code impl} ({@code tls} gives its certificate and key, or is null) with a
     * pinned heap of {@code --server-heap} and a young generation of {@code --server-young}, on
     * the {@code --pin} CPUs, with any extra JVM options from {@code -Djevent.echo.serverJvmArgs}.
     */
    static BenchServerProcess start(String impl, ClientTls tls, EchoLoad.Options o) throws IOException {
        List<String> args = new ArrayList<>(List.of(impl));
        if (tls != null) {
            args.addAll(List.of(tls.cert.toString(), tls.key.toString()));
        }
        return start(EchoServer.class.getName(), impl, args, o.pin, o.serverHeap, o.serverYoung,
                Servers.variantJvmArgs(impl, Servers.logDir(), o.serverHeap, o.serverYoung));
    }

    /**
     * Starts {@code mainClass} (a server that answers through {@link EchoServer#serve}) with
     * {@code args}, on this JVM's class path, with a pinned heap of {@code heap}, a young
     * generation of {@code young}, on the {@code pin} CPUs (or anywhere if null), with any extra
     * JVM options from {@code -Djevent.echo.serverJvmArgs}.
     *
     * @param mainClass the server's main class
     * @param impl the server's name in the run
     * @param args its arguments
     * @param pin a {@code taskset -c} CPU list, or null
     * @param heap {@code -Xms} and {@code -Xmx}
     * @param young {@code -Xmn}
     * @return the process, once it listens
     * @throws IOException if it cannot start or does not say where it listens
     */
    public static BenchServerProcess start(String mainClass, String impl, List<String> args, String pin, String heap,
            String young) throws IOException {
        return start(mainClass, impl, args, pin, heap, young, List.of());
    }

    /** As {@link #start(String, String, List, String, String, String)}, with {@code jvmArgs} after the others. */
    static BenchServerProcess start(String mainClass, String impl, List<String> args, String pin, String heap,
            String young, List<String> jvmArgs) throws IOException {
        List<String> cmd = new ArrayList<>(pinPrefix(pin));
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms" + heap, "-Xmx" + heap, "-Xmn" + young, "-XX:+AlwaysPreTouch",
                "-XX:MaxDirectMemorySize=1g"));
        cmd.addAll(extraArgs("jevent.echo.serverJvmArgs"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        Process p = ChildProcesses.start(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT));
        System.err.printf(java.util.Locale.ROOT, "  %s: pid %d%n", impl, p.pid());
        return new BenchServerProcess(impl, p,
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
    }

    private String ask(String command) throws IOException {
        in.println(command);
        String line = out.readLine();
        if (line == null) {
            throw new IOException(impl + " server process ended");
        }
        return line.trim();
    }

    @Override
    boolean isJvm() {
        return true;
    }

    @Override
    public long cpuNanos() throws IOException {
        return Long.parseLong(ask("cpu"));
    }

    @Override
    public int connections() throws IOException {
        return Integer.parseInt(ask("conns"));
    }

    /** Two full GCs in the server, then heap used and VmRSS. */
    @Override
    public Memory memory() throws IOException {
        String[] f = ask("mem").split(" ");
        return new Memory(Long.parseLong(f[0].substring("heap=".length())), Long.parseLong(f[1].substring("rss=".length())),
                false);
    }

    @Override
    public void close() throws InterruptedException {
        in.println("quit");
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // the process is gone; nothing left to read
        }
        in.close();
    }
}
