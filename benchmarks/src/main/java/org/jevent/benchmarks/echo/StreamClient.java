package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.util.Locale;

/** Which client drives the stream workloads ({@code --stream-client java|c}). */
enum StreamClient {
    /** {@link StreamLoad}: one thread of the driver's JVM (the default). */
    JAVA,
    /** {@link CStreamLoad}: {@code benchmarks/c/echo-load.c} in a child process. */
    C;

    /** {@code java} or {@code c}; anything else is an IllegalArgumentException naming both. */
    static StreamClient parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--stream-client " + name + ": java or c");
        }
    }

    /** One timed window of workload {@code w} against {@code server}. */
    StreamLoad.Run run(ServerProcess server, ClientTls tls, StreamWorkload w, int warmup, int seconds)
            throws IOException {
        return this == C ? CStreamLoad.run(server, tls, w.conns(), w.size(), w.depth(), warmup, seconds)
                : StreamLoad.run(server, tls, w.conns(), w.size(), w.depth(), warmup, seconds);
    }
}
