package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;

/**
 * Full handshakes from this JVM: {@code threads} {@link HandshakeLoop}s, each with its own
 * selector, sharing {@code parallel} handshakes in flight between them. Its CPU time is this
 * whole process's (nothing else runs in it during the window).
 */
final class JavaHandshakeLoad implements HandshakeLoad {
    private final HandshakeLoop[] loops;
    private final Thread[] threads;

    JavaHandshakeLoad(InetSocketAddress address, ClientTls tls, int parallel, int threadCount) {
        int n = Math.max(1, Math.min(threadCount, parallel));
        loops = new HandshakeLoop[n];
        threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            int share = parallel / n + (i < parallel % n ? 1 : 0);
            loops[i] = new HandshakeLoop(address, tls, share, Long.MAX_VALUE, false, i * 10_000_000);
            threads[i] = new Thread(loops[i], "handshake-client-" + i);
            threads[i].start();
        }
    }

    @Override
    public long completed() throws IOException {
        long n = 0;
        for (HandshakeLoop l : loops) {
            if (l.failure() != null) {
                throw new IOException("handshake client failed", l.failure());
            }
            n += l.done.sum();
        }
        return n;
    }

    @Override
    public long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    @Override
    public void close() throws InterruptedException {
        for (HandshakeLoop l : loops) {
            l.stop();
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
    }
}
