package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@link EchoServer} in its own JVM, and the line protocol over its standard input and output
 * that reads its CPU time, connection count and memory.
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
final class ServerProcess implements AutoCloseable {
    final String impl;
    final InetSocketAddress address;
    private final Process process;
    private final PrintWriter in;
    private final BufferedReader out;

    /** Memory of the server process at one moment, after a full GC, in bytes. */
    record Memory(long heapUsed, long rss) {
    }

    private ServerProcess(String impl, Process process) throws IOException {
        this.impl = impl;
        this.process = process;
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        for (int skipped = 0; first != null && !first.startsWith("listening on ") && skipped < 50; skipped++) {
            first = out.readLine(); // JVM notices (e.g. a flight recording starting) come first
        }
        if (first == null || !first.startsWith("listening on ")) {
            process.destroyForcibly();
            throw new IllegalStateException(impl + " server did not start: " + first);
        }
        this.address = new InetSocketAddress("127.0.0.1",
                Integer.parseInt(first.substring(first.lastIndexOf(':') + 1)));
    }

    /**
     * Starts server {@code impl} ({@code tls} gives its certificate and key, or is null) with a
     * pinned heap of {@code heap} and a young generation of {@code young} (JVM sizes such as
     * {@code 2g}) and any extra JVM options from {@code -Djevent.echo.serverJvmArgs}.
     */
    static ServerProcess start(String impl, ClientTls tls, String heap, String young) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms" + heap, "-Xmx" + heap, "-Xmn" + young, "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=1g"));
        String extra = System.getProperty("jevent.echo.serverJvmArgs", "");
        if (!extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EchoServer.class.getName(), impl));
        if (tls != null) {
            cmd.addAll(List.of(tls.cert.toString(), tls.key.toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new ServerProcess(impl, p);
    }

    private String ask(String command) throws IOException {
        in.println(command);
        String line = out.readLine();
        if (line == null) {
            throw new IOException(impl + " server process ended");
        }
        return line.trim();
    }

    /** CPU time of the whole server process (all its threads: loop, GC, JIT), nanoseconds. */
    long cpuNanos() throws IOException {
        return Long.parseLong(ask("cpu"));
    }

    /** Connections the server has open right now. */
    int connections() throws IOException {
        return Integer.parseInt(ask("conns"));
    }

    /** Waits (up to {@code seconds}) until the server counts exactly {@code n} connections; returns the last count. */
    int awaitConnections(int n, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        int seen;
        while ((seen = connections()) != n && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return seen;
    }

    /** One reading: two full GCs in the server, then heap used and VmRSS. */
    Memory memory() throws IOException {
        String[] f = ask("mem").split(" ");
        return new Memory(Long.parseLong(f[0].substring("heap=".length())), Long.parseLong(f[1].substring("rss=".length())));
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
