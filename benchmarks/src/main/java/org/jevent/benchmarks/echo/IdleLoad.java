package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Server memory per idle connection: {@code count} connections (with TLS: fully handshaken) that
 * then send nothing. Memory is read ({@link ServerProcess#memory()}: for a JVM two full GCs, then
 * heap used and VmRSS) three times at each step and the median taken: with no connection, with the first
 * third open, with all open.
 *
 * <p>The figure reported is the marginal cost, from the first third to all: memory that the
 * process freed earlier but still holds (glibc arenas, buffer pools' free lists, the native
 * state of engines that died in the warm-up and were only collected before the first reading)
 * is reused by the first connections without the RSS moving, so the cost "from empty"
 * understates; it is kept as a second figure. Run it on a fresh server process (the driver
 * does): a server that just streamed data holds far more such memory. A warm-up ({@link
 * #WARM_CONNECTIONS} connections opened and closed, 8 at a time) loads and compiles the
 * connection path first.
 *
 * <p>The measured connections are the first that many the process holds at once: memory that
 * earlier connections freed stays resident (malloc keeps it), so connections opened after others
 * were closed would reuse it and show no native cost at all (tried: a rehearsal of the measured
 * count before the readings put Conscrypt's ~14 KiB per connection at 0.1–0.2 KiB).
 */
public final class IdleLoad {
    /** Handshakes in flight while the idle connections are opened (the listen backlog is 1024). */
    private static final int OPEN_IN_FLIGHT = 64;
    /**
     * Connections of the warm-up. The JIT compiles a method with C2 after 5,000 to 15,000 calls
     * (tiered thresholds), so code that runs once per connection is compiled only after that
     * many; with 1,000 its compilations fell into the readings, and the compiler's arenas with
     * them (measured for the {@code echo-server} example on a pinned heap, 5,000 connections
     * opened and closed three times over on one process: +184, +2,541 and +7 B of RSS per
     * connection). Eight at a time, so they leave little freed memory behind for the measured ones.
     */
    private static final int WARM_CONNECTIONS = 20_000;

    /**
     * Per-connection results, bytes: marginal ({@code heapPerConn}, {@code rssPerConn}) and from
     * empty; {@code *Spread} is max − min of the three readings with all open, per connection.
     * The heap figures are NaN for a server without a Java heap (the libevent C server).
     * {@code heapInRss}: the server's heap is not pinned and pre-touched (jevent's example as
     * users run it), so its RSS grows with the heap and the RSS alone is the cost.
     */
    public record Result(int connections, double heapPerConn, double rssPerConn, double heapFromEmpty, double rssFromEmpty,
            double heapSpread, double rssSpread, boolean heapInRss) {
        /** What a connection costs, each byte counted once: RSS, plus the heap if the RSS cannot show it. */
        public double sumPerConn() {
            return heapInRss || Double.isNaN(heapPerConn) ? rssPerConn : heapPerConn + rssPerConn;
        }
    }

    private IdleLoad() {
    }

    /**
     * Opens idle connections (or sessions) to the server being measured, keeping each in
     * {@code open} so that the caller can close them all at the end.
     */
    @FunctionalInterface
    public interface Opener {
        /**
         * Opens {@code n} more, numbered from {@code firstId}, and returns once the server has them.
         *
         * @param firstId the number of the first
         * @param n how many
         * @param open where each one's close goes
         * @throws Exception if they cannot be opened
         */
        void open(int firstId, int n, List<AutoCloseable> open) throws Exception;
    }

    static Result run(ServerProcess server, ClientTls tls, int count) throws Exception {
        warm(server.address, tls);
        if (server.awaitConnections(0, 60) != 0) {
            throw new IllegalStateException(server.impl + " did not close the warm-up connections");
        }
        return measure(server, count, (firstId, n, open) -> openIdle(server, tls, firstId, n, open));
    }

    /**
     * The readings on a warm server with nothing open: empty, after the first third of
     * {@code count} is opened by {@code opener}, after all; then everything opened is closed.
     *
     * @param server the server, warmed up, with nothing open
     * @param count how many to open
     * @param opener opens them
     * @return the memory per connection
     * @throws Exception if opening or reading fails
     */
    public static Result measure(ServerProcess server, int count, Opener opener) throws Exception {
        ServerProcess.Memory[] empty = readings(server);
        snapshot(server, "empty");
        int first = count / 3;
        List<AutoCloseable> open = new ArrayList<>(count);
        try {
            opener.open(0, first, open);
            ServerProcess.Memory[] third = readings(server);
            opener.open(first, count - first, open);
            ServerProcess.Memory[] all = readings(server);
            snapshot(server, "all-" + count);
            // -Djevent.echo.idleHoldSeconds=N keeps them open N s more, to inspect the server
            // (jcmd PID GC.class_histogram, VM.native_memory with NativeMemoryTracking on)
            Thread.sleep(Long.getLong("jevent.echo.idleHoldSeconds", 0) * 1000);
            int more = count - first;
            double noHeap = all[0].heapUsed() < 0 ? Double.NaN : 0;
            return new Result(count,
                    noHeap + (median(all, true) - median(third, true)) / (double) more,
                    (median(all, false) - median(third, false)) / (double) more,
                    noHeap + (median(all, true) - median(empty, true)) / (double) count,
                    (median(all, false) - median(empty, false)) / (double) count,
                    noHeap + spread(all, true) / (double) count, spread(all, false) / (double) count,
                    all[0].heapInRss());
        } finally {
            for (AutoCloseable c : open) {
                c.close();
            }
        }
    }

    private static void warm(InetSocketAddress address, ClientTls tls) throws Exception {
        if (tls != null) {
            HandshakeLoop loop = new HandshakeLoop(address, tls, 8, WARM_CONNECTIONS, false, 0);
            loop.run();
            if (loop.failure() != null) {
                throw new IOException("warm-up handshakes failed", loop.failure());
            }
        } else {
            for (int i = 0; i < WARM_CONNECTIONS; i++) {
                SocketChannel.open(address).close();
            }
        }
    }

    /** Opens {@code n} more idle connections and waits until the server counts them all. */
    private static void openIdle(ServerProcess server, ClientTls tls, int firstId, int n, List<AutoCloseable> open)
            throws Exception {
        if (tls == null) {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open(server.address);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                open.add(ch);
            }
        } else {
            HandshakeLoop loop = new HandshakeLoop(server.address, tls, OPEN_IN_FLIGHT, n, true, firstId);
            loop.run(); // on this thread: it returns once all have handshaken
            for (TlsClientConn c : loop.kept()) {
                open.add(c::close);
            }
            if (loop.failure() != null) {
                throw new IOException("opening idle TLS connections failed", loop.failure());
            }
        }
        int seen = server.awaitConnections(open.size(), 120);
        if (seen != open.size()) {
            throw new IllegalStateException(server.impl + " counts " + seen + " of " + open.size() + " connections");
        }
    }

    /**
     * With {@code -Djevent.echo.snapshotDir=DIR}: what the server holds at this step, in files
     * {@code DIR/SERVER-PID-STEP.*}: {@code /proc/PID/smaps_rollup}, and for a JVM
     * {@code jcmd GC.class_histogram} (after a full GC) and, if the JVM runs with
     * {@code -XX:NativeMemoryTracking=summary}, {@code VM.native_memory summary}.
     * {@code benchmarks/histogram-diff.py} turns two histograms into bytes per connection by class.
     */
    private static void snapshot(ServerProcess server, String step) throws IOException {
        String dir = System.getProperty("jevent.echo.snapshotDir");
        if (dir == null) {
            return;
        }
        java.nio.file.Path d = java.nio.file.Path.of(dir);
        java.nio.file.Files.createDirectories(d);
        String base = server.impl + "-" + server.process.pid() + "-" + step;
        java.nio.file.Files.copy(java.nio.file.Path.of("/proc", Long.toString(server.process.pid()), "smaps_rollup"),
                d.resolve(base + ".smaps"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        if (!server.isJvm()) {
            return;
        }
        java.nio.file.Files.writeString(d.resolve(base + ".histo"), server.jcmd("GC.class_histogram"));
        try {
            java.nio.file.Files.writeString(d.resolve(base + ".nmt"), server.jcmd("VM.native_memory summary"));
        } catch (IOException notTracking) {
            // the JVM was started without -XX:NativeMemoryTracking: nothing to write
        }
    }

    /** Three readings, a short pause apart (a full GC each). */
    private static ServerProcess.Memory[] readings(ServerProcess server) throws Exception {
        ServerProcess.Memory[] m = new ServerProcess.Memory[3];
        for (int i = 0; i < m.length; i++) {
            if (i > 0) {
                Thread.sleep(300);
            }
            m[i] = server.memory();
        }
        return m;
    }

    private static long[] values(ServerProcess.Memory[] m, boolean heap) {
        long[] v = new long[m.length];
        for (int i = 0; i < m.length; i++) {
            v[i] = heap ? m[i].heapUsed() : m[i].rss();
        }
        Arrays.sort(v);
        return v;
    }

    private static long median(ServerProcess.Memory[] m, boolean heap) {
        return values(m, heap)[m.length / 2];
    }

    private static long spread(ServerProcess.Memory[] m, boolean heap) {
        long[] v = values(m, heap);
        return v[v.length - 1] - v[0];
    }
}
