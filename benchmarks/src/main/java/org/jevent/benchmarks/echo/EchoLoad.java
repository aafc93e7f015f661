package org.jevent.benchmarks.echo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;
import org.jevent.bufferevent.ssl.SslContexts;

/**
 * The end-to-end echo load run: starts each echo server ({@link EchoServer}) in its own process,
 * drives it from this one with a single-threaded NIO client that verifies every echoed byte, and
 * prints one table with ratios against the peer (Netty) and, for plain TCP, against plain NIO
 * per server CPU-second.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.jevent.benchmarks.echo.EchoLoad
 *     [--tls] [--servers a,b,c] [--seconds 10] [--warmup 3] [--idle 10000] [--handshakes]</pre>
 *
 * <p>Workloads (issues 4 and 5): 50 connections × 64-byte messages × 16 in flight (messages/s);
 * 10 connections × 64 KiB messages (MB/s); idle connections (server heap and RSS per
 * connection); with {@code --tls}, also full handshakes per second with 8 in parallel. On 2
 * cores the client is often the bottleneck, so the server's CPU time is reported too.
 * {@code -Djevent.echo.serverJvmArgs="..."} adds JVM options to every server process.
 */
public final class EchoLoad {
    private static final List<String> PLAIN = List.of("jevent", "netty", "nio");
    private static final List<String> TLS = List.of("jevent-tls-conscrypt", "jevent-tls-jdk", "netty-tls-jdk");

    private EchoLoad() {
    }

    public static void main(String[] args) throws Exception {
        boolean tls = false;
        List<String> servers = null;
        int seconds = 10;
        int warmup = 3;
        int idle = 10_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tls" -> tls = true;
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
        if (servers == null) {
            servers = tls ? TLS : PLAIN;
        }
        Tls keys = tls ? new Tls() : null;
        Map<String, Result> results = new LinkedHashMap<>();
        for (String s : servers) {
            System.err.println("== " + s);
            results.put(s, runAll(s, keys, seconds, warmup, idle));
        }
        print(results, tls);
    }

    /** A throw-away certificate written as PEM for the servers, and the client's context trusting it. */
    private static final class Tls {
        final Path cert;
        final Path key;
        final SSLContext client;

        Tls() throws Exception {
            Path dir = Files.createTempDirectory("jevent-echo-tls");
            cert = dir.resolve("cert.pem");
            key = dir.resolve("key.pem");
            SelfSignedCertificate ssc = SelfSignedCertificate.generate();
            ssc.writePem(cert, key);
            cert.toFile().deleteOnExit();
            key.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            client = SslContexts.forClient().trustPem(cert).hostnameVerification(false)
                    .provider(SslContexts.Provider.CONSCRYPT).build().sslContext();
        }

        /** A client engine with no host and port, so that every handshake is a full one. */
        SSLEngine engine() {
            SSLEngine e = client.createSSLEngine();
            e.setUseClientMode(true);
            return e;
        }
    }

    /** Figures for one server. */
    static final class Result {
        double smallMsgsPerSec;
        double smallMsgsPerCpuSec;
        double largeMBPerSec;
        double largeMBPerCpuSec;
        double handshakesPerSec;
        double handshakesPerCpuSec;
        double idleHeapPerConn;
        double idleRssPerConn;
        int idleConns;
    }

