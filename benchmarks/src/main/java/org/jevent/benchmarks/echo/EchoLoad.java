package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The end-to-end echo load run: starts each echo server ({@link EchoServer}) in its own process,
 * drives it from this one with a single-threaded NIO client that verifies every echoed byte, and
 * prints one table with ratios against Netty and against plain NIO per server CPU-second.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.echo.EchoLoad
 *     [--servers jevent,netty,nio] [--seconds 10] [--warmup 3] [--idle 10000]</pre>
 *
 * <p>{@code -Djevent.echo.serverJvmArgs="..."} adds JVM options to every server process (for
 * example a flight recording).
 *
 * <p>Workloads (issue 4): 50 connections × 64-byte messages × 16 in flight (messages/s);
 * 10 connections × 64 KiB messages (MB/s); idle connections (server heap and RSS per connection).
 * On 2 cores the client is often the bottleneck, so the server's CPU time is reported too.
 */
public final class EchoLoad {
    /** Every connection's byte stream is this table read from its own offset, so checking is a mismatch(). */
    private static final int TABLE_SIZE = 1 << 20;
    private static final ByteBuffer TABLE = ByteBuffer.allocateDirect(TABLE_SIZE * 2);

    static {
        byte[] t = new byte[TABLE_SIZE];
        new Random(7).nextBytes(t);
        TABLE.put(t).put(t).flip(); // twice, so any window up to TABLE_SIZE is contiguous
    }

    private EchoLoad() {
    }

    public static void main(String[] args) throws Exception {
        List<String> servers = List.of("jevent", "netty", "nio");
        int seconds = 10;
        int warmup = 3;
        int idle = 10_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--servers" -> servers = List.of(args[++i].split(","));
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--idle" -> idle = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        Map<String, Result> results = new LinkedHashMap<>();
        for (String s : servers) {
            System.err.println("== " + s);
            results.put(s, runAll(s, seconds, warmup, idle));
        }
        print(results);
    }

    /** Figures for one server. */
    static final class Result {
        double smallMsgsPerSec;
        double smallMsgsPerCpuSec;
        double largeMBPerSec;
        double largeMBPerCpuSec;
        double idleHeapPerConn;
        double idleRssPerConn;
        int idleConns;
    }

