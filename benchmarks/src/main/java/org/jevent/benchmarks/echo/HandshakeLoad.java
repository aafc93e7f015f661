package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A client that keeps a fixed number of full TLS handshakes in flight against one server, until
 * closed. The driver samples {@link #completed()} and {@link #clientCpuNanos()} at the start and
 * end of its timed window, so start-up and shut-down of the client are never inside it.
 */
interface HandshakeLoad extends AutoCloseable {
    /** Handshakes completed so far. */
    long completed() throws IOException;

    /** CPU time the client has used so far, nanoseconds (to see which side was the bottleneck). */
    long clientCpuNanos();

    @Override
    void close() throws InterruptedException;

    /** Which client drives the handshake workload ({@code --hs-client}). */
    enum Kind {
        /** {@code openssl s_time -new}, one process per handshake in flight. */
        OPENSSL,
        /** {@link HandshakeLoop}s with Conscrypt client engines, on {@code --hs-threads} threads. */
        JAVA;

        HandshakeLoad start(InetSocketAddress address, ClientTls tls, int parallel, int threads, int seconds)
                throws IOException {
            return this == OPENSSL ? new OpensslHandshakeLoad(address, parallel, seconds)
                    : new JavaHandshakeLoad(address, tls, parallel, threads);
        }
    }
}