    private static Result runAll(String impl, Tls tls, int seconds, int warmup, int idle) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms256m", "-Xmx1g", "-XX:MaxDirectMemorySize=1g"));
        String extra = System.getProperty("jevent.echo.serverJvmArgs", "");
        if (!extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EchoServer.class.getName(), impl));
        if (tls != null) {
            cmd.addAll(List.of(tls.cert.toString(), tls.key.toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
            String first = out.readLine();
            for (int skipped = 0; first != null && !first.startsWith("listening on ") && skipped < 50; skipped++) {
                first = out.readLine(); // JVM notices (e.g. a flight recording starting) come first
            }
            if (first == null || !first.startsWith("listening on ")) {
                throw new IllegalStateException(impl + " server did not start: " + first);
            }
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1",
                    Integer.parseInt(first.substring(first.lastIndexOf(':') + 1)));
            Control control = new Control(in, out);
            Result r = new Result();

            Run small = stream(addr, tls, 50, 64, 16, warmup, seconds, control);
            r.smallMsgsPerSec = small.bytes / 64.0 / small.seconds;
            r.smallMsgsPerCpuSec = small.bytes / 64.0 / small.serverCpuSeconds;
            System.err.printf(Locale.ROOT, "  small: %.0f msg/s, server cpu %.2f s%n", r.smallMsgsPerSec, small.serverCpuSeconds);

            Run large = stream(addr, tls, 10, 64 * 1024, 1, warmup, seconds, control);
            r.largeMBPerSec = large.bytes / 1e6 / large.seconds;
            r.largeMBPerCpuSec = large.bytes / 1e6 / large.serverCpuSeconds;
            System.err.printf(Locale.ROOT, "  large: %.0f MB/s, server cpu %.2f s%n", r.largeMBPerSec, large.serverCpuSeconds);

            if (tls != null) {
                Run hs = handshakes(addr, tls, 8, warmup, seconds, control);
                r.handshakesPerSec = hs.bytes / hs.seconds;
                r.handshakesPerCpuSec = hs.bytes / hs.serverCpuSeconds;
                System.err.printf(Locale.ROOT, "  handshakes: %.0f /s, server cpu %.2f s%n", r.handshakesPerSec, hs.serverCpuSeconds);
            }
            if (idle > 0) {
                idle(addr, tls, idle, control, r);
                System.err.printf(Locale.ROOT, "  idle: %d conns, heap %.0f B/conn, rss %.0f B/conn%n",
                        r.idleConns, r.idleHeapPerConn, r.idleRssPerConn);
            }
            in.println("quit");
            return r;
        } finally {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
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
                String[] kvp = kv.split("=");
                m.put(kvp[0], Long.parseLong(kvp[1]));
            }
            return m;
        }
    }

    /** What one timed window measured: bytes (or handshakes), wall seconds, server CPU seconds. */
    private static final class Run {
        long bytes;
        double seconds;
        double serverCpuSeconds;
    }

    private static ClientConn open(InetSocketAddress addr, Tls tls, int id) throws IOException {
        SocketChannel ch = SocketChannel.open(addr);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.configureBlocking(false);
        return tls == null ? new PlainClientConn(ch, id) : new TlsClientConn(ch, id, tls.engine());
    }

    private static void interest(SelectionKey key, boolean drained) {
        key.interestOps(drained ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    }

    /** Keeps {@code depth} messages of {@code size} bytes in flight on each connection. */
    private static Run stream(InetSocketAddress addr, Tls tls, int conns, int size, int depth, int warmup,
            int seconds, Control control) throws IOException {
        long window = (long) size * depth;
        try (Selector selector = Selector.open()) {
            List<ClientConn> all = new ArrayList<>();
            ByteBuffer scratch = ByteBuffer.allocateDirect(256 * 1024);
            for (int i = 0; i < conns; i++) {
                ClientConn c = open(addr, tls, i);
                SelectionKey key = c.ch.register(selector, SelectionKey.OP_READ, c);
                interest(key, c.step(false, window, scratch));
                all.add(c);
            }
            long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            long startBytes = -1;
            long cpu0 = 0;
            long t0 = 0;
            while (true) {
                long now = System.nanoTime();
                if (startBytes < 0 && now >= warmEnd) {
                    startBytes = received(all);
                    cpu0 = control.cpuNanos();
                    t0 = System.nanoTime();
                }
                if (now >= end) {
                    break;
                }
                selector.select(key -> {
                    ClientConn c = (ClientConn) key.attachment();
                    try {
                        interest(key, c.step(key.isReadable(), window, scratch));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, 10);
            }
            Run r = new Run();
            r.seconds = (System.nanoTime() - t0) / 1e9;
            r.serverCpuSeconds = (control.cpuNanos() - cpu0) / 1e9;
            r.bytes = received(all) - startBytes;
            for (ClientConn c : all) {
                c.ch.close();
            }
            return r;
        }
    }

    private static long received(List<ClientConn> all) {
        long n = 0;
        for (ClientConn c : all) {
            n += c.received;
        }
        return n;
    }

    /** Full TLS handshakes, {@code parallel} at a time: connect, handshake, close, again. Counts in {@code bytes}. */
    private static Run handshakes(InetSocketAddress addr, Tls tls, int parallel, int warmup, int seconds,
            Control control) throws IOException {
        try (Selector selector = Selector.open()) {
            ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
            long[] done = new long[1];
            for (int i = 0; i < parallel; i++) {
                startHandshake(selector, addr, tls, i, scratch);
            }
            long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            long start = -1;
            long cpu0 = 0;
            long t0 = 0;
            int[] next = {parallel};
            while (true) {
                long now = System.nanoTime();
                if (start < 0 && now >= warmEnd) {
                    start = done[0];
                    cpu0 = control.cpuNanos();
                    t0 = System.nanoTime();
                }
                if (now >= end) {
                    break;
                }
                selector.select(key -> {
                    TlsClientConn c = (TlsClientConn) key.attachment();
                    try {
                        interest(key, c.step(key.isReadable(), 0, scratch));
                        if (c.ready()) {
                            done[0]++;
                            key.cancel();
                            c.close();
                            if ((done[0] & 1023) == 0) {
                                // Conscrypt frees an engine's native SSL and its pipe only when it is
                                // collected; at this rate the client would run out of descriptors.
                                System.gc();
                            }
                            startHandshake(selector, addr, tls, next[0]++, scratch);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, 10);
            }
            Run r = new Run();
            r.seconds = (System.nanoTime() - t0) / 1e9;
            r.serverCpuSeconds = (control.cpuNanos() - cpu0) / 1e9;
            r.bytes = done[0] - start;
            for (SelectionKey k : selector.keys()) {
                ((TlsClientConn) k.attachment()).close();
            }
            return r;
        }
    }

    private static void startHandshake(Selector selector, InetSocketAddress addr, Tls tls, int id, ByteBuffer scratch)
            throws IOException {
        ClientConn c = open(addr, tls, id);
        SelectionKey key = c.ch.register(selector, SelectionKey.OP_READ, c);
        interest(key, c.step(false, 0, scratch));
    }

    /** Opens {@code count} connections (TLS: handshaken) that then stay idle; server memory per connection. */
    private static void idle(InetSocketAddress addr, Tls tls, int count, Control control, Result r) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (control.conns() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Map<String, Long> before = control.stats();
        List<ClientConn> open = new ArrayList<>(count);
        ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < count; i++) {
                ClientConn c = open(addr, tls, i);
                open.add(c);
                if (tls != null) {
                    SelectionKey key = c.ch.register(selector, SelectionKey.OP_READ, c);
                    interest(key, c.step(false, 0, scratch));
                }
            }
            int handshaken = tls == null ? count : 0;
            while (handshaken < count && System.nanoTime() < deadline) {
                selector.select(key -> {
                    try {
                        ClientConn c = (ClientConn) key.attachment();
                        interest(key, c.step(key.isReadable(), 0, scratch));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, 10);
                handshaken = 0;
                for (ClientConn c : open) {
                    handshaken += c.ready() ? 1 : 0;
                }
            }
            int seen;
            while ((seen = control.conns()) < count && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Map<String, Long> after = control.stats();
            r.idleConns = seen;
            r.idleHeapPerConn = (after.get("heap") - before.get("heap")) / (double) seen;
            r.idleRssPerConn = (after.get("rss") - before.get("rss")) / (double) seen;
        } finally {
            for (ClientConn c : open) {
                if (c instanceof TlsClientConn t) {
                    t.close();
                } else {
                    c.ch.close();
                }
            }
        }
    }

    private static void print(Map<String, Result> results, boolean tls) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-22s %11s %11s %9s %10s %9s %9s %9s %9s %7s%n", "server", "64B msg/s",
                "msg/cpu-s", "64K MB/s", "MB/cpu-s", "hs/s", "hs/cpu-s", "heap/conn", "rss/conn", "conns");
        for (Map.Entry<String, Result> e : results.entrySet()) {
            Result x = e.getValue();
            System.out.printf(Locale.ROOT, "%-22s %11.0f %11.0f %9.0f %10.0f %9.0f %9.0f %9.0f %9.0f %7d%n", e.getKey(),
                    x.smallMsgsPerSec, x.smallMsgsPerCpuSec, x.largeMBPerSec, x.largeMBPerCpuSec,
                    x.handshakesPerSec, x.handshakesPerCpuSec, x.idleHeapPerConn, x.idleRssPerConn, x.idleConns);
        }
        Result peer = results.get(tls ? "netty-tls-jdk" : "netty");
        if (peer == null) {
            return;
        }
        System.out.println();
        for (Map.Entry<String, Result> e : results.entrySet()) {
            if (!e.getKey().startsWith("jevent")) {
                continue;
            }
            Result j = e.getValue();
            System.out.printf(Locale.ROOT,
                    "%s / netty: 64B msg/s %.2fx, per cpu-s %.2fx; 64K MB/s %.2fx, per cpu-s %.2fx%s%n", e.getKey(),
                    j.smallMsgsPerSec / peer.smallMsgsPerSec, j.smallMsgsPerCpuSec / peer.smallMsgsPerCpuSec,
                    j.largeMBPerSec / peer.largeMBPerSec, j.largeMBPerCpuSec / peer.largeMBPerCpuSec,
                    tls ? String.format(Locale.ROOT, "; handshakes/s %.2fx, per cpu-s %.2fx",
                            j.handshakesPerSec / peer.handshakesPerSec, j.handshakesPerCpuSec / peer.handshakesPerCpuSec) : "");
        }
        Result nio = results.get("nio");
        Result j = results.get("jevent");
        if (j != null && nio != null) {
            System.out.printf(Locale.ROOT, "jevent / nio: msg per cpu-s %.2fx, MB per cpu-s %.2fx%n",
                    j.smallMsgsPerCpuSec / nio.smallMsgsPerCpuSec, j.largeMBPerCpuSec / nio.largeMBPerCpuSec);
        }
    }
}
