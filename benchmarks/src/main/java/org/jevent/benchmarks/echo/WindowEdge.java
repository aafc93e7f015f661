package org.jevent.benchmarks.echo;

import java.io.IOException;
import java.util.Map;

/**
 * One edge of a timed stream window: what the load client had echoed back and checked, its clock
 * and its own CPU time ({@link Mark}), and the server's CPU time (whole process, by kind of
 * thread, per event loop) read around that moment. Both stream clients ({@link StreamLoad} in
 * this JVM, {@link CStreamLoad} in a child process) take their windows from two of these, so
 * that they measure the same thing the same way.
 *
 * <p>{@link #read} reads in a fixed order (the server's threads, the client's mark, the server's
 * whole CPU time), the same at both edges, so the time each reading takes (a /proc walk, a pipe
 * round trip) shifts both edges alike and cancels over the window. Bytes and seconds both come
 * from the client's mark: the rate is the client's own.
 */
record WindowEdge(Mark client, long serverCpuNanos, Map<String, Long> threads, Map<String, Long> loops) {
    /**
     * The load client at one moment: {@code bytes} echoed back and checked so far (all its
     * connections), {@code nanos} on a monotonic clock, {@code cpuNanos} its own CPU time.
     */
    record Mark(long bytes, long nanos, long cpuNanos) {
    }

    /** A load client that can say where it is now. */
    interface Client {
        Mark mark() throws IOException;
    }

    /** Reads one edge: the server's counters around {@code client}'s mark. */
    static WindowEdge read(ServerProcess server, Client client) throws IOException {
        Map<String, Long> threads = server.threadCpuNanos();
        Map<String, Long> loops = server.loopThreadCpuNanos();
        Mark m = client.mark();
        long cpu = server.cpuNanos();
        return new WindowEdge(m, cpu, threads, loops);
    }

    /** The window from this edge to {@code end}. */
    StreamLoad.Run to(WindowEdge end) {
        return new StreamLoad.Run(end.client.bytes() - client.bytes(), (end.client.nanos() - client.nanos()) / 1e9,
                (end.serverCpuNanos - serverCpuNanos) / 1e9, ProcFs.diff(threads, end.threads),
                ProcFs.diff(loops, end.loops), (end.client.cpuNanos() - client.cpuNanos()) / 1e9);
    }
}