    private static Result runAll(String impl, int seconds, int warmup, int idle) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xms256m", "-Xmx1g", "-XX:MaxDirectMemorySize=1g"));
        String extra = System.getProperty("jevent.echo.serverJvmArgs", "");
        if (!extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EchoServer.class.getName(), impl));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            String first = out.readLine();
            for (int skipped = 0; first != null && !first.startsWith("listening on ") && skipped < 50; skipped++) {
                first = out.readLine(); // JVM notices (e.g. a flight recording starting) come first
            }
            if (first == null || !first.startsWith("listening on ")) {
                throw new IllegalStateException(impl + " server did not start: " + first);
            }
            int port = Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1", port);
            Control control = new Control(in, out);
            Result r = new Result();

            Run small = stream(addr, 50, 64, 16, warmup, seconds, control);
            r.smallMsgsPerSec = small.bytes / 64.0 / small.seconds;
            r.smallMsgsPerCpuSec = small.bytes / 64.0 / small.serverCpuSeconds;
            System.err.printf(Locale.ROOT, "  small: %.0f msg/s, server cpu %.2f s%n", r.smallMsgsPerSec, small.serverCpuSeconds);

            Run large = stream(addr, 10, 64 * 1024, 1, warmup, seconds, control);
            r.largeMBPerSec = large.bytes / 1e6 / large.seconds;
            r.largeMBPerCpuSec = large.bytes / 1e6 / large.serverCpuSeconds;
            System.err.printf(Locale.ROOT, "  large: %.0f MB/s, server cpu %.2f s%n", r.largeMBPerSec, large.serverCpuSeconds);

            if (idle > 0) {
                idle(addr, idle, control, r);
                System.err.printf(Locale.ROOT, "  idle: %d conns, heap %.0f B/conn, rss %.0f B/conn%n",
                        r.idleConns, r.idleHeapPerConn, r.idleRssPerConn);
            }
            in.println("quit");
            return r;
        } finally {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Talks to the server process over its standard input and output. */
    private static final class Control {
        final PrintWriter in;
        final BufferedReader out;

        Control(PrintWriter in, BufferedReader out) {
            this.in = in;
            this.out = out;
        }

        String ask(String command) throws IOException {
            in.println(command);
            String line = out.readLine();
            if (line == null) {
                throw new IOException("server process ended");
            }
            return line;
        }

        long cpuNanos() throws IOException {
            return Long.parseLong(ask("cpu").trim());
        }

        int conns() throws IOException {
            return Integer.parseInt(ask("conns").trim());
        }

        Map<String, Long> stats() throws IOException {
            Map<String, Long> m = new LinkedHashMap<>();
            for (String kv : ask("stats").trim().split(" ")) {
                String[] p = kv.split("=");
                m.put(p[0], Long.parseLong(p[1]));
            }
            return m;
        }
    }

    /** What one timed window measured. */
    private static final class Run {
        long bytes;
        double seconds;
        double serverCpuSeconds;
    }

    /** One client connection: its stream offset, what it sent and what came back (verified). */
    private static final class Conn {
        final SocketChannel ch;
        final int offset;
        final ByteBuffer view = TABLE.duplicate();
        long sent;
        long received;

        Conn(SocketChannel ch, int id) {
            this.ch = ch;
            this.offset = (int) ((id * 1_000_003L) % TABLE_SIZE);
        }

        /** Sends until {@code window} bytes are in flight; false if the socket is full. */
        boolean topUp(long window) throws IOException {
            while (sent - received < window) {
                int start = (int) ((sent + offset) % TABLE_SIZE);
                int len = (int) Math.min(window - (sent - received), TABLE_SIZE);
                view.limit(start + len).position(start);
                int n = ch.write(view);
                sent += n;
                if (n < len) {
                    return false;
                }
            }
            return true;
        }

        void verify(ByteBuffer got) {
            int start = (int) ((received + offset) % TABLE_SIZE);
            int len = got.remaining();
            ByteBuffer expected = TABLE.duplicate();
            expected.limit(start + len).position(start);
            int at = got.mismatch(expected);
            if (at >= 0) {
                throw new IllegalStateException("echoed byte " + (received + at) + " differs from what was sent");
            }
            received += len;
        }
    }

    /** Keeps {@code depth} messages of {@code size} bytes in flight on each connection. */
    private static Run stream(InetSocketAddress addr, int conns, int size, int depth, int warmup, int seconds,
            Control control) throws IOException {
        long window = (long) size * depth;
        try (Selector selector = Selector.open()) {
            List<Conn> all = new ArrayList<>();
            for (int i = 0; i < conns; i++) {
                SocketChannel ch = SocketChannel.open(addr);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                Conn c = new Conn(ch, i);
                ch.register(selector, SelectionKey.OP_READ, c);
                all.add(c);
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
            for (Conn c : all) {
                if (!c.topUp(window)) {
                    c.ch.keyFor(selector).interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
            }
            long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            long startBytes = -1;
            long cpu0 = 0;
            long t0 = 0;
            long[] total = new long[1];
            while (true) {
                long now = System.nanoTime();
                if (startBytes < 0 && now >= warmEnd) {
                    startBytes = total[0];
                    cpu0 = control.cpuNanos();
                    t0 = System.nanoTime();
                }
                if (now >= end) {
                    break;
                }
                selector.select(key -> {
                    Conn c = (Conn) key.attachment();
                    try {
                        if (key.isReadable()) {
                            buf.clear();
                            int n = c.ch.read(buf);
                            if (n < 0) {
                                throw new IllegalStateException("server closed a connection");
                            }
                            buf.flip();
                            c.verify(buf);
                            total[0] += n;
                        }
                        boolean drained = c.topUp(window);
                        key.interestOps(drained ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, 10);
            }
            Run r = new Run();
            r.seconds = (System.nanoTime() - t0) / 1e9;
            r.serverCpuSeconds = (control.cpuNanos() - cpu0) / 1e9;
            r.bytes = total[0] - startBytes;
            for (Conn c : all) {
                c.ch.close();
            }
            return r;
        }
    }

    private static void idle(InetSocketAddress addr, int count, Control control, Result r) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (control.conns() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Map<String, Long> before = control.stats();
        List<SocketChannel> open = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                open.add(SocketChannel.open(addr));
            }
            int seen = 0;
            while ((seen = control.conns()) < count && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Map<String, Long> after = control.stats();
            r.idleConns = seen;
            r.idleHeapPerConn = (after.get("heap") - before.get("heap")) / (double) seen;
            r.idleRssPerConn = (after.get("rss") - before.get("rss")) / (double) seen;
        } finally {
            for (SocketChannel ch : open) {
                ch.close();
            }
        }
    }

    private static void print(Map<String, Result> results) {
        Result netty = results.get("netty");
        Result nio = results.get("nio");
        System.out.println();
        System.out.printf(Locale.ROOT, "%-8s %12s %12s %10s %12s %10s %10s %10s%n", "server", "64B msg/s",
                "msg/cpu-s", "64K MB/s", "MB/cpu-s", "heap/conn", "rss/conn", "conns");
        for (Map.Entry<String, Result> e : results.entrySet()) {
            Result x = e.getValue();
            System.out.printf(Locale.ROOT, "%-8s %12.0f %12.0f %10.0f %12.0f %10.0f %10.0f %10d%n", e.getKey(),
                    x.smallMsgsPerSec, x.smallMsgsPerCpuSec, x.largeMBPerSec, x.largeMBPerCpuSec,
                    x.idleHeapPerConn, x.idleRssPerConn, x.idleConns);
        }
        Result j = results.get("jevent");
        if (j != null && netty != null) {
            System.out.printf(Locale.ROOT, "%njevent/netty: 64B msg/s %.2fx, msg per cpu-s %.2fx, 64K MB/s %.2fx, MB per cpu-s %.2fx%n",
                    j.smallMsgsPerSec / netty.smallMsgsPerSec, j.smallMsgsPerCpuSec / netty.smallMsgsPerCpuSec,
                    j.largeMBPerSec / netty.largeMBPerSec, j.largeMBPerCpuSec / netty.largeMBPerCpuSec);
        }
        if (j != null && nio != null) {
            System.out.printf(Locale.ROOT, "jevent/nio:   msg per cpu-s %.2fx, MB per cpu-s %.2fx%n",
                    j.smallMsgsPerCpuSec / nio.smallMsgsPerCpuSec, j.largeMBPerCpuSec / nio.largeMBPerCpuSec);
        }
    }
}
