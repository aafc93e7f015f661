package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One echo server in its own process, and how the driver reads its CPU time, connection count
 * and memory: {@link BenchServerProcess} for the benchmark's own servers (they answer over their
 * standard input), {@link ExternalServerProcess} for programs that know nothing of the load run
 * (jevent's {@code echo-server} example, the libevent C server), read from {@code /proc}.
 */
public abstract class ServerProcess implements AutoCloseable {
    /** The server's name in the run. */
    public final String impl;
    /** Where it listens (loopback). */
    public final InetSocketAddress address;
    /** Its process (the JVM, or the C program). */
    public final Process process;

    /**
     * Memory of the server process at one moment, in bytes; heap is -1 where there is none.
     * {@code heapInRss}: the heap is not pinned (no {@code -Xms}={@code -Xmx} with
     * {@code AlwaysPreTouch}), so the RSS grows with the heap and already counts what the
     * connections' objects cost; adding the heap would count it twice.
     */
    public record Memory(long heapUsed, long rss, boolean heapInRss) {
    }

    ServerProcess(String impl, Process process, BufferedReader out) throws IOException {
        this.impl = impl;
        this.process = process;
        this.address = awaitListening(impl, process, out);
    }

    /**
     * Starts server {@code impl} ({@link Servers} knows them all) with the run's options;
     * {@code tls} gives the certificate and key of a TLS server.
     */
    static ServerProcess start(String impl, ClientTls tls, EchoLoad.Options o) throws IOException {
        return Servers.isExternal(impl) ? ExternalServerProcess.start(impl, tls, o)
                : BenchServerProcess.start(impl, tls, o);
    }

    /**
     * The command prefix that pins the server to {@code --pin} CPUs ({@code taskset -c}), or
     * nothing. taskset execs the server, so the process id is the server's own.
     */
    static List<String> pinPrefix(EchoLoad.Options o) {
        return pinPrefix(o.pin);
    }

    /** {@code taskset -c CPUS} for {@code cpus}, or nothing when it is null. */
    static List<String> pinPrefix(String cpus) {
        List<String> cmd = new ArrayList<>();
        if (cpus != null) {
            cmd.addAll(List.of("taskset", "-c", cpus));
        }
        return cmd;
    }

    /** Extra arguments from a system property (whitespace separated), or none. */
    static List<String> extraArgs(String property) {
        String extra = System.getProperty(property, "");
        return extra.isBlank() ? List.of() : List.of(extra.trim().split("\\s+"));
    }

    /** Reads {@code listening on HOST:PORT}; JVM notices (a flight recording starting) may come first. */
    private static InetSocketAddress awaitListening(String impl, Process process, BufferedReader out)
            throws IOException {
        String first = out.readLine();
        for (int skipped = 0; first != null && !first.startsWith("listening on ") && skipped < 50; skipped++) {
            first = out.readLine();
        }
        if (first == null || !first.startsWith("listening on ")) {
            process.destroyForcibly();
            throw new IllegalStateException(impl + " server did not start: " + first);
        }
        String hostPort = first.substring("listening on ".length()).trim();
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1)));
    }

    /** CPU time of the whole server process (all its threads: loop, GC, JIT), nanoseconds. */
    public abstract long cpuNanos() throws IOException;

    /** Server CPU time by kind of thread ({@link ProcFs#threadCpuNanos}). */
    public java.util.Map<String, Long> threadCpuNanos() throws IOException {
        return ProcFs.threadCpuNanos(process.pid());
    }

    /** CPU time of each event-loop thread ({@link ProcFs#loopThreadCpuNanos}). */
    java.util.Map<String, Long> loopThreadCpuNanos() throws IOException {
        return ProcFs.loopThreadCpuNanos(process.pid());
    }

    /** Whether the server is a JVM ({@code jcmd} can look inside it). */
    abstract boolean isJvm();

    /**
     * Runs {@code jcmd PID command} on the server and returns its output; a non-zero exit (a
     * diagnostic the JVM was not started for, such as native memory tracking) is an IOException.
     */
    String jcmd(String command) throws IOException {
        Process p = ChildProcesses.start(new ProcessBuilder(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(process.pid()), command).redirectErrorStream(true));
        String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("jcmd " + command + " failed: " + text);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return text;
    }

    /** Connections the server has open right now. */
    public abstract int connections() throws IOException;

    /**
     * One memory reading: for a JVM, two full GCs first, then heap used and VmRSS; for a C server
     * VmRSS only.
     */
    public abstract Memory memory() throws IOException;

    /** Waits (up to {@code seconds}) until the server counts exactly {@code n} connections; returns the last count. */
    public int awaitConnections(int n, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        int seen;
        while ((seen = connections()) != n && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return seen;
    }

    @Override
    public abstract void close() throws InterruptedException;
}
