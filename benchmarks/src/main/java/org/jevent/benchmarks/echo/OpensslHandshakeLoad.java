package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Full handshakes from OpenSSL's own C client: {@code parallel} processes of
 * {@code openssl s_time -connect 127.0.0.1:PORT -new -time T}, each doing one handshake at a time
 * (connect, handshake, close without close_notify, again), so {@code parallel} are in flight.
 *
 * <p>{@code s_time} prints one character per finished connection ({@code *} for a new TLS 1.2 or
 * 1.3 session, {@code r} for a resumed one, which {@code -new} never makes) and flushes it, after
 * a one-line header, so the count is read live from its output; its own summary (whole seconds)
 * is not used. The
 * processes are started with a time longer than the run and killed once it is measured. The
 * binary is {@code openssl} on the PATH, or {@code -Djevent.echo.openssl=/path/to/openssl}.
 */
final class OpensslHandshakeLoad implements HandshakeLoad {
    private final List<Process> processes = new ArrayList<>();
    private final List<Thread> readers = new ArrayList<>();
    private final LongAdder completed = new LongAdder();
    private final LongAdder resumed = new LongAdder();

    OpensslHandshakeLoad(InetSocketAddress address, int parallel, int seconds) throws IOException {
        String openssl = System.getProperty("jevent.echo.openssl", "openssl");
        for (int i = 0; i < parallel; i++) {
            Process p = ChildProcesses.start(new ProcessBuilder(openssl, "s_time", "-connect",
                    address.getHostString() + ":" + address.getPort(), "-new", "-time", Integer.toString(seconds))
                    .redirectErrorStream(true));
            processes.add(p);
            Thread t = new Thread(() -> count(p.getInputStream()), "s_time-reader-" + processes.size());
            t.setDaemon(true);
            t.start();
            readers.add(t);
        }
    }

    private void count(InputStream in) {
        byte[] buf = new byte[4096];
        boolean header = true; // "Collecting connection statistics for N seconds" comes first
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (header) {
                        header = buf[i] != '\n';
                    } else if (buf[i] == '*') {
                        completed.increment();
                    } else if (buf[i] == 'r') {
                        resumed.increment();
                    }
                }
            }
        } catch (IOException e) {
            // the process was killed at the end of the run
        }
    }

    @Override
    public long completed() throws IOException {
        for (Process p : processes) {
            if (!p.isAlive()) {
                throw new IOException("openssl s_time exited early with status " + p.exitValue());
            }
        }
        if (resumed.sum() > 0) {
            throw new IOException("openssl s_time resumed sessions; only full handshakes may be counted");
        }
        return completed.sum();
    }

    @Override
    public long clientCpuNanos() {
        long n = 0;
        for (Process p : processes) {
            n += p.info().totalCpuDuration().orElse(Duration.ZERO).toNanos();
        }
        return n;
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        for (Thread t : readers) {
            t.join(1000);
        }
    }
}
